// SPDX-License-Identifier: MIT
// daemonkit-keep: holds a service's output pipes while its monitor lives, so
// that the service never gets SIGPIPE if the monitor is killed, and hands
// them to the monitor program's drain mode (service_output.cpp,
// keeper_drain_main) once the monitor is gone.
//
// One runs per service, for the service's whole life, so it is built
// freestanding (no libc, no libstdc++, raw syscalls, a _start of its own;
// tools/keeper/CMakeLists.txt): what stays resident is one page of stack and
// the few pages of this code that every keeper shares. A glibc program would
// keep ~50-100 KiB of its start-up (TLS, locale, malloc arenas, relocations)
// for a process that only ever sleeps in poll.
//
//   daemonkit-keep MONITOR_PIDFD OUT_FD ERR_FD DRAIN_FD DRAIN_ARGV0 [DRAIN_ARGS...]
//
// Every fd is inherited (OUT_FD or ERR_FD "-" when that stream has no pipe).
// While the monitor lives the keeper sleeps in one poll on MONITOR_PIDFD: no
// wakeups. When the monitor is gone: if every pipe is empty with no writer
// left, it exits 0; otherwise it execs DRAIN_FD (an O_PATH fd of the monitor
// program, so the same build as the monitor's, whatever an upgrade put at its
// path since) with DRAIN_ARGV and its own environment: the drain opens the
// logs as the monitor did and copies until every writer is gone. If that exec
// fails, it reads and discards until then, so the service still never gets
// SIGPIPE. Exit codes: 0 done, 2 bad arguments.
//
// x86-64 Linux only: other architectures build no keeper and the monitor
// forks one of its own (service_output.cpp).
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>

namespace {

// struct pollfd and its bits, as the kernel ABI has them (no libc headers).
struct poll_fd {
  int fd;
  short events;
  short revents;
};
constexpr short pollin = 0x001;
constexpr short pollhup = 0x010;
constexpr long eintr = 4;
constexpr long eagain = 11;

// The only system calls, each in one place. x86-64: number in rax, arguments
// in rdi, rsi, rdx, r10, r8; rcx and r11 clobbered; -errno returned.
long syscall3(long n, long a, long b, long c) {
  long r = 0;
  asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

long syscall5(long n, long a, long b, long c, long d, long e) {
  long r = 0;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  asm volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  return r;
}

[[noreturn]] void exit_now(int code) {
  for (;;) (void)syscall3(__NR_exit_group, code, 0, 0);
}

// poll with no timeout until some fd has events. Retried on EINTR (a
// stop/continue) and on any other failure: with valid arguments only ENOMEM
// is left, and giving up would either drop the pipes or drain beside a live
// monitor.
void poll_forever(poll_fd* fds, long n) {
  while (syscall3(__NR_poll, reinterpret_cast<long>(fds), n, -1) <= 0) {}
}

// A decimal fd, or -1 for "-"; -2 when it is neither.
int parse_fd(const char* s) {
  if (s[0] == '-' && s[1] == '\0') return -1;
  long v = 0;
  if (*s == '\0') return -2;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9' || v > 1000000) return -2;
    v = v * 10 + (*s - '0');
  }
  return static_cast<int>(v);
}

// True when no pipe holds data or has a writer left: nothing to copy, ever.
bool pipes_finished(poll_fd* pipes, long n) {
  for (long i = 0; i < n; ++i) {
    pipes[i].events = pollin;
    pipes[i].revents = 0;
  }
  if (syscall3(__NR_poll, reinterpret_cast<long>(pipes), n, 0) < 0) return false;
  for (long i = 0; i < n; ++i) {
    if (pipes[i].fd >= 0 && pipes[i].revents != pollhup) return false;
  }
  return true;
}

// The drain could not run: keep reading (and dropping) until every writer is
// gone, so that the service's writes still never fail.
[[noreturn]] void discard_until_eof(poll_fd* pipes, long n) {
  char buf[512];
  int open_pipes = 0;
  for (long i = 0; i < n; ++i) open_pipes += pipes[i].fd >= 0 ? 1 : 0;
  while (open_pipes > 0) {
    poll_forever(pipes, n);
    for (long i = 0; i < n; ++i) {
      if (pipes[i].fd < 0 || pipes[i].revents == 0) continue;
      long r = syscall3(__NR_read, pipes[i].fd, reinterpret_cast<long>(buf), sizeof buf);
      if (r == -eintr || r == -eagain /* the pipe is non-blocking (the monitor's mode) */) continue;
      if (r <= 0) {
        pipes[i].fd = -1;
        --open_pipes;
      }
    }
  }
  exit_now(0);
}

}  // namespace

// Called by _start with the initial stack: argc, argv..., nullptr, envp...
extern "C" [[noreturn]] void keeper_main(long* stack) {
  const long argc = stack[0];
  char** argv = reinterpret_cast<char**>(stack + 1);
  char** envp = argv + argc + 1;
  if (argc < 6) exit_now(2);
  const int monitor = parse_fd(argv[1]);
  const int drain = parse_fd(argv[4]);
  poll_fd pipes[2] = {{parse_fd(argv[2]), pollin, 0}, {parse_fd(argv[3]), pollin, 0}};
  if (monitor < 0 || drain < 0 || pipes[0].fd < -1 || pipes[1].fd < -1) exit_now(2);
  // The name ps and a service's checks look for, whatever name the exec
  // gave (a symlink, an fd).
  (void)syscall3(__NR_prctl, PR_SET_NAME, reinterpret_cast<long>("daemonkit-keep"), 0);

  poll_fd watch{monitor, pollin, 0};
  poll_forever(&watch, 1);
  // The monitor is gone.
  if (pipes_finished(pipes, 2)) exit_now(0);
  (void)syscall5(__NR_execveat, drain, reinterpret_cast<long>(""), reinterpret_cast<long>(argv + 5),
                 reinterpret_cast<long>(envp), AT_EMPTY_PATH);
  discard_until_eof(pipes, 2);
}

// The entry point: no C runtime to set up. The ABI wants a 16-byte aligned
// stack at a call; the kernel's rsp points at argc.
asm(R"(
  .text
  .globl _start
  .type _start, @function
_start:
  xor %ebp, %ebp
  mov %rsp, %rdi
  and $-16, %rsp
  call keeper_main
  hlt
)");
