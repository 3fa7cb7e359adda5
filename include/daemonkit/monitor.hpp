// The per-service monitor: spawns one service, supervises it, and answers
// for it until it is stopped, exits for good, or gives up respawning.
//
// One thread, one poll loop over {signalfd, the service's pidfd, its output
// pipes, the notify socket, the readiness fd} with a single deadline on the
// monotonic clock: no periodic wakeups while the service runs, and every
// reaction (exit, stop, readiness) is driven by a kernel event. The monitor
// is a child subreaper, so descendants that leave the service's process group
// (setsid) still come back to it and are stopped with the rest of the tree.
//
// Signals the monitor understands (the daemonkit tool sends them):
//   TERM, INT          stop the service (stop signal, then KILL after the stop
//                      timeout) and exit; a TERM sent with sigqueue() carrying
//                      a value uses that value as the stop timeout in ms
//   HUP                send the service its reload signal
//   QUIT, USR1, USR2   forwarded to the service's main process
//   SIGRTMIN+1         reopen the log files (logrotate's postrotate)
// In foreground mode TERM and INT are forwarded as the stop signal itself.
#pragma once

#include <csignal>
#include <functional>
#include <string>

#include "daemonkit/daemonize.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"

namespace daemonkit {

// The signal `daemonkit reopen`/logrotate uses to make a monitor reopen its logs.
inline int reopen_logs_signal() { return SIGRTMIN + 1; }

struct monitor_options {
  service_config service;
  std::string state_path;   // NAME.state, rewritten atomically on every transition
  bool foreground = false;  // `daemonkit run`: forward signals, exit with the service's status
  // Called once the pidfile lock is held and before the service starts, e.g.
  // to store the service's options; an error fails the start.
  std::function<result<void>()> on_locked;
};

// Runs the monitor in the calling process until the end. `lock` is the held
// pidfile (its content becomes the service's pid). `launcher`, when not null,
// is told ready(service pid) once the service is ready, or fail(reason) if it
// never gets there (a start that cannot execute, exits early, or times out).
// Returns the process exit code: in foreground mode the service's (128+signal
// when killed); otherwise 0, or 1 when the service failed.
int run_monitor(const monitor_options& options, pidfile lock, daemonized* launcher);

}  // namespace daemonkit
