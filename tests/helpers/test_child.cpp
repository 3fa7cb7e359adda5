// SPDX-License-Identifier: MIT
// dk_test_child: the one multi-mode helper program the tests start.
//
//   exit N                   exit with status N
//   sleep SECONDS            sleep (fractions allowed), then exit 0
//   pause                    write "ready\n", then wait for a signal (default dispositions)
//   ignore-term [PIDFILE]    ignore SIGTERM; with PIDFILE, write "PID\n" into it and hold its
//                            write lock (a daemon that ignores TERM); write "ready\n"; pause
//   hold-lock PATH [TEXT]    write-lock PATH (created if missing), replace its content with TEXT
//                            when given, write "ready\n", pause
//   watch-signals [--child]  catch every catchable signal, write "signal N\n" for each one
//                            received; "ready\n" once the handlers are in place. --child: fork a
//                            child (same process group) that writes "child signal N\n" for its
//                            own, and say ready once both have their handlers
//   orphans N                make N orphans: fork N children that each fork a grandchild and
//                            exit; each grandchild exits once its parent is gone (so it dies an
//                            orphan, for init or the subreaper to reap); write "orphan PID\n" for
//                            each grandchild, then "ready\n", pause
//   print-fds                one line per open fd: "N TARGET"
//   print-sigstate           the SigBlk and SigIgn lines of /proc/self/status
//   print-env                the environment, one VAR=VALUE a line
//   notify-ready             send READY=1 to $NOTIFY_SOCKET (path or @abstract); exit 1 if unset
//   notify MSG... [--pause | --fifo PATH]
//                            send each MSG as one datagram to $NOTIFY_SOCKET, then exit 0;
//                            "N*MSG" sends it N times; in MSG, "\n" is a newline and {self},
//                            {monitor} (the parent) and {keeper} (the parent's child named
//                            daemonkit-keep) are pids. --pause: write "sent\n" and stay.
//                            --fifo: open PATH (a FIFO) first, write "sent\n" after the MSGs,
//                            then send each line read from PATH as a MSG, "sent\n" after each
//   fork-chains N            ignore SIGTERM, start N chains of processes, write "ready\n", pause;
//                            each link forks every 20ms and exits, its child carrying on, so
//                            the chains' pids keep moving (bound it: --rlimit nproc=N --user)
//   fork-many N              ignore SIGTERM, fork N children that pause (ignoring SIGTERM too),
//                            write "ready\n" once all exist, pause
//   kill-cost N              fork N children that pause, SIGKILL and reap them all, print the
//                            seconds that took (the kernel's own cost, a baseline for benchmarks)
//   setuid-ignore-term       setresuid(0, 0, 0) (installed setuid root: a process the user who
//                            started it may no longer signal), ignore SIGTERM, write "ready\n", pause
//   spew-lines N             write "line I\n" for I in 1..N
//   fork-grandchild [SECS]   fork a grandchild that keeps stdio and sleeps SECS (default 3600),
//                            write its pid, exit 0 at once
//   stderr TEXT [N]          write TEXT and a newline to stderr, exit N (default 1)
//   kill-self SIG            raise signal number SIG (with its default action)
//   stamp FILE SECONDS [N]   append "start NS\n" to FILE, sleep SECONDS (fractions allowed), append
//                            "exit NS\n", exit N (default 1); NS is CLOCK_MONOTONIC in nanoseconds,
//                            one clock for every process, so a test can time a respawn between them
//
// Plain C++ and POSIX only: it must not depend on the library it helps test.
// Usage errors exit 64.
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;  // NOLINT

namespace {

int usage() {
  std::fprintf(stderr, "usage: dk_test_child MODE [ARGS...] (see tests/helpers/test_child.cpp)\n");
  return 64;
}

void write_text(int fd, const char* text) {
  size_t len = std::strlen(text);
  while (len > 0) {
    ssize_t n = ::write(fd, text, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    text += n;
    len -= static_cast<size_t>(n);
  }
}

void say_ready() { write_text(1, "ready\n"); }

[[noreturn]] void pause_forever() {
  for (;;) ::pause();
}

bool parse_int(const char* s, long& out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtol(s, &end, 10);
  return errno == 0 && *end == '\0';
}

// Opens (creating) path and takes a whole-file POSIX write lock; -1 on failure.
int lock_file(const char* path) {
  int fd = ::open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "dk_test_child: cannot open %s: %s\n", path, std::strerror(errno));
    return -1;
  }
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &fl) != 0) {
    std::fprintf(stderr, "dk_test_child: cannot lock %s: %s\n", path, std::strerror(errno));
    return -1;
  }
  return fd;
}

