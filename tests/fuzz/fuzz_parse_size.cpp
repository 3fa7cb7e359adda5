// SPDX-License-Identifier: MIT
// parse_size: --log-max-size, --rlimit-style byte counts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemonkit/units.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using daemonkit::fuzz::ascii_lower;
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto n = daemonkit::parse_size(text);

  // Units are case-blind.
  auto lower = daemonkit::parse_size(ascii_lower(text));
  DAEMONKIT_FUZZ_CHECK(lower.has_value() == n.has_value());
  if (!n) {
    DAEMONKIT_FUZZ_CHECK(n.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  DAEMONKIT_FUZZ_CHECK(*lower == *n);

  // A plain byte count round-trips (no silent wrap-around on overflow).
  auto bytes = daemonkit::parse_size(std::to_string(*n));
  DAEMONKIT_FUZZ_CHECK(bytes && *bytes == *n);

  // A value given with a unit is a whole multiple of that unit ("10K",
  // "10KB" and "10KiB" all end in the unit letter once "b"/"ib" is dropped).
  std::string_view unit = text;
  if (!unit.empty() && (unit.back() == 'b' || unit.back() == 'B')) unit.remove_suffix(1);
  if (!unit.empty() && (unit.back() == 'i' || unit.back() == 'I')) unit.remove_suffix(1);
  std::uint64_t scale = 1;
  if (!unit.empty()) {
    const char u = daemonkit::fuzz::ascii_lower(unit.substr(unit.size() - 1))[0];
    scale = u == 'k' ? 1ULL << 10 : u == 'm' ? 1ULL << 20 : u == 'g' ? 1ULL << 30 : u == 't' ? 1ULL << 40 : 1;
  }
  DAEMONKIT_FUZZ_CHECK(*n % scale == 0);
  if (scale == 1ULL << 10) {
    auto kib = daemonkit::parse_size(std::to_string(*n >> 10) + "K");
    DAEMONKIT_FUZZ_CHECK(kib && *kib == *n);
  }
  return 0;
}
