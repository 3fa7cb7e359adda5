// How a process ended, and the shell's way of writing it as one exit code.
#pragma once

#include <csignal>
#include <string>

namespace daemonkit {

struct exit_status {
  bool signaled = false;  // killed by a signal (else exited)
  int code = 0;           // exit code, or signal number when signaled
  bool core_dumped = false;

  // From waitid()'s siginfo (si_code/si_status).
  static exit_status from_siginfo(const siginfo_t& info) noexcept;
  // From a waitpid() status word.
  static exit_status from_wait_status(int status) noexcept;

  bool success() const noexcept { return !signaled && code == 0; }
  // The shell convention: the exit code, or 128 + signal number.
  int shell_code() const noexcept { return signaled ? 128 + code : code; }
  // "exited with status 3", "killed by signal TERM", "killed by signal SEGV (core dumped)".
  std::string describe() const;
};

}  // namespace daemonkit
