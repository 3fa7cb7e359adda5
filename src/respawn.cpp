#include "daemonkit/respawn.hpp"

#include <algorithm>

namespace daemonkit {

void respawn_tracker::started(clock::time_point now) {
  if (started_count_++ > 0) ++restarts_;
  last_start_ = now;
  starts_.push_back(now);
  while (!starts_.empty() && now - starts_.front() > policy_.window) starts_.pop_front();
}

std::optional<std::chrono::milliseconds> respawn_tracker::on_exit(const exit_status& st, clock::time_point now) {
  switch (policy_.mode) {
    case respawn_mode::never: return std::nullopt;
    case respawn_mode::on_failure:
      if (st.success()) return std::nullopt;
      break;
    case respawn_mode::always: break;
  }
  while (!starts_.empty() && now - starts_.front() > policy_.window) starts_.pop_front();
  if (policy_.limit > 0 && starts_.size() >= policy_.limit) {
    gave_up_ = true;
    return std::nullopt;
  }
  if (now - last_start_ >= policy_.reset_after) {
    consecutive_fast_ = 0;
    return std::chrono::milliseconds(0);
  }
  // 100ms, 200ms, 400ms, ... doubling stops at the cap, so it cannot overflow.
  auto delay = policy_.initial_delay;
  for (unsigned i = 0; i < consecutive_fast_ && delay < policy_.max_delay; ++i) delay *= 2;
  ++consecutive_fast_;
  return std::min(delay, policy_.max_delay);
}

}  // namespace daemonkit
