// SPDX-License-Identifier: MIT
// The monitor's state machine without a process: every state × event pair
// (the matrix below, one test each), then the paths through it that matter
// to users (respawn, leftovers, overdue stops, readiness, exit codes).
#include "supervisor/machine.hpp"

#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace sv = daemonkit::supervisor;
namespace ev = sv::ev;
using sv::act;
using sv::phase;
using sv::stop_reason;
using sv::stop_step;

const sv::clock::time_point t0 = sv::clock::time_point{} + 1h;

sv::machine_config config() {
  sv::machine_config c;
  c.group = true;
  c.ready = sv::machine_config::readiness::notified;
  c.ready_timeout = 1s;
  c.stop_timeout = 2s;
  c.kill_wait = 5s;
  c.respawn.mode = daemonkit::respawn_mode::always;
  c.respawn.initial_delay = 100ms;
  return c;
}

// Actions as letters, so a row of the matrix reads at a glance:
// P publish, S spawn, T signal_tree, R signal_tree answering swept, M
// signal_main, C check_tree, Y say, O collect_output, r report_ready, f
// report_failure, n notify_ready, s notify_stopping, k ready_try, h health_try, a announce_restart.
std::string letters(const std::vector<sv::action>& actions) {
  std::string out;
  for (const auto& a : actions) {
    switch (a.what) {
      case act::publish: out += 'P'; break;
      case act::spawn: out += 'S'; break;
      case act::signal_tree: out += a.report ? 'R' : 'T'; break;
      case act::signal_main: out += 'M'; break;
      case act::check_tree: out += 'C'; break;
      case act::say: out += 'Y'; break;
      case act::collect_output: out += 'O'; break;
      case act::report_ready: out += 'r'; break;
      case act::report_failure: out += 'f'; break;
      case act::notify_ready: out += 'n'; break;
      case act::notify_stopping: out += 's'; break;
      case act::ready_try: out += 'k'; break;
      case act::health_try: out += 'h'; break;
      case act::announce_restart: out += 'a'; break;
    }
  }
  return out;
}

sv::machine_state make(phase at, bool main_alive, bool pending = false) {
  sv::machine_state s(config().respawn);
  s.at = at;
  s.main_alive = main_alive;
  s.start_pending = pending;
  return s;
}

sv::machine_state stopping(stop_step step, stop_reason reason, bool main_alive) {
  auto s = make(phase::stopping, main_alive);
  s.step = step;
  s.reason = reason;
  if (reason == stop_reason::restart) s.respawn_delay = 100ms;
  if (step != stop_step::overdue) s.deadline = t0 + 1s;
  if (step == stop_step::overdue) s.remaining = {7, 8};
  return s;
}

// The states a monitor can be in, each as the machine holds it there.
std::map<std::string, sv::machine_state> states() {
  std::map<std::string, sv::machine_state> m;
  m.emplace("spawning_first", make(phase::starting, false, true));
  auto waiting = make(phase::starting, true, true);
  waiting.deadline = t0 + 1s;
  m.emplace("waiting_first", waiting);
  m.emplace("respawning", make(phase::starting, false));
  auto rewaiting = make(phase::starting, true);
  rewaiting.deadline = t0 + 1s;
  m.emplace("waiting_again", rewaiting);
  m.emplace("running", make(phase::running, true));
  auto backoff = make(phase::backoff, false);
  backoff.deadline = t0 + 100ms;
  m.emplace("backoff", backoff);
  m.emplace("stop_signalled", stopping(stop_step::signalled, stop_reason::requested, true));
  m.emplace("cleanup_signalled", stopping(stop_step::signalled, stop_reason::restart, false));
  m.emplace("stop_killing", stopping(stop_step::killing, stop_reason::requested, true));
  m.emplace("failed_start_killing", stopping(stop_step::killing, stop_reason::failed_start, true));
  m.emplace("stop_reporting", stopping(stop_step::reporting, stop_reason::requested, true));
  m.emplace("stop_overdue", stopping(stop_step::overdue, stop_reason::requested, false));
  m.emplace("stopped", make(phase::stopped, false));
  m.emplace("exited", make(phase::exited, false));
  m.emplace("failed", make(phase::failed, false));
  return m;
}

std::map<std::string, sv::event> events() {
  daemonkit::exit_status status1;
  status1.code = 1;
  return {
      {"begin", ev::begin{}},
      {"setup_failed", ev::setup_failed{"cannot open log"}},
      {"spawned", ev::spawned{t0, 42}},
      {"spawn_failed", ev::spawn_failed{t0, "cannot execute 'x': No such file or directory", 127, true}},
      {"ready", ev::ready{}},
      {"main_exited", ev::main_exited{t0, status1, true}},
      {"stop", ev::stop{t0, SIGTERM, std::nullopt}},
      {"deadline", ev::deadline{t0}},
      {"child_exited", ev::child_exited{}},
      {"tree_checked", ev::tree_checked{true}},
      {"swept", ev::swept{t0, {}}},
      {"announced", ev::announced{true, false, false}},
      {"extend_timeout", ev::extend_timeout{t0 + 1h}},
      {"try_due", ev::try_due{t0}},
      {"probed", ev::probed{t0, true, false, "connected"}},
  };
}

// What each pair does: the phase after, and the actions. A pair missing here
// must be ignored: same phase, step and reason, no action.
struct outcome {
  phase at;
  std::string actions;
};

