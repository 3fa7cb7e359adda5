// SPDX-License-Identifier: MIT
/// \file
/// Controlling a daemon from any process, given its pidfile.
///
/// Every action first finds the process that holds the pidfile's lock, opens a
/// pidfd on it and checks the lock again, so the signal can only reach the
/// process that owns the pidfile at that moment: never pid <= 1, never a
/// process group, never a process that merely reuses a stale pid.
#pragma once

#include <string>
#include <sys/types.h>

#include "daemonkit/export.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/stop_policy.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// LSB init-script status codes.
enum class lsb_status : int {
  running = 0,              ///< program is running
  dead_pidfile_exists = 1,  ///< program is dead and its pidfile exists
  not_running = 3,          ///< program is not running
  unknown = 4,              ///< status is unknown (permission denied, a bad pidfile)
};

/// What query_status found.
struct status_report {
  lsb_status status = lsb_status::unknown;  ///< the LSB code
  pid_t pid = 0;                            ///< running: the lock holder; dead: the stale content, if any
  std::string message;  ///< "running (pid 42)", "not running", "dead, but pidfile /x exists", or the error
};

/// The daemon's status by its pidfile's lock. Never fails: errors (permission
/// denied, a symlink, a directory) come back as lsb_status::unknown with the
/// error as message.
status_report query_status(const std::string& pidfile_path);

/// Opens the process that holds the pidfile's lock, after checking that the
/// pid written in the file is that same process. errc::not_running when the
/// lock is free; errc::not_lock_owner when the content names another pid.
result<process> open_pidfile_owner(const std::string& pidfile_path);

/// What stop() did.
struct stop_report {
  bool was_running = false;  ///< false: nothing held the lock, so nothing was signalled
  pid_t pid = 0;             ///< the daemon (the lock holder) when it was running
  int last_signal = 0;       ///< the last signal sent (SIGKILL if it escalated that far)
  int steps_used = 0;        ///< how many of the policy's steps it took
};

/// Stops the daemon: each step's signal, then a wait (poll on the pidfd) of up
/// to the step's time; returns as soon as the process is gone. Not running is
/// success (was_running = false). If every step passes and the process is
/// still there, errc::timed_out. A pidfile the daemon left behind (it was
/// killed, or forgot) is removed (only if still unlocked and still naming
/// that pid).
result<stop_report> stop(const std::string& pidfile_path, const stop_policy& policy = {});

/// Sends sig to the owner (see open_pidfile_owner); returns its pid.
result<pid_t> send_signal(const std::string& pidfile_path, int sig);
/// send_signal(pidfile_path, SIGHUP): the classic reload request.
inline result<pid_t> reload(const std::string& pidfile_path) { return send_signal(pidfile_path, SIGHUP); }

}  // namespace daemonkit
DAEMONKIT_API_END
