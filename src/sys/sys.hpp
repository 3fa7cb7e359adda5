// SPDX-License-Identifier: MIT
// The syscall layer: the only place that calls raw syscalls that can fail with
// EINTR or create fds.
//
// Policy, applied here once so no caller has to remember it:
//  - every fd is created close-on-exec (O_CLOEXEC, pipe2, SOCK_CLOEXEC, ...);
//  - EINTR is retried, except for close() (never retried) and for poll(),
//    which recomputes the time left until its deadline before retrying;
//  - failures return -1 with errno set, exactly like the syscall, so callers
//    build the "what failed, on what, why" error themselves.
// A fault hook lets tests inject errors (ENOSPC, EMFILE, EINTR storms) into
// the calls that name a fault point.
#pragma once

#include <chrono>
#include <csignal>
#include <cstddef>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <vector>

struct flock;

namespace daemonkit::sys {

using clock = std::chrono::steady_clock;

// A point on the monotonic clock, or "never" (infinite wait).
struct deadline {
  std::optional<clock::time_point> at;
  static deadline never() { return {}; }
  static deadline after(std::chrono::nanoseconds d) { return {clock::now() + d}; }
  bool passed() const { return at && clock::now() >= *at; }
  // Milliseconds left for poll(): -1 for never, 0 when passed, rounded up.
  int poll_timeout_ms() const;
};

// Fault injection: when set, named calls ask the hook first; a non-zero
// return is used as errno and the call fails without running.
using fault_hook = int (*)(const char* call);
void set_fault_hook(fault_hook hook) noexcept;

int open(const char* path, int flags, mode_t mode = 0) noexcept;
int openat(int dirfd, const char* path, int flags, mode_t mode = 0) noexcept;
ssize_t read(int fd, void* buf, size_t n) noexcept;
ssize_t write(int fd, const void* buf, size_t n) noexcept;
// Writes all n bytes (retrying short writes); -1 on the first error.
ssize_t write_all(int fd, const void* buf, size_t n) noexcept;
// Reads until n bytes or EOF; returns bytes read or -1.
ssize_t read_full(int fd, void* buf, size_t n) noexcept;
int close(int fd) noexcept;
int pipe(int fds[2], int extra_flags = 0) noexcept;
int dup_cloexec(int fd, int min_fd = 3) noexcept;
int dup2(int from, int to) noexcept;
int poll(struct pollfd* fds, nfds_t n, deadline d) noexcept;
int fcntl_lock(int fd, int cmd, struct flock* fl) noexcept;
int fsync(int fd) noexcept;

int pidfd_open(pid_t pid) noexcept;
int pidfd_send_signal(int pidfd, int sig) noexcept;
// With a siginfo (e.g. SI_QUEUE carrying a value, as sigqueue() does).
int pidfd_send_signal(int pidfd, int sig, siginfo_t* info) noexcept;
// waitid(P_PIDFD, pidfd, info, options | WEXITED-or-what-you-pass).
int waitid_pidfd(int pidfd, siginfo_t* info, int options) noexcept;
pid_t waitpid(pid_t pid, int* status, int options) noexcept;
// close_range(2); on a kernel without it (before 5.9: ENOSYS) and flags 0,
// closes the open fds in [first, last] found in /proc/self/fd instead (or,
// without /proc, every fd below RLIMIT_NOFILE's soft limit). Async-signal-
// safe either way (raw syscalls, a buffer on the stack): it runs between
// fork and exec.
int close_range(unsigned first, unsigned last, unsigned flags = 0) noexcept;

int socket(int domain, int type, int protocol) noexcept;
int accept(int fd) noexcept;
// connect(). Not retried on EINTR: the connection goes on in the background,
// so EINTR is reported as EINPROGRESS (poll for POLLOUT, then read SO_ERROR).
int connect(int fd, const struct sockaddr* addr, socklen_t len) noexcept;
// send() with MSG_NOSIGNAL: a peer that is gone gives EPIPE, never SIGPIPE.
ssize_t send(int fd, const void* buf, size_t n, int flags = 0) noexcept;
int epoll_create() noexcept;  // EPOLL_CLOEXEC
int signalfd(int fd, const sigset_t* mask) noexcept;
int inotify_init() noexcept;  // IN_CLOEXEC | IN_NONBLOCK
int eventfd() noexcept;       // EFD_CLOEXEC | EFD_NONBLOCK, counter 0
// Adds 1 to an eventfd's counter, making it readable. Async-signal-safe and
// keeps errno, so a signal handler may call it.
void eventfd_wake(int fd) noexcept;
// Reads an eventfd's counter back to 0 (not readable until the next wake).
void eventfd_drain(int fd) noexcept;
int memfd_create(const char* name) noexcept;  // MFD_CLOEXEC
ssize_t pread_full(int fd, void* buf, size_t n, off_t offset) noexcept;
// Sets or clears FD_CLOEXEC: clearing it is the one way an fd of ours crosses
// an exec on purpose.
int set_cloexec(int fd, bool on) noexcept;
// execv(2) with the current environment; returns only on failure.
int exec(const char* path, char* const argv[]) noexcept;
// madvise(MADV_DONTNEED): the private anonymous pages in [addr, addr+len)
// are dropped (zero-filled when touched again). A part of the range that is
// not mapped fails it with ENOMEM after the mapped parts were dropped.
int discard_pages(void* addr, std::size_t len) noexcept;
// mmap(2) of len bytes of private anonymous memory, reserved, not committed
// (MAP_NORESERVE): pages count once touched. Named in /proc/PID/maps
// ("[anon:NAME]") where the kernel names mappings (Linux 5.17 with
// CONFIG_ANON_VMA_NAME); unnamed elsewhere. nullptr on failure (errno set).
void* map_anonymous(std::size_t len, const char* name) noexcept;
// munmap(2).
int unmap(void* addr, std::size_t len) noexcept;
// The page size, looked up once.
std::size_t page_size() noexcept;
// execve(2): with the environment given.
int exec(const char* path, char* const argv[], char* const envp[]) noexcept;

// The file-system identity (setfsuid/setfsgid and the supplementary groups)
// of this thread, for acting on files as another user while keeping the
// process's own ids. Returns 0, or -1 with errno set when the kernel did not
// take the ids (the caller must then not go on). Single-threaded callers
// only: setgroups changes the whole process.
struct fs_ids {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
};
fs_ids current_fs_ids();
int set_fs_ids(const fs_ids& ids) noexcept;

// Whether the file fd has a POSIX access ACL (system.posix_acl_access).
bool has_access_acl(int fd) noexcept;

// Closes every fd >= 3 except those in keep (unsorted, may contain fds < 3).
// Async-signal-safe: usable between fork and exec.
void close_fds_except(const int* keep, size_t nkeep) noexcept;

// strerror() without the thread-safety trap, as a string.
std::string errno_text(int err);

}  // namespace daemonkit::sys
