// SPDX-License-Identifier: MIT
#include "cli.hpp"

#include <cstdio>
#include <string_view>

#include "daemonkit/text_escape.hpp"
#include "paths.hpp"

namespace dk {

namespace {

// text escaped, except for its "\n    " continuation-line breaks.
std::string printable_message(std::string_view text) {
  constexpr std::string_view continuation = "\n    ";
  std::string out;
  for (;;) {
    auto at = text.find(continuation);
    out += daemonkit::escape_for_terminal(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    out += continuation;
    text.remove_prefix(at + continuation.size());
  }
}

}  // namespace

void complain(const std::string& name, const std::string& text) {
  std::string line = "daemonkit: ";
  if (!name.empty()) line += daemonkit::escape_for_terminal(name) + ": ";
  line += printable_message(text);
  std::fprintf(stderr, "%s\n", line.c_str());
}

int usage_error(const std::string& text) {
  complain("", text);
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
