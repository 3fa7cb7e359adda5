// SPDX-License-Identifier: MIT
// The machine's stopping half: stop requests, deadlines, and what each
// death and sweep of the tree means (see machine.hpp).
#include <utility>

#include "supervisor/machine_builder.hpp"

namespace daemonkit::supervisor {

// The stop signal: to the main process alone in kill mode mixed (it stops its
// workers itself), else to the whole tree.
void builder::send_stop(int sig) {
  if (c_.stop_main_only) out_.actions.push_back(action{act::signal_main, sig, false, {}, false});
  else signal_tree(sig, false);
}

// An instance that is not going to be ready (ready timeout, a pidfile naming
// a stranger) after the first start: killed, and restarted as the respawn
// policy says.
void builder::restart_not_ready(const std::string& why, clock::time_point now) {
  stop_trying();
  say(why + "; restarting");
  s_.at = phase::stopping;
  s_.reason = stop_reason::restart;
  decide_respawn(exit_status{false, 1, false}, now);
  add(act::publish);
  kill(now);
}

void builder::on(const ev::stop& e) {
  switch (s_.at) {
    case phase::backoff: finish(phase::stopped); return;
    case phase::stopping:
      // In the foreground each TERM/INT is forwarded: a service that handles
      // the first one (INT) must still see the next (TERM).
      if (c_.foreground && s_.main_alive) out_.actions.push_back(action{act::signal_main, e.sig, false, {}, false});
      if (s_.reason == stop_reason::restart) s_.reason = stop_reason::requested;  // the cleanup becomes the final stop
      // Asked again while processes remain: try SIGKILL on them once more.
      if (s_.step == stop_step::overdue) signal_tree(SIGKILL, true);
      return;
    case phase::starting:
    case phase::running:
      stop_trying();
      s_.at = phase::stopping;
      s_.reason = stop_reason::requested;
      s_.step = stop_step::signalled;
      s_.deadline = e.now + e.timeout.value_or(c_.stop_timeout);
      s_.escalated = false;
      add(act::publish);  // before the sweep: status tells the truth while it runs
      add(act::notify_stopping);
      send_stop(e.sig);
      // With the main process alive its exit decides (tree_checked would be
      // ignored): no walk of the tree between the signal and the wait for
      // that exit, which is what `stop` waits on.
      if (!s_.main_alive) add(act::check_tree);
      return;
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
}

void builder::on(const ev::deadline& e) {
  s_.deadline.reset();
  switch (s_.at) {
    case phase::starting:
      if (s_.start_pending) {
        fail_start(not_ready_within(), true, false, e.now);
        return;
      }
      restart_not_ready(not_ready_within(), e.now);
      return;
    case phase::backoff: start_instance(); return;
    case phase::stopping:
      switch (s_.step) {
        case stop_step::signalled:
          say("still running after " + format_duration(c_.stop_timeout) + "; sending SIGKILL");
          if (s_.reason == stop_reason::requested) s_.escalated = true;
          kill(e.now);
          return;
        case stop_step::killing:
          s_.step = stop_step::reporting;
          signal_tree(SIGKILL, true);
          return;
        case stop_step::reporting:
        case stop_step::overdue: return;  // no deadline there: only deaths move it on
      }
      return;
    case phase::running:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
}

void builder::on(const ev::child_exited&) {
  switch (s_.at) {
    case phase::stopping: break;
    case phase::starting:
    case phase::running:
    case phase::backoff:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;  // the main process's exit comes as main_exited
  }
  switch (s_.step) {
    case stop_step::signalled:
      if (s_.main_alive) return;
      if (c_.group) add(act::check_tree);
      else tree_done();
      return;
    case stop_step::killing:
    case stop_step::reporting:
    case stop_step::overdue: signal_tree(SIGKILL, true); return;
  }
}

void builder::on(const ev::tree_checked& e) {
  switch (s_.at) {
    case phase::stopping: break;
    case phase::starting:
    case phase::running:
    case phase::backoff:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
  switch (s_.step) {
    case stop_step::signalled:
      if (s_.main_alive || (c_.group && !e.empty)) return;
      tree_done();
      return;
    case stop_step::killing:
    case stop_step::reporting:
    case stop_step::overdue: signal_tree(SIGKILL, true); return;
  }
}

void builder::on(const ev::swept& e) {
  switch (s_.at) {
    case phase::stopping: break;
    case phase::starting:
    case phase::running:
    case phase::backoff:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
  const bool empty = e.live.empty() && !s_.main_alive;
  bool report = false;  // the kill wait just passed: say what is left
  switch (s_.step) {
    case stop_step::signalled: return;  // a sweep's answer from before the stop: nothing to decide
    case stop_step::killing:
      if (empty) tree_done();
      return;
    case stop_step::reporting:
      s_.step = stop_step::overdue;
      report = true;
      break;
    case stop_step::overdue: break;
  }
  if (empty) {
    tree_done();
    return;
  }
  if (e.live != s_.remaining) {
    s_.remaining = e.live;
    add(act::publish);
  }
  if (!report || s_.remaining.empty()) return;
  if (s_.reason == stop_reason::restart) {
    // Before a respawn: the next instance may still start; the leftovers
    // stay below the monitor and the next stop sweeps them again.
    say(describe_remaining(s_.remaining) + "; giving up on them");
    s_.remaining.clear();
    apply_respawn();
    return;
  }
  say(describe_remaining(s_.remaining) + "; still stopping");
  report_failure();  // a failed start is not kept waiting on processes SIGKILL does not end
}

}  // namespace daemonkit::supervisor
