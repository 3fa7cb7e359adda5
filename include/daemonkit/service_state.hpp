// What a monitor publishes about its service, in NAME.state.
//
// Written atomically (NAME.state.tmp, fsync-free rename: it lives in /run or
// a runtime dir) by the monitor on every transition; read by status/list/
// stop, which treat a missing, truncated or hostile file as "no state".
// The format is "key=value" lines with \n and \\ escaped, stable on purpose
// so other tools can read it too.
#pragma once

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

std::string format_service_state(const service_state& s);
// Fails (errc::invalid_argument) on unknown structure: a line without '=',
// a number that does not parse, a pid <= 1, over 64 KiB of input.
result<service_state> parse_service_state(std::string_view text);

result<void> write_service_state(const std::string& path, const service_state& s);
// nullopt when the file does not exist; an error when it exists but is bad.
result<std::optional<service_state>> read_service_state(const std::string& path);

}  // namespace daemonkit
