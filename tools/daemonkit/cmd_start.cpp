// SPDX-License-Identifier: MIT
// start, run and restart: bring a service up under a monitor.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unistd.h>
#include <variant>

#include "cli.hpp"
#include "daemonkit/daemonize.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/supervised.hpp"
#include "paths.hpp"

namespace dk {

namespace {

// Looks the service's user up, once per start, before any fork: the monitor
// program gets it as ids (monitor_options::identity) and makes no lookup.
// Then fills in the default log path and creates its directory. Whether the
// directory is safe to write is the monitor's check (it opens the files).
daemonkit::result<void> prepare_logs(const common_options& o, daemonkit::service_config& c,
                                     std::optional<daemonkit::credentials>& user) {
  if (c.user) {
    auto creds = daemonkit::resolve_credentials(c.user->user, c.user->group);
    if (!creds) return std::move(creds).err();
    user = std::move(*creds);
  }
  if (c.passthrough) return {};
  const daemonkit::credentials* as = user ? &*user : nullptr;
  if (c.log_file.empty() && (c.stdout_file.empty() || c.stderr_file.empty())) {
    bool chosen = !o.log_dir.empty() || std::getenv("DAEMONKIT_LOG_DIR") != nullptr;
    // The monitor runs in /: a relative directory means the caller's.
    std::string dir = absolute_path(o.log_dir.empty() ? default_log_dir() : o.log_dir);
    auto made = dir.empty()
                    ? daemonkit::result<void>(daemonkit::make_error(daemonkit::errc::invalid_argument, "no home"))
                    : ensure_log_dir(dir, !chosen, as);
    if (!made && !chosen) {
      // A user without a usable home (nobody's is /nonexistent) still gets
      // logs: next to the state, in the private state directory.
      auto state = state_dir(o, true);
      if (!state) return std::move(state).err();
      dir = *state + "/log";
      made = ensure_log_dir(dir, true, as);
    }
    if (!made) return made;
    c.log_file = dir + "/" + c.name + ".log";
  }
  return {};
}

// "already running (pid N)" with the service's pid, not the monitor's.
int already_running(const daemonkit::service_view& v) {
  std::string extra = v.what == daemonkit::service_view::kind::unsupervised
                          ? ", unsupervised: its monitor is gone; stop it with 'daemonkit stop " + v.name + "'"
                          : "";
  complain(v.name, "already running (pid " + std::to_string(v.pid > 0 ? v.pid : v.monitor_pid) + extra + ")");
  return exit_failure;
}

daemonkit::monitor_options monitor_for(const daemonkit::service_config& c, const daemonkit::service_paths& p,
                                       bool foreground, std::optional<daemonkit::credentials> user) {
  daemonkit::monitor_options mo;
  mo.service = c;
  mo.identity = std::move(user);
  mo.state_path = p.state;
  mo.foreground = foreground;
  mo.config_path = p.config;
  return mo;
}

// A monitor that published its service's end (`stop` returns on that) still
// holds the lock for the moment it takes to release it and exit: a start
// right after a stop waits for that instead of finding the service running.
daemonkit::service_view settled(daemonkit::service_view v) {
  if (v.what != daemonkit::service_view::kind::supervised || !v.monitor_verified || !v.state ||
      daemonkit::is_live(v.state->phase)) {
    return v;
  }
  if (auto mon = daemonkit::process::open_monitor(v.monitor_pid)) (void)mon->wait_exit(daemonkit::monitor_publish_wait);
  return daemonkit::inspect_service(v.state_dir, v.name);
}

// What start and run share: the state directory, a check that the service is
// not already running, and its log. Returns the service's view, or the exit
// code after saying why it cannot start.
std::variant<daemonkit::service_view, int> prepare_start(const common_options& o, daemonkit::service_config& c,
                                                         std::optional<daemonkit::credentials>& user) {
  auto dir = state_dir(o, true);
  if (!dir) {
    complain(c.name, dir.err().message());
    return exit_failure;
  }
  auto v = settled(daemonkit::inspect_service(*dir, c.name));
  if (v.what == daemonkit::service_view::kind::error) {
    complain(c.name, v.error);
    return exit_failure;
  }
  if (v.running()) return already_running(v);
  if (auto r = prepare_logs(o, c, user); !r) {
    complain(c.name, r.err().message());
    return exit_failure;
  }
  return v;
}

}  // namespace

int launch_service(const common_options& o, daemonkit::service_config c, pid_t& pid_out) {
  std::optional<daemonkit::credentials> user;
  auto prepared = prepare_start(o, c, user);
  if (auto* rc = std::get_if<int>(&prepared)) return *rc;
  const auto& v = std::get<daemonkit::service_view>(prepared);
  const std::string& dir = v.state_dir;

  daemonkit::daemonize_options d;
  d.pidfile = v.paths.pidfile;
  // The monitor points its own stderr at the service's log once it has
  // opened it safely (never by path here, as root, before any check).
  d.ready_timeout = c.ready_timeout + std::chrono::seconds(10);
  auto launched = daemonkit::daemonize(d);
  if (!launched) {
    complain(c.name, launched.err().message());
    return exit_failure;
  }
  if (launched->is_daemon()) {
    auto mo = monitor_for(c, v.paths, false, std::move(user));
    // This process becomes the monitor program; only if there is none, or
    // it cannot run, does it go on as the monitor itself (the same monitor,
    // with the CLI's memory kept resident).
    if (auto program = monitor_program(); !program.empty()) {
      (void)daemonkit::exec_monitor(program, mo, launched->held_pidfile(), &*launched);
    }
    int code = daemonkit::run_monitor(mo, std::move(launched->held_pidfile()), &*launched);
    std::fflush(nullptr);
    ::_exit(code);
  }
  auto pid = launched->wait_ready();
  if (!pid) {
    // A monitor that failed the start killed what it started before it said
    // so; let it finish exiting too, so nothing of the service is left when
    // we return. (One that timed out is left running: see below.)
    if (pid.err().code != daemonkit::errc::timed_out) {
      (void)launched->daemon_process().wait_exit(daemonkit::monitor_kill_wait);
    }
    if (pid.err().code == daemonkit::errc::already_running) {
      return already_running(daemonkit::inspect_service(dir, c.name));
    }
    complain(c.name, pid.err().message());
    return exit_failure;
  }
  pid_out = *pid;
  return exit_ok;
}

namespace {

int start_config(const common_options& o, daemonkit::service_config c, const char* verb) {
  std::string name = c.name;
  pid_t pid = 0;
  if (int rc = launch_service(o, std::move(c), pid); rc != exit_ok) return rc;
  std::printf("%s: %s (pid %d)\n", name.c_str(), verb, static_cast<int>(pid));
  return exit_ok;
}

// The state directory cannot be created or written: read-only, or not ours.
bool cannot_write(const daemonkit::error& e) {
  return e.code == std::error_code(EROFS, std::system_category()) ||
         e.code == std::error_code(EACCES, std::system_category());
}

// `run` with no state at all: no pidfile, NAME.state or NAME.json, so no
// other command can find the service; the monitor is its only handle (as
// tini is). `why`, when not empty, is why the state directory was given up.
int run_without_state(const common_options& o, start_request req, const std::string& why = {}) {
  auto& c = req.config;
  if (!why.empty()) complain(c.name, why + "; running without state (status and stop cannot find this service)");
  std::optional<daemonkit::credentials> user;
  if (auto r = prepare_logs(o, c, user); !r) {
    complain(c.name, r.err().message());
    return exit_failure;
  }
  daemonkit::monitor_options mo;
  mo.service = c;
  mo.identity = std::move(user);
  mo.foreground = true;
  mo.signal_group = req.signal_group;
  daemonkit::pidfile none;
  if (auto program = monitor_program(); !program.empty()) (void)daemonkit::exec_monitor(program, mo, none, nullptr);
  return daemonkit::run_monitor(mo, std::move(none), nullptr);
}

}  // namespace

int cmd_start(const common_options& o, start_request req) { return start_config(o, std::move(req.config), "started"); }

int cmd_run(const common_options& o, start_request req) {
  auto& c = req.config;
  if (req.no_state) return run_without_state(o, std::move(req));
  // A read-only root (a container run with --read-only) has no state
  // directory to make: run works without one, and says what that costs.
  if (auto dir = state_dir(o, true); !dir && cannot_write(dir.err())) {
    return run_without_state(o, std::move(req), dir.err().message());
  }
  std::optional<daemonkit::credentials> user;
  auto prepared = prepare_start(o, c, user);
  if (auto* rc = std::get_if<int>(&prepared)) return *rc;
  const auto& v = std::get<daemonkit::service_view>(prepared);
  const std::string& dir = v.state_dir;
  auto lock = daemonkit::pidfile::acquire(v.paths.pidfile);
  if (!lock) {
    if (lock.err().code == daemonkit::errc::already_running)
      return already_running(daemonkit::inspect_service(dir, c.name));
    if (cannot_write(lock.err())) return run_without_state(o, std::move(req), lock.err().message());
    complain(c.name, lock.err().message());
    return exit_failure;
  }
  auto mo = monitor_for(c, v.paths, true, std::move(user));
  mo.signal_group = req.signal_group;
  if (auto program = monitor_program(); !program.empty()) (void)daemonkit::exec_monitor(program, mo, *lock, nullptr);
  return daemonkit::run_monitor(mo, std::move(*lock), nullptr);
}

int cmd_restart(const common_options& o, const std::string& name) {
  if (!daemonkit::valid_service_name(name)) return usage_error("invalid service name '" + name + "'");
  auto dir = state_dir(o, false);
  if (!dir) {
    complain(name, dir.err().message());
    return exit_failure;
  }
  auto config = daemonkit::read_service_config(daemonkit::service_paths_for(*dir, name).config);
  if (!config) {
    complain(name, config.err().code == daemonkit::errc::not_running ? "no such service" : config.err().message());
    return exit_failure;
  }
  // A configuration that does not check out is refused before anything is
  // stopped: the running instance keeps serving.
  auto check = daemonkit::check_service_config(*config);
  if (!check) {
    complain(name, "cannot run the config check: " + check.err().message());
    return exit_failure;
  }
  if (!check->ok) {
    complain(name, config_check_failure(*check));
    return exit_failure;
  }
  if (int rc = cmd_stop(o, name, ""); rc != exit_ok) return rc;
  config->passthrough = false;
  return start_config(o, std::move(*config), "restarted");
}

}  // namespace dk
