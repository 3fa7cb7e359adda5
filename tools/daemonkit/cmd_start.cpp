// start, run and restart: bring a service up under a monitor.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unistd.h>
#include <variant>

#include "cli.hpp"
#include "config_json.hpp"
#include "daemonkit/daemonize.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/pidfile.hpp"
#include "service_view.hpp"

namespace dk {

namespace {

// Fills in the default log path and creates its directory. Whether the
// directory is safe to write is the monitor's check (it opens the files).
daemonkit::result<void> prepare_logs(const common_options& o, daemonkit::service_config& c) {
  if (c.passthrough) return {};
  std::optional<daemonkit::credentials> user;
  if (!c.user.empty()) {
    auto spec = daemonkit::parse_user_spec(c.user);
    if (!spec) return std::move(spec).err();
    auto creds = daemonkit::resolve_credentials(spec->first, spec->second);
    if (!creds) return std::move(creds).err();
    user = std::move(*creds);
  }
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
int already_running(const service_view& v) {
  std::string extra = v.what == service_view::kind::unsupervised
                          ? ", unsupervised: its monitor is gone; stop it with 'daemonkit stop " + v.name + "'"
                          : "";
  complain(v.name, "already running (pid " + std::to_string(v.pid > 0 ? v.pid : v.monitor_pid) + extra + ")");
  return exit_failure;
}

daemonkit::monitor_options monitor_for(const daemonkit::service_config& c, const service_paths& p, bool foreground) {
  daemonkit::monitor_options mo;
  mo.service = c;
  mo.state_path = p.state;
  mo.foreground = foreground;
  std::string config_path = p.config;
  mo.on_locked = [c, config_path]() { return write_config(config_path, c); };
  return mo;
}

// What start and run share: the state directory, a check that the service is
// not already running, and its log. Returns the service's view, or the exit
// code after saying why it cannot start.
std::variant<service_view, int> prepare_start(const common_options& o, daemonkit::service_config& c) {
  auto dir = state_dir(o, true);
  if (!dir) {
    complain(c.name, dir.err().message());
    return exit_failure;
  }
  auto v = inspect_service(*dir, c.name);
  if (v.what == service_view::kind::error) {
    complain(c.name, v.error);
    return exit_failure;
  }
  if (v.running()) return already_running(v);
  if (auto r = prepare_logs(o, c); !r) {
    complain(c.name, r.err().message());
    return exit_failure;
  }
  return v;
}

int start_config(const common_options& o, daemonkit::service_config c, const char* verb) {
  auto prepared = prepare_start(o, c);
  if (auto* rc = std::get_if<int>(&prepared)) return *rc;
  const auto& v = std::get<service_view>(prepared);
  const std::string dir = v.paths.pidfile.substr(0, v.paths.pidfile.rfind('/'));

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
    auto mo = monitor_for(c, v.paths, false);
    int code = daemonkit::run_monitor(mo, std::move(launched->held_pidfile()), &*launched);
    std::fflush(nullptr);
    ::_exit(code);
  }
  auto pid = launched->wait_ready();
  if (!pid) {
    if (pid.err().code == daemonkit::errc::already_running) {
      return already_running(inspect_service(dir, c.name));
    }
    complain(c.name, pid.err().message());
    return exit_failure;
  }
  std::printf("%s: %s (pid %d)\n", c.name.c_str(), verb, static_cast<int>(*pid));
  return exit_ok;
}

}  // namespace

int cmd_start(const common_options& o, start_request req) { return start_config(o, std::move(req.config), "started"); }

int cmd_run(const common_options& o, start_request req) {
  auto& c = req.config;
  auto prepared = prepare_start(o, c);
  if (auto* rc = std::get_if<int>(&prepared)) return *rc;
  const auto& v = std::get<service_view>(prepared);
  const std::string dir = v.paths.pidfile.substr(0, v.paths.pidfile.rfind('/'));
  auto lock = daemonkit::pidfile::acquire(v.paths.pidfile);
  if (!lock) {
    if (lock.err().code == daemonkit::errc::already_running) return already_running(inspect_service(dir, c.name));
    complain(c.name, lock.err().message());
    return exit_failure;
  }
  return daemonkit::run_monitor(monitor_for(c, v.paths, true), std::move(*lock), nullptr);
}

int cmd_restart(const common_options& o, const std::string& name) {
  if (!valid_service_name(name)) return usage_error("invalid service name '" + name + "'");
  auto dir = state_dir(o, false);
  if (!dir) {
    complain(name, dir.err().message());
    return exit_failure;
  }
  auto config = read_config(paths_for(*dir, name).config);
  if (!config) {
    complain(name, config.err().code == daemonkit::errc::not_running ? "no such service" : config.err().message());
    return exit_failure;
  }
  if (int rc = cmd_stop(o, name, ""); rc != exit_ok) return rc;
  config->passthrough = false;
  return start_config(o, std::move(*config), "restarted");
}

}  // namespace dk
