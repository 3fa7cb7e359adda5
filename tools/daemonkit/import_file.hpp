// SPDX-License-Identifier: MIT
// `daemonkit import FILE`: a daemonkit.toml equivalent to a supervisord
// config or a Procfile, for the people migrating from them (issue 14).
//
// import_services is pure: it reads nothing but the text it is given (and,
// for supervisord's %(ENV_X)s, the lookup in its context). The file it
// returns is valid TOML whatever the input held: strings are escaped (quotes,
// backslashes, control characters, and the Unicode controls that would
// reorder a terminal's line), comments carry only escaped text, and every
// service name is a valid daemonkit name without '@'. Each setting that has
// no daemonkit equivalent stays visible as a comment,
// `# not carried over: KEY = VALUE (why)`, and as a warning.
//
// supervisord's config is read as supervisord reads it: Python's configparser
// (inline comments after whitespace, continuation lines, [DEFAULT], later
// keys winning), %(name)s expansions (%% for a %), `command` split as
// shlex.split does (supervisord runs no shell), `environment` parsed as its
// dict_of_key_value_pairs does. A Procfile is read as foreman and honcho read
// it: `NAME: COMMAND` lines, a command run by /bin/sh -c.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemonkit/result.hpp"

namespace dk {

struct import_result {
  std::string toml;  // the daemonkit.toml text
  // What did not carry over or needs a look, one line each, as
  // "FILE:LINE: text" (no "daemonkit: " prefix, not escaped).
  std::vector<std::string> warnings;
};

// What the file's text does not say.
struct import_context {
  // The absolute directory of the file: supervisord's %(here)s, and a
  // Procfile's working directory. Empty: the directory part of path.
  std::string here;
  // The value of an environment variable, for supervisord's %(ENV_X)s (which
  // supervisord takes from its own environment: the importer's is the best
  // guess there is, and each use says so). Empty: none is expanded.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// The daemonkit.toml for the supervisord config or Procfile text read from
// path (path names the file in the header comment, the warnings and the
// errors). Errors (errc::invalid_argument, naming the file): neither format
// ("FILE: not a supervisord config (no [program:NAME] section) nor a Procfile
// (...)"); a supervisord config without a program, or with a line
// configparser refuses (FILE:LINE).
daemonkit::result<import_result> import_services(const std::string& path, std::string_view text,
                                                 const import_context& context);
// The same with here = the absolute directory of path (against the current
// directory) and getenv = this process's environment.
daemonkit::result<import_result> import_services(const std::string& path, std::string_view text);

// `daemonkit import FILE`: reads FILE (a regular file of at most 1 MiB),
// prints the TOML on stdout and each warning on stderr
// ("daemonkit: import: ..."); 0, or 1 when FILE cannot be read or is in
// neither format (nothing on stdout then).
int cmd_import(const std::string& path);

}  // namespace dk
