#include "daemonkit/proc.hpp"

#include <cerrno>
#include <charconv>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
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

// The slow way, for kernels without /proc/PID/task/TID/children: one scan of
// every process's parent.
std::vector<pid_t> scan_descendants(pid_t ancestor) {
  std::unordered_map<pid_t, pid_t> parent;
  if (DIR* d = ::opendir("/proc")) {
    while (struct dirent* e = ::readdir(d)) {
      pid_t pid = 0;
      std::string_view name = e->d_name;
      if (!to_num(name, pid) || pid <= 0) continue;
      if (auto st = read_proc_stat(pid)) parent[pid] = st->ppid;
    }
    ::closedir(d);
  }
  std::vector<pid_t> out;
  for (const auto& [pid, ppid] : parent) {
    pid_t p = ppid;
    for (int depth = 0; p > 0 && depth < 4096; ++depth) {
      if (p == ancestor) {
        out.push_back(pid);
        break;
      }
      auto it = parent.find(p);
      if (it == parent.end()) break;
      p = it->second;
    }
  }
  return out;
}

}  // namespace

std::vector<pid_t> list_descendants(pid_t ancestor) {
  // Walk down from ancestor: only our own tree is read, so the cost does not
  // grow with the number of processes on the machine.
  std::vector<pid_t> out;
  if (!append_children(ancestor, out)) return scan_descendants(ancestor);
  for (size_t i = 0; i < out.size() && out.size() < 100000; ++i) {
    if (!append_children(out[i], out)) return scan_descendants(ancestor);
  }
  return out;
}

double uptime_seconds_of(const proc_stat& st) {
  struct timespec ts {};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  double now = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  double started = static_cast<double>(st.start_ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return now - started;
}

}  // namespace daemonkit
