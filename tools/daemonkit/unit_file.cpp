// SPDX-License-Identifier: MIT
#include "unit_file.hpp"

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <sys/resource.h>
#include <utility>

#include "daemonkit/check.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/signal_name.hpp"
#include "daemonkit/text_escape.hpp"

namespace dk {

namespace {

using daemonkit::errc;
using daemonkit::kill_mode;
using daemonkit::make_error;
using daemonkit::ready_mode;
using daemonkit::respawn_mode;
using std::chrono::milliseconds;

daemonkit::error bad(const std::string& option, const std::string& why) {
  return make_error(errc::invalid_argument, option + ": " + why);
}

// The length of the valid UTF-8 sequence at s[i] (1 for ASCII), or 0 when
// the bytes there are not one.
size_t utf8_sequence_at(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  return daemonkit::is_valid_utf8(s.substr(i, n)) ? n : 0;
}

// C escapes for what systemd unescapes in quoted words (systemd.syntax(7)):
// backslash, double quote, control characters; '%' doubled for the
// specifier expansion, and '$' too where dollars_too (command lines). Bytes
// that are not UTF-8 become \xNN when allow_binary, else make it fail.
bool escape_into(std::string& out, std::string_view s, bool dollars_too, bool allow_binary) {
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence_at(s, i);
    if (n == 0) {
      if (!allow_binary) return false;
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += hex;
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    char c = s[i++];
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '%': out += "%%"; break;
      case '$': out += dollars_too ? "$$" : "$"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
          out += hex;
        } else {
          out += c;
        }
    }
  }
  return true;
}

bool plain_word(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_./:=,+@-").find(c) != std::string_view::npos;
  });
}

bool valid_env_name(std::string_view k) {
  if (k.empty() || (k[0] >= '0' && k[0] <= '9')) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A path as a directive's whole value (WorkingDirectory=, PIDFile=, ...):
// systemd takes it as written, after specifiers, so there is nothing to
// quote; only what it would read differently is refused.
daemonkit::result<std::string> unit_path(const std::string& option, const std::string& path) {
  auto refuse = [&](const std::string& why) { return bad(option, "cannot write '" + path + "' in a unit: " + why); };
  if (path.empty() || path[0] != '/') return refuse("not an absolute path");
  if (!daemonkit::is_valid_utf8(path)) return refuse("not UTF-8");
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return refuse("it holds a control character");
  }
  if (path.back() == ' ' || path.back() == '\\') return refuse("it ends in a space or a backslash");
  for (size_t i = 0; i < path.size();) {
    size_t end = path.find('/', i + 1);
    if (end == std::string::npos) end = path.size();
    std::string_view part = std::string_view(path).substr(i + 1, end - i - 1);
    if (part == "." || part == "..") return refuse("systemd takes only normalized paths (no . or ..)");
    i = end;
  }
  std::string out;
  for (char c : path) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

// A user or group name or number for User=/Group=.
daemonkit::result<std::string> unit_account(const std::string& option, const std::string& name) {
  bool ok = !name.empty() && name[0] != '-' && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("._-$@").find(c) != std::string_view::npos;
  });
  if (!ok) return bad(option, "cannot write '" + name + "' in a unit (expected a user or group name or number)");
  return name;
}

