// SPDX-License-Identifier: MIT
/// \file
/// How a process ended, and the shell's way of writing it as one exit code.
#pragma once

#include <csignal>
#include <string>

#include "daemonkit/export.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// How a process ended: an exit code, or the signal that killed it.
struct exit_status {
  bool signaled = false;     ///< killed by a signal (else exited)
  int code = 0;              ///< exit code, or signal number when signaled
  bool core_dumped = false;  ///< killed by a signal and dumped core

  /// From waitid()'s siginfo (si_code/si_status).
  static exit_status from_siginfo(const siginfo_t& info) noexcept;
  /// From a waitpid() status word.
  static exit_status from_wait_status(int status) noexcept;

  /// True when the process exited with code 0.
  bool success() const noexcept { return !signaled && code == 0; }
  /// The shell convention: the exit code, or 128 + signal number.
  int shell_code() const noexcept { return signaled ? 128 + code : code; }
  /// "exited with status 3", "killed by signal TERM", "killed by signal SEGV (core dumped)".
  std::string describe() const;
};

}  // namespace daemonkit
DAEMONKIT_API_END
