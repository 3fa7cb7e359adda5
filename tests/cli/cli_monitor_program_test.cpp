// SPDX-License-Identifier: MIT
// The monitor runs as a program of its own (daemonkit-monitor): start, run and
// restart exec it once the pidfile is locked, so what stays resident for a
// service is the monitor, not the CLI. Without the program the CLI is the
// monitor itself, as before.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_monitor_program : public cli_fixture {
 protected:
  static std::string exe_of(pid_t pid) { return read_link("/proc/" + std::to_string(pid) + "/exe"); }
};

TEST_F(cli_monitor_program, start_execs_the_monitor_program_which_holds_the_lock_and_answers_for_the_service) {
  pid_t svc = start_ready("mp", {"pause"});
  pid_t monitor = monitor_of("mp");
  ASSERT_GT(monitor, 0);
  EXPECT_EQ(exe_of(monitor), std::filesystem::canonical(monitor_path).string());
  EXPECT_EQ(comm_of(monitor), "daemonkit") << "the monitor keeps the name ps and pgrep know";
  EXPECT_TRUE(contains(cmdline_of(monitor), "--name mp ")) << cmdline_of(monitor);
  auto st = state("mp");
  EXPECT_EQ(st["monitor_pid"], std::to_string(monitor));
  EXPECT_EQ(st["pid"], std::to_string(svc));
  EXPECT_TRUE(exists(configfile("mp"))) << "the exec'd monitor stores the options";

  // What crossed the exec is not passed on: the service has only its stdio.
  auto fds = fds_of(svc);
  for (const auto& [fd, target] : fds) EXPECT_LE(fd, 2) << "fd " << fd << " -> " << target << " leaked";

  auto r = dk({"stop", "mp"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(wait_monitor_exit(monitor));
  EXPECT_FALSE(exists(pidfile("mp")));
}

TEST_F(cli_monitor_program, run_becomes_the_monitor_in_place) {
  auto run = dk_spawn({"run", "--name", "fg", "--stop-timeout", "500ms", "--", test_child_path, "watch-signals"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  EXPECT_EQ(monitor_of("fg"), run.pid) << "run keeps its pid: a container's PID 1 stays PID 1";
  EXPECT_EQ(exe_of(run.pid), std::filesystem::canonical(monitor_path).string());
  ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), SIGTERM), 0);
  EXPECT_EQ(out.next(10s), "signal " + std::to_string(SIGTERM));
  auto r = finish(run, 20s);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(cli_monitor_program, without_the_program_the_cli_is_the_monitor) {
  // A copy of the CLI alone, as when someone copies just the binary.
  const std::string alone = tmp.file("bin/daemonkit");
  std::filesystem::create_directories(tmp.file("bin"));
  std::filesystem::copy_file(tool_path, alone);
  auto r = run_command({alone, "start", "--name", "solo", "--", test_child_path, "pause"}, env());
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t monitor = monitor_of("solo");
  ASSERT_GT(monitor, 0);
  EXPECT_EQ(exe_of(monitor), alone);
  auto stop = run_command({alone, "stop", "solo"}, env());
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_TRUE(wait_monitor_exit(monitor));
}

TEST_F(cli_monitor_program, run_by_hand_it_refuses_and_does_nothing) {
  auto r = run_command({monitor_path}, env());
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "daemonkit-monitor: missing --state")) << r.err;
  auto bad = run_command({monitor_path, "--state", tmp.file("x.state"), "--pidfile", tmp.file("x.pid"), "--pidfile-fd",
                          "1", "--options-fd", "7"},
                         env());
  EXPECT_EQ(bad.exit_code(), 2) << describe(bad);
  EXPECT_TRUE(contains(bad.err, "invalid option --pidfile-fd 1")) << bad.err;
  // The service's user crosses whole or not at all: never a uid without its
  // groups (a service run with none of its supplementary groups).
  auto part = run_command({monitor_path, "--no-state", "--options-fd", "7", "--uid", "65534", "--gid", "65534"}, env());
  EXPECT_EQ(part.exit_code(), 2) << describe(part);
  EXPECT_TRUE(contains(part.err, "--uid, --gid, --groups and --user-name go together")) << part.err;
  auto trailing = run_command({monitor_path, "--no-state", "--options-fd", "7", "--groups", "1,"}, env());
  EXPECT_EQ(trailing.exit_code(), 2) << describe(trailing);
  EXPECT_TRUE(contains(trailing.err, "invalid option --groups 1,")) << trailing.err;
  // --no-state is all or nothing: no pidfile or state beside it.
  auto mixed = run_command({monitor_path, "--no-state", "--state", tmp.file("x.state"), "--options-fd", "7"}, env());
  EXPECT_EQ(mixed.exit_code(), 2) << describe(mixed);
  EXPECT_TRUE(contains(mixed.err, "daemonkit-monitor: missing --state")) << mixed.err;
  // Well-formed, but the fds are not what daemonkit hands over.
  auto junk = run_command({monitor_path, "--state", tmp.file("x.state"), "--pidfile", tmp.file("x.pid"), "--pidfile-fd",
                           "7", "--options-fd", "8"},
                          env());
  EXPECT_EQ(junk.exit_code(), 1) << describe(junk);
  EXPECT_TRUE(contains(junk.err, "daemonkit-monitor: cannot take up pidfile")) << junk.err;
  EXPECT_FALSE(exists(tmp.file("x.state")));
  EXPECT_FALSE(exists(tmp.file("x.pid")));
}

}  // namespace