// "10s", "1500ms": what both systemd and parse_duration read back exactly.
std::string span(milliseconds d) {
  auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

// For a systemd timeout, where 0 means "never": daemonkit's 0 is "at once".
std::string timeout_span(milliseconds d) { return d.count() <= 0 ? "1ms" : span(d); }

std::string systemd_signal(int sig) { return "SIG" + daemonkit::signal_name(sig); }

// For kill(1): a name for the classic signals, the number for real-time ones
// (whose names kill and libc may count from different bases).
std::string kill_signal_arg(int sig) {
  if (sig >= SIGRTMIN) return std::to_string(sig);
  return daemonkit::signal_name(sig);
}

std::string_view limit_name(int resource) {
  static constexpr std::array<std::pair<int, std::string_view>, 16> names{{
      {RLIMIT_CPU, "LimitCPU"},
      {RLIMIT_FSIZE, "LimitFSIZE"},
      {RLIMIT_DATA, "LimitDATA"},
      {RLIMIT_STACK, "LimitSTACK"},
      {RLIMIT_CORE, "LimitCORE"},
      {RLIMIT_RSS, "LimitRSS"},
      {RLIMIT_NOFILE, "LimitNOFILE"},
      {RLIMIT_AS, "LimitAS"},
      {RLIMIT_NPROC, "LimitNPROC"},
      {RLIMIT_MEMLOCK, "LimitMEMLOCK"},
      {RLIMIT_LOCKS, "LimitLOCKS"},
      {RLIMIT_SIGPENDING, "LimitSIGPENDING"},
      {RLIMIT_MSGQUEUE, "LimitMSGQUEUE"},
      {RLIMIT_NICE, "LimitNICE"},
      {RLIMIT_RTPRIO, "LimitRTPRIO"},
      {RLIMIT_RTTIME, "LimitRTTIME"},
  }};
  for (const auto& [r, n] : names) {
    if (r == resource) return n;
  }
  return {};
}

// Raw values, as setrlimit takes them: systemd reads a plain number the same
// way for every Limit*= (seconds for CPU, microseconds for RTTIME, bytes).
std::string limit_value(rlim_t v) { return v == RLIM_INFINITY ? "infinity" : std::to_string(v); }

bool uses_network(const std::optional<daemonkit::check_spec>& c) {
  return c && c->what != daemonkit::check_spec::kind::cmd;
}

std::string ready_option(const daemonkit::service_config& c) {
  switch (c.ready) {
    case ready_mode::exec: return "exec";
    case ready_mode::notify: return "notify";
    case ready_mode::fd: return "fd:" + std::to_string(c.ready_fd);
    case ready_mode::pidfile: return "pidfile:" + c.ready_pidfile;
    case ready_mode::check: return c.ready_check ? daemonkit::to_string(*c.ready_check) : "";
  }
  return "";
}

// The options of `daemonkit run` that give c, the defaults left out; what
// make_start_request reads back as c (the environment apart: see below).
std::vector<std::string> run_options(const unit_request& r) {
  const auto& c = r.config;
  const daemonkit::service_config d;
  std::vector<std::string> o{"--name=" + c.name};
  auto add = [&](const char* opt, const std::string& v) { o.push_back(std::string(opt) + "=" + v); };
  if (c.ready != ready_mode::exec) add("--ready", ready_option(c));
  if (c.ready_timeout != d.ready_timeout) add("--ready-timeout", span(c.ready_timeout));
  if (c.health) {
    add("--health", daemonkit::to_string(*c.health));
    if (c.health_interval != d.health_interval) add("--health-interval", span(c.health_interval));
    if (c.health_timeout != d.health_timeout) add("--health-timeout", span(c.health_timeout));
    if (c.health_retries != d.health_retries) add("--health-retries", std::to_string(c.health_retries));
  }
  if (c.stop_signal != d.stop_signal) add("--stop-signal", daemonkit::signal_name(c.stop_signal));
  if (c.stop_timeout != d.stop_timeout) add("--stop-timeout", span(c.stop_timeout));
  if (c.kill != d.kill) add("--kill-mode", std::string(daemonkit::to_string(c.kill)));
  if (c.reload_signal != d.reload_signal) {
    add("--reload-signal", c.reload_signal == 0 ? "none" : daemonkit::signal_name(c.reload_signal));
  }
  if (c.reload_timeout != d.reload_timeout) add("--reload-timeout", span(c.reload_timeout));
  if (!c.check_config.empty()) add("--check-config", c.check_config);
  if (!c.runtime_dir.empty()) add("--runtime-dir", c.runtime_dir);
  if (c.respawn.mode != respawn_mode::never) {
    add("--respawn", std::string(daemonkit::to_string(c.respawn.mode)));
    if (c.respawn.min_uptime != d.respawn.min_uptime) add("--respawn-min-uptime", span(c.respawn.min_uptime));
    if (c.respawn.max_delay != d.respawn.max_delay) add("--respawn-max-delay", span(c.respawn.max_delay));
    if (c.respawn.limit != 0) add("--respawn-limit", std::to_string(c.respawn.limit));
    if (c.respawn.window != d.respawn.window) add("--respawn-window", span(c.respawn.window));
  }
  if (!c.passthrough) {
    if (!c.log_file.empty()) add("--log-file", c.log_file);
    if (!c.stdout_file.empty()) add("--stdout", c.stdout_file);
    if (!c.stderr_file.empty()) add("--stderr", c.stderr_file);
    if (c.log_max_size != 0) add("--log-max-size", std::to_string(c.log_max_size));
    if (c.log_keep != d.log_keep) add("--log-keep", std::to_string(c.log_keep));
    if (c.timestamps) o.emplace_back("--timestamps");
  }
  if (c.working_directory != d.working_directory) add("--chdir", c.working_directory);
  if (c.umask != d.umask) {
    char m[8];
    std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(c.umask));
    add("--umask", m);
  }
  if (c.user) add("--user", daemonkit::format_user_spec(*c.user));
  if (!c.chroot.empty()) add("--chroot", c.chroot);
  if (c.nice != 0) add("--nice", std::to_string(c.nice));
  for (const auto& l : c.rlimits) add("--rlimit", daemonkit::format_rlimit(l));
  // The environment as the options gave it: run applies files, then --env,
  // over its own (systemd's) environment, exactly as start did over the
  // caller's; systemd's Environment= would come first and lose to an
  // --user's HOME, and EnvironmentFile= would beat --env.
  if (r.clear_env) o.emplace_back("--clear-env");
  for (const auto& f : r.env_files) add("--env-file", f);
  for (const auto& kv : r.env) add("--env", kv);
  return o;
}

