// SPDX-License-Identifier: MIT
// daemonkit remove (issue 10, item 8): forgets services that are not running
// (their NAME.state, NAME.json and a stale NAME.pid), never their logs;
// refuses one that runs or is supervised in any way.
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_remove : public cli_fixture {
 protected:
  bool has_files(const std::string& name) const {
    return exists(pidfile(name)) || exists(statefile(name)) || exists(configfile(name));
  }
};

TEST_F(cli_remove, forgets_a_stopped_service_but_keeps_its_log) {
  start_ready("old", {"pause"});
  ASSERT_EQ(dk({"stop", "old"}).exit_code(), 0);
  ASSERT_TRUE(has_files("old"));
  auto r = dk({"remove", "old"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "old: removed\n");
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(has_files("old"));
  EXPECT_TRUE(exists(logfile("old"))) << "remove must not delete logs";
  auto list = dk({"list"});
  EXPECT_EQ(list.exit_code(), 0) << describe(list);
  EXPECT_EQ(list.out, "no services in " + state_dir + "\n");
  auto s = dk({"status", "old"});
  EXPECT_EQ(s.exit_code(), 3) << describe(s);
  EXPECT_EQ(s.out, "old: not running\n");
  // And the name can be used again.
  start_child("old", {"pause"});
}

TEST_F(cli_remove, refuses_a_running_service) {
  pid_t pid = start_child("live", {"pause"});
  auto r = dk({"remove", "live"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "daemonkit: live: running; stop it first\n");
  EXPECT_TRUE(exists(statefile("live")));
  EXPECT_TRUE(exists(configfile("live")));
  EXPECT_EQ(pidfile_pid("live"), pid);
  EXPECT_TRUE(is_alive(pid));
  auto s = dk({"status", "live"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
}

TEST_F(cli_remove, refuses_a_service_waiting_in_backoff) {
  start_child("loop", {"exit", "1"}, {"--respawn", "--respawn-max-delay", "1m"});
  ASSERT_TRUE(wait_state("loop", "state", "backoff")) << read_file(statefile("loop")).value_or("");
  // Whether still in backoff or respawned by now, a monitor supervises it.
  auto r = dk({"remove", "loop"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: loop: running; stop it first\n");
  EXPECT_TRUE(exists(statefile("loop")));
  EXPECT_GT(monitor_of("loop"), 1);
}

TEST_F(cli_remove, refuses_a_service_running_without_its_monitor) {
  pid_t pid = start_child("orphan", {"pause"});
  fd_guard monitor(open_pidfd(monitor_of("orphan")));
  ASSERT_EQ(send_signal_pidfd(monitor.get(), SIGKILL), 0);
  ASSERT_TRUE(wait_exit(monitor.get(), 10s));
  auto r = dk({"remove", "orphan"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: orphan: running; stop it first\n");
  EXPECT_TRUE(exists(statefile("orphan")));
  EXPECT_TRUE(is_alive(pid));
}

TEST_F(cli_remove, forgets_what_a_monitor_and_service_killed_together_left) {
  pid_t pid = start_child("dead", {"pause"});
  fd_guard service(open_pidfd(pid));
  fd_guard monitor(open_pidfd(monitor_of("dead")));
  ASSERT_EQ(send_signal_pidfd(monitor.get(), SIGKILL), 0);
  ASSERT_TRUE(wait_exit(monitor.get(), 10s));
  ASSERT_EQ(send_signal_pidfd(service.get(), SIGKILL), 0);
  ASSERT_TRUE(wait_exit(service.get(), 10s));
  ASSERT_TRUE(exists(pidfile("dead"))) << "the killed monitor left no pidfile";
  auto r = dk({"remove", "dead"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_FALSE(has_files("dead"));
}

TEST_F(cli_remove, an_unknown_name_fails_naming_it) {
  auto r = dk({"remove", "ghost"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "daemonkit: ghost: no such service\n");
  EXPECT_FALSE(exists(state_dir)) << "remove must not create the state directory";
}

TEST_F(cli_remove, several_names_are_each_handled_and_any_failure_fails) {
  start_child("a", {"exit", "0"});
  ASSERT_TRUE(wait_state("a", "state", "exited"));
  ASSERT_TRUE(wait_state_dir([&] { return lock_holder(pidfile("a")) <= 0; }));
  start_child("b", {"pause"});
  auto r = dk({"remove", "a", "b", "c"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "a: removed\n");
  EXPECT_EQ(r.err, "daemonkit: b: running; stop it first\ndaemonkit: c: no such service\n");
  EXPECT_FALSE(has_files("a"));
  EXPECT_TRUE(has_files("b"));
}

TEST_F(cli_remove, needs_a_valid_name) {
  auto none = dk({"remove"});
  EXPECT_EQ(none.exit_code(), 2) << describe(none);
  auto bad = dk({"remove", "../etc"});
  EXPECT_EQ(bad.exit_code(), 2) << describe(bad);
  EXPECT_TRUE(contains(bad.err, "invalid service name '../etc'")) << bad.err;
}

}  // namespace
