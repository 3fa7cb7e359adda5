// SPDX-License-Identifier: MIT
// One supervisord program as one daemonkit service (import_program.hpp):
// every step of the conversion except the logs (import_program_logs.cpp).
#include "import_program.hpp"

#include <cstdio>

#include "daemonkit/signal_name.hpp"
#include "daemonkit/units.hpp"
#include "import_environment.hpp"
#include "import_instance_command.hpp"
#include "import_shlex.hpp"
#include "import_text.hpp"
#include "import_toml.hpp"

namespace dk::import_detail {

namespace {

// The keys of a [program:x] section this import reads (others are not
// supervisord's).
const std::set<std::string>& program_keys() {
  static const std::set<std::string> keys = {"command",
                                             "process_name",
                                             "numprocs",
                                             "numprocs_start",
                                             "priority",
                                             "autostart",
                                             "startsecs",
                                             "startretries",
                                             "autorestart",
                                             "exitcodes",
                                             "stopsignal",
                                             "stopwaitsecs",
                                             "stopasgroup",
                                             "killasgroup",
                                             "user",
                                             "redirect_stderr",
                                             "stdout_logfile",
                                             "stdout_logfile_maxbytes",
                                             "stdout_logfile_backups",
                                             "stdout_capture_maxbytes",
                                             "stdout_events_enabled",
                                             "stdout_syslog",
                                             "stderr_logfile",
                                             "stderr_logfile_maxbytes",
                                             "stderr_logfile_backups",
                                             "stderr_capture_maxbytes",
                                             "stderr_events_enabled",
                                             "stderr_syslog",
                                             "environment",
                                             "directory",
                                             "umask",
                                             "serverurl"};
  return keys;
}

// Why a known key is not carried over, when it is not because of its value.
std::string why_not_carried(const std::string& key) {
  if (key == "startretries") {
    return "supervisord gives up after that many failed starts in a row; daemonkit backs off, up to "
           "respawn_max_delay, and keeps trying: set respawn_limit and respawn_window to give up";
  }
  if (key == "stdout_capture_maxbytes" || key == "stderr_capture_maxbytes" || key == "stdout_events_enabled" ||
      key == "stderr_events_enabled") {
    return "daemonkit has no event notifications";
  }
  if (key == "serverurl") return "daemonkit has no control server";
  return "not a supervisord program setting";
}

}  // namespace

void program_converter::lose(const ini_value& v, const std::string& why) {
  std::string text = "not carried over: " + setting(v) + " (" + why + ")";
  out_.lost.push_back(comment(text));
  imp_.warn(v.line, out_.name + ": " + text);
}

void program_converter::note(const ini_value& v, const std::string& text) {
  out_.keys.push_back(comment(v.key + ": " + text));
  imp_.warn(v.line, out_.name + ": " + v.key + ": " + text);
}

std::optional<expanded> program_converter::expand_value(const ini_value& v, bool per_instance_ok) {
  expanded e = expand(v.value, names_);
  if (e.per_instance() && !per_instance_ok) {
    lose(v,
         "it differs per instance, by %(process_num); daemonkit gives each instance DAEMONKIT_INSTANCE=1..N "
         "instead");
    return std::nullopt;
  }
  return e;
}

void program_converter::put(const std::string& key, const std::string& toml_value, const std::string& inline_comment) {
  out_.keys.push_back(key + " = " + toml_value + (inline_comment.empty() ? "" : "  " + comment(inline_comment)));
}

bool program_converter::put_string(const std::string& key, const ini_value& v, const expanded& e) {
  auto s = toml_string(e.text);
  if (!s) {
    lose(v, "not UTF-8 text, which TOML cannot hold");
    return false;
  }
  for (const auto& n : e.notes) note(v, n);
  put(key, *s);
  return true;
}

void program_converter::path_key(const std::string& key, const ini_value& v) {
  auto e = expand_value(v);
  if (!e) return;
  if (starts_with(e->text, "~")) {
    lose(v, "supervisord expands ~ to a home directory; daemonkit does not: write the whole path");
    return;
  }
  if (!e->text.empty() && e->text[0] != '/') {
    e->notes.emplace_back(
        "a relative path: supervisord took it from its own working directory, daemonkit takes it from this "
        "file's directory");
  }
  put_string(key, v, *e);
}

std::optional<long long> program_converter::integer(const char* key, long long fallback, long long min) {
  const auto* v = get(key);
  if (v == nullptr) return fallback;
  auto e = expand_value(*v);
  if (!e) return std::nullopt;
  auto n = py_int(e->text);
  if (!n || *n < min) {
    lose(*v, "not a number supervisord takes");
    return std::nullopt;
  }
  return n;
}

std::optional<bool> program_converter::boolean(const char* key, bool fallback, const ini_value** given) {
  const auto* v = get(key);
  if (given != nullptr) *given = v;
  if (v == nullptr) return fallback;
  auto e = expand_value(*v);
  if (!e) return std::nullopt;
  auto b = py_bool(e->text);
  if (!b) lose(*v, "not a boolean: true or false");
  return b;
}
void program_converter::convert() {
  out_.head.insert(out_.head.begin(), comment("from [" + section_.name + "], line " + std::to_string(section_.line)));

  long long numprocs = integer("numprocs", 1, 0).value_or(1);
  names_.numprocs = numprocs;
  names_.numprocs_start = integer("numprocs_start", 0, -(1LL << 62)).value_or(0);
  names_.per_instance = numprocs > 1;
  if (numprocs == 0) {
    out_.skipped = true;
    out_.skip_reason = "numprocs = 0: supervisord starts no process of it";
    std::string text = "not carried over: [" + section_.name + "] (numprocs = 0: supervisord starts no process of it)";
    out_.lost.push_back(comment(text));
    imp_.warn(section_.line, text);
    return;
  }

  convert_command();
  if (out_.skipped) return;

  if (numprocs > 1) put("instances", std::to_string(numprocs));
  if (const auto* v = get("process_name")) {
    // process_name is expanded per process, never with do_expand at read.
    bool uses_num = v->value.find("%(process_num)") != std::string::npos;
    expanded e = expand(v->value, names_);
    if (numprocs > 1 && uses_num) {
      out_.keys.push_back(comment("process_name = " + v->value + ": daemonkit names the instances " + out_.name +
                                  "@1 ... " + out_.name + "@" + std::to_string(numprocs)));
    } else if (e.text != names_.program_name) {
      lose(*v, "the service is named after the program");
    }
  }

  if (const auto* v = get("directory")) path_key("chdir", *v);
  if (const auto* v = get("user")) {
    if (auto e = expand_value(*v)) put_string("user", *v, *e);
  }
  if (const auto* v = get("umask")) {
    if (auto e = expand_value(*v)) {
      // supervisord: int(value, 8).
      auto m = daemonkit::parse_umask(strip(e->text));
      if (m) {
        char text[8];
        std::snprintf(text, sizeof text, "%03o", static_cast<unsigned>(*m));
        put("umask", std::string("\"") + text + "\"");
      } else {
        lose(*v, "not an octal umask");
      }
    }
  }
  convert_environment();
  out_.depends_at = out_.keys.size();

  if (auto p = integer("priority", 999, -(1LL << 62))) out_.level = {*p, *p};
  if (group_ != nullptr) out_.level.first = group_->priority;
  const ini_value* autostart = nullptr;
  out_.autostart = boolean("autostart", true, &autostart).value_or(true);
  if (autostart != nullptr && !out_.autostart) {
    lose(*autostart,
         "daemonkit up starts every service in the file; name the ones to start instead: daemonkit up NAME...");
  }

  convert_restart();
  convert_stop();
  convert_logs();
  lose_the_rest();
}

void program_converter::convert_command() {
  auto skip = [&](int line, const std::string& why) {
    out_.skipped = true;
    out_.skip_reason = why;
    out_.head.clear();
    std::string text = "not carried over: [" + section_.name + "] (" + why + ")";
    out_.lost.push_back(comment(text));
    imp_.warn(line, text);
  };
  const auto* v = get("command");
  if (v == nullptr) return skip(section_.line, "it has no command");
  auto e = expand_value(*v, true);
  auto argv = shlex_split(e->text);
  if (!argv) return skip(v->line, "its command cannot be split into words: " + argv.err().message());
  if (argv->empty()) return skip(v->line, "its command is empty");
  if (!e->per_instance()) {
    std::string array = "[";
    for (size_t i = 0; i < argv->size(); ++i) {
      auto s = toml_string((*argv)[i]);
      if (!s) return skip(v->line, "its command is not UTF-8 text, which TOML cannot hold");
      array += (i == 0 ? "" : ", ") + *s;
    }
    for (const auto& n : e->notes) note(*v, n);
    put("command", array + "]");
    return;
  }
  std::string sh = instance_command(*argv, e->instance_formats, names_.numprocs_start);
  auto s = toml_string(sh);
  if (!s) return skip(v->line, "its command is not UTF-8 text, which TOML cannot hold");
  e->notes.push_back(
      "run by /bin/sh, which computes %(process_num) from DAEMONKIT_INSTANCE (supervisord counts from "
      "numprocs_start = " +
      std::to_string(names_.numprocs_start) + ", daemonkit from 1)");
  for (const auto& n : e->notes) note(*v, n);
  put("command", *s);
}

void program_converter::convert_environment() {
  const auto* v = get("environment");
  if (v == nullptr) return;
  auto e = expand_value(*v, true);
  auto pairs = key_value_pairs(e->text);
  if (!pairs) {
    lose(*v, "not KEY=VALUE pairs as supervisord reads them: " + pairs.err().message());
    return;
  }
  std::string table = "{";
  bool first = true;
  for (const auto& [key, value] : *pairs) {
    auto k = toml_key(key);
    auto s = toml_string(value);
    std::string what = "environment ";
    what.append(key).append("=").append(value);
    if (key.find_first_of(instance_marks) != std::string::npos ||
        value.find_first_of(instance_marks) != std::string::npos) {
      std::string text = "not carried over: " + what + " (it differs per instance, by %(process_num))";
      out_.lost.push_back(comment(text));
      imp_.warn(v->line, out_.name + ": " + text);
      continue;
    }
    if (!k || !s || key.find('=') != std::string::npos || value.find('\0') != std::string::npos) {
      std::string text = "not carried over: " + what + " (not a variable an environment can hold as text)";
      out_.lost.push_back(comment(text));
      imp_.warn(v->line, out_.name + ": " + text);
      continue;
    }
    table += (first ? " " : ", ") + *k + " = " + *s;
    first = false;
  }
  if (first) return;
  for (const auto& n : e->notes) note(*v, n);
  put("env", table + " }");
}

void program_converter::convert_restart() {
  const auto* v = get("autorestart");
  std::string mode = "unexpected";
  if (v != nullptr) {
    auto e = expand_value(*v);
    if (!e) return;
    std::string given = lower(strip(e->text));
    if (auto b = py_bool(given)) {
      mode = *b ? "true" : "false";
    } else if (given == "unexpected") {
      mode = given;
    } else {
      lose(*v, "not true, false or unexpected");
      return;
    }
  }
  if (mode == "true") put("respawn", "\"always\"");
  else if (mode == "false") put("respawn", "\"no\"");
  else put("respawn", "\"on-failure\"", v == nullptr ? "autorestart = unexpected, supervisord's default" : "");

  if (const auto* codes = get("exitcodes")) {
    auto e = expand_value(*codes);
    if (!e) return;
    std::set<long long> set;
    bool ok = true;
    std::string_view rest = e->text;
    while (ok) {
      size_t comma = rest.find(',');
      auto n = py_int(rest.substr(0, comma));
      if (n) set.insert(*n);
      ok = n.has_value();
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!ok) lose(*codes, "not a list of exit codes");
    else if (set != std::set<long long>{0} && mode == "unexpected")
      lose(*codes, "respawn = \"on-failure\" restarts after any exit but 0");
    else if (set != std::set<long long>{0}) lose(*codes, "daemonkit counts an exit as a success when it is 0");
  }
  if (const auto* up = get("startsecs")) {
    auto e = expand_value(*up);
    auto n = e ? py_int(e->text) : std::nullopt;
    if (e && (!n || *n < 0)) lose(*up, "not a number of seconds");
    if (n && *n >= 0) {
      put("respawn_min_uptime", "\"" + std::to_string(*n) + "s\"",
          "startsecs: a run shorter than this is restarted after a backoff");
    }
  }
}

void program_converter::convert_stop() {
  if (const auto* v = get("stopsignal")) {
    if (auto e = expand_value(*v)) {
      auto sig = daemonkit::parse_signal(strip(e->text));
      if (sig) put("stop_signal", "\"" + daemonkit::signal_name(*sig) + "\"");
      else lose(*v, "not a signal");
    }
  }
  if (const auto* v = get("stopwaitsecs")) {
    if (auto e = expand_value(*v)) {
      long long n = py_int(e->text).value_or(-1);
      if (n < 0) lose(*v, "not a number of seconds");
      else put("stop_timeout", "\"" + std::to_string(n) + "s\"");
    }
  }
  // supervisord signals the main process only, unless stopasgroup (the stop
  // signal to the group) or killasgroup (SIGKILL to the group); daemonkit's
  // default, kill_mode = "group", stops the whole tree.
  const ini_value *stop_given = nullptr, *kill_given = nullptr;
  auto stop_group = boolean("stopasgroup", false, &stop_given);
  auto kill_group = boolean("killasgroup", stop_group.value_or(false), &kill_given);
  if (!stop_group || !kill_group) return;
  if (*stop_group && !*kill_group) {
    lose(*kill_given, "supervisord refuses stopasgroup = true with killasgroup = false");
  } else if (*stop_group) {
    put("kill_mode", "\"group\"");
  } else if (*kill_group) {
    put("kill_mode", "\"mixed\"", "the stop signal to the main process, SIGKILL to every process at the timeout");
  }
}

void program_converter::lose_the_rest() {
  auto consider = [&](const ini_value& v) {
    if (used_.count(v.key) != 0) return;
    used_.insert(v.key);
    lose(v, why_not_carried(program_keys().count(v.key) != 0 ? v.key : std::string()));
  };
  // Keys read but never mapped, by their own reason.
  for (const char* key : {"startretries", "stdout_capture_maxbytes", "stderr_capture_maxbytes", "stdout_events_enabled",
                          "stderr_events_enabled", "serverurl"}) {
    if (const auto* v = get(key)) lose(*v, why_not_carried(key));
  }
  for (const auto& v : section_.values) consider(v);
  for (const auto& v : ini_.defaults.values) {
    if (program_keys().count(v.key) != 0) consider(v);
  }
}

}  // namespace dk::import_detail
