// SPDX-License-Identifier: MIT
// inspect_service and the view's words: what a service is doing, from its
// lock, NAME.state and NAME.json.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "daemonkit/detail/proc.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/supervised.hpp"

namespace daemonkit {

bool same_process(pid_t pid, std::uint64_t start_ticks) {
  if (pid <= 1 || start_ticks == 0) return false;
  auto st = read_proc_stat(pid);
  return st && st->start_ticks == start_ticks && st->state != 'Z';
}

namespace {

// How long after a "starting" state its instance may be forked: the monitor
// forks right after the write, but a loaded machine (or a traced monitor)
// can delay that by seconds. The other tests (its own session or process
// group, the stored command, no live monitor as parent) keep a wide window safe.
constexpr std::uint64_t k_orphan_fork_window_s = 30;

// pid looks like an instance of v started in the window: the leader of its
// own process group (of its own session, or, for `run` at a terminal, of a
// job in the monitor's session), running the stored command (a suffix of its command line, so
// a script run through its #! interpreter matches) in the service's working
// directory. Returns its start time, which pins its identity from then on.
std::optional<std::uint64_t> instance_of(const service_view& v, pid_t pid,
                                         const std::function<bool(const proc_stat&)>& started_in_window) {
  if (pid <= 1 || !v.config) return std::nullopt;
  auto st = read_proc_stat(pid);
  if (!st || st->state == 'Z' || st->pgid != pid || !started_in_window(*st)) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> cmdline;
  for (std::string arg; std::getline(in, arg, '\0');) cmdline.push_back(arg);
  const auto& argv = v.config->argv;
  if (cmdline.size() < argv.size() || !std::equal(argv.rbegin(), argv.rend(), cmdline.rbegin())) return std::nullopt;
  // In the service's working directory: another program that happens to run
  // the same command at the same time (a test's child, a shell's job) is
  // seldom there too. One whose directory cannot be read is not taken: an
  // orphan is adopted only when everything about it matches.
  if (v.config->chroot.empty()) {
    std::error_code ec;
    auto cwd = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
    if (ec || cwd != std::filesystem::path(v.config->working_directory)) return std::nullopt;
  }
  return st->start_ticks;
}

// True when pid is the live monitor of a service in state_dir: it holds that
// service's lock and its NAME.state names it.
bool is_recorded_monitor(const std::string& state_dir, pid_t pid) {
  if (pid <= 1) return false;
  for (const auto& name : list_service_names(state_dir)) {
    auto p = service_paths_for(state_dir, name);
    auto st = read_service_state(p.state);
    if (!st || !*st || (*st)->monitor_pid != pid) continue;
    auto lock = probe_pidfile(p.pidfile);
    if (lock && lock->state == pidfile_state::kind::running && lock->pid == pid) return true;
  }
  return false;
}

// A monitor killed between spawning its service and publishing its pid
// leaves the service running with nothing naming it. The monitor publishes
// "starting" (with its own start time) before every spawn, so when that is
// the last word of a dead monitor, look for the instance it started.
std::optional<std::pair<pid_t, std::uint64_t>> find_orphan(const service_view& v) {
  // Only that exact window: "starting" with no pid yet. Any later state
  // names its pid, and a recorded pid that is dead means the service is gone
  // (a search then could mistake another service running the same command).
  if (!v.state || !v.config || v.state->phase != service_phase::starting || v.state->pid != 0) return std::nullopt;
  // The instance was forked right after that state was written: by the
  // boot clock the monitor recorded, which a wall-clock step (NTP on a fresh
  // machine) does not move; by the file's mtime for a state from before it.
  auto started_in_window = [&]() -> std::function<bool(const proc_stat&)> {
    if (v.state->written_ticks > 0) {
      const auto hz = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
      const std::uint64_t from = v.state->written_ticks, to = from + k_orphan_fork_window_s * hz;
      return [from, to](const proc_stat& st) { return st.start_ticks >= from && st.start_ticks <= to; };
    }
    std::error_code ec;
    auto written = std::filesystem::last_write_time(v.paths.state, ec);
    if (ec) return {};
    double since = static_cast<double>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::file_clock::to_sys(written).time_since_epoch())
            .count());
    return [since](const proc_stat& st) {
      double started_unix = static_cast<double>(std::time(nullptr)) - uptime_seconds_of(st);
      return started_unix >= since - 2 && started_unix <= since + k_orphan_fork_window_s;
    };
  }();
  if (!started_in_window) return std::nullopt;
  for (pid_t p : list_descendants(1)) {
    auto ticks = instance_of(v, p, started_in_window);
    if (!ticks) continue;
    // Another service's instance running the same command is its live
    // monitor's child; our orphan was reparented away from its dead monitor.
    // (A monitor of a service in another state directory is not recognised:
    // that would take the instance's start time and command to coincide.)
    auto st = read_proc_stat(p);
    if (!st || is_recorded_monitor(v.state_dir, st->ppid)) continue;
    return std::pair{p, *ticks};
  }
  return std::nullopt;
}

}  // namespace

