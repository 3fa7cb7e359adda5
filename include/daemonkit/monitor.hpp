// SPDX-License-Identifier: MIT
/// \file
/// The per-service monitor: spawns one service, supervises it, and answers
/// for it until it is stopped, exits for good, or gives up respawning.
///
/// One thread, one poll loop over {signalfd, the service's pidfd, its output
/// pipes, the notify socket, the readiness fd} with a single deadline on the
/// monotonic clock: no periodic wakeups while the service runs, and every
/// reaction (exit, stop, readiness) is driven by a kernel event. The monitor
/// is a child subreaper, so descendants that leave the service's process group
/// (setsid) still come back to it and are stopped with the rest of the tree.
///
/// Signals the monitor understands (the daemonkit tool sends them):
/// \verbatim
/// TERM, INT          stop the service (stop signal, then KILL after the stop
///                    timeout) and exit; a TERM sent with sigqueue() carrying
///                    a value uses that value as the stop timeout in ms
/// HUP                send the service its reload signal
/// QUIT, USR1, USR2   forwarded to the service's main process
/// SIGRTMIN+1         reopen the log files (logrotate's postrotate)
/// \endverbatim
/// In foreground mode (`daemonkit run`, perhaps PID 1 of a container) TERM and
/// INT are forwarded as the stop signal itself, and, as tini does, every other
/// signal that can be caught is forwarded too (WINCH, CONT, TSTP, ALRM, URG,
/// the real-time ones, ...; SIGRTMIN+1 as well when there is no log to
/// reopen), to the main process or with signal_group to its process group;
/// left alone are the monitor's own faults (SEGV, BUS, FPE, ILL, TRAP, ABRT,
/// SYS), PIPE and XFSZ (raised by its own writes) and TTIN/TTOU (ignored).
/// At a terminal the service gets its foreground (service_terminal.hpp).
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>

#include "daemonkit/credentials.hpp"
#include "daemonkit/daemonize.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// After SIGKILL went to a service's processes, how long a monitor keeps
/// killing what is left (a process forked during a sweep escaped it) before it
/// reports the processes that remain. Whoever waits for a stop waits this long
/// after the stop timeout.
inline constexpr std::chrono::milliseconds monitor_kill_wait{5000};

/// The signal `daemonkit reopen`/logrotate uses to make a monitor reopen its logs.
inline int reopen_logs_signal() { return SIGRTMIN + 1; }

/// What a monitor runs, and where it publishes.
struct monitor_options {
  service_config service;  ///< the service to run
  /// NAME.state, rewritten atomically on every transition. Empty: no state at
  /// all (`run --no-state`): nothing is written, and the lock given to
  /// run_monitor is an empty pidfile (not held).
  std::string state_path;
  bool foreground = false;  ///< `daemonkit run`: forward signals, exit with the service's status
  /// Foreground: forwarded signals go to the main process's whole process
  /// group (`run --signal-group`, like `tini -g`), not to it alone.
  bool signal_group = false;
  /// Where the service's options are stored (NAME.json, service_codec.hpp)
  /// once the lock is held and before the service starts; empty: nowhere.
  std::string config_path;
  /// Called once the pidfile lock is held and before the service starts, say
  /// to store the service's options; an error fails the start.
  std::function<result<void>()> on_locked;
  /// The service's user (service.user) as already looked up by
  /// resolve_credentials(). Empty: run_monitor() looks it up itself, and
  /// exec_monitor() looks it up before the exec and hands the result over,
  /// so that the monitor program makes no user or group lookup of its own
  /// (it is linked static, and a static program cannot load NSS modules).
  std::optional<credentials> identity;
};

/// Runs the monitor in the calling process until the end. Looks the
/// service's user up first unless options.identity has it. Whenever it is
/// about to wait after publishing a change, it gives free heap pages back
/// (malloc_trim) and drops the dead stack pages below its loop's frame: call
/// it on a thread whose stack holds nothing of anyone else's below the call.
///
/// \param options  the service, and where to publish its state.
/// \param lock     the held pidfile (its content becomes the service's pid).
/// \param launcher when not null, is told ready(service pid) once the
///                 service is ready, or fail(reason) if it never gets there
///                 (a start that cannot execute, exits early, or times out).
/// \return the process exit code: in foreground mode the service's
///         (128+signal when killed); otherwise 0, or 1 when the service failed.
int run_monitor(const monitor_options& options, pidfile lock, daemonized* launcher);

/// The same monitor in a program of its own (`daemonkit-monitor`, built from
/// tools/monitor/): the calling process becomes that program by exec, so what
/// stays resident for a service is the monitor alone, not the caller's heap
/// and libraries. The service's options cross the exec in a memfd, the
/// pidfile's fd (its lock survives exec) and the launcher's readiness pipe as
/// inherited fds. options.on_locked cannot cross an exec: use config_path.
/// Without state (options.state_path empty) lock is not held and not passed.
/// \param program  the monitor program's path.
/// \param options  as for run_monitor().
/// \param lock     the held pidfile, which the program takes up.
/// \param launcher as for run_monitor(), or null.
/// \return only when the service's user cannot be looked up (when
///         options.identity does not have it) or the exec failed; lock and
///         launcher are then untouched, so the caller can still
///         run_monitor() itself (which reports a lookup's failure as a failed
///         start): the error.
result<void> exec_monitor(const std::string& program, const monitor_options& options, pidfile& lock,
                          daemonized* launcher);

/// The main() of the program exec_monitor runs: takes up what was handed over
/// and runs the monitor. Returns the process exit code (2 on bad arguments).
int monitor_program_main(int argc, char** argv);

}  // namespace daemonkit
DAEMONKIT_API_END