const std::map<std::pair<std::string, std::string>, outcome>& expected() {
  static const std::map<std::pair<std::string, std::string>, outcome> table{
      // The first start: spawned, then ready (reported to the launcher), or a
      // failure reported once (and a half-started service killed).
      {{"spawning_first", "begin"}, {phase::starting, "PS"}},
      {{"spawning_first", "setup_failed"}, {phase::failed, "f"}},
      {{"spawning_first", "spawned"}, {phase::starting, "P"}},
      {{"spawning_first", "spawn_failed"}, {phase::failed, "f"}},
      {{"spawning_first", "ready"}, {phase::running, "Prn"}},
      {{"spawning_first", "main_exited"}, {phase::failed, "Of"}},
      {{"spawning_first", "stop"}, {phase::stopping, "PsTC"}},
      {{"spawning_first", "deadline"}, {phase::stopping, "PR"}},
      {{"spawning_first", "announced"}, {phase::starting, "P"}},
      {{"spawning_first", "extend_timeout"}, {phase::starting, ""}},
      {{"waiting_first", "begin"}, {phase::starting, "PS"}},
      {{"waiting_first", "setup_failed"}, {phase::stopping, "PR"}},
      {{"waiting_first", "ready"}, {phase::running, "Prn"}},
      {{"waiting_first", "main_exited"}, {phase::failed, "Of"}},
      {{"waiting_first", "stop"}, {phase::stopping, "PsT"}},
      {{"waiting_first", "deadline"}, {phase::stopping, "PR"}},
      {{"waiting_first", "announced"}, {phase::starting, "P"}},
      {{"waiting_first", "extend_timeout"}, {phase::starting, ""}},
      // Later instances: failures are exits, handed to the respawn policy.
      {{"respawning", "begin"}, {phase::starting, "PS"}},
      {{"respawning", "setup_failed"}, {phase::failed, "f"}},
      {{"respawning", "spawned"}, {phase::starting, "P"}},
      {{"respawning", "spawn_failed"}, {phase::backoff, "YYYP"}},
      {{"respawning", "ready"}, {phase::running, "Pn"}},
      {{"respawning", "main_exited"}, {phase::starting, "YPS"}},
      {{"respawning", "stop"}, {phase::stopping, "PsTC"}},
      {{"respawning", "deadline"}, {phase::stopping, "YPR"}},
      {{"respawning", "announced"}, {phase::starting, "P"}},
      {{"respawning", "extend_timeout"}, {phase::starting, ""}},
      {{"waiting_again", "begin"}, {phase::starting, "PS"}},
      {{"waiting_again", "setup_failed"}, {phase::stopping, "PR"}},
      {{"waiting_again", "ready"}, {phase::running, "Pn"}},
      {{"waiting_again", "main_exited"}, {phase::starting, "YPS"}},
      {{"waiting_again", "stop"}, {phase::stopping, "PsT"}},
      {{"waiting_again", "deadline"}, {phase::stopping, "YPR"}},
      {{"waiting_again", "announced"}, {phase::starting, "P"}},
      {{"waiting_again", "extend_timeout"}, {phase::starting, ""}},
      {{"running", "main_exited"}, {phase::starting, "YPS"}},
      {{"running", "stop"}, {phase::stopping, "PsT"}},
      {{"running", "announced"}, {phase::running, "P"}},
      {{"backoff", "stop"}, {phase::stopped, ""}},
      {{"backoff", "deadline"}, {phase::starting, "PS"}},
      {{"backoff", "announced"}, {phase::backoff, "P"}},
      // Stopping: the tree is watched until it is empty, then the reason decides.
      {{"stop_signalled", "main_exited"}, {phase::stopped, ""}},
      {{"stop_signalled", "deadline"}, {phase::stopping, "YR"}},
      {{"stop_signalled", "announced"}, {phase::stopping, "P"}},
      {{"cleanup_signalled", "main_exited"}, {phase::backoff, "YP"}},
      {{"cleanup_signalled", "stop"}, {phase::stopping, ""}},
      {{"cleanup_signalled", "deadline"}, {phase::stopping, "YR"}},
      {{"cleanup_signalled", "child_exited"}, {phase::stopping, "C"}},
      {{"cleanup_signalled", "tree_checked"}, {phase::backoff, "YP"}},
      {{"cleanup_signalled", "announced"}, {phase::stopping, "P"}},
      {{"stop_killing", "main_exited"}, {phase::stopping, "R"}},
      {{"stop_killing", "deadline"}, {phase::stopping, "R"}},
      {{"stop_killing", "child_exited"}, {phase::stopping, "R"}},
      {{"stop_killing", "tree_checked"}, {phase::stopping, "R"}},
      {{"stop_killing", "announced"}, {phase::stopping, "P"}},
      {{"failed_start_killing", "main_exited"}, {phase::stopping, "R"}},
      {{"failed_start_killing", "deadline"}, {phase::stopping, "R"}},
      {{"failed_start_killing", "child_exited"}, {phase::stopping, "R"}},
      {{"failed_start_killing", "tree_checked"}, {phase::stopping, "R"}},
      {{"failed_start_killing", "announced"}, {phase::stopping, "P"}},
      {{"stop_reporting", "main_exited"}, {phase::stopping, "R"}},
      {{"stop_reporting", "child_exited"}, {phase::stopping, "R"}},
      {{"stop_reporting", "tree_checked"}, {phase::stopping, "R"}},
      {{"stop_reporting", "swept"}, {phase::stopping, ""}},
      {{"stop_reporting", "announced"}, {phase::stopping, "P"}},
      {{"stop_overdue", "main_exited"}, {phase::stopping, "R"}},
      {{"stop_overdue", "stop"}, {phase::stopping, "R"}},
      {{"stop_overdue", "child_exited"}, {phase::stopping, "R"}},
      {{"stop_overdue", "tree_checked"}, {phase::stopping, "R"}},
      {{"stop_overdue", "swept"}, {phase::stopped, ""}},
      {{"stop_overdue", "announced"}, {phase::stopping, "P"}},
  };
  return table;
}

