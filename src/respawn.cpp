// SPDX-License-Identifier: MIT
#include "daemonkit/respawn.hpp"

#include <algorithm>

namespace daemonkit {

namespace {

using std::chrono::milliseconds;
using clock = respawn_tracker::clock;

// d in the clock's own unit (nanoseconds), saturating: a policy may hold any
// milliseconds, and converting one longer than about 292 years would
// overflow; the clock never measures that long anyway.
clock::duration in_clock_units(milliseconds d) {
  constexpr auto most = std::chrono::duration_cast<milliseconds>(clock::duration::max());
  constexpr auto least = std::chrono::duration_cast<milliseconds>(clock::duration::min());
  if (d > most) return clock::duration::max();
  if (d < least) return clock::duration::min();
  return d;
}

// After this many quick exits in a row even a 1 ms delay has doubled past
// any max_delay: counting on would change nothing but the loop's length.
constexpr unsigned max_doublings = 64;

}  // namespace

void respawn_tracker::started(clock::time_point now) {
  if (started_count_++ > 0) ++restarts_;
  last_start_ = now;
  starts_.push_back(now);
  while (!starts_.empty() && now - starts_.front() > in_clock_units(policy_.window)) starts_.pop_front();
}

std::optional<milliseconds> respawn_tracker::on_exit(const exit_status& st, clock::time_point now) {
  switch (policy_.mode) {
    case respawn_mode::never: return std::nullopt;
    case respawn_mode::on_failure:
      if (st.success()) return std::nullopt;
      break;
    case respawn_mode::always: break;
  }
  // The limit first: a good run restarts at once, but it still counts as a
  // start, so a service that keeps dying after min_uptime gives up too.
  while (!starts_.empty() && now - starts_.front() > in_clock_units(policy_.window)) starts_.pop_front();
  if (policy_.limit > 0 && starts_.size() >= policy_.limit) {
    gave_up_ = true;
    return std::nullopt;
  }
  if (now - last_start_ >= in_clock_units(policy_.min_uptime)) {
    consecutive_fast_ = 0;
    return milliseconds(0);
  }
  // initial_delay, doubled once for each quick exit before this one in a
  // row, never past max_delay (checked before doubling: no overflow).
  auto delay = policy_.initial_delay;
  for (unsigned i = 0; i < consecutive_fast_ && delay < policy_.max_delay && delay.count() > 0; ++i) {
    delay = delay > policy_.max_delay / 2 ? policy_.max_delay : delay * 2;
  }
  if (consecutive_fast_ < max_doublings) ++consecutive_fast_;
  return std::min(delay, policy_.max_delay);
}

}  // namespace daemonkit
