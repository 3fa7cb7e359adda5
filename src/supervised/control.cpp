// SPDX-License-Identifier: MIT
// stop, signal, reopen: act on a service through its monitor, or on
// its session when the monitor is gone.
#include <algorithm>
#include <csignal>
#include <poll.h>
#include <sys/inotify.h>

#include "daemonkit/detail/proc.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/supervised.hpp"
#include "supervised/control_support.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

using std::chrono::milliseconds;

namespace {

// How long after the monitor's kill wait we give it to publish the
// processes that remain.
constexpr milliseconds k_report_grace{2000};

}  // namespace

namespace supervised_detail {

// A lock holder NAME.state does not name may be a monitor that took the lock
// a moment ago and is about to publish. Waits for that, woken by any change
// in the state directory (NAME.state is renamed into place; a released
// pidfile is removed) or the holder's exit, for at most
// monitor_publish_wait. Returns the view as it then is.
service_view await_monitor_state(const service_view& v) {
  if (v.what != service_view::kind::supervised || v.monitor_verified) return v;
  const auto until = sys::deadline::after(monitor_publish_wait);
  // Watch first, then look: a publish between the two is not missed.
  unique_fd changes(sys::inotify_init());
  if (changes && ::inotify_add_watch(changes.get(), v.state_dir.empty() ? "." : v.state_dir.c_str(),
                                     IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_ONLYDIR) < 0) {
    changes.reset();
  }
  auto holder = process::open_monitor(v.monitor_pid);
  pid_t holder_pid = v.monitor_pid;
  for (;;) {
    service_view now = inspect_service(v.state_dir, v.name);
    if (now.what != service_view::kind::supervised || now.monitor_verified || until.passed()) return now;
    // Racing starts: the lock may pass to another new monitor meanwhile;
    // wait for whichever holds it now.
    if (now.monitor_pid != holder_pid) {
      holder_pid = now.monitor_pid;
      holder = process::open_monitor(holder_pid);
    }
    pollfd watch[2] = {{changes ? changes.get() : -1, POLLIN, 0}, {holder ? holder->pidfd() : -1, POLLIN, 0}};
    if (sys::poll(watch, 2, until) < 0) return now;
    if (watch[0].revents != 0) {
      char buf[4096];
      while (sys::read(changes.get(), buf, sizeof buf) > 0) {}
    }
    // An exited holder no longer holds the lock: the next look says so. Stop
    // watching its pidfd, which stays readable.
    if (watch[1].revents != 0) holder = make_error(errc::not_running, "exited");
  }
}

// A monitor that published how its service ended (a final phase) has nothing
// of it left; it still releases the lock, reaps its keeper and exits, which
// whoever needs the lock waits for.
bool is_finishing(const service_view& v) {
  return v.what == service_view::kind::supervised && v.monitor_verified && v.state && !is_live(v.state->phase);
}

service_view await_monitor_exit(const service_view& v) {
  if (!is_finishing(v)) return v;
  if (auto mon = process::open_monitor(v.monitor_pid)) (void)mon->wait_exit(monitor_publish_wait);
  return inspect_service(v.state_dir, v.name);
}

// The monitor, pinned by a pidfd and checked to still hold the lock.
result<process> open_monitor(const service_view& v) {
  if (!v.monitor_verified) {
    return make_error(errc::not_lock_owner, v.paths.pidfile + " is locked by pid " + std::to_string(v.monitor_pid) +
                                                ", which is not this service's monitor (" + v.paths.state +
                                                " does not name it); refusing to signal it");
  }
  auto proc = process::open_monitor(v.monitor_pid);
  if (!proc) return proc;
  auto again = probe_pidfile(v.paths.pidfile);
  if (!again || again->state != pidfile_state::kind::running || again->pid != v.monitor_pid) {
    return make_error(errc::not_running, "not running");
  }
  return proc;
}

// The monitor's keeper, as NAME.state (state, of monitor) recorded it: a
// child of the monitor that is not a process of the service.
bool is_keeper(pid_t pid, pid_t monitor, const std::optional<service_state>& state) {
  if (pid <= 1 || !state || state->monitor_pid != monitor || state->keeper_pid != pid) return false;
  auto st = read_proc_stat(pid);
  return st && st->ppid == monitor;
}

// The service's main process: for a supervised service a descendant of the
// monitor that holds the lock (not its keeper), otherwise the recorded pid
// with its recorded start time. Pinned by a pidfd before the check, and
// checked alive after it, so the check was about the process we hold.
result<process> open_service(const service_view& v) {
  if (v.pid <= 1) return make_error(errc::not_running, "its main process is not known yet");
  auto proc = process::open(v.pid);
  if (!proc) return proc;
  if (v.what == service_view::kind::supervised) {
    if (!is_descendant(v.pid, v.monitor_pid) || is_keeper(v.pid, v.monitor_pid, v.state) || proc->exited()) {
      return make_error(errc::not_lock_owner,
                        "pid " + std::to_string(v.pid) + " is not a process of this service; refusing to signal it");
    }
  } else if (!same_process(v.pid, v.pid_start_ticks)) {
    return make_error(errc::not_running, "not running");
  }
  return proc;
}

// Every process of an unsupervised service: its session (the monitor made it
// a session leader, so the session id is its pid), or its process group (at
// a terminal `run` made it a group leader in the monitor's session). A group
// lies within one session, so for a session leader the second test adds
// nobody; and no other session or group can have its id while it lives.
bool led_by(const proc_stat& st, pid_t leader) { return st.sid == leader || st.pgid == leader; }

std::vector<pid_t> session_members(pid_t sid) {
  std::vector<pid_t> out;
  for (const auto& st : list_descendant_stats(1)) {
    if (led_by(st, sid) && st.pid != sid && st.state != 'Z' && st.state != 'X') out.push_back(st.pid);
  }
  return out;
}

// Sends sig to each live process of the session, each pinned by a pidfd and
// checked to be in the session after that. Returns the pinned processes.
std::vector<process> signal_session(pid_t sid, int sig) {
  std::vector<process> out;
  for (pid_t p : session_members(sid)) {
    auto proc = process::open(p);
    if (!proc) continue;
    auto s = read_proc_stat(p);
    if (!s || !led_by(*s, sid) || proc->exited()) continue;
    (void)proc->signal(sig);
    out.push_back(std::move(*proc));
  }
  return out;
}

// SIGKILLs the session's processes until none is left: a process forked
// after a sweep escaped it, and one sent SIGKILL cannot fork again, so each
// round can only find fewer. Each round waits (pidfds) for what it killed.
// False at the deadline.
bool kill_session_until_gone(pid_t sid, milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto killed = signal_session(sid, SIGKILL);
    if (killed.empty()) return true;
    for (const auto& proc : killed) {
      auto left = std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
      if (left <= milliseconds(0)) return false;
      (void)proc.wait_exit(left);
    }
  }
}

}  // namespace supervised_detail

