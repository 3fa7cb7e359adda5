// SPDX-License-Identifier: MIT
#include "sys/sys.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fsuid.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace daemonkit::sys {

namespace {
fault_hook g_fault_hook = nullptr;

// Returns true (with errno set) when the hook wants this call to fail.
bool injected(const char* call) noexcept {
  if (g_fault_hook == nullptr) return false;
  int err = g_fault_hook(call);
  if (err == 0) return false;
  errno = err;
  return true;
}

template <class F>
auto retry(F f) noexcept {
  for (;;) {
    auto r = f();
    if (r != -1 || errno != EINTR) return r;
  }
}
}  // namespace

void set_fault_hook(fault_hook hook) noexcept { g_fault_hook = hook; }

int deadline::poll_timeout_ms() const {
  if (!at) return -1;
  auto left = *at - clock::now();
  if (left <= clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

int open(const char* path, int flags, mode_t mode) noexcept {
  if (injected("open")) return -1;
  return retry([&] { return ::open(path, flags | O_CLOEXEC, mode); });
}

fs_ids current_fs_ids() {
  fs_ids ids{static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))),
             static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))),
             {}};
  int n = ::getgroups(0, nullptr);
  if (n > 0) {
    ids.groups.resize(static_cast<size_t>(n));
    n = ::getgroups(n, ids.groups.data());
    ids.groups.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  return ids;
}

int set_fs_ids(const fs_ids& ids) noexcept {
  if (injected("setfsuid")) return -1;
  errno = 0;
  // setfsuid/setfsgid report the previous id whatever happens: ask again to
  // learn whether the kernel took the new one.
  auto set_uid = [&] {
    ::setfsuid(ids.uid);
    return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) == ids.uid;
  };
  auto set_gid = [&] {
    ::setfsgid(ids.gid);
    return static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) == ids.gid;
  };
  // Going back to root (fsuid 0), the uid comes first, so that a failure
  // later never leaves the user's ids with root's groups; going to a user,
  // groups and gid first, so that a failure never leaves its uid with root's
  // groups.
  bool ok = ids.uid == 0 ? set_uid() && set_gid() && ::setgroups(ids.groups.size(), ids.groups.data()) == 0
                         : ::setgroups(ids.groups.size(), ids.groups.data()) == 0 && set_gid() && set_uid();
  if (!ok && errno == 0) errno = EPERM;
  return ok ? 0 : -1;
}

bool has_access_acl(int fd) noexcept { return ::fgetxattr(fd, "system.posix_acl_access", nullptr, 0) > 0; }

int openat(int dirfd, const char* path, int flags, mode_t mode) noexcept {
  if (injected("open")) return -1;
  return retry([&] { return ::openat(dirfd, path, flags | O_CLOEXEC, mode); });
}

ssize_t read(int fd, void* buf, size_t n) noexcept {
  if (injected("read")) return -1;
  return retry([&] { return ::read(fd, buf, n); });
}

ssize_t write(int fd, const void* buf, size_t n) noexcept {
  if (injected("write")) return -1;
  return retry([&] { return ::write(fd, buf, n); });
}

ssize_t write_all(int fd, const void* buf, size_t n) noexcept {
  const char* p = static_cast<const char*>(buf);
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, p + done, n - done);
    if (w < 0) return -1;
    done += static_cast<size_t>(w);
  }
  return static_cast<ssize_t>(done);
}

ssize_t read_full(int fd, void* buf, size_t n) noexcept {
  char* p = static_cast<char*>(buf);
  size_t done = 0;
  while (done < n) {
    ssize_t r = read(fd, p + done, n - done);
    if (r < 0) return -1;
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(done);
}

// Never retried: after EINTR the fd is already released on Linux.
int close(int fd) noexcept { return ::close(fd); }

int pipe(int fds[2], int extra_flags) noexcept {
  if (injected("pipe")) return -1;
  return ::pipe2(fds, O_CLOEXEC | extra_flags);
}

int dup_cloexec(int fd, int min_fd) noexcept { return ::fcntl(fd, F_DUPFD_CLOEXEC, min_fd); }

int dup2(int from, int to) noexcept {
  return retry([&] { return ::dup2(from, to); });
}

int poll(struct pollfd* fds, nfds_t n, deadline d) noexcept {
  for (;;) {
    int r = ::poll(fds, n, d.poll_timeout_ms());
    if (r != -1 || errno != EINTR) return r;
  }
}

int fcntl_lock(int fd, int cmd, struct flock* fl) noexcept {
  return retry([&] { return ::fcntl(fd, cmd, fl); });
}

int memfd_create(const char* name) noexcept { return ::memfd_create(name, MFD_CLOEXEC); }

ssize_t pread_full(int fd, void* buf, size_t n, off_t offset) noexcept {
  size_t done = 0;
  while (done < n) {
    ssize_t r =
        retry([&] { return ::pread(fd, static_cast<char*>(buf) + done, n - done, offset + static_cast<off_t>(done)); });
    if (r < 0) return -1;
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(done);
}

int set_cloexec(int fd, bool on) noexcept { return ::fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0); }

int exec(const char* path, char* const argv[]) noexcept { return ::execv(path, argv); }
int discard_pages(void* addr, std::size_t len) noexcept { return ::madvise(addr, len, MADV_DONTNEED); }

void* map_anonymous(std::size_t len, const char* name) noexcept {
  // fd -1: what MAP_ANONYMOUS asks for where it is not ignored.
  // cppcheck-suppress invalidFunctionArg
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const int saved = errno;
  (void)::prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, p, len, name);  // best effort: a name for people
  errno = saved;
  // The mapping is the caller's (unmap), which cppcheck cannot know.
  // cppcheck-suppress memleak
  return p;
}