struct pair_case {
  std::string state, event;
};

class machine_pair : public testing::TestWithParam<pair_case> {};

TEST_P(machine_pair, does_what_the_table_says) {
  const auto& [state_name, event_name] = GetParam();
  const auto before = states().at(state_name);
  auto step = sv::transition(before, events().at(event_name), config());
  auto it = expected().find({state_name, event_name});
  if (it == expected().end()) {
    EXPECT_EQ(step.next.at, before.at) << "ignored";
    EXPECT_EQ(step.next.step, before.step);
    EXPECT_EQ(step.next.reason, before.reason);
    EXPECT_EQ(step.next.main_alive, before.main_alive);
    EXPECT_EQ(letters(step.actions), "") << "ignored";
    return;
  }
  EXPECT_EQ(step.next.at, it->second.at);
  EXPECT_EQ(letters(step.actions), it->second.actions);
  // Whatever happened, a final phase has no deadline and no main process.
  if (sv::is_final(step.next.at)) {
    EXPECT_FALSE(step.next.deadline.has_value());
  }
}

std::vector<pair_case> every_pair() {
  std::vector<pair_case> all;
  for (const auto& [s, _] : states()) {
    for (const auto& [e, __] : events()) all.push_back({s, e});
  }
  return all;
}

INSTANTIATE_TEST_SUITE_P(every_state_and_event, machine_pair, testing::ValuesIn(every_pair()),
                         [](const testing::TestParamInfo<pair_case>& i) {
                           return i.param.state + "_" + i.param.event;
                         });

TEST(machine, the_table_names_only_real_states_and_events) {
  for (const auto& [key, _] : expected()) {
    EXPECT_TRUE(states().count(key.first)) << key.first;
    EXPECT_TRUE(events().count(key.second)) << key.second;
  }
}

// Runs the events in order from the first state; the actions of each step.
std::vector<std::string> run(sv::machine_state& s, const std::vector<sv::event>& evs,
                             const sv::machine_config& c = config()) {
  std::vector<std::string> out;
  for (const auto& e : evs) {
    auto step = sv::transition(std::move(s), e, c);
    s = std::move(step.next);
    out.push_back(letters(step.actions));
  }
  return out;
}

std::vector<std::string> said(const std::vector<sv::action>& actions) {
  std::vector<std::string> out;
  for (const auto& a : actions) {
    if (a.what == act::say || a.what == act::report_failure) out.push_back(a.text);
  }
  return out;
}

TEST(machine, a_start_stop_round_trip) {
  sv::machine_state s(config().respawn);
  auto acts = run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}, ev::stop{t0, SIGTERM, std::nullopt},
                      ev::tree_checked{false}, ev::main_exited{t0, {true, SIGTERM, false}, true}});
  EXPECT_EQ(acts, (std::vector<std::string>{"PS", "P", "Prn", "PsT", "", ""}));
  EXPECT_EQ(s.at, phase::stopped);
  EXPECT_EQ(sv::exit_code(s, false), 0);
  EXPECT_EQ(sv::exit_code(s, true), 128 + SIGTERM);
}

TEST(machine, exec_readiness_is_ready_at_the_spawn) {
  auto c = config();
  c.ready = sv::machine_config::readiness::exec;
  sv::machine_state s(c.respawn);
  auto acts = run(s, {ev::begin{}, ev::spawned{t0, 42}}, c);
  EXPECT_EQ(acts.back(), "Prn");
  EXPECT_EQ(s.at, phase::running);
  EXPECT_FALSE(s.start_pending);
  EXPECT_FALSE(s.deadline);
}

TEST(machine, waiting_for_readiness_has_the_ready_timeout_as_deadline_and_extend_moves_it) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}});
  EXPECT_EQ(s.deadline, t0 + 1s);
  run(s, {ev::extend_timeout{t0 + 30s}});
  EXPECT_EQ(s.deadline, t0 + 30s);
}

TEST(machine, a_start_that_never_gets_ready_is_killed_then_reported_with_its_output) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}});
  auto step = sv::transition(std::move(s), ev::deadline{t0 + 1s}, config());
  ASSERT_EQ(letters(step.actions), "PR");
  EXPECT_EQ(step.actions[1].sig, SIGKILL);
  EXPECT_EQ(step.next.reason, stop_reason::failed_start);
  EXPECT_EQ(step.next.deadline, t0 + 1s + 5s);  // the kill wait
  s = std::move(step.next);
  auto acts = run(s, {ev::swept{t0, {42}}, ev::main_exited{t0, {true, SIGKILL, false}, true}});
  EXPECT_EQ(acts, (std::vector<std::string>{"", "R"})) << "not reported while a process is left";
  step = sv::transition(std::move(s), ev::swept{t0, {}}, config());
  ASSERT_EQ(letters(step.actions), "f");
  EXPECT_EQ(step.actions[0].text, "did not become ready within 1s");
  EXPECT_TRUE(step.actions[0].with_output);
  EXPECT_EQ(step.next.at, phase::failed);
  EXPECT_EQ(sv::exit_code(step.next, false), 1);
}

