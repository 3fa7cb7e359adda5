// SPDX-License-Identifier: MIT
// A Procfile as a daemonkit.toml, for `daemonkit import` (import_file.hpp):
// read as foreman and honcho read it, each `NAME: COMMAND` line a service
// whose command is a string, which daemonkit runs with /bin/sh -c as they do.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemonkit/result.hpp"
#include "import_file.hpp"
#include "import_output.hpp"

namespace dk::import_detail {

struct procfile_line {
  std::string name, command;
  int line = 0;
};

// foreman's and honcho's /^([A-Za-z0-9_-]+):\s*(.+)$/ over each line; blank
// and '#' lines are fine; bad_line: the first other line (0: none).
std::vector<procfile_line> parse_procfile(std::string_view text, int& bad_line);

// The daemonkit.toml for lines (read from imp.path, in the directory
// imp.context.here), with imp's warnings. Errors (errc::invalid_argument,
// naming the file): no line that can be carried over.
daemonkit::result<import_result> import_procfile(importer& imp, const std::vector<procfile_line>& lines);

}  // namespace dk::import_detail
