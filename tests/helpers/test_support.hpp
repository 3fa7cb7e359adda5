// SPDX-License-Identifier: MIT
// Test support: waiting for events with a deadline, reading a process's state
// from /proc the way a user's monitoring would, temporary directories, and
// running commands (or functions in a forked child) with their output captured.
//
// Deliberately independent of libdaemonkit: the tests must not judge the
// library with the library's own helpers. Header-only, single-threaded use.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <map>
#include <optional>
#include <poll.h>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

extern char** environ;  // NOLINT

namespace dk_test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

inline const char* const test_child_path = DK_TEST_CHILD;
inline const char* const heartbeat_path = DK_HEARTBEAT;

// ---------------------------------------------------------------------------
// fds

// Owns one fd; closes it once, never retrying on EINTR.
class fd_guard {
 public:
  fd_guard() = default;
  explicit fd_guard(int fd) : fd_(fd) {}
  fd_guard(fd_guard&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  fd_guard& operator=(fd_guard&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

inline int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

inline int send_signal_pidfd(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0U));
}

inline std::pair<fd_guard, fd_guard> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  return {fd_guard(fds[0]), fd_guard(fds[1])};
}

// poll() for one fd, up to timeout (retrying EINTR with the time left).
inline bool fd_ready(int fd, milliseconds timeout, short events = POLLIN) {
  auto until = steady::now() + timeout;
  for (;;) {
    auto left = std::chrono::ceil<milliseconds>(until - steady::now()).count();
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0)));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

// True once the process behind pidfd has exited (zombie or reaped).
inline bool has_exited(int pidfd) { return fd_ready(pidfd, 0ms); }

// ---------------------------------------------------------------------------
// Waiting for events with a deadline

// The kernel events a wait re-checks its predicate on. Process exits (pidfds)
// and readable fds fire once and then leave the set (they stay readable, and
// the caller decides what to read); file changes come from inotify on the
// watched path's directory, so creation, writes, renames and removal of the
// file all wake the wait.
class events {
 public:
  events() = default;
  events(events&&) = default;
  events& operator=(events&&) = default;

  events&& exit_of(int pidfd) && { return std::move(*this).readable(pidfd); }
  events&& readable(int fd) && {
    once_.push_back(fd);
    return std::move(*this);
  }
  // Changes to path (a file) or, if path is a directory, to its entries.
  events&& changes_in(const std::string& path) && {
    if (!inotify_.valid()) inotify_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    struct stat st {};
    std::string dir = path;
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      auto slash = path.rfind('/');
      dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    }
    constexpr std::uint32_t mask =
        IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF;
    if (::inotify_add_watch(inotify_.get(), dir.c_str(), mask) < 0) {
      throw std::runtime_error("inotify_add_watch " + dir + ": " + std::strerror(errno));
    }
    return std::move(*this);
  }

  bool empty() const { return once_.empty() && !inotify_.valid(); }

  // Waits up to `left` for any event; false on timeout or with nothing to wait on.
  bool wait(milliseconds left) {
    std::vector<struct pollfd> p;
    for (int fd : once_) p.push_back({fd, POLLIN, 0});
    if (inotify_.valid()) p.push_back({inotify_.get(), POLLIN, 0});
    int r = ::poll(p.data(), p.size(), static_cast<int>(std::max<long long>(left.count(), 0)));
    if (r <= 0) return false;
    std::vector<int> still;
    for (const auto& e : p) {
      if (e.fd == inotify_.get()) {
        char buf[4096];
        while (::read(inotify_.get(), buf, sizeof buf) > 0) {}
      } else if (e.revents == 0) {
        still.push_back(e.fd);
      }
    }
    once_ = std::move(still);
    return true;
  }

 private:
  std::vector<int> once_;
  fd_guard inotify_;
};