// A program that forks (setsid sleep &) and exits before it is ready: what it
// left is killed before the failure is reported (issue 10, item 2).
TEST(machine, an_early_exit_that_left_processes_behind_kills_them_before_reporting) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}});
  daemonkit::exit_status ok;
  auto step = sv::transition(std::move(s), ev::main_exited{t0, ok, false}, config());
  EXPECT_EQ(letters(step.actions), "OPR");
  EXPECT_EQ(step.next.at, phase::stopping);
  step = sv::transition(std::move(step.next), ev::swept{t0, {77}}, config());
  EXPECT_EQ(letters(step.actions), "");
  step = sv::transition(std::move(step.next), ev::child_exited{}, config());
  EXPECT_EQ(letters(step.actions), "R");
  step = sv::transition(std::move(step.next), ev::swept{t0, {}}, config());
  ASSERT_EQ(letters(step.actions), "f");
  EXPECT_EQ(step.actions[0].text, "exited with status 0 before it was ready");
  EXPECT_EQ(step.next.at, phase::failed);
}

TEST(machine, a_failed_start_with_processes_sigkill_cannot_end_is_still_reported) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::deadline{t0 + 1s}, ev::swept{t0, {42}}, ev::deadline{t0 + 6s}});
  ASSERT_EQ(s.step, stop_step::reporting);
  auto step = sv::transition(std::move(s), ev::swept{t0, {42}}, config());
  EXPECT_EQ(letters(step.actions), "PYf");
  EXPECT_EQ(step.next.at, phase::stopping);
}

TEST(machine, an_exit_before_readiness_fails_the_start_with_what_it_printed) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}});
  daemonkit::exit_status st;
  st.code = 3;
  auto step = sv::transition(std::move(s), ev::main_exited{t0, st, true}, config());
  EXPECT_EQ(letters(step.actions), "Of");
  EXPECT_EQ(step.actions[1].text, "exited with status 3 before it was ready");
  EXPECT_TRUE(step.actions[1].with_output);
  EXPECT_EQ(step.next.at, phase::failed);
  EXPECT_EQ(sv::exit_code(step.next, true), 3);
}

TEST(machine, a_first_spawn_that_cannot_execute_fails_with_its_shell_code) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawn_failed{t0, "cannot execute 'nope': No such file or directory", 127, true}});
  EXPECT_EQ(s.at, phase::failed);
  EXPECT_EQ(sv::exit_code(s, true), 127);
  sv::machine_state t(config().respawn);
  run(t, {ev::begin{}, ev::spawn_failed{t0, "cannot change directory to /nope: No such file", 126, true}});
  EXPECT_EQ(sv::exit_code(t, true), 126);
  EXPECT_EQ(sv::exit_code(t, false), 1);
}

TEST(machine, quick_exits_back_off_doubling_and_a_long_run_restarts_at_once) {
  auto c = config();
  sv::machine_state s(c.respawn);
  daemonkit::exit_status st;
  st.code = 1;
  auto t = t0;
  std::vector<std::string> delays;
  run(s, {ev::begin{}, ev::spawned{t, 42}});
  run(s, {ev::ready{}});
  for (int i = 0; i < 3; ++i) {
    auto step = sv::transition(std::move(s), ev::main_exited{t, st, true}, c);
    s = std::move(step.next);
    ASSERT_EQ(s.at, phase::backoff);
    delays.push_back(said(step.actions).back());
    t = *s.deadline;
    run(s, {ev::deadline{t}, ev::spawned{t, 43 + i}});
  }
  EXPECT_EQ(delays, (std::vector<std::string>{"restarting in 100ms", "restarting in 200ms", "restarting in 400ms"}));
  auto step = sv::transition(s, ev::main_exited{t + 999ms, st, true}, c);
  EXPECT_EQ(step.next.at, phase::backoff) << "ran 999ms, short of min_uptime (1s)";
  step = sv::transition(std::move(s), ev::main_exited{t + 1s, st, true}, c);
  EXPECT_EQ(step.next.at, phase::starting) << "ran min_uptime (1s): restarted at once";
  EXPECT_EQ(letters(step.actions), "YPS") << "no backoff: the spawn is in the same step as the exit";
}

TEST(machine, a_restarted_instance_is_announced_once_ready) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}});
  daemonkit::exit_status st;
  run(s, {ev::main_exited{t0 + 20s, st, true}});
  auto step = sv::transition(std::move(s), ev::spawned{t0 + 20s, 43}, config());
  EXPECT_EQ(letters(step.actions), "P") << "said once ready: the main process may be another by then (MAINPID=)";
  step = sv::transition(std::move(step.next), ev::ready{t0 + 20s}, config());
  EXPECT_EQ(letters(step.actions), "aPn");
}

