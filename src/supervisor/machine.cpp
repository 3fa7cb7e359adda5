// SPDX-License-Identifier: MIT
#include "supervisor/machine.hpp"

#include <utility>

#include "supervisor/machine_builder.hpp"

namespace daemonkit::supervisor {

// Published before the fork: if the monitor is killed between the fork and
// the next publish, "starting" with no pid tells status/start/stop to look
// for an orphaned instance instead of assuming there is none.
void builder::start_instance() {
  s_.at = phase::starting;
  s_.main_alive = false;
  s_.deadline.reset();
  stop_trying();
  s_.awaiting_pidfile = false;
  s_.health = health_state::none;
  s_.health_failures = 0;
  add(act::publish);
  add(act::spawn);
}

void builder::become_ready(clock::time_point now) {
  stop_trying();
  // Said once ready, so the pid is the main process's (after MAINPID= or
  // the pidfile named it), not a wrapper's.
  if (s_.tracker.restarts() > 0) add(act::announce_restart);
  s_.at = phase::running;
  s_.deadline.reset();
  if (c_.health) {
    s_.health = health_state::starting;  // until the first check passes (or fails health_retries times)
    s_.health_failures = 0;
  }
  add(act::publish);
  if (s_.start_pending) add(act::report_ready);
  s_.start_pending = false;
  add(act::notify_ready);
  if (c_.health) start_try(act::health_try, now);  // the first check right away
}

void builder::stop_trying() {
  s_.trying = false;
  s_.try_at.reset();
}

void builder::start_try(act what, clock::time_point now) {
  s_.trying = true;
  s_.try_at.reset();
  s_.try_started = now;
  add(what);
}

// A failed start leaves nothing behind: what the service started (its main
// process, or what that forked before it died) is killed first, and the
// failure is reported once it is gone, so whoever started the service finds
// none of it left when it hears.
void builder::fail_start(std::string why, bool with_output, bool tree_empty, clock::time_point now) {
  stop_trying();
  s_.start_pending = false;
  s_.failure = start_failure{std::move(why), with_output};
  if (!s_.main_alive && tree_empty) {
    report_failure();
    finish(phase::failed);
    return;
  }
  s_.at = phase::stopping;
  s_.reason = stop_reason::failed_start;
  add(act::publish);
  kill(now);
}

void builder::report_failure() {
  if (!s_.failure) return;
  out_.actions.push_back(action{act::report_failure, 0, false, std::move(s_.failure->why), s_.failure->with_output});
  s_.failure.reset();
}

// The instance exited (or never ran) without being asked to: restart it or
// not, as the respawn policy says, once its leftovers are gone.
void builder::exited_on_its_own(const exit_status& st, bool tree_empty, clock::time_point now) {
  stop_trying();
  say(st.describe());
  decide_respawn(st, now);
  if (c_.group && !tree_empty) {
    // Leftover processes (a master's workers) would hold ports and files the
    // next instance needs: stop them first.
    s_.at = phase::stopping;
    s_.reason = stop_reason::restart;
    s_.step = stop_step::signalled;
    s_.deadline = now + c_.stop_timeout;
    add(act::publish);  // before the sweep: status tells the truth while it runs
    signal_tree(c_.stop_signal, false);
    return;
  }
  apply_respawn();
}

// What the respawn policy says of an exit (or of an instance about to be
// stopped) at `now`; acted on by apply_respawn once the tree is empty.
void builder::decide_respawn(const exit_status& st, clock::time_point now) {
  s_.respawn_delay = s_.tracker.on_exit(st, now);
  s_.respawn_from = now;
}

namespace {

// from + d, or the farthest time the clock holds when that would overflow
// (a max_delay of centuries).
clock::time_point later(clock::time_point from, milliseconds d) {
  if (d > std::chrono::duration_cast<milliseconds>(clock::time_point::max() - from)) return clock::time_point::max();
  return from + d;
}

}  // namespace

// The backoff counts from the exit, not from when its leftovers were gone: the
// events that say the tree is empty carry no time, and the time a cleanup
// took is time the service was not restarted anyway.
void builder::apply_respawn() {
  auto delay = std::exchange(s_.respawn_delay, std::nullopt);
  if (!delay) {
    if (s_.tracker.gave_up()) {
      say("gave up: restarted too often (" + std::to_string(c_.respawn.limit) + " starts within " +
          std::to_string(c_.respawn.window.count()) + "ms)");
      finish(phase::failed);
    } else {
      finish(phase::exited);
    }
    return;
  }
  // At once: the spawn is an action of this very step. Not after a failed
  // spawn, though: its answer comes back within the same dispatch, so a
  // program that cannot be executed would be spawned again and again (min
  // uptime or max delay 0, no limit) with the monitor deaf to signals; it
  // waits for the loop's next turn in a backoff due at once.
  if (delay->count() == 0 && !after_failed_spawn_) {
    start_instance();
    return;
  }
  s_.at = phase::backoff;
  s_.deadline = later(s_.respawn_from, *delay);
  if (delay->count() > 0) say("restarting in " + std::to_string(delay->count()) + "ms");
  add(act::publish);
}

void builder::kill(clock::time_point now) {
  s_.step = stop_step::killing;
  s_.deadline = now + c_.kill_wait;
  signal_tree(SIGKILL, true);  // the answer ends the stop at once when nothing was left
}

void builder::tree_done() {
  s_.deadline.reset();
  s_.remaining.clear();
  switch (s_.reason) {
    case stop_reason::requested: finish(phase::stopped); return;
    case stop_reason::failed_start:
      report_failure();
      finish(phase::failed);
      return;
    case stop_reason::restart: apply_respawn(); return;
  }
}

void builder::finish(phase end) {
  s_.at = end;
  s_.deadline.reset();
  stop_trying();
  s_.health = health_state::none;
}

void builder::on(const ev::begin&) {
  switch (s_.at) {
    case phase::starting: start_instance(); return;
    case phase::running:
    case phase::backoff:
    case phase::stopping:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
}

void builder::on(const ev::setup_failed& e) {
  switch (s_.at) {
    case phase::starting: fail_start(e.why, false, true, clock::time_point{}); return;
    case phase::running:
    case phase::backoff:
    case phase::stopping:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;  // set-up happens once, before the first spawn
  }
}

void builder::on(const ev::spawned& e) {
  switch (s_.at) {
    case phase::starting:
      if (s_.main_alive) return;  // spawn is only asked for when there is no main process
      break;
    case phase::running:
    case phase::backoff:
    case phase::stopping:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;  // spawn is only asked for in starting
  }
  s_.tracker.started(e.now);
  s_.main_alive = true;
  s_.reloading = false;
  s_.stopping_announced = false;
  if (c_.ready == machine_config::readiness::exec) {
    become_ready(e.now);
    return;
  }
  s_.deadline = e.now + c_.ready_timeout;
  add(act::publish);
  if (c_.ready == machine_config::readiness::check) {
    s_.try_gap = c_.first_try_gap;
    start_try(act::ready_try, e.now);
  }
}

// The instance could not even be started: to the respawn policy that is an
// instance that exited at once with status 127 (as a shell reports it).
void builder::on(const ev::spawn_failed& e) {
  switch (s_.at) {
    case phase::starting:
      if (s_.main_alive) return;
      break;
    case phase::running:
    case phase::backoff:
    case phase::stopping:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
  s_.tracker.started(e.now);
  s_.start_failure_code = e.code;
  after_failed_spawn_ = true;
  if (s_.start_pending) {
    fail_start(e.why, false, e.tree_empty, e.now);
    return;
  }
  say(e.why);
  exit_status st;
  st.code = 127;
  s_.last_exit = st;
  s_.last_exit_note.clear();
  exited_on_its_own(st, e.tree_empty, e.now);
}

void builder::on(const ev::ready& e) {
  switch (s_.at) {
    case phase::starting: become_ready(e.now); return;
    case phase::running:  // READY=1 again (after a reload): nothing to start
    case phase::backoff:
    case phase::stopping:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
}

void builder::on(const ev::main_exited& e) {
  if (s_.at == phase::starting && c_.ready == machine_config::readiness::pidfile && !s_.awaiting_pidfile &&
      e.status.success()) {
    // The command daemonized itself: its first process is done; the pidfile
    // names the main process, once it is written.
    s_.main_alive = false;
    s_.awaiting_pidfile = true;
    s_.try_gap = c_.first_try_gap;
    start_try(act::ready_try, e.now);
    return;
  }
  switch (s_.at) {
    case phase::starting:
    case phase::running:
      s_.last_exit_note.clear();  // an exit of its own, not one we caused
      [[fallthrough]];
    case phase::stopping:
      s_.last_exit = e.status;
      s_.main_alive = false;
      break;
    case phase::backoff:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;  // no main process there
  }
  switch (s_.at) {
    case phase::starting:
      if (s_.start_pending) {
        // What it printed on its way out goes into the start's error message.
        add(act::collect_output);
        fail_start(e.status.describe() + " before it was ready", true, e.tree_empty, e.now);
        return;
      }
      exited_on_its_own(e.status, e.tree_empty, e.now);
      return;
    case phase::running: exited_on_its_own(e.status, e.tree_empty, e.now); return;
    case phase::stopping: on(ev::tree_checked{e.tree_empty}); return;
    case phase::backoff:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
}

void builder::on(const ev::announced& e) {
  if (is_final(s_.at)) return;
  if (e.reloading || e.stopping || (e.ready && s_.reloading)) {
    s_.reloading = e.reloading && !e.ready;
    s_.stopping_announced = s_.stopping_announced || e.stopping;
    add(act::publish);
  }
  if (e.ready) on(ev::ready{e.now});
}

void builder::on(const ev::extend_timeout& e) {
  switch (s_.at) {
    case phase::starting: s_.deadline = e.until; return;
    case phase::running:
    case phase::backoff:
    case phase::stopping:
    case phase::stopped:
    case phase::exited:
    case phase::failed: return;
  }
}

step transition(machine_state state, const event& e, const machine_config& config) {
  builder b(std::move(state), config);
  std::visit([&](const auto& x) { b.on(x); }, e);
  return std::move(b).done();
}

bool is_final(phase p) noexcept {
  switch (p) {
    case phase::starting:
    case phase::running:
    case phase::backoff:
    case phase::stopping: return false;
    case phase::stopped:
    case phase::exited:
    case phase::failed: return true;
  }
  return true;
}

service_phase published_phase(const machine_state& s) noexcept {
  switch (s.at) {
    case phase::starting: return service_phase::starting;
    case phase::running:
      if (s.stopping_announced) return service_phase::stopping;
      return s.reloading ? service_phase::reloading : service_phase::running;
    case phase::backoff: return service_phase::backoff;
    case phase::stopping: return service_phase::stopping;
    case phase::stopped: return service_phase::stopped;
    case phase::exited: return service_phase::exited;
    case phase::failed: return service_phase::failed;
  }
  return service_phase::failed;
}

int exit_code(const machine_state& s, bool foreground) noexcept {
  const bool failed = s.at == phase::failed;
  if (foreground) return s.last_exit ? s.last_exit->shell_code() : (failed ? s.start_failure_code : 0);
  return failed ? 1 : 0;
}

std::string describe_remaining(const std::vector<pid_t>& pids) {
  std::string s = std::to_string(pids.size()) + (pids.size() == 1 ? " process remains" : " processes remain") +
                  " after SIGKILL (pid" + (pids.size() == 1 ? " " : "s ");
  constexpr size_t shown = 5;
  for (size_t i = 0; i < pids.size() && i < shown; ++i) s += (i > 0 ? ", " : "") + std::to_string(pids[i]);
  if (pids.size() > shown) s += ", ...";
  return s + ")";
}

}  // namespace daemonkit::supervisor
