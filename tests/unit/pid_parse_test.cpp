// SPDX-License-Identifier: MIT
// parse_pid: pidfile content is read defensively. Anything that is not one
// plausible pid is an error, so it can never turn into a signal to init, to a
// process group or to "everyone" (kill(-1)).
#include "daemonkit/pidfile.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using daemonkit::errc;

TEST(parse_pid, reads_a_pid_with_surrounding_whitespace) {
  EXPECT_EQ(daemonkit::parse_pid("42\n").value(), 42);
  EXPECT_EQ(daemonkit::parse_pid("42").value(), 42);
  EXPECT_EQ(daemonkit::parse_pid("  42 \n").value(), 42);
  EXPECT_EQ(daemonkit::parse_pid("\t42\r\n").value(), 42);
  EXPECT_EQ(daemonkit::parse_pid("2\n").value(), 2);
  EXPECT_EQ(daemonkit::parse_pid("4194304\n").value(), 4194304);  // PID_MAX_LIMIT
  EXPECT_EQ(daemonkit::parse_pid("007\n").value(), 7);
}

TEST(parse_pid, rejects_garbage) {
  for (const char* bad : {"", "\n", "   ", "abc", "abc\n", "42abc", "4 2", "42\n43\n", "0x2a", "4.2", "-", "+", "+42",
                          "-42", "- 42", "42-", "\x01", "pid=42"}) {
    auto r = daemonkit::parse_pid(bad);
    ASSERT_FALSE(r) << "'" << bad << "' parsed as " << (r ? *r : 0);
    EXPECT_EQ(r.err().code, errc::bad_pidfile) << bad;
    EXPECT_FALSE(r.err().message().empty());
  }
}

TEST(parse_pid, rejects_pids_that_must_never_be_signalled) {
  // 0 is the caller's process group, -1 is every process, 1 is init.
  for (const char* bad : {"0", "0\n", "000", "1", "1\n", "-1", "-1\n"}) {
    auto r = daemonkit::parse_pid(bad);
    ASSERT_FALSE(r) << "'" << bad << "' parsed as " << (r ? *r : 0);
    EXPECT_EQ(r.err().code, errc::bad_pidfile);
  }
}

TEST(parse_pid, rejects_out_of_range_and_huge_values) {
  for (const char* bad : {"4194305", "2147483647", "2147483648", "4294967296", "9223372036854775807",
                          "9223372036854775808", "99999999999999999999999999999999"}) {
    auto r = daemonkit::parse_pid(bad);
    ASSERT_FALSE(r) << "'" << bad << "' parsed as " << (r ? *r : 0);
    EXPECT_EQ(r.err().code, errc::bad_pidfile);
  }
  EXPECT_FALSE(daemonkit::parse_pid(std::string(10000, '9')));
  EXPECT_FALSE(daemonkit::parse_pid(std::string(10000, ' ')));
}

TEST(parse_pid, says_what_is_wrong_with_the_content) {
  EXPECT_EQ(daemonkit::parse_pid("").err().message(), "empty pidfile");
  EXPECT_EQ(daemonkit::parse_pid("abc\n").err().message(), "invalid pid 'abc' (expected a decimal number)");
  EXPECT_EQ(daemonkit::parse_pid("-5").err().message(), "invalid pid '-5' (expected a decimal number)");
  EXPECT_EQ(daemonkit::parse_pid("1").err().message(), "pid 1 out of range (2..4194304)");
  EXPECT_EQ(daemonkit::parse_pid("0").err().message(), "pid 0 out of range (2..4194304)");
  EXPECT_EQ(daemonkit::parse_pid("4194305").err().message(), "pid 4194305 out of range (2..4194304)");
  EXPECT_EQ(daemonkit::parse_pid("99999999999999999999").err().message(),
            "pid 99999999999999999999 out of range (2..4194304)");
  // Hostile content is quoted only in part, so a message stays one short line.
  auto long_garbage = daemonkit::parse_pid(std::string(5000, 'x')).err().message();
  EXPECT_LT(long_garbage.size(), 120u) << long_garbage;
  EXPECT_EQ(long_garbage.find('\n'), std::string::npos);
  auto binary = daemonkit::parse_pid(std::string("a\nb\0c", 5)).err().message();
  EXPECT_EQ(binary.find('\n'), std::string::npos) << binary;
  EXPECT_EQ(binary.find('\0'), std::string::npos);
}

}  // namespace