TEST(machine, without_respawn_an_exit_is_final_and_a_gave_up_is_a_failure) {
  auto c = config();
  c.respawn.mode = daemonkit::respawn_mode::never;
  sv::machine_state s(c.respawn);
  daemonkit::exit_status ok;
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}, ev::main_exited{t0, ok, true}}, c);
  EXPECT_EQ(s.at, phase::exited);
  EXPECT_EQ(sv::exit_code(s, false), 0);

  c.respawn.mode = daemonkit::respawn_mode::always;
  c.respawn.limit = 1;
  sv::machine_state g(c.respawn);
  run(g, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}}, c);
  auto step = sv::transition(std::move(g), ev::main_exited{t0, ok, true}, c);
  EXPECT_EQ(step.next.at, phase::failed);
  EXPECT_EQ(said(step.actions).back(), "gave up: restarted too often (1 starts within 60000ms)");
}

TEST(machine, leftovers_of_an_exited_instance_are_stopped_before_the_next_starts) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}});
  daemonkit::exit_status st;
  auto step = sv::transition(std::move(s), ev::main_exited{t0 + 20s, st, false}, config());
  EXPECT_EQ(letters(step.actions), "YPT");
  EXPECT_EQ(step.actions[2].sig, SIGTERM);
  EXPECT_EQ(step.next.at, phase::stopping);
  EXPECT_EQ(step.next.reason, stop_reason::restart);
  EXPECT_EQ(step.next.deadline, t0 + 22s);
  s = std::move(step.next);
  run(s, {ev::child_exited{}, ev::tree_checked{true}});
  EXPECT_EQ(s.at, phase::starting) << "ran long: restarted at once";

  // In kill mode process, leftovers are the service's business.
  auto c = config();
  c.group = false;
  sv::machine_state p(c.respawn);
  run(p, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}}, c);
  auto acts = run(p, {ev::main_exited{t0 + 20s, st, false}}, c);
  EXPECT_EQ(acts.back(), "YPS");
  // A quick exit backs off instead.
  run(p, {ev::spawned{t0 + 20s, 43}, ev::ready{}}, c);
  acts = run(p, {ev::main_exited{t0 + 20500ms, st, false}}, c);
  EXPECT_EQ(acts.back(), "YYP");
  EXPECT_EQ(p.at, phase::backoff);
}

// The events that say the tree is empty carry no time: the backoff counts
// from the exit. It was counted from the clock's epoch, a deadline long
// past: a crash loop that left a process behind each time (sh -c 'x & exit
// 1') restarted at once, whatever the log said.
TEST(machine, a_quick_exit_that_left_processes_still_backs_off_once_they_are_gone) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}});
  daemonkit::exit_status st;
  st.code = 1;
  auto acts = run(s, {ev::main_exited{t0 + 200ms, st, false}, ev::child_exited{}, ev::tree_checked{true}});
  EXPECT_EQ(acts, (std::vector<std::string>{"YPT", "C", "YP"}));
  EXPECT_EQ(s.at, phase::backoff);
  EXPECT_EQ(s.deadline, t0 + 200ms + 100ms);

  // Leftovers that needed SIGKILL: the cleanup took longer than the delay,
  // so the next instance is due at once.
  run(s, {ev::deadline{t0 + 300ms}, ev::spawned{t0 + 300ms, 43}, ev::ready{}});
  acts = run(s, {ev::main_exited{t0 + 400ms, st, false}, ev::deadline{t0 + 2400ms}, ev::swept{t0 + 2400ms, {}}});
  EXPECT_EQ(acts, (std::vector<std::string>{"YPT", "YR", "YP"}));
  EXPECT_EQ(s.at, phase::backoff);
  EXPECT_EQ(s.deadline, t0 + 400ms + 200ms);
}

TEST(machine, an_unhealthy_instance_backs_off_from_when_its_restart_was_decided) {
  auto c = config();
  c.ready = sv::machine_config::readiness::exec;
  c.health = true;
  c.health_retries = 1;
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}}, c);
  run(s, {ev::probed{t0 + 10ms, false, false, "refused"}}, c);
  ASSERT_EQ(s.at, phase::stopping);
  run(s, {ev::main_exited{t0 + 50ms, {true, SIGTERM, false}, true}}, c);
  EXPECT_EQ(s.at, phase::backoff);
  EXPECT_EQ(s.deadline, t0 + 10ms + 100ms);
}

// With no backoff (min_uptime or max_delay 0) a restart is spawned in the
// step of the exit; after a failed spawn it waits for the loop's next turn,
// or a program that cannot be executed would be spawned again and again
// within one dispatch, the monitor deaf to its signals.
TEST(machine, a_failed_spawn_with_no_backoff_is_retried_on_the_loop_s_next_turn) {
  auto c = config();
  c.respawn.min_uptime = 0ms;
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}}, c);
  daemonkit::exit_status st;
  st.code = 1;
  EXPECT_EQ(run(s, {ev::main_exited{t0 + 1ms, st, true}}, c).back(), "YPS") << "at once";
  auto step =
      sv::transition(std::move(s), ev::spawn_failed{t0 + 2ms, "cannot execute 'x': Permission denied", 126, true}, c);
  EXPECT_EQ(letters(step.actions), "YYP") << "no spawn within this step";
  EXPECT_EQ(step.next.at, phase::backoff);
  EXPECT_EQ(step.next.deadline, t0 + 2ms) << "due at once";
  s = std::move(step.next);
  EXPECT_EQ(run(s, {ev::deadline{t0 + 2ms}}, c).back(), "PS");
}

