// SPDX-License-Identifier: MIT
// unit: a systemd unit for a service, printed or installed.
#include "cmd_unit.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "daemonkit/credentials.hpp"
#include "daemonkit/detail/file_io.hpp"
#include "daemonkit/detail/trusted_path.hpp"
#include "daemonkit/env_file.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/spawn.hpp"
#include "daemonkit/text_escape.hpp"
#include "paths.hpp"
#include "services_file.hpp"
#include "unit_file.hpp"

extern char** environ;  // NOLINT

namespace dk {

namespace {

using daemonkit::errc;
using daemonkit::make_error;

std::string key_of(const std::string& kv) { return kv.substr(0, kv.find('=')); }

// --env as the unit sets it: each key once, the last value in the place of
// the first, as start applies them.
std::vector<std::string> unique_env(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const auto& kv : given) {
    auto it = std::find_if(out.begin(), out.end(), [&](const std::string& e) { return key_of(e) == key_of(kv); });
    if (it != out.end()) *it = kv;
    else out.push_back(kv);
  }
  return out;
}

// What a stored environment holds that belongs to the shell or the manager
// that started the service, not to the service: systemd gives its own.
bool session_variable(const std::string& key, bool has_user) {
  static const char* const names[] = {"NOTIFY_SOCKET",
                                      "LISTEN_PID",
                                      "LISTEN_FDS",
                                      "LISTEN_FDNAMES",
                                      "INVOCATION_ID",
                                      "JOURNAL_STREAM",
                                      "MAINPID",
                                      "MANAGERPID",
                                      "WATCHDOG_PID",
                                      "WATCHDOG_USEC",
                                      "SYSTEMD_EXEC_PID",
                                      "RUNTIME_DIRECTORY",
                                      "PWD",
                                      "OLDPWD",
                                      "SHLVL",
                                      "_",
                                      "TERM",
                                      "DISPLAY",
                                      "SSH_AUTH_SOCK",
                                      "SSH_CLIENT",
                                      "SSH_CONNECTION",
                                      "SSH_TTY",
                                      "XDG_SESSION_ID",
                                      "XDG_SESSION_CLASS",
                                      "XDG_SESSION_TYPE"};
  if (std::find(std::begin(names), std::end(names), key) != std::end(names)) return true;
  // With --user, start set these from the account, as systemd's User= does.
  return has_user && (key == "HOME" || key == "USER" || key == "LOGNAME" || key == "SHELL");
}

bool systemd_env_name(const std::string& k) {
  return !k.empty() && !(k[0] >= '0' && k[0] <= '9') && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Drops "." and empty components (systemd takes only normalized paths).
std::string tidy_path(const std::string& p) {
  std::string out;
  size_t i = 0;
  while (i <= p.size()) {
    size_t end = p.find('/', i);
    if (end == std::string::npos) end = p.size();
    std::string part = p.substr(i, end - i);
    if (!part.empty() && part != ".") out += "/" + part;
    i = end + 1;
  }
  return out.empty() ? "/" : out;
}

bool is_executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The absolute path of the service's program, found as spawn would find it:
// a name with '/' from the working directory, else in the service's PATH;
// inside the chroot when there is one. systemd needs it absolute.
daemonkit::result<std::string> resolve_program(const daemonkit::service_config& c) {
  const std::string& cmd = c.argv[0];
  auto from_wd = [&](const std::string& p) { return tidy_path(p[0] == '/' ? p : c.working_directory + "/" + p); };
  auto found = [&](const std::string& p) { return is_executable(c.chroot.empty() ? p : c.chroot + p); };
  if (cmd.empty()) return make_error(errc::invalid_argument, "empty command");
  if (cmd.find('/') != std::string::npos) {
    std::string p = from_wd(cmd);
    if (found(p)) return p;
    return make_error(errc::invalid_argument, "cannot find '" + cmd + "': " + p + " is not an executable file");
  }
  std::string path(daemonkit::default_path);
  for (const auto& e : c.env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  for (size_t i = 0; i <= path.size();) {
    size_t end = path.find(':', i);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(i, end - i);
    std::string p = from_wd((dir.empty() ? "." : dir) + "/" + cmd);
    if (found(p)) return p;
    i = end + 1;
  }
  return make_error(errc::invalid_argument,
                    "cannot find '" + cmd + "' in PATH (" + path + "); systemd needs the program's absolute path");
}

std::string self_path() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  return n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string("/usr/local/bin/daemonkit");
}

bool systemd_running() {
  struct stat st {};
  return ::stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

// Where units go: systemd's directory for units of the administrator, or of
// the user's own manager.
std::string default_unit_dir(bool user_unit) {
  if (!user_unit) return "/etc/systemd/system";
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x == '/')
    return std::string(x) + "/systemd/user";
  const char* home = std::getenv("HOME");
  return home != nullptr && *home == '/' ? std::string(home) + "/.config/systemd/user" : std::string();
}

// The other directories systemd loads units of that name from; a unit there
// is another program's, which ours would shadow or be shadowed by.
std::vector<std::string> other_unit_dirs(bool user_unit) {
  if (user_unit)
    return {"/etc/systemd/user", "/run/systemd/user", "/usr/local/lib/systemd/user", "/usr/lib/systemd/user"};
  return {"/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"};
}

bool valid_unit_name(const std::string& n) {
  const std::string suffix = ".service";
  if (n.size() <= suffix.size() || n.size() > 255 || n.compare(n.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  std::string stem = n.substr(0, n.size() - suffix.size());
  auto at = stem.find('@');
  // A name with '@' is an instance ("web@1"); a bare "web@" would be a template.
  if (at != std::string::npos && (at == 0 || at + 1 == stem.size() || stem.find('@', at + 1) != std::string::npos))
    return false;
  return std::all_of(stem.begin(), stem.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view(":_.-@").find(c) != std::string_view::npos;
  });
}

enum class slot { free, ours, taken };

// What is at NAME in the checked directory: nothing, a unit we generated,
// or something else (another unit, a symlink such as a mask, a directory).
slot look_at(const daemonkit::checked_dir& dir, const std::string& dir_path, const std::string& name,
             std::string& why) {
  auto text = daemonkit::read_small_file_at(dir.fd.get(), dir_path, name, 1 << 20);
  if (!text) {
    why = text.err().message();
    return slot::taken;
  }
  if (!*text) return slot::free;
  if ((*text)->rfind(unit_marker, 0) == 0) return slot::ours;
  why = dir_path + "/" + name + " exists and was not generated by daemonkit unit";
  return slot::taken;
}

int run_daemon_reload(bool user_unit) {
  daemonkit::spawn_options so;
  so.argv = {"systemctl"};
  if (user_unit) so.argv.emplace_back("--user");
  so.argv.emplace_back("daemon-reload");
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) so.env.emplace_back(*e);
  so.new_session = false;
  so.umask = -1;
  auto p = daemonkit::spawn(so);
  if (!p) return -1;
  auto st = p->reap();
  return st ? st->shell_code() : -1;
}

int install_unit(const unit_args& ua, const std::string& service, const std::string& text) {
  std::string dir_path = ua.unit_dir.empty() ? default_unit_dir(ua.user_unit) : absolute_path(ua.unit_dir);
  if (dir_path.empty()) {
    complain(service, "cannot install a user unit: no HOME or XDG_CONFIG_HOME (use --unit-dir)");
    return exit_failure;
  }
  // The walk refuses any step another user could change; what it makes
  // (~/.config/systemd/user) is the caller's. A sticky shared directory
  // (/tmp) is no place for units either.
  daemonkit::path_trust trust;
  trust.create_missing = true;
  trust.last_dir_mode = 0755;
  auto dir = daemonkit::open_checked_dir(dir_path, trust);
  if (!dir) {
    complain(service, "cannot install in " + dir_path + ": " + dir.err().message());
    return exit_failure;
  }
  if (dir->shared) {
    complain(service, "cannot install in " + dir_path + ": it is writable by others");
    return exit_failure;
  }

  std::vector<std::string> candidates;
  if (!ua.unit_name.empty()) {
    candidates.push_back(ua.unit_name);
  } else {
    // NAME.service, unless that name is another unit's (the distribution's
    // nginx.service): then daemonkit-NAME.service.
    candidates = {service + ".service", "daemonkit-" + service + ".service"};
  }
  std::string chosen, why;
  for (const auto& name : candidates) {
    if (!valid_unit_name(name)) {
      why = "'" + name + "' is not a unit name systemd takes (use --unit-name NAME.service)";
      continue;
    }
    slot s = look_at(*dir, dir_path, name, why);
    if (s == slot::taken) continue;
    // A unit of that name elsewhere is somebody else's: only an explicit
    // --unit-name overrides it (a unit in /etc shadows the one in /lib).
    bool elsewhere = false;
    if (ua.unit_name.empty() && ua.unit_dir.empty()) {
      for (const auto& other : other_unit_dirs(ua.user_unit)) {
        struct stat st {};
        std::string there = other;
        there.append("/").append(name);
        if (::lstat(there.c_str(), &st) == 0) {
          why = there + " exists (use --unit-name to override it)";
          elsewhere = true;
          break;
        }
      }
    }
    if (elsewhere && s != slot::ours) continue;
    chosen = name;
    break;
  }
  if (chosen.empty()) {
    complain(service, "cannot install the unit: " + why);
    return exit_failure;
  }
  if (auto w = daemonkit::write_file_atomic_at(dir->fd.get(), dir_path, chosen, text, 0644); !w) {
    complain(service, w.err().message());
    return exit_failure;
  }
  std::string where = dir_path + "/" + chosen;
  std::string ctl = ua.user_unit ? "systemctl --user" : "systemctl";
  if (!systemd_running()) {
    std::printf(
        "%s: wrote %s; systemd is not running here (no /run/systemd/system): it reads the unit when it "
        "starts\n",
        service.c_str(), where.c_str());
    return exit_ok;
  }
  int rc = run_daemon_reload(ua.user_unit);
  if (rc != 0) {
    std::fflush(stdout);
    complain(service, "wrote " + where + ", but '" + ctl + " daemon-reload' failed" +
                          (rc < 0 ? "" : " (exit status " + std::to_string(rc) + ")"));
    return exit_failure;
  }
  std::printf("%s: wrote %s and reloaded systemd; start it with: %s enable --now %s\n", service.c_str(), where.c_str(),
              ctl.c_str(), chosen.c_str());
  return exit_ok;
}

// The request for `unit [OPTIONS] -- COMMAND`: start's parse, then the
// environment as the options name it.
std::optional<unit_request> from_options(const start_args& sa, std::vector<std::string> command,
                                         const common_options& o, int& rc) {
  if (command.size() == 1 && command[0].empty()) command.clear();
  auto req = make_start_request(sa, std::move(command), o, false);
  if (!req) {
    rc = usage_error(req.err().message());
    return std::nullopt;
  }
  unit_request r;
  r.config = std::move(req->config);
  auto& c = r.config;
  // Log options without a log file: the default log, as start would write.
  if (!req->explicit_log && (sa.log_max_size || sa.log_keep || sa.timestamps)) {
    std::string dir = absolute_path(o.log_dir.empty() ? default_log_dir() : o.log_dir);
    if (dir.empty()) {
      rc = usage_error("--log-max-size, --log-keep, --timestamps: no log directory (give --log-file)");
      return std::nullopt;
    }
    c.log_file = dir + "/" + c.name + ".log";
  }
  r.env = unique_env(sa.env);
  for (const auto& kv : r.env) {
    if (!systemd_env_name(key_of(kv))) {
      rc = usage_error("--env: systemd takes only variable names of A-Za-z0-9_ not starting with a digit, not '" +
                       key_of(kv) + "'");
      return std::nullopt;
    }
  }
  for (const auto& f : sa.env_files) r.env_files.push_back(absolute_path(f));
  r.clear_env = sa.clear_env;
  // start read the files already (so they exist and parse); their keys say
  // whether an --env must win over one of them.
  std::optional<daemonkit::credentials> user;
  if (c.user) {
    if (auto creds = daemonkit::resolve_credentials(c.user->user, c.user->group)) user = std::move(*creds);
  }
  for (const auto& f : r.env_files) {
    auto vars = daemonkit::read_env_file(f, user ? &*user : nullptr);
    if (!vars) continue;
    for (const auto& kv : *vars) {
      if (std::any_of(r.env.begin(), r.env.end(), [&](const std::string& e) { return key_of(e) == key_of(kv); }))
        r.env_overrides_file = true;
    }
  }
  return r;
}

// The request for `unit NAME`: the stored options, with the environment the
// service had, less what belonged to the session that started it.
std::optional<unit_request> from_stored(const common_options& o, const std::string& name, int& rc) {
  if (!daemonkit::valid_service_name(name)) {
    rc = usage_error("invalid service name '" + name + "'");
    return std::nullopt;
  }
  auto dir = state_dir(o, false);
  if (!dir) {
    complain(name, dir.err().message());
    rc = exit_failure;
    return std::nullopt;
  }
  auto config = daemonkit::read_service_config(daemonkit::service_paths_for(*dir, name).config);
  if (!config) {
    complain(name, config.err().code == errc::not_running ? "no such service" : config.err().message());
    rc = exit_failure;
    return std::nullopt;
  }
  unit_request r;
  r.config = std::move(*config);
  r.clear_env = true;  // the stored environment is the whole of it
  for (const auto& kv : r.config.env) {
    std::string key = key_of(kv);
    if (session_variable(key, r.config.user.has_value())) continue;
    if (!systemd_env_name(key)) {
      complain(name, "leaving out the variable '" + key + "': not a name systemd takes");
      continue;
    }
    r.env.push_back(kv);
  }
  return r;
}

}  // namespace

CLI::App* add_unit_command(CLI::App& app, start_args& sa, unit_args& ua) {
  auto* u = app.add_subcommand("unit", "Print a systemd unit that runs a service with the same settings");
  auto before = u->get_options();
  add_start_options(u, sa);
  for (const auto* opt : u->get_options()) {
    if (std::find(before.begin(), before.end(), opt) == before.end()) ua.start_options.push_back(opt);
  }
  u->add_option("service", ua.name, "A stored service: the options it was started with (STATE/NAME.json)");
  u->add_flag("--user-unit", ua.user_unit,
              "A unit for your own systemd manager (systemctl --user; WantedBy=default.target) "
              "instead of the system's; not with --user ACCOUNT");
  u->add_flag("--install", ua.install,
              "Write it to /etc/systemd/system (or ~/.config/systemd/user) as NAME.service (daemonkit-NAME.service "
              "when another unit has that name), then systemctl daemon-reload");
  u->add_option("--unit-name", ua.unit_name, "With --install: the unit's file name (NAME.service)");
  u->add_option("--unit-dir", ua.unit_dir, "With --install: write into DIR instead (e.g. a package's build root)");
  u->add_option_function<std::string>(
      "-f,--file",
      [&ua](const std::string& v) {
        ua.file = v;
        ua.from_file = true;
      },
      "A unit per service of this services file (with NAME: that service's), ordered by its depends_on");
  u->footer(
      "Usage: daemonkit unit [OPTIONS] [--name NAME] -- COMMAND [ARG...]\n       daemonkit unit NAME\n"
      "       daemonkit unit -f FILE [NAME]");
  return u;
}

namespace {

// The unit's text for r, once the program and daemonkit are found; the
// error when it cannot be written: the program is not there (bad_program
// set), or systemd cannot hold a value (make_unit_file's, naming the option).
daemonkit::result<std::string> unit_text(unit_request& r, bool& bad_program) {
  auto program = resolve_program(r.config);
  bad_program = !program;
  if (!program) return std::move(program).err();
  r.program = *program;
  r.daemonkit = self_path();
  return make_unit_file(r);
}

// `unit -f FILE [NAME]`: a unit per service name of the file (each
// instance its own NAME@N.service), in dependency order; printed one after
// the other, or each installed as NAME.service.
int units_of_file(const common_options& o, const unit_args& ua) {
  services_file f = read_services_file(services_file_path(ua.file));
  if (!f.errors.empty()) {
    for (const auto& e : f.errors) std::fprintf(stderr, "%s\n", daemonkit::escape_for_terminal(f.describe(e)).c_str());
    return exit_usage;
  }
  std::string only = ua.name.substr(0, ua.name.find('@'));
  if (!only.empty() && f.find(only) == nullptr) return usage_error("no service '" + ua.name + "' in " + f.path);
  bool first = true;
  for (const auto& s : f.services) {
    if (!only.empty() && s.name != only) continue;
    for (const auto& name : s.service_names()) {
      if (!ua.name.empty() && ua.name != only && ua.name != name) continue;
      start_args sa = s.args;
      sa.name = name;
      sa.name_given = true;
      if (name != s.name) sa.env.push_back("DAEMONKIT_INSTANCE=" + name.substr(name.find('@') + 1));
      int rc = exit_ok;
      auto r = from_options(sa, s.command, o, rc);
      if (!r) return rc;
      r->oneshot = s.oneshot;
      r->user_unit = ua.user_unit;
      for (const auto& d : s.depends_on) {
        auto& list = d.condition == dependency_condition::started ? r->wants_units : r->requires_units;
        for (const auto& n : f.find(d.service)->service_names()) list.push_back(n + ".service");
      }
      if (ua.user_unit && r->config.user) {
        complain(name, "runs as another user (user = ...): a user unit cannot; leave out --user-unit");
        return exit_failure;
      }
      bool bad_program = false;
      auto text = unit_text(*r, bad_program);
      if (!text) {
        complain(name, text.err().message());
        return exit_failure;
      }
      if (ua.install) {
        // Dependants name it NAME.service: no other name will do.
        unit_args install = ua;
        install.unit_name = name + ".service";
        if (int irc = install_unit(install, name, *text); irc != exit_ok) return irc;
        continue;
      }
      if (!first) std::fputc('\n', stdout);
      first = false;
      std::fwrite(text->data(), 1, text->size(), stdout);
    }
  }
  return std::fflush(stdout) == 0 ? exit_ok : exit_failure;
}

}  // namespace

int cmd_unit(const common_options& o, const start_args& sa, const unit_args& ua, std::vector<std::string> command) {
  if (ua.from_file) {
    if (!command.empty()) return usage_error("-f: a unit per service of the file; no '-- COMMAND' with it");
    for (const auto* opt : ua.start_options) {
      if (opt->count() > 0) return usage_error(opt->get_name() + ": -f takes every setting from the file");
    }
    if (!ua.unit_name.empty()) return usage_error("--unit-name: with -f, each unit is named after its service");
    return units_of_file(o, ua);
  }
  if ((!ua.unit_name.empty() || !ua.unit_dir.empty()) && !ua.install) {
    return usage_error(std::string(ua.unit_name.empty() ? "--unit-dir" : "--unit-name") + ": only with --install");
  }
  std::string unit_name = ua.unit_name;
  if (!unit_name.empty() && unit_name.find('.') == std::string::npos) unit_name += ".service";
  if (!unit_name.empty() && !valid_unit_name(unit_name)) {
    return usage_error("--unit-name: '" + ua.unit_name + "' is not a service unit name (NAME.service)");
  }
  int rc = exit_ok;
  std::optional<unit_request> r;
  const bool stored = command.empty();
  if (!stored) {
    if (!ua.name.empty()) return usage_error("unexpected '" + ua.name + "' before '--'");
    r = from_options(sa, std::move(command), o, rc);
  } else {
    if (ua.name.empty()) return usage_error("a service NAME or '-- COMMAND' is required");
    for (const auto* opt : ua.start_options) {
      if (opt->count() > 0) {
        return usage_error(opt->get_name() +
                           ": 'daemonkit unit NAME' takes the options NAME was started with; "
                           "give options with '-- COMMAND' instead");
      }
    }
    r = from_stored(o, ua.name, rc);
  }
  if (!r) return rc;
  const std::string& name = r->config.name;
  if (ua.user_unit && r->config.user) {
    if (!stored) return usage_error("--user-unit: a user unit runs as its user: --user does not apply");
    complain(name, "runs as another user (--user): a user unit cannot; leave out --user-unit");
    return exit_failure;
  }
  r->user_unit = ua.user_unit;
  bool bad_program = false;
  auto text = unit_text(*r, bad_program);
  if (!text) {
    // A value systemd cannot hold is the options' (a usage error, naming
    // it); a program that cannot be found is the service's.
    if (!stored && !bad_program) return usage_error(text.err().message());
    complain(name, text.err().message());
    return exit_failure;
  }
  if (!ua.install) {
    std::fwrite(text->data(), 1, text->size(), stdout);
    return std::fflush(stdout) == 0 ? exit_ok : exit_failure;
  }
  unit_args install = ua;
  install.unit_name = unit_name;
  return install_unit(install, name, *text);
}

}  // namespace dk
