// SPDX-License-Identifier: MIT
// parse_duration and format_duration: --timeout, --interval, --retry values and
// durations read back from stored service options.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/units.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using daemonkit::fuzz::ascii_upper;
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto d = daemonkit::parse_duration(text);

  // Units are case-blind: the same answer whatever the case of the letters.
  auto upper = daemonkit::parse_duration(ascii_upper(text));
  DAEMONKIT_FUZZ_CHECK(upper.has_value() == d.has_value());
  if (!d) {
    DAEMONKIT_FUZZ_CHECK(d.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  DAEMONKIT_FUZZ_CHECK(*upper == *d);

  const auto ms = d->count();
  DAEMONKIT_FUZZ_CHECK(ms >= 0);                        // negative durations are rejected
  DAEMONKIT_FUZZ_CHECK(ms <= 9'200'000'000'000'000LL);  // the documented cap

  // Stable: the value written back in milliseconds parses to the same value.
  auto again = daemonkit::parse_duration(std::to_string(ms) + "ms");
  DAEMONKIT_FUZZ_CHECK(again && *again == *d);
  if (ms % 1000 == 0) {
    auto secs = daemonkit::parse_duration(std::to_string(ms / 1000));
    DAEMONKIT_FUZZ_CHECK(secs && *secs == *d);
  }

  // The human form is non-empty and ends in a unit.
  const std::string shown = daemonkit::format_duration(*d);
  DAEMONKIT_FUZZ_CHECK(!shown.empty());
  DAEMONKIT_FUZZ_CHECK(shown.back() == 's' || shown.back() == 'm' || shown.back() == 'h' || shown.back() == 'd');
  return 0;
}
