// SPDX-License-Identifier: MIT
/// \file
/// Supervised services seen from outside their monitor: what one is doing,
/// and stopping, signalling, reloading it and reopening its logs.
///
/// A service is supervised by a monitor (monitor.hpp) that holds the lock on
/// STATE/NAME.pid and publishes STATE/NAME.state (service_dir.hpp). Every
/// process is identified by what that monitor recorded, never by its name
/// (/proc/PID/comm) or command line:
///   - the monitor is the lock holder that NAME.state names as monitor_pid;
///   - its keeper is the child NAME.state names as keeper_pid;
///   - the service is the pid the monitor wrote into NAME.pid (a descendant of
///     the monitor, not its keeper) or, once the monitor is gone, the pid
///     NAME.state recorded together with its start time.
/// Each signal goes through a pidfd opened before those checks and checked
/// alive after them, so it reaches the process that was checked or nobody:
/// never pid <= 1 (but a monitor that is its PID namespace's init: `daemonkit
/// run` as a container's PID 1, seen from inside), never a process outside
/// the service, never a lock holder that NAME.state does not name.
///
/// Functions here never log and never exit; none is async-signal-safe. They
/// read /proc and the state directory, so they see other users' services only
/// as far as permissions allow (the error then says so).
#pragma once

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "daemonkit/control.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/service_state.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// A service as seen from outside its monitor (inspect_service()): what it
/// is doing, and what the control functions below need to reach it.
struct service_view {
  /// What is known about the service.
  enum class kind {
    supervised,    ///< a monitor holds the lock
    unsupervised,  ///< the monitor is gone but the service still runs
    failed,        ///< gave up respawning, or died with its monitor
    exited,        ///< exited on its own (status in state)
    stopped,       ///< stopped on request
    unknown_name,  ///< nothing is known about it
    error,         ///< cannot tell (permission denied, corrupt files)
  };
  std::string name;                ///< the service's name
  std::string state_dir;           ///< the state directory it was looked up in
  kind what = kind::unknown_name;  ///< what is known about it
  service_paths paths;             ///< its files in state_dir
  pid_t monitor_pid = 0;           ///< supervised: the lock holder
  /// The lock holder is the monitor NAME.state names: only then may it be
  /// signalled (a stranger holding the lock may not be). A monitor that has
  /// just taken the lock is not verified until it publishes NAME.state; the
  /// control functions below wait a moment for that. Only when NAME.state
  /// exists but cannot be read is the holder recognised otherwise: by comm
  /// "daemonkit" (the tool's monitor), a documented fallback.
  bool monitor_verified = false;
  pid_t pid = 0;                         ///< the service's main pid while it runs
  std::uint64_t pid_start_ticks = 0;     ///< unsupervised: the start time that identifies pid
  std::optional<service_state> state;    ///< supervised: only the lock holder's
  std::optional<service_config> config;  ///< its stored options (NAME.json), when readable
  /// kind::error: why nothing can be told. Otherwise, when not empty, why
  /// NAME.state or NAME.json exists but cannot be read (too large, truncated,
  /// malformed, naming the file): what is shown without it is incomplete.
  std::string error;

  /// Supervised by a monitor or still running without one: what start
  /// refuses to start again and stop has work to do for. A supervised service
  /// may have no process at the moment (backoff): see alive().
  bool running() const noexcept { return what == kind::supervised || what == kind::unsupervised; }
  /// A process of the service is alive: unsupervised, or supervised in a
  /// phase with a main process (starting, running, reloading, stopping; not
  /// backoff, nor a final phase a monitor published just before it exits).
  /// A monitor whose NAME.state is not known yet counts as alive.
  bool alive() const noexcept;
  /// What the monitor's health checks (`--health`) say; service_health::none
  /// without checks or without a monitor to run them.
  service_health health() const noexcept;
  /// The LSB status code: running (alive, and not unhealthy), dead (failed or
  /// unhealthy), not running (stopped, exited, or waiting to respawn), or
  /// unknown.
  lsb_status lsb_code() const noexcept;
  /// One word for the state: the phase's word (to_string(service_phase)) or
  /// "unsupervised", "unknown" (nothing known), "error".
  std::string_view word() const noexcept;
  /// "running (pid 42)", "failed: exited with status 1", ..., with ", 3
  /// processes remain after SIGKILL" when stop could not kill them all. Raw
  /// text (a service chooses parts of it): escape it before printing.
  std::string describe() const;
};

