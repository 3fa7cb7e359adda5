// SPDX-License-Identifier: MIT
/// \file
/// Reading a service's log the way `tail -n N` and `tail -F` do.
///
/// A symlink where a log (or one of its generations) should be is never
/// followed (O_NOFOLLOW): logs are written without following symlinks, so one
/// found there was planted, maybe to make root print a file it may not read.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// The last n lines of path (all of it when shorter), reading backwards in
/// blocks so a huge log costs only what is printed.
result<std::string> read_last_lines(const std::string& path, std::size_t n);

/// Calls sink with everything appended to path after offset `from` (use the
/// file's size to follow only new data), until sink returns false. Follows
/// rotation (the file renamed and recreated) and truncation (copytruncate),
/// waiting on inotify events, never polling.
///
/// \param path  the log file.
/// \param from  where to start reading, as an offset into the file.
/// \param sink  receives the new bytes as they arrive; returning false ends
///              the call.
/// \param inode when not 0, names the file `from` refers to (as the caller
///              saw it with stat): if path was rotated away in the meantime,
///              following starts in that file, wherever rotation moved it
///              (path.K), instead of at `from` in a newer file.
/// \return success once sink returned false; an error ("cannot watch log
///         PATH: ...") when inotify or poll fails.
result<void> follow_file(const std::string& path, std::uint64_t from, const std::function<bool(std::string_view)>& sink,
                         std::uint64_t inode = 0);

}  // namespace daemonkit
DAEMONKIT_API_END
