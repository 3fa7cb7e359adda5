// SPDX-License-Identifier: MIT
/// \file
/// Signal names both ways: "TERM", "SIGTERM", "term" and "15" all parse.
#pragma once

#include <string>
#include <string_view>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// Returns the signal number; errc::invalid_argument for anything that is not
/// a signal this system has (including 0 and real-time signals out of range).
result<int> parse_signal(std::string_view text);

/// "TERM" for SIGTERM, "RTMIN+3" for real-time signals, the number otherwise.
std::string signal_name(int sig);

}  // namespace daemonkit
DAEMONKIT_API_END
