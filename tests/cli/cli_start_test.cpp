// SPDX-License-Identifier: MIT
// daemonkit start: what it prints, what it leaves running, and how each
// readiness mode decides when it returns.
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_start : public cli_fixture {};

TEST_F(cli_start, prints_the_service_pid_and_leaves_it_running_under_a_monitor) {
  pid_t pid = start_child("svc", {"pause"});
  ASSERT_GT(pid, 1);
  EXPECT_EQ(read_file(pidfile("svc")), std::to_string(pid) + "\n");

  // The monitor holds the pidfile's lock and is the service's parent.
  pid_t monitor = monitor_of("svc");
  ASSERT_GT(monitor, 1);
  EXPECT_NE(monitor, pid);
  EXPECT_EQ(comm_of(monitor), "daemonkit");
  EXPECT_EQ(read_stat(pid)->ppid, monitor);
  // The starter is gone: the monitor is a daemon, reparented to us (the subreaper).
  EXPECT_EQ(read_stat(monitor)->ppid, ::getpid());
  // The service leads a session and process group of its own.
  EXPECT_EQ(read_stat(pid)->session, pid);
  EXPECT_EQ(read_stat(pid)->pgrp, pid);
  EXPECT_NE(read_stat(monitor)->session, read_stat(::getpid())->session);
  // A keeper holds the output pipes for the case the monitor dies.
  auto kids = children_of(monitor);
  ASSERT_EQ(kids.size(), 2u) << describe_processes(kids);
  pid_t keeper = kids[0] == pid ? kids[1] : kids[0];
  EXPECT_TRUE(is_keeper(monitor, keeper)) << describe_processes(kids);
  // The keeper names itself once it runs; a process's name has no change
  // event, so this re-checks /proc (bounded).
  EXPECT_TRUE(wait_until([&] { return comm_of(keeper) == "daemonkit-keep"; }, 5s)) << comm_of(keeper);

  auto st = state("svc");
  EXPECT_EQ(st["state"], "running");
  EXPECT_EQ(st["monitor_pid"], std::to_string(monitor));
  EXPECT_EQ(st["pid"], std::to_string(pid));
  EXPECT_EQ(st["restarts"], "0");
  EXPECT_TRUE(exists(configfile("svc")));

  // The state directory is private.
  struct stat sb {};
  ASSERT_EQ(::stat(state_dir.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0700u);
}

TEST_F(cli_start, output_goes_to_the_default_log_in_the_log_directory) {
  start("out",
        {"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exec " + std::string(test_child_path) + " pause"});
  ASSERT_TRUE(wait_lines(logfile("out"), "ready"));
  EXPECT_EQ(read_file(logfile("out")), "to-stdout\nto-stderr\nready\n");
}

TEST_F(cli_start, creates_a_missing_log_directory_and_takes_the_directories_as_options) {
  std::string state = tmp.file("other-state"), logs = tmp.file("a/b/logs");
  command_options no_env;
  auto r = run_command(
      {tool_path, "start", "--state-dir", state, "--log-dir", logs, "--name", "opt", "--", test_child_path, "pause"},
      no_env);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(exists(state + "/opt.pid"));
  EXPECT_FALSE(exists(pidfile("opt")));
  EXPECT_TRUE(wait_lines(logs + "/opt.log", "ready"));
  auto stop = run_command({tool_path, "stop", "--state-dir", state, "opt"}, no_env);
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_TRUE(contains(stop.out, "opt: stopped"));
}

TEST_F(cli_start, name_defaults_to_the_basename_of_the_command) {
  auto r = dk({"start", "--", test_child_path, "pause"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t pid = pidfile_pid("dk_test_child");
  EXPECT_EQ(r.out, "dk_test_child: started (pid " + std::to_string(pid) + ")\n");
}

TEST_F(cli_start, refuses_a_second_instance_and_names_the_running_one) {
  pid_t pid = start_child("svc", {"pause"});
  pid_t monitor = monitor_of("svc");
  auto before = descendants_of(::getpid());
  auto r = dk({"start", "--name", "svc", "--", test_child_path, "pause"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "daemonkit: svc: already running (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(pidfile_pid("svc"), pid);
  EXPECT_EQ(monitor_of("svc"), monitor);
  EXPECT_EQ(descendants_of(::getpid()), before) << "a second start must not launch anything";
}

TEST_F(cli_start, a_missing_program_fails_the_start_with_the_reason) {
  auto r = dk({"start", "--name", "nope", "--", "/nonexistent/nope"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "daemonkit: nope: cannot execute '/nonexistent/nope': No such file or directory\n");
  EXPECT_TRUE(wait_no_descendants(10s).empty());
  EXPECT_LE(lock_holder(pidfile("nope")), 0) << "nobody may hold the lock (or the pidfile is gone)";
  auto s = dk({"status", "nope"});
  EXPECT_EQ(s.exit_code(), 1) << describe(s);
}

TEST_F(cli_start, a_program_that_cannot_run_fails_the_start) {
  write_file(tmp.file("script"), "#!/bin/sh\nexit 0\n");  // not executable
  auto r = dk({"start", "--name", "noexec", "--", tmp.file("script")});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: noexec: cannot execute '" + tmp.file("script") + "': Permission denied\n");
}

// --ready notify: start returns only once the service said READY=1.
TEST_F(cli_start, notify_readiness_returns_only_after_ready) {
  std::string fifo = tmp.file("go");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string script =
      "echo waiting; read x < " + fifo + "; " + test_child_path + " notify-ready; exec " + test_child_path + " pause";
  auto starter = dk_spawn({"start", "--name", "n", "--ready", "notify", "--", "/bin/sh", "-c", script});
  ASSERT_TRUE(wait_lines(logfile("n"), "waiting"));
  // The service runs but has not said READY: start is still waiting.
  EXPECT_FALSE(has_exited(starter.pidfd.get())) << "start returned before the service was ready";
  EXPECT_EQ(state("n")["state"], "starting");
  // Our end stays open until start is done, so the line cannot be lost.
  fd_guard go(::open(fifo.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
  ASSERT_TRUE(go.valid());
  ASSERT_EQ(::write(go.get(), "go\n", 3), 3);
  auto r = finish(starter, 10s);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t pid = pidfile_pid("n");
  EXPECT_EQ(r.out, "n: started (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(state("n")["state"], "running");
  EXPECT_EQ(read_stat(pid)->ppid, monitor_of("n"));
}

TEST_F(cli_start, notify_service_exiting_before_ready_fails_at_once_with_its_last_output) {
  auto began = steady::now();
  auto r = dk({"start", "--name", "early", "--ready", "notify", "--ready-timeout", "60s", "--", test_child_path,
               "stderr", "cannot bind port 80", "3"},
              {}, 20s);
  EXPECT_LT(steady::now() - began, 10s) << "the start must fail when the service exits, not at the timeout";
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "daemonkit: early: exited with status 3 before it was ready; last output:\n"
            "    cannot bind port 80\n");
  EXPECT_TRUE(wait_no_descendants(10s).empty());
  auto s = dk({"status", "early"});
  EXPECT_EQ(s.exit_code(), 1) << describe(s);
}

TEST_F(cli_start, ready_timeout_fails_the_start_and_leaves_nothing_running) {
  auto began = steady::now();
  auto r =
      dk({"start", "--name", "slow", "--ready", "notify", "--ready-timeout", "1s", "--", test_child_path, "pause"});
  auto took = steady::now() - began;
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "daemonkit: slow: did not become ready within 1s")) << r.err;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 10s);
  EXPECT_TRUE(wait_no_descendants(10s).empty()) << "a failed start must not leave the service running";
  EXPECT_LE(lock_holder(pidfile("slow")), 0) << "nobody may hold the lock (or the pidfile is gone)";
  auto s = dk({"status", "slow"});
  EXPECT_EQ(s.exit_code(), 1) << describe(s);
}

TEST_F(cli_start, stop_while_starting_fails_the_waiting_start) {
  auto starter = dk_spawn({"start", "--name", "st", "--ready", "notify", "--", test_child_path, "pause"});
  ASSERT_TRUE(wait_lines(logfile("st"), "ready"));  // running, but it never sends READY=1
  ASSERT_TRUE(wait_state("st", "state", "starting"));
  auto stop = dk({"stop", "st"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  auto r = finish(starter, 10s);
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: st: stopped before it was ready\n");
  auto s = dk({"status", "st"});
  EXPECT_EQ(s.exit_code(), 3) << describe(s);
}

TEST_F(cli_start, fd_readiness_waits_for_a_newline_on_the_named_fd) {
  std::string script = "echo before; echo >&5; exec " + std::string(test_child_path) + " pause";
  pid_t pid = start("fdr", {"/bin/sh", "-c", script}, {"--ready", "fd:5"});
  ASSERT_TRUE(wait_lines(logfile("fdr"), "ready"));  // the exec after the readiness line is done
  EXPECT_EQ(comm_of(pid), "dk_test_child");
  EXPECT_EQ(state("fdr")["state"], "running");
}

TEST_F(cli_start, fd_readiness_closed_without_a_newline_is_not_ready) {
  std::string script = "exec 5>&-; exec " + std::string(test_child_path) + " pause";
  auto r = dk({"start", "--name", "fdc", "--ready", "fd:5", "--ready-timeout", "1s", "--", "/bin/sh", "-c", script});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "did not become ready within 1s")) << r.err;
  EXPECT_TRUE(wait_no_descendants(10s).empty());
}

TEST_F(cli_start, fd_readiness_service_exiting_early_reports_status_and_output) {
  auto r = dk({"start", "--name", "fde", "--ready", "fd:5", "--", "/bin/sh", "-c", "echo hi; echo bye >&2; exit 4"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: fde: exited with status 4 before it was ready; last output:\n    hi\n    bye\n");
}

TEST_F(cli_start, start_does_not_keep_the_callers_output_open) {
  // A caller reading start's output (a shell's $(...)) must see EOF when start
  // exits, although the monitor lives on.
  auto starter = dk_spawn({"start", "--name", "pipe", "--", test_child_path, "pause"});
  auto r = finish(starter, 10s);
  EXPECT_FALSE(r.timed_out) << "something kept start's stdout or stderr open";
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
}

}  // namespace
