// SPDX-License-Identifier: MIT
/// \file
/// Spawning a program: fork + exec with everything prepared before the fork.
///
/// The parent builds a spawn_plan (argv, envp, fds, identity, limits) into
/// plain arrays; the child only runs async-signal-safe steps on that data
/// (src/sys/child_exec.cpp) and ends in execve or _exit. A close-on-exec error
/// pipe reports which step failed and why: 126 means setup failed, 127 means
/// exec failed, and EOF on the pipe means execve succeeded. The child gets
/// exactly the fds the plan lists (0-2 and the mapped ones); everything else,
/// including fds at 1024 and above, is closed with close_range. All signal
/// dispositions are reset to SIG_DFL and the mask is emptied.
///
/// The child leads a session of its own (new_session, the default: no
/// controlling terminal, and every process it starts stays in that session),
/// or a process group of its own in the caller's session, optionally made the
/// foreground group of the caller's terminal, as a shell starts a job: what
/// `daemonkit run` does at a terminal, so that ^C, ^\ and window size changes
/// reach the service and an interactive program can read the terminal.
#pragma once

#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "daemonkit/credentials.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// The PATH of a clean environment (daemonize's env_policy::clean, the tool's
/// `--clear-env`), and where spawn searches for a program without '/' when the
/// child's environment has no PATH. No "." and no writable directory.
inline constexpr std::string_view default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One resource limit to set in the child (setrlimit).
struct rlimit_setting {
  int resource = 0;  ///< RLIMIT_*
  rlimit value{};    ///< the soft (rlim_cur) and hard (rlim_max) limits

  /// Equal when the resource and both limits are.
  friend bool operator==(const rlimit_setting& a, const rlimit_setting& b) noexcept {
    return a.resource == b.resource && a.value.rlim_cur == b.value.rlim_cur && a.value.rlim_max == b.value.rlim_max;
  }
};

/// Parses a limit as `--rlimit` takes it: "nofile=65536", "core=unlimited",
/// "nofile=1024:4096" (soft:hard).
result<rlimit_setting> parse_rlimit(std::string_view text);

/// The text parse_rlimit reads back as the same setting, in one spelling:
/// "nofile=65536" when soft and hard are equal, else "nofile=1024:4096";
/// "unlimited" for RLIM_INFINITY (so "core=infinity" comes back as
/// "core=unlimited"). A resource parse_rlimit does not name gives "?=...".
std::string format_rlimit(const rlimit_setting& setting);

/// What spawn() starts, and how the child is set up before the exec.
struct spawn_options {
  std::vector<std::string> argv;        ///< argv[0] is the program; searched in PATH if it has no '/'
  std::vector<std::string> env;         ///< KEY=VALUE, the child's whole environment
  std::string working_directory = "/";  ///< the child's working directory
  int umask = 022;                      ///< -1: keep
  std::string chroot;                   ///< empty: none
  bool change_identity = false;         ///< switch to identity (setgroups, setgid, setuid)
  credentials identity;                 ///< used when change_identity
  int nice = 0;                         ///< added with setpriority when non-zero
  std::vector<rlimit_setting> rlimits;  ///< set in the child, in order
  bool new_session = true;              ///< setsid(): the child leads its own session and process group
  /// Signals the caller ignores stay ignored in the child (as under nohup);
  /// by default every signal is reset to its default action.
  bool keep_ignored_signals = false;
  bool new_process_group = false;  ///< without new_session: setpgid(0, 0), a group of its own
  /// With new_process_group: an fd on the caller's controlling terminal, whose
  /// foreground process group the child's group becomes (tcsetpgrp, SIGTTOU
  /// blocked); -1: none.
  int foreground_terminal = -1;
  int stdin_fd = -1;                           ///< -1: /dev/null
  int stdout_fd = -1;                          ///< -1: inherit the caller's
  int stderr_fd = -1;                          ///< -1: inherit the caller's
  std::vector<std::pair<int, int>> extra_fds;  ///< {source fd in parent, fd number in child}
};

/// The step of spawn that failed. none: spawn failed in the parent, before
/// or at the fork (a bad option, no pipe, no fork); every other one is a step
/// the child took between fork and exec, in this order.
enum class spawn_stage {
  none,           ///< in the parent, before or at the fork
  setsid,         ///< creating the new session
  process_group,  ///< creating the new process group (setpgid)
  terminal,       ///< making it the terminal's foreground group (tcsetpgrp)
  stdio,          ///< setting up fds 0-2
  fds,            ///< passing extra_fds
  rlimit,         ///< setting a resource limit
  nice,           ///< setting the nice value
  chroot,         ///< chroot
  chdir,          ///< changing to working_directory
  identity,       ///< switching to the user and groups
  umask,          ///< setting the umask
  exec            ///< execve itself: not found, not executable...
};

/// Why a spawn failed, as the child reported it over the error pipe.
struct spawn_failure {
  spawn_stage stage = spawn_stage::none;  ///< the step that failed
  int err = 0;                            ///< errno
};

/// Starts the program. The returned process is our child, with a pidfd.
/// Errors: preparation (bad option) in the parent; "cannot execute 'x': No
/// such file or directory" (exec failed) or "cannot change directory to /x:
/// ..." (setup failed) from the child, after reaping it. Which step failed is
/// in the error itself (spawn_failure_of), not only in its text.
result<process> spawn(const spawn_options& options);

/// The failure an error from spawn() describes: the child's step and its
/// errno. For an error from the parent's side (or one not from spawn) the
/// stage is spawn_stage::none and err the errno, if it is a system error.
spawn_failure spawn_failure_of(const error& e) noexcept;

/// The exit code a shell gives for the failure: 127 when the program could
/// not be executed (spawn_stage::exec: not found, not executable), 126 when
/// anything before it failed (setting up the child, or spawn itself).
int shell_code(const spawn_failure& f) noexcept;

}  // namespace daemonkit
DAEMONKIT_API_END
