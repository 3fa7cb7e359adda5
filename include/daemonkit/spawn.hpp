// Spawning a program: fork + exec with everything prepared before the fork.
//
// The parent builds a spawn_plan (argv, envp, fds, identity, limits) into
// plain arrays; the child only runs async-signal-safe steps on that data
// (src/sys/child_exec.cpp) and ends in execve or _exit. A close-on-exec error
// pipe reports which step failed and why: 126 means setup failed, 127 means
// exec failed, and EOF on the pipe means execve succeeded. The child gets
// exactly the fds the plan lists (0-2 and the mapped ones); everything else,
// including fds at 1024 and above, is closed with close_range. All signal
// dispositions are reset to SIG_DFL and the mask is emptied.
#pragma once

#include <string>
#include <sys/resource.h>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "daemonkit/credentials.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/result.hpp"

namespace daemonkit {

struct rlimit_setting {
  int resource = 0;  // RLIMIT_*
  struct rlimit value {};
};

// "nofile=65536", "core=unlimited", "nofile=1024:4096" (soft:hard).
result<rlimit_setting> parse_rlimit(std::string_view text);

struct spawn_options {
  std::vector<std::string> argv;  // argv[0] is the program; searched in PATH if it has no '/'
  std::vector<std::string> env;   // KEY=VALUE, the child's whole environment
  std::string working_directory = "/";
  int umask = 022;     // -1: keep
  std::string chroot;  // empty: none
  bool change_identity = false;
  credentials identity;  // used when change_identity
  int nice = 0;          // added with setpriority when non-zero
  std::vector<rlimit_setting> rlimits;
  bool new_session = true;                     // setsid(): the child leads its own session and process group
  int stdin_fd = -1;                           // -1: /dev/null
  int stdout_fd = -1;                          // -1: inherit the caller's
  int stderr_fd = -1;                          // -1: inherit the caller's
  std::vector<std::pair<int, int>> extra_fds;  // {source fd in parent, fd number in child}
};

// Why a spawn failed in the child, as reported over the error pipe.
struct spawn_failure {
  int stage = 0;  // which step (see spawn_stage_name)
  int err = 0;    // errno
};

// Starts the program. The returned process is our child, with a pidfd.
// Errors: preparation (bad option) in the parent; "cannot execute 'x': No
// such file or directory" (exec failed) or "cannot change directory to /x:
// ..." (setup failed) from the child, after reaping it.
result<process> spawn(const spawn_options& options);

}  // namespace daemonkit
