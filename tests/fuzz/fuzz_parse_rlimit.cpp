// SPDX-License-Identifier: MIT
// parse_rlimit: --rlimit NAME=SOFT[:HARD].
#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/spawn.hpp"
#include "fuzz_check.hpp"

namespace {
std::string limit_text(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto lim = daemonkit::parse_rlimit(text);
  if (!lim) {
    DAEMONKIT_FUZZ_CHECK(lim.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  // A resource setrlimit knows.
  DAEMONKIT_FUZZ_CHECK(lim->resource >= 0 && lim->resource < RLIM_NLIMITS);
  // Never a soft limit above the hard one (setrlimit would fail with EINVAL
  // in the child, after the fork, instead of a usage error now).
  const rlim_t cur = lim->value.rlim_cur, max = lim->value.rlim_max;
  DAEMONKIT_FUZZ_CHECK(max == RLIM_INFINITY || (cur != RLIM_INFINITY && cur <= max));

  // Written back as NAME=SOFT:HARD, it parses to the same limit.
  const auto eq = text.find('=');
  DAEMONKIT_FUZZ_CHECK(eq != std::string_view::npos);
  const std::string again_text = std::string(text.substr(0, eq)) + "=" + limit_text(cur) + ":" + limit_text(max);
  auto again = daemonkit::parse_rlimit(again_text);
  DAEMONKIT_FUZZ_CHECK(again.has_value());
  DAEMONKIT_FUZZ_CHECK(again->resource == lim->resource);
  DAEMONKIT_FUZZ_CHECK(again->value.rlim_cur == cur && again->value.rlim_max == max);
  // format_rlimit (what NAME.json stores) reads back as the same limit.
  auto stored = daemonkit::parse_rlimit(daemonkit::format_rlimit(*lim));
  DAEMONKIT_FUZZ_CHECK(stored.has_value() && *stored == *lim);
  return 0;
}