bool replace_content(int fd, const std::string& text) {
  if (::ftruncate(fd, 0) != 0) return false;
  return ::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
}

int do_sleep(const char* arg) {
  char* end = nullptr;
  double secs = std::strtod(arg, &end);
  if (*end != '\0' || !(secs >= 0) || !std::isfinite(secs)) return usage();
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(secs);
  ts.tv_nsec = static_cast<long>((secs - static_cast<double>(ts.tv_sec)) * 1e9);
  // The `sleep` mode *is* the service's behaviour (a process that stays up
  // for a while), not a test waiting on a guessed time: ok.
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {}  // ok: the mode itself
  return 0;
}

int ignore_term(const char* pidfile) {
  std::signal(SIGTERM, SIG_IGN);
  if (pidfile != nullptr) {
    int fd = lock_file(pidfile);
    if (fd < 0) return 1;
    if (!replace_content(fd, std::to_string(::getpid()) + "\n")) return 1;
  }
  say_ready();
  pause_forever();
}

int hold_lock(const char* path, const char* text) {
  int fd = lock_file(path);
  if (fd < 0) return 1;
  if (text != nullptr && !replace_content(fd, text)) return 1;
  say_ready();
  pause_forever();
}

// "" or "child ": set before the child's handlers can run, read in them.
const char* volatile signal_prefix = "";

extern "C" void report_signal(int sig) {
  // write() is async-signal-safe; snprintf is not, so format by hand.
  char line[48] = {};
  size_t at = 0;
  for (const char* p = signal_prefix; *p != '\0'; ++p) line[at++] = *p;
  for (const char* p = "signal "; *p != '\0'; ++p) line[at++] = *p;
  char digits[8];
  int n = 0;
  for (int v = sig; v > 0 && n < 8; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
  while (n > 0) line[at++] = digits[--n];
  line[at++] = '\n';
  line[at] = '\0';
  write_text(1, line);
}

int watch_signals(bool with_child) {
  struct sigaction sa {};
  sa.sa_handler = report_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  // Blocked until the child exists and knows who it is.
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &old);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::sigaction(sig, &sa, nullptr);  // glibc's internal signals refuse; fine
  }
  if (with_child) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return 1;
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      signal_prefix = "child ";
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      write_text(fds[1], "x");
      pause_forever();
    }
    ::close(fds[1]);
    char c = 0;
    while (::read(fds[0], &c, 1) < 0 && errno == EINTR) {}
    ::close(fds[0]);
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  say_ready();
  pause_forever();
}

int make_orphans(long n) {
  std::fflush(nullptr);
  for (long i = 0; i < n; ++i) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) return 1;
    pid_t child = ::fork();
    if (child < 0) return 1;
    if (child == 0) {
      // held by the child alone: the grandchild sees EOF when the child is gone
      int alive[2];
      if (::pipe2(alive, O_CLOEXEC) != 0) _exit(1);
      pid_t grandchild = ::fork();
      if (grandchild == 0) {
        ::close(alive[1]);
        char c = 0;
        while (::read(alive[0], &c, 1) < 0 && errno == EINTR) {}
        _exit(0);
      }
      pid_t sent = grandchild;
      (void)!::write(report[1], &sent, sizeof sent);
      _exit(grandchild < 0 ? 1 : 0);
    }
    ::close(report[1]);
    pid_t grandchild = -1;
    ssize_t got = 0;
    while ((got = ::read(report[0], &grandchild, sizeof grandchild)) < 0 && errno == EINTR) {}
    ::close(report[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (got != static_cast<ssize_t>(sizeof grandchild) || grandchild <= 0) return 1;
    std::printf("orphan %d\n", static_cast<int>(grandchild));
  }
  std::fflush(nullptr);
  say_ready();
  pause_forever();
}

