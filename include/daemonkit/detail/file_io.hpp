// SPDX-License-Identifier: MIT
// Small files written atomically and read defensively (state and option files).
// Not API (include/daemonkit/detail/): a helper of the library and the daemonkit
// tool, exported but free to change in any release.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <sys/types.h>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

// Writes content to path.tmp (O_NOFOLLOW, mode), then renames it over path:
// readers see the old file or the new one, never a partial one.
result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode = 0600);

// The same in a directory the caller opened (and checked): a fresh
// temporary file ".NAME.tmp" beside NAME (O_EXCL | O_NOFOLLOW), written and
// fsynced, renamed over NAME, then the directory fsynced, so a crash leaves
// the old file or the new one. dir_path only names the directory in errors.
result<void> write_file_atomic_at(int dir_fd, const std::string& dir_path, const std::string& name,
                                  std::string_view content, mode_t mode);

// Reads a regular file of at most max_size bytes, refusing symlinks and
// other file types. nullopt when it does not exist. Errors name the file.
result<std::optional<std::string>> read_small_file(const std::string& path, std::size_t max_size);
// The same for NAME in the directory dir_fd (O_NOFOLLOW: a symlink there is
// refused, never followed); dir_path only names it in errors.
result<std::optional<std::string>> read_small_file_at(int dir_fd, const std::string& dir_path, const std::string& name,
                                                      std::size_t max_size);

}  // namespace daemonkit
DAEMONKIT_API_END