// Waits until pred() holds, re-checking it after every event in `on`, up to
// timeout. Returns the final pred(). With no events this falls back to a short
// bounded re-check loop: that is only for state the kernel announces nowhere
// (a field in /proc/PID/status or /proc/PID/syscall has no change
// notification), never for things that have an event (exit, file, pipe).
inline bool wait_until(const std::function<bool()>& pred, milliseconds timeout, events on = {}) {
  const auto until = steady::now() + timeout;
  const bool proc_fallback = on.empty();
  for (;;) {
    if (pred()) return true;
    auto left = std::chrono::ceil<milliseconds>(until - steady::now());
    if (left <= 0ms) return pred();
    if (proc_fallback) {
      ::poll(nullptr, 0, static_cast<int>(std::min<long long>(left.count(), 2)));
    } else if (on.empty()) {
      // Every one-shot source fired and pred still fails: nothing left that
      // could change it but time.
      ::poll(nullptr, 0, static_cast<int>(left.count()));
    } else {
      on.wait(left);
    }
  }
}

// Waits for the process behind pidfd to exit.
inline bool wait_exit(int pidfd, milliseconds timeout) {
  return wait_until([&] { return has_exited(pidfd); }, timeout, events().exit_of(pidfd));
}

// Reads whole lines from a pipe with a deadline.
class line_reader {
 public:
  explicit line_reader(int fd) : fd_(fd) {}
  // The next line without its '\n'; nullopt on EOF or timeout.
  std::optional<std::string> next(milliseconds timeout) {
    const auto until = steady::now() + timeout;
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      if (eof_) return std::nullopt;
      auto left = std::chrono::ceil<milliseconds>(until - steady::now());
      if (left <= 0ms || !fd_ready(fd_, left)) return std::nullopt;
      char tmp[4096];
      ssize_t n = ::read(fd_, tmp, sizeof tmp);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) eof_ = true;
      else buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  // Whatever is readable right now, without waiting.
  std::string available() {
    while (!eof_ && fd_ready(fd_, 0ms)) {
      char tmp[4096];
      ssize_t n = ::read(fd_, tmp, sizeof tmp);
      if (n <= 0) eof_ = true;
      else buf_.append(tmp, static_cast<size_t>(n));
    }
    return std::exchange(buf_, {});
  }

 private:
  int fd_;
  std::string buf_;
  bool eof_ = false;
};

// ---------------------------------------------------------------------------
// Files

inline std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// Counts lines of path that start with prefix.
inline size_t count_lines(const std::string& path, std::string_view prefix) {
  auto text = read_file(path);
  if (!text) return 0;
  size_t n = 0;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

// The pid holding a POSIX write lock on path (F_GETLK reports it), 0 when
// unlocked, -1 when the file cannot be opened. Opening and closing the file
// here drops no lock: the test process holds none on it.
inline pid_t lock_holder(const std::string& path) {
  fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) return -1;
  struct flock fl {};
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd.get(), F_GETLK, &fl) != 0) return -1;
  return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

// A fresh directory under /tmp, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    char tmpl[] = "/tmp/dk-test.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------
// /proc readers

// The value of one "Name:\tvalue" line of /proc/PID/status, trimmed.
inline std::optional<std::string> status_field(pid_t pid, std::string_view name) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/status");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 && line[name.size()] == ':') {
      auto v = line.substr(name.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return std::nullopt;
}

// SigBlk, SigIgn, SigCgt, SigPnd, ShdPnd as a mask; all ones when unreadable.
inline std::uint64_t signal_mask(pid_t pid, std::string_view name) {
  auto v = status_field(pid, name);
  if (!v) return ~std::uint64_t{0};
  return std::stoull(*v, nullptr, 16);
}

inline std::uint64_t sig_bit(int sig) { return std::uint64_t{1} << (sig - 1); }

inline mode_t umask_of(pid_t pid) {
  auto v = status_field(pid, "Umask");
  return v ? static_cast<mode_t>(std::stoul(*v, nullptr, 8)) : static_cast<mode_t>(-1);
}

struct proc_stat {
  char state = '?';
  pid_t ppid = 0;
  pid_t pgrp = 0;
  pid_t session = 0;
  int tty_nr = -1;
};

// Fields of /proc/PID/stat; the command name may contain spaces and
// parentheses, so parsing starts after the last ')'.
inline std::optional<proc_stat> read_stat(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(text->substr(close + 1));
  proc_stat s;
  in >> s.state >> s.ppid >> s.pgrp >> s.session >> s.tty_nr;
  if (!in) return std::nullopt;
  return s;
}

// The syscall the process is blocked in (/proc/PID/syscall's first field), or -1.
inline long current_syscall(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/syscall");
  if (!text || text->empty() || (*text)[0] < '0' || (*text)[0] > '9') return -1;
  return std::stol(*text);
}