using namespace supervised_detail;

namespace {

// What the monitor published about processes SIGKILL has not ended (0 when
// none, or when its state cannot be read), with their pids as we see them:
// the live processes below it, but its keeper.
std::pair<unsigned, std::vector<pid_t>> remaining_processes(const service_view& v) {
  auto st = read_service_state(v.paths.state);
  if (!st || !*st || (*st)->monitor_pid != v.monitor_pid || (*st)->remaining == 0) return {0, {}};
  std::vector<pid_t> pids;
  for (const auto& p : list_descendant_stats(v.monitor_pid)) {
    if (p.state != 'Z' && p.state != 'X' && !is_keeper(p.pid, v.monitor_pid, *st)) pids.push_back(p.pid);
  }
  return {(*st)->remaining, pids};
}

// After the service is gone without its monitor: no stale pidfile naming a
// pid that will be recycled, and a state that says stopped. Done holding the
// service's lock, so a monitor starting meanwhile (whose NAME.state this
// would overwrite) is never raced: if one holds the lock, it is left alone.
void mark_stopped(const service_view& v) {
  auto lock = pidfile::acquire(v.paths.pidfile);
  if (!lock) return;
  auto now = read_service_state(v.paths.state);
  service_state s = now && *now ? **now : v.state.value_or(service_state{});
  // Only the last word of a monitor that died with its service becomes
  // "stopped"; a final state (a monitor that ended since) stays as it is.
  if (!(now && *now) || is_live((*now)->phase)) {
    s.name = v.name;
    s.phase = service_phase::stopped;
    s.pid = 0;
    s.pid_start_ticks = 0;
    (void)write_service_state(v.paths.state, s);
  }
  lock->release();
}

int stop_signal_of(const service_view& v) { return v.config ? v.config->stop_signal : SIGTERM; }

// The service's session, without a monitor: the stop signal, SIGKILL after
// timeout, then SIGKILL repeated for the monitor's own kill wait.
result<stop_result> stop_unsupervised(const service_view& v, milliseconds timeout) {
  stop_result out;
  auto main = open_service(v);
  if (!main) return out;
  auto st = read_proc_stat(v.pid);
  if (!st || st->pgid != v.pid) {
    return make_error(errc::not_lock_owner, "pid " + std::to_string(v.pid) +
                                                " no longer leads the service's process group; refusing to signal it");
  }
  out.was_running = true;
  out.unsupervised = true;
  out.pid = v.pid;
  out.stop_signal = stop_signal_of(v);
  out.timeout = timeout;
  // The main process first: if we may not signal it (another user's
  // process), say so now instead of waiting for a stop that cannot happen.
  auto signal_all = [&](int sig) -> result<void> {
    if (auto r = main->signal(sig); !r) return r;
    (void)signal_session(v.pid, sig);
    return {};
  };
  if (auto r = signal_all(stop_signal_of(v)); !r) return std::move(r).err();
  auto gone = main->wait_exit(timeout);
  if (!gone || !*gone) {
    if (auto r = signal_all(SIGKILL); !r) return std::move(r).err();
    out.escalated = true;
    gone = main->wait_exit(monitor_kill_wait);
  }
  if (!gone || !*gone) {
    return make_error(errc::timed_out, "pid " + std::to_string(v.pid) + " did not exit after SIGKILL");
  }
  // The main process went; anything left in its session follows. A stop
  // returns only once every process of the service is gone, not just
  // signalled.
  if (!kill_session_until_gone(v.pid, monitor_kill_wait)) {
    out.remaining_pids = session_members(v.pid);
    out.remaining = static_cast<unsigned>(out.remaining_pids.size());
    return out;
  }
  mark_stopped(v);
  return out;
}

}  // namespace

