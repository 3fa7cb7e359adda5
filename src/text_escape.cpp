// SPDX-License-Identifier: MIT
#include "daemonkit/text_escape.hpp"

#include <cstdint>

namespace daemonkit {

namespace {

// The length (1-4) of the well-formed UTF-8 sequence at the start of s, with
// its code point in cp; 0 when s does not start with one.
std::size_t decode_utf8(std::string_view s, char32_t& cp) noexcept {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
    cp = b0 & 0x1fU;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    cp = b0 & 0x0fU;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    cp = b0 & 0x07U;
    min = 0x10000;
  } else {
    return 0;  // a continuation byte, C0/C1 (overlong lead) or F5-FF
  }
  if (s.size() < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xc0U) != 0x80) return 0;
    cp = (cp << 6U) | (b & 0x3fU);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

// Code points that change how the rest of a line is displayed: C1 controls,
// line and paragraph separators, bidirectional embeddings, overrides and
// isolates (the "Trojan Source" characters).
bool reorders_or_controls(char32_t cp) noexcept {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void append_hex(std::string& out, unsigned char b) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\x";
  out += digits[b >> 4U];
  out += digits[b & 0x0fU];
}

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
  while (!text.empty()) {
    char32_t cp = 0;
    std::size_t n = decode_utf8(text, cp);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    char32_t cp = 0;
    std::size_t n = decode_utf8(text, cp);
    if (n == 0) {
      append_hex(out, static_cast<unsigned char>(text[0]));  // not UTF-8: show the byte
      text.remove_prefix(1);
      continue;
    }
    if (n == 1) {
      const char c = text[0];
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\v': out += "\\v"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
          if (cp < 0x20 || cp == 0x7f) append_hex(out, static_cast<unsigned char>(c));
          else out += c;
      }
    } else if (reorders_or_controls(cp)) {
      for (std::size_t i = 0; i < n; ++i) append_hex(out, static_cast<unsigned char>(text[i]));
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

std::size_t display_width(std::string_view escaped) noexcept {
  std::size_t w = 0;
  for (char c : escaped) {
    if ((static_cast<unsigned char>(c) & 0xc0U) != 0x80) ++w;
  }
  return w;
}

std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes) noexcept {
  std::size_t at = 0;
  while (at < text.size()) {
    char32_t cp = 0;
    std::size_t n = decode_utf8(text.substr(at), cp);
    if (n == 0) n = 1;
    if (at + n > max_bytes) break;
    at += n;
  }
  return at;
}

}  // namespace daemonkit
