// SPDX-License-Identifier: MIT
// parse_duration, parse_size, parse_umask, format_duration: what people type
// on a command line, and every way to get it wrong.
#include "daemonkit/units.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace {

using daemonkit::errc;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

TEST(parse_duration, reads_every_unit) {
  EXPECT_EQ(daemonkit::parse_duration("500ms").value(), 500ms);
  EXPECT_EQ(daemonkit::parse_duration("10s").value(), 10s);
  EXPECT_EQ(daemonkit::parse_duration("10sec").value(), 10s);
  EXPECT_EQ(daemonkit::parse_duration("2m").value(), 2min);
  EXPECT_EQ(daemonkit::parse_duration("2min").value(), 2min);
  EXPECT_EQ(daemonkit::parse_duration("1h").value(), 1h);
  EXPECT_EQ(daemonkit::parse_duration("1d").value(), 24h);
  EXPECT_EQ(daemonkit::parse_duration("1.5s").value(), 1500ms);
  EXPECT_EQ(daemonkit::parse_duration("0.25").value(), 250ms);
  EXPECT_EQ(daemonkit::parse_duration("0").value(), 0ms);
  EXPECT_EQ(daemonkit::parse_duration("0ms").value(), 0ms);
}

TEST(parse_duration, plain_number_is_seconds) { EXPECT_EQ(daemonkit::parse_duration("30").value(), 30s); }

TEST(parse_duration, units_are_case_insensitive) {
  EXPECT_EQ(daemonkit::parse_duration("5S").value(), 5s);
  EXPECT_EQ(daemonkit::parse_duration("5MS").value(), 5ms);
  EXPECT_EQ(daemonkit::parse_duration("1H").value(), 1h);
}

TEST(parse_duration, rejects_bad_values_with_a_message_naming_them) {
  for (const char* bad : {"",      " ", "s",   "ms",  "-1",  "-1s", "+1s", "1x",  "1 s",  " 1s", "1s ",
                          "1.2.3", ".", "1e3", "inf", "nan", "abc", "1s2", "10w", "0x10", "1,5s"}) {
    auto r = daemonkit::parse_duration(bad);
    ASSERT_FALSE(r) << "'" << bad << "' parsed as " << (r ? r->count() : 0) << "ms";
    EXPECT_EQ(r.err().code, errc::invalid_argument) << bad;
    EXPECT_EQ(r.err().message(), "invalid duration '" + std::string(bad) + "' (expected e.g. 500ms, 10s, 2m, 1h)");
  }
}

TEST(parse_duration, rejects_overflow) {
  EXPECT_FALSE(daemonkit::parse_duration("99999999999999999999d"));
  EXPECT_FALSE(daemonkit::parse_duration("1" + std::string(400, '0')));
  EXPECT_FALSE(daemonkit::parse_duration("200000000000000000000ms"));
  // The largest accepted values still fit in milliseconds.
  auto big = daemonkit::parse_duration("100000d");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->count(), 100000LL * 86400 * 1000);
}

// Exact decimal arithmetic, rounded half up to the millisecond.
TEST(parse_duration, fractions_are_exact_and_round_half_up) {
  EXPECT_EQ(daemonkit::parse_duration("0.0005s").value(), 1ms);
  EXPECT_EQ(daemonkit::parse_duration("0.0004999s").value(), 0ms);
  EXPECT_EQ(daemonkit::parse_duration("1.0015s").value(), 1002ms);
  EXPECT_EQ(daemonkit::parse_duration("0.1s").value(), 100ms);  // 0.1 has no exact binary form
  EXPECT_EQ(daemonkit::parse_duration(".5").value(), 500ms);
  EXPECT_EQ(daemonkit::parse_duration("5.").value(), 5s);
  EXPECT_EQ(daemonkit::parse_duration("2.5ms").value(), 3ms);
  EXPECT_EQ(daemonkit::parse_duration("1.000000000000000000001h").value(), 1h);  // digits past 10 are dropped
  EXPECT_EQ(daemonkit::parse_duration("0.00001d").value(), 864ms);
}

