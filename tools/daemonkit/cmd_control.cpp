// stop, reload, signal, reopen: act on a running service through its monitor.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/proc.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/service_state.hpp"
#include "daemonkit/signal_name.hpp"
#include "daemonkit/units.hpp"
#include "service_view.hpp"

namespace dk {

namespace {

using std::chrono::milliseconds;

// Looks a service up for a control command; nullopt after printing why not.
std::optional<service_view> find(const common_options& o, const std::string& name, int& rc) {
  if (!valid_service_name(name)) {
    rc = usage_error("invalid service name '" + name + "'");
    return std::nullopt;
  }
  auto dir = state_dir(o, false);
  if (!dir) {
    complain(name, dir.err().message());
    rc = exit_failure;
    return std::nullopt;
  }
  auto v = inspect_service(*dir, name);
  if (v.what == service_view::kind::error) {
    complain(name, v.error);
    rc = exit_failure;
    return std::nullopt;
  }
  return v;
}

// The monitor, pinned by a pidfd and checked to still hold the lock.
daemonkit::result<daemonkit::process> open_monitor(const service_view& v) {
  if (!v.monitor_verified) {
    return daemonkit::make_error(daemonkit::errc::not_lock_owner,
                                 v.paths.pidfile + " is locked by pid " + std::to_string(v.monitor_pid) +
                                     ", which is not this service's monitor (" + v.paths.state +
                                     " does not name it); refusing to signal it");
  }
  auto proc = daemonkit::process::open(v.monitor_pid);
  if (!proc) return proc;
  auto again = daemonkit::probe_pidfile(v.paths.pidfile);
  if (!again || again->state != daemonkit::pidfile_state::kind::running || again->pid != v.monitor_pid) {
    return daemonkit::make_error(daemonkit::errc::not_running, "not running");
  }
  return proc;
}

// The service's main process: for a supervised service a descendant of the
// monitor that holds the lock, otherwise the recorded pid with its recorded
// start time. Pinned by a pidfd before the check, so the check holds.
daemonkit::result<daemonkit::process> open_service(const service_view& v) {
  if (v.pid <= 1) return daemonkit::make_error(daemonkit::errc::not_running, "its main process is not known yet");
  auto proc = daemonkit::process::open(v.pid);
  if (!proc) return proc;
  if (v.what == service_view::kind::supervised) {
    auto desc = daemonkit::list_descendants(v.monitor_pid);
    if (std::find(desc.begin(), desc.end(), v.pid) == desc.end()) {
      return daemonkit::make_error(
          daemonkit::errc::not_lock_owner,
          "pid " + std::to_string(v.pid) + " is not a process of this service; refusing to signal it");
    }
  } else if (!same_process(v.pid, v.pid_start_ticks)) {
    return daemonkit::make_error(daemonkit::errc::not_running, "not running");
  }
  return proc;
}

// Every process of an unsupervised service: its session (the monitor made it
// a session leader, so the session id is its pid).
std::vector<pid_t> session_members(pid_t sid) {
  std::vector<pid_t> out;
  for (pid_t p : daemonkit::list_descendants(1)) {
    auto st = daemonkit::read_proc_stat(p);
    if (st && st->sid == sid && p != sid && st->state != 'Z') out.push_back(p);
  }
  return out;
}

// Waits until no live process of the session is left, each pinned by a pidfd
// while waited for; false at the deadline.
bool wait_session_gone(pid_t sid, milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto members = session_members(sid);
    if (members.empty()) return true;
    for (pid_t p : members) {
      auto left = std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
      if (left <= milliseconds(0)) return false;
      if (auto proc = daemonkit::process::open(p)) (void)proc->wait_exit(left);
    }
  }
}

// Signals an opened process, or says why not (either step). True on success.
bool send_or_complain(const std::string& name, const daemonkit::result<daemonkit::process>& proc, int sig) {
  if (!proc) {
    complain(name, proc.err().message());
    return false;
  }
  if (auto r = proc->signal(sig); !r) {
    complain(name, r.err().message());
    return false;
  }
  return true;
}

// After the service is gone without its monitor: no stale pidfile naming a
// pid that will be recycled, and a state that says stopped.
void mark_stopped(const service_view& v) {
  auto lock = daemonkit::probe_pidfile(v.paths.pidfile);
  if (lock && lock->state == daemonkit::pidfile_state::kind::stale) {
    daemonkit::remove_stale_pidfile(v.paths.pidfile, lock->file_pid);
  }
  daemonkit::service_state s = v.state.value_or(daemonkit::service_state{});
  s.name = v.name;
  s.state = "stopped";
  s.pid = 0;
  s.pid_start_ticks = 0;
  (void)daemonkit::write_service_state(v.paths.state, s);
}

int stop_unsupervised(const service_view& v, milliseconds timeout, int stop_signal) {
  auto main = open_service(v);
  if (!main) {
    std::printf("%s: not running\n", v.name.c_str());
    return exit_ok;
  }
  auto st = daemonkit::read_proc_stat(v.pid);
  if (!st || st->sid != v.pid) {
    complain(v.name, "pid " + std::to_string(v.pid) + " no longer leads the service's session; refusing to signal it");
    return exit_failure;
  }
  auto signal_all = [&](int sig) {
    (void)main->signal(sig);
    for (pid_t p : session_members(v.pid)) {
      if (auto proc = daemonkit::process::open(p)) {
        auto s = daemonkit::read_proc_stat(p);
        if (s && s->sid == v.pid) (void)proc->signal(sig);
      }
    }
  };
  signal_all(stop_signal);
  auto gone = main->wait_exit(timeout);
  if (!gone || !*gone) {
    signal_all(SIGKILL);
    gone = main->wait_exit(milliseconds(5000));
  } else {
    // The main process went; anything left in its session follows.
    if (!session_members(v.pid).empty()) signal_all(SIGKILL);
  }
  if (!gone || !*gone) {
    complain(v.name, "pid " + std::to_string(v.pid) + " did not exit after SIGKILL");
    return exit_failure;
  }
  // stop returns only once every process of the service is gone, not just
  // signalled.
  if (!wait_session_gone(v.pid, milliseconds(5000))) {
    complain(v.name, "processes of its session did not exit after SIGKILL");
    return exit_failure;
  }
  mark_stopped(v);
  std::printf("%s: stopped (pid %d, was unsupervised)\n", v.name.c_str(), static_cast<int>(v.pid));
  return exit_ok;
}

}  // namespace

