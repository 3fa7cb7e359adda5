// SPDX-License-Identifier: MIT
// parse_signal and signal_name: --signal, --stop-signal, --retry steps and the
// signal names stored in service state.
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/signal_name.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using daemonkit::fuzz::ascii_lower;
  using daemonkit::fuzz::ascii_upper;
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto sig = daemonkit::parse_signal(text);

  // Names are case-blind.
  auto upper = daemonkit::parse_signal(ascii_upper(text));
  auto lower = daemonkit::parse_signal(ascii_lower(text));
  DAEMONKIT_FUZZ_CHECK(upper.has_value() == sig.has_value());
  DAEMONKIT_FUZZ_CHECK(lower.has_value() == sig.has_value());
  if (!sig) {
    DAEMONKIT_FUZZ_CHECK(sig.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  DAEMONKIT_FUZZ_CHECK(*upper == *sig && *lower == *sig);

  // A signal this system has: never 0 (kill(pid, 0) sends nothing), never
  // negative, never past the last real-time signal.
  DAEMONKIT_FUZZ_CHECK(*sig >= 1 && *sig < NSIG);
  DAEMONKIT_FUZZ_CHECK(*sig <= SIGRTMAX);

  // Round trips through its name and its number.
  const std::string name = daemonkit::signal_name(*sig);
  auto by_name = daemonkit::parse_signal(name);
  DAEMONKIT_FUZZ_CHECK(by_name && *by_name == *sig);
  auto with_prefix = daemonkit::parse_signal("SIG" + name);
  DAEMONKIT_FUZZ_CHECK(!with_prefix || *with_prefix == *sig);
  auto by_number = daemonkit::parse_signal(std::to_string(*sig));
  DAEMONKIT_FUZZ_CHECK(by_number && *by_number == *sig);
  return 0;
}