int print_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 1;
  int self = ::dirfd(dir);
  while (struct dirent* e = ::readdir(dir)) {
    long fd = 0;
    if (!parse_int(e->d_name, fd) || fd == self) continue;
    char target[4096];
    std::string link = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    target[n < 0 ? 0 : n] = '\0';
    std::printf("%ld %s\n", fd, target);
  }
  ::closedir(dir);
  return 0;
}

int print_sigstate() {
  FILE* f = std::fopen("/proc/self/status", "re");
  if (f == nullptr) return 1;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "SigBlk:", 7) == 0 || std::strncmp(line, "SigIgn:", 7) == 0) std::fputs(line, stdout);
  }
  std::fclose(f);
  return 0;
}

int print_env() {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) std::printf("%s\n", *e);
  return 0;
}

int notify_ready() {
  const char* addr = std::getenv("NOTIFY_SOCKET");
  if (addr == nullptr || (*addr != '/' && *addr != '@')) {
    std::fprintf(stderr, "dk_test_child: NOTIFY_SOCKET is not set to a path or @name\n");
    return 1;
  }
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  size_t len = std::strlen(addr);
  if (len >= sizeof sa.sun_path) return 1;
  std::memcpy(sa.sun_path, addr, len);
  if (addr[0] == '@') sa.sun_path[0] = '\0';
  auto salen = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + len + (addr[0] == '@' ? 0 : 1));
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  static const char msg[] = "READY=1";
  if (::sendto(fd, msg, sizeof msg - 1, MSG_NOSIGNAL, reinterpret_cast<struct sockaddr*>(&sa), salen) < 0) {
    std::fprintf(stderr, "dk_test_child: cannot send to %s: %s\n", addr, std::strerror(errno));
    return 1;
  }
  ::close(fd);
  return 0;
}

// Our parent's comm ("" if unreadable).
std::string comm_of_parent() {
  FILE* f = std::fopen(("/proc/" + std::to_string(::getppid()) + "/comm").c_str(), "re");
  if (f == nullptr) return {};
  char name[64] = {};
  bool ok = std::fgets(name, sizeof name, f) != nullptr;
  std::fclose(f);
  std::string s = ok ? name : "";
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The pid of our parent's child named comm (a sibling of ours, never
// ourselves), or 0.
pid_t sibling_named(const char* comm) {
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return 0;
  pid_t found = 0;
  while (struct dirent* e = ::readdir(dir)) {
    long pid = 0;
    if (!parse_int(e->d_name, pid) || pid <= 1 || pid == ::getpid()) continue;
    std::string base = std::string("/proc/") + e->d_name;
    FILE* f = std::fopen((base + "/stat").c_str(), "re");
    if (f == nullptr) continue;
    char line[1024] = {};
    bool ok = std::fgets(line, sizeof line, f) != nullptr;
    std::fclose(f);
    const char* close = ok ? std::strrchr(line, ')') : nullptr;
    long ppid = 0;
    if (close == nullptr || std::sscanf(close + 1, " %*c %ld", &ppid) != 1 || ppid != ::getppid()) continue;
    f = std::fopen((base + "/comm").c_str(), "re");
    if (f == nullptr) continue;
    char name[64] = {};
    ok = std::fgets(name, sizeof name, f) != nullptr;
    std::fclose(f);
    if (ok && std::strncmp(name, comm, std::strlen(comm)) == 0 && name[std::strlen(comm)] == '\n') {
      found = static_cast<pid_t>(pid);
      break;
    }
  }
  ::closedir(dir);
  return found;
}

// MSG as notify sends it: "\n" decoded, {self}/{monitor}/{keeper} replaced.
std::string expand_message(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "\\n") == 0) {
      out += '\n';
      ++i;
    } else if (text.compare(i, 6, "{self}") == 0) {
      out += std::to_string(::getpid());
      i += 5;
    } else if (text.compare(i, 9, "{monitor}") == 0) {
      out += std::to_string(::getppid());
      i += 8;
    } else if (text.compare(i, 8, "{keeper}") == 0) {
      // The keeper is forked before the service is spawned, but names
      // itself a moment later: until then it carries the monitor's name.
      pid_t keeper = sibling_named("daemonkit-keep");
      if (keeper == 0) keeper = sibling_named(comm_of_parent().c_str());
      out += std::to_string(keeper);
      i += 7;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Sends "N*MSG" (or MSG once) on fd, connected to $NOTIFY_SOCKET.
bool send_message(int fd, const std::string& spec) {
  long count = 1;
  std::string text = spec;
  auto star = spec.find('*');
  if (star != std::string::npos && star > 0 && parse_int(spec.substr(0, star).c_str(), count)) {
    text = spec.substr(star + 1);
  }
  std::string msg = expand_message(text);
  for (long i = 0; i < count; ++i) {
    // Blocking: a full queue waits for the receiver instead of dropping.
    if (::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL) < 0) {
      if (errno == EINTR) {
        --i;
        continue;
      }
      std::fprintf(stderr, "dk_test_child: cannot send to $NOTIFY_SOCKET: %s\n", std::strerror(errno));
      return false;
    }
  }
  return true;
}

