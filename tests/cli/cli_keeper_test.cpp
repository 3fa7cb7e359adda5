// SPDX-License-Identifier: MIT
// The keeper of a service's output pipes as a program of its own
// (daemonkit-keep, tools/keeper/): what it is and holds while the monitor
// lives, and what it does once the monitor is gone. The guarantees it shares
// with a forked keeper (no SIGPIPE, output reaches the log, rotation, no
// duplicate) are in cli_monitor_kill_test.cpp and fault/monitor_kill_test.cpp.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <set>
#include <sys/stat.h>

#include "cli_support.hpp"

#ifndef DK_KEEPER
#define DK_KEEPER ""
#endif

namespace {

using namespace dk_cli;

const std::string keeper_program = DK_KEEPER;

class cli_keeper : public cli_fixture {
 protected:
  void SetUp() override {
    if (keeper_program.empty()) GTEST_SKIP() << "no daemonkit-keep on this architecture: monitors fork their keepers";
    cli_fixture::SetUp();
  }

  pid_t keeper_of(const std::string& name) {
    auto st = state(name);
    return st.count("keeper_pid") != 0 ? static_cast<pid_t>(std::stol(st["keeper_pid"])) : 0;
  }

  // A kB figure of /proc/PID/smaps_rollup, -1 when absent.
  static long smaps_kb(pid_t pid, const std::string& key) {
    auto text = read_file("/proc/" + std::to_string(pid) + "/smaps_rollup");
    if (!text) return -1;
    for (const auto& line : split_lines(*text)) {
      if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    }
    return -1;
  }
};

TEST_F(cli_keeper, is_the_small_program_holding_the_pipes_the_monitors_pidfd_and_the_drain_program) {
  pid_t pid = start_child("k", {"pause"}, {"--stdout", log_dir + "/k.out", "--stderr", log_dir + "/k.err"});
  ASSERT_GT(pid, 1);
  ASSERT_TRUE(wait_lines(log_dir + "/k.out", "ready"));
  pid_t monitor = monitor_of("k");
  pid_t keeper = keeper_of("k");
  ASSERT_GT(keeper, 1) << "no keeper_pid in " << statefile("k");
  EXPECT_EQ(read_stat(keeper)->ppid, monitor);
  EXPECT_EQ(read_link("/proc/" + std::to_string(keeper) + "/exe"), keeper_program);
  EXPECT_EQ(comm_of(keeper), "daemonkit-keep");
  EXPECT_TRUE(is_keeper(monitor, keeper));

  // Exactly: /dev/null on 0-2, the monitor's pidfd, the read ends of the
  // service's two pipes, and the monitor program (O_PATH) it execs to drain.
  auto fds = fds_of(keeper);
  auto service_fds = fds_of(pid);
  std::multiset<std::string> held;
  for (const auto& [fd, target] : fds) {
    if (fd <= 2) EXPECT_EQ(target, "/dev/null") << "fd " << fd;
    else held.insert(target);
  }
  std::multiset<std::string> want{"anon_inode:[pidfd]", service_fds[1], service_fds[2],
                                  read_link("/proc/" + std::to_string(monitor) + "/exe")};
  std::string listing;
  for (const auto& [fd, target] : fds) listing += "\n  " + std::to_string(fd) + " -> " + target;
  EXPECT_EQ(held, want) << listing;
  EXPECT_NE(service_fds[1], service_fds[2]) << "split logs: one pipe each";

  // What it keeps resident: its stack and nothing else of its own (a forked
  // keeper carried ~80 KiB of the monitor's dirty pages).
  long anon = smaps_kb(keeper, "Anonymous");
  EXPECT_GE(anon, 0);
  EXPECT_LE(anon, 16) << "kB of anonymous memory in the keeper";
}

TEST_F(cli_keeper, once_the_monitor_is_gone_the_drain_copies_each_stream_to_its_log) {
  const std::string fifo = tmp.file("say");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string out = log_dir + "/d.out", err = log_dir + "/d.err";
  start("d",
        {"/bin/sh", "-c",
         "echo ready; read -r x < " + fifo + "; echo \"out $x\"; echo \"err $x\" >&2; exec " +
             std::string(test_child_path) + " pause"},
        {"--stdout", out, "--stderr", err, "--timestamps"});
  ASSERT_TRUE(wait_until([&] { return contains(read_file(out).value_or(""), " ready\n"); }, 10s));
  pid_t keeper = keeper_of("d");
  ASSERT_GT(keeper, 1);
  fd_guard keeper_fd(open_pidfd(keeper));
  fd_guard monitor_fd(open_pidfd(monitor_of("d")));
  ASSERT_EQ(send_signal_pidfd(monitor_fd.get(), SIGKILL), 0);
  ASSERT_TRUE(wait_exit(monitor_fd.get(), 10s));

  // The service writes only now, with no monitor: the keeper (now the
  // monitor program's drain, under the same pid and name) copies it.
  {
    fd_guard w(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(w.valid());
    ASSERT_EQ(::write(w.get(), "after\n", 6), 6);
  }
  auto has_line = [](const std::string& path, const std::string& text) {
    for (const auto& line : split_lines(read_file(path).value_or(""))) {
      // "2026-11-25T10:38:07.123+00:00 text": the drain kept --timestamps.
      if (line.size() > 30 && line[4] == '-' && line[10] == 'T' && line.substr(line.find(' ') + 1) == text) return true;
    }
    return false;
  };
  EXPECT_TRUE(wait_until([&] { return has_line(out, "out after"); }, 10s)) << read_file(out).value_or("");
  EXPECT_TRUE(wait_until([&] { return has_line(err, "err after"); }, 10s)) << read_file(err).value_or("");
  EXPECT_FALSE(has_exited(keeper_fd.get()));
  EXPECT_EQ(read_link("/proc/" + std::to_string(keeper) + "/exe"), std::string(DK_MONITOR));
  EXPECT_EQ(comm_of(keeper), "daemonkit-keep");

  // Stopped, the service closes its pipes: the drain ends by itself.
  auto r = dk({"stop", "d"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(wait_exit(keeper_fd.get(), 10s)) << "the keeper outlived every writer";
}

}  // namespace
