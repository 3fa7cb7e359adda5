// What a monitor publishes about its service, in NAME.state.
//
// Written atomically (NAME.state.tmp, fsync-free rename: it lives in /run or
// a runtime dir) by the monitor on every transition; read by status/list/
// stop. A missing file is "no state"; a truncated, oversized or hostile one
// is an error that names it, never a state with fields quietly missing.
// The format is "key=value" lines with \n, \0 and \\ escaped (every other
// byte is stored as it is: the text need not be UTF-8), stable on purpose so
// other tools can read it too. Files from before the "format" key (no
// "remaining" either) still read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "daemonkit/result.hpp"

namespace daemonkit {

struct service_state {
  std::string name;
  std::string state;  // starting, running, backoff, stopping, stopped, exited, failed
  pid_t monitor_pid = 0;
  pid_t pid = 0;                      // the service's main pid (0 when none)
  std::uint64_t pid_start_ticks = 0;  // /proc/PID/stat starttime of pid, to recognise it later
  std::int64_t started_at = 0;        // unix time (s) the current instance started
  std::int64_t monitor_started_at = 0;
  unsigned restarts = 0;
  std::string last_exit;    // "exited with status 1", "killed by signal KILL", or empty
  int last_exit_code = -1;  // shell code of the last exit, -1 when none
  std::string status_text;  // the service's last STATUS= message
  std::string command;      // for display
  // Processes of the service still alive after stop sent SIGKILL and waited
  // (uninterruptible sleep, or beyond the monitor's permission): 0 normally.
  unsigned remaining = 0;
};

// However big its inputs, a state file is at most this big: one page, which
// /run (RAM) holds for every service without a second thought.
inline constexpr std::size_t max_state_file_size = 8 * 1024;
// STATUS= text beyond this is cut (with a visible mark).
inline constexpr std::size_t max_status_text_size = 1024;

// s with each text field cut to what a state file holds, on a UTF-8 boundary
// with "…" (an ellipsis) appended so the cut shows: status_text to
// max_status_text_size bytes, command (a display copy of argv, which may be
// megabytes) to 4 KiB once escaped, name, state and last_exit to a few hundred
// bytes. A state within the limits is returned unchanged; bounding twice
// changes nothing more.
service_state bound_service_state(service_state s);

// The file's text for bound_service_state(s): never over max_state_file_size
// bytes, and parse_service_state gives bound_service_state(s) back exactly.
std::string format_service_state(const service_state& s);
// Fails (errc::invalid_argument, saying why) on anything else: over
// max_state_file_size bytes, a last line without its newline or, in a file
// that says "format=2", a missing key (both: a truncated file), a line
// without '=', a number that does not parse, a pid <= 1, no state.
result<service_state> parse_service_state(std::string_view text);

result<void> write_service_state(const std::string& path, const service_state& s);
// nullopt when the file does not exist; an error naming path when it exists
// but cannot be used (a symlink, too large, truncated, malformed).
result<std::optional<service_state>> read_service_state(const std::string& path);

}  // namespace daemonkit
