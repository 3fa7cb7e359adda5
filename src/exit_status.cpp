// SPDX-License-Identifier: MIT
#include "daemonkit/exit_status.hpp"

#include <sys/wait.h>

#include "daemonkit/signal_name.hpp"

namespace daemonkit {

exit_status exit_status::from_siginfo(const siginfo_t& info) noexcept {
  exit_status s;
  s.signaled = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
  s.core_dumped = info.si_code == CLD_DUMPED;
  s.code = info.si_status;
  return s;
}

exit_status exit_status::from_wait_status(int status) noexcept {
  exit_status s;
  if (WIFSIGNALED(status)) {
    s.signaled = true;
    s.code = WTERMSIG(status);
    s.core_dumped = WCOREDUMP(status);
  } else {
    s.code = WEXITSTATUS(status);
  }
  return s;
}

std::string exit_status::describe() const {
  if (!signaled) return "exited with status " + std::to_string(code);
  std::string s = "killed by signal " + signal_name(code);
  if (core_dumped) s += " (core dumped)";
  return s;
}

}  // namespace daemonkit
