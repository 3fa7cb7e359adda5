// SPDX-License-Identifier: MIT
// A Procfile as a daemonkit.toml (import_procfile.hpp).
#include "import_procfile.hpp"

#include <set>
#include <utility>

#include "import_text.hpp"
#include "import_toml.hpp"

namespace dk::import_detail {

using daemonkit::errc;
using daemonkit::make_error;

namespace {

bool procfile_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

std::vector<procfile_line> parse_procfile(std::string_view text, int& bad_line) {
  std::vector<procfile_line> out;
  bad_line = 0;
  int lineno = 0;
  for (std::string_view line : split_lines(text)) {
    ++lineno;
    std::string_view s = strip(line);
    if (s.empty() || s[0] == '#') continue;
    size_t n = 0;
    while (n < line.size() && procfile_name_char(line[n])) ++n;
    std::string_view command = n > 0 && n < line.size() && line[n] == ':' ? strip(line.substr(n + 1)) : "";
    if (command.empty()) {
      if (bad_line == 0) bad_line = lineno;
      continue;
    }
    out.push_back({std::string(line.substr(0, n)), std::string(command), lineno});
  }
  return out;
}

daemonkit::result<import_result> import_procfile(importer& imp, const std::vector<procfile_line>& lines) {
  std::vector<service_out> services;
  std::set<std::string> taken;
  for (const auto& l : lines) {
    service_out s;
    std::string name = daemonkit_name(l.name);
    std::string unique = unique_name(name, taken);
    s.head.push_back(comment("Procfile line " + std::to_string(l.line)));
    if (unique != l.name) {
      std::string text =
          "named " + unique + ": " +
          (name != l.name ? "a daemonkit name is at most 64 characters" : "another process is named " + l.name);
      s.head.push_back(comment(text));
      imp.warn(l.line, l.name + ": " + text);
    }
    s.name = unique;
    s.section = l.name;
    auto cmd = toml_string(l.command);
    if (!cmd) {
      s.skipped = true;
      s.skip_reason = "not UTF-8 text, which TOML cannot hold";
      s.head.clear();
      std::string text = "not carried over: " + l.name + ": " + l.command + " (not UTF-8 text, which TOML cannot hold)";
      s.lost.push_back(comment(text));
      imp.warn(l.line, text);
    } else {
      s.keys.push_back("command = " + *cmd);
      taken.insert(unique);
    }
    services.push_back(std::move(s));
  }
  if (taken.empty())
    return make_error(errc::invalid_argument, imp.path + ": no process of the Procfile can be carried over");

  import_result r;
  r.toml = comment("daemonkit.toml, imported by `daemonkit import` from the Procfile " + imp.path) + "\n";
  r.toml +=
      "# Each command is a string: daemonkit runs it with /bin/sh -c, as foreman and honcho do.\n"
      "# foreman and honcho set PORT (5000, 5100, ...) for each process; daemonkit does not: give a\n"
      "# service that reads $PORT an env = { PORT = \"...\" }.\n";
  std::string env_file = imp.context.here == "/" ? "/.env" : imp.context.here + "/.env";
  r.toml += comment("They also read .env: to keep one, add env_file = \"" + env_file + "\" to [defaults].") + "\n";
  r.toml +=
      "# They stop every process when one exits; daemonkit leaves the others running (respawn restarts one).\n"
      "# Check it with `daemonkit check -f FILE`; `daemonkit up -f FILE --dry-run` shows what up would do.\n";
  if (auto dir = toml_string(imp.context.here)) {
    r.toml +=
        "\n[defaults]\nchdir = " + *dir + "  " +
        comment("foreman and honcho run the commands in the Procfile's directory (\".\" when this file is beside it)") +
        "\n";
  } else {
    std::string text = "not carried over: the Procfile's directory as chdir (not UTF-8 text, which TOML cannot hold)";
    r.toml += comment(text) + "\n";
    imp.warn(1, text);
  }
  for (const auto& s : services) r.toml += "\n" + render_service(s);
  r.warnings = std::move(imp.warnings);
  return r;
}

}  // namespace dk::import_detail