TEST(parse_size, reads_units_as_powers_of_1024) {
  EXPECT_EQ(daemonkit::parse_size("512").value(), 512u);
  EXPECT_EQ(daemonkit::parse_size("512b").value(), 512u);
  EXPECT_EQ(daemonkit::parse_size("512K").value(), 512u * 1024);
  EXPECT_EQ(daemonkit::parse_size("1kb").value(), 1024u);
  EXPECT_EQ(daemonkit::parse_size("1KiB").value(), 1024u);
  EXPECT_EQ(daemonkit::parse_size("10M").value(), 10u * 1024 * 1024);
  EXPECT_EQ(daemonkit::parse_size("10MiB").value(), 10u * 1024 * 1024);
  EXPECT_EQ(daemonkit::parse_size("1G").value(), 1ULL << 30);
  EXPECT_EQ(daemonkit::parse_size("2T").value(), 2ULL << 40);
  EXPECT_EQ(daemonkit::parse_size("0").value(), 0u);
  EXPECT_EQ(daemonkit::parse_size("18446744073709551615").value(), std::numeric_limits<std::uint64_t>::max());
}

TEST(parse_size, rejects_bad_values_with_a_message_naming_them) {
  for (const char* bad : {"", "K", "-1", "-1K", "+1", "1.5M", "1 K", " 1", "1X", "1KBB", "abc", "1e3",
                          "18446744073709551616", "16777216T", "17179869184G"}) {
    auto r = daemonkit::parse_size(bad);
    ASSERT_FALSE(r) << "'" << bad << "' parsed as " << (r ? *r : 0);
    EXPECT_EQ(r.err().code, errc::invalid_argument);
    EXPECT_EQ(r.err().message(), "invalid size '" + std::string(bad) + "' (expected e.g. 512K, 10M, 1G)");
  }
}

TEST(parse_umask, reads_octal) {
  EXPECT_EQ(daemonkit::parse_umask("022").value(), 022u);
  EXPECT_EQ(daemonkit::parse_umask("0077").value(), 077u);
  EXPECT_EQ(daemonkit::parse_umask("7").value(), 7u);
  EXPECT_EQ(daemonkit::parse_umask("0").value(), 0u);
  EXPECT_EQ(daemonkit::parse_umask("777").value(), 0777u);
  EXPECT_EQ(daemonkit::parse_umask("0777").value(), 0777u);
}

TEST(parse_umask, rejects_bad_values_with_a_message_naming_them) {
  for (const char* bad :
       {"", "8", "9", "018", "1000", "7777", "00000", "-1", "+7", "0x1", "0o22", "22a", " 22", "u=rwx"}) {
    auto r = daemonkit::parse_umask(bad);
    ASSERT_FALSE(r) << "'" << bad << "' parsed as " << (r ? *r : 0);
    EXPECT_EQ(r.err().code, errc::invalid_argument);
    EXPECT_EQ(r.err().message(), "invalid umask '" + std::string(bad) + "' (expected octal, e.g. 022)");
  }
}

TEST(format_duration, shows_the_two_largest_units) {
  EXPECT_EQ(daemonkit::format_duration(0ms), "0ms");
  EXPECT_EQ(daemonkit::format_duration(999ms), "999ms");
  EXPECT_EQ(daemonkit::format_duration(1000ms), "1s");
  EXPECT_EQ(daemonkit::format_duration(45s), "45s");
  EXPECT_EQ(daemonkit::format_duration(61s), "1m1s");
  EXPECT_EQ(daemonkit::format_duration(2h + 13min + 5s), "2h13m");
  EXPECT_EQ(daemonkit::format_duration(3 * 24h + 4h + 59min), "3d4h");
  EXPECT_EQ(daemonkit::format_duration(1h), "1h");
  EXPECT_EQ(daemonkit::format_duration(1h + 30s), "1h");  // minutes are 0: no "1h0m"
  EXPECT_EQ(daemonkit::format_duration(24h + 1min), "1d");
  EXPECT_EQ(daemonkit::format_duration(1500ms), "1s");
}

TEST(format_duration, clamps_negative_values_to_zero) {
  EXPECT_EQ(daemonkit::format_duration(-5s), "0ms");
  EXPECT_EQ(daemonkit::format_duration(milliseconds::min()), "0ms");
}

TEST(format_duration, handles_the_largest_value) {
  auto text = daemonkit::format_duration(milliseconds::max());
  EXPECT_FALSE(text.empty());
  EXPECT_NE(text.find('d'), std::string::npos) << text;
}

}  // namespace