// A respawn policy may hold any milliseconds: a backoff the clock cannot
// reach is due at its farthest point, not at an overflowed one.
TEST(machine, a_backoff_past_the_clock_s_end_waits_forever) {
  auto c = config();
  c.respawn.initial_delay = std::chrono::milliseconds::max();
  c.respawn.max_delay = std::chrono::milliseconds::max();
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}}, c);
  daemonkit::exit_status st;
  st.code = 1;
  run(s, {ev::main_exited{t0 + 1ms, st, true}}, c);
  EXPECT_EQ(s.at, phase::backoff);
  EXPECT_EQ(s.deadline, sv::clock::time_point::max());
}

TEST(machine, a_stop_during_the_cleanup_becomes_the_final_stop) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}});
  daemonkit::exit_status st;
  run(s, {ev::main_exited{t0, st, false}, ev::stop{t0, SIGTERM, std::nullopt}, ev::tree_checked{true}});
  EXPECT_EQ(s.at, phase::stopped);
}

TEST(machine, a_stop_uses_the_timeout_it_was_given) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}, ev::stop{t0, SIGINT, 7s}});
  EXPECT_EQ(s.deadline, t0 + 7s);
  auto step = sv::transition(s, ev::deadline{t0 + 7s}, config());
  EXPECT_EQ(said(step.actions), (std::vector<std::string>{"still running after 2s; sending SIGKILL"}));
  EXPECT_EQ(step.next.step, stop_step::killing);
}

TEST(machine, processes_sigkill_does_not_end_are_reported_once_and_tracked) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}, ev::stop{t0, SIGTERM, std::nullopt}, ev::deadline{t0 + 2s},
          ev::main_exited{t0, {true, SIGKILL, false}, false}, ev::swept{t0, {7, 8, 9}}});
  ASSERT_EQ(s.step, stop_step::killing);
  auto step = sv::transition(std::move(s), ev::deadline{t0 + 7s}, config());
  EXPECT_EQ(letters(step.actions), "R");
  step = sv::transition(std::move(step.next), ev::swept{t0, {7, 8}}, config());
  EXPECT_EQ(letters(step.actions), "PY");
  EXPECT_EQ(said(step.actions),
            (std::vector<std::string>{"2 processes remain after SIGKILL (pids 7, 8); still stopping"}));
  EXPECT_EQ(step.next.remaining, (std::vector<pid_t>{7, 8}));
  EXPECT_FALSE(step.next.deadline) << "overdue: only deaths move it on";
  step = sv::transition(std::move(step.next), ev::swept{t0, {8}}, config());
  EXPECT_EQ(letters(step.actions), "P");
  step = sv::transition(std::move(step.next), ev::swept{t0, {8}}, config());
  EXPECT_EQ(letters(step.actions), "") << "nothing new to publish";
  step = sv::transition(std::move(step.next), ev::swept{t0, {}}, config());
  EXPECT_EQ(step.next.at, phase::stopped);
  EXPECT_TRUE(step.next.remaining.empty());
}

TEST(machine, leftovers_sigkill_does_not_end_do_not_block_a_respawn) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}});
  run(s, {ev::ready{}});
  daemonkit::exit_status st;
  run(s, {ev::main_exited{t0 + 20s, st, false}, ev::deadline{t0 + 22s}, ev::deadline{t0 + 27s}});
  ASSERT_EQ(s.step, stop_step::reporting);
  auto step = sv::transition(std::move(s), ev::swept{t0 + 27s, {9}}, config());
  EXPECT_EQ(said(step.actions).front(), "1 process remains after SIGKILL (pid 9); giving up on them");
  EXPECT_EQ(step.next.at, phase::starting);
  EXPECT_TRUE(step.next.remaining.empty());
}

// Kill mode mixed (postgres, nginx): the stop signal to the main process
// alone, which stops its workers itself; SIGKILL to all that is left at the
// timeout; and the stop still waits for the whole tree.
TEST(machine, mixed_mode_signals_the_main_process_and_kills_the_rest_at_the_timeout) {
  auto c = config();
  c.stop_main_only = true;
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}}, c);
  auto step = sv::transition(std::move(s), ev::stop{t0, SIGINT, std::nullopt}, c);
  ASSERT_EQ(letters(step.actions), "PsM");
  EXPECT_EQ(step.actions[2].sig, SIGINT);
  step = sv::transition(std::move(step.next), ev::main_exited{t0, {true, SIGINT, false}, false}, c);
  EXPECT_EQ(step.next.at, phase::stopping) << "its workers are still there";
  step = sv::transition(std::move(step.next), ev::deadline{t0 + 2s}, c);
  ASSERT_EQ(letters(step.actions), "YR");
  EXPECT_EQ(step.actions[1].sig, SIGKILL);
  EXPECT_TRUE(step.next.escalated);
  step = sv::transition(std::move(step.next), ev::swept{t0, {}}, c);
  EXPECT_EQ(step.next.at, phase::stopped);
  EXPECT_TRUE(step.next.escalated) << "published with the final state, for `stop` to say so";
}

TEST(machine, a_stop_that_ends_in_time_did_not_escalate) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}, ev::stop{t0, SIGTERM, std::nullopt},
          ev::main_exited{t0, {true, SIGTERM, false}, true}});
  EXPECT_EQ(s.at, phase::stopped);
  EXPECT_FALSE(s.escalated);
}

