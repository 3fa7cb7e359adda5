// SPDX-License-Identifier: MIT
// The monitor's signal policy: which signals it takes (through a signalfd,
// never a handler) and what each asks of it. See monitor.hpp for the list.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

namespace daemonkit::supervisor {

struct signal_request {
  enum class kind {
    stop,         // stop the service with `sig` (and the timeout, when the sender gave one)
    reload,       // send the service its reload signal
    forward,      // send `sig` to the service (QUIT, USR1, USR2; in the foreground every other one too)
    reopen_logs,  // reopen the log files
    child,        // a child exited (SIGCHLD)
  };
  kind what = kind::child;
  int sig = 0;
  std::optional<std::chrono::milliseconds> timeout;
};

class monitor_signals {
 public:
  // Blocks the monitor's signals and opens a signalfd for them. SIGPIPE stays
  // blocked and unread (a write to a closed pipe returns EPIPE); SIGXFSZ is
  // ignored (a log write past an inherited `ulimit -f` fails with EFBIG, and
  // log_file counts the loss; spawn resets dispositions for the service).
  // forward_all (`daemonkit run`, perhaps PID 1 of a container): every
  // signal the monitor need not act on itself is taken, to be forwarded, as
  // tini does; SIGTTIN and SIGTTOU are ignored (the monitor may write to a
  // terminal whose foreground the service has). See the .cpp for the list.
  result<void> install(bool forward_all);
  int fd() const { return fd_.get(); }

  // The requests pending now. stop_signal is the service's; in the
  // foreground (`daemonkit run`) TERM and INT are forwarded as themselves, but
  // INT becomes the stop signal when the service has its own.
  std::vector<signal_request> read(bool foreground, int stop_signal) const;

 private:
  unique_fd fd_;
};

}  // namespace daemonkit::supervisor