/// What is known about service name in state_dir, from its lock, NAME.state
/// and NAME.json (service_codec.hpp). Never fails: a service that cannot be
/// inspected is kind::error with the reason in error. Does not wait and
/// changes nothing.
service_view inspect_service(const std::string& state_dir, const std::string& name);

/// True when pid is alive (not a zombie) and still the process that started
/// at start_ticks (/proc/PID/stat field 22). False for pid <= 1.
bool same_process(pid_t pid, std::uint64_t start_ticks);

/// How long a control function waits for a lock holder that NAME.state does
/// not name to publish it: a monitor publishes NAME.state as soon as it holds
/// the lock. The wait ends early on any change in the state directory or the
/// holder's exit; after it, the holder is refused (errc::not_lock_owner).
inline constexpr std::chrono::milliseconds monitor_publish_wait{2000};

/// What stop_service() did.
struct stop_result {
  bool was_running = false;   ///< false: there was nothing to stop ("not running")
  bool unsupervised = false;  ///< stopped without a monitor (it was gone)
  pid_t pid = 0;              ///< the service's main pid, when known
  /// Processes still alive after SIGKILL and the kill wait: the stop did not
  /// finish. Supervised, the count is the monitor's (it keeps killing them);
  /// unsupervised, they are members of the service's session.
  unsigned remaining = 0;
  std::vector<pid_t> remaining_pids;  ///< as seen when stop gave up
  /// The stop had to SIGKILL: the service was still running `timeout` after
  /// `stop_signal` (the monitor's NAME.state says so once it has exited, or
  /// the unsupervised stop sent SIGKILL itself). The service is stopped all
  /// the same.
  bool escalated = false;
  int stop_signal = SIGTERM;             ///< what went out first
  std::chrono::milliseconds timeout{0};  ///< the stop timeout used: how long before SIGKILL
};

/// "3 processes remain after SIGKILL (pids 101, 102, 103)": at most five pids.
std::string describe_remaining(unsigned count, const std::vector<pid_t>& pids);

/// Stops the service and returns once every process of it is gone (or
/// remaining says which are not). Supervised: a TERM to the monitor carrying
/// timeout in ms (sigqueue); the monitor sends the stop signal, escalates to
/// KILL after timeout and exits when the tree is empty. If the monitor dies
/// mid-stop, or was gone already, the service's session is stopped here with
/// the same schedule: the stop signal, KILL after what is left of timeout,
/// SIGKILL repeated for monitor_kill_wait. timeout defaults to the stored
/// stop timeout (10 s without one). A monitor and service that died together
/// leave NAME.state saying what they did: it is marked stopped, and a stale
/// NAME.pid removed. Errors: errc::not_lock_owner (the lock holder or the
/// recorded pid is not the service's), errc::timed_out (the monitor did not
/// finish), system errors from signalling (EPERM).
result<stop_result> stop_service(const service_view& v,
                                 std::optional<std::chrono::milliseconds> timeout = std::nullopt);

/// How long check_service_config lets a `--check-config` command run.
inline constexpr std::chrono::milliseconds config_check_timeout{60000};

/// What a `--check-config` command said.
struct config_check_result {
  bool ok = true;  ///< exited 0 (or there is no check)
  /// "exited with status 1", "killed by signal SEGV", "timed out after 1m".
  std::string why;
  /// What it wrote on stdout and stderr, interleaved as written: raw bytes
  /// (escape them before showing), the first max_check_output bytes.
  std::string output;
};
/// How much of a check's output config_check_result::output keeps.
inline constexpr std::size_t max_check_output = 16 * 1024;