inline std::string read_link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// Open fds of pid and where they point (readlink of /proc/PID/fd/N).
inline std::map<int, std::string> fds_of(pid_t pid) {
  std::map<int, std::string> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  const int self = pid == ::getpid() ? ::dirfd(d) : -1;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    int fd = std::atoi(e->d_name);
    if (fd == self) continue;
    out[fd] = read_link(dir + "/" + e->d_name);
  }
  ::closedir(d);
  return out;
}

inline std::set<int> own_fds() {
  std::set<int> s;
  for (const auto& [fd, target] : fds_of(::getpid())) s.insert(fd);
  return s;
}

// The open flags of pid's fd (the "flags:" line of /proc/PID/fdinfo/FD), or -1.
inline int fd_flags_of(pid_t pid, int fd) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
  if (!text) return -1;
  auto at = text->find("flags:");
  if (at == std::string::npos) return -1;
  return static_cast<int>(std::stol(text->substr(at + 6), nullptr, 8));
}

inline std::string cwd_of(pid_t pid) { return read_link("/proc/" + std::to_string(pid) + "/cwd"); }

// Children of pid (by scanning /proc/*/stat: this kernel has no
// /proc/PID/task/TID/children).
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    pid_t pid = std::atoi(e->d_name);
    auto st = read_stat(pid);
    if (st && st->ppid == parent) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

// Our children that have not exited (not zombies).
inline std::vector<pid_t> live_children() {
  std::vector<pid_t> out;
  for (pid_t pid : children_of(::getpid())) {
    auto st = read_stat(pid);
    if (st && st->state != 'Z' && st->state != 'X') out.push_back(pid);
  }
  return out;
}

// How a reaped child ended, in the shell's convention (128 + signal).
struct exit_info {
  bool signaled = false;
  int code = 0;  // exit status or signal number
  int shell_code() const { return signaled ? 128 + code : code; }
};

// Reaps our child behind pidfd (waits for it).
inline std::optional<exit_info> reap(int pidfd) {
  siginfo_t info{};
  int r;
  do {
    r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED);
  } while (r != 0 && errno == EINTR);
  if (r != 0) return std::nullopt;
  exit_info e;
  e.signaled = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
  e.code = info.si_status;
  return e;
}

// Kills (SIGKILL) and reaps every child of the test process, again and again
// until none is left: a killed starter's own children (a daemon not yet
// detached) are reparented to us, the subreaper, before the starter can be
// reaped, so the next round finds them. Safe by pid: an unreaped child's pid
// cannot be reused.
inline void kill_and_reap_children() {
  for (int round = 0; round < 100; ++round) {
    auto kids = children_of(::getpid());
    if (kids.empty()) return;
    for (pid_t pid : kids) {
      fd_guard pidfd(open_pidfd(pid));
      if (!pidfd.valid()) continue;
      send_signal_pidfd(pidfd.get(), SIGKILL);
      (void)reap(pidfd.get());
    }
  }
}

// True under CI (CI set, and not to "false" or "0"): what a developer's
// machine may lack (namespaces, a second user) must be there, so a test that
// would skip fails instead.
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string_view(ci) != "false" && std::string_view(ci) != "0";
}

// ---------------------------------------------------------------------------
// Running commands and forked functions

struct command_options {
  std::vector<std::string> set_env;                     // KEY=VALUE, added or replacing
  std::vector<std::string> unset_env{"NOTIFY_SOCKET"};  // hermetic unless asked
  std::vector<int> ignore_signals;                      // SIG_IGN in the child (inherited over exec)
  std::vector<int> block_signals;                       // blocked in the child (inherited over exec)
  std::vector<std::pair<int, int>> inherit_fds;         // {our fd, its number in the child}, not close-on-exec
  std::string stdin_path = "/dev/null";
  // When set, the child becomes a session leader with this terminal (a pty
  // slave) as its controlling tty, like a command typed in a shell.
  std::string controlling_tty;
  std::optional<mode_t> umask;  // the child's umask, when set
  std::string cwd;              // the child's working directory, when set
};

struct command_result {
  bool timed_out = false;
  exit_info status;
  std::string out, err;
  int exit_code() const { return status.shell_code(); }
};

