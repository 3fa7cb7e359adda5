// SPDX-License-Identifier: MIT
// The TOML that `daemonkit import` writes (import_file.hpp), and the service
// names in it. Whatever the imported file held, the output must be valid
// TOML that daemonkit reads back exactly, and safe to show on a terminal:
// strings are escaped, comments hold escaped text only, and every service
// name is a valid daemonkit name without '@' (which names instances).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace dk::import_detail {

// s as a TOML basic string (quotes, backslashes, control characters and the
// Unicode controls that would reorder a terminal's line escaped); nullopt
// when s is not UTF-8 (TOML holds text only).
std::optional<std::string> toml_string(std::string_view s);
// A key: bare when it can be, else quoted; nullopt when it is not UTF-8.
std::optional<std::string> toml_key(std::string_view k);
// "# text": one line, valid UTF-8, nothing that drives a terminal.
std::string comment(std::string_view text);
// "50M", "10K", or the bytes as a TOML integer.
std::string toml_size(long long bytes);

// 1-64 of A-Za-z0-9._-, not starting with '.': every other character
// becomes '-'.
std::string daemonkit_name(std::string_view wanted);
// A name no other service has: NAME, else NAME-2, NAME-3, ...
std::string unique_name(const std::string& name, const std::set<std::string>& taken);

}  // namespace dk::import_detail