/// Runs c.check_config (nothing when empty: ok) as systemd runs ExecReload=:
/// `/bin/sh -c COMMAND` as the service's user (c.user, looked up now), with
/// its environment (without NOTIFY_SOCKET; with RUNTIME_DIRECTORY when
/// c.runtime_dir is set) and working directory, stdin from /dev/null, in a
/// session of its own. Returns when sh has exited: what else it left in its
/// session is SIGKILLed then; at timeout sh and its session are SIGKILLed
/// (ok = false). Blocks the caller up to timeout; spawns and reaps a child of
/// the caller (do not reap it elsewhere). Errors: the user cannot be looked
/// up, the command cannot be spawned (the error says which step failed).
result<config_check_result> check_service_config(const service_config& c,
                                                 std::chrono::milliseconds timeout = config_check_timeout);

/// What reload_service() did, and how the service took it.
struct reload_result {
  /// How the reload ended.
  enum class outcome {
    reloaded,      ///< signalled; alive reload_timeout later (and READY=1 again after RELOADING=1)
    no_reload,     ///< the service has no reload (reload_signal 0): nothing was done
    check_failed,  ///< check_config failed (see check): nothing was signalled
    exited,        ///< the main process exited within reload_timeout of the signal, or while reloading
    timed_out,     ///< said RELOADING=1, but not READY=1 within its ready_timeout
    refused,       ///< alive, but said its reload failed (`STATUS=reload failed...`): see status_text
  };
  outcome what = outcome::reloaded;  ///< how the reload ended
  pid_t pid = 0;                     ///< the main process signalled (0 when none was)
  int signal = 0;                    ///< the reload signal
  bool announced = false;            ///< said RELOADING=1 (sd_notify) within reload_timeout
  config_check_result check;         ///< check_failed: what the check said
  std::string status_text;  ///< refused: the service's `STATUS=` text, as it sent it (escape it for a terminal)
  std::chrono::milliseconds reload_timeout{0};  ///< how long the main process was watched after the signal
  std::chrono::milliseconds ready_timeout{0};   ///< bounded the wait for READY=1 when announced
};

/// Reloads the service and says whether it survived. In order: a service with
/// no reload (reload_signal 0) is left alone; its check_config runs
/// (check_service_config) and, failing, leaves it alone; the reload signal
/// goes out — through the monitor (SIGHUP to it; it signals the main
/// process) or, when no verified monitor can be asked, to the recorded main
/// process itself; then the main process is watched (its pidfd, and NAME.state
/// through inotify, never by sleeping) for the stored reload_timeout: exiting
/// in that time is a failed reload. A notify service that publishes
/// `reloading` (RELOADING=1) in that time is waited for until it is `running`
/// again (READY=1), for at most its ready_timeout. A service still alive then
/// whose `STATUS=` text begins with "reload failed" (what Daemon sends when
/// on_reload() throws) refused the reload: it runs on with what it had, and
/// the outcome says so. Without a readable NAME.json the reload signal is
/// HUP, with no check, and 1 s. So a reload takes at
/// least reload_timeout. Errors: errc::not_running (not running, or no main
/// process now: backoff), errc::not_lock_owner, system errors from
/// signalling, errors of check_service_config.
result<reload_result> reload_service(const service_view& v);

/// Forgets service name in state_dir, which must not be running: removes
/// NAME.state, NAME.json and a stale NAME.pid (never the logs). Holds the
/// service's lock meanwhile (pidfile::acquire), so a monitor starting at the
/// same moment either holds it first (then the service is refused) or finds
/// nothing to race. Errors: errc::already_running ("running; stop it
/// first") for a service that is supervised in any way (backoff too) or runs
/// without its monitor; errc::not_running ("no such service") when none of
/// its files exists; the inspection's error when it cannot be told
/// (permissions, an unreadable NAME.state); system errors from unlink.
result<void> remove_service(const std::string& state_dir, const std::string& name);

/// Sends sig to the service's main process; returns its pid. errc::not_running
/// when the service does not run or its main process is not known yet.
result<pid_t> signal_service(const service_view& v, int sig);

/// Asks the monitor to reopen the service's log files (reopen_logs_signal()).
/// errc::not_running ("not running under a monitor") without a monitor.
result<void> reopen_service_logs(const service_view& v);

}  // namespace daemonkit
DAEMONKIT_API_END
