// SPDX-License-Identifier: MIT
// Text as Python sees it (import_text.hpp).
#include "import_text.hpp"

#include "daemonkit/text_escape.hpp"

namespace dk::import_detail {

// How many bytes the character at s[i] takes: its UTF-8 sequence, or 1 for
// a byte that starts none (Python reads the config as text: one character
// is one code point).
size_t char_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  if (n == 1 || i + n > s.size() || !daemonkit::is_valid_utf8(s.substr(i, n))) return 1;
  return n;
}

// The code point of the valid UTF-8 sequence of n bytes at p.
unsigned code_point(const char* p, size_t n) {
  auto b = [&](size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(p[i])); };
  if (n == 1) return b(0);
  if (n == 2) return ((b(0) & 0x1fU) << 6) | (b(1) & 0x3fU);
  if (n == 3) return ((b(0) & 0x0fU) << 12) | ((b(1) & 0x3fU) << 6) | (b(2) & 0x3fU);
  return ((b(0) & 0x07U) << 18) | ((b(1) & 0x3fU) << 12) | ((b(2) & 0x3fU) << 6) | (b(3) & 0x3fU);
}

// How many bytes the character at s[i] takes when it is whitespace to
// Python (str.isspace(), which configparser's strip() and \s follow:
// supervisord reads its config as text), else 0.
size_t space_at(std::string_view s, size_t i) {
  size_t n = char_length(s, i);
  auto first = static_cast<unsigned char>(s[i]);
  if (n == 1 && first >= 0x80) return 0;
  unsigned cp = code_point(s.data() + i, n);
  bool space = cp == ' ' || (cp >= '\t' && cp <= '\r') || (cp >= 0x1c && cp <= 0x1f) || cp == 0x85 || cp == 0xa0 ||
               cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
               cp == 0x205f || cp == 0x3000;
  return space ? n : 0;
}

// The same for the character that ends at s[end].
size_t space_before(std::string_view s, size_t end) {
  for (size_t n = 1; n <= 4 && n <= end; ++n) {
    auto c = static_cast<unsigned char>(s[end - n]);
    if (c >= 0x80 && c < 0xc0) continue;  // inside a sequence: look further back
    return char_length(s, end - n) == n ? space_at(s, end - n) : 0;
  }
  return 0;
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && space_at(s, 0) != 0) s.remove_prefix(space_at(s, 0));
  while (!s.empty() && space_before(s, s.size()) != 0) s.remove_suffix(space_before(s, s.size()));
  return s;
}

std::string_view rstrip(std::string_view s) {
  while (!s.empty() && space_before(s, s.size()) != 0) s.remove_suffix(space_before(s, s.size()));
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Lines as Python's universal newlines split them: \n, \r\n and \r.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// Python's int(): surrounding whitespace, a sign, digits with single
// underscores between them.
std::optional<long long> py_int(std::string_view s) {
  s = strip(s);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '_' || s.back() == '_') return std::nullopt;
  long long v = 0;
  char prev = '0';
  for (char c : s) {
    if (c == '_') {
      if (prev == '_') return std::nullopt;
    } else if (c >= '0' && c <= '9') {
      if (v > (9'000'000'000'000'000'000LL - (c - '0')) / 10) return std::nullopt;
      v = v * 10 + (c - '0');
    } else {
      return std::nullopt;
    }
    prev = c;
  }
  return negative ? -v : v;
}

// supervisord's boolean(): yes/true/on/1 and no/false/off/0, any case.
std::optional<bool> py_bool(std::string_view s) {
  std::string v = lower(strip(s));
  if (v == "yes" || v == "true" || v == "on" || v == "1") return true;
  if (v == "no" || v == "false" || v == "off" || v == "0") return false;
  return std::nullopt;
}

}  // namespace dk::import_detail