int notify(int argc, char** argv) {
  std::vector<std::string> messages;
  const char* fifo = nullptr;
  bool stay = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--pause") == 0) stay = true;
    else if (std::strcmp(argv[i], "--fifo") == 0 && i + 1 < argc) fifo = argv[++i];
    else messages.emplace_back(argv[i]);
  }
  const char* addr = std::getenv("NOTIFY_SOCKET");
  if (addr == nullptr || (*addr != '/' && *addr != '@')) {
    std::fprintf(stderr, "dk_test_child: NOTIFY_SOCKET is not set to a path or @name\n");
    return 1;
  }
  int in = -1;
  if (fifo != nullptr) {
    in = ::open(fifo, O_RDWR | O_CLOEXEC);  // read-write: never blocks, never sees EOF
    if (in < 0) {
      std::fprintf(stderr, "dk_test_child: cannot open %s: %s\n", fifo, std::strerror(errno));
      return 1;
    }
  }
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  size_t len = std::strlen(addr);
  if (len >= sizeof sa.sun_path) return 1;
  std::memcpy(sa.sun_path, addr, len);
  if (addr[0] == '@') sa.sun_path[0] = '\0';
  auto salen = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + len + (addr[0] == '@' ? 0 : 1));
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<struct sockaddr*>(&sa), salen) != 0) {
    std::fprintf(stderr, "dk_test_child: cannot connect to %s: %s\n", addr, std::strerror(errno));
    return 1;
  }
  for (const auto& m : messages) {
    if (!send_message(fd, m)) return 1;
  }
  if (in < 0 && !stay) return 0;
  write_text(1, "sent\n");
  if (in < 0) pause_forever();
  std::string buf;
  char chunk[4096];
  for (;;) {
    ssize_t n = ::read(in, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 1;
    buf.append(chunk, static_cast<size_t>(n));
    for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (!send_message(fd, line)) return 1;
      write_text(1, "sent\n");
    }
  }
}

// One link of a chain: every 20ms fork, and let the child carry on while the
// parent exits, so the chain's pid keeps moving (a snapshot of the tree is
// stale within 20ms). A failed fork (at the process limit) is retried.
[[noreturn]] void run_chain() {
  for (;;) {
    // The pace is the service's behaviour, not a test waiting on a guessed time.
    struct timespec ts {
      0, 20 * 1000 * 1000
    };
    ::nanosleep(&ts, nullptr);  // ok: the mode itself
    pid_t pid = ::fork();
    if (pid > 0) ::_exit(0);
  }
}

int fork_chains(long n) {
  std::signal(SIGTERM, SIG_IGN);
  std::fflush(nullptr);
  for (long i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid < 0) return 1;
    if (pid == 0) run_chain();
  }
  say_ready();
  pause_forever();
}

int fork_many(long n) {
  std::signal(SIGTERM, SIG_IGN);
  std::fflush(nullptr);
  for (long i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid < 0) {
      std::fprintf(stderr, "dk_test_child: fork %ld of %ld: %s\n", i + 1, n, std::strerror(errno));
      return 1;
    }
    if (pid == 0) pause_forever();
  }
  say_ready();
  pause_forever();
}

