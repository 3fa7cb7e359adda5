// SPDX-License-Identifier: MIT
// `daemonkit check` of a daemonkit.toml that is not TOML: the real binary,
// as built (libstdc++ and libgcc linked in), reports each syntax error at
// its line and column and exits 2. It used to die of SIGABRT on most of
// them: the parse_error thrown in the shared libtomlplusplus could not
// unwind through the statically linked runtime, and toml++ asserted on a
// table header without a key (`[*a]`).
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_services_file_syntax : public cli_fixture {
 protected:
  std::string file = tmp.file("daemonkit.toml");

  command_result check(const std::string& text) {
    write_file(file, text);
    return dk({"check", "-f", file});
  }
};

TEST_F(cli_services_file_syntax, each_syntax_error_is_reported_at_its_line_and_column_with_exit_2) {
  const std::pair<std::string, std::string> cases[] = {
      {"[services.web]\ncommand = = \"x\"\n", ":2:11: Error while parsing value: could not determine value type"},
      {"[services.web]\ncommand = \"x\n",
       ":2:13: Error while parsing string: unescaped control characters other than TAB (U+0009) are explicitly "
       "prohibited"},
      {"[services.web]\ncommand = [\"x\",\n", ":3:1: Error while parsing array: encountered end-of-file"},
      {"[services.web]\ncommand = \"x\"\ncommand = \"y\"\n",
       ":3:11: Error while parsing key-value pair: cannot redefine existing string 'command'"},
      {"[*a]\n", ":1:2: Error while parsing key: expected bare key starting character or string delimiter, saw '*'"},
      {"[services.web]\n\xff\n", ":2:1: invalid UTF-8 (a TOML file is UTF-8 text)"},
  };
  for (const auto& [text, error] : cases) {
    auto r = check(text);
    EXPECT_EQ(r.exit_code(), 2) << text << describe(r);
    EXPECT_EQ(r.out, "") << text;
    EXPECT_EQ(r.err, file + error + "\n") << text;
  }
  // A non-ASCII character where a key should be: an error, not undefined
  // behaviour in toml++'s whitespace table.
  auto r = check("[services.\xc3\xa9]\ncommand = \"x\"\n");
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.err.rfind(file + ":1:11: Error while parsing key: ", 0), 0U) << r.err;
}

}  // namespace
