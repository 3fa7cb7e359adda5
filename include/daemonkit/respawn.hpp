// Respawn policy: when to restart a service that exited, and after how long.
//
// Pure arithmetic, no processes: the monitor feeds it exits and asks for the
// delay. A service that ran at least reset_after is restarted at once and its
// backoff starts over; quicker exits back off exponentially from
// initial_delay up to max_delay. More than limit starts within window gives up.
#pragma once

#include <chrono>
#include <deque>
#include <optional>

#include "daemonkit/exit_status.hpp"

namespace daemonkit {

enum class respawn_mode { never, always, on_failure };

struct respawn_policy {
  respawn_mode mode = respawn_mode::never;
  std::chrono::milliseconds initial_delay{100};
  std::chrono::milliseconds max_delay{30000};
  std::chrono::milliseconds reset_after{10000};  // a run this long counts as healthy
  unsigned limit = 0;                            // 0: no limit
  std::chrono::milliseconds window{60000};
};

class respawn_tracker {
 public:
  using clock = std::chrono::steady_clock;
  explicit respawn_tracker(respawn_policy p) : policy_(p) {}

  // Records a start at `now`.
  void started(clock::time_point now);
  // Decides after an exit: nullopt = do not restart (policy says no, or it
  // gave up: see gave_up()); otherwise the delay before the next start.
  // `stopping` is true when the exit was requested (never restarted).
  std::optional<std::chrono::milliseconds> on_exit(const exit_status& st, clock::time_point now);
  bool gave_up() const noexcept { return gave_up_; }
  unsigned restarts() const noexcept { return restarts_; }

 private:
  respawn_policy policy_;
  std::deque<clock::time_point> starts_;
  clock::time_point last_start_{};
  unsigned consecutive_fast_ = 0;
  unsigned restarts_ = 0;
  unsigned started_count_ = 0;
  bool gave_up_ = false;
};

}  // namespace daemonkit
