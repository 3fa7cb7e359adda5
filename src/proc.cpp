// SPDX-License-Identifier: MIT
#include "daemonkit/detail/proc.hpp"

#include <cerrno>
#include <charconv>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <unordered_map>

#include "daemonkit/unique_fd.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {
template <class T>
bool to_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}
}  // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view text) {
  // "PID (comm) S PPID PGID SID TTY TPGID FLAGS MINFLT CMINFLT MAJFLT CMAJFLT
  //  UTIME STIME CUTIME CSTIME PRIO NICE THREADS ITREAL STARTTIME ..."
  // comm can contain anything, so split at the *last* ')'.
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  proc_stat st;
  if (!to_num(text.substr(0, open == 0 ? 0 : open - 1), st.pid)) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  std::string_view fields[20];
  size_t n = 0;
  size_t i = 0;
  while (n < 20 && i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j > i) fields[n++] = rest.substr(i, j - i);
    i = j + 1;
  }
  // fields[0] = state (field 3) ... fields[19] = starttime (field 22)
  if (n < 20 || fields[0].size() != 1) return std::nullopt;
  st.state = fields[0][0];
  if (!to_num(fields[1], st.ppid) || !to_num(fields[2], st.pgid) || !to_num(fields[3], st.sid) ||
      !to_num(fields[19], st.start_ticks)) {
    return std::nullopt;
  }
  return st;
}

std::optional<proc_stat> read_proc_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  unique_fd fd(sys::open(path.c_str(), O_RDONLY));
  if (!fd) return std::nullopt;
  char buf[1024];
  ssize_t n = sys::read_full(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return std::nullopt;
  return parse_proc_stat(std::string_view(buf, static_cast<size_t>(n)));
}

namespace {

// Appends the children of pid, read from /proc/PID/task/*/children (a child
// is listed under the thread that forked it). False if the kernel lacks it.
bool append_children(pid_t pid, std::vector<pid_t>& out) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return errno == ENOENT;  // gone: no children
  bool ok = true;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string path = dir + "/" + e->d_name + "/children";
    unique_fd fd(sys::open(path.c_str(), O_RDONLY));
    if (!fd) {
      if (errno != ENOENT) ok = false;
      continue;
    }
    std::string text;
    char buf[4096];
    for (;;) {
      ssize_t n = sys::read(fd.get(), buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    size_t i = 0;
    while (i < text.size()) {
      size_t j = text.find(' ', i);
      if (j == std::string::npos) j = text.size();
      pid_t child = 0;
      if (to_num(std::string_view(text).substr(i, j - i), child) && child > 0) out.push_back(child);
      i = j + 1;
    }
  }
  ::closedir(d);
  return ok;
}

// Whether this kernel lists a thread's children (CONFIG_PROC_CHILDREN). Without
// it, a missing children file would read as "no children" (ENOENT is also
// what a thread that just exited gives), so it is asked once, on ourselves.
bool kernel_lists_children() {
  static const bool has = ::access("/proc/thread-self/children", R_OK) == 0;
  return has;
}

// Reads the stat of each pid, skipping those that are gone.
std::vector<proc_stat> read_stats(const std::vector<pid_t>& pids) {
  std::vector<proc_stat> out;
  out.reserve(pids.size());
  for (pid_t p : pids) {
    if (auto st = read_proc_stat(p)) out.push_back(*st);
  }
  return out;
}

// Every process's stat, from one pass over /proc (for kernels without
// /proc/PID/task/TID/children).
std::vector<proc_stat> read_all_stats() {
  std::vector<proc_stat> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    if (!to_num(std::string_view(e->d_name), pid) || pid <= 0) continue;
    if (auto st = read_proc_stat(pid)) out.push_back(*st);
  }
  ::closedir(d);
  return out;
}

