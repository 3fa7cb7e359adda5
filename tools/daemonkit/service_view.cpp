#include "service_view.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

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

namespace {

// A monitor killed between spawning its service and publishing it in
// NAME.state leaves only the pidfile naming the service. Recognise that
// service by what every daemonkit service is: the leader of its own session,
// running the stored command (a suffix of its command line, so a script run
// through its #! interpreter matches), started within seconds of the pidfile's
// last write. Returns its start time, which pins its identity from then on.
// pid looks like an instance of v started at or after `since` (unix time):
// the leader of its own session, running the stored command (a suffix of its
// command line, so a script run through its #! interpreter matches).
std::optional<std::uint64_t> instance_of(const service_view& v, pid_t pid, double since) {
  if (pid <= 1 || !v.config) return std::nullopt;
  auto st = daemonkit::read_proc_stat(pid);
  if (!st || st->state == 'Z' || st->sid != pid) return std::nullopt;
  double started_unix = static_cast<double>(std::time(nullptr)) - daemonkit::uptime_seconds_of(*st);
  if (started_unix < since - 2 || started_unix > since + 3) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> cmdline;
  for (std::string arg; std::getline(in, arg, '\0');) cmdline.push_back(arg);
  const auto& argv = v.config->argv;
  if (cmdline.size() < argv.size() || !std::equal(argv.rbegin(), argv.rend(), cmdline.rbegin())) return std::nullopt;
  return st->start_ticks;
}

// A monitor killed between spawning its service and publishing its pid
// leaves the service running with nothing naming it. The monitor publishes
// "starting" (with its own start time) before every spawn, so when that is
// the last word of a dead monitor, look for the instance it started.
std::optional<std::pair<pid_t, std::uint64_t>> find_orphan(const service_view& v) {
  // Only that exact window: "starting" with no pid yet. Any later state
  // names its pid, and a recorded pid that is dead means the service is gone
  // (a search then could mistake another service running the same command).
  if (!v.state || !v.config || v.state->state != "starting" || v.state->pid != 0) return std::nullopt;
  // The instance was forked right after that state was written.
  std::error_code ec;
  auto written = std::filesystem::last_write_time(v.paths.state, ec);
  if (ec) return std::nullopt;
  double since = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::file_clock::to_sys(written).time_since_epoch())
          .count());
  for (pid_t p : daemonkit::list_descendants(1)) {
    auto ticks = instance_of(v, p, since);
    if (!ticks) continue;
    // A live monitor's service is that monitor's child; our orphan was
    // reparented away from its dead monitor.
    auto st = daemonkit::read_proc_stat(p);
    std::ifstream comm("/proc/" + std::to_string(st ? st->ppid : 0) + "/comm");
    std::string parent;
    std::getline(comm, parent);
    if (parent == "daemonkit") continue;
    return std::pair{p, *ticks};
  }
  return std::nullopt;
}

}  // namespace

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
  // Kept even when the lock says the service runs: status shows what it
  // knows and says which file it could not read.
  if (!st) v.error = st.err().message();
  if (auto c = read_config(v.paths.config)) v.config = std::move(*c);
  else if (c.err().code != daemonkit::errc::not_running && v.error.empty()) v.error = c.err().message();

  if (lock->state == daemonkit::pidfile_state::kind::running) {
    v.what = service_view::kind::supervised;
    v.monitor_pid = lock->pid;
    // Right after a monitor takes the lock it has not published NAME.state
    // yet; then it is recognised by its name (comm), which a stranger
    // holding the lock does not have.
    std::ifstream comm("/proc/" + std::to_string(lock->pid) + "/comm");
    std::string holder;
    std::getline(comm, holder);
    v.monitor_verified = (v.state && v.state->monitor_pid == lock->pid) || holder == "daemonkit";
    v.pid = lock->content_ok && lock->file_pid != lock->pid ? lock->file_pid : 0;
    if (v.state && v.state->monitor_pid != v.monitor_pid) v.state.reset();  // from an older monitor
    // Between instances (backoff) the pidfile still holds the last, dead
    // pid; the monitor's state says there is no main process now.
    if (v.state && v.state->pid == 0) v.pid = 0;
    return v;
  }
  if (!st) {
    v.what = service_view::kind::error;
    return v;
  }
  if (v.state && v.state->pid > 1 && same_process(v.state->pid, v.state->pid_start_ticks)) {
    v.what = service_view::kind::unsupervised;
    v.pid = v.state->pid;
    v.pid_start_ticks = v.state->pid_start_ticks;
    return v;
  }
  if (auto orphan = find_orphan(v)) {
    v.what = service_view::kind::unsupervised;
    v.pid = orphan->first;
    v.pid_start_ticks = orphan->second;
    return v;
  }
  if (!v.state) {
    v.what = v.config ? service_view::kind::stopped : service_view::kind::unknown_name;
    return v;
  }
  const auto& s = *v.state;
  // "failed" (gave up), a non-zero "exited", and any in-flight state of a
  // monitor that died along with its service all read as failed.
  if (s.state == "stopped") v.what = service_view::kind::stopped;
  else if (s.state == "exited" && s.last_exit_code == 0) v.what = service_view::kind::exited;
  else v.what = service_view::kind::failed;
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

namespace {

// The state alone: "running (pid 42)", "failed: exited with status 1", ...
std::string describe_state(const service_view& v) {
  using kind = service_view::kind;
  const auto& state = v.state;
  const pid_t pid = v.pid;
  std::string last = state && !state->last_exit.empty() ? state->last_exit : "";
  switch (v.what) {
    case kind::supervised: {
      std::string st = state ? state->state : "running";
      std::string s = st + (pid > 0 ? " (pid " + std::to_string(pid) + ")" : "");
      return s;
    }
    case kind::unsupervised: return "running (pid " + std::to_string(pid) + ", unsupervised: its monitor is gone)";
    case kind::failed:
      if (state && state->state == "failed") return "failed" + (last.empty() ? "" : ": last " + last);
      if (state && state->state == "exited") return "failed: " + last;
      return "dead: its monitor is gone and so is the service" + (last.empty() ? "" : " (last " + last + ")");
    case kind::exited: return "not running (" + (last.empty() ? "exited" : last) + ")";
    case kind::stopped: return "not running (stopped)";
    case kind::unknown_name: return "not running";
    case kind::error: return "unknown: " + v.error;
  }
  return "unknown";
}

}  // namespace

std::string service_view::describe() const {
  std::string s = describe_state(*this);
  if (state && state->remaining > 0) {
    s += ", " + std::to_string(state->remaining) +
         (state->remaining == 1 ? " process remains after SIGKILL" : " processes remain after SIGKILL");
  }
  return s;
}

}  // namespace dk
