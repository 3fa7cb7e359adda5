// SPDX-License-Identifier: MIT
// help: a command's section of daemonkit(1), from the text compiled in.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli.hpp"
#include "help_text.hpp"

namespace dk {

int cmd_help(const std::string* command) {
  // An empty COMMAND names no command; it does not ask for the overview.
  if (command != nullptr && command->empty()) return usage_error("help: unknown command ''");
  const std::string_view wanted = command != nullptr ? std::string_view(*command) : std::string_view();
  for (const auto& topic : help_topics()) {
    if (topic.command != wanted) continue;
    std::fwrite(topic.text.data(), 1, topic.text.size(), stdout);
    if (command == nullptr) {
      std::fputs("\nRun 'daemonkit help COMMAND' for a command, 'man daemonkit' for all of it.\n", stdout);
    }
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
      complain("", std::string("cannot write the help text: ") + std::strerror(errno));
      return exit_failure;
    }
    return exit_ok;
  }
  return usage_error("help: unknown command '" + *command + "'");
}

}  // namespace dk
