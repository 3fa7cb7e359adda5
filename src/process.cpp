// SPDX-License-Identifier: MIT
#include "daemonkit/process.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <unordered_set>

#include "daemonkit/detail/proc.hpp"
#include "daemonkit/signal_name.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

result<process> process::open(pid_t pid) {
  if (pid <= 1) return make_error(errc::invalid_argument, "refusing to act on pid " + std::to_string(pid));
  unique_fd fd(sys::pidfd_open(pid));
  if (!fd) return system_error("cannot open process " + std::to_string(pid));
  return process(pid, std::move(fd));
}

result<process> process::open_monitor(pid_t pid) {
  if (pid != 1) return open(pid);
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

tree_signal_report signal_descendants(pid_t ancestor, int sig, const std::vector<pid_t>& spare) {
  tree_signal_report rep;
  // Sorted: the spared may be thousands (the members a previous sweep
  // already reached), and a lookup each must stay cheap.
  std::vector<pid_t> spared(spare);
  std::sort(spared.begin(), spared.end());
  std::vector<pid_t> found;
  for (pid_t p : list_descendants(ancestor)) {
    if (p > 1 && !std::binary_search(spared.begin(), spared.end(), p)) found.push_back(p);
  }
  size_t next = 0;
  while (next < found.size()) {
    // Fds for the second walk (directories and files of /proc), held while
    // the batch's pidfds take what the fd limit allows.
    constexpr size_t walk_fds = 8;
    std::vector<unique_fd> reserve;
    while (reserve.size() < walk_fds) {
      unique_fd fd(sys::open("/dev/null", O_RDONLY));
      if (!fd) break;
      reserve.push_back(std::move(fd));
    }
    std::vector<process> batch;
    while (next < found.size()) {
      auto p = process::open(found[next]);
      if (!p) {
        const auto& code = p.err().code;
        if (code == std::errc::too_many_files_open || code == std::errc::too_many_files_open_in_system) {
          if (!batch.empty()) break;  // signal this batch, close it, go on with the rest
          if (!reserve.empty()) {
            reserve.pop_back();  // no room for even one: the walk makes do with less
            continue;
          }
        }
        ++next;  // gone (ESRCH), or cannot be pinned: not signalled
        continue;
      }
      ++next;
      // A readable pidfd is a process that already exited (a zombie not
      // reaped yet): nothing to signal, and not a live member. Cheaper than
      // reading its /proc/PID/stat.
      if (!p->exited()) batch.push_back(std::move(*p));
    }
    reserve.clear();
    if (batch.empty()) continue;
    auto members = list_descendants(ancestor);
    std::unordered_set<pid_t> confirmed(members.begin(), members.end());
    for (const auto& p : batch) {
      if (confirmed.count(p.pid()) == 0) continue;
      rep.live.push_back(p.pid());
      if (auto r = p.signal(sig); !r && r.err().code == std::errc::operation_not_permitted) {
        rep.refused.push_back(p.pid());
      }
    }
  }
  return rep;
}

}  // namespace daemonkit
