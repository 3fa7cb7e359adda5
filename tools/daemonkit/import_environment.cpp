// SPDX-License-Identifier: MIT
// supervisord's environment= parser (import_environment.hpp).
#include "import_environment.hpp"

#include <algorithm>

#include "import_shlex.hpp"

namespace dk::import_detail {

using daemonkit::errc;
using daemonkit::make_error;

daemonkit::result<std::vector<std::pair<std::string, std::string>>> key_value_pairs(std::string_view s) {
  auto lexed = shlex_tokens(s);
  if (!lexed) return std::move(lexed).err();
  const auto& tokens = *lexed;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i < tokens.size(); i += 4) {
    if (i + 2 >= tokens.size() || tokens[i + 1] != "=") {
      return make_error(errc::invalid_argument, "unexpected end of key/value pairs");
    }
    std::string_view v = tokens[i + 2];
    while (!v.empty() && (v.front() == '\'' || v.front() == '"')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\'' || v.back() == '"')) v.remove_suffix(1);
    auto it = std::find_if(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == tokens[i]; });
    if (it != pairs.end()) it->second = std::string(v);
    else pairs.emplace_back(tokens[i], std::string(v));
  }
  return pairs;
}

}  // namespace dk::import_detail
