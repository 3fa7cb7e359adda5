// SPDX-License-Identifier: MIT
/// \file
/// unique_fd: the one owner of a file descriptor.
///
/// Move-only; closes in the destructor and never retries close() on EINTR
/// (on Linux the fd is gone either way, and a retry could close an fd another
/// thread just opened). Never throws.
#pragma once

#include <utility>

#include "daemonkit/export.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// Owns one file descriptor (or none: -1) and closes it when destroyed.
/// Move-only; never throws.
class unique_fd {
 public:
  /// Owns nothing (-1).
  unique_fd() noexcept = default;
  /// Takes ownership of fd (-1: nothing).
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ///@{
  /// Not copyable: an fd has one owner.
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ///@}
  /// Takes o's fd; o then owns nothing.
  unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
  /// Closes the fd owned so far, then takes o's; o then owns nothing.
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  /// Closes the fd, if any.
  ~unique_fd() { reset(); }

  /// The fd, still owned; -1 when none.
  int get() const noexcept { return fd_; }
  /// True when an fd is owned.
  bool valid() const noexcept { return fd_ >= 0; }
  /// valid().
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership without closing; returns the fd (-1 when none).
  int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the current fd (if any) and takes ownership of fd.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace daemonkit
DAEMONKIT_API_END
