// SPDX-License-Identifier: MIT
#include "sys/child_steps.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <grp.h>
#include <unistd.h>

#include "sys/sys.hpp"

namespace daemonkit::sys {

void reset_signals(bool keep_ignored) noexcept {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  // SIGKILL/SIGSTOP and glibc's internal real-time signals refuse; that is fine.
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    if (keep_ignored && ::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    ::sigaction(sig, &sa, nullptr);
  }
  sigset_t empty;
  sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
}

int install_stdio(int in, int out, int err) noexcept {
  int src[3] = {in, out, err};
  // A source that is itself 0, 1 or 2 could be overwritten by an earlier
  // dup2; move such sources out of the way first (close-on-exec copies).
  for (int i = 0; i < 3; ++i) {
    if (src[i] >= 0 && src[i] <= 2 && src[i] != i) {
      int moved = dup_cloexec(src[i], 3);
      if (moved < 0) return errno;
      for (int j = i; j < 3; ++j) {
        if (src[j] == src[i] && j != i) src[j] = moved;
      }
      src[i] = moved;
    }
  }
  for (int i = 0; i < 3; ++i) {
    if (src[i] < 0) continue;
    if (src[i] == i) {
      // dup2 onto itself would keep FD_CLOEXEC; clear it explicitly.
      if (::fcntl(i, F_SETFD, 0) != 0) return errno;
    } else if (dup2(src[i], i) < 0) {
      return errno;
    }
  }
  return 0;
}

int drop_privileges(const child_identity& id) noexcept {
  if (!id.change) return 0;
  if (::setgroups(id.ngroups, id.groups) != 0) return errno;
  if (::setgid(id.gid) != 0) return errno;
  if (::setuid(id.uid) != 0) return errno;
  if (id.uid != 0 && ::setuid(0) == 0) return EPERM;
  return 0;
}

}  // namespace daemonkit::sys