service_view inspect_service(const std::string& state_dir, const std::string& name) {
  service_view v;
  v.name = name;
  v.state_dir = state_dir;
  v.paths = service_paths_for(state_dir, name);
  auto lock = probe_pidfile(v.paths.pidfile);
  if (!lock) {
    v.what = service_view::kind::error;
    v.error = lock.err().message();
    return v;
  }
  auto st = read_service_state(v.paths.state);
  if (st && *st) v.state = **st;
  // Kept even when the lock says the service runs: status shows what it
  // knows and says which file it could not read.
  if (!st) v.error = st.err().message();
  if (auto c = read_service_config(v.paths.config)) v.config = std::move(*c);
  else if (c.err().code != errc::not_running && v.error.empty()) v.error = c.err().message();

  if (lock->state == pidfile_state::kind::running) {
    v.what = service_view::kind::supervised;
    v.monitor_pid = lock->pid;
    // Right after a monitor takes the lock it has not published NAME.state
    // yet: until it does, it is not verified (the control functions wait for
    // it a moment).
    v.monitor_verified = v.state && v.state->monitor_pid == lock->pid;
    // Fallback, the one use of a process's name: NAME.state exists but
    // cannot be read (truncated, too large, hostile), so nothing recorded
    // names the holder. The daemonkit tool's monitor is then recognised by
    // its comm, as before the state named it; a program embedding the
    // monitor is not, and stays refused until its next publish repairs the
    // file.
    if (!st) {
      std::ifstream comm("/proc/" + std::to_string(lock->pid) + "/comm");
      std::string holder;
      std::getline(comm, holder);
      v.monitor_verified = holder == "daemonkit";
    }
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
  if (s.phase == service_phase::stopped) v.what = service_view::kind::stopped;
  else if (s.phase == service_phase::exited && s.last_exit_code == 0) v.what = service_view::kind::exited;
  else v.what = service_view::kind::failed;
  return v;
}

bool service_view::alive() const noexcept {
  if (what == kind::unsupervised) return true;
  if (what != kind::supervised) return false;
  if (!state) return true;
  switch (state->phase) {
    case service_phase::starting:
    case service_phase::running:
    case service_phase::reloading:
    case service_phase::stopping: return true;
    case service_phase::backoff:
    case service_phase::stopped:
    case service_phase::exited:
    case service_phase::failed: return false;
  }
  return true;
}

service_health service_view::health() const noexcept {
  // Only a live monitor checks: a dead one's last word is stale.
  if (what != kind::supervised || !state) return service_health::none;
  return state->health;
}

lsb_status service_view::lsb_code() const noexcept {
  switch (what) {
    case kind::supervised:
      if (alive()) return health() == service_health::unhealthy ? lsb_status::dead_pidfile_exists : lsb_status::running;
      // No process now: waiting to respawn, or a monitor about to exit after
      // publishing how it ended.
      if (state && (state->phase == service_phase::failed ||
                    (state->phase == service_phase::exited && state->last_exit_code != 0))) {
        return lsb_status::dead_pidfile_exists;
      }
      return lsb_status::not_running;
    case kind::unsupervised: return lsb_status::running;
    case kind::failed: return lsb_status::dead_pidfile_exists;
    case kind::exited:
    case kind::stopped:
    case kind::unknown_name: return lsb_status::not_running;
    case kind::error: return lsb_status::unknown;
  }
  return lsb_status::unknown;
}

std::string_view service_view::word() const noexcept {
  switch (what) {
    case kind::supervised: return to_string(state ? state->phase : service_phase::running);
    case kind::unsupervised: return "unsupervised";
    case kind::failed: return to_string(service_phase::failed);
    case kind::exited: return to_string(service_phase::exited);
    case kind::stopped: return to_string(service_phase::stopped);
    case kind::unknown_name: return "unknown";
    case kind::error: return "error";
  }
  return "unknown";
}

namespace {

// The state alone: "running (pid 42)", "failed: exited with status 1", ...
std::string describe_state(const service_view& v) {
  using kind = service_view::kind;
  const auto& state = v.state;
  const pid_t pid = v.pid;
  std::string last = state && !state->last_exit.empty() ? state->last_exit : "";
  switch (v.what) {
    case kind::supervised: return std::string(v.word()) + (pid > 0 ? " (pid " + std::to_string(pid) + ")" : "");
    case kind::unsupervised: return "running (pid " + std::to_string(pid) + ", unsupervised: its monitor is gone)";
    case kind::failed:
      if (state && state->phase == service_phase::failed) return "failed" + (last.empty() ? "" : ": last " + last);
      if (state && state->phase == service_phase::exited) return "failed: " + last;
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

}  // namespace daemonkit
