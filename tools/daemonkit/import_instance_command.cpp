// SPDX-License-Identifier: MIT
// The /bin/sh command line for a per-instance command
// (import_instance_command.hpp).
#include "import_instance_command.hpp"

#include <algorithm>
#include <string_view>

#include "import_expand.hpp"

namespace dk::import_detail {

namespace {

bool sh_plain(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
  });
}

std::string sh_quote(std::string_view s) {
  if (sh_plain(s)) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace

std::string instance_command(const std::vector<std::string>& argv, const std::vector<std::string>& formats,
                             long long numprocs_start) {
  long long offset = numprocs_start - 1;
  std::string number = offset == 0  ? "\"$DAEMONKIT_INSTANCE\""
                       : offset > 0 ? "\"$((DAEMONKIT_INSTANCE + " + std::to_string(offset) + "))\""
                                    : "\"$((DAEMONKIT_INSTANCE - " + std::to_string(-offset) + "))\"";
  std::string out = "exec";
  size_t next = 0;
  for (const auto& word : argv) {
    out += ' ';
    if (word.empty()) out += "''";
    size_t start = 0;
    for (;;) {
      size_t at = word.find_first_of(instance_marks, start);
      std::string_view piece = std::string_view(word).substr(start, at - start);
      if (!piece.empty()) out += sh_quote(piece);
      if (at == std::string::npos) break;
      const std::string& fmt = next < formats.size() ? formats[next] : std::string();
      ++next;
      // Unquoted where it was: supervisord splits the command into words
      // after the expansion, so a padded number's spaces split them there.
      std::string sub = "$(printf '";
      sub.append(fmt).append("' ").append(number).append(")");
      out += fmt.empty() ? number : word[at] == quoted_instance_mark ? "\"" + sub + "\"" : sub;
      start = at + 1;
    }
  }
  return out;
}

}  // namespace dk::import_detail
