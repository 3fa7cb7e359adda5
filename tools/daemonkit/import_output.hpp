// SPDX-License-Identifier: MIT
// What `daemonkit import` (import_file.hpp) collects while it converts: each
// service's [services.NAME] table, kept as parts rather than text because
// supervisord's priorities become depends_on only once every program is
// read, and the warnings, which name the file and line they come from.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "import_file.hpp"

namespace dk::import_detail {

// One [services.NAME] table (or, skipped, only its comments).
struct service_out {
  std::string name;
  std::string section;  // "program:web", "web" (a Procfile's)
  bool skipped = false;
  std::string skip_reason;        // why, when skipped
  std::vector<std::string> head;  // comments under the header
  std::vector<std::string> keys;  // "key = value" lines and the notes above them
  size_t depends_at = 0;          // where in keys depends_on goes
  std::vector<std::string> lost;  // "# not carried over: ..." lines
  std::vector<std::string> depends_on;
  // supervisord's start order: (the group's priority, the program's).
  std::pair<long long, long long> level{999, 999};
  bool autostart = true;
};

// One import: the file's path (which every warning names), what its text
// does not say, and the warnings so far.
struct importer {
  std::string path;
  import_context context;
  std::vector<std::string> warnings;

  void warn(int line, const std::string& text) { warnings.push_back(path + ":" + std::to_string(line) + ": " + text); }
};

// s as TOML lines: its table (or, skipped, only its comments), each line
// ending in a newline. s.name is a daemonkit_name (import_toml.hpp).
std::string render_service(const service_out& s);

}  // namespace dk::import_detail