class unit_writer {
 public:
  void line(std::string_view key, std::string_view value) {
    text_.append(key);
    text_ += '=';
    text_.append(value);
    text_ += '\n';
  }
  void raw(std::string_view text) { text_.append(text); }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

std::string exec_line(const std::string& program, const std::vector<std::string>& args) {
  std::string out = quote_exec_word(program);
  for (const auto& a : args) out += " " + quote_exec_word(a);
  return out;
}

}  // namespace

std::string quote_exec_word(std::string_view word) {
  if (plain_word(word)) return std::string(word);
  std::string out = "\"";
  escape_into(out, word, true, true);
  return out + "\"";
}

daemonkit::result<std::string> quote_environment(std::string_view assignment) {
  auto eq = assignment.find('=');
  std::string_view key = assignment.substr(0, eq);
  if (eq == std::string_view::npos || !valid_env_name(key)) {
    return bad("--env", "systemd takes only variable names of A-Za-z0-9_ not starting with a digit, not '" +
                            std::string(key) + "'");
  }
  std::string out = "\"";
  if (!escape_into(out, assignment, false, false)) {
    return bad("--env", "the value of " + std::string(key) + " is not UTF-8, which systemd refuses");
  }
  return out + "\"";
}

std::vector<std::string> run_reasons(const unit_request& r) {
  const auto& c = r.config;
  std::vector<std::string> why;
  if (c.ready == ready_mode::fd) why.emplace_back("--ready fd:");
  if (c.ready == ready_mode::check && c.ready_check) {
    switch (c.ready_check->what) {
      case daemonkit::check_spec::kind::tcp: why.emplace_back("--ready tcp:"); break;
      case daemonkit::check_spec::kind::http: why.emplace_back("--ready http:"); break;
      case daemonkit::check_spec::kind::cmd: why.emplace_back("--ready cmd:"); break;
    }
  }
  if (c.health) why.emplace_back("--health");
  if (!c.passthrough && c.log_max_size != 0) why.emplace_back("--log-max-size");
  if (!c.passthrough && c.timestamps) why.emplace_back("--timestamps");
  if (r.env_overrides_file) why.emplace_back("--env over --env-file");
  return why;
}

