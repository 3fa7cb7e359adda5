// SPDX-License-Identifier: MIT
#include "daemonkit/unique_fd.hpp"

#include "sys/sys.hpp"

namespace daemonkit {

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0) sys::close(fd_);
  fd_ = fd;
}

}  // namespace daemonkit
