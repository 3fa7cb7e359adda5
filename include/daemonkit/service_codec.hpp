// SPDX-License-Identifier: MIT
/// \file
/// The stored options of a service (NAME.json): one codec for every program
/// that writes or reads them (the daemonkit tool, restart, status, logs, and a
/// program supervising services with the library alone).
///
/// The format is versioned JSON. Texts that are not UTF-8 (argv, the
/// environment and paths are bytes) are stored as {"base64": "..."}, so every
/// service_config reads back exactly as it was written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// \name Mode names
/// The names of the modes, as NAME.json and the command line spell them. One
/// table per enum, read in both directions, so a name cannot be spelled two
/// ways. The names are part of the on-disk contract: they never change
/// meaning. parse_* returns nullopt for any other text.
///@{

/// "exec", "notify", "fd", "check", "pidfile".
std::string_view to_string(ready_mode m) noexcept;
/// "group", "process", "mixed".
std::string_view to_string(kill_mode m) noexcept;
/// "never", "always", "on-failure".
std::string_view to_string(respawn_mode m) noexcept;
/// The ready_mode to_string names name; nullopt for any other text.
std::optional<ready_mode> parse_ready_mode(std::string_view name) noexcept;
/// The kill_mode to_string names name; nullopt for any other text.
std::optional<kill_mode> parse_kill_mode(std::string_view name) noexcept;
/// The respawn_mode to_string names name; nullopt for any other text.
std::optional<respawn_mode> parse_respawn_mode(std::string_view name) noexcept;
///@}

/// NAME.json's text for c: pretty-printed JSON ending in a newline.
std::string service_config_to_json(const service_config& c);

/// Reads NAME.json's text. Rejects anything that does not describe a service
/// (not JSON, wrong types, numbers out of range or not integers, NUL bytes in
/// strings, missing argv, unknown mode names) with errc::invalid_argument and
/// a context naming the field: "field 'stop_signal': out of range". Absent
/// fields keep service_config's defaults.
result<service_config> service_config_from_json(std::string_view text);

/// Writes c to path atomically (path.tmp, then rename), mode 0600; a file
/// that already holds exactly that text is left as it is.
result<void> write_service_config(const std::string& path, const service_config& c);

/// Reads path (a regular file, not a symlink, at most 4 MiB).
/// Errors: errc::not_running "no such service (no PATH)" when the file does
/// not exist; errc::invalid_argument "invalid PATH: field '...': ..." when it
/// does not parse; a system error naming the file when it cannot be read.
result<service_config> read_service_config(const std::string& path);

}  // namespace daemonkit
DAEMONKIT_API_END
