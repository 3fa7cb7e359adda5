// SPDX-License-Identifier: MIT
// Concurrency: many `start`s of one name racing with `stop`s from other
// processes never make two instances, never orphan one, and leave a state
// that `status` reports truthfully.
#include <gtest/gtest.h>

#include "fault_support.hpp"

namespace {

using namespace dk_fault;

class concurrency : public fault_fixture {};

constexpr int k_starts = 50;
constexpr int k_stop_every = 5;  // a stop after every 5th start
constexpr int k_rounds = 5;

TEST_F(concurrency, racing_starts_and_stops_never_make_two_instances_or_an_orphan) {
  const std::vector<std::string> start_args{"start", "--name", "s", "--", test_child_path, "sleep", "1000"};
  for (int round = 1; round <= k_rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    struct launched {
      bool is_start;
      running_command cmd;
    };
    std::vector<launched> cmds;
    for (int i = 1; i <= k_starts; ++i) {
      cmds.push_back({true, dk_spawn(start_args)});
      if (i % k_stop_every == 0) cmds.push_back({false, dk_spawn({"stop", "s"})});
    }

    // Watch the service's processes until every command is done: at no
    // sample may two instances run. Woken by each command's exit, and
    // re-sampled at least every few ms meanwhile.
    size_t most = 0;
    std::vector<pid_t> worst;
    const auto until = steady::now() + 60s;
    for (;;) {
      auto instances = live_processes_named("dk_test_child");
      if (instances.size() > most) {
        most = instances.size();
        worst = instances;
      }
      std::vector<struct pollfd> p;
      for (auto& c : cmds) {
        if (c.cmd.pidfd.valid() && !has_exited(c.cmd.pidfd.get())) p.push_back({c.cmd.pidfd.get(), POLLIN, 0});
      }
      if (p.empty() || steady::now() > until) break;
      ::poll(p.data(), p.size(), 2);
    }
    EXPECT_LE(most, 1U) << "two instances of one service at once:\n" << describe_processes(worst);

    int started = 0, refused = 0;
    for (auto& c : cmds) {
      auto r = finish(c.cmd, 30s);
      if (!c.is_start) {
        EXPECT_EQ(r.exit_code(), 0) << describe(r);
        continue;
      }
      if (r.exit_code() == 0) {
        ++started;
        EXPECT_TRUE(contains(r.out, "s: started (pid ")) << describe(r);
      } else {
        ++refused;
        // Refused because another start won, or because a stop took its
        // monitor down before it was ready: said as such, never as a
        // failure to create or lock the pidfile.
        EXPECT_EQ(r.exit_code(), 1) << describe(r);
        EXPECT_TRUE(contains(r.err, "already running") || contains(r.err, "before it was ready")) << describe(r);
        EXPECT_FALSE(contains(r.err, "contention")) << describe(r);
      }
    }
    EXPECT_GE(started, 1);
    EXPECT_EQ(started + refused, k_starts);

    // The state agrees with reality: status says running exactly when an
    // instance runs.
    auto instances = live_processes_named("dk_test_child");
    ASSERT_LE(instances.size(), 1U) << describe_processes(instances);
    auto st = dk({"status", "s"});
    if (instances.empty()) {
      EXPECT_NE(st.exit_code(), 0) << describe(st);
      EXPECT_FALSE(contains(st.out, ": running")) << describe(st);
    } else {
      EXPECT_EQ(st.exit_code(), 0) << describe(st);
      EXPECT_TRUE(contains(st.out, "(pid " + std::to_string(instances[0]))) << describe(st);
    }

    // A final stop leaves nothing: no instance, no monitor, no keeper.
    auto stop = dk({"stop", "s"});
    EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
    auto left = wait_no_descendants(10s);
    EXPECT_TRUE(left.empty()) << "left after the final stop:\n" << describe_processes(left);
    auto after = dk({"status", "s"});
    EXPECT_NE(after.exit_code(), 0) << describe(after);
    EXPECT_FALSE(contains(after.out, ": running")) << describe(after);
    EXPECT_EQ(lock_holder(pidfile("s")), -1) << "no pidfile after the final stop";
    auto files = dir_entries(state_dir);
    EXPECT_EQ(files, (std::vector<std::string>{"s.json", "s.state"})) << join(files);
    reap_exited_children();
  }
}

}  // namespace