std::string describe_remaining(unsigned count, const std::vector<pid_t>& pids) {
  std::string s = std::to_string(count) + (count == 1 ? " process remains" : " processes remain") + " after SIGKILL";
  if (pids.empty()) return s;
  s += pids.size() == 1 ? " (pid " : " (pids ";
  constexpr size_t shown = 5;
  for (size_t i = 0; i < pids.size() && i < shown; ++i) s += (i > 0 ? ", " : "") + std::to_string(pids[i]);
  if (pids.size() > shown) s += ", ...";
  return s + ")";
}

result<stop_result> stop_service(const service_view& view, std::optional<milliseconds> timeout) {
  const service_view v = await_monitor_state(view);
  const milliseconds t = timeout.value_or(v.config ? v.config->stop_timeout : milliseconds(10000));
  if (v.what == service_view::kind::unsupervised) return stop_unsupervised(v, t);
  // Ended already (say, a stop right after another): nothing left to stop.
  if (is_finishing(v)) return stop_result{};
  if (v.what != service_view::kind::supervised) {
    // A monitor that died with its service leaves a stale pidfile and a state
    // that says "dead": stopping it means tidying that up.
    if (v.what == service_view::kind::failed && v.state && is_live(v.state->phase)) mark_stopped(v);
    return stop_result{};
  }
  auto mon = open_monitor(v);
  if (!mon) {
    if (mon.err().code == errc::not_running) return stop_result{};
    return std::move(mon).err();
  }
  const auto kill_at = std::chrono::steady_clock::now() + t;  // when the monitor escalates to KILL
  int value = static_cast<int>(std::min<long long>(std::max<long long>(t.count(), 1), 0x7fffffff));
  if (auto r = mon->signal_with_value(SIGTERM, value); !r) return std::move(r).err();
  // The monitor stops the whole tree (escalating to KILL, repeated until no
  // process is left) and exits when the last one is gone; its pidfd tells us
  // the moment that happens. Processes that outlive the kill wait it keeps
  // trying to kill, and publishes as remaining: then we say so and fail.
  // (Not inotify on its final publish, though that comes 0.2-0.4 ms before
  // its exit: closing an inotify fd waits for an SRCU grace period, 10-20 ms
  // measured here, which every stop would then pay.)
  auto gone = mon->wait_exit(t + monitor_kill_wait + k_report_grace);
  if (gone && !*gone && remaining_processes(v).first == 0) gone = mon->wait_exit(milliseconds(10000));
  if (!gone || !*gone) {
    if (auto [count, pids] = remaining_processes(v); count > 0) {
      stop_result out;
      out.was_running = true;
      out.pid = v.pid;
      out.remaining = count;
      out.remaining_pids = std::move(pids);
      return out;
    }
    return make_error(errc::timed_out,
                      "monitor (pid " + std::to_string(v.monitor_pid) + ") did not finish stopping the service");
  }
  // The monitor's exit normally means the service is gone, and its last word
  // (read once it is gone, so it is the final one) says so, and whether it
  // had to SIGKILL. A monitor killed mid-stop leaves no such word and the
  // service running, unsupervised: finish the job.
  stop_result out;
  out.was_running = true;
  out.pid = v.pid;
  out.stop_signal = stop_signal_of(v);
  out.timeout = t;
  if (auto st = read_service_state(v.paths.state);
      st && *st && (*st)->monitor_pid == v.monitor_pid && !is_live((*st)->phase) && (*st)->remaining == 0) {
    out.escalated = (*st)->escalated;
    return out;
  }
  auto after = inspect_service(v.state_dir, v.name);
  if (after.what == service_view::kind::unsupervised) {
    // The stop signal already went out: keep the original KILL deadline.
    auto left = std::chrono::duration_cast<milliseconds>(kill_at - std::chrono::steady_clock::now());
    auto r = stop_unsupervised(after, std::max(left, milliseconds(0)));
    if (r) r->timeout = t;
    return r;
  }
  return out;
}

result<pid_t> signal_service(const service_view& v, int sig) {
  if (!v.running()) return make_error(errc::not_running, "not running");
  auto proc = open_service(v);
  if (!proc) return std::move(proc).err();
  if (auto r = proc->signal(sig); !r) return std::move(r).err();
  return v.pid;
}

result<void> reopen_service_logs(const service_view& view) {
  const service_view v = await_monitor_state(view);
  if (v.what != service_view::kind::supervised) return make_error(errc::not_running, "not running under a monitor");
  auto mon = open_monitor(v);
  if (!mon) return std::move(mon).err();
  return mon->signal(reopen_logs_signal());
}

}  // namespace daemonkit
