// SPDX-License-Identifier: MIT
/// \file
/// A process identified by its pidfd, so a recycled pid is never hit.
///
/// The pid travels with the pidfd opened on it: every signal goes through
/// pidfd_send_signal and every wait polls the pidfd, so once a process object
/// exists it can only ever refer to that one process.
#pragma once

#include <chrono>
#include <optional>
#include <sys/types.h>
#include <vector>

#include "daemonkit/exit_status.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// A process and the pidfd that pins it; move-only (the pidfd is a
/// unique_fd).
class process {
 public:
  /// No process (valid() is false).
  process() = default;
  /// pid with the pidfd already opened on it (taken over).
  process(pid_t pid, unique_fd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}

  /// Opens a pidfd on pid. Refuses pid <= 1 (errc::invalid_argument): nothing
  /// in daemonkit ever signals init through a pid, nor a process group (but
  /// for `run --signal-group`, which signals a group whose leader is the
  /// monitor's own child: its id cannot be recycled before the monitor reaps it).
  static result<process> open(pid_t pid);
  /// As open(), but pid 1 too: for a monitor that is `daemonkit run` as the
  /// init of a PID namespace (a container), seen from inside it. Only for a
  /// pid checked to hold a service's lock, with NAME.state naming it.
  static result<process> open_monitor(pid_t pid);

  /// The pid (0 when none).
  pid_t pid() const noexcept { return pid_; }
  /// The pidfd (-1 when none); still owned by this object.
  int pidfd() const noexcept { return pidfd_.get(); }
  /// True when a pidfd is held.
  bool valid() const noexcept { return pidfd_.valid(); }

  /// Sends sig. An already-exited (zombie or reaped) process is not an error.
  result<void> signal(int sig) const;
  /// Sends sig carrying an int, as sigqueue() does (si_code SI_QUEUE); a
  /// receiver reading a signalfd finds it in ssi_int.
  result<void> signal_with_value(int sig, int value) const;
  /// True once the process has exited (its pidfd is readable), without waiting.
  bool exited() const;
  /// Waits until the process exits or timeout passes (nullopt: forever).
  /// Returns true if it exited.
  result<bool> wait_exit(std::optional<std::chrono::milliseconds> timeout) const;
  /// Reaps our own child (waitid on the pidfd); blocks until it exits.
  result<exit_status> reap() const;
  /// Reaps if it has exited; nullopt if still running.
  result<std::optional<exit_status>> try_reap() const;

 private:
  pid_t pid_ = 0;
  unique_fd pidfd_;
};

/// What signal_descendants found and did.
struct tree_signal_report {
  std::vector<pid_t> live;     ///< members alive when pinned, signalled (or refused)
  std::vector<pid_t> refused;  ///< members the signal could not reach (EPERM: another user's process)
};

/// Sends sig once to every live descendant of ancestor except those in spare
/// (say, a helper of the ancestor's own), in time linear in the size of the
/// tree: one walk lists the members, a pidfd is opened on each, and a second
/// walk confirms them. A pidfd opened before the second walk on a pid that
/// walk still finds below ancestor names a member (a pid cannot be reused
/// while its process lives; if it died, the signal finds ESRCH and nobody),
/// so a pid recycled by a stranger between the walks is never hit. When the
/// fd limit is reached, the members are taken in batches (one more walk per
/// batch, with a few fds kept back for it). A process forked during the
/// sweep, or moved in the tree (reparented to a subreaper ancestor as its
/// parent dies) while a walk reads it, may be missed: sweep again until a
/// sweep finds no live member. Never signals pid <= 1. Not async-signal-safe.
tree_signal_report signal_descendants(pid_t ancestor, int sig, const std::vector<pid_t>& spare = {});

}  // namespace daemonkit
DAEMONKIT_API_END
