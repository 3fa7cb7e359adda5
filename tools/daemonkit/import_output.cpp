// SPDX-License-Identifier: MIT
// One service's table as TOML (import_output.hpp).
#include "import_output.hpp"

#include "import_toml.hpp"

namespace dk::import_detail {

std::string render_service(const service_out& s) {
  std::string out;
  auto line = [&](const std::string& l) { out.append(l).append("\n"); };
  if (s.skipped) {
    for (const auto& l : s.head) line(l);
    for (const auto& l : s.lost) line(l);
    return out;
  }
  line("[services." + *toml_key(s.name) + "]");
  for (const auto& l : s.head) line(l);
  for (size_t i = 0; i <= s.keys.size(); ++i) {
    if (i == s.depends_at && !s.depends_on.empty()) {
      std::string d = "depends_on = {";
      for (size_t k = 0; k < s.depends_on.size(); ++k) {
        d += (k == 0 ? " " : ", ") + *toml_key(s.depends_on[k]) + " = \"started\"";
      }
      line(d + " }");
    }
    if (i < s.keys.size()) line(s.keys[i]);
  }
  for (const auto& l : s.lost) line(l);
  return out;
}

}  // namespace dk::import_detail