int cmd_stop(const common_options& o, const std::string& name, const std::string& timeout_text) {
  int rc = exit_ok;
  auto v = find(o, name, rc);
  if (!v) return rc;
  std::optional<milliseconds> timeout;
  if (!timeout_text.empty()) {
    auto d = daemonkit::parse_duration(timeout_text);
    if (!d) return usage_error("--timeout: " + d.err().message());
    timeout = *d;
  }
  milliseconds configured = v->config ? v->config->stop_timeout : milliseconds(10000);
  if (v->what == service_view::kind::unsupervised) {
    return stop_unsupervised(*v, timeout.value_or(configured), v->config ? v->config->stop_signal : SIGTERM);
  }
  if (v->what != service_view::kind::supervised) {
    // A monitor that died with its service leaves a stale pidfile and a state
    // that says "dead": stopping it means tidying that up.
    if (v->what == service_view::kind::failed && v->state && v->state->state != "failed" &&
        v->state->state != "exited") {
      mark_stopped(*v);
    }
    std::printf("%s: not running\n", name.c_str());
    return exit_ok;
  }
  auto mon = open_monitor(*v);
  if (!mon) {
    if (mon.err().code == daemonkit::errc::not_running) {
      std::printf("%s: not running\n", name.c_str());
      return exit_ok;
    }
    complain(name, mon.err().message());
    return exit_failure;
  }
  milliseconds t = timeout.value_or(configured);
  const auto kill_at = std::chrono::steady_clock::now() + t;  // when the monitor escalates to KILL
  int value = static_cast<int>(std::min<long long>(std::max<long long>(t.count(), 1), 0x7fffffff));
  if (auto r = mon->signal_with_value(SIGTERM, value); !r) {
    complain(name, r.err().message());
    return exit_failure;
  }
  // The monitor stops the whole tree (escalating to KILL) and exits when the
  // last process is gone; its pidfd tells us the moment that happens.
  auto gone = mon->wait_exit(t + milliseconds(5000) + milliseconds(10000));
  if (!gone || !*gone) {
    complain(name, "monitor (pid " + std::to_string(v->monitor_pid) + ") did not finish stopping the service");
    return exit_failure;
  }
  // The monitor's exit normally means the service is gone; but a monitor
  // killed mid-stop leaves it running, unsupervised: finish the job.
  auto after = inspect_service(v->paths.pidfile.substr(0, v->paths.pidfile.rfind('/')), name);
  if (after.what == service_view::kind::unsupervised) {
    // The stop signal already went out: keep the original KILL deadline.
    auto left = std::chrono::duration_cast<milliseconds>(kill_at - std::chrono::steady_clock::now());
    return stop_unsupervised(after, std::max(left, milliseconds(0)),
                             after.config ? after.config->stop_signal : SIGTERM);
  }
  if (v->pid > 0) std::printf("%s: stopped (pid %d)\n", name.c_str(), static_cast<int>(v->pid));
  else std::printf("%s: stopped\n", name.c_str());
  return exit_ok;
}

int cmd_reload(const common_options& o, const std::string& name) {
  int rc = exit_ok;
  auto v = find(o, name, rc);
  if (!v) return rc;
  if (!v->running()) {
    complain(name, "not running");
    return exit_failure;
  }
  if (v->what == service_view::kind::supervised) {
    auto mon = open_monitor(*v);
    if (mon) {
      if (auto r = mon->signal(SIGHUP); !r) {
        complain(name, r.err().message());
        return exit_failure;
      }
      std::printf("%s: reloading (pid %d)\n", name.c_str(), static_cast<int>(v->pid));
      return exit_ok;
    }
  }
  int sig = v->config ? v->config->reload_signal : SIGHUP;
  if (!send_or_complain(name, open_service(*v), sig)) return exit_failure;
  std::printf("%s: reloading (pid %d)\n", name.c_str(), static_cast<int>(v->pid));
  return exit_ok;
}

int cmd_signal(const common_options& o, const std::string& name, const std::string& signal_text) {
  auto sig = daemonkit::parse_signal(signal_text);
  if (!sig) return usage_error(sig.err().message());
  int rc = exit_ok;
  auto v = find(o, name, rc);
  if (!v) return rc;
  if (!v->running()) {
    complain(name, "not running");
    return exit_failure;
  }
  if (!send_or_complain(name, open_service(*v), *sig)) return exit_failure;
  std::printf("%s: sent SIG%s to pid %d\n", name.c_str(), daemonkit::signal_name(*sig).c_str(),
              static_cast<int>(v->pid));
  return exit_ok;
}

int cmd_reopen(const common_options& o, const std::string& name) {
  int rc = exit_ok;
  auto v = find(o, name, rc);
  if (!v) return rc;
  if (v->what != service_view::kind::supervised) {
    complain(name, "not running under a monitor");
    return exit_failure;
  }
  if (!send_or_complain(name, open_monitor(*v), daemonkit::reopen_logs_signal())) return exit_failure;
  std::printf("%s: reopening logs\n", name.c_str());
  return exit_ok;
}

}  // namespace dk
