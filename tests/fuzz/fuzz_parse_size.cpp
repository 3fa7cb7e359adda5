// parse_size: --log-max-size, --rlimit-style byte counts.
#include <cstddef>
#include <cstdint>
#include <string>

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

  // A value given with a unit is a whole multiple of that unit.
  if (!text.empty()) {
    const char unit = static_cast<char>(text.back() == 'b' || text.back() == 'B'
                                            ? (text.size() >= 2 ? text[text.size() - 2] : 'b')
                                            : text.back());
    std::uint64_t scale = 1;
    switch (unit) {
      case 'k': case 'K': scale = 1ULL << 10; break;
      case 'm': case 'M': scale = 1ULL << 20; break;
      case 'g': case 'G': scale = 1ULL << 30; break;
      case 't': case 'T': scale = 1ULL << 40; break;
      default: break;
    }
    DAEMONKIT_FUZZ_CHECK(*n % scale == 0);
    if (scale == 1ULL << 10) {
      auto kib = daemonkit::parse_size(std::to_string(*n >> 10) + "K");
      DAEMONKIT_FUZZ_CHECK(kib && *kib == *n);
    }
  }
  return 0;
}