TEST(machine, in_the_foreground_each_stop_signal_reaches_the_main_process) {
  auto c = config();
  c.foreground = true;
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}, ev::stop{t0, SIGINT, std::nullopt}}, c);
  auto step = sv::transition(std::move(s), ev::stop{t0, SIGTERM, std::nullopt}, c);
  ASSERT_EQ(letters(step.actions), "M");
  EXPECT_EQ(step.actions[0].sig, SIGTERM);
}

TEST(machine, announcements_show_in_the_published_phase) {
  sv::machine_state s(config().respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{}});
  EXPECT_EQ(sv::published_phase(s), daemonkit::service_phase::running);
  run(s, {ev::announced{true, false, false}});
  EXPECT_EQ(sv::published_phase(s), daemonkit::service_phase::reloading);
  auto acts = run(s, {ev::announced{false, false, true}});
  EXPECT_EQ(acts.back(), "P") << "READY=1 after RELOADING=1 ends the reload, and is no new start";
  EXPECT_EQ(sv::published_phase(s), daemonkit::service_phase::running);
  run(s, {ev::announced{false, true, false}});
  EXPECT_EQ(sv::published_phase(s), daemonkit::service_phase::stopping);
  // A new instance starts with a clean slate.
  daemonkit::exit_status st;
  run(s, {ev::main_exited{t0 + 1h, st, true}, ev::spawned{t0 + 1h, 43}});
  EXPECT_FALSE(s.stopping_announced);
}

TEST(machine, published_phases_and_final_phases) {
  EXPECT_EQ(sv::published_phase(make(phase::backoff, false)), daemonkit::service_phase::backoff);
  EXPECT_EQ(sv::published_phase(make(phase::stopped, false)), daemonkit::service_phase::stopped);
  EXPECT_EQ(sv::published_phase(make(phase::exited, false)), daemonkit::service_phase::exited);
  EXPECT_EQ(sv::published_phase(make(phase::failed, false)), daemonkit::service_phase::failed);
  EXPECT_FALSE(sv::is_final(phase::stopping));
  EXPECT_TRUE(sv::is_final(phase::exited));
}

sv::machine_config check_config() {
  auto c = config();
  c.ready = sv::machine_config::readiness::check;
  return c;
}

TEST(machine, a_check_is_tried_at_once_then_backing_off_to_250ms_until_it_passes) {
  auto c = check_config();
  sv::machine_state s(c.respawn);
  auto acts = run(s, {ev::begin{}, ev::spawned{t0, 42}}, c);
  EXPECT_EQ(acts.back(), "Pk") << "the first try right at the spawn";
  std::vector<sv::clock::duration> gaps;
  auto t = t0;
  for (int i = 0; i < 7; ++i) {
    run(s, {ev::probed{t, false, false, "connection refused"}}, c);
    ASSERT_TRUE(s.try_at);
    gaps.push_back(*s.try_at - t);
    t = *s.try_at;
    EXPECT_EQ(run(s, {ev::try_due{t}}, c).back(), "k");
  }
  EXPECT_EQ(gaps, (std::vector<sv::clock::duration>{10ms, 20ms, 40ms, 80ms, 160ms, 250ms, 250ms}));
  acts = run(s, {ev::probed{t, true, false, "connected"}}, c);
  EXPECT_EQ(acts.back(), "Prn");
  EXPECT_EQ(s.at, phase::running);
  EXPECT_FALSE(s.try_at);
}

TEST(machine, a_check_that_never_passes_fails_the_start_at_the_ready_timeout) {
  auto c = check_config();
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}}, c);
  auto acts = run(s, {ev::deadline{t0 + 1s}}, c);
  EXPECT_EQ(acts.back(), "PR");
  EXPECT_FALSE(s.trying) << "the running try is dropped";
  EXPECT_EQ(run(s, {ev::probed{t0 + 1s, true, false, "connected"}}, c).back(), "") << "its late verdict is ignored";
}

TEST(machine, the_service_dying_before_its_check_passes_fails_the_start_at_once) {
  auto c = check_config();
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}}, c);
  daemonkit::exit_status st;
  st.code = 1;
  auto acts = run(s, {ev::main_exited{t0, st, true}}, c);
  EXPECT_EQ(acts.back(), "Of");
  EXPECT_EQ(s.at, phase::failed);
}

TEST(machine, pidfile_readiness_waits_for_the_first_process_then_adopts_what_the_pidfile_names) {
  auto c = config();
  c.ready = sv::machine_config::readiness::pidfile;
  sv::machine_state s(c.respawn);
  EXPECT_EQ(run(s, {ev::begin{}, ev::spawned{t0, 42}}, c).back(), "P") << "no try before the first process exits";
  daemonkit::exit_status ok;
  EXPECT_EQ(run(s, {ev::main_exited{t0, ok, false}}, c).back(), "k");
  EXPECT_EQ(s.at, phase::starting);
  EXPECT_TRUE(s.awaiting_pidfile);
  EXPECT_FALSE(s.last_exit) << "the launcher's exit is not the service's";
  run(s, {ev::probed{t0, false, false, "/run/x.pid is not written yet"}, ev::try_due{t0 + 10ms}}, c);
  auto acts = run(s, {ev::probed{t0 + 10ms, true, false, "pid 77"}}, c);
  EXPECT_EQ(acts.back(), "Prn");
  EXPECT_TRUE(s.main_alive);
  EXPECT_EQ(s.at, phase::running);
}