// A started child with its stdout/stderr pipes.
struct running_command {
  pid_t pid = 0;
  fd_guard pidfd, out, err;
};

namespace detail {

// Child side of a fork: only async-signal-safe calls on data prepared before.
inline void close_fds_except(const std::vector<int>& keep_sorted) {
  unsigned start = 3;
  for (int k : keep_sorted) {
    if (k < static_cast<int>(start)) continue;
    if (static_cast<unsigned>(k) > start) ::syscall(SYS_close_range, start, static_cast<unsigned>(k) - 1, 0U);
    start = static_cast<unsigned>(k) + 1;
  }
  ::syscall(SYS_close_range, start, ~0U, 0U);
}

inline void install_child_stdio(int in, int out, int err) {
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
}

}  // namespace detail

// Forks and execs argv[0] (a path) with stdin from opts.stdin_path and
// stdout/stderr into pipes; only fds 0-2 and opts.inherit_fds survive.
inline running_command spawn_command(const std::vector<std::string>& argv, const command_options& opts = {}) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execve's signature
  args.push_back(nullptr);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv = *e;
    auto key = kv.substr(0, kv.find('='));
    bool drop =
        std::any_of(opts.unset_env.begin(), opts.unset_env.end(), [&](const std::string& k) { return k == key; }) ||
        std::any_of(opts.set_env.begin(), opts.set_env.end(),
                    [&](const std::string& s) { return s.substr(0, s.find('=')) == key; });
    if (!drop) env.emplace_back(kv);
  }
  for (const auto& s : opts.set_env) env.push_back(s);
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<int> keep;
  for (const auto& [from, to] : opts.inherit_fds) keep.push_back(to);
  std::sort(keep.begin(), keep.end());
  sigset_t block;
  sigemptyset(&block);
  for (int s : opts.block_signals) sigaddset(&block, s);

  // O_NOCTTY: a terminal given as stdin must not become ours.
  fd_guard in(::open(opts.stdin_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!in.valid()) throw std::runtime_error("cannot open " + opts.stdin_path);
  const char* tty = opts.controlling_tty.empty() ? nullptr : opts.controlling_tty.c_str();
  const char* cwd = opts.cwd.empty() ? nullptr : opts.cwd.c_str();
  auto [out_r, out_w] = make_pipe();
  auto [err_r, err_w] = make_pipe();

  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (tty != nullptr) {
      // A session leader without a tty acquires the first terminal it opens.
      ::setsid();
      int t = ::open(tty, O_RDWR | O_CLOEXEC);
      if (t < 0 || ::ioctl(t, TIOCSCTTY, 0) != 0) ::_exit(126);
    }
    detail::install_child_stdio(in.get(), out_w.get(), err_w.get());
    for (const auto& [from, to] : opts.inherit_fds) {
      if (from == to) ::fcntl(to, F_SETFD, 0);
      else ::dup2(from, to);
    }
    detail::close_fds_except(keep);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    for (int s : opts.ignore_signals) ::sigaction(s, &ign, nullptr);
    ::sigprocmask(SIG_SETMASK, &block, nullptr);
    if (opts.umask) ::umask(*opts.umask);
    if (cwd != nullptr && ::chdir(cwd) != 0) ::_exit(126);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  running_command rc;
  rc.pid = pid;
  rc.pidfd.reset(open_pidfd(pid));
  rc.out = std::move(out_r);
  rc.err = std::move(err_r);
  return rc;
}

// Forks a child that runs body() and _exits with its return value (99 if it
// throws); it never returns into the test framework. stdout/stderr go to
// pipes, stdin is /dev/null, and every fd above 2 except keep is closed, so
// nothing of the test process leaks into it. Use no gtest assertions in body.
inline running_command fork_function(const std::function<int()>& body, std::vector<int> keep = {}) {
  std::sort(keep.begin(), keep.end());
  fd_guard in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto [out_r, out_w] = make_pipe();
  auto [err_r, err_w] = make_pipe();
  // Unflushed output of the test process would otherwise be written twice.
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    detail::install_child_stdio(in.get(), out_w.get(), err_w.get());
    detail::close_fds_except(keep);
    int code = 99;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "exception: %s\n", e.what());
    } catch (...) {}
    std::fflush(nullptr);
    ::_exit(code);
  }
  running_command rc;
  rc.pid = pid;
  rc.pidfd.reset(open_pidfd(pid));
  rc.out = std::move(out_r);
  rc.err = std::move(err_r);
  return rc;
}

