// SPDX-License-Identifier: MIT
#include "daemonkit/pidfile.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/sys.hpp"

namespace daemonkit {

namespace {

constexpr long pid_max_limit = 4194304;  // PID_MAX_LIMIT on 64-bit Linux
constexpr size_t max_pidfile_size = 64;
constexpr int max_acquire_attempts = 100;

struct flock whole_file(short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  return fl;
}

// The pid of the process holding a write lock on fd's file, 0 if none, -1 on error.
pid_t lock_holder(int fd) {
  struct flock fl = whole_file(F_RDLCK);
  if (sys::fcntl_lock(fd, F_GETLK, &fl) != 0) return -1;
  if (fl.l_type == F_UNLCK) return 0;
  // 0 when the holder is in a pid namespace we cannot see: still "locked".
  return fl.l_pid > 0 ? fl.l_pid : 1;
}

bool try_lock(int fd) {
  struct flock fl = whole_file(F_WRLCK);
  return sys::fcntl_lock(fd, F_SETLK, &fl) == 0;
}

bool same_file(int fd, const std::string& path) {
  struct stat a {};
  struct stat b {};
  if (::fstat(fd, &a) != 0 || ::lstat(path.c_str(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::string pid_text(pid_t pid) { return std::to_string(pid) + "\n"; }

// Reads at most max_pidfile_size+1 bytes from the start of fd.
result<std::string> read_small(int fd, const std::string& path) {
  char buf[max_pidfile_size + 1];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n < 0) return system_error("cannot read pidfile " + path);
  return std::string(buf, static_cast<size_t>(n));
}

result<unique_fd> open_existing(const std::string& path, int flags) {
  unique_fd fd(sys::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    int err = errno;
    if (err == ELOOP)
      return make_error(errc::bad_pidfile, "pidfile " + path + " is a symbolic link; refusing to use it");
    return system_error("cannot open pidfile " + path, err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return system_error("cannot stat pidfile " + path);
  if (!S_ISREG(st.st_mode)) return make_error(errc::bad_pidfile, "pidfile " + path + " is not a regular file");
  return fd;
}

}  // namespace

result<pid_t> parse_pid(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.empty()) return make_error(errc::bad_pidfile, "empty pidfile");
  // Hostile content is quoted in part, printable characters only, so the
  // message stays one short line.
  auto quoted = [](std::string_view t) {
    std::string q;
    for (char c : t.substr(0, 32)) q += std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?';
    return "'" + q + (t.size() > 32 ? "...'" : "'");
  };
  const bool all_digits = std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!all_digits) return make_error(errc::bad_pidfile, "invalid pid " + quoted(text) + " (expected a decimal number)");
  const std::string range = " out of range (2.." + std::to_string(pid_max_limit) + ")";
  long v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return make_error(errc::bad_pidfile,
                      "pid " + std::string(text.substr(0, 32)) + (text.size() > 32 ? "..." : "") + range);
  }
  if (v <= 1 || v > pid_max_limit) return make_error(errc::bad_pidfile, "pid " + std::to_string(v) + range);
  return static_cast<pid_t>(v);
}

pidfile::pidfile(pidfile&& o) noexcept : path_(std::move(o.path_)), fd_(std::move(o.fd_)), owner_(o.owner_) {}

pidfile& pidfile::operator=(pidfile&& o) noexcept {
  if (this != &o) {
    release();
    path_ = std::move(o.path_);
    fd_ = std::move(o.fd_);
    owner_ = o.owner_;
  }
  return *this;
}

pidfile::~pidfile() { release(); }

result<pidfile> pidfile::adopt(unique_fd fd, std::string path) {
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !same_file(fd.get(), path)) {
    return make_error(errc::invalid_argument, "cannot take up pidfile " + path + ": not the file held");
  }
  // Ours already (a no-op), or free (ours now); another holder's refuses.
  if (!try_lock(fd.get()))
    return make_error(errc::already_running, "cannot take up pidfile " + path + ": locked by another process");
  pidfile p;
  p.path_ = std::move(path);
  p.fd_ = std::move(fd);
  p.owner_ = ::getpid();
  return p;
}

result<pidfile> pidfile::acquire(const std::string& path, pid_t pid) {
  if (path.empty()) return make_error(errc::invalid_argument, "pidfile path is empty");
  if (pid == 0) pid = ::getpid();

  // The new pidfile is prepared under a temporary name, complete and locked,
  // then moved into place without replacing anything: a reader never sees an
  // empty or partial pidfile, and two starters racing for a free name cannot
  // both win (the second gets EEXIST).
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "/." + base + "." + std::to_string(::getpid()) + ".tmp";

  unique_fd fd(sys::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0644));
  if (!fd && errno == EEXIST) {
    // Left by an earlier process with our pid that died mid-acquire.
    ::unlink(tmp.c_str());
    fd.reset(sys::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0644));
  }
  if (!fd) return system_error("cannot create pidfile " + path);
  struct tmp_guard {
    const std::string& p;
    bool armed = true;
    ~tmp_guard() {
      if (armed) ::unlink(p.c_str());
    }
  } guard{tmp};

