// SPDX-License-Identifier: MIT
#include "daemonkit/env_file.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace daemonkit {
namespace {

using strings = std::vector<std::string>;

strings parse_ok(std::string_view text) {
  auto r = parse_env_file(text);
  EXPECT_TRUE(r) << "unexpected error: " << r.err().message();
  return r ? r.value() : strings{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_env_file(text);
  EXPECT_FALSE(r) << "parsed, but an error was expected";
  if (r) return {};
  EXPECT_EQ(r.err().code, make_error_code(errc::invalid_argument));
  return r.err().message();
}

// A temporary directory removed with its files at the end of the test.
class env_file_dir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dk_env_file_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string write_file(const std::string& name, const std::string& content) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string dir_;
};

TEST(parse_env_file, plain_assignments_in_file_order) {
  EXPECT_EQ(parse_ok("B=2\nA=1\n_x9=three\n"), (strings{"B=2", "A=1", "_x9=three"}));
}

TEST(parse_env_file, empty_content_and_missing_final_newline) {
  EXPECT_EQ(parse_ok(""), strings{});
  EXPECT_EQ(parse_ok("A=1"), strings{"A=1"});
}

TEST(parse_env_file, blank_lines_and_comments_are_ignored) {
  EXPECT_EQ(parse_ok("\n   \n\t\n# A=1\n; B=2\n  # indented comment\nC=3\r\n\r\n"), strings{"C=3"});
}

TEST(parse_env_file, hash_inside_a_value_is_not_a_comment) { EXPECT_EQ(parse_ok("A=x # y\n"), strings{"A=x # y"}); }

TEST(parse_env_file, export_prefix_is_ignored) {
  EXPECT_EQ(parse_ok("export A=1\nexport\t B=2\n"), (strings{"A=1", "B=2"}));
  // Only "export" followed by whitespace is the prefix.
  EXPECT_EQ(parse_ok("exportC=3\nexport=4\n"), (strings{"exportC=3", "export=4"}));
}

TEST(parse_env_file, whitespace_around_key_and_before_value_is_ignored) {
  EXPECT_EQ(parse_ok("  A = 1\n\tB=\t2\nC =\n"), (strings{"A=1", "B=2", "C="}));
}

TEST(parse_env_file, unquoted_value_has_trailing_whitespace_trimmed) {
  EXPECT_EQ(parse_ok("A=a b  \t\r\nB=\n"), (strings{"A=a b", "B="}));
}

TEST(parse_env_file, unquoted_value_keeps_backslashes_quotes_and_dollars) {
  EXPECT_EQ(parse_ok(R"(A=C:\dir\n $HOME it"s 'x')"), strings{R"(A=C:\dir\n $HOME it"s 'x')"});
}

TEST(parse_env_file, unquoted_value_keeps_everything_after_the_first_equals) {
  EXPECT_EQ(parse_ok("A=b=c==\n"), strings{"A=b=c=="});
}

TEST(parse_env_file, backslash_at_end_of_unquoted_line_continues_it) {
  EXPECT_EQ(parse_ok("A=one \\\n  two\\\nthree\nB=2\n"), (strings{"A=one   twothree", "B=2"}));
  // The continuation line is value, not a comment.
  EXPECT_EQ(parse_ok("A=x\\\n# not a comment\n"), strings{"A=x# not a comment"});
  // CRLF files continue too.
  EXPECT_EQ(parse_ok("A=x\\\r\ny\r\n"), strings{"A=xy"});
  // A backslash on the last line continues into nothing.
  EXPECT_EQ(parse_ok("A=x\\"), strings{"A=x"});
  EXPECT_EQ(parse_ok("A=x\\\n"), strings{"A=x"});
}

TEST(parse_env_file, backslash_followed_by_whitespace_does_not_continue) {
  EXPECT_EQ(parse_ok("A=x\\ \nB=2\n"), (strings{"A=x\\", "B=2"}));
}

TEST(parse_env_file, single_quotes_are_literal) {
  EXPECT_EQ(parse_ok(R"(A='  $x \n \" # ; '   )"), strings{R"(A=  $x \n \" # ; )"});
  EXPECT_EQ(parse_ok("A=''\n"), strings{"A="});
}

TEST(parse_env_file, double_quotes_understand_their_escapes) {
  EXPECT_EQ(parse_ok(R"(A="q\" b\\ n\n t\t d\$ $HOME")"), strings{"A=q\" b\\ n\n t\t d$ $HOME"});
  EXPECT_EQ(parse_ok("A=\"\"\n"), strings{"A="});
}

