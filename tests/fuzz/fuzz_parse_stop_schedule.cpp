// SPDX-License-Identifier: MIT
// parse_stop_schedule: --retry SIGNAL/TIMEOUT/... (start-stop-daemon's form).
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/signal_name.hpp"
#include "daemonkit/stop_policy.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto policy = daemonkit::parse_stop_schedule(text);
  if (!policy) {
    DAEMONKIT_FUZZ_CHECK(policy.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  const auto& steps = policy->steps;
  // A schedule that does nothing would make stop return at once.
  DAEMONKIT_FUZZ_CHECK(!steps.empty());
  // No more steps than the text has room for ("S/1" per step, '/'-joined).
  DAEMONKIT_FUZZ_CHECK(steps.size() <= text.size() / 3 + 2);
  for (const auto& step : steps) {
    DAEMONKIT_FUZZ_CHECK(step.signal >= 1 && step.signal < NSIG);
    DAEMONKIT_FUZZ_CHECK(step.wait.count() >= 0);
  }
  if (text.find('/') == std::string_view::npos) {
    // A bare timeout means TERM/timeout/KILL/5.
    DAEMONKIT_FUZZ_CHECK(steps.size() == 2);
    DAEMONKIT_FUZZ_CHECK(steps[0].signal == SIGTERM && steps[1].signal == SIGKILL);
    DAEMONKIT_FUZZ_CHECK(steps[1].wait == std::chrono::seconds(5));
  }

  // Stable: written back as NAME/Nms/... it parses to the same schedule.
  std::string again_text;
  for (const auto& step : steps) {
    if (!again_text.empty()) again_text += '/';
    again_text += daemonkit::signal_name(step.signal) + "/" + std::to_string(step.wait.count()) + "ms";
  }
  auto again = daemonkit::parse_stop_schedule(again_text);
  DAEMONKIT_FUZZ_CHECK(again.has_value());
  DAEMONKIT_FUZZ_CHECK(again->steps.size() == steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    DAEMONKIT_FUZZ_CHECK(again->steps[i].signal == steps[i].signal);
    DAEMONKIT_FUZZ_CHECK(again->steps[i].wait == steps[i].wait);
  }
  return 0;
}
