// SPDX-License-Identifier: MIT
/// \file
/// Text that a service or a user chose, made safe to store and to show.
///
/// A service picks its STATUS= text, its command line and its output; a user
/// picks names, paths and option values. None of it may drive the terminal of
/// the operator reading `status` (OSC 52 clipboard writes, a CR that overwrites
/// the line with a fake one) or break a reader that expects UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "daemonkit/export.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// True when text is well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF). The empty string is valid.
bool is_valid_utf8(std::string_view text) noexcept;

/// text for a terminal, as systemctl shows it: `\a` `\b` `\t` `\n` `\v` `\f`
/// `\r` and `\\` for those bytes, `\xNN` for every other control character
/// (C0, DEL, C1 as their UTF-8 bytes), for the Unicode bidirectional controls
/// and line/paragraph separators (which reorder or break what the reader sees)
/// and for each byte that is not part of a well-formed UTF-8 sequence.
/// Printable ASCII and valid multi-byte UTF-8 are kept as they are. The result
/// is valid UTF-8 without control characters, and distinct texts stay distinct.
std::string escape_for_terminal(std::string_view text);

/// How many columns escape_for_terminal's output takes, counting one per code
/// point (no East Asian wide characters), for aligning tables.
std::size_t display_width(std::string_view escaped) noexcept;

/// The length of the longest prefix of text that is at most max_bytes long and
/// does not end inside a well-formed UTF-8 sequence (a stray byte of an
/// ill-formed one counts as a character of its own).
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes) noexcept;

}  // namespace daemonkit
DAEMONKIT_API_END
