// SPDX-License-Identifier: MIT
#include "start_options.hpp"

#include <charconv>
#include <optional>
#include <strings.h>
#include <unistd.h>

#include "daemonkit/credentials.hpp"
#include "daemonkit/env_file.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/signal_name.hpp"
#include "daemonkit/spawn.hpp"
#include "daemonkit/units.hpp"
#include "paths.hpp"

extern char** environ;  // NOLINT

namespace dk {

using daemonkit::errc;
using daemonkit::make_error;

void add_start_options(CLI::App* s, start_args& a) {
  s->add_option_function<std::string>(
      "--name",
      [&a](const std::string& v) {
        a.name = v;
        a.name_given = true;
      },
      "Service name (default: the command's basename); 1-64 of A-Za-z0-9._@-");
  s->add_option("--log-file", a.log_file, "Log file for stdout and stderr (default: LOG_DIR/NAME.log)");
  s->add_option("--stdout", a.stdout_file, "Separate log file for stdout");
  s->add_option("--stderr", a.stderr_file, "Separate log file for stderr");
  s->add_option("--log-max-size", a.log_max_size, "Rotate the log at this size (512K, 10M, 1G)");
  s->add_option("--log-keep", a.log_keep, "Rotated logs to keep (default 5)");
  s->add_flag("--timestamps", a.timestamps, "Prefix each log line with an ISO 8601 time");
  s->add_option("--ready", a.ready,
                "Readiness: exec (default), notify (sd_notify READY=1), fd:N (a newline on fd N), pidfile:PATH (the "
                "command daemonizes; PATH names its main process), or a check: tcp:[HOST:]PORT, "
                "http://HOST[:PORT][/PATH], cmd:COMMAND");
  s->add_option("--ready-timeout", a.ready_timeout, "How long start waits for readiness (default 60s)");
  s->add_option("--stop-signal", a.stop_signal, "Signal that stops the service (default TERM)");
  s->add_option("--stop-timeout", a.stop_timeout, "Wait after the stop signal before SIGKILL (default 10s)");
  s->add_option("--kill-mode", a.kill_mode,
                "group (default: every process of the service), process (main only), or mixed (the stop signal to "
                "the main process, SIGKILL to all that is left at the stop timeout)");
  s->add_option("--reload-signal", a.reload_signal, "Signal sent by reload (default HUP); none: it has no reload");
  s->add_option("--reload-timeout", a.reload_timeout,
                "reload fails if the main process exits within this time of the signal (default 1s)");
  s->add_option("--check-config", a.check_config,
                "Shell command run (as the service) before reload and restart; they are refused when it fails");
  s->add_option("--health", a.health,
                "Liveness check once ready: tcp:[HOST:]PORT, http://HOST[:PORT][/PATH], cmd:COMMAND");
  s->add_option("--health-interval", a.health_interval, "Time between health checks, start to start (default 10s)");
  s->add_option("--health-timeout", a.health_timeout, "Longest a health check may take (default 5s)");
  s->add_option("--health-retries", a.health_retries, "Failures in a row that make it unhealthy (default 3)");
  s->add_option("--runtime-dir", a.runtime_dir,
                "Make /run/NAME (root) or $XDG_RUNTIME_DIR/NAME for the service, owned by its user, removed after "
                "it stops; exported as RUNTIME_DIRECTORY");
  s->add_option("--respawn", a.respawn,
                "Restart the service when it exits: always (the default when given) or on-failure");
  s->add_option("--respawn-min-uptime", a.respawn_min_uptime,
                "A run this long restarts at once; quicker exits back off from 100ms, doubling (default 1s; 0: "
                "every exit restarts at once, only --respawn-limit ends a crash loop)");
  s->add_option("--respawn-max-delay", a.respawn_max_delay, "Longest backoff between restarts (default 30s)");
  s->add_option("--respawn-limit", a.respawn_limit, "Give up after N starts within --respawn-window");
  s->add_option("--respawn-window", a.respawn_window, "Window for --respawn-limit (default 60s)");
  s->add_option("--chdir", a.chdir, "Working directory (default /)");
  s->add_option("--umask", a.umask, "umask, octal (default 022)");
  s->add_option("--user", a.user, "Run as USER[:GROUP] (root only)");
  s->add_option("--chroot", a.chroot, "chroot to DIR before starting (root only)");
  s->add_option("--env", a.env, "Set KEY=VALUE (repeatable)");
  s->add_option("--env-file", a.env_files, "Read KEY=VALUE lines from FILE (repeatable)");
  s->add_flag("--clear-env", a.clear_env, "Start from an empty environment (plus PATH)");
  s->add_option("--nice", a.nice, "Niceness adjustment");
  s->add_option("--rlimit", a.rlimits, "Resource limit NAME=VALUE[:HARD], e.g. nofile=65536 (repeatable)");
}

void add_run_options(CLI::App* s, start_args& a) {
  s->add_flag("--no-state", a.no_state,
              "Keep no state: no NAME.pid, NAME.state or NAME.json, so status and stop cannot find the service "
              "(automatic, with a warning, when the state directory is read-only or not ours to write)");
  s->add_flag("--signal-group", a.signal_group,
              "Forward signals to the service's whole process group, not only its main process (like tini -g)");
}

namespace {

daemonkit::error bad(const std::string& option, const std::string& why) {
  return make_error(errc::invalid_argument, option + ": " + why);
}

void set_var(std::vector<std::string>& env, const std::string& kv) {
  auto key = kv.substr(0, kv.find('=') + 1);
  for (auto& e : env) {
    if (e.rfind(key, 0) == 0) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

// tcp:, http://, https:// (refused by the parser, naming it), cmd:, or any
// other SCHEME:// — a check, whose parser says what is wrong with it.
bool looks_like_check(const std::string& v) {
  for (const char* p : {"tcp:", "http:", "https:", "cmd:"}) {
    if (v.size() >= std::string_view(p).size() && strncasecmp(v.c_str(), p, std::string_view(p).size()) == 0) {
      return true;
    }
  }
  return v.find("://") != std::string::npos;
}

template <class T>
bool parse_int(const std::string& s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

daemonkit::result<start_request> make_start_request(const start_args& a, std::vector<std::string> remaining,
                                                    const common_options& common, bool foreground) {
  (void)common;
  start_request req;
  auto& c = req.config;
  if (!remaining.empty() && remaining.front() == "--") remaining.erase(remaining.begin());
  if (remaining.empty()) return bad("COMMAND", "missing (usage: daemonkit start [OPTIONS] -- COMMAND [ARG...])");
  c.argv = std::move(remaining);
  req.no_state = foreground && a.no_state;
  req.signal_group = foreground && a.signal_group;

  std::string name = a.name;
  if (!a.name_given) {
    auto slash = c.argv[0].rfind('/');
    name = slash == std::string::npos ? c.argv[0] : c.argv[0].substr(slash + 1);
  }
  if (!daemonkit::valid_service_name(name)) {
    return bad("--name", "invalid service name '" + name + "' (1-64 of A-Za-z0-9._@-, not starting with '.')");
  }
  c.name = name;

  auto duration = [&](const std::string& opt, const std::string& v,
                      std::chrono::milliseconds& out) -> daemonkit::result<void> {
    auto d = daemonkit::parse_duration(v);
    if (!d) return bad(opt, d.err().message());
    out = *d;
    return {};
  };
  auto signal = [&](const std::string& opt, const std::string& v, int& out) -> daemonkit::result<void> {
    auto s = daemonkit::parse_signal(v);
    if (!s) return bad(opt, s.err().message());
    out = *s;
    return {};
  };

  // Output.
  c.log_file = absolute_path(a.log_file);
  c.stdout_file = absolute_path(a.stdout_file);
  c.stderr_file = absolute_path(a.stderr_file);
  req.explicit_log = !a.log_file.empty() || !a.stdout_file.empty() || !a.stderr_file.empty();
  c.passthrough = foreground && !req.explicit_log;
  if (a.log_max_size) {
    auto s = daemonkit::parse_size(*a.log_max_size);
    if (!s) return bad("--log-max-size", s.err().message());
    if (*s < 1024) return bad("--log-max-size", "must be at least 1K");
    c.log_max_size = *s;
  }
  if (a.log_keep && (!parse_int(*a.log_keep, c.log_keep) || c.log_keep > 1000)) {
    return bad("--log-keep", "invalid count '" + *a.log_keep + "'");
  }
  c.timestamps = a.timestamps;

  // Readiness.
  // fd, pidfile and the checks take their argument here ("fd:N",
  // "pidfile:PATH", "tcp:PORT"...), which NAME.json stores apart: their bare
  // stored names are no mode of their own.
  if (auto m = daemonkit::parse_ready_mode(a.ready);
      m && (*m == daemonkit::ready_mode::exec || *m == daemonkit::ready_mode::notify)) {
    c.ready = *m;
  } else if (a.ready.rfind("fd:", 0) == 0) {
    c.ready = daemonkit::ready_mode::fd;
    if (!parse_int(a.ready.substr(3), c.ready_fd) || c.ready_fd < 3 || c.ready_fd > 1023) {
      return bad("--ready", "invalid fd in '" + a.ready + "' (expected fd:N with N from 3 to 1023)");
    }
  } else if (a.ready.rfind("pidfile:", 0) == 0) {
    c.ready = daemonkit::ready_mode::pidfile;
    c.ready_pidfile = a.ready.substr(8);  // made absolute below, against the working directory
    if (c.ready_pidfile.empty()) return bad("--ready", "pidfile: needs a path (pidfile:PATH)");
  } else if (looks_like_check(a.ready)) {
    auto spec = daemonkit::parse_check(a.ready);
    if (!spec) return bad("--ready", spec.err().message());
    c.ready = daemonkit::ready_mode::check;
    c.ready_check = std::move(*spec);
  } else {
    return bad("--ready", "unknown mode '" + a.ready +
                              "' (expected exec, notify, fd:N, pidfile:PATH, tcp:[HOST:]PORT, "
                              "http://HOST[:PORT][/PATH] or cmd:COMMAND)");
  }
  if (auto r = duration("--ready-timeout", a.ready_timeout, c.ready_timeout); !r) return std::move(r).err();
  if (a.health) {
    auto spec = daemonkit::parse_check(*a.health);
    if (!spec) return bad("--health", spec.err().message());
    c.health = std::move(*spec);
  }
  if (auto r = duration("--health-interval", a.health_interval, c.health_interval); !r) return std::move(r).err();
  if (auto r = duration("--health-timeout", a.health_timeout, c.health_timeout); !r) return std::move(r).err();
  if (c.health_interval.count() <= 0) return bad("--health-interval", "must be more than 0");
  if (c.health_timeout.count() <= 0) return bad("--health-timeout", "must be more than 0");
  if (!parse_int(a.health_retries, c.health_retries) || c.health_retries < 1 || c.health_retries > 1'000'000) {
    return bad("--health-retries", "invalid count '" + a.health_retries + "' (expected a positive number)");
  }

  // Stopping.
  if (auto r = signal("--stop-signal", a.stop_signal, c.stop_signal); !r) return std::move(r).err();
  if (a.reload_signal == "none") c.reload_signal = 0;
  else if (auto r = signal("--reload-signal", a.reload_signal, c.reload_signal); !r) return std::move(r).err();
  if (auto r = duration("--reload-timeout", a.reload_timeout, c.reload_timeout); !r) return std::move(r).err();
  if (a.check_config) {
    if (a.check_config->empty()) return bad("--check-config", "empty command");
    c.check_config = *a.check_config;
  }
  if (a.runtime_dir) {
    if (!daemonkit::valid_runtime_dir_name(*a.runtime_dir)) {
      return bad("--runtime-dir",
                 "invalid name '" + *a.runtime_dir + "' (one path component of A-Za-z0-9._-, not . or ..)");
    }
    c.runtime_dir = *a.runtime_dir;
  }
  if (auto r = duration("--stop-timeout", a.stop_timeout, c.stop_timeout); !r) return std::move(r).err();
  if (auto m = daemonkit::parse_kill_mode(a.kill_mode)) c.kill = *m;
  else return bad("--kill-mode", "unknown mode '" + a.kill_mode + "' (expected group, process or mixed)");

  // Respawn.
  // --respawn=true: accepted as always, as it always was (the tool's spelling only).
  if (a.respawn == "true") c.respawn.mode = daemonkit::respawn_mode::always;
  else if (auto m = daemonkit::parse_respawn_mode(a.respawn)) c.respawn.mode = *m;
  else return bad("--respawn", "unknown mode '" + a.respawn + "' (expected always or on-failure)");
  if (auto r = duration("--respawn-min-uptime", a.respawn_min_uptime, c.respawn.min_uptime); !r) {
    return std::move(r).err();
  }
  if (auto r = duration("--respawn-max-delay", a.respawn_max_delay, c.respawn.max_delay); !r) return std::move(r).err();
  if (auto r = duration("--respawn-window", a.respawn_window, c.respawn.window); !r) return std::move(r).err();
  if (!a.respawn_limit.empty() && (!parse_int(a.respawn_limit, c.respawn.limit) || c.respawn.limit == 0)) {
    return bad("--respawn-limit", "invalid count '" + a.respawn_limit + "' (expected a positive number)");
  }
  if (c.respawn.max_delay < c.respawn.initial_delay) c.respawn.initial_delay = c.respawn.max_delay;

  // Process settings.
  c.working_directory = absolute_path(a.chdir);
  // pidfile:PATH is relative to the service's working directory.
  if (c.ready == daemonkit::ready_mode::pidfile && c.ready_pidfile[0] != '/') {
    c.ready_pidfile = (c.working_directory == "/" ? "" : c.working_directory) + "/" + c.ready_pidfile;
  }
  auto um = daemonkit::parse_umask(a.umask);
  if (!um) return bad("--umask", um.err().message());
  c.umask = static_cast<int>(*um);
  std::optional<daemonkit::credentials> identity;
  if (!a.user.empty()) {
    auto spec = daemonkit::parse_user_spec(a.user);
    if (!spec) return bad("--user", spec.err().message());
    auto creds = daemonkit::resolve_credentials(spec->user, spec->group);
    if (!creds) return bad("--user", creds.err().message());
    if (::geteuid() != 0 && creds->uid != ::geteuid())
      return bad("--user", "only root can run a service as another user");
    c.user = std::move(*spec);
    identity = std::move(*creds);
  }
  c.chroot = absolute_path(a.chroot);
  if (!a.nice.empty() && (!parse_int(a.nice, c.nice) || c.nice < -40 || c.nice > 40)) {
    return bad("--nice", "invalid value '" + a.nice + "'");
  }
  for (const auto& r : a.rlimits) {
    auto l = daemonkit::parse_rlimit(r);
    if (!l) return bad("--rlimit", l.err().message());
    c.rlimits.push_back(*l);
  }

  // Environment: ours (or none), then env files, then --env, in that order.
  if (!a.clear_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) c.env.emplace_back(*e);
  } else {
    c.env.push_back("PATH=" + std::string(daemonkit::default_path));
  }
  if (identity) {
    // As login(1) would: the service sees its own user, not the caller's;
    // --env and --env-file below may still override these.
    set_var(c.env, "HOME=" + identity->home);
    set_var(c.env, "USER=" + identity->name);
    set_var(c.env, "LOGNAME=" + identity->name);
    if (!identity->shell.empty()) set_var(c.env, "SHELL=" + identity->shell);
  }
  for (const auto& f : a.env_files) {
    auto vars = daemonkit::read_env_file(f, identity ? &*identity : nullptr);
    if (!vars) return bad("--env-file", vars.err().message());
    for (const auto& kv : *vars) set_var(c.env, kv);
  }
  for (const auto& kv : a.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return bad("--env", "invalid '" + kv + "' (expected KEY=VALUE)");
    set_var(c.env, kv);
  }
  return req;
}

}  // namespace dk
