#include "service_view.hpp"

#include "cli.hpp"
#include "config_json.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/proc.hpp"

namespace dk {

bool same_process(pid_t pid, std::uint64_t start_ticks) {
  if (pid <= 1 || start_ticks == 0) return false;
  auto st = daemonkit::read_proc_stat(pid);
  return st && st->start_ticks == start_ticks && st->state != 'Z';
}

service_view inspect_service(const std::string& state_dir, const std::string& name) {
  service_view v;
  v.name = name;
  v.paths = paths_for(state_dir, name);
  auto lock = daemonkit::probe_pidfile(v.paths.pidfile);
  if (!lock) {
    v.what = service_view::kind::error;
    v.error = lock.err().message();
    return v;
  }
  auto st = daemonkit::read_service_state(v.paths.state);
  if (st && *st) v.state = **st;
  if (auto c = read_config(v.paths.config)) v.config = std::move(*c);

  if (lock->state == daemonkit::pidfile_state::kind::running) {
    v.what = service_view::kind::supervised;
    v.monitor_pid = lock->pid;
    v.pid = lock->content_ok && lock->file_pid != lock->pid ? lock->file_pid : 0;
    if (v.state && v.state->monitor_pid != v.monitor_pid) v.state.reset();  // from an older monitor
    // Between instances (backoff) the pidfile still holds the last, dead
    // pid; the monitor's state says there is no main process now.
    if (v.state && v.state->pid == 0) v.pid = 0;
    return v;
  }
  if (!st) {
    v.what = service_view::kind::error;
    v.error = st.err().message();
    return v;
  }
  if (!v.state) {
    v.what = v.config ? service_view::kind::stopped : service_view::kind::unknown_name;
    return v;
  }
  const auto& s = *v.state;
  if (s.pid > 1 && same_process(s.pid, s.pid_start_ticks)) {
    v.what = service_view::kind::unsupervised;
    v.pid = s.pid;
    return v;
  }
  if (s.state == "failed") v.what = service_view::kind::failed;
  else if (s.state == "stopped") v.what = service_view::kind::stopped;
  else if (s.state == "exited") v.what = s.last_exit_code == 0 ? service_view::kind::exited : service_view::kind::failed;
  else v.what = service_view::kind::failed;  // the monitor died mid-flight and the service is gone
  return v;
}

int service_view::lsb_code() const {
  switch (what) {
    case kind::supervised:
    case kind::unsupervised: return lsb_running;
    case kind::failed: return lsb_dead;
    case kind::exited:
    case kind::stopped:
    case kind::unknown_name: return lsb_not_running;
    case kind::error: return lsb_unknown;
  }
  return lsb_unknown;
}

std::string service_view::describe() const {
  std::string last = state && !state->last_exit.empty() ? state->last_exit : "";
  switch (what) {
    case kind::supervised: {
      std::string st = state ? state->state : "running";
      std::string s = st + (pid > 0 ? " (pid " + std::to_string(pid) + ")" : "");
      return s;
    }
    case kind::unsupervised:
      return "running (pid " + std::to_string(pid) + ", unsupervised: its monitor is gone)";
    case kind::failed:
      if (state && state->state == "failed") return "failed" + (last.empty() ? "" : ": last " + last);
      if (state && state->state == "exited") return "failed: " + last;
      return "dead: its monitor is gone and so is the service" + (last.empty() ? "" : " (last " + last + ")");
    case kind::exited: return "not running (" + (last.empty() ? "exited" : last) + ")";
    case kind::stopped: return "not running (stopped)";
    case kind::unknown_name: return "not running";
    case kind::error: return "unknown: " + error;
  }
  return "unknown";
}

}  // namespace dk
