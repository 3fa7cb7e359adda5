// SPDX-License-Identifier: MIT
#include "daemonkit/detail/file_io.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemonkit/unique_fd.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode) {
  std::string tmp = path + ".tmp";
  // A fresh file (O_EXCL after removing whatever has that name): a symlink or
  // a hard link planted as path.tmp must never be written through.
  ::unlink(tmp.c_str());
  unique_fd fd(sys::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode));
  if (!fd) return system_error("cannot write " + tmp);
  if (sys::write_all(fd.get(), content.data(), content.size()) < 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return system_error("cannot write " + tmp, err);
  }
  fd.reset();
  // Over an existing file, ext4 (unless mounted noauto_da_alloc) writes the
  // new file's data out inside rename(2) itself, so that a crash cannot
  // leave it empty: 0.25-0.4 ms per publish on a virtual disk, on the path
  // of every start and stop. These files need no such care (they live in
  // /run, or are rewritten on the next change), so a regular file is
  // replaced by exchanging the two names, as atomically for readers, and
  // the old file removed after.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) == 0) {
    ::unlink(tmp.c_str());
    return {};
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return system_error("cannot write " + path, err);
  }
  return {};
}

result<void> write_file_atomic_at(int dir_fd, const std::string& dir_path, const std::string& name,
                                  std::string_view content, mode_t mode) {
  const std::string path = dir_path + "/" + name;
  const std::string tmp = "." + name + ".tmp";
  // As in write_file_atomic: a fresh file, never one planted under that name.
  ::unlinkat(dir_fd, tmp.c_str(), 0);
  unique_fd fd(sys::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode));
  if (!fd) return system_error("cannot write " + dir_path + "/" + tmp);
  // The umask must not narrow what the caller asked for (a unit file is
  // read by others).
  if (::fchmod(fd.get(), mode) != 0 || sys::write_all(fd.get(), content.data(), content.size()) < 0 ||
      sys::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return system_error("cannot write " + dir_path + "/" + tmp, err);
  }
  fd.reset();
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return system_error("cannot write " + path, err);
  }
  if (sys::fsync(dir_fd) != 0) return system_error("cannot sync " + dir_path);
  return {};
}

result<std::optional<std::string>> read_small_file(const std::string& path, std::size_t max_size) {
  return read_small_file_at(AT_FDCWD, "", path, max_size);
}

result<std::optional<std::string>> read_small_file_at(int dir_fd, const std::string& dir_path, const std::string& name,
                                                      std::size_t max_size) {
  const std::string path = dir_path.empty() ? name : dir_path + "/" + name;
  unique_fd fd(sys::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    if (errno == ENOENT) return std::optional<std::string>{};
    if (errno == ELOOP) return make_error(errc::invalid_argument, path + " is a symbolic link; refusing to read it");
    return system_error("cannot read " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return system_error("cannot read " + path);
  if (!S_ISREG(st.st_mode)) return make_error(errc::invalid_argument, path + " is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_size) {
    return make_error(errc::invalid_argument, path + " is too large (" + std::to_string(st.st_size) + " bytes)");
  }
  std::string text(
      max_size + 1 < static_cast<std::size_t>(st.st_size) + 1 ? max_size + 1 : static_cast<std::size_t>(st.st_size) + 1,
      '\0');
  ssize_t n = sys::read_full(fd.get(), text.data(), text.size());
  if (n < 0) return system_error("cannot read " + path);
  if (static_cast<std::size_t>(n) > max_size) return make_error(errc::invalid_argument, path + " is too large");
  text.resize(static_cast<std::size_t>(n));
  return std::optional<std::string>{std::move(text)};
}

}  // namespace daemonkit
