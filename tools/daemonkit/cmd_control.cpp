// stop, reload, signal, reopen: act on a running service through its monitor.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

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

// How long the monitor keeps sending SIGKILL before it reports processes
// that remain (the monitor's k_kill_wait), and how long after that we give it
// to publish them.
constexpr milliseconds k_kill_wait{5000};
constexpr milliseconds k_report_grace{2000};

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

// The monitor's keeper (see monitor.cpp): its child named daemonkit-keep.
// Not a process of the service, though it descends from the monitor.
bool is_keeper(pid_t pid, pid_t monitor) {
  auto st = daemonkit::read_proc_stat(pid);
  if (!st || st->ppid != monitor) return false;
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name == "daemonkit-keep";
}

// The service's main process: for a supervised service a descendant of the
// monitor that holds the lock (not its keeper), otherwise the recorded pid
// with its recorded start time. Pinned by a pidfd before the check, and
// checked alive after it, so the check was about the process we hold.
daemonkit::result<daemonkit::process> open_service(const service_view& v) {
  if (v.pid <= 1) return daemonkit::make_error(daemonkit::errc::not_running, "its main process is not known yet");
  auto proc = daemonkit::process::open(v.pid);
  if (!proc) return proc;
  if (v.what == service_view::kind::supervised) {
    if (!daemonkit::is_descendant(v.pid, v.monitor_pid) || is_keeper(v.pid, v.monitor_pid) || proc->exited()) {
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
  for (const auto& st : daemonkit::list_descendant_stats(1)) {
    if (st.sid == sid && st.pid != sid && st.state != 'Z' && st.state != 'X') out.push_back(st.pid);
  }
  return out;
}

// Sends sig to each live process of the session, each pinned by a pidfd and
// checked to be in the session after that. Returns the pinned processes.
std::vector<daemonkit::process> signal_session(pid_t sid, int sig) {
  std::vector<daemonkit::process> out;
  for (pid_t p : session_members(sid)) {
    auto proc = daemonkit::process::open(p);
    if (!proc) continue;
    auto s = daemonkit::read_proc_stat(p);
    if (!s || s->sid != sid || proc->exited()) continue;
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

// "3 processes remain after SIGKILL (pids 101, 102, 103)"
std::string describe_remaining(unsigned count, const std::vector<pid_t>& pids) {
  std::string s = std::to_string(count) + (count == 1 ? " process remains" : " processes remain") + " after SIGKILL";
  if (pids.empty()) return s;
  s += pids.size() == 1 ? " (pid " : " (pids ";
  constexpr size_t shown = 5;
  for (size_t i = 0; i < pids.size() && i < shown; ++i) s += (i > 0 ? ", " : "") + std::to_string(pids[i]);
  if (pids.size() > shown) s += ", ...";
  return s + ")";
}

// What the monitor published about processes SIGKILL has not ended (0 when
// none, or when its state cannot be read), with their pids as we see them:
// the live processes below it, but its keeper.
std::pair<unsigned, std::vector<pid_t>> remaining_processes(const service_view& v) {
  auto st = daemonkit::read_service_state(v.paths.state);
  if (!st || !*st || (*st)->monitor_pid != v.monitor_pid || (*st)->remaining == 0) return {0, {}};
  std::vector<pid_t> pids;
  for (const auto& p : daemonkit::list_descendant_stats(v.monitor_pid)) {
    if (p.state != 'Z' && p.state != 'X' && !is_keeper(p.pid, v.monitor_pid)) pids.push_back(p.pid);
  }
  return {(*st)->remaining, pids};
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
  // The main process first: if we may not signal it (another user's
  // process), say so now instead of waiting for a stop that cannot happen.
  auto signal_all = [&](int sig) {
    if (auto r = main->signal(sig); !r) {
      complain(v.name, r.err().message());
      return false;
    }
    (void)signal_session(v.pid, sig);
    return true;
  };
  if (!signal_all(stop_signal)) return exit_failure;
  auto gone = main->wait_exit(timeout);
  if (!gone || !*gone) {
    if (!signal_all(SIGKILL)) return exit_failure;
    gone = main->wait_exit(k_kill_wait);
  }
  if (!gone || !*gone) {
    complain(v.name, "pid " + std::to_string(v.pid) + " did not exit after SIGKILL");
    return exit_failure;
  }
  // The main process went; anything left in its session follows. stop
  // returns only once every process of the service is gone, not just
  // signalled.
  if (!kill_session_until_gone(v.pid, k_kill_wait)) {
    auto left = session_members(v.pid);
    complain(v.name, describe_remaining(static_cast<unsigned>(left.size()), left) + " in its session");
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
  // The monitor stops the whole tree (escalating to KILL, repeated until no
  // process is left) and exits when the last one is gone; its pidfd tells us
  // the moment that happens. Processes that outlive the kill wait it keeps
  // trying to kill, and publishes as remaining: then we say so and fail.
  auto gone = mon->wait_exit(t + k_kill_wait + k_report_grace);
  if (gone && !*gone && remaining_processes(*v).first == 0) gone = mon->wait_exit(milliseconds(10000));
  if (!gone || !*gone) {
    if (auto [count, pids] = remaining_processes(*v); count > 0) {
      complain(name, describe_remaining(count, pids) + "; still stopping");
      return exit_failure;
    }
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
