#include "start_options.hpp"

#include <charconv>
#include <optional>
#include <unistd.h>

#include "daemonkit/credentials.hpp"
#include "daemonkit/env_file.hpp"
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
  s->add_option("--ready", a.ready, "Readiness: exec (default), notify (sd_notify READY=1), fd:N (a newline on fd N)");
  s->add_option("--ready-timeout", a.ready_timeout, "How long start waits for readiness (default 60s)");
  s->add_option("--stop-signal", a.stop_signal, "Signal that stops the service (default TERM)");
  s->add_option("--stop-timeout", a.stop_timeout, "Wait after the stop signal before SIGKILL (default 10s)");
  s->add_option("--kill-mode", a.kill_mode, "group (default: every process of the service) or process (main only)");
  s->add_option("--reload-signal", a.reload_signal, "Signal sent by reload (default HUP)");
  s->add_option("--respawn", a.respawn,
                "Restart the service when it exits: always (the default when given) or on-failure");
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

  std::string name = a.name;
  if (!a.name_given) {
    auto slash = c.argv[0].rfind('/');
    name = slash == std::string::npos ? c.argv[0] : c.argv[0].substr(slash + 1);
  }
  if (!valid_service_name(name)) {
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
  if (!a.log_max_size.empty()) {
    auto s = daemonkit::parse_size(a.log_max_size);
    if (!s) return bad("--log-max-size", s.err().message());
    if (*s < 1024) return bad("--log-max-size", "must be at least 1K");
    c.log_max_size = *s;
  }
  if (!a.log_keep.empty() && (!parse_int(a.log_keep, c.log_keep) || c.log_keep > 1000)) {
    return bad("--log-keep", "invalid count '" + a.log_keep + "'");
  }
  c.timestamps = a.timestamps;

  // Readiness.
  if (a.ready == "exec") c.ready = daemonkit::ready_mode::exec;
  else if (a.ready == "notify") c.ready = daemonkit::ready_mode::notify;
  else if (a.ready.rfind("fd:", 0) == 0) {
    c.ready = daemonkit::ready_mode::fd;
    if (!parse_int(a.ready.substr(3), c.ready_fd) || c.ready_fd < 3 || c.ready_fd > 1023) {
      return bad("--ready", "invalid fd in '" + a.ready + "' (expected fd:N with N from 3 to 1023)");
    }
  } else {
    return bad("--ready", "unknown mode '" + a.ready + "' (expected exec, notify or fd:N)");
  }
  if (auto r = duration("--ready-timeout", a.ready_timeout, c.ready_timeout); !r) return std::move(r).err();

  // Stopping.
  if (auto r = signal("--stop-signal", a.stop_signal, c.stop_signal); !r) return std::move(r).err();
  if (auto r = signal("--reload-signal", a.reload_signal, c.reload_signal); !r) return std::move(r).err();
  if (auto r = duration("--stop-timeout", a.stop_timeout, c.stop_timeout); !r) return std::move(r).err();
  if (a.kill_mode == "group") c.kill = daemonkit::kill_mode::group;
  else if (a.kill_mode == "process") c.kill = daemonkit::kill_mode::process;
  else return bad("--kill-mode", "unknown mode '" + a.kill_mode + "' (expected group or process)");

  // Respawn.
  if (a.respawn == "never") c.respawn.mode = daemonkit::respawn_mode::never;
  else if (a.respawn == "always" || a.respawn == "true") c.respawn.mode = daemonkit::respawn_mode::always;
  else if (a.respawn == "on-failure") c.respawn.mode = daemonkit::respawn_mode::on_failure;
  else return bad("--respawn", "unknown mode '" + a.respawn + "' (expected always or on-failure)");
  if (auto r = duration("--respawn-max-delay", a.respawn_max_delay, c.respawn.max_delay); !r) return std::move(r).err();
  if (auto r = duration("--respawn-window", a.respawn_window, c.respawn.window); !r) return std::move(r).err();
  if (!a.respawn_limit.empty() && (!parse_int(a.respawn_limit, c.respawn.limit) || c.respawn.limit == 0)) {
    return bad("--respawn-limit", "invalid count '" + a.respawn_limit + "' (expected a positive number)");
  }
  if (c.respawn.max_delay < c.respawn.initial_delay) c.respawn.initial_delay = c.respawn.max_delay;

  // Process settings.
  c.working_directory = absolute_path(a.chdir);
  auto um = daemonkit::parse_umask(a.umask);
  if (!um) return bad("--umask", um.err().message());
  c.umask = static_cast<int>(*um);
  std::optional<daemonkit::credentials> identity;
  if (!a.user.empty()) {
    auto spec = daemonkit::parse_user_spec(a.user);
    if (!spec) return bad("--user", spec.err().message());
    auto creds = daemonkit::resolve_credentials(spec->first, spec->second);
    if (!creds) return bad("--user", creds.err().message());
    if (::geteuid() != 0 && creds->uid != ::geteuid())
      return bad("--user", "only root can run a service as another user");
    c.user = a.user;
    identity = std::move(*creds);
  }
  c.chroot = absolute_path(a.chroot);
  if (!a.nice.empty() && (!parse_int(a.nice, c.nice) || c.nice < -40 || c.nice > 40)) {
    return bad("--nice", "invalid value '" + a.nice + "'");
  }
  for (const auto& r : a.rlimits) {
    auto l = daemonkit::parse_rlimit(r);
    if (!l) return bad("--rlimit", l.err().message());
    c.rlimits.push_back(r);
  }

  // Environment: ours (or none), then env files, then --env, in that order.
  if (!a.clear_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) c.env.emplace_back(*e);
  } else {
    c.env.emplace_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
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
