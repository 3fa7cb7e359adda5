// SPDX-License-Identifier: MIT
// `daemonkit help [COMMAND]`: daemonkit(1)'s text, compiled in. The topics
// are generated at build time from docs/man/daemonkit.1.scd by
// cmake/man_help.cmake (help_text.cpp in the build tree), so the tool says
// what the man page says.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace dk {

struct help_topic {
  std::string_view command;  // "" for the overview (NAME, SYNOPSIS, OPTIONS)
  std::string_view text;     // plain text, lines of at most 80 columns, ending in "\n"
};

// The overview first, then one topic per "## COMMAND" section of COMMANDS,
// in the page's order.
std::span<const help_topic> help_topics();

// Prints the topic of command (the overview when command is null) on
// stdout; an unknown command is a usage error naming it (exit 2).
int cmd_help(const std::string* command);

}  // namespace dk
