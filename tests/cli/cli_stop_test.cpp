// SPDX-License-Identifier: MIT
// daemonkit stop, restart, reload and signal: acting on a running service.
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_stop : public cli_fixture {
 protected:
  // Every live process of the service's tree below its monitor, without the
  // monitor's log keeper.
  std::vector<pid_t> service_tree(pid_t monitor) {
    std::vector<pid_t> out;
    for (pid_t p : descendants_of(monitor)) {
      if (!is_keeper(monitor, p)) out.push_back(p);
    }
    return out;
  }

  static std::vector<pid_t> alive(const std::vector<pid_t>& pids) {
    std::vector<pid_t> out;
    for (pid_t p : pids) {
      if (is_alive(p)) out.push_back(p);
    }
    return out;
  }
};

TEST_F(cli_stop, stops_a_running_service_and_returns_once_it_is_gone) {
  pid_t pid = start_child("svc", {"pause"});
  pid_t monitor = monitor_of("svc");
  auto r = dk({"stop", "svc"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "svc: stopped (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(r.err, "");
  // Gone when stop returns: no waiting needed.
  EXPECT_FALSE(is_alive(pid));
  EXPECT_FALSE(is_alive(monitor));
  EXPECT_LE(lock_holder(pidfile("svc")), 0);
  EXPECT_EQ(state("svc")["state"], "stopped");
  auto s = dk({"status", "svc"});
  EXPECT_EQ(s.exit_code(), 3) << describe(s);
  EXPECT_EQ(s.out, "svc: not running (stopped)\n");
}

TEST_F(cli_stop, stop_of_a_service_that_is_not_running_succeeds_and_says_so) {
  auto r = dk({"stop", "never"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "never: not running\n");

  start_child("svc", {"pause"});
  ASSERT_EQ(dk({"stop", "svc"}).exit_code(), 0);
  auto again = dk({"stop", "svc"});
  EXPECT_EQ(again.exit_code(), 0) << describe(again);
  EXPECT_EQ(again.out, "svc: not running\n");
}

TEST_F(cli_stop, stops_the_whole_tree_including_a_grandchild_that_left_the_session) {
  const std::string child = test_child_path;
  // Two grandchildren orphaned at once (one in a session of its own), one
  // worker in the background, and the master waiting.
  std::string script =
      child + " fork-grandchild; setsid " + child + " fork-grandchild; " + child + " sleep 3600 & echo started; wait";
  pid_t pid = start("tree", {"/bin/sh", "-c", script});
  pid_t monitor = monitor_of("tree");
  ASSERT_TRUE(wait_lines(logfile("tree"), "started"));
  auto lines = split_lines(*read_file(logfile("tree")));
  ASSERT_EQ(lines.size(), 3u) << *read_file(logfile("tree"));
  pid_t grandchild = std::stoi(lines[0]), setsid_grandchild = std::stoi(lines[1]);
  // The orphans came back to the monitor (a child subreaper).
  EXPECT_EQ(read_stat(grandchild)->ppid, monitor);
  EXPECT_EQ(read_stat(setsid_grandchild)->ppid, monitor);
  EXPECT_NE(read_stat(setsid_grandchild)->session, pid);
  auto tree = service_tree(monitor);
  EXPECT_EQ(tree.size(), 4u) << describe_processes(tree);

  auto r = dk({"stop", "tree"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  auto left = alive(tree);
  EXPECT_TRUE(left.empty()) << "stop returned with processes of the service alive:\n" << describe_processes(left);
}

TEST_F(cli_stop, escalates_to_kill_after_the_stop_timeout) {
  pid_t pid = start_child("stubborn", {"ignore-term"}, {"--stop-timeout", "500ms"});
  // Only once it said "ready" is TERM ignored.
  ASSERT_TRUE(wait_lines(logfile("stubborn"), "ready"));
  auto began = steady::now();
  auto r = dk({"stop", "stubborn"});
  auto took = steady::now() - began;
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_FALSE(is_alive(pid));
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 8s);
  EXPECT_EQ(count_lines(logfile("stubborn"), "daemonkit: stubborn: still running after 500ms; sending SIGKILL"), 1u)
      << *read_file(logfile("stubborn"));
  EXPECT_EQ(state("stubborn")["last_exit"], "killed by signal KILL");
}

TEST_F(cli_stop, timeout_option_overrides_the_configured_stop_timeout) {
  pid_t pid = start_child("stubborn", {"ignore-term"});  // default --stop-timeout 10s
  ASSERT_TRUE(wait_lines(logfile("stubborn"), "ready"));
  auto began = steady::now();
  auto r = dk({"stop", "--timeout", "300ms", "stubborn"});
  auto took = steady::now() - began;
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_FALSE(is_alive(pid));
  EXPECT_LT(took, 8s) << "stop waited for the configured 10s, not --timeout";
}

TEST_F(cli_stop, stop_signal_option_is_what_the_service_receives) {
  start_child("sig", {"watch-signals"}, {"--stop-signal", "USR1", "--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("sig"), "ready"));
  auto r = dk({"stop", "sig"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(count_lines(logfile("sig"), "signal 10"), 1u) << *read_file(logfile("sig"));
  EXPECT_EQ(count_lines(logfile("sig"), "signal 15"), 0u);
}

TEST_F(cli_stop, kill_mode_process_stops_only_the_main_process) {
  std::string script = std::string(test_child_path) + " sleep 3600 & echo started; wait";
  pid_t pid = start("main-only", {"/bin/sh", "-c", script}, {"--kill-mode", "process"});
  pid_t monitor = monitor_of("main-only");
  ASSERT_TRUE(wait_lines(logfile("main-only"), "started"));
  auto tree = service_tree(monitor);
  ASSERT_EQ(tree.size(), 2u) << describe_processes(tree);
  pid_t worker = tree[0] == pid ? tree[1] : tree[0];
  fd_guard worker_fd(open_pidfd(worker));
  auto r = dk({"stop", "main-only"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_FALSE(is_alive(pid));
  EXPECT_TRUE(is_alive(worker)) << "--kill-mode process must leave the other processes alone";
  send_signal_pidfd(worker_fd.get(), SIGKILL);
}

TEST_F(cli_stop, restart_starts_a_new_instance_with_the_stored_options) {
  pid_t old = start_ready("svc", {"pause"}, {"--env", "FLAVOUR=mint", "--umask", "027"});
  auto r = dk({"restart", "svc"});
  ASSERT_TRUE(wait_lines(logfile("svc"), "ready", 2));  // the new instance is past its exec
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t pid = pidfile_pid("svc");
  EXPECT_EQ(r.out,
            "svc: stopped (pid " + std::to_string(old) + ")\nsvc: restarted (pid " + std::to_string(pid) + ")\n");
  EXPECT_NE(pid, old);
  EXPECT_FALSE(is_alive(old));
  ASSERT_TRUE(is_alive(pid));
  EXPECT_EQ(read_stat(pid)->ppid, monitor_of("svc"));
  EXPECT_EQ(umask_of(pid), 027u);
  auto environ_text = read_file("/proc/" + std::to_string(pid) + "/environ");
  ASSERT_TRUE(environ_text);
  EXPECT_TRUE(contains(*environ_text, std::string("FLAVOUR=mint\0", 13)));
}

TEST_F(cli_stop, restart_of_an_unknown_service_fails) {
  auto r = dk({"restart", "ghost"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: ghost: no such service\n");
}

TEST_F(cli_stop, reload_sends_the_reload_signal_through_the_monitor) {
  start_child("hup", {"watch-signals"}, {"--stop-timeout", "300ms"});
  start_child("usr2", {"watch-signals"}, {"--reload-signal", "USR2", "--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("hup"), "ready"));
  ASSERT_TRUE(wait_lines(logfile("usr2"), "ready"));
  auto r = dk({"reload", "hup"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(wait_lines(logfile("hup"), "signal 1"));
  auto r2 = dk({"reload", "usr2"});
  EXPECT_EQ(r2.exit_code(), 0) << describe(r2);
  EXPECT_TRUE(wait_lines(logfile("usr2"), "signal 12"));
  EXPECT_EQ(count_exact_lines(logfile("usr2"), "signal 1"), 0u);
}

TEST_F(cli_stop, signal_accepts_names_with_and_without_sig_and_numbers) {
  pid_t pid = start_child("w", {"watch-signals"}, {"--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("w"), "ready"));
  auto a = dk({"signal", "w", "USR1"});
  EXPECT_EQ(a.exit_code(), 0) << describe(a);
  EXPECT_EQ(a.out, "w: sent SIGUSR1 to pid " + std::to_string(pid) + "\n");
  ASSERT_TRUE(wait_lines(logfile("w"), "signal 10"));
  EXPECT_EQ(dk({"signal", "w", "SIGUSR2"}).exit_code(), 0);
  ASSERT_TRUE(wait_lines(logfile("w"), "signal 12"));
  EXPECT_EQ(dk({"signal", "w", "15"}).exit_code(), 0);
  ASSERT_TRUE(wait_lines(logfile("w"), "signal 15"));
  EXPECT_EQ(dk({"signal", "w", "TERM"}).exit_code(), 0);
  EXPECT_TRUE(wait_lines(logfile("w"), "signal 15", 2));

  auto bad = dk({"signal", "w", "NOPE"});
  EXPECT_EQ(bad.exit_code(), 2) << describe(bad);
  EXPECT_EQ(bad.out, "");
  EXPECT_TRUE(contains(bad.err, "NOPE")) << bad.err;
}

TEST_F(cli_stop, signal_and_reload_of_a_service_that_is_not_running_fail) {
  auto s = dk({"signal", "ghost", "TERM"});
  EXPECT_EQ(s.exit_code(), 1) << describe(s);
  EXPECT_EQ(s.err, "daemonkit: ghost: not running\n");
  auto r = dk({"reload", "ghost"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: ghost: not running\n");
}

}  // namespace
