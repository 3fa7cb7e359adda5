// SPDX-License-Identifier: MIT
#include "supervisor/service_terminal.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include "sys/sys.hpp"

namespace daemonkit::supervisor {

void service_terminal::open() {
  unique_fd tty;
  // tcgetsid names the session a terminal controls: ours, or it is only a
  // terminal we were handed, not our controlling one.
  for (int fd : {0, 1, 2}) {
    if (::isatty(fd) == 1 && ::tcgetsid(fd) == ::getsid(0)) {
      tty.reset(sys::dup_cloexec(fd));
      break;
    }
  }
  // Output and input redirected (`cmd | daemonkit run ... > log`): the
  // controlling terminal may still be there for the service to open.
  if (!tty) tty.reset(sys::open("/dev/tty", O_RDWR | O_NOCTTY));
  if (!tty) return;
  // A monitor started in the background (`daemonkit run ... &`) must not
  // take the terminal from the shell that has it.
  if (::tcgetpgrp(tty.get()) != ::getpgrp()) return;
  fd_ = std::move(tty);
}

void service_terminal::take_back() const noexcept {
  if (fd_) (void)::tcsetpgrp(fd_.get(), ::getpgrp());
}

}  // namespace daemonkit::supervisor
