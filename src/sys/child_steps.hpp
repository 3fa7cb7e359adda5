// SPDX-License-Identifier: MIT
// The steps a freshly forked child takes before execve() or before handing
// control to daemon code.
//
// Everything here runs between fork and exec/_exit, so every function is
// noexcept, allocates nothing, throws nothing, logs nothing, and calls only
// async-signal-safe syscalls on plain data prepared before the fork. Each
// returns 0 or an errno value; the caller reports {stage, errno} and _exits.
#pragma once

#include <cstddef>
#include <sys/types.h>

namespace daemonkit::sys {

// What the child should become, as plain data; pointers point into memory the
// parent prepared before fork and keeps alive.
struct child_identity {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  size_t ngroups = 0;
};

// SIG_DFL for every signal (no inherited SIG_IGN survives exec, unless
// keep_ignored: then those stay ignored) and an empty mask.
void reset_signals(bool keep_ignored = false) noexcept;
// Makes fds in/out/err into 0/1/2 (any may be -1 to keep the current one);
// handles the case where a source is already one of 0/1/2.
int install_stdio(int in, int out, int err) noexcept;
// setgroups, setgid, setuid, in that order; verifies setuid(0) then fails.
int drop_privileges(const child_identity& id) noexcept;

}  // namespace daemonkit::sys