int unmap(void* addr, std::size_t len) noexcept { return ::munmap(addr, len); }

std::size_t page_size() noexcept {
  static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

int exec(const char* path, char* const argv[], char* const envp[]) noexcept { return ::execve(path, argv, envp); }

int fsync(int fd) noexcept {
  return retry([&] { return ::fsync(fd); });
}

int pidfd_open(pid_t pid) noexcept {
  // glibc 2.36's <sys/pidfd.h> lacks extern "C"; the raw syscall avoids it.
  // pidfds are always close-on-exec.
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}

int pidfd_send_signal(int pidfd, int sig) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0U));
}

int pidfd_send_signal(int pidfd, int sig, siginfo_t* info) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, info, 0U));
}

int waitid_pidfd(int pidfd, siginfo_t* info, int options) noexcept {
  return retry([&] { return ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), info, options); });
}

pid_t waitpid(pid_t pid, int* status, int options) noexcept {
  return retry([&] { return ::waitpid(pid, status, options); });
}

namespace {

// Closes what is open in [first, last] by listing /proc/self/fd with
// getdents64 (no allocation, unlike readdir). Closing while listing can make
// the directory skip entries, so after a chunk that closed anything the
// listing starts over; it ends at a pass that closes nothing.
int close_listed_fds(unsigned first, unsigned last) noexcept {
  int dir = static_cast<int>(::syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir < 0) {
    // No /proc (a chroot, early boot): every fd the limit allows.
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    rlim_t end = std::min<rlim_t>(rl.rlim_cur, rlim_t{1} << 20);
    for (rlim_t fd = first; fd < end && fd <= last; ++fd) (void)::close(static_cast<int>(fd));
    return 0;
  }
  alignas(8) char buf[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bool closed = false;
    for (long at = 0; at < n;) {
      const auto* e = reinterpret_cast<const struct dirent64*>(buf + at);
      at += e->d_reclen;
      unsigned long fd = 0;
      bool number = e->d_name[0] != '\0';
      for (const char* c = e->d_name; *c != '\0' && number; ++c) {
        number = *c >= '0' && *c <= '9' && fd < 100'000'000;
        fd = fd * 10 + static_cast<unsigned long>(*c - '0');
      }
      if (!number || static_cast<int>(fd) == dir || fd < first || fd > last) continue;
      (void)::close(static_cast<int>(fd));
      closed = true;
    }
    if (closed) (void)::lseek(dir, 0, SEEK_SET);
  }
  (void)::close(dir);
  return 0;
}

}  // namespace

int close_range(unsigned first, unsigned last, unsigned flags) noexcept {
  if (!injected("close_range")) {
    int r = static_cast<int>(::syscall(SYS_close_range, first, last, flags));
    if (r == 0 || errno != ENOSYS || flags != 0) return r;
  } else if (errno != ENOSYS || flags != 0) {
    return -1;
  }
  return close_listed_fds(first, last);
}

int socket(int domain, int type, int protocol) noexcept {
  if (injected("socket")) return -1;
  return ::socket(domain, type | SOCK_CLOEXEC, protocol);
}

int accept(int fd) noexcept {
  return retry([&] { return ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC); });
}

int connect(int fd, const struct sockaddr* addr, socklen_t len) noexcept {
  if (injected("connect")) return -1;
  int r = ::connect(fd, addr, len);
  if (r != 0 && errno == EINTR) errno = EINPROGRESS;
  return r;
}

ssize_t send(int fd, const void* buf, size_t n, int flags) noexcept {
  if (injected("send")) return -1;
  return retry([&] { return ::send(fd, buf, n, flags | MSG_NOSIGNAL); });
}

int epoll_create() noexcept { return ::epoll_create1(EPOLL_CLOEXEC); }

int signalfd(int fd, const sigset_t* mask) noexcept { return ::signalfd(fd, mask, SFD_CLOEXEC | SFD_NONBLOCK); }

int inotify_init() noexcept { return ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK); }

int eventfd() noexcept { return ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

void eventfd_wake(int fd) noexcept {
  const int saved = errno;
  const std::uint64_t one = 1;
  // Non-blocking: EAGAIN only when the counter is near its maximum, and then
  // the fd is readable anyway. Not retried on EINTR by design: an eventfd
  // write never sleeps, so it is never interrupted.
  (void)::write(fd, &one, sizeof one);
  errno = saved;
}

void eventfd_drain(int fd) noexcept {
  std::uint64_t count = 0;
  (void)retry([&] { return ::read(fd, &count, sizeof count); });
}

void close_fds_except(const int* keep, size_t nkeep) noexcept {
  // Walk the gaps between kept fds in ascending order without allocating:
  // repeatedly find the smallest kept fd above the current start.
  unsigned start = 3;
  for (;;) {
    long next = -1;
    for (size_t i = 0; i < nkeep; ++i) {
      if (keep[i] >= static_cast<int>(start) && (next < 0 || keep[i] < next)) next = keep[i];
    }
    if (next < 0) {
      close_range(start, ~0U);
      return;
    }
    if (static_cast<unsigned>(next) > start) close_range(start, static_cast<unsigned>(next) - 1);
    start = static_cast<unsigned>(next) + 1;
  }
}

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be buf.
  return ::strerror_r(err, buf, sizeof buf);
}

}  // namespace daemonkit::sys
