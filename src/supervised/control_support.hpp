// SPDX-License-Identifier: MIT
// What the control functions of supervised.hpp share (control.cpp, reload.cpp,
// remove.cpp): finding the monitor and the service's main process as
// recorded, and reaching a service's session without its monitor. Private to
// the library.
#pragma once

#include <chrono>
#include <optional>
#include <sys/types.h>
#include <vector>

#include "daemonkit/process.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service_state.hpp"
#include "daemonkit/supervised.hpp"

namespace daemonkit::supervised_detail {

// A lock holder NAME.state does not name may be a monitor that took the lock
// a moment ago and is about to publish. Waits for that, woken by any change
// in the state directory or the holder's exit, for at most
// monitor_publish_wait. Returns the view as it then is.
service_view await_monitor_state(const service_view& v);

// A monitor that published its service's end (a final phase) and is about to
// release the lock and exit.
bool is_finishing(const service_view& v);

// For whoever needs the lock or a settled view: when v's monitor is
// finishing, waits (at most monitor_publish_wait) for it to exit and returns
// the view as it then is; otherwise v.
service_view await_monitor_exit(const service_view& v);

// The monitor, pinned by a pidfd and checked to still hold the lock.
// errc::not_lock_owner for a holder NAME.state does not name.
result<process> open_monitor(const service_view& v);

// True for the monitor's keeper, as NAME.state (state, of monitor) recorded
// it: a child of the monitor that is not a process of the service.
bool is_keeper(pid_t pid, pid_t monitor, const std::optional<service_state>& state);

// The service's main process: for a supervised service a descendant of the
// monitor that holds the lock (not its keeper), otherwise the recorded pid
// with its recorded start time. Pinned by a pidfd before the check, and
// checked alive after it.
result<process> open_service(const service_view& v);

// The live members of session sid but its leader (from /proc). A sid that
// leads a process group alone (the service of `run` at a terminal: a job in
// the monitor's session) stands for that group: its members are found too.
std::vector<pid_t> session_members(pid_t sid);

// Sends sig to each live member of session sid (not its leader), each pinned
// by a pidfd and checked to be in the session (or group) after that. Returns them.
std::vector<process> signal_session(pid_t sid, int sig);

// SIGKILLs the session's members until none is left or timeout passes
// (false then).
bool kill_session_until_gone(pid_t sid, std::chrono::milliseconds timeout);

}  // namespace daemonkit::supervised_detail
