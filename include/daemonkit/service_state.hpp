// SPDX-License-Identifier: MIT
/// \file
/// What a monitor publishes about its service, in NAME.state.
///
/// Written atomically (NAME.state.tmp, fsync-free rename: it lives in /run or
/// a runtime dir) by the monitor on every transition; read by status/list/
/// stop. A missing file is "no state"; a truncated, oversized or hostile one
/// is an error that names it, never a state with fields quietly missing.
/// The format is "key=value" lines with `\n`, `\0` and `\\` escaped (every other
/// byte is stored as it is: the text need not be UTF-8), stable on purpose so
/// other tools can read it too. Files from before the "format" key (no
/// "remaining" either) still read, and so do format-2 files without the keys
/// added since ("keeper_pid"). A "state" word that is not a service_phase is
/// an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service_phase.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// What a monitor publishes about its service, field by field as NAME.state
/// stores it.
struct service_state {
  std::string name;                               ///< the service's name
  service_phase phase = service_phase::starting;  ///< the "state" key, as its word
  pid_t monitor_pid = 0;                          ///< the monitor (the pidfile's lock holder)
  /// The monitor's keeper (it holds the output pipes should the monitor die):
  /// a descendant of the monitor that is not a process of the service. 0 when
  /// there is none, or the file is from before the "keeper_pid" key.
  pid_t keeper_pid = 0;
  pid_t pid = 0;                        ///< the service's main pid (0 when none)
  std::uint64_t pid_start_ticks = 0;    ///< /proc/PID/stat starttime of pid, to recognise it later
  std::int64_t started_at = 0;          ///< unix time (s) the current instance started
  std::int64_t monitor_started_at = 0;  ///< unix time (s) the monitor started
  /// The boot clock when the monitor wrote this state, in the unit of
  /// /proc/PID/stat starttime (clock ticks since boot). Unlike the file's
  /// mtime it does not move when the wall clock is stepped, so it dates the
  /// instance forked right after a "starting" state. 0 in older files. (Not a
  /// format-2 key.)
  std::uint64_t written_ticks = 0;
  unsigned restarts = 0;    ///< how often the service was started again
  std::string last_exit;    ///< "exited with status 1", "killed by signal KILL", or empty
  int last_exit_code = -1;  ///< shell code of the last exit, -1 when none
  std::string status_text;  ///< the service's last STATUS= message
  std::string command;      ///< for display
  /// Processes of the service still alive after stop sent SIGKILL and waited
  /// (uninterruptible sleep, or beyond the monitor's permission): 0 normally.
  unsigned remaining = 0;
  /// The last stop asked for had to send SIGKILL: the service was still
  /// running at the stop timeout. (Not a format-2 key: false when absent.)
  bool escalated = false;
  /// What `--health` checks say (none without them). Not a format-2 key.
  service_health health = service_health::none;
};

/// However big its inputs, a state file is at most this big: one page, which
/// /run (RAM) holds for every service without a second thought.
inline constexpr std::size_t max_state_file_size = 8 * 1024;
/// STATUS= text beyond this is cut (with a visible mark).
inline constexpr std::size_t max_status_text_size = 1024;

/// s with each text field cut to what a state file holds, on a UTF-8 boundary
/// with "…" (an ellipsis) appended so the cut shows: status_text to
/// max_status_text_size bytes, command (a display copy of argv, which may be
/// megabytes) to 4 KiB once escaped, name and last_exit to a few hundred
/// bytes. A state within the limits is returned unchanged; bounding twice
/// changes nothing more.
service_state bound_service_state(service_state s);

/// The file's text for bound_service_state(s): never over max_state_file_size
/// bytes, and parse_service_state gives bound_service_state(s) back exactly.
std::string format_service_state(const service_state& s);
/// Parses what format_service_state writes (and the older formats, see the
/// file's description). Fails (errc::invalid_argument, saying why) on anything
/// else: over
/// max_state_file_size bytes, a last line without its newline or, in a file
/// that says "format=2", a missing key (both: a truncated file), a line
/// without '=', a number that does not parse, a pid <= 1 (but monitor_pid 1:
/// `daemonkit run` as a container's init), no state.
result<service_state> parse_service_state(std::string_view text);

/// Writes format_service_state(s) to path atomically (path.tmp, then
/// rename), mode 0600.
result<void> write_service_state(const std::string& path, const service_state& s);
/// nullopt when the file does not exist; an error naming path when it exists
/// but cannot be used (a symlink, too large, truncated, malformed).
result<std::optional<service_state>> read_service_state(const std::string& path);

}  // namespace daemonkit
DAEMONKIT_API_END
