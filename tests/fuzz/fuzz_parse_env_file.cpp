// SPDX-License-Identifier: MIT
// parse_env_file: --env-file contents (built once include/daemonkit/env_file.hpp
// exists, see CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/env_file.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto env = daemonkit::parse_env_file(text);
  if (!env) return 0;
  for (const std::string& kv : *env) {
    // Every entry is NAME=VALUE with a non-empty name: what execve's envp needs.
    const auto eq = kv.find('=');
    DAEMONKIT_FUZZ_CHECK(eq != std::string::npos && eq > 0);
    // An envp string ends at its first NUL: a NUL inside would silently cut
    // the value short in the child.
    DAEMONKIT_FUZZ_CHECK(kv.find('\0') == std::string::npos);
    // One entry per line: a name never spans lines.
    DAEMONKIT_FUZZ_CHECK(kv.substr(0, eq).find('\n') == std::string::npos);
  }
  // Deterministic: the same text gives the same entries.
  auto again = daemonkit::parse_env_file(text);
  DAEMONKIT_FUZZ_CHECK(again && *again == *env);
  return 0;
}
