// SPDX-License-Identifier: MIT
/// \file
/// Respawn policy: when to restart a service that exited, and after how long.
///
/// Pure arithmetic, no processes: the monitor feeds it starts and exits with
/// the time it saw them, and asks for the delay. The rule is the one of
/// supervisord's startsecs, PM2's min_uptime and runit/s6's 1 s: an instance
/// that ran at least min_uptime is restarted at once, and its backoff starts
/// over; an instance that died sooner backs off, initial_delay the first time,
/// doubling each time after, up to max_delay. More than limit starts within
/// window gives up, however long the runs were.
#pragma once

#include <chrono>
#include <deque>
#include <optional>

#include "daemonkit/exit_status.hpp"
#include "daemonkit/export.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// Which exits restart a service.
enum class respawn_mode {
  never,      ///< none
  always,     ///< every exit the service made on its own
  on_failure  ///< an exit that is not a success (exit_status::success())
};

/// When and how fast to restart. Any duration from 0 up to
/// milliseconds::max() is accepted: one longer than
/// the steady clock can measure (about 292 years) is never reached.
struct respawn_policy {
  respawn_mode mode = respawn_mode::never;  ///< which exits restart
  /// The first backoff, after a run shorter than min_uptime; doubled after
  /// each further one in a row. 0: quick exits restart at once too.
  std::chrono::milliseconds initial_delay{100};
  /// The backoff never grows past this (a max_delay below initial_delay is
  /// the delay of every quick exit).
  std::chrono::milliseconds max_delay{30000};
  /// A run at least this long (start to exit) was a good one: the next
  /// instance starts at once (delay 0) and the backoff starts over. 0: every
  /// exit restarts at once, and a crash loop is bounded by limit alone (with
  /// no limit, it never ends).
  std::chrono::milliseconds min_uptime{1000};
  unsigned limit = 0;                       ///< give up when limit starts fall within window; 0: no limit
  std::chrono::milliseconds window{60000};  ///< the span limit counts starts in
};

/// The respawn decisions for one service under a respawn_policy.
class respawn_tracker {
 public:
  /// The clock of every time point passed in.
  using clock = std::chrono::steady_clock;
  /// A tracker with no starts yet.
  explicit respawn_tracker(respawn_policy p) : policy_(p) {}

  /// Records a start at `now` (an instance that could not even be spawned
  /// counts too: it is a start that exited at once).
  void started(clock::time_point now);
  /// Decides after an exit at `now`: nullopt = do not restart (the mode says
  /// no, or it gave up: see gave_up()); otherwise the delay before the next
  /// start: 0 after a run of at least min_uptime, else the backoff. Only exits
  /// the service made on its own come here: a stop that was asked for never
  /// restarts it (the monitor's machine decides that).
  std::optional<std::chrono::milliseconds> on_exit(const exit_status& st, clock::time_point now);
  /// True once on_exit() gave up (too many starts within the window).
  bool gave_up() const noexcept { return gave_up_; }
  /// Starts after the first one.
  unsigned restarts() const noexcept { return restarts_; }

 private:
  respawn_policy policy_;
  std::deque<clock::time_point> starts_;
  clock::time_point last_start_{};
  unsigned consecutive_fast_ = 0;  // quick exits since the last good run
  unsigned restarts_ = 0;
  unsigned started_count_ = 0;
  bool gave_up_ = false;
};

}  // namespace daemonkit
DAEMONKIT_API_END
