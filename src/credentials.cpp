// SPDX-License-Identifier: MIT
#include "daemonkit/credentials.hpp"

#include <string>

namespace daemonkit {

result<user_spec> parse_user_spec(std::string_view spec) {
  auto bad = [&] {
    return make_error(errc::invalid_argument, "invalid user '" + std::string(spec) + "' (expected USER or USER:GROUP)");
  };
  auto colon = spec.find(':');
  std::string_view user = spec.substr(0, colon);
  std::string_view group = colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  if (user.empty()) return bad();
  if (colon != std::string_view::npos && (group.empty() || group.find(':') != std::string_view::npos)) return bad();
  for (char c : spec) {
    if (c == '\0' || c == '\n' || c == '/') return bad();
  }
  return user_spec{std::string(user), std::string(group)};
}

std::string format_user_spec(const user_spec& spec) {
  return spec.group.empty() ? spec.user : spec.user + ":" + spec.group;
}

}  // namespace daemonkit
