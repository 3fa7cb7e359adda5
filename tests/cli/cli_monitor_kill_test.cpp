// SPDX-License-Identifier: MIT
// When the monitor is SIGKILLed the service is not lost: status reports it
// (unsupervised), start does not launch a duplicate, stop stops it, and its
// output still reaches the log.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_monitor_kill : public cli_fixture {
 protected:
  // Starts NAME, then SIGKILLs its monitor and waits until it is gone;
  // returns the service's pid.
  pid_t start_and_kill_monitor(const std::string& name, const std::vector<std::string>& command,
                               const std::vector<std::string>& options = {}) {
    pid_t pid = start(name, command, options);
    pid_t monitor = monitor_of(name);
    EXPECT_GT(monitor, 1);
    fd_guard fd(open_pidfd(monitor));
    EXPECT_EQ(send_signal_pidfd(fd.get(), SIGKILL), 0);
    EXPECT_TRUE(wait_exit(fd.get(), 10s));
    return pid;
  }

  // Stops NAME (whose monitor is already gone) and returns the processes of
  // tree still alive afterwards.
  std::vector<pid_t> stop_and_collect(const std::string& name, const std::vector<pid_t>& tree) {
    auto r = dk({"stop", name});
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    std::vector<pid_t> left;
    for (pid_t p : tree) {
      if (is_alive(p)) left.push_back(p);
    }
    return left;
  }

  // Starts a shell running `script` as NAME, waits for its "started" line,
  // records its tree and SIGKILLs the monitor; returns the tree.
  std::vector<pid_t> start_tree_and_kill_monitor(const std::string& name, const std::string& script,
                                                 size_t expected_size) {
    start(name, {"/bin/sh", "-c", script});
    pid_t monitor = monitor_of(name);
    EXPECT_TRUE(wait_lines(logfile(name), "started"));
    std::vector<pid_t> tree;
    for (pid_t p : descendants_of(monitor)) {
      if (!is_keeper(monitor, p)) tree.push_back(p);
    }
    EXPECT_EQ(tree.size(), expected_size) << describe_processes(tree);
    fd_guard fd(open_pidfd(monitor));
    EXPECT_EQ(send_signal_pidfd(fd.get(), SIGKILL), 0);
    EXPECT_TRUE(wait_exit(fd.get(), 10s));
    return tree;
  }
};

TEST_F(cli_monitor_kill, status_reports_the_service_as_running_unsupervised) {
  pid_t pid = start_and_kill_monitor("orphan", {test_child_path, "pause"});
  ASSERT_TRUE(is_alive(pid)) << "the service died with its monitor";
  auto r = dk({"status", "orphan"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "orphan: running (pid " + std::to_string(pid) + ", unsupervised")) << r.out;
  auto j = dk({"status", "--json", "orphan"});
  auto arr = nlohmann::json::parse(j.out);
  ASSERT_EQ(arr.size(), 1u);
  EXPECT_EQ(arr[0]["state"], "unsupervised");
  EXPECT_EQ(arr[0]["running"], true);
  EXPECT_EQ(arr[0]["supervised"], false);
  EXPECT_EQ(arr[0]["pid"], pid);
}

TEST_F(cli_monitor_kill, start_refuses_to_launch_a_duplicate) {
  pid_t pid = start_and_kill_monitor("orphan", {test_child_path, "pause"});
  auto before = descendants_of(::getpid());
  auto r = dk({"start", "--name", "orphan", "--", test_child_path, "pause"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "daemonkit: orphan: already running (pid " + std::to_string(pid))) << r.err;
  EXPECT_EQ(descendants_of(::getpid()), before) << "start launched something";
  auto run = dk({"run", "--name", "orphan", "--", test_child_path, "exit", "0"});
  EXPECT_EQ(run.exit_code(), 1) << describe(run);
}

TEST_F(cli_monitor_kill, stop_stops_it_and_leaves_nothing) {
  pid_t pid = start_and_kill_monitor("orphan", {test_child_path, "pause"});
  auto r = dk({"stop", "orphan"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "orphan: stopped (pid " + std::to_string(pid))) << r.out;
  EXPECT_FALSE(is_alive(pid));
  // The keeper sees EOF once the service is gone and exits by itself.
  auto left = wait_no_descendants(10s);
  EXPECT_TRUE(left.empty()) << describe_processes(left);
  auto s = dk({"status", "orphan"});
  EXPECT_EQ(s.exit_code(), 3) << describe(s);
  // And it can be started again.
  start_child("orphan", {"pause"});
}

TEST_F(cli_monitor_kill, stop_escalates_to_kill_for_an_unsupervised_service_ignoring_term) {
  pid_t pid = start_and_kill_monitor("stubborn", {test_child_path, "ignore-term"}, {"--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("stubborn"), "ready"));
  auto r = dk({"stop", "stubborn"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_FALSE(is_alive(pid));
}

TEST_F(cli_monitor_kill, the_services_output_still_reaches_the_log) {
  pid_t pid = start_and_kill_monitor("talk", {test_child_path, "watch-signals"}, {"--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("talk"), "ready"));
  auto r = dk({"signal", "talk", "USR1"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(wait_lines(logfile("talk"), "signal 10")) << "the keeper did not copy the output";
  EXPECT_TRUE(is_alive(pid)) << "the service died writing to its output (SIGPIPE?)";
}

TEST_F(cli_monitor_kill, stop_stops_every_process_in_the_services_session) {
  const std::string child = test_child_path;
  auto tree =
      start_tree_and_kill_monitor("tree", child + " sleep 3600 & " + child + " fork-grandchild; echo started; wait", 3);
  auto left = stop_and_collect("tree", tree);
  EXPECT_TRUE(left.empty()) << "stop of an unsupervised service left:\n" << describe_processes(left);
}

// Known gap (reported, not fixed: a design question): once the monitor is
// gone nothing records a descendant that left the service's session with
// setsid, so `stop` of an unsupervised service misses it, and the keeper
// (which waits for EOF on the output pipe that process still holds) stays
// too. Enable once the tool can find such processes (e.g. by the output
// pipe's inode, or a cgroup).
TEST_F(cli_monitor_kill, DISABLED_stop_stops_a_setsid_grandchild_of_an_unsupervised_service) {
  const std::string child = test_child_path;
  auto tree = start_tree_and_kill_monitor(
      "tree", child + " sleep 3600 & setsid " + child + " fork-grandchild; echo started; wait", 3);
  auto left = stop_and_collect("tree", tree);
  EXPECT_TRUE(left.empty()) << "stop of an unsupervised service left:\n" << describe_processes(left);
}

}  // namespace
