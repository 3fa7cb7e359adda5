// SPDX-License-Identifier: MIT
// A supervisord config read as supervisord reads it, for `daemonkit import`
// (import_file.hpp): Python 3's configparser as supervisord sets it up
// (RawConfigParser, inline_comment_prefixes ';' and '#', strict=False).
// configparser's details decide what supervisord runs (inline comments only
// after whitespace, indented continuation lines, [DEFAULT] as every
// section's fallback, a section or key given twice merging), so each is done
// here as configparser does it: an INI reader that differs imports a config
// supervisord does not run. RawConfigParser expands nothing: supervisord
// does the %(name)s expansions itself, per program (import_expand.hpp).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dk::import_detail {

struct ini_value {
  std::string key;
  std::string value;
  int line = 0;
};

struct ini_section {
  std::string name;
  int line = 0;
  std::vector<ini_value> values;                     // in the order the keys first appear
  std::map<std::string, size_t, std::less<>> index;  // key -> values[i]

  const ini_value* find(std::string_view key) const {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &values[it->second];
  }
};

struct ini_file {
  std::vector<ini_section> sections;  // in the order they first appear
  ini_section defaults;               // [DEFAULT]: every section's fallback
  int error_line = 0;                 // the first line configparser refuses (0: none)
  std::string error;
};

// The sections of text. A line configparser refuses does not stop the
// reading: the first one is in error_line and error, and supervisord refuses
// the file for it.
ini_file parse_ini(std::string_view text);

}  // namespace dk::import_detail
