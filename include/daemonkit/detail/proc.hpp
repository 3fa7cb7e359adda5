// SPDX-License-Identifier: MIT
// Reading /proc: what a process is, and which processes descend from another.
// Not API (include/daemonkit/detail/): a helper of the library and the daemonkit
// tool, exported but free to change in any release.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "daemonkit/export.hpp"

DAEMONKIT_API_BEGIN
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

// The same with each process's stat, read once: one pass down the children
// lists (/proc/PID/task/TID/children) or, for init (the whole machine) and
// on kernels without them, one pass over /proc. Linear in the processes
// read, however deep or wide the tree. Each stat is read at a slightly
// different moment: a process that exits during the pass may be missing,
// one forked during it may be missing too, and so may one whose sibling
// was reaped during the read of their parent's list (walk again to be sure).
std::vector<proc_stat> list_descendant_stats(pid_t ancestor);

// The direct children of parent (zombies included), with their stat.
// Cheaper than list_descendant_stats where the kernel lists children.
std::vector<proc_stat> list_children(pid_t parent);

// True if pid's parent chain reaches ancestor (pid != ancestor), read from
// /proc/PID/stat upwards: O(depth), independent of the number of processes.
// Like every read of /proc, the answer is about the process that holds pid
// right now: pin it with a pidfd first, and check it is still alive after.
bool is_descendant(pid_t pid, pid_t ancestor);

// Seconds since boot (CLOCK_BOOTTIME) and the clock tick rate, to turn
// start_ticks into an age.
double uptime_seconds_of(const proc_stat& st);

// The boot clock (CLOCK_BOOTTIME) now, in the unit of start_ticks: a process
// forked after this call has start_ticks >= the value returned.
std::uint64_t boot_clock_ticks();

}  // namespace daemonkit
DAEMONKIT_API_END
