// SPDX-License-Identifier: MIT
// A supervisord config read as configparser reads it (import_ini.hpp).
#include "import_ini.hpp"

#include <algorithm>
#include <utility>

#include "import_text.hpp"

namespace dk::import_detail {

namespace {

// Where configparser's inline comment starts (';' or '#' at the start of the
// line or after whitespace), found its way: round by round, the next
// occurrence of each prefix, stopping at the first round where one counts.
size_t inline_comment_start(std::string_view line) {
  constexpr char prefixes[2] = {';', '#'};
  size_t from[2] = {0, 0};
  bool active[2] = {true, true};
  size_t start = std::string_view::npos;
  while (start == std::string_view::npos && (active[0] || active[1])) {
    for (int k = 0; k < 2; ++k) {
      if (!active[k]) continue;
      size_t at = line.find(prefixes[k], from[k]);
      if (at == std::string_view::npos) {
        active[k] = false;
        continue;
      }
      from[k] = at + 1;
      if (at == 0 || space_before(line, at) != 0) start = std::min(start, at);
    }
  }
  return start;
}

}  // namespace

// Python 3's configparser as supervisord sets it up (RawConfigParser,
// inline_comment_prefixes ';' and '#', strict=False): keys lowercased,
// values stripped, indented lines continue the value above, a section or key
// given twice merges (the later value wins, in the earlier place).
ini_file parse_ini(std::string_view text) {
  ini_file ini;
  std::map<std::string, size_t> index;
  constexpr long no_section = -2, default_section = -1;
  long cur = no_section;
  long opt = -1;  // the value continuation lines go to, in section cur
  size_t indent_level = 0;
  auto fail = [&](int line, std::string why) {
    if (ini.error_line == 0) {
      ini.error_line = line;
      ini.error = std::move(why);
    }
  };
  auto section_at = [&](long i) -> ini_section& {
    return i == default_section ? ini.defaults : ini.sections[static_cast<size_t>(i)];
  };
  int lineno = 0;
  for (std::string_view line : split_lines(text)) {
    ++lineno;
    size_t comment_start = inline_comment_start(line);
    std::string_view stripped = strip(line);
    if (starts_with(stripped, "#") || starts_with(stripped, ";")) comment_start = 0;
    std::string_view value = strip(line.substr(0, comment_start));
    if (value.empty()) {
      // An empty line inside a value is part of it (trailing ones are
      // stripped at the end); a comment line is not.
      if (comment_start == std::string_view::npos && cur != no_section && opt >= 0) {
        section_at(cur).values[static_cast<size_t>(opt)].value += '\n';
      }
      continue;
    }
    // In characters, as Python counts.
    size_t indent = 0;
    for (size_t at = 0; at < line.size() && space_at(line, at) != 0; at += space_at(line, at)) ++indent;
    if (cur != no_section && opt >= 0 && indent > indent_level) {
      auto& v = section_at(cur).values[static_cast<size_t>(opt)];
      v.value += '\n';
      v.value.append(value);
      continue;
    }
    indent_level = indent;
    size_t close = value.rfind(']');
    if (value[0] == '[' && close != std::string_view::npos && close >= 2) {
      std::string name(value.substr(1, close - 1));
      opt = -1;
      if (name == "DEFAULT") {
        cur = default_section;
        continue;
      }
      auto [it, added] = index.emplace(name, ini.sections.size());
      if (added) ini.sections.push_back({name, lineno, {}, {}});
      cur = static_cast<long>(it->second);
      continue;
    }
    if (cur == no_section) {
      fail(lineno, "a line before the first [section]");
      continue;
    }
    size_t delim = value.find_first_of("=:");
    if (delim == std::string_view::npos) {
      fail(lineno, "not a KEY = VALUE line");
      continue;
    }
    std::string key = lower(rstrip(value.substr(0, delim)));
    if (key.empty()) {
      fail(lineno, "a value without a key");
      continue;
    }
    auto& sec = section_at(cur);
    std::string val(strip(value.substr(delim + 1)));
    auto [at, added] = sec.index.emplace(key, sec.values.size());
    if (added) {
      sec.values.push_back({key, std::move(val), lineno});
    } else {
      sec.values[at->second].value = std::move(val);
      sec.values[at->second].line = lineno;
    }
    opt = static_cast<long>(at->second);
  }
  auto finish = [](ini_section& s) {
    for (auto& v : s.values) v.value = std::string(rstrip(v.value));
  };
  finish(ini.defaults);
  for (auto& s : ini.sections) finish(s);
  return ini;
}

}  // namespace dk::import_detail
