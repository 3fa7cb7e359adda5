// SPDX-License-Identifier: MIT
// Which processes belong to the supervised service, in one place.
//
// The monitor is a child subreaper, so the service's tree is everything below
// the monitor but the monitor's own keeper (service_output.hpp): processes
// that leave the service's session or process group (setsid, double fork)
// still come back below it. Every question about membership (is this sender
// or MAINPID one of ours? is anything left? signal them all) goes through
// this class, so another way to track a service (a cgroup) replaces this
// file alone.
#pragma once

#include <optional>
#include <sys/types.h>

#include "daemonkit/exit_status.hpp"
#include "daemonkit/process.hpp"

namespace daemonkit::supervisor {

// Sends sig to the service's main process, then SIGCONT if it is stopped
// (SIGSTOP) and sig is one it would otherwise sit on (not KILL, CONT, STOP).
result<void> signal_main(const process& main, int sig);

class service_tree {
 public:
  // group: signal() reaches every process of the tree; otherwise only the
  // main process (kill mode "process").
  explicit service_tree(bool group) : group_(group) {}

  // The keeper descends from the monitor but is not the service's.
  void set_keeper(pid_t pid) noexcept { keeper_ = pid; }
  pid_t keeper() const noexcept { return keeper_; }

  // True when pid is a process of the service: below the monitor, and
  // neither the monitor nor its keeper.
  bool contains(pid_t pid) const;

  // True when no process of the service is left. A process's children are
  // reparented to the monitor before their parent's death is reported, so
  // this reads the monitor's children only, not the whole tree.
  bool empty() const;

  // In group mode sends sig once to every other process of the tree
  // (linear: signal_descendants), then to main (when it is alive; last, see
  // the .cpp); those stopped get SIGCONT after it, as signal_main() does.
  // Returns the live processes it found: those of the tree, or in process
  // mode main alone.
  tree_signal_report signal(const process& main, int sig) const;

  // sig to the whole process group of main at once, as `tini -g` does
  // (`daemonkit run --signal-group`): kill(-pgid), when the group's leader is
  // a child of the monitor (main as spawned, normally). Otherwise, or when
  // the group is the monitor's own, to main alone.
  result<void> signal_group(const process& main, int sig) const;

  // Reaps every child that has exited but `spare` (a child someone else
  // reaps through its pidfd). Returns main's status when main was among
  // them; forgets the keeper when it was.
  std::optional<exit_status> reap(pid_t main, pid_t spare = 0);

 private:
  bool group_;
  pid_t keeper_ = 0;
};

}  // namespace daemonkit::supervisor