  if (!try_lock(fd.get())) return system_error("cannot lock pidfile " + path);
  std::string text = pid_text(pid);
  if (sys::write_all(fd.get(), text.data(), text.size()) < 0) return system_error("cannot write pidfile " + path);
  // fchmod: the file's mode should not depend on the caller's umask.
  ::fchmod(fd.get(), 0644);

  for (int attempt = 0; attempt < max_acquire_attempts; ++attempt) {
    // renameat2(RENAME_NOREPLACE) moves the very dentry we opened, so
    // /proc/PID/fd shows the pidfile's real name; link() is the fallback for
    // file systems without it (and then the fd shows the temporary name).
    int moved = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
    if (moved != 0 && errno == EINVAL) {
      moved = ::link(tmp.c_str(), path.c_str());
      if (moved == 0) ::unlink(tmp.c_str());
    }
    if (moved == 0) {
      guard.armed = false;
      pidfile p;
      p.path_ = path;
      p.fd_ = std::move(fd);
      p.owner_ = ::getpid();
      return p;
    }
    if (errno != EEXIST) return system_error("cannot create pidfile " + path);

    auto existing = open_existing(path, O_RDWR);
    if (!existing) {
      if (existing.err().code == std::error_code(ENOENT, std::system_category())) continue;  // just removed
      return std::move(existing).err();
    }
    pid_t holder = lock_holder(existing->get());
    if (holder < 0) return system_error("cannot test the lock of pidfile " + path);
    if (holder > 0) {
      return make_error(errc::already_running, "already running (pid " + std::to_string(holder) + ")");
    }
    // Stale. Take its lock so nobody else replaces it at the same time, check
    // it is still the file at path, then atomically put ours in its place.
    if (!try_lock(existing->get())) continue;
    if (!same_file(existing->get(), path)) continue;
    if (::rename(tmp.c_str(), path.c_str()) != 0) return system_error("cannot replace stale pidfile " + path);
    guard.armed = false;
    pidfile p;
    p.path_ = path;
    p.fd_ = std::move(fd);
    p.owner_ = ::getpid();
    return p;
  }
  return make_error(errc::timed_out, "cannot acquire pidfile " + path + ": too much contention");
}

result<void> pidfile::rewrite(pid_t pid) {
  if (!fd_) return make_error(errc::invalid_argument, "pidfile is not held");
  std::string text = pid_text(pid);
  // Write the new digits, then trim: a reader may see a longer number with a
  // stale tail only if the new pid is shorter, which ftruncate fixes at once.
  if (::pwrite(fd_.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::ftruncate(fd_.get(), static_cast<off_t>(text.size())) != 0) {
    return system_error("cannot write pidfile " + path_);
  }
  return {};
}

void pidfile::release() noexcept {
  if (!fd_) return;
  if (owner_ == ::getpid() && same_file(fd_.get(), path_)) ::unlink(path_.c_str());
  // In a forked child the close below drops only the child's own locks (POSIX
  // locks are not inherited), so the parent keeps its lock.
  fd_.reset();
}

result<pidfile_state> probe_pidfile(const std::string& path) {
  pidfile_state st;
  auto fd = open_existing(path, O_RDONLY);
  if (!fd) {
    if (fd.err().code == std::error_code(ENOENT, std::system_category())) return st;
    return std::move(fd).err();
  }
  auto text = read_small(fd->get(), path);
  if (!text) return std::move(text).err();
  if (text->size() <= max_pidfile_size) {
    if (auto p = parse_pid(*text)) {
      st.file_pid = *p;
      st.content_ok = true;
    }
  }
  pid_t holder = lock_holder(fd->get());
  if (holder < 0) return system_error("cannot test the lock of pidfile " + path);
  if (holder > 0) {
    st.state = pidfile_state::kind::running;
    st.pid = holder;
  } else {
    st.state = pidfile_state::kind::stale;
    st.pid = st.file_pid;
  }
  return st;
}

bool remove_stale_pidfile(const std::string& path, pid_t expected_pid) noexcept {
  try {
    auto fd = open_existing(path, O_RDWR);
    if (!fd) return false;
    if (!try_lock(fd->get())) return false;
    auto text = read_small(fd->get(), path);
    if (!text) return false;
    auto p = parse_pid(*text);
    if (!p || *p != expected_pid) return false;
    if (!same_file(fd->get(), path)) return false;
    return ::unlink(path.c_str()) == 0;
  } catch (...) {
    return false;
  }
}

}  // namespace daemonkit
