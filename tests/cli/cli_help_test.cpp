// SPDX-License-Identifier: MIT
// `daemonkit help [COMMAND]` shows the man page's text: each command's
// section of docs/man/daemonkit.1.scd, line for line, and every command the
// tool has must have one. Judged against the .scd source itself, read here
// with a cruder rule than the build's generator (every markup character
// dropped, whitespace collapsed), so a generator that loses, adds or
// reorders a line fails.
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

const std::string man_source = DK_MAN_SOURCE;  // tests/CMakeLists.txt

// A line as both sides are compared: scdoc's markup characters (* _ \ and a
// "++" line break) gone, runs of blanks one space, no blank at either end.
std::string normalise(std::string_view line) {
  std::string out;
  for (char c : line) {
    if (c == '*' || c == '_' || c == '\\') continue;
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (out.size() >= 2 && out.compare(out.size() - 2, 2, "++") == 0) out.resize(out.size() - 2);
  return out;
}

// The non-blank lines of text, normalised.
std::vector<std::string> normalised_lines(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (auto n = normalise(l); !n.empty()) out.push_back(n);
  }
  return out;
}

// The lines of the source's "## command" section, up to the next heading,
// without comments and literal-block fences.
std::vector<std::string> source_section(const std::string& command) {
  auto text = read_file(man_source);
  EXPECT_TRUE(text) << "cannot read " << man_source;
  std::vector<std::string> out;
  bool in = false;
  for (const auto& line : split_lines(text.value_or(""))) {
    if (line.rfind("#", 0) == 0) {
      in = line == "## " + command || line.rfind("## " + command + " ", 0) == 0;
      continue;
    }
    if (in && line.rfind(";", 0) != 0 && line.find("```") == std::string::npos) out.push_back(line);
  }
  return out;
}

// The commands `daemonkit --help` lists: the names in CLI11's
// "Subcommands:" block, i.e. every subcommand main.cpp registers.
std::vector<std::string> listed_commands(const std::string& help) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& line : split_lines(help)) {
    if (line == "Subcommands:") {
      in = true;
    } else if (in && line.rfind("  ", 0) == 0) {
      auto start = line.find_first_not_of(' ');
      out.push_back(line.substr(start, line.find(' ', start) - start));
    } else if (in) {
      break;
    }
  }
  return out;
}

class cli_help : public cli_fixture {
 protected:
  std::vector<std::string> commands() {
    auto r = dk({"--help"});
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    auto names = listed_commands(r.out);
    EXPECT_GE(names.size(), 12u) << "found too few commands in daemonkit --help:\n" << r.out;
    return names;
  }
};

TEST_F(cli_help, help_stop_prints_the_stop_section_line_for_line) {
  auto r = dk({"help", "stop"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.err, "");
  auto lines = split_lines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front(), "daemonkit stop [--timeout DURATION] NAME") << "the synopsis comes first, markup stripped";
  EXPECT_TRUE(contains(r.out, "\n--timeout DURATION\n    Wait this long after the stop signal before SIGKILL"))
      << "an option with its description indented under it:\n"
      << r.out;
  EXPECT_EQ(r.out.find('*'), std::string::npos) << "scdoc's *bold* marks are stripped:\n" << r.out;
  auto expected = normalised_lines(source_section("stop"));
  ASSERT_GE(expected.size(), 5u) << "no '## stop' section in " << man_source;
  EXPECT_EQ(normalised_lines(lines), expected);
  EXPECT_FALSE(contains(r.out, "daemonkit restart")) << "only the stop section:\n" << r.out;
}

TEST_F(cli_help, every_command_of_the_tool_has_its_section) {
  for (const auto& command : commands()) {
    SCOPED_TRACE(command);
    auto r = dk({"help", command});
    ASSERT_EQ(r.exit_code(), 0) << "no section '## " << command << "' in " << man_source << "? " << describe(r);
    auto lines = split_lines(r.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.front().rfind("daemonkit " + command, 0), 0u) << "a section starts with its synopsis:\n" << r.out;
    EXPECT_EQ(normalised_lines(lines), normalised_lines(source_section(command)));
    for (const auto& l : lines) EXPECT_LE(l.size(), 80u) << "a line wider than a terminal: " << l;
  }
}

TEST_F(cli_help, help_alone_is_the_synopsis_of_every_command) {
  auto r = dk({"help"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out.rfind("daemonkit - run any program as a supervised daemon\n", 0), 0u) << r.out;
  EXPECT_TRUE(contains(r.out, "\nSYNOPSIS\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "\n    --state-dir DIR\n")) << "the options every command takes:\n" << r.out;
  for (const auto& command : commands()) {
    EXPECT_TRUE(contains(r.out, "\n    daemonkit " + command)) << command << " is not in the synopsis:\n" << r.out;
  }
  EXPECT_TRUE(contains(r.out, "daemonkit help COMMAND")) << r.out;
}

TEST_F(cli_help, an_unknown_command_is_a_usage_error_naming_it) {
  for (std::string bad : {"nosuch", "", "--"}) {
    SCOPED_TRACE(bad);
    auto r = dk({"help", bad});
    EXPECT_EQ(r.exit_code(), 2) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("daemonkit: ", 0), 0u) << r.err;
    if (bad == "nosuch") {
      EXPECT_EQ(r.err, "daemonkit: help: unknown command 'nosuch'\n");
    }
  }
  auto r = dk({"help", "stop", "start"});
  EXPECT_EQ(r.exit_code(), 2) << "one command at a time: " << describe(r);
  EXPECT_EQ(r.out, "");
}

TEST_F(cli_help, command_dash_dash_help_stays_the_short_option_list) {
  auto r = dk({"stop", "--help"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "Options:")) << r.out;
  EXPECT_TRUE(contains(r.out, "--timeout")) << r.out;
  EXPECT_FALSE(contains(r.out, "Stops the service and waits")) << "not the manual's text:\n" << r.out;
}

}  // namespace
