// SPDX-License-Identifier: MIT
// The sd_notify datagram, server side: what a service told its supervisor.
// Not API (include/daemonkit/detail/): a helper of the library and the daemonkit
// tool, exported but free to change in any release.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "daemonkit/export.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

struct notify_message {
  bool ready = false;                                // READY=1
  bool stopping = false;                             // STOPPING=1
  bool reloading = false;                            // RELOADING=1
  bool watchdog = false;                             // WATCHDOG=1 (accepted, not acted on)
  std::optional<std::string> status;                 // STATUS=... (at most max_status_text bytes)
  std::optional<int> errno_value;                    // ERRNO=N
  std::optional<pid_t> mainpid;                      // MAINPID=N (> 1)
  std::optional<std::uint64_t> extend_timeout_usec;  // EXTEND_TIMEOUT_USEC=N
};

// The most bytes of status text a service can make its supervisor keep and
// publish, however it is built (STATUS= replaces it, cut where a UTF-8
// character starts; ERRNO= appends to it only what fits whole).
inline constexpr std::size_t max_status_text = 1024;

// Parses newline-separated KEY=VALUE assignments. Unknown keys and malformed
// lines are ignored, as systemd does; values that should be numbers but are
// not are dropped. Never fails.
notify_message parse_notify_message(std::string_view datagram);

}  // namespace daemonkit
DAEMONKIT_API_END
