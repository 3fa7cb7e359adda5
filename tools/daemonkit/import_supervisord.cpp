// SPDX-License-Identifier: MIT
// A whole supervisord config as a daemonkit.toml (import_supervisord.hpp).
#include "import_supervisord.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <utility>

#include "import_environment.hpp"
#include "import_expand.hpp"
#include "import_program.hpp"
#include "import_text.hpp"
#include "import_toml.hpp"

namespace dk::import_detail {

using daemonkit::errc;
using daemonkit::make_error;

namespace {

// Why supervisord's other sections are not carried over.
std::string section_reason(const std::string& name) {
  if (name == "unix_http_server" || name == "inet_http_server" || name == "supervisorctl" ||
      starts_with(name, "rpcinterface:") || starts_with(name, "ctlplugin:")) {
    return "daemonkit has no control server: its commands reach each service's monitor directly";
  }
  if (name == "supervisord") return "supervisord's own settings: daemonkit has no central daemon";
  if (starts_with(name, "eventlistener:")) return "an event listener speaks supervisord's event protocol";
  if (starts_with(name, "fcgi-program:")) {
    return "daemonkit opens no FastCGI socket for a program; run it as a [program] that opens its own";
  }
  return "not a supervisord section";
}

}  // namespace

daemonkit::result<import_result> import_supervisord(importer& imp, const ini_file& ini) {
  if (ini.error_line != 0) {
    return make_error(errc::invalid_argument, imp.path + ":" + std::to_string(ini.error_line) + ": " + ini.error +
                                                  " (supervisord refuses the file too)");
  }
  std::vector<std::string> top;  // comments under the file's header
  std::string defaults_env;      // [supervisord] environment, as an inline table
  std::map<std::string, supervisord_group> groups;

  for (const auto& s : ini.sections) {
    if (!starts_with(s.name, "group:")) continue;
    supervisord_group g{std::string(strip(s.name.substr(6)))};
    std::vector<std::string> members;
    for (const auto& v : s.values) {
      if (v.key == "programs") {
        std::string_view rest = v.value;
        for (;;) {
          size_t comma = rest.find(',');
          auto m = strip(rest.substr(0, comma));
          if (!m.empty()) members.emplace_back(m);
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      } else if (v.key == "priority") {
        if (auto p = py_int(v.value)) g.priority = *p;
      }
    }
    for (const auto& m : members) groups.emplace(m, g);
    std::string list;
    for (const auto& m : members) list += (list.empty() ? "" : " ") + m;
    std::string text = "[" + s.name + "] (line " + std::to_string(s.line) +
                       "): daemonkit has no groups: its programs are services, ordered by the group's priority "
                       "first; `daemonkit up " +
                       (members.empty() ? "NAME..." : list) + "` starts them";
    top.push_back(comment(text));
  }

  std::vector<service_out> services;
  std::set<std::string> taken;
  for (const auto& s : ini.sections) {
    if (starts_with(s.name, "group:")) continue;
    if (starts_with(s.name, "program:")) {
      std::string program(strip(s.name.substr(8)));
      service_out out;
      std::string name = daemonkit_name(program);
      if (name != program) {
        std::string text = "renamed from '" + program + "': a daemonkit name is 1-64 of A-Za-z0-9._- (no '@')";
        out.head.push_back(comment(text));
        imp.warn(s.line, "[" + s.name + "] " + text);
      }
      std::string unique = unique_name(name, taken);
      if (unique != name) {
        std::string text = "named ";
        text.append(unique).append(": another service is named ").append(name);
        out.head.push_back(comment(text));
        imp.warn(s.line, "[" + s.name + "] " + text);
      }
      out.name = unique;
      out.section = s.name;
      auto g = groups.find(program);
      program_converter(imp, ini, s, program, g == groups.end() ? nullptr : &g->second, out).convert();
      if (!out.skipped) taken.insert(out.name);
      services.push_back(std::move(out));
      continue;
    }
    if (s.name == "supervisord") {
      // Its environment is every program's, under their own: [defaults].
      std::vector<std::string> ignored;
      for (const auto& v : s.values) {
        if (v.key != "environment") {
          ignored.push_back(v.key);
          continue;
        }
        expansion_names names;
        names.here = imp.context.here;
        names.getenv = &imp.context.getenv;
        expanded e = expand(v.value, names);
        auto pairs = key_value_pairs(e.text);
        std::string table;
        const std::vector<std::pair<std::string, std::string>> none;
        for (const auto& [key, value] : pairs ? *pairs : none) {
          auto k = toml_key(key);
          auto val = toml_string(value);
          if (!k || !val || key.find('=') != std::string::npos || value.find('\0') != std::string::npos) {
            std::string text = "not carried over: [supervisord] environment ";
            text.append(key).append("=").append(value).append(" (not a variable an environment can hold as text)");
            top.push_back(comment(text));
            imp.warn(v.line, text);
            continue;
          }
          table += (table.empty() ? "{ " : ", ") + *k + " = " + *val;
        }
        if (!pairs) {
          std::string text = "not carried over: [supervisord] environment = " + v.value +
                             " (not KEY=VALUE pairs as supervisord reads them: " + pairs.err().message() + ")";
          top.push_back(comment(text));
          imp.warn(v.line, text);
        }
        for (const auto& n : e.notes) {
          top.push_back(comment("[supervisord] environment: " + n));
          imp.warn(v.line, "[supervisord] environment: " + n);
        }
        if (!table.empty()) defaults_env = table + " }";
      }
      if (!ignored.empty()) {
        std::string list;
        for (const auto& k : ignored) list += (list.empty() ? "" : ", ") + k;
        std::string text = "not carried over: [supervisord] " + list + " (" + section_reason(s.name) + ")";
        top.push_back(comment(text));
        imp.warn(s.line, text);
      }
      continue;
    }
    if (s.name == "include") {
      const auto* files = s.find("files");
      std::string text = "not carried over: [include] " +
                         (files != nullptr ? "files = " + files->value : std::string("(no files)")) +
                         " (not read: import each of those files too)";
      top.push_back(comment(text));
      imp.warn(s.line, text);
      continue;
    }
    std::string text = "not carried over: [" + s.name + "] (" + section_reason(s.name) + ")";
    top.push_back(comment(text));
    imp.warn(s.line, text);
  }

  if (std::none_of(services.begin(), services.end(), [](const service_out& s) { return !s.skipped; })) {
    std::string why = services.empty() ? "a supervisord config without a [program:NAME] section"
                                       : "none of its programs can be carried over";
    auto inc = std::find_if(ini.sections.begin(), ini.sections.end(),
                            [](const ini_section& s) { return s.name == "include"; });
    const ini_value* files = inc != ini.sections.end() ? inc->find("files") : nullptr;
    if (files != nullptr) why += " (it includes " + files->value + ": import those files)";
    for (const auto& s : services) why += "; [" + s.section + "] " + s.skip_reason;
    return make_error(errc::invalid_argument, imp.path + ": " + why);
  }

  // priority: each program waits until those of the next lower level (group
  // priority, then its own) that start with the file are started; the order
  // further down follows from theirs.
  std::map<std::pair<long long, long long>, std::vector<std::string>> levels;  // the services that start, by level
  for (const auto& s : services) {
    if (!s.skipped && s.autostart) levels[s.level].push_back(s.name);
  }
  bool ordered = false;
  for (auto& s : services) {
    if (s.skipped) continue;
    auto below = levels.lower_bound(s.level);
    if (below == levels.begin()) continue;
    s.depends_on = std::prev(below)->second;
    ordered = true;
  }

  import_result r;
  r.toml = comment("daemonkit.toml, imported by `daemonkit import` from the supervisord config " + imp.path) + "\n";
  r.toml += "# Each setting daemonkit has no equivalent for is a \"not carried over\" comment.\n";
  r.toml += "# Check it with `daemonkit check -f FILE`; `daemonkit up -f FILE --dry-run` shows what up would do.\n";
  r.toml += "# autorestart became respawn (supervisord's default, unexpected, is \"on-failure\").\n";
  if (ordered) {
    r.toml +=
        "# priority became depends_on with the \"started\" condition: a program waits for those of the next\n"
        "# lower priority.\n";
  }
  for (const auto& l : top) r.toml += l + "\n";
  if (!defaults_env.empty()) {
    r.toml += "\n[defaults]\n";
    r.toml += "env = " + defaults_env + "  " + comment("[supervisord] environment: every program's") + "\n";
  }
  for (const auto& s : services) r.toml += "\n" + render_service(s);
  r.warnings = std::move(imp.warnings);
  return r;
}

}  // namespace dk::import_detail