daemonkit::result<std::string> make_unit_file(const unit_request& r) {
  const auto& c = r.config;
  const auto reasons = run_reasons(r);
  const bool run = !reasons.empty();
  if (r.user_unit && c.user) return bad("--user-unit", "a user unit runs as its user: --user does not apply");
  if (r.program.find('$') != std::string::npos || r.daemonkit.find('$') != std::string::npos) {
    // systemd expands variables in the arguments only: '$$' would stay in a path.
    return bad("COMMAND", "systemd cannot run a program whose path holds a '$'");
  }
  unit_writer w;
  w.raw(std::string(unit_marker) + " for the service " + c.name + ".\n");
  if (run) {
    std::string list;
    for (const auto& s : reasons) list += (list.empty() ? "" : ", ") + s;
    w.raw("# systemd has no equivalent of " + list +
          ": daemonkit run supervises\n# the service, and tells systemd when it is ready.\n");
  }
  w.raw("[Unit]\n");
  w.line("Description", c.name + " (daemonkit unit)");
  if (uses_network(c.ready_check) || uses_network(c.health)) w.line("After", "network.target");
  // depends_on: systemd starts a unit once what it is After= has finished
  // starting, which is readiness for Type=notify/forking/exec and the end
  // of a Type=oneshot; "started" dependencies are only wanted, not required.
  for (const auto& u : r.requires_units) {
    w.line("Requires", u);
    w.line("After", u);
  }
  for (const auto& u : r.wants_units) {
    w.line("Wants", u);
    w.line("After", u);
  }
  const bool respawn = c.respawn.mode != respawn_mode::never;
  if (!run && respawn) {
    // daemonkit gives up after --respawn-limit starts within the window, and
    // never without a limit.
    w.line("StartLimitIntervalSec", c.respawn.limit == 0 ? "0" : span(c.respawn.window));
    if (c.respawn.limit != 0) w.line("StartLimitBurst", std::to_string(c.respawn.limit));
  }

  w.raw("\n[Service]\n");
  if (run) {
    w.line("Type", "notify");
    w.line("NotifyAccess", "main");
    std::vector<std::string> args{"run"};
    auto opts = run_options(r);
    args.insert(args.end(), opts.begin(), opts.end());
    args.emplace_back("--");
    args.push_back(r.program);
    args.insert(args.end(), c.argv.begin() + 1, c.argv.end());
    w.line("ExecStart", exec_line(r.daemonkit, args));
    // reload runs the config check, signals and waits as `daemonkit reload`
    // always does; it finds run's monitor in the default state directory.
    if (c.reload_signal != 0) w.line("ExecReload", exec_line(r.daemonkit, {"reload", c.name}));
    // run fails the start itself at --ready-timeout; systemd waits longer.
    w.line("TimeoutStartSec", span(c.ready_timeout + std::chrono::seconds(10)));
    // run respawns (with its backoff, and after --health failures); systemd
    // restarts only a monitor that was killed.
    w.line("Restart", respawn ? "on-abnormal" : "no");
    // systemd's stop signal goes to run alone, which stops the service as
    // daemonkit does; run forwards TERM as TERM, but INT as the service's own
    // stop signal. SIGKILL for whatever is left once run had its
    // --stop-timeout and its kill wait.
    w.line("KillMode", "mixed");
    w.line("KillSignal", c.stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
    w.line("TimeoutStopSec", span(c.stop_timeout + daemonkit::monitor_kill_wait));
  } else {
    if (r.oneshot) {
      // Runs to completion, never respawned; stays "active" after exiting 0
      // so its dependants' Requires= holds (and After= waits for the end).
      w.line("Type", "oneshot");
      w.line("RemainAfterExit", "yes");
      w.line("TimeoutStartSec", "infinity");  // a migration takes what it takes (systemd's default: 90 s)
    }
    switch (r.oneshot ? ready_mode::exec : c.ready) {
      case ready_mode::notify:
        w.line("Type", "notify");
        // daemonkit takes READY=1 from any process of the service.
        w.line("NotifyAccess", "all");
        break;
      case ready_mode::pidfile: {
        w.line("Type", "forking");
        auto p = unit_path("--ready pidfile:", c.ready_pidfile);
        if (!p) return std::move(p).err();
        w.line("PIDFile", *p);
        break;
      }
      case ready_mode::exec:
      case ready_mode::fd:     // run_reasons: not here
      case ready_mode::check:  // run_reasons: not here
        if (!r.oneshot) w.line("Type", "exec");
        break;
    }
    std::vector<std::string> args(c.argv.begin() + 1, c.argv.end());
    w.line("ExecStart", exec_line(r.program, args));
    if (c.reload_signal != 0 && !r.oneshot) {
      if (!c.check_config.empty()) w.line("ExecReload", exec_line("/bin/sh", {"-c", c.check_config}));
      w.line("ExecReload", "/bin/kill -s " + kill_signal_arg(c.reload_signal) + " $MAINPID");
    }
    if (c.ready != ready_mode::exec) w.line("TimeoutStartSec", timeout_span(c.ready_timeout));
    if (respawn) {
      w.line("Restart", c.respawn.mode == respawn_mode::always ? "always" : "on-failure");
      // systemd 252 waits the same time before each restart (no doubling up
      // to --respawn-max-delay): daemonkit's first backoff.
      w.line("RestartSec", span(std::min(c.respawn.initial_delay, c.respawn.max_delay)));
      // daemonkit's on-failure is "unless it exited 0": a death by any
      // signal counts, also those systemd deems clean.
      if (c.respawn.mode == respawn_mode::on_failure) w.line("RestartForceExitStatus", "SIGHUP SIGINT SIGTERM SIGPIPE");
    }
    switch (c.kill) {
      case kill_mode::group: w.line("KillMode", "control-group"); break;
      case kill_mode::process: w.line("KillMode", "process"); break;
      case kill_mode::mixed: w.line("KillMode", "mixed"); break;
    }
    w.line("KillSignal", systemd_signal(c.stop_signal));
    w.line("TimeoutStopSec", timeout_span(c.stop_timeout));

    if (c.user) {
      auto u = unit_account("--user", c.user->user);
      if (!u) return std::move(u).err();
      w.line("User", *u);
      if (!c.user->group.empty()) {
        auto g = unit_account("--user", c.user->group);
        if (!g) return std::move(g).err();
        w.line("Group", *g);
      }
    }
    if (!c.chroot.empty()) {
      auto p = unit_path("--chroot", c.chroot);
      if (!p) return std::move(p).err();
      w.line("RootDirectory", *p);
    }
    // Always written: a user manager's default is the home directory.
    auto wd = unit_path("--chdir", c.working_directory);
    if (!wd) return std::move(wd).err();
    w.line("WorkingDirectory", *wd);
    char m[8];
    std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(c.umask));
    w.line("UMask", m);
    // daemonkit adds its --nice to its own niceness (0 under systemd);
    // the kernel clamps the sum to -20..19.
    if (c.nice != 0) w.line("Nice", std::to_string(std::clamp(c.nice, -20, 19)));
    for (const auto& l : c.rlimits) {
      auto name = limit_name(l.resource);
      if (name.empty()) return bad("--rlimit", "resource " + std::to_string(l.resource) + " has no systemd name");
      std::string v = limit_value(l.value.rlim_cur);
      if (l.value.rlim_max != l.value.rlim_cur) v += ":" + limit_value(l.value.rlim_max);
      w.line(name, v);
    }
    for (const auto& kv : r.env) {
      auto q = quote_environment(kv);
      if (!q) return std::move(q).err();
      w.line("Environment", *q);
    }
    for (const auto& f : r.env_files) {
      auto p = unit_path("--env-file", f);
      if (!p) return std::move(p).err();
      w.line("EnvironmentFile", *p);
    }
    if (!c.runtime_dir.empty()) w.line("RuntimeDirectory", c.runtime_dir);
    // A log daemonkit would write: appended to by systemd, which opens it
    // (as root for a system unit). None: the journal.
    if (!c.passthrough) {
      std::string out_file = c.stdout_file.empty() ? c.log_file : c.stdout_file;
      std::string err_file = c.stderr_file.empty() ? c.log_file : c.stderr_file;
      for (auto [key, option, file] :
           {std::tuple{"StandardOutput", c.stdout_file.empty() ? "--log-file" : "--stdout", out_file},
            std::tuple{"StandardError", c.stderr_file.empty() ? "--log-file" : "--stderr", err_file}}) {
        if (out_file.empty() && err_file.empty()) break;
        if (file.empty()) {
          w.line(key, "journal");
          continue;
        }
        auto p = unit_path(option, file);
        if (!p) return std::move(p).err();
        w.line(key, "append:" + *p);
      }
    }
  }
  w.line("SyslogIdentifier", c.name);

  w.raw("\n[Install]\n");
  w.line("WantedBy", r.user_unit ? "default.target" : "multi-user.target");
  return w.take();
}

}  // namespace dk
