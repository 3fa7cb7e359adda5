// SPDX-License-Identifier: MIT
// The one check a monitor runs at a time: a readiness try (--ready CHECK) or
// a health check (--health CHECK), as a probe (probe.hpp) the poll loop
// drives through one fd and one deadline. The machine decides when a try
// starts and what its verdict means; this holds the try in between.
#pragma once

#include <chrono>
#include <optional>
#include <sys/types.h>

#include "daemonkit/check.hpp"
#include "supervisor/machine.hpp"
#include "supervisor/probe.hpp"

namespace daemonkit::supervisor {

class service_checks {
 public:
  // Starts a try of spec, due within timeout. Returns its verdict at once
  // when it cannot even start (as a failed try).
  std::optional<event> start(const check_spec& spec, const probe_context& ctx, std::chrono::milliseconds timeout);

  // For the poll loop: -1 / nullopt when no try runs.
  int fd() const { return probe_ ? probe_->fd() : -1; }
  short events() const { return probe_ ? probe_->events() : static_cast<short>(0); }
  std::optional<clock::time_point> deadline() const { return probe_ ? probe_->deadline() : std::nullopt; }

  // After poll: the try's verdict once it has one.
  std::optional<event> advance(bool fd_ready);
  // Ends a try the machine no longer waits for (its phase was left).
  void cancel();
  bool running() const { return probe_.has_value(); }
  // A cmd try's shell, which the monitor's catch-all reaper must leave to
  // the probe (0 when none).
  pid_t child_pid() const { return probe_ ? probe_->child_pid() : 0; }

 private:
  std::optional<probe> probe_;
};

}  // namespace daemonkit::supervisor
