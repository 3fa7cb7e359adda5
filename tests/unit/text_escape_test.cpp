// SPDX-License-Identifier: MIT
// escape_for_terminal, is_valid_utf8, utf8_prefix_length: what a service or a
// user chose, made safe to show and to cut.
#include "daemonkit/text_escape.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using daemonkit::escape_for_terminal;
using daemonkit::is_valid_utf8;
using daemonkit::utf8_prefix_length;

TEST(escape_for_terminal, keeps_printable_ascii_and_valid_utf8) {
  EXPECT_EQ(escape_for_terminal(""), "");
  EXPECT_EQ(escape_for_terminal("listening on :80 (5 workers)"), "listening on :80 (5 workers)");
  EXPECT_EQ(escape_for_terminal("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad");
}

TEST(escape_for_terminal, names_the_common_controls_as_c_does) {
  EXPECT_EQ(escape_for_terminal("a\ab\bc\td\ne\vf\fg\rh"), "a\\ab\\bc\\td\\ne\\vf\\fg\\rh");
  EXPECT_EQ(escape_for_terminal("back\\slash"), "back\\\\slash");
}

TEST(escape_for_terminal, shows_other_controls_and_bytes_that_are_not_utf8_in_hex) {
  EXPECT_EQ(escape_for_terminal("\x1b]52;c;aGk=\x07"), "\\x1b]52;c;aGk=\\a");
  EXPECT_EQ(escape_for_terminal(std::string("\0\x01\x1f\x7f", 4)), "\\x00\\x01\\x1f\\x7f");
  EXPECT_EQ(escape_for_terminal("caf\xe9"), "caf\\xe9");
  EXPECT_EQ(escape_for_terminal("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_for_terminal("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(escape_for_terminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(escape_for_terminal("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(escape_for_terminal("\xe2\x82"), "\\xe2\\x82");                    // cut short
  EXPECT_EQ(escape_for_terminal("\xe2\x82x"), "\\xe2\\x82x");
}

TEST(escape_for_terminal, shows_c1_and_bidirectional_controls_in_hex) {
  EXPECT_EQ(escape_for_terminal("\xc2\x9b"
                                "31m"),
            "\\xc2\\x9b31m");                                             // CSI, U+009B
  EXPECT_EQ(escape_for_terminal("a\xe2\x80\xaet"), "a\\xe2\\x80\\xaet");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(escape_for_terminal("\xe2\x81\xa6x"), "\\xe2\\x81\\xa6x");    // LEFT-TO-RIGHT ISOLATE
  EXPECT_EQ(escape_for_terminal("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");      // LINE SEPARATOR
}

TEST(escape_for_terminal, output_is_utf8_without_controls_and_distinct_inputs_stay_distinct) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  const std::string shown = escape_for_terminal(every_byte);
  EXPECT_TRUE(is_valid_utf8(shown));
  for (char c : shown) {
    auto b = static_cast<unsigned char>(c);
    EXPECT_TRUE(b >= 0x20 && b != 0x7f) << "control byte " << static_cast<int>(b) << " in " << shown;
  }
  // A text that spells an escape is not shown like the byte it spells.
  EXPECT_NE(escape_for_terminal("\\x1b"), escape_for_terminal("\x1b"));
  EXPECT_NE(escape_for_terminal("\\n"), escape_for_terminal("\n"));
}

TEST(display_width, counts_code_points) {
  EXPECT_EQ(daemonkit::display_width(""), 0U);
  EXPECT_EQ(daemonkit::display_width("abc"), 3U);
  EXPECT_EQ(daemonkit::display_width("caf\xc3\xa9"), 4U);
  EXPECT_EQ(daemonkit::display_width("\xe2\x80\xa6"), 1U);
}

TEST(is_valid_utf8, accepts_rfc_3629_and_nothing_else) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8(std::string("nul\0inside", 10)));
  EXPECT_TRUE(is_valid_utf8("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));
  for (const char* bad :
       {"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\x80",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3", "\xe2\x82", "\xc3\x28", "caf\xe9"}) {
    EXPECT_FALSE(is_valid_utf8(bad)) << escape_for_terminal(bad);
  }
}

TEST(utf8_prefix_length, never_cuts_inside_a_character) {
  const std::string text = "ab\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // a b é € 😀: 1 1 2 3 4 bytes
  EXPECT_EQ(utf8_prefix_length(text, 0), 0U);
  EXPECT_EQ(utf8_prefix_length(text, 2), 2U);
  EXPECT_EQ(utf8_prefix_length(text, 3), 2U);
  EXPECT_EQ(utf8_prefix_length(text, 4), 4U);
  EXPECT_EQ(utf8_prefix_length(text, 5), 4U);
  EXPECT_EQ(utf8_prefix_length(text, 6), 4U);
  EXPECT_EQ(utf8_prefix_length(text, 7), 7U);
  EXPECT_EQ(utf8_prefix_length(text, 10), 7U);
  EXPECT_EQ(utf8_prefix_length(text, 11), 11U);
  EXPECT_EQ(utf8_prefix_length(text, 1000), 11U);
  // Bytes that are not UTF-8 count one by one.
  EXPECT_EQ(utf8_prefix_length("\xff\xfe\xfd", 2), 2U);
  EXPECT_EQ(utf8_prefix_length("a\xe2\x82", 2), 2U);
}

}  // namespace
