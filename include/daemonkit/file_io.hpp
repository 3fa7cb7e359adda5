// Small files written atomically and read defensively (state and option files).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <sys/types.h>

#include "daemonkit/result.hpp"

namespace daemonkit {

// Writes content to path.tmp (O_NOFOLLOW, mode), then renames it over path:
// readers see the old file or the new one, never a partial one.
result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode = 0600);

// Reads a regular file of at most max_size bytes, refusing symlinks and
// other file types. nullopt when it does not exist. Errors name the file.
result<std::optional<std::string>> read_small_file(const std::string& path, std::size_t max_size);

}  // namespace daemonkit
