#include "daemonkit/process.hpp"

#include <cerrno>
#include <poll.h>
#include <unistd.h>

#include "daemonkit/signal_name.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

result<process> process::open(pid_t pid) {
  if (pid <= 1) return make_error(errc::invalid_argument, "refusing to act on pid " + std::to_string(pid));
  unique_fd fd(sys::pidfd_open(pid));
  if (!fd) return system_error("cannot open process " + std::to_string(pid));
  return process(pid, std::move(fd));
}

result<void> process::signal(int sig) const {
  if (sys::pidfd_send_signal(pidfd_.get(), sig) != 0) {
    if (errno == ESRCH) return {};
    return system_error("cannot send SIG" + signal_name(sig) + " to pid " + std::to_string(pid_));
  }
  return {};
}

result<void> process::signal_with_value(int sig, int value) const {
  siginfo_t info{};
  info.si_signo = sig;
  info.si_code = SI_QUEUE;
  info.si_pid = ::getpid();
  info.si_uid = ::getuid();
  info.si_value.sival_int = value;
  if (sys::pidfd_send_signal(pidfd_.get(), sig, &info) != 0) {
    if (errno == ESRCH) return {};
    return system_error("cannot send SIG" + signal_name(sig) + " to pid " + std::to_string(pid_));
  }
  return {};
}

bool process::exited() const {
  pollfd p{pidfd_.get(), POLLIN, 0};
  return sys::poll(&p, 1, sys::deadline::after(std::chrono::nanoseconds(0))) > 0;
}

result<bool> process::wait_exit(std::optional<std::chrono::milliseconds> timeout) const {
  auto d = timeout ? sys::deadline::after(*timeout) : sys::deadline::never();
  pollfd p{pidfd_.get(), POLLIN, 0};
  int r = sys::poll(&p, 1, d);
  if (r < 0) return system_error("cannot wait for pid " + std::to_string(pid_));
  return r > 0;
}

result<exit_status> process::reap() const {
  siginfo_t info{};
  if (sys::waitid_pidfd(pidfd_.get(), &info, WEXITED) != 0) {
    return system_error("cannot reap pid " + std::to_string(pid_));
  }
  return exit_status::from_siginfo(info);
}

result<std::optional<exit_status>> process::try_reap() const {
  siginfo_t info{};
  if (sys::waitid_pidfd(pidfd_.get(), &info, WEXITED | WNOHANG) != 0) {
    return system_error("cannot reap pid " + std::to_string(pid_));
  }
  if (info.si_pid == 0) return std::optional<exit_status>{};
  return std::optional<exit_status>{exit_status::from_siginfo(info)};
}

}  // namespace daemonkit