int kill_cost(long n) {
  std::vector<pid_t> kids;
  for (long i = 0; i < n; ++i) {
    pid_t pid = ::fork();
    if (pid < 0) return 1;
    if (pid == 0) pause_forever();
    kids.push_back(pid);
  }
  struct timespec t0 {
  }, t1{};
  ::clock_gettime(CLOCK_MONOTONIC, &t0);
  for (pid_t pid : kids) ::kill(pid, SIGKILL);
  for (pid_t pid : kids) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {}
  }
  ::clock_gettime(CLOCK_MONOTONIC, &t1);
  std::printf("%.3f\n",
              static_cast<double>(t1.tv_sec - t0.tv_sec) + static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}

int setuid_ignore_term() {
  if (::setresuid(0, 0, 0) != 0) {
    std::fprintf(stderr, "dk_test_child: setresuid(0, 0, 0): %s (not installed setuid root?)\n", std::strerror(errno));
    return 1;
  }
  std::signal(SIGTERM, SIG_IGN);
  say_ready();
  pause_forever();
}

int spew_lines(long n) {
  for (long i = 1; i <= n; ++i) std::printf("line %ld\n", i);
  return 0;
}

// One line, one write to an O_APPEND file: whole even when two instances
// write at once.
bool append_stamp(const char* path, const char* what) {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  char line[64];
  int n = std::snprintf(line, sizeof line, "%s %lld\n", what,
                        static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + static_cast<long long>(ts.tv_nsec));
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "dk_test_child: cannot open %s: %s\n", path, std::strerror(errno));
    return false;
  }
  bool ok = ::write(fd, line, static_cast<size_t>(n)) == n;
  ::close(fd);
  return ok;
}

int stamp(const char* path, const char* secs, const char* code) {
  long n = 1;
  if (code != nullptr && !parse_int(code, n)) return usage();
  if (!append_stamp(path, "start")) return 70;
  if (int r = do_sleep(secs); r != 0) return r;
  if (!append_stamp(path, "exit")) return 70;
  return static_cast<int>(n);
}

int fork_grandchild(const char* secs) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) _exit(do_sleep(secs));
  std::printf("%d\n", static_cast<int>(pid));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string mode = argv[1];
  const char* a1 = argc > 2 ? argv[2] : nullptr;
  const char* a2 = argc > 3 ? argv[3] : nullptr;
  long n = 0;
  if (mode == "exit" && parse_int(a1, n)) return static_cast<int>(n);
  if (mode == "sleep" && a1 != nullptr) return do_sleep(a1);
  if (mode == "pause") {
    say_ready();
    pause_forever();
  }
  if (mode == "ignore-term") return ignore_term(a1);
  if (mode == "hold-lock" && a1 != nullptr) return hold_lock(a1, a2);
  if (mode == "watch-signals") return watch_signals(a1 != nullptr && std::strcmp(a1, "--child") == 0);
  if (mode == "orphans" && parse_int(a1, n) && n >= 0) return make_orphans(n);
  if (mode == "print-fds") return print_fds();
  if (mode == "print-sigstate") return print_sigstate();
  if (mode == "print-env") return print_env();
  if (mode == "notify-ready") return notify_ready();
  if (mode == "notify") return notify(argc, argv);
  if (mode == "fork-chains" && parse_int(a1, n) && n >= 0) return fork_chains(n);
  if (mode == "fork-many" && parse_int(a1, n) && n >= 0) return fork_many(n);
  if (mode == "setuid-ignore-term") return setuid_ignore_term();
  if (mode == "kill-cost" && parse_int(a1, n) && n >= 0) return kill_cost(n);
  if (mode == "spew-lines" && parse_int(a1, n) && n >= 0) return spew_lines(n);
  if (mode == "fork-grandchild") return fork_grandchild(a1 != nullptr ? a1 : "3600");
  if (mode == "stderr" && a1 != nullptr) {
    long code = 1;
    if (a2 != nullptr && !parse_int(a2, code)) return usage();
    std::fprintf(stderr, "%s\n", a1);
    return static_cast<int>(code);
  }
  if (mode == "stamp" && a1 != nullptr && a2 != nullptr) return stamp(a1, a2, argc > 4 ? argv[4] : nullptr);
  if (mode == "kill-self" && parse_int(a1, n)) {
    std::signal(static_cast<int>(n), SIG_DFL);
    ::raise(static_cast<int>(n));
    return 1;
  }
  return usage();
}
