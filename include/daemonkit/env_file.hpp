// SPDX-License-Identifier: MIT
/// \file
/// Environment files (`--env-file`), in the format of systemd's EnvironmentFile=.
///
/// The format, one assignment per line:
///
/// \verbatim
/// # comment            ; comment        (blank lines are ignored too)
/// KEY=value            trailing whitespace trimmed; backslashes literal,
/// KEY=a very \         except a backslash that is the last character of
///     long value       the line: the value continues on the next line
/// export KEY=value     an optional leading "export " is ignored
/// KEY='literal $x \n'  single quotes: every byte up to the next ' as is
/// KEY="a \"b\"\n"      double quotes: \" \\ \n (newline) \t (tab) \$ ($);
///                      backslash-newline joins lines; any other backslash
///                      is kept as is ("C:\dir" stays C:\dir)
/// \endverbatim
///
/// Whitespace (spaces, tabs, a `'\r'` before the newline) around the key and
/// before the value is ignored. A quoted value may span lines, and must be
/// followed by nothing but whitespace. Nothing is expanded: "$HOME" stays
/// "$HOME". KEY must match `[A-Za-z_][A-Za-z0-9_]*`.
///
/// Duplicates: the last assignment of a key wins, in the position of the
/// first one, so every key appears once (a duplicate in an environment array
/// is an ambiguity: getenv() sees the first, a shell the last).
///
/// Limits, so a hostile or mistaken file cannot exhaust memory: a NUL byte
/// anywhere, a physical line over 1 MiB, or content over 16 MiB is an error.
///
/// Errors are errc::invalid_argument, whose message names the line:
/// "line 3: invalid variable name '1X'".
/// Both functions are pure apart from read_env_file's read, thread-safe, and
/// allocate: call them before fork, never in a forked child.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemonkit/credentials.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// The longest physical line an env file may have (1 MiB).
inline constexpr std::size_t env_file_max_line = std::size_t{1} << 20;
/// The most an env file may hold (16 MiB).
inline constexpr std::size_t env_file_max_size = std::size_t{16} << 20;

/// Parses env-file content into "KEY=VALUE" strings in file order (see the
/// duplicate rule above). Error messages: "line N: NUL byte",
/// "line N: line longer than 1048576 bytes", "line N: invalid variable name 'X'",
/// "line N: expected KEY=VALUE", "line N: unterminated single quote" (N is the
/// line where the quote opened), "line N: unexpected text after closing quote",
/// "env file larger than 16777216 bytes". Quoted names are cut at 64 bytes and
/// non-printable bytes shown as `\xNN`.
result<std::vector<std::string>> parse_env_file(std::string_view content);

/// Reads path and parses it. Refuses anything but a regular file (after
/// following symlinks; a FIFO is refused without blocking) and files over
/// 16 MiB, before reading them.
///
/// Run as root, it reads path the way root reads any file for a service
/// (see the threat model, docs/SECURITY.md): the symlinks on the way are
/// resolved by hand, and a directory or file another user controls is
/// refused, except what service_user owns, which is read with
/// service_user's credentials, so the service cannot be handed a file only
/// root may read.
///
/// \param path         the env file.
/// \param service_user the user the service runs as, or null (the caller).
/// \return the assignments, as parse_env_file gives them. Errors:
///   "cannot read env file PATH: No such file or directory" (system errors),
///   "cannot read env file PATH: not a regular file",
///   "cannot read env file PATH: larger than 16777216 bytes",
///   "cannot read env file PATH: ..." (an untrusted path, saying why),
///   "env file PATH: line 3: invalid variable name '1X'" (parse errors).
result<std::vector<std::string>> read_env_file(const std::string& path, const credentials* service_user = nullptr);

}  // namespace daemonkit
DAEMONKIT_API_END