// Collects a started child's output until both pipes reach EOF and the child
// has exited, then reaps it. At the deadline the child is killed and the
// result says timed_out (also when the child exited but something it started
// still holds its stdout or stderr open).
inline command_result finish(running_command& rc, milliseconds timeout = 30s) {
  command_result res;
  const auto until = steady::now() + timeout;
  bool out_open = true, err_open = true, exited = false;
  while (out_open || err_open || !exited) {
    auto left = std::chrono::ceil<milliseconds>(until - steady::now());
    if (left <= 0ms) {
      res.timed_out = true;
      break;
    }
    struct pollfd p[3] = {{out_open ? rc.out.get() : -1, POLLIN, 0},
                          {err_open ? rc.err.get() : -1, POLLIN, 0},
                          {exited ? -1 : rc.pidfd.get(), POLLIN, 0}};
    int r = ::poll(p, 3, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw std::runtime_error("poll failed");
    auto drain = [](int fd, std::string& into, bool& open) {
      char buf[65536];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) into.append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) open = false;
    };
    if (p[0].revents != 0) drain(rc.out.get(), res.out, out_open);
    if (p[1].revents != 0) drain(rc.err.get(), res.err, err_open);
    if (p[2].revents != 0) exited = true;
  }
  if (!exited) send_signal_pidfd(rc.pidfd.get(), SIGKILL);
  if (auto st = reap(rc.pidfd.get())) res.status = *st;
  rc.out.reset();
  rc.err.reset();
  rc.pidfd.reset();
  return res;
}

inline command_result run_command(const std::vector<std::string>& argv, const command_options& opts = {},
                                  milliseconds timeout = 30s) {
  auto rc = spawn_command(argv, opts);
  return finish(rc, timeout);
}

inline command_result run_function(const std::function<int()>& body, std::vector<int> keep = {},
                                   milliseconds timeout = 30s) {
  auto rc = fork_function(body, std::move(keep));
  return finish(rc, timeout);
}

// For printing results in assertion messages.
inline std::string describe(const command_result& r) {
  return "exit " + std::to_string(r.exit_code()) + (r.timed_out ? " (timed out)" : "") + "\n--- stdout:\n" + r.out +
         "--- stderr:\n" + r.err;
}

// A pseudo-terminal pair: the master stays with the test, the slave's path
// goes to command_options::controlling_tty.
class pty {
 public:
  pty() : master_(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) {
    if (!master_.valid() || ::grantpt(master_.get()) != 0 || ::unlockpt(master_.get()) != 0) {
      throw std::runtime_error("cannot allocate a pty");
    }
    char name[128];
    if (::ptsname_r(master_.get(), name, sizeof name) != 0) throw std::runtime_error("ptsname_r failed");
    slave_ = name;
  }
  const std::string& slave() const { return slave_; }
  // What the test types (a "\x03" is ^C) and reads (the echo, and what is
  // written to the terminal) go through the master.
  int master() const { return master_.get(); }

 private:
  fd_guard master_;
  std::string slave_;
};

// ---------------------------------------------------------------------------
// The base fixture of tests that start processes.
//
// The test process becomes a child subreaper, so every daemon a test starts
// (double-forked, its starter gone) is reparented to it rather than to init:
// it can be waited for, reaped, and is never left behind. TearDown kills and
// reaps whatever is still there, even after a failed assertion, and checks
// that the test process's own fd set did not change (no leaked fds on any path).
class process_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    fds_before_ = own_fds();
  }
  void TearDown() override {
    kill_and_reap_children();
    EXPECT_EQ(own_fds(), fds_before_) << "the test process leaked fds";
  }

  // Runs the heartbeat example with this test's pidfile and log.
  command_result heartbeat(const std::string& command, const command_options& opts = {},
                           std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{heartbeat_path, "--pidfile", pidfile, "--log", log};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(command);
    return run_command(argv, opts);
  }

  temp_dir tmp;
  std::string pidfile = tmp.file("heartbeat.pid");
  std::string log = tmp.file("heartbeat.log");

 private:
  std::set<int> fds_before_;
};

}  // namespace dk_test
