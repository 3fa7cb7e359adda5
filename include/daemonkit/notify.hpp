// SPDX-License-Identifier: MIT
/// \file
/// The sd_notify protocol, client side: tell a supervisor (systemd, or the
/// daemonkit monitor) about readiness and state.
///
/// Every call is a no-op returning success when NOTIFY_SOCKET is not set, as in
/// systemd's sd_notify(), so a daemon can call these unconditionally.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// Sends state (newline-separated KEY=VALUE assignments) to $NOTIFY_SOCKET:
/// an absolute path, or "@name" for the abstract namespace.
result<void> notify(std::string_view state);

/// Same, to an explicit socket address instead of $NOTIFY_SOCKET.
result<void> notify_to(const std::string& socket_address, std::string_view state);

/// READY=1.
result<void> notify_ready();
/// READY=1 with MAINPID=mainpid (READY=1 alone when mainpid is 0).
result<void> notify_ready(pid_t mainpid);
/// STOPPING=1.
result<void> notify_stopping();
/// RELOADING=1 with MONOTONIC_USEC=now.
result<void> notify_reloading();
/// STATUS=text.
result<void> notify_status(std::string_view text);

}  // namespace daemonkit
DAEMONKIT_API_END
