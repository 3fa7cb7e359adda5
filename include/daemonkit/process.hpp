// A process identified by its pidfd, so a recycled pid is never hit.
//
// The pid travels with the pidfd opened on it: every signal goes through
// pidfd_send_signal and every wait polls the pidfd, so once a process object
// exists it can only ever refer to that one process.
#pragma once

#include <chrono>
#include <optional>
#include <sys/types.h>

#include "daemonkit/exit_status.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

namespace daemonkit {

class process {
 public:
  process() = default;
  process(pid_t pid, unique_fd pidfd) noexcept : pid_(pid), pidfd_(std::move(pidfd)) {}

  // Opens a pidfd on pid. Refuses pid <= 1 (errc::invalid_argument): nothing
  // in daemonkit ever signals init or a process group through a pid.
  static result<process> open(pid_t pid);

  pid_t pid() const noexcept { return pid_; }
  int pidfd() const noexcept { return pidfd_.get(); }
  bool valid() const noexcept { return pidfd_.valid(); }

  // Sends sig. An already-exited (zombie or reaped) process is not an error.
  result<void> signal(int sig) const;
  // Sends sig carrying an int, as sigqueue() does (si_code SI_QUEUE); a
  // receiver reading a signalfd finds it in ssi_int.
  result<void> signal_with_value(int sig, int value) const;
  // True once the process has exited (its pidfd is readable), without waiting.
  bool exited() const;
  // Waits until the process exits or timeout passes (nullopt: forever).
  // Returns true if it exited.
  result<bool> wait_exit(std::optional<std::chrono::milliseconds> timeout) const;
  // Reaps our own child (waitid on the pidfd); blocks until it exits.
  result<exit_status> reap() const;
  // Reaps if it has exited; nullopt if still running.
  result<std::optional<exit_status>> try_reap() const;

 private:
  pid_t pid_ = 0;
  unique_fd pidfd_;
};

}  // namespace daemonkit
