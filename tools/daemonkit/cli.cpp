#include "cli.hpp"

#include <cstdio>

#include "paths.hpp"

namespace dk {

void complain(const std::string& name, const std::string& text) {
  if (name.empty()) std::fprintf(stderr, "daemonkit: %s\n", text.c_str());
  else std::fprintf(stderr, "daemonkit: %s: %s\n", name.c_str(), text.c_str());
}

int usage_error(const std::string& text) {
  std::fprintf(stderr, "daemonkit: %s\n", text.c_str());
  return exit_usage;
}

daemonkit::result<std::string> state_dir(const common_options& o, bool create) {
  std::string dir = o.state_dir.empty() ? default_state_dir() : o.state_dir;
  if (auto r = ensure_private_dir(dir, create); !r) {
    // A state directory that does not exist yet simply has no services.
    if (!create && r.err().code == std::error_code(ENOENT, std::system_category())) return dir;
    return std::move(r).err();
  }
  return dir;
}

}  // namespace dk
