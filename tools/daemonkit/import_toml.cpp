// SPDX-License-Identifier: MIT
// The TOML that `daemonkit import` writes, and its service names
// (import_toml.hpp).
#include "import_toml.hpp"

#include <algorithm>
#include <cstdio>

#include "daemonkit/text_escape.hpp"
#include "import_text.hpp"

namespace dk::import_detail {

namespace {

// Code points that TOML requires escaped (C0, DEL), and those that would
// drive or reorder the terminal showing the file (C1, bidirectional
// controls, line and paragraph separators): written as \uXXXX.
bool needs_escape(unsigned cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

// s as a TOML basic string; nullopt when s is not UTF-8 (TOML holds text
// only).
std::optional<std::string> toml_string(std::string_view s) {
  if (!daemonkit::is_valid_utf8(s)) return std::nullopt;
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t n = char_length(s, i);
    unsigned cp = code_point(s.data() + i, n);
    if (cp == '"') {
      out += "\\\"";
    } else if (cp == '\\') {
      out += "\\\\";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (needs_escape(cp)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "\\u%04X", cp);
      out += hex;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
  return out;
}

// A key: bare when it can be, else quoted.
std::optional<std::string> toml_key(std::string_view k) {
  bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  if (bare) return std::string(k);
  return toml_string(k);
}

// Text for a comment: one line, valid UTF-8, nothing that drives a terminal.
std::string comment(std::string_view text) { return "# " + daemonkit::escape_for_terminal(text); }

// "50M", "10K", or the bytes as a TOML integer.
std::string toml_size(long long bytes) {
  constexpr long long k = 1024;
  if (bytes % (k * k * k) == 0) return "\"" + std::to_string(bytes / (k * k * k)) + "G\"";
  if (bytes % (k * k) == 0) return "\"" + std::to_string(bytes / (k * k)) + "M\"";
  if (bytes % k == 0) return "\"" + std::to_string(bytes / k) + "K\"";
  return std::to_string(bytes);
}

// ---------------------------------------------------------------- names

// 1-64 of A-Za-z0-9._-, not starting with '.': a daemonkit name without '@'
// (which names instances). Every other character becomes '-'.
std::string daemonkit_name(std::string_view wanted) {
  std::string out;
  for (size_t i = 0; i < wanted.size();) {
    char c = wanted[i];
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out += ok ? c : '-';
    i += char_length(wanted, i);
  }
  if (out.empty()) out = "service";
  if (out[0] == '.') out[0] = '-';
  if (out.size() > 64) out.resize(64);
  return out;
}

// A name no other service has: NAME, else NAME-2, NAME-3, ...
std::string unique_name(const std::string& name, const std::set<std::string>& taken) {
  if (taken.count(name) == 0) return name;
  for (int n = 2;; ++n) {
    std::string suffix = "-" + std::to_string(n);
    std::string candidate = name.substr(0, 64 - suffix.size()) + suffix;
    if (taken.count(candidate) == 0) return candidate;
  }
}

}  // namespace dk::import_detail
