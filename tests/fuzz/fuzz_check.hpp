// SPDX-License-Identifier: MIT
// Property checks for the fuzz targets.
//
// A fuzz target asserts what must hold for every input, not only that the
// parser does not crash. DAEMONKIT_FUZZ_CHECK stays on in every build type
// (unlike assert) and aborts, which libFuzzer reports as a crash and saves the
// input as an artifact.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace daemonkit::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what) {
  std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n", file, line, what);
  std::abort();
}

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

// ASCII-only case changes: the parsers compare ASCII letters case-blind and
// must treat every other byte the same whatever the case of the letters.
inline std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace daemonkit::fuzz

#define DAEMONKIT_FUZZ_CHECK(cond) ((cond) ? static_cast<void>(0) : ::daemonkit::fuzz::fail(__FILE__, __LINE__, #cond))
