// SPDX-License-Identifier: MIT
// Respawn decisions: mode, backoff, restarting at once after a run of
// min_uptime, the start limit.
// Pure arithmetic driven by explicit time points: no processes, no sleeps.
#include "daemonkit/respawn.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <vector>

namespace {

using daemonkit::exit_status;
using daemonkit::respawn_mode;
using daemonkit::respawn_policy;
using daemonkit::respawn_tracker;
using std::chrono::milliseconds;
using clock_type = respawn_tracker::clock;
using namespace std::chrono_literals;

// Far from the clock's epoch, so no test leans on a default time_point.
const clock_type::time_point t0 = clock_type::time_point{} + 1000h;

const exit_status clean{false, 0, false};
const exit_status failed{false, 1, false};

exit_status killed(int sig, bool core_dumped = false) { return {true, sig, core_dumped}; }

respawn_policy policy(respawn_mode mode) {
  respawn_policy p;
  p.mode = mode;
  return p;
}

// A service started at `start` that ends after `run` with `st`.
std::optional<milliseconds> run_once(respawn_tracker& t, clock_type::time_point start, milliseconds run,
                                     const exit_status& st = failed) {
  t.started(start);
  return t.on_exit(st, start + run);
}

// Starts, runs each of `runs` and restarts after the delay it is given, as
// the monitor does; returns the decisions (stopping at the first nullopt).
std::vector<std::optional<milliseconds>> run_cycles(respawn_tracker& t, const std::vector<milliseconds>& runs) {
  std::vector<std::optional<milliseconds>> decisions;
  auto now = t0;
  for (auto run : runs) {
    auto d = run_once(t, now, run);
    decisions.push_back(d);
    if (!d) break;
    now += run + *d;
  }
  return decisions;
}

// `n` quick (1 ms) runs back to back, restarting after each delay.
std::vector<std::optional<milliseconds>> quick_exits(respawn_tracker& t, size_t n) {
  return run_cycles(t, std::vector<milliseconds>(n, 1ms));
}

std::vector<std::optional<milliseconds>> delays(std::initializer_list<std::optional<milliseconds>> ds) { return ds; }

// --- modes -------------------------------------------------------------------

TEST(respawn_tracker, default_policy_never_restarts) {
  respawn_tracker t(respawn_policy{});
  EXPECT_EQ(run_once(t, t0, 1s, failed), std::nullopt);
  EXPECT_FALSE(t.gave_up());
}

TEST(respawn_tracker, never_ignores_how_it_ended) {
  for (const auto& st : {clean, failed, killed(SIGKILL), killed(SIGSEGV, true)}) {
    respawn_tracker t(policy(respawn_mode::never));
    EXPECT_EQ(run_once(t, t0, 1s, st), std::nullopt) << st.describe();
    EXPECT_EQ(run_once(t, t0 + 20s, 20s, st), std::nullopt) << st.describe();
    EXPECT_FALSE(t.gave_up()) << st.describe();
  }
}

TEST(respawn_tracker, never_does_not_give_up_even_past_the_limit) {
  auto p = policy(respawn_mode::never);
  p.limit = 1;
  respawn_tracker t(p);
  EXPECT_EQ(run_once(t, t0, 1ms), std::nullopt);
  EXPECT_FALSE(t.gave_up());
}

TEST(respawn_tracker, always_restarts_after_any_exit) {
  for (const auto& st :
       {clean, failed, exit_status{false, 255, false}, killed(SIGTERM), killed(SIGKILL), killed(SIGSEGV, true)}) {
    respawn_tracker t(policy(respawn_mode::always));
    EXPECT_EQ(run_once(t, t0, 500ms, st), 100ms) << st.describe();
    EXPECT_FALSE(t.gave_up()) << st.describe();
  }
}

TEST(respawn_tracker, on_failure_does_not_restart_after_exit_0) {
  respawn_tracker t(policy(respawn_mode::on_failure));
  EXPECT_EQ(run_once(t, t0, 1s, clean), std::nullopt);
  EXPECT_FALSE(t.gave_up());  // the policy said no: that is not giving up
}

TEST(respawn_tracker, on_failure_restarts_after_a_nonzero_exit_or_any_signal) {
  for (const auto& st :
       {failed, exit_status{false, 2, false}, exit_status{false, 126, false}, exit_status{false, 255, false},
        killed(SIGTERM), killed(SIGINT), killed(SIGHUP), killed(SIGKILL), killed(SIGABRT, true)}) {
    respawn_tracker t(policy(respawn_mode::on_failure));
    EXPECT_EQ(run_once(t, t0, 500ms, st), 100ms) << st.describe();
    EXPECT_FALSE(t.gave_up()) << st.describe();
  }
}

TEST(respawn_tracker, on_failure_clean_exit_after_failures_stops_restarting) {
  respawn_tracker t(policy(respawn_mode::on_failure));
  EXPECT_EQ(run_once(t, t0, 500ms, failed), 100ms);
  EXPECT_EQ(run_once(t, t0 + 2s, 500ms, killed(SIGTERM)), 200ms);
  EXPECT_EQ(run_once(t, t0 + 4s, 500ms, clean), std::nullopt);
  EXPECT_FALSE(t.gave_up());
}

// --- backoff -----------------------------------------------------------------

TEST(respawn_tracker, quick_exits_double_from_initial_delay_up_to_max_delay) {
  respawn_tracker t(policy(respawn_mode::always));  // 100 ms, doubling, cap 30 s
  EXPECT_EQ(quick_exits(t, 12),
            delays({100ms, 200ms, 400ms, 800ms, 1600ms, 3200ms, 6400ms, 12800ms, 25600ms, 30000ms, 30000ms, 30000ms}));
  EXPECT_FALSE(t.gave_up());
}

TEST(respawn_tracker, the_cap_cuts_a_doubling_short) {
  auto p = policy(respawn_mode::always);
  p.initial_delay = 100ms;
  p.max_delay = 250ms;
  respawn_tracker t(p);
  EXPECT_EQ(quick_exits(t, 5), delays({100ms, 200ms, 250ms, 250ms, 250ms}));
}

TEST(respawn_tracker, custom_initial_delay_doubles) {
  auto p = policy(respawn_mode::on_failure);
  p.initial_delay = 3s;
  p.max_delay = 20s;
  respawn_tracker t(p);
  EXPECT_EQ(quick_exits(t, 5), delays({3s, 6s, 12s, 20s, 20s}));
}

TEST(respawn_tracker, max_delay_equal_to_initial_is_a_constant_delay) {
  auto p = policy(respawn_mode::always);
  p.initial_delay = 500ms;
  p.max_delay = 500ms;
  respawn_tracker t(p);
  EXPECT_EQ(quick_exits(t, 4), delays({500ms, 500ms, 500ms, 500ms}));
}

TEST(respawn_tracker, max_delay_below_initial_wins) {
  auto p = policy(respawn_mode::always);
  p.initial_delay = 5s;
  p.max_delay = 2s;
  respawn_tracker t(p);
  EXPECT_EQ(quick_exits(t, 4), delays({2s, 2s, 2s, 2s}));
}

TEST(respawn_tracker, zero_initial_delay_restarts_at_once_every_time) {
  auto p = policy(respawn_mode::always);
  p.initial_delay = 0ms;
  respawn_tracker t(p);
  EXPECT_EQ(quick_exits(t, 4), delays({0ms, 0ms, 0ms, 0ms}));
}

// --- min_uptime: a good run restarts at once ----------------------------------

TEST(respawn_tracker, min_uptime_is_1s_by_default) {
  EXPECT_EQ(respawn_policy{}.min_uptime, 1s);
  EXPECT_EQ(respawn_policy{}.initial_delay, 100ms);
  EXPECT_EQ(respawn_policy{}.max_delay, 30s);
}

TEST(respawn_tracker, a_run_of_min_uptime_restarts_at_once) {
  respawn_tracker t(policy(respawn_mode::always));  // min_uptime 1 s
  EXPECT_EQ(run_once(t, t0, 1s), 0ms);
  EXPECT_EQ(run_once(t, t0 + 1s, 1h), 0ms);
}

TEST(respawn_tracker, a_run_just_short_of_min_uptime_backs_off) {
  respawn_tracker t(policy(respawn_mode::always));
  EXPECT_EQ(run_once(t, t0, 999ms), 100ms);
  // To the nanosecond: the clock's own unit, not rounded to milliseconds.
  t.started(t0 + 2s);
  EXPECT_EQ(t.on_exit(failed, t0 + 3s - std::chrono::nanoseconds(1)), 200ms);
}

// The bench that found it: up 1.5 s, then SIGKILL, again and again. Each
// instance had run long enough, yet the restarts took 113 ms, 213 ms ...
// 3,226 ms while the backoff only reset after 10 s up.
TEST(respawn_tracker, instances_that_keep_running_past_min_uptime_always_restart_at_once) {
  respawn_tracker t(policy(respawn_mode::always));
  EXPECT_EQ(run_cycles(t, std::vector<milliseconds>(8, 1500ms)), delays({0ms, 0ms, 0ms, 0ms, 0ms, 0ms, 0ms, 0ms}));
  EXPECT_EQ(t.restarts(), 7U);
}

TEST(respawn_tracker, a_good_run_starts_the_backoff_over) {
  respawn_tracker t(policy(respawn_mode::always));
  EXPECT_EQ(run_cycles(t, {500ms, 500ms, 500ms, 1s, 500ms, 500ms, 15s, 1ms}),
            delays({100ms, 200ms, 400ms, 0ms, 100ms, 200ms, 0ms, 100ms}));
}

TEST(respawn_tracker, min_uptime_is_measured_from_the_last_start) {
  auto p = policy(respawn_mode::always);
  p.min_uptime = 2s;
  respawn_tracker t(p);
  // Backoff delays are not run time: only start-to-exit counts.
  EXPECT_EQ(run_cycles(t, {1s, 1999ms, 2s, 1s}), delays({100ms, 200ms, 0ms, 100ms}));
}

TEST(respawn_tracker, a_good_run_also_clears_a_capped_backoff) {
  auto p = policy(respawn_mode::always);
  p.max_delay = 300ms;
  respawn_tracker t(p);
  EXPECT_EQ(run_cycles(t, {1ms, 1ms, 1ms, 1ms, 1s, 1ms}), delays({100ms, 200ms, 300ms, 300ms, 0ms, 100ms}));
}

TEST(respawn_tracker, on_failure_after_a_good_run_restarts_a_failure_at_once_and_not_a_clean_exit) {
  respawn_tracker t(policy(respawn_mode::on_failure));
  EXPECT_EQ(run_once(t, t0, 2s, killed(SIGKILL)), 0ms);
  EXPECT_EQ(run_once(t, t0 + 2s, 2s, failed), 0ms);
  EXPECT_EQ(run_once(t, t0 + 4s, 2s, clean), std::nullopt);
  EXPECT_FALSE(t.gave_up());
}

TEST(respawn_tracker, min_uptime_0_restarts_every_exit_at_once) {
  auto p = policy(respawn_mode::always);
  p.min_uptime = 0ms;
  respawn_tracker t(p);
  EXPECT_EQ(quick_exits(t, 5), delays({0ms, 0ms, 0ms, 0ms, 0ms}));
  // An instance that could not be spawned is a start that exited at once.
  t.started(t0 + 1s);
  EXPECT_EQ(t.on_exit(exit_status{false, 127, false}, t0 + 1s), 0ms);
}

// What bounds a crash loop when nothing backs off: the limit.
TEST(respawn_tracker, min_uptime_0_crash_loop_still_gives_up_at_the_limit) {
  auto p = policy(respawn_mode::always);
  p.min_uptime = 0ms;
  p.limit = 5;  // window 60 s
  respawn_tracker t(p);
  EXPECT_EQ(quick_exits(t, 10), delays({0ms, 0ms, 0ms, 0ms, std::nullopt}));
  EXPECT_TRUE(t.gave_up());
  EXPECT_EQ(t.restarts(), 4U);
}

TEST(respawn_tracker, max_delay_below_100ms_is_every_quick_exit_s_delay) {
  auto p = policy(respawn_mode::always);
  p.max_delay = 50ms;  // initial_delay stays 100 ms: the cap wins
  respawn_tracker t(p);
  EXPECT_EQ(quick_exits(t, 4), delays({50ms, 50ms, 50ms, 50ms}));
  p.max_delay = 0ms;
  respawn_tracker z(p);
  EXPECT_EQ(quick_exits(z, 3), delays({0ms, 0ms, 0ms}));
}

// Durations as long as milliseconds hold: no overflow (UBSan would say),
// and a min_uptime or window longer than the clock measures is never
// reached.
TEST(respawn_tracker, huge_durations_neither_overflow_nor_wrap) {
  auto p = policy(respawn_mode::always);
  p.min_uptime = milliseconds::max();
  p.max_delay = milliseconds::max();
  p.window = milliseconds::max();
  // Runs an hour apart, whatever the delay: no time point holds these.
  auto hourly = [](respawn_tracker& t, int n, milliseconds run) {
    std::vector<std::optional<milliseconds>> ds;
    for (int i = 0; i < n; ++i) ds.push_back(run_once(t, t0 + i * 1h, run));
    return ds;
  };
  respawn_tracker t(p);
  auto ds = hourly(t, 70, 59min);
  EXPECT_FALSE(t.gave_up());
  for (size_t i = 1; i < ds.size(); ++i) {
    ASSERT_TRUE(ds[i]);
    EXPECT_GE(*ds[i], *ds[i - 1]) << i;
  }
  EXPECT_EQ(ds.front(), 100ms);
  EXPECT_EQ(ds.back(), milliseconds::max()) << "doubled up to the cap, never past it";

  auto q = policy(respawn_mode::always);
  q.initial_delay = milliseconds::max() / 3 * 2;  // the next doubling would overflow
  q.max_delay = milliseconds::max();
  q.min_uptime = 9'000'000'000'000'000ms;  // the most NAME.json holds
  respawn_tracker u(q);
  EXPECT_EQ(hourly(u, 3, 59min), delays({q.initial_delay, milliseconds::max(), milliseconds::max()}));

  auto w = policy(respawn_mode::always);
  w.limit = 2;
  w.window = 9'000'000'000'000'000ms;
  respawn_tracker v(w);
  EXPECT_EQ(run_cycles(v, {1ms, 1ms}), delays({100ms, std::nullopt}));
  EXPECT_TRUE(v.gave_up());
}

// --- the start limit ----------------------------------------------------------

TEST(respawn_tracker, gives_up_after_limit_starts_within_the_window) {
  auto p = policy(respawn_mode::always);
  p.limit = 3;  // window 60 s
  respawn_tracker t(p);
  EXPECT_FALSE(t.gave_up());
  EXPECT_EQ(quick_exits(t, 5), delays({100ms, 200ms, std::nullopt}));
  EXPECT_TRUE(t.gave_up());
  EXPECT_EQ(t.restarts(), 2U);
}

TEST(respawn_tracker, limit_1_gives_up_at_the_first_exit_within_the_window) {
  auto p = policy(respawn_mode::always);
  p.limit = 1;
  respawn_tracker t(p);
  EXPECT_EQ(run_once(t, t0, 59s), std::nullopt);
  EXPECT_TRUE(t.gave_up());
  EXPECT_EQ(t.restarts(), 0U);
}

TEST(respawn_tracker, limit_1_restarts_once_the_start_has_left_the_window) {
  auto p = policy(respawn_mode::always);
  p.limit = 1;
  p.window = 5s;
  p.min_uptime = 10s;
  respawn_tracker t(p);
  // 6 s: outside the window, yet short of min_uptime, so it still backs off.
  EXPECT_EQ(run_cycles(t, {6s, 6s, 6s}), delays({100ms, 200ms, 400ms}));
  EXPECT_FALSE(t.gave_up());
  EXPECT_EQ(t.restarts(), 2U);
}

TEST(respawn_tracker, limit_0_never_gives_up) {
  auto p = policy(respawn_mode::always);
  p.limit = 0;
  respawn_tracker t(p);
  auto ds = quick_exits(t, 1000);
  ASSERT_EQ(ds.size(), 1000U);
  EXPECT_EQ(ds.back(), 30000ms);
  EXPECT_FALSE(t.gave_up());
  EXPECT_EQ(t.restarts(), 999U);
}

TEST(respawn_tracker, starts_older_than_the_window_do_not_count) {
  auto p = policy(respawn_mode::always);
  p.limit = 2;
  p.window = 10s;
  p.min_uptime = 1h;
  respawn_tracker t(p);
  // Every exit comes 6 s after its start, so only that start is in the window.
  EXPECT_EQ(run_cycles(t, {6s, 6s, 6s, 6s}), delays({100ms, 200ms, 400ms, 800ms}));
  EXPECT_FALSE(t.gave_up());
}

TEST(respawn_tracker, a_start_exactly_window_old_still_counts) {
  auto p = policy(respawn_mode::always);
  p.limit = 2;
  p.window = 10s;
  p.min_uptime = 1h;  // every run here is a quick one
  {
    respawn_tracker t(p);
    EXPECT_EQ(run_once(t, t0, 1s), 100ms);
    t.started(t0 + 1100ms);
    EXPECT_EQ(t.on_exit(failed, t0 + 10s), std::nullopt);  // the start at t0 is 10 s old
    EXPECT_TRUE(t.gave_up());
  }
  {
    respawn_tracker t(p);
    EXPECT_EQ(run_once(t, t0, 1s), 100ms);
    t.started(t0 + 1100ms);
    EXPECT_EQ(t.on_exit(failed, t0 + 10001ms), 200ms);  // now 1 ms too old: one start left
    EXPECT_FALSE(t.gave_up());
  }
}

TEST(respawn_tracker, the_limit_counts_healthy_runs_too) {
  auto p = policy(respawn_mode::always);
  p.limit = 2;  // window 60 s, min_uptime 1 s
  respawn_tracker t(p);
  EXPECT_EQ(run_cycles(t, {15s, 15s}), delays({0ms, std::nullopt}));
  EXPECT_TRUE(t.gave_up());
}

TEST(respawn_tracker, on_failure_clean_exit_at_the_limit_is_not_giving_up) {
  auto p = policy(respawn_mode::on_failure);
  p.limit = 1;
  respawn_tracker t(p);
  EXPECT_EQ(run_once(t, t0, 1s, clean), std::nullopt);
  EXPECT_FALSE(t.gave_up());
}

// --- restarts() ---------------------------------------------------------------

TEST(respawn_tracker, restarts_counts_every_start_after_the_first) {
  respawn_tracker t(policy(respawn_mode::always));
  EXPECT_EQ(t.restarts(), 0U);
  t.started(t0);
  EXPECT_EQ(t.restarts(), 0U);
  EXPECT_EQ(t.on_exit(failed, t0 + 500ms), 100ms);
  EXPECT_EQ(t.restarts(), 0U);  // deciding is not restarting
  t.started(t0 + 600ms);
  EXPECT_EQ(t.restarts(), 1U);
  EXPECT_EQ(t.on_exit(failed, t0 + 20s), 0ms);  // a good run resets the backoff, not the count
  t.started(t0 + 20s);
  EXPECT_EQ(t.restarts(), 2U);
  t.started(t0 + 2h);  // long after any window: still counted
  EXPECT_EQ(t.restarts(), 3U);
}

}  // namespace
