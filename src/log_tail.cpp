// SPDX-License-Identifier: MIT
#include "daemonkit/log_tail.hpp"

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "daemonkit/unique_fd.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

result<std::string> read_last_lines(const std::string& path, std::size_t n) {
  unique_fd fd(sys::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW));
  if (!fd) return system_error("cannot open log " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return system_error("cannot read log " + path);
  if (!S_ISREG(st.st_mode)) return make_error(errc::invalid_argument, "log " + path + " is not a regular file");
  off_t end = st.st_size;
  std::string tail;
  std::size_t newlines = 0;
  constexpr off_t block = 65536;
  off_t pos = end;
  // Count newlines from the end; the final newline does not start a line.
  while (pos > 0 && newlines <= n) {
    off_t start = pos > block ? pos - block : 0;
    std::string chunk(static_cast<std::size_t>(pos - start), '\0');
    ssize_t got = ::pread(fd.get(), chunk.data(), chunk.size(), start);
    if (got < 0) return system_error("cannot read log " + path);
    chunk.resize(static_cast<std::size_t>(got));
    bool had_tail = !tail.empty();
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      // The file's final newline ends the last line rather than starting one.
      if (chunk[i] == '\n' && (had_tail || i + 1 < chunk.size())) ++newlines;
    }
    tail.insert(0, chunk);
    pos = start;
  }
  if (n == 0) return std::string();
  // Keep the last n lines.
  std::size_t count = 0;
  std::size_t i = tail.size();
  if (i > 0 && tail[i - 1] == '\n') --i;
  while (i > 0) {
    if (tail[i - 1] == '\n' && ++count == n) break;
    --i;
  }
  return tail.substr(i);
}

namespace {
// The rotated generation of path (path.1, path.2, ...) that is the file
// `ino`, or empty.
std::string find_generation(const std::string& path, ino_t ino) {
  for (int k = 1; k <= 1000; ++k) {
    std::string g = path + "." + std::to_string(k);
    struct stat st {};
    if (::stat(g.c_str(), &st) != 0) return {};
    if (st.st_ino == ino) return g;
  }
  return {};
}
}  // namespace

result<void> follow_file(const std::string& path, std::uint64_t from, const std::function<bool(std::string_view)>& sink,
                         std::uint64_t inode) {
  unique_fd in(sys::inotify_init());
  if (!in) return system_error("cannot watch log " + path);
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  if (::inotify_add_watch(in.get(), dir.c_str(), IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB) <
      0) {
    return system_error("cannot watch directory " + dir);
  }
  unique_fd fd;
  std::uint64_t pos = from;
  auto reopen = [&]() { fd.reset(sys::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW)); };
  reopen();
  std::vector<char> buf(65536);
  ino_t ino = 0;
  if (inode != 0) {
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || st.st_ino != inode) {
      // Rotated between the caller's look and ours: start where it looked.
      std::string g = find_generation(path, static_cast<ino_t>(inode));
      if (!g.empty()) {
        fd.reset(sys::open(g.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW));
      } else {
        pos = 0;  // that file is gone: the current one, from its start
      }
    }
  }
  for (;;) {
    if (fd) {
      struct stat st {};
      if (::fstat(fd.get(), &st) == 0) {
        if (ino == 0) ino = st.st_ino;
        if (static_cast<std::uint64_t>(st.st_size) < pos) pos = 0;  // truncated (copytruncate)
      }
      for (;;) {
        ssize_t got = ::pread(fd.get(), buf.data(), buf.size(), static_cast<off_t>(pos));
        if (got <= 0) break;
        pos += static_cast<std::uint64_t>(got);
        if (!sink(std::string_view(buf.data(), static_cast<std::size_t>(got)))) return {};
      }
      // Rotated: the name now points at a new file. The old one is finished
      // (read to its end above); the next to read is the generation right
      // after it: if ours is now path.K, that is path.K-1 (path itself for
      // K = 1), so a follower that fell several rotations behind still reads
      // every generation in order instead of skipping to the newest.
      struct stat now {};
      if (::stat(path.c_str(), &now) == 0 && now.st_ino != ino) {
        std::string next = path;
        std::string ours = find_generation(path, ino);
        if (!ours.empty()) {
          int k = std::stoi(ours.substr(path.size() + 1));
          next = k == 1 ? path : path + "." + std::to_string(k - 1);
        }
        fd.reset(sys::open(next.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW));
        pos = 0;
        struct stat opened {};
        ino = fd && ::fstat(fd.get(), &opened) == 0 ? opened.st_ino : 0;
        continue;
      }
    } else {
      reopen();
      pos = 0;
      if (fd) continue;
    }
    pollfd p{in.get(), POLLIN, 0};
    if (sys::poll(&p, 1, sys::deadline::never()) < 0) return system_error("cannot wait for log " + path);
    char ev[4096];
    while (sys::read(in.get(), ev, sizeof ev) > 0) {}
  }
}

}  // namespace daemonkit
