// SPDX-License-Identifier: MIT
#include "supervisor/service_tree.hpp"

#include <algorithm>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "daemonkit/detail/proc.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor {

// A stopped process (SIGSTOP, a job stopped by ^Z) acts on no signal but
// KILL until it is continued: one found stopped after a stop signal gets
// SIGCONT, as systemd sends it. (Only stopped ones: the others see exactly
// the signals they were sent.)
bool wakes_stopped(int sig) { return sig != SIGKILL && sig != SIGCONT && sig != SIGSTOP; }

bool service_tree::contains(pid_t pid) const {
  return pid > 1 && pid != ::getpid() && pid != keeper_ && is_descendant(pid, ::getpid());
}

bool service_tree::empty() const {
  for (const auto& st : list_children(::getpid())) {
    if (st.pid != keeper_ && st.state != 'Z' && st.state != 'X') return false;
  }
  return true;
}

bool is_stopped(pid_t pid) {
  auto st = read_proc_stat(pid);
  return st && st->state == 'T';
}

result<void> signal_main(const process& main, int sig) {
  auto r = main.signal(sig);
  if (r && wakes_stopped(sig) && is_stopped(main.pid())) (void)main.signal(SIGCONT);
  return r;
}

tree_signal_report service_tree::signal(const process& main, int sig) const {
  tree_signal_report swept;
  const bool main_alive = main.valid() && !main.exited();
  if (group_) {
    // The others first, the main process last: a main process that exits at
    // once on the signal would have its children reparented to us while the
    // walk reads the tree, after we read our own children and before we
    // read its: the walk would miss them, and they would get no stop signal
    // (only the SIGKILL at the timeout). Our own signal cannot do that to
    // them: the walk lists everyone before anyone is signalled.
    std::vector<pid_t> spare;
    if (keeper_ > 0) spare.push_back(keeper_);
    if (main.valid()) spare.push_back(main.pid());  // signalled below
    swept = signal_descendants(::getpid(), sig, spare);
  }
  if (main_alive) {
    swept.live.insert(swept.live.begin(), main.pid());
    if (auto r = signal_main(main, sig); !r) swept.refused.push_back(main.pid());
  }
  if (!group_ || !wakes_stopped(sig)) return swept;
  for (const auto& st : list_descendant_stats(::getpid())) {
    if (st.state != 'T' || st.pid == keeper_ || (main.valid() && st.pid == main.pid())) continue;
    // Pinned, then confirmed below us, as signal_descendants does.
    auto p = process::open(st.pid);
    if (p && is_descendant(st.pid, ::getpid())) (void)p->signal(SIGCONT);
  }
  return swept;
}

result<void> service_tree::signal_group(const process& main, int sig) const {
  auto st = read_proc_stat(main.pid());
  if (!st || st->pgid <= 1 || st->pgid == ::getpgrp() || main.exited()) return main.signal(sig);
  // A group id is safe to signal while its leader's pid cannot be recycled:
  // a child of ours, which only we reap (dead, it stays a zombie holding the
  // id until we do, and nothing here reaps in between).
  auto leader = read_proc_stat(st->pgid);
  if (!leader || leader->ppid != ::getpid()) return main.signal(sig);
  if (::kill(-st->pgid, sig) != 0) {
    return system_error("cannot send signal " + std::to_string(sig) + " to process group " + std::to_string(st->pgid));
  }
  return {};
}

std::optional<exit_status> service_tree::reap(pid_t main, pid_t spare) {
  std::optional<exit_status> main_status;
  auto took = [&](pid_t p, int status) {
    if (main > 0 && p == main) main_status = exit_status::from_wait_status(status);
    if (p == keeper_) keeper_ = 0;
  };
  if (spare <= 0) {
    for (;;) {
      int status = 0;
      pid_t p = sys::waitpid(-1, &status, WNOHANG);
      if (p <= 0) break;
      took(p, status);
    }
    return main_status;
  }
  // waitpid(-1) cannot skip one child: reap the others one by one.
  for (const auto& st : list_children(::getpid())) {
    if (st.pid == spare || st.state != 'Z') continue;
    int status = 0;
    if (sys::waitpid(st.pid, &status, WNOHANG) == st.pid) took(st.pid, status);
  }
  return main_status;
}

}  // namespace daemonkit::supervisor
