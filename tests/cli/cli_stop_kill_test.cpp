// SPDX-License-Identifier: MIT
// stop that had to SIGKILL says so (issue 10, item 7): it is stopped (exit 0,
// the usual line on stdout), and stderr says that the stop signal was not
// enough: "NAME: stopped (pid N) with SIGKILL: still running 10s after TERM".
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_stop_kill : public cli_fixture {
 protected:
  static std::string killed_line(const std::string& name, pid_t pid, const std::string& timeout,
                                 const std::string& sig) {
    return "daemonkit: " + name + ": stopped (pid " + std::to_string(pid) + ") with SIGKILL: still running " + timeout +
           " after " + sig + "\n";
  }
};

TEST_F(cli_stop_kill, a_stop_that_had_to_kill_says_so_and_succeeds) {
  pid_t pid = start_ready("stubborn", {"ignore-term"}, {"--stop-timeout", "500ms"});
  auto r = dk({"stop", "stubborn"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "stubborn: stopped (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(r.err, killed_line("stubborn", pid, "500ms", "TERM"));
  EXPECT_FALSE(is_alive(pid));
}

TEST_F(cli_stop_kill, names_the_timeout_used_and_the_stop_signal) {
  pid_t pid = start_ready("usr1", {"watch-signals"}, {"--stop-signal", "USR1"});  // survives USR1
  auto r = dk({"stop", "--timeout", "300ms", "usr1"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.err, killed_line("usr1", pid, "300ms", "USR1"));
  EXPECT_EQ(count_exact_lines(logfile("usr1"), "signal 10"), 1u);
}

TEST_F(cli_stop_kill, a_clean_stop_says_nothing_more) {
  pid_t pid = start_ready("meek", {"pause"}, {"--stop-timeout", "5s"});
  auto r = dk({"stop", "meek"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "meek: stopped (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(cli_stop_kill, kill_mode_mixed_says_so_when_what_remained_was_killed) {
  // The main process (sh) goes at TERM; its worker ignores TERM and is
  // SIGKILLed at the stop timeout.
  const std::string child = test_child_path;
  pid_t pid = start("mixed", {"/bin/sh", "-c", child + " ignore-term & wait"},
                    {"--kill-mode", "mixed", "--stop-timeout", "400ms"});
  ASSERT_TRUE(wait_lines(logfile("mixed"), "ready"));
  auto r = dk({"stop", "mixed"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.err, killed_line("mixed", pid, "400ms", "TERM"));
}

TEST_F(cli_stop_kill, an_unsupervised_stop_that_had_to_kill_says_so) {
  pid_t pid = start_ready("alone", {"ignore-term"}, {"--stop-timeout", "300ms"});
  fd_guard monitor(open_pidfd(monitor_of("alone")));
  ASSERT_EQ(send_signal_pidfd(monitor.get(), SIGKILL), 0);
  ASSERT_TRUE(wait_exit(monitor.get(), 10s));
  auto r = dk({"stop", "alone"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "alone: stopped (pid " + std::to_string(pid) + ", was unsupervised)\n");
  EXPECT_EQ(r.err, killed_line("alone", pid, "300ms", "TERM"));
  EXPECT_FALSE(is_alive(pid));
}

}  // namespace
