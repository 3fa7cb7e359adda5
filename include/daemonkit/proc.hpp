// Reading /proc: what a process is, and which processes descend from another.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace daemonkit {

struct proc_stat {
  pid_t pid = 0;
  char state = '?';
  pid_t ppid = 0;
  pid_t pgid = 0;
  pid_t sid = 0;
  std::uint64_t start_ticks = 0;  // field 22: start time in clock ticks since boot (identity across pid reuse)
};

// Parses the content of /proc/PID/stat (the comm field may hold spaces and
// parentheses). nullopt on malformed input.
std::optional<proc_stat> parse_proc_stat(std::string_view text);

// Reads /proc/PID/stat; nullopt if the process does not exist (or vanished).
std::optional<proc_stat> read_proc_stat(pid_t pid);

// Every live process whose parent chain reaches ancestor (ancestor excluded),
// from one scan of /proc. Zombies are included (they still hold their pid).
std::vector<pid_t> list_descendants(pid_t ancestor);

// Seconds since boot (CLOCK_BOOTTIME) and the clock tick rate, to turn
// start_ticks into an age.
double uptime_seconds_of(const proc_stat& st);

}  // namespace daemonkit
