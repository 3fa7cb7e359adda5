// SPDX-License-Identifier: MIT
// The machine's checks: readiness tries (--ready CHECK, --ready pidfile:) and
// health checks (--health), one at a time, each answered by `probed`.
#include <algorithm>
#include <string>
#include <utility>

#include "supervisor/machine_builder.hpp"

namespace daemonkit::supervisor {

void builder::on(const ev::try_due& e) {
  if (s_.trying || !s_.try_at) return;
  switch (s_.at) {
    case phase::starting:
      if (c_.ready == machine_config::readiness::check || s_.awaiting_pidfile) start_try(act::ready_try, e.now);
      return;
    case phase::running:
      if (c_.health) start_try(act::health_try, e.now);
      return;
    case phase::backoff:
    case phase::stopping:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
}

void builder::on(const ev::probed& e) {
  if (!s_.trying) return;  // a try cancelled since (its phase was left)
  switch (s_.at) {
    case phase::starting: readiness_verdict(e); return;
    case phase::running:
      if (c_.health) health_verdict(e);
      return;
    case phase::backoff:
    case phase::stopping:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
}

// Tries start at once and back off (10 ms doubling to 250 ms) until one
// passes or the ready timeout (the deadline) ends the start.
void builder::readiness_verdict(const ev::probed& e) {
  s_.trying = false;
  if (e.ok) {
    if (s_.awaiting_pidfile) {
      s_.main_alive = true;  // the loop adopted the process the pidfile names
      s_.awaiting_pidfile = false;
    }
    become_ready(e.now);
    return;
  }
  if (e.fatal) {
    if (s_.start_pending) fail_start(e.why, true, false, e.now);
    else restart_not_ready(e.why, e.now);
    return;
  }
  s_.try_at = e.now + s_.try_gap;
  s_.try_gap = std::min(s_.try_gap * 2, c_.max_try_gap);
}

// Checks run every interval, start to start. The service is unhealthy after
// health_retries failures in a row; with a respawn policy it is then
// restarted (stopped as a stop would, and started again).
void builder::health_verdict(const ev::probed& e) {
  s_.trying = false;
  s_.try_at = std::max(s_.try_started + c_.health_interval, e.now);
  if (e.ok) {
    s_.health_failures = 0;
    if (s_.health != health_state::healthy) {
      if (s_.health == health_state::unhealthy) say("healthy again: " + c_.health_check + ": " + e.why);
      s_.health = health_state::healthy;
      add(act::publish);
    }
    return;
  }
  ++s_.health_failures;
  say("health check " + c_.health_check + " failed (" + std::to_string(s_.health_failures) + " of " +
      std::to_string(c_.health_retries) + "): " + e.why);
  if (s_.health_failures < c_.health_retries || s_.health == health_state::unhealthy) return;
  s_.health = health_state::unhealthy;
  add(act::publish);
  if (c_.respawn.mode != respawn_mode::never) restart_unhealthy(e.now);
}

void builder::restart_unhealthy(clock::time_point now) {
  stop_trying();
  s_.last_exit_note = "unhealthy: " + c_.health_check + " failed " + std::to_string(s_.health_failures) + " times";
  say(s_.last_exit_note + "; restarting");
  s_.at = phase::stopping;
  s_.reason = stop_reason::restart;
  decide_respawn(exit_status{false, 1, false}, now);
  s_.step = stop_step::signalled;
  s_.deadline = now + c_.stop_timeout;
  add(act::publish);
  send_stop(c_.stop_signal);
  add(act::check_tree);
}

}  // namespace daemonkit::supervisor
