// SPDX-License-Identifier: MIT
// Processes and files as the end-to-end tests of the daemonkit binary see
// them (tests/cli, tests/fault): every process a test caused (the test process
// is a child subreaper, so daemons stay below it), waiting for them to exit on
// pidfd events, and the key=value state files. Built on test_support.hpp only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace dk_test {

inline const char* const tool_path = DK_TOOL;
// The monitor program the tool execs (next to it in the build tree).
inline const char* const monitor_path = DK_MONITOR;

// True when built under AddressSanitizer: its quarantine keeps freed memory
// (RSS grows without a leak) and its checks slow user code, not the kernel's.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool under_asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool under_asan = true;
#else
inline constexpr bool under_asan = false;
#endif
#else
inline constexpr bool under_asan = false;
#endif

// ---------------------------------------------------------------------------
// Processes

struct proc_entry {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
};

inline std::vector<proc_entry> all_processes() {
  std::vector<proc_entry> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    pid_t pid = std::atoi(e->d_name);
    if (auto st = read_stat(pid)) out.push_back({pid, st->ppid, st->state});
  }
  ::closedir(d);
  return out;
}

// Every descendant of root; zombies only when asked.
inline std::vector<pid_t> descendants_of(pid_t root, bool with_zombies = false) {
  auto procs = all_processes();
  std::vector<pid_t> out;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    for (const auto& p : procs) {
      if (p.ppid != parent) continue;
      frontier.push_back(p.pid);
      if (with_zombies || (p.state != 'Z' && p.state != 'X')) out.push_back(p.pid);
    }
  }
  return out;
}

inline bool is_alive(pid_t pid) {
  auto st = read_stat(pid);
  return st && st->state != 'Z' && st->state != 'X';
}

inline std::string comm_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/comm");
  if (!text) return {};
  if (!text->empty() && text->back() == '\n') text->pop_back();
  return *text;
}

inline std::string cmdline_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text) return {};
  std::replace(text->begin(), text->end(), '\0', ' ');
  return *text;
}

inline std::string describe_processes(const std::vector<pid_t>& pids) {
  std::string s;
  for (pid_t p : pids) {
    auto st = read_stat(p);
    s += "  pid " + std::to_string(p) + " (" + comm_of(p) + ", state " + (st ? std::string(1, st->state) : "?") +
         ", ppid " + (st ? std::to_string(st->ppid) : "?") + "): " + cmdline_of(p) + "\n";
  }
  return s;
}

// Live descendants of the test process whose comm is `comm` (the helper
// child's is "dk_test_child"): the instances of a service. A process whose
// parent is itself one of them is not another instance: under ASan,
// LeakSanitizer clones a tracer (same comm) from an exiting process.
inline std::vector<pid_t> live_processes_named(const std::string& comm) {
  std::vector<pid_t> named;
  for (pid_t p : descendants_of(::getpid())) {
    if (comm_of(p) == comm) named.push_back(p);
  }
  std::vector<pid_t> out;
  for (pid_t p : named) {
    auto st = read_stat(p);
    if (st && std::find(named.begin(), named.end(), st->ppid) != named.end()) continue;
    out.push_back(p);
  }
  return out;
}

// Waits (pidfd events, bounded) until every process in pids has exited;
// returns those still alive at the deadline.
inline std::vector<pid_t> wait_all_exit(const std::vector<pid_t>& pids, milliseconds timeout) {
  std::vector<fd_guard> fds;
  events ev;
  for (pid_t p : pids) {
    fd_guard fd(open_pidfd(p));
    if (!fd.valid()) continue;
    ev = std::move(ev).exit_of(fd.get());
    fds.push_back(std::move(fd));
  }
  wait_until([&] { return std::all_of(fds.begin(), fds.end(), [](const fd_guard& f) { return has_exited(f.get()); }); },
             timeout, std::move(ev));
  std::vector<pid_t> left;
  for (pid_t p : pids) {
    if (is_alive(p)) left.push_back(p);
  }
  return left;
}

// Waits until no live descendant of the test process remains; returns what
// is left at the deadline.
inline std::vector<pid_t> wait_no_descendants(milliseconds timeout) {
  const auto until = steady::now() + timeout;
  for (;;) {
    auto live = descendants_of(::getpid());
    if (live.empty()) return live;
    auto left = std::chrono::ceil<milliseconds>(until - steady::now());
    if (left <= 0ms) return live;
    wait_all_exit(live, left);
  }
}

// SIGKILLs every descendant and reaps what becomes our child, until nothing
// at all (not even a zombie) is left below the test process.
inline void kill_and_reap_descendants() {
  for (int round = 0; round < 50; ++round) {
    auto all = descendants_of(::getpid(), true);
    if (all.empty()) return;
    for (pid_t p : all) {
      fd_guard fd(open_pidfd(p));
      if (fd.valid()) send_signal_pidfd(fd.get(), SIGKILL);
    }
    for (pid_t p : children_of(::getpid())) {
      fd_guard fd(open_pidfd(p));
      if (fd.valid() && wait_exit(fd.get(), 5s)) (void)reap(fd.get());
    }
  }
}

// Reaps our children that have already exited (daemons reparented to us and
// finished); leaves live ones alone. Returns how many were reaped.
inline int reap_exited_children() {
  int n = 0;
  for (pid_t p : children_of(::getpid())) {
    auto st = read_stat(p);
    if (!st || st->state != 'Z') continue;
    fd_guard fd(open_pidfd(p));
    if (fd.valid() && reap(fd.get())) ++n;
  }
  return n;
}

// ---------------------------------------------------------------------------
// Files

inline std::map<std::string, std::string> read_key_values(const std::string& path) {
  std::map<std::string, std::string> out;
  auto text = read_file(path);
  if (!text) return out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

inline bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace dk_test