TEST(parse_env_file, double_quotes_keep_unknown_escapes) {
  EXPECT_EQ(parse_ok(R"(A="C:\dir\x")"), strings{R"(A=C:\dir\x)"});
}

TEST(parse_env_file, quoted_values_may_span_lines) {
  EXPECT_EQ(parse_ok("A='one\ntwo'\nB=\"three\nfour\"\nC=5\n"), (strings{"A=one\ntwo", "B=three\nfour", "C=5"}));
  // Backslash-newline inside double quotes joins the lines.
  EXPECT_EQ(parse_ok("A=\"one \\\ntwo\"\n"), strings{"A=one two"});
}

TEST(parse_env_file, later_duplicate_wins_in_the_first_position) {
  EXPECT_EQ(parse_ok("A=1\nB=2\nA=3\nexport B=4\nC=5\n"), (strings{"A=3", "B=4", "C=5"}));
}

TEST(parse_env_file, invalid_names_are_errors_that_name_the_line) {
  EXPECT_EQ(parse_error("A=1\n\n1X=2\n"), "line 3: invalid variable name '1X'");
  EXPECT_EQ(parse_error("=x\n"), "line 1: invalid variable name ''");
  EXPECT_EQ(parse_error("A-B=1\n"), "line 1: invalid variable name 'A-B'");
  EXPECT_EQ(parse_error("A B=1\n"), "line 1: invalid variable name 'A B'");
  EXPECT_EQ(parse_error("export =1\n"), "line 1: invalid variable name ''");
}

TEST(parse_env_file, odd_bytes_in_names_are_escaped_and_long_names_cut) {
  EXPECT_EQ(parse_error("\x1b[31mX=1\n"), "line 1: invalid variable name '\\x1b[31mX'");
  std::string msg = parse_error(std::string(200, 'A') + "-=1\n");
  EXPECT_EQ(msg, "line 1: invalid variable name '" + std::string(64, 'A') + "...'");
}

TEST(parse_env_file, line_without_equals_is_an_error) {
  EXPECT_EQ(parse_error("A=1\nJUSTAWORD\n"), "line 2: expected KEY=VALUE");
  EXPECT_EQ(parse_error("export A\n"), "line 1: expected KEY=VALUE");
}

TEST(parse_env_file, unterminated_quotes_name_the_opening_line) {
  EXPECT_EQ(parse_error("A=1\nB='abc\nC=2\n"), "line 2: unterminated single quote");
  EXPECT_EQ(parse_error("A=1\nB=\"abc\nC=2\n"), "line 2: unterminated double quote");
  EXPECT_EQ(parse_error("B=\"abc\\"), "line 1: unterminated double quote");
}

TEST(parse_env_file, text_after_closing_quote_is_an_error) {
  EXPECT_EQ(parse_error("A='x' y\n"), "line 1: unexpected text after closing quote");
  EXPECT_EQ(parse_error("A=\"x\ny\"z\n"), "line 2: unexpected text after closing quote");
  EXPECT_EQ(parse_ok("A='x'  \t\r\n"), strings{"A=x"});
}

TEST(parse_env_file, line_numbers_count_continuations_and_quoted_newlines) {
  EXPECT_EQ(parse_error("A=x\\\ny\nB='1\n2'\nC=\"3\\\n4\"\n9=\n"), "line 7: invalid variable name '9'");
}

TEST(parse_env_file, nul_byte_anywhere_is_an_error) {
  using namespace std::string_literals;
  EXPECT_EQ(parse_error("A=1\nB=x\0y\n"s), "line 2: NUL byte");
  EXPECT_EQ(parse_error("A=1\n\n# comment \0\n"s), "line 3: NUL byte");
  EXPECT_EQ(parse_error("A='\0'"s), "line 1: NUL byte");
  EXPECT_EQ(parse_error("\0"s), "line 1: NUL byte");
}

TEST(parse_env_file, line_of_exactly_one_mib_is_accepted) {
  std::string content = "A=" + std::string(env_file_max_line - 2, 'x') + "\n";
  auto r = parse_ok(content);
  ASSERT_EQ(r.size(), 1U);
  EXPECT_EQ(r[0].size(), env_file_max_line);
}

