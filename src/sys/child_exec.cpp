// SPDX-License-Identifier: MIT
// Everything here runs between fork() and execve(): async-signal-safe calls
// only, on the plan's plain data; no allocation, no exceptions, no stdio.
#include "sys/child_exec.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "sys/sys.hpp"

namespace daemonkit::sys {

namespace {

[[noreturn]] void fail(const exec_plan& p, exec_stage stage, int err) noexcept {
  exec_report r{static_cast<std::uint32_t>(stage), err};
  write_all(p.error_fd, &r, sizeof r);
  ::_exit(stage == exec_stage::exec ? 127 : 126);
}

// execve each PATH candidate like execvpe: remember EACCES, keep going on
// ENOENT/ENOTDIR, stop on anything else.
int exec_search(const exec_plan& p) noexcept {
  const char* name = p.argv[0];
  std::size_t nlen = std::strlen(name);
  int saved = ENOENT;
  for (const char* const* dir = p.search; *dir != nullptr; ++dir) {
    std::size_t dlen = std::strlen(*dir);
    if (dlen + 1 + nlen + 1 > p.path_buf_size) continue;
    std::memcpy(p.path_buf, *dir, dlen);
    p.path_buf[dlen] = '/';
    std::memcpy(p.path_buf + dlen + 1, name, nlen + 1);
    ::execve(p.path_buf, const_cast<char* const*>(p.argv), const_cast<char* const*>(p.envp));  // NOLINT
    if (errno == EACCES) saved = EACCES;
    else if (errno != ENOENT && errno != ENOTDIR) return errno;
  }
  return saved;
}

}  // namespace

void run_child(const exec_plan& p) noexcept {
  reset_signals(p.keep_ignored_signals);
  if (p.setsid && ::setsid() < 0) fail(p, exec_stage::setsid, errno);
  if (p.setpgid && ::setpgid(0, 0) != 0) fail(p, exec_stage::process_group, errno);
  if (p.terminal >= 0) {
    // Done here, not by the parent after fork, as tini does it: the group is
    // in the foreground before the program runs, whatever the parent does
    // meanwhile. From a background group tcsetpgrp raises SIGTTOU unless it
    // is blocked; blocked, none is generated, so unblocking leaves none pending.
    sigset_t ttou;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    ::sigprocmask(SIG_BLOCK, &ttou, nullptr);
    // A terminal hung up or gone meanwhile is no reason not to run (tini too).
    if (::tcsetpgrp(p.terminal, ::getpid()) != 0 && errno != ENOTTY && errno != ENXIO && errno != EIO) {
      fail(p, exec_stage::terminal, errno);
    }
    ::sigprocmask(SIG_UNBLOCK, &ttou, nullptr);
  }

  // Any source fd (stdio, extra fds, the error pipe) may sit on a number that
  // another step is about to dup2 onto. Lift every source above the highest
  // target first (close-on-exec copies), then place them.
  constexpr std::size_t max_fds = 64;
  if (p.nfds > max_fds) fail(p, exec_stage::fds, EMFILE);
  int hi = 3;
  for (std::size_t i = 0; i < p.nfds; ++i) hi = p.fds[i].to >= hi ? p.fds[i].to + 1 : hi;
  exec_plan lifted = p;
  auto lift = [&](int fd) noexcept {
    if (fd < 0) return fd;
    int moved = dup_cloexec(fd, hi);
    if (moved < 0) fail(lifted, exec_stage::fds, errno);
    return moved;
  };
  lifted.error_fd = lift(p.error_fd);
  int in = lift(p.in), out = lift(p.out), err = lift(p.err);
  int from[max_fds];
  for (std::size_t i = 0; i < p.nfds; ++i) from[i] = lift(p.fds[i].from);
  // dup2 to a different number yields an fd without FD_CLOEXEC.
  for (std::size_t i = 0; i < p.nfds; ++i) {
    if (dup2(from[i], p.fds[i].to) < 0) fail(lifted, exec_stage::fds, errno);
  }
  if (int e = install_stdio(in, out, err); e != 0) fail(lifted, exec_stage::stdio, e);

  // Close everything else except the error pipe (close-on-exec: it closes at exec).
  int keep[max_fds + 1];
  std::size_t nkeep = 0;
  keep[nkeep++] = lifted.error_fd;
  for (std::size_t i = 0; i < p.nfds; ++i) keep[nkeep++] = p.fds[i].to;
  close_fds_except(keep, nkeep);

  for (std::size_t i = 0; i < p.nrlimits; ++i) {
    if (::setrlimit(static_cast<__rlimit_resource_t>(p.rlimit_resources[i]), &p.rlimit_values[i]) != 0) {
      fail(lifted, exec_stage::rlimit, errno);
    }
  }
  if (p.nice != 0) {
    errno = 0;
    if (::nice(p.nice) == -1 && errno != 0) fail(lifted, exec_stage::nice, errno);
  }
  if (p.chroot != nullptr && ::chroot(p.chroot) != 0) fail(lifted, exec_stage::chroot, errno);
  if (::chdir(p.chdir) != 0) fail(lifted, exec_stage::chdir, errno);
  if (int e = drop_privileges(p.identity); e != 0) fail(lifted, exec_stage::identity, e);
  if (p.umask >= 0) ::umask(static_cast<mode_t>(p.umask));

  // Last, so that the window in which the spawner can die unnoticed is the
  // few instructions up to execve, not every step above.
  if (p.parent > 0 && ::getppid() != p.parent) ::_exit(127);
  if (p.path != nullptr) {
    ::execve(p.path, const_cast<char* const*>(p.argv), const_cast<char* const*>(p.envp));  // NOLINT
    fail(lifted, exec_stage::exec, errno);
  }
  fail(lifted, exec_stage::exec, exec_search(lifted));
}

}  // namespace daemonkit::sys
