// SPDX-License-Identifier: MIT
/// \file
/// Durations and sizes as people write them on a command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// Parses a duration: "500ms", "10s", "2m", "1h", "1d", "1.5s"; a plain
/// number is seconds. Negative, empty, unknown units and overflow are
/// errc::invalid_argument.
result<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Parses a size: "512", "512K", "10M", "1G" (also "KB"/"KiB"; powers of
/// 1024); a plain number is bytes.
result<std::uint64_t> parse_size(std::string_view text);

/// Parses an octal umask: "022", "0077", "7"; at most 0777.
result<mode_t> parse_umask(std::string_view text);

/// "2h13m", "45s", "3d4h": the two largest units, for uptimes.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace daemonkit
DAEMONKIT_API_END