TEST(parse_env_file, line_over_one_mib_is_an_error) {
  std::string content = "A=1\nB=" + std::string(env_file_max_line, 'x') + "\n";
  EXPECT_EQ(parse_error(content), "line 2: line longer than 1048576 bytes");
}

TEST(parse_env_file, ten_megabyte_single_line_fails_fast) {
  std::string content = "A=" + std::string(10'000'000, 'x');
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(parse_error(content), "line 1: line longer than 1048576 bytes");
  // Generous bound: a linear scan of 10 MB takes milliseconds.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(parse_env_file, content_over_sixteen_mib_is_an_error) {
  std::string line = "A=" + std::string(1000, 'x') + "\n";
  std::string content;
  while (content.size() <= env_file_max_size) content += line;
  EXPECT_EQ(parse_error(content), "env file larger than 16777216 bytes");
}

TEST(parse_env_file, random_bytes_never_crash) {
  std::mt19937 rng(12345);
  const std::string alphabet = "AB_=x1 \t\r\n#;'\"\\$export";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 40, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    auto r = parse_env_file(s);
    if (r) {
      for (const auto& kv : r.value()) EXPECT_NE(kv.find('='), std::string::npos);
    } else {
      EXPECT_FALSE(r.err().message().empty());
    }
  }
}

TEST_F(env_file_dir, reads_and_parses_a_file) {
  std::string p = write_file("env", "# settings\nexport A=1\nB='two words'\n");
  auto r = read_env_file(p);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_EQ(r.value(), (strings{"A=1", "B=two words"}));
}

TEST_F(env_file_dir, reads_through_a_symlink) {
  std::string p = write_file("env", "A=1\n");
  std::string link = dir_ + "/link";
  ASSERT_EQ(::symlink(p.c_str(), link.c_str()), 0);
  auto r = read_env_file(link);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_EQ(r.value(), strings{"A=1"});
}

TEST_F(env_file_dir, parse_errors_name_the_file_and_line) {
  std::string p = write_file("env", "A=1\n\n1X=2\n");
  auto r = read_env_file(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "env file " + p + ": line 3: invalid variable name '1X'");
}

TEST_F(env_file_dir, missing_file_is_a_system_error) {
  auto r = read_env_file(dir_ + "/nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, std::error_code(ENOENT, std::system_category()));
  EXPECT_EQ(r.err().message(), "cannot read env file " + dir_ + "/nope: No such file or directory");
}

TEST_F(env_file_dir, directory_is_refused) {
  auto r = read_env_file(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot read env file " + dir_ + ": not a regular file");
}

TEST_F(env_file_dir, fifo_is_refused_without_blocking) {
  std::string p = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  auto r = read_env_file(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot read env file " + p + ": not a regular file");
}

TEST_F(env_file_dir, character_device_is_refused) {
  auto r = read_env_file("/dev/zero");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot read env file /dev/zero: not a regular file");
}

TEST_F(env_file_dir, oversized_file_is_refused_before_reading) {
  std::string p = dir_ + "/big";
  {
    std::ofstream f(p, std::ios::binary);
    f << "A=1\n";
  }
  // Sparse: 17 MiB of size costs no disk, and the refusal must come from
  // the size, not from parsing.
  ASSERT_EQ(::truncate(p.c_str(), static_cast<off_t>(env_file_max_size + (1U << 20))), 0);
  auto r = read_env_file(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot read env file " + p + ": larger than 16777216 bytes");
}

TEST_F(env_file_dir, nul_byte_in_file_names_the_line) {
  std::string p = write_file("env", std::string("A=1\nB=\0\n", 8));
  auto r = read_env_file(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "env file " + p + ": line 2: NUL byte");
}

TEST_F(env_file_dir, files_in_proc_with_zero_size_are_read_whole) {
  // /proc files report st_size 0; the reader must not trust it.
  auto r = read_env_file("/proc/self/environ");
  // environ is NUL-separated: it must be read (not seen as empty) and refused.
  if (::getenv("PATH") != nullptr) {
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message().find("NUL byte"), std::string::npos) << r.err().message();
  }
}

}  // namespace
}  // namespace daemonkit