// The descendants of ancestor among all, breadth first from ancestor: each
// process is visited once, so a deep chain costs no more than a wide fan.
std::vector<proc_stat> descendants_among(const std::vector<proc_stat>& all, pid_t ancestor) {
  std::unordered_map<pid_t, std::vector<size_t>> children;
  for (size_t i = 0; i < all.size(); ++i) children[all[i].ppid].push_back(i);
  std::vector<proc_stat> out;
  std::vector<pid_t> frontier{ancestor};
  while (!frontier.empty() && out.size() < 100000) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    auto it = children.find(parent);
    if (it == children.end()) continue;
    for (size_t i : it->second) {
      if (all[i].pid == ancestor) continue;  // a pid cannot be its own descendant
      out.push_back(all[i]);
      frontier.push_back(all[i].pid);
    }
    children.erase(it);  // visited: a cycle from torn reads cannot loop
  }
  return out;
}

// The pids below ancestor, read down the children lists; nullopt if the
// kernel does not have them.
std::optional<std::vector<pid_t>> walk_children_lists(pid_t ancestor) {
  std::vector<pid_t> out;
  if (!kernel_lists_children() || !append_children(ancestor, out)) return std::nullopt;
  for (size_t i = 0; i < out.size() && out.size() < 100000; ++i) {
    if (!append_children(out[i], out)) return std::nullopt;
  }
  return out;
}

// Below init, the whole machine: one pass over /proc, never the children
// lists. A children list skips the entry after one whose process is reaped
// or reparented during the read (proc(5): reliable only for a stopped
// parent), and near the top of the tree that happens all the time (a test
// runner reaping its tests, init its orphans): a whole-machine search for an
// orphaned service once missed it that way. Listing /proc goes by pid number,
// so every process that lives through the pass is in it.
bool walk_down_from(pid_t ancestor) { return ancestor > 1; }

}  // namespace

std::vector<pid_t> list_descendants(pid_t ancestor) {
  // Walk down from ancestor: only that tree is read, so the cost does not
  // grow with the number of processes on the machine. (Its own lists churn
  // too, but a process missed by one walk is in the next: the monitor walks
  // until one finds none, and its own children, the walk's first list, only
  // change when it reaps them itself.)
  if (walk_down_from(ancestor)) {
    if (auto pids = walk_children_lists(ancestor)) return std::move(*pids);
  }
  std::vector<pid_t> out;
  for (const auto& st : descendants_among(read_all_stats(), ancestor)) out.push_back(st.pid);
  return out;
}

std::vector<proc_stat> list_descendant_stats(pid_t ancestor) {
  if (walk_down_from(ancestor)) {
    if (auto pids = walk_children_lists(ancestor)) return read_stats(*pids);
  }
  return descendants_among(read_all_stats(), ancestor);
}

std::vector<proc_stat> list_children(pid_t parent) {
  std::vector<pid_t> pids;
  if (kernel_lists_children() && append_children(parent, pids)) return read_stats(pids);
  std::vector<proc_stat> out;
  for (const auto& st : read_all_stats()) {
    if (st.ppid == parent && st.pid != parent) out.push_back(st);
  }
  return out;
}

bool is_descendant(pid_t pid, pid_t ancestor) {
  pid_t p = pid;
  // Bounded: a chain read across concurrent exits and pid reuse could loop.
  for (int depth = 0; depth < 4096 && p > 0 && p != ancestor; ++depth) {
    auto st = read_proc_stat(p);
    if (!st) return false;
    if (st->ppid == ancestor) return true;
    p = st->ppid;
  }
  return false;
}

double uptime_seconds_of(const proc_stat& st) {
  struct timespec ts {};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  double now = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  double started = static_cast<double>(st.start_ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return now - started;
}

std::uint64_t boot_clock_ticks() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  const auto hz = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  // Rounded down, as the kernel rounds a process's start time.
  return static_cast<std::uint64_t>(ts.tv_sec) * hz + static_cast<std::uint64_t>(ts.tv_nsec) / (1'000'000'000 / hz);
}

}  // namespace daemonkit
