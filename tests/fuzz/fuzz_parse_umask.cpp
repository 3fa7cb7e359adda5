// SPDX-License-Identifier: MIT
// parse_umask: --umask.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "daemonkit/units.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto mask = daemonkit::parse_umask(text);
  if (!mask) {
    DAEMONKIT_FUZZ_CHECK(mask.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  // Only permission bits: never setuid/setgid/sticky, never a file type.
  DAEMONKIT_FUZZ_CHECK(*mask <= 0777);
  // Accepted text is 1 to 4 octal digits, nothing else (no sign, no space).
  DAEMONKIT_FUZZ_CHECK(!text.empty() && text.size() <= 4);
  for (char c : text) DAEMONKIT_FUZZ_CHECK(c >= '0' && c <= '7');

  // Written back in octal, it parses to the same mask.
  char buf[8];
  const int len = std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(*mask));
  DAEMONKIT_FUZZ_CHECK(len == 4);
  auto again = daemonkit::parse_umask(std::string_view(buf, 4));
  DAEMONKIT_FUZZ_CHECK(again && *again == *mask);
  return 0;
}
