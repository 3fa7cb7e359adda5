// SPDX-License-Identifier: MIT
// The terminal `daemonkit run` shares with its service, as a shell shares it
// with a job. When the monitor runs in the foreground of its controlling
// terminal (`docker run -it`, a command typed at a shell), the service gets a
// process group of its own in the monitor's session, and that group becomes
// the terminal's foreground group: the keys the terminal turns into signals
// (^C INT, ^\ QUIT, ^Z TSTP) and window size changes (WINCH) reach the
// service, and an interactive program can read the terminal. When the main
// process exits, and at the end, the monitor's own group takes the terminal
// back (so ^C reaches the monitor during a respawn's backoff, and the caller
// finds its terminal as it left it). Without a terminal, or in the
// background, there is nothing to share: the service leads a session of its
// own, as under `start`. Private to the supervisor.
#pragma once

#include "daemonkit/unique_fd.hpp"

namespace daemonkit::supervisor {

class service_terminal {
 public:
  // Finds the controlling terminal (on fd 0, 1 or 2, else /dev/tty) when the
  // monitor's process group is its foreground group; nothing otherwise.
  void open();
  // The terminal for spawn_options::foreground_terminal, or -1: none to share.
  int fd() const noexcept { return fd_.get(); }
  // Makes the monitor's group the foreground group again (SIGTTOU must be
  // ignored: monitor_signals does that in the foreground).
  void take_back() const noexcept;

 private:
  unique_fd fd_;
};

}  // namespace daemonkit::supervisor
