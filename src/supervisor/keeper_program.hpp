// SPDX-License-Identifier: MIT
// The keeper as a program of its own (daemonkit-keep, tools/keeper/): what the
// monitor prepares before it forks the keeper, the exec, and the drain mode of
// the monitor program that the keeper execs once the monitor is gone.
//
// What crosses the exec (the keeper's argv, tools/keeper/keeper.cpp):
//   daemonkit-keep MONITOR_PIDFD OUT_FD ERR_FD DRAIN_FD daemonkit-monitor --keeper-drain DRAIN_OPTIONS...
// with those fds inherited, 0-2 on /dev/null, and of the environment only
// what the drain's logs read (TZ) and sanitizer options.
#pragma once

#include <string>
#include <vector>

#include "daemonkit/credentials.hpp"
#include "daemonkit/service.hpp"
#include "daemonkit/unique_fd.hpp"

namespace daemonkit::supervisor {

class keeper_exec {
 public:
  keeper_exec() = default;
  keeper_exec(const keeper_exec&) = delete;
  keeper_exec& operator=(const keeper_exec&) = delete;

  // Before the fork: finds daemonkit-keep and daemonkit-monitor beside the
  // running program, opens the monitor program (O_PATH: the keeper later
  // execs this very file, whatever an upgrade puts at its path) and
  // /dev/null, and builds argv and envp. False when either program is not
  // there or cannot be opened: the caller forks a keeper of its own.
  // out_fd/err_fd: the pipes' read ends, -1 when absent.
  bool prepare(int monitor_pidfd, int out_fd, int err_fd, const service_config& cfg, const credentials* service_user);

  // In the forked child (async-signal-safe: allocates nothing): names the
  // process, puts /dev/null on 0-2, keeps only the handed-over fds (now
  // inherited), resets signals and execs daemonkit-keep. Returns only if a
  // step failed.
  void run() const noexcept;

 private:
  std::string keep_path_;
  unique_fd drain_, devnull_;
  int fds_[4] = {-1, -1, -1, -1};  // the monitor's pidfd, the pipes, drain_
  std::vector<std::string> args_, env_;
  std::vector<char*> argv_, envp_;
};

// The main() of `daemonkit-monitor --keeper-drain ...` (monitor_program_main
// hands over): copies the inherited pipes to the logs until every writer is
// gone (drain_to_logs). Returns the exit code: 0, or 2 on bad arguments.
int keeper_drain_main(int argc, char** argv);

}  // namespace daemonkit::supervisor
