// SPDX-License-Identifier: MIT
// One step of `daemonkit up`: what to do with one service name of the file
// (start, restart, leave alone, refuse), decided from its stored options,
// and the worker that does it: this program executed again as
// `daemonkit __up-step` (up_worker.cpp) by the scheduler (cmd_up.cpp).
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

#include "cli.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/unique_fd.hpp"
#include "services_file.hpp"

namespace dk {

struct up_step {
  enum class action { start, restart, keep, refuse };
  std::string name;
  const file_service* service = nullptr;
  action what = action::start;
  std::vector<std::string> changed;  // restart: the keys that differ
  bool completed = false;            // keep: a oneshot that already completed, unchanged
  std::string note;                  // refuse: why
  pid_t planned_monitor = 0;         // the monitor running it when planned (restart, keep)

  // The scheduler's bookkeeping.
  enum class progress { waiting, working, done, failed };
  progress state = progress::waiting;
  daemonkit::process worker;
  daemonkit::unique_fd output;
  std::string text;  // what the worker said

  // "env.PORT, command": the changed keys, for people.
  std::string changed_text() const;
};

// What up does with service name `name` of s, given what the state
// directory says about it.
up_step plan_step(const services_file& f, const file_service& s, const std::string& name, const std::string& dir);

// The worker's job: does the step, then waits (when `healthy`) until the
// service is healthy, or (a oneshot) until it has completed. Prints the
// outcome; returns the exit code.
int run_step(const common_options& o, const services_file& f, const std::string& dir, const up_step& u, bool healthy);

// The file's text in a sealed memfd (close-on-exec), for every worker.
daemonkit::result<daemonkit::unique_fd> services_file_memfd(const services_file& f);

// Starts this program again (/proc/self/exe) with args, in this session,
// its stdout and stderr on output_fd, and file_fd (unless -1) as its fd 3.
daemonkit::result<daemonkit::process> spawn_self(std::vector<std::string> args, int output_fd, int file_fd);

// Starts the worker of u: `daemonkit __up-step` with file_fd (the memfd) as
// its fd 3, its stdout and stderr on output_fd.
daemonkit::result<daemonkit::process> spawn_worker(const common_options& o, const services_file& f, int file_fd,
                                                   const std::string& dir, const up_step& u, bool healthy,
                                                   int output_fd);

// main() of `daemonkit __up-step FILE NAME ACTION COMPLETED HEALTHY DIR
// STATE_DIR LOG_DIR [CHANGED...]` (argv from FILE on): rebuilds the step
// from the memfd on fd 3 and runs it.
int up_step_main(int argc, char** argv);

// main() of `daemonkit __down-step NAME DIR FILE`: stops service NAME of
// state directory DIR if it was started from FILE, and says so.
int down_step_main(int argc, char** argv);

}  // namespace dk
