// SPDX-License-Identifier: MIT
#include "daemonkit/service.hpp"

#include <cstdlib>
#include <unistd.h>

namespace daemonkit {

bool valid_runtime_dir_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

std::string runtime_dir_path(const std::string& name) {
  if (name.empty()) return {};
  if (::geteuid() == 0) return "/run/" + name;
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  std::string base = xdg != nullptr && xdg[0] == '/' ? xdg : "/run/user/" + std::to_string(::geteuid());
  return base + "/" + name;
}

}  // namespace daemonkit
