// SPDX-License-Identifier: MIT
// Stop schedules: start-stop-daemon's --retry syntax.
#include "daemonkit/stop_policy.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace {

using daemonkit::errc;
using daemonkit::stop_step;
using namespace std::chrono_literals;

void expect_steps(const daemonkit::stop_policy& p, std::initializer_list<stop_step> want) {
  ASSERT_EQ(p.steps.size(), want.size());
  size_t i = 0;
  for (const auto& w : want) {
    EXPECT_EQ(p.steps[i].signal, w.signal) << "step " << i;
    EXPECT_EQ(p.steps[i].wait, w.wait) << "step " << i;
    ++i;
  }
}

TEST(stop_policy, default_is_term_10s_then_kill_5s) {
  expect_steps(daemonkit::stop_policy{}, {{SIGTERM, 10s}, {SIGKILL, 5s}});
}

TEST(stop_policy, signal_then_kill) {
  expect_steps(daemonkit::stop_policy::signal_then_kill(SIGINT, 3s), {{SIGINT, 3s}, {SIGKILL, 5s}});
}

TEST(parse_stop_schedule, reads_signal_timeout_pairs) {
  expect_steps(daemonkit::parse_stop_schedule("TERM/30/KILL/5").value(), {{SIGTERM, 30s}, {SIGKILL, 5s}});
  expect_steps(daemonkit::parse_stop_schedule("INT/500ms/TERM/2s/KILL/1").value(),
               {{SIGINT, 500ms}, {SIGTERM, 2s}, {SIGKILL, 1s}});
  expect_steps(daemonkit::parse_stop_schedule("SIGQUIT/1m").value(), {{SIGQUIT, 1min}});
  expect_steps(daemonkit::parse_stop_schedule("15/0").value(), {{SIGTERM, 0s}});
}

TEST(parse_stop_schedule, a_bare_timeout_means_term_then_kill) {
  expect_steps(daemonkit::parse_stop_schedule("30").value(), {{SIGTERM, 30s}, {SIGKILL, 5s}});
  expect_steps(daemonkit::parse_stop_schedule("250ms").value(), {{SIGTERM, 250ms}, {SIGKILL, 5s}});
}

TEST(parse_stop_schedule, rejects_malformed_schedules_naming_the_part) {
  struct bad_case {
    const char* text;
    const char* why;
  };
  for (const auto& [text, why] : std::initializer_list<bad_case>{
           {"", "expected SIGNAL/TIMEOUT[/SIGNAL/TIMEOUT...] or a timeout"},
           {"forever", "expected SIGNAL/TIMEOUT[/SIGNAL/TIMEOUT...] or a timeout"},
           {"-5", "expected SIGNAL/TIMEOUT[/SIGNAL/TIMEOUT...] or a timeout"},
           {"TERM", "expected SIGNAL/TIMEOUT[/SIGNAL/TIMEOUT...] or a timeout"},
           {"TERM/", "invalid duration '' (expected e.g. 500ms, 10s, 2m, 1h)"},
           {"/5", "unknown signal ''"},
           {"TERM/30/KILL", "each signal needs a timeout"},
           {"TERM/30/", "each signal needs a timeout"},
           {"NOPE/30", "unknown signal 'NOPE'"},
           {"0/30", "unknown signal '0'"},
           {"TERM/soon", "invalid duration 'soon' (expected e.g. 500ms, 10s, 2m, 1h)"},
           {"TERM/-1", "invalid duration '-1' (expected e.g. 500ms, 10s, 2m, 1h)"},
           {"TERM//KILL/5", "invalid duration '' (expected e.g. 500ms, 10s, 2m, 1h)"},
       }) {
    auto r = daemonkit::parse_stop_schedule(text);
    ASSERT_FALSE(r) << "'" << text << "' parsed";
    EXPECT_EQ(r.err().code, errc::invalid_argument);
    EXPECT_EQ(r.err().message(), "invalid stop schedule '" + std::string(text) + "': " + why);
  }
}

}  // namespace