TEST(machine, pidfile_readiness_fails_when_the_first_process_fails_or_the_pidfile_names_a_stranger) {
  auto c = config();
  c.ready = sv::machine_config::readiness::pidfile;
  sv::machine_state s(c.respawn);
  daemonkit::exit_status st;
  st.code = 1;
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::main_exited{t0, st, true}}, c);
  EXPECT_EQ(s.at, phase::failed);

  sv::machine_state t(c.respawn);
  daemonkit::exit_status ok;
  run(t, {ev::begin{}, ev::spawned{t0, 42}, ev::main_exited{t0, ok, false}}, c);
  auto step = sv::transition(
      std::move(t), ev::probed{t0, false, true, "/run/x.pid names pid 1234, not a process of this service"}, c);
  EXPECT_EQ(letters(step.actions), "PR") << "what the launcher left is killed first";
  step = sv::transition(std::move(step.next), ev::swept{t0, {}}, c);
  ASSERT_EQ(letters(step.actions), "f");
  EXPECT_EQ(step.actions[0].text, "/run/x.pid names pid 1234, not a process of this service");
}

sv::machine_config health_config() {
  auto c = config();
  c.health = true;
  c.health_check = "http://127.0.0.1:8080/";
  c.health_interval = 10s;
  c.health_retries = 3;
  return c;
}

TEST(machine, health_checks_run_from_readiness_every_interval_start_to_start) {
  auto c = health_config();
  sv::machine_state s(c.respawn);
  auto acts = run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{t0}}, c);
  EXPECT_EQ(acts.back(), "Prnh") << "the first check right after readiness";
  EXPECT_EQ(s.health, sv::health_state::starting);
  EXPECT_EQ(run(s, {ev::probed{t0 + 2s, true, false, "HTTP 200"}}, c).back(), "P");
  EXPECT_EQ(s.health, sv::health_state::healthy);
  EXPECT_EQ(s.try_at, t0 + 10s) << "start to start";
  EXPECT_EQ(run(s, {ev::try_due{t0 + 10s}}, c).back(), "h");
  EXPECT_EQ(run(s, {ev::probed{t0 + 10s, true, false, "HTTP 200"}}, c).back(), "") << "no change, nothing to publish";
  EXPECT_EQ(sv::published_phase(s), daemonkit::service_phase::running);
}

TEST(machine, retries_failures_in_a_row_make_it_unhealthy_and_restart_it) {
  auto c = health_config();
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{t0}, ev::probed{t0, true, false, "HTTP 200"}}, c);
  auto t = t0;
  for (int i = 1; i <= 2; ++i) {
    t += 10s;
    auto acts = run(s, {ev::try_due{t}, ev::probed{t, false, false, "timed out after 5s"}}, c);
    EXPECT_EQ(acts.back(), "Y") << "failure " << i << " is logged, not yet unhealthy";
    EXPECT_EQ(s.health, sv::health_state::healthy);
  }
  t += 10s;
  run(s, {ev::try_due{t}}, c);
  auto step = sv::transition(std::move(s), ev::probed{t, false, false, "timed out after 5s"}, c);
  EXPECT_EQ(letters(step.actions), "YPYPTC");
  EXPECT_EQ(step.next.health, sv::health_state::unhealthy);
  EXPECT_EQ(step.next.at, phase::stopping);
  EXPECT_EQ(step.next.reason, stop_reason::restart);
  EXPECT_EQ(step.next.last_exit_note, "unhealthy: http://127.0.0.1:8080/ failed 3 times");
  s = std::move(step.next);
  run(s, {ev::main_exited{t, {true, SIGTERM, false}, true}}, c);
  EXPECT_EQ(s.last_exit_note, "unhealthy: http://127.0.0.1:8080/ failed 3 times") << "our own kill is not its exit";
  EXPECT_TRUE(s.at == phase::starting || s.at == phase::backoff);
  EXPECT_EQ(s.health, sv::health_state::none);
}

TEST(machine, without_respawn_an_unhealthy_service_is_left_running_and_can_recover) {
  auto c = health_config();
  c.respawn.mode = daemonkit::respawn_mode::never;
  sv::machine_state s(c.respawn);
  run(s, {ev::begin{}, ev::spawned{t0, 42}, ev::ready{t0}}, c);
  auto t = t0;
  run(s, {ev::probed{t, false, false, "refused"}}, c);
  for (int i = 0; i < 2; ++i) {
    t += 10s;
    run(s, {ev::try_due{t}, ev::probed{t, false, false, "refused"}}, c);
  }
  EXPECT_EQ(s.health, sv::health_state::unhealthy);
  EXPECT_EQ(s.at, phase::running);
  t += 10s;
  run(s, {ev::try_due{t}, ev::probed{t, true, false, "HTTP 200"}}, c);
  EXPECT_EQ(s.health, sv::health_state::healthy);
}

TEST(machine, describe_remaining_names_at_most_five_pids) {
  EXPECT_EQ(sv::describe_remaining({5}), "1 process remains after SIGKILL (pid 5)");
  EXPECT_EQ(sv::describe_remaining({1, 2, 3, 4, 5, 6}), "6 processes remain after SIGKILL (pids 1, 2, 3, 4, 5, ...)");
}

}  // namespace
