// SPDX-License-Identifier: MIT
// `daemonkit import`'s converter (import_file.hpp): which format the text is
// in, and the reader for it. The parts live beside this file, one concept
// each: import_text (text as Python sees it), import_ini (configparser),
// import_expand (%(name)s), import_shlex, import_environment (environment=),
// import_instance_command, import_program (a [program:x] section),
// import_supervisord (the whole config), import_procfile, import_toml and
// import_output (what is written).
#include "import_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "import_ini.hpp"
#include "import_output.hpp"
#include "import_procfile.hpp"
#include "import_supervisord.hpp"
#include "import_text.hpp"

namespace dk {

using daemonkit::errc;
using daemonkit::make_error;
using import_detail::import_procfile;
using import_detail::import_supervisord;
using import_detail::importer;
using import_detail::ini_file;
using import_detail::ini_section;
using import_detail::parse_ini;
using import_detail::parse_procfile;
using import_detail::starts_with;

daemonkit::result<import_result> import_services(const std::string& path, std::string_view text,
                                                 const import_context& context) {
  importer imp{path, context, {}};
  if (imp.context.here.empty()) {
    auto slash = path.rfind('/');
    imp.context.here = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  }
  ini_file ini = parse_ini(text);
  bool has_program = std::any_of(ini.sections.begin(), ini.sections.end(),
                                 [](const ini_section& s) { return starts_with(s.name, "program:"); });
  bool supervisord_like = std::any_of(ini.sections.begin(), ini.sections.end(), [](const ini_section& s) {
    return s.name == "supervisord" || s.name == "supervisorctl" || s.name == "unix_http_server" ||
           s.name == "inet_http_server" || s.name == "include" || starts_with(s.name, "group:") ||
           starts_with(s.name, "eventlistener:") || starts_with(s.name, "fcgi-program:") ||
           starts_with(s.name, "rpcinterface:") || starts_with(s.name, "ctlplugin:");
  });
  if (has_program || supervisord_like) return import_supervisord(imp, ini);

  int bad_line = 0;
  auto lines = parse_procfile(text, bad_line);
  if (!lines.empty() && bad_line == 0) return import_procfile(imp, lines);
  std::string procfile_why =
      lines.empty() ? "no NAME: COMMAND line" : "line " + std::to_string(bad_line) + " is not NAME: COMMAND";
  return make_error(
      errc::invalid_argument,
      path + ": not a supervisord config (no [program:NAME] section) nor a Procfile (" + procfile_why + ")");
}

daemonkit::result<import_result> import_services(const std::string& path, std::string_view text) {
  import_context context;
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (!ec) context.here = absolute.lexically_normal().parent_path().string();
  context.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return import_services(path, text, context);
}

}  // namespace dk
