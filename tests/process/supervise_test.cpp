// SPDX-License-Identifier: MIT
// examples/supervise end to end: a service supervised with the library alone,
// checked through /proc.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

using namespace dk_test;

class supervise_test : public process_fixture {
 protected:
  command_result supervise(std::vector<std::string> args) {
    args.insert(args.begin(), DK_SUPERVISE);
    return run_command(args);
  }
  std::string dir = tmp.file("state");
};

TEST_F(supervise_test, starts_reports_and_stops_a_service) {
  auto start = supervise({"start", dir, "nap", "--", "/bin/sleep", "1000"});
  ASSERT_EQ(start.exit_code(), 0) << describe(start);
  auto pid_text = read_file(dir + "/nap.pid");
  ASSERT_TRUE(pid_text);
  pid_t pid = static_cast<pid_t>(std::stol(*pid_text));
  EXPECT_EQ(start.out, "nap: started (pid " + std::to_string(pid) + ")\n");
  // The pid is the sleep, in a session of its own, below the lock holder.
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  ASSERT_TRUE(cmdline);
  EXPECT_EQ(*cmdline, std::string("/bin/sleep\0"
                                  "1000\0",
                                  16));
  EXPECT_EQ(read_stat(pid)->session, pid);
  pid_t monitor = lock_holder(dir + "/nap.pid");
  EXPECT_EQ(read_stat(pid)->ppid, monitor);
  fd_guard service_fd(open_pidfd(pid));

  auto status = supervise({"status", dir, "nap"});
  EXPECT_EQ(status.exit_code(), 0) << describe(status);
  EXPECT_EQ(status.out, "nap: running (pid " + std::to_string(pid) + ")\n");

  auto stop = supervise({"stop", dir, "nap"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_EQ(stop.out, "nap: stopped (pid " + std::to_string(pid) + ")\n");
  // stop returns once the service is gone (the monitor reaped it).
  EXPECT_TRUE(has_exited(service_fd.get())) << "the service still runs after stop";
  EXPECT_FALSE(exists("/proc/" + std::to_string(pid))) << "pid " << pid << " is still there";

  auto after = supervise({"status", dir, "nap"});
  EXPECT_EQ(after.exit_code(), 3) << describe(after);
  EXPECT_EQ(after.out, "nap: not running (stopped)\n");
}

TEST_F(supervise_test, a_second_start_is_refused_while_the_first_runs) {
  ASSERT_EQ(supervise({"start", dir, "nap", "--", "/bin/sleep", "1000"}).exit_code(), 0);
  auto again = supervise({"start", dir, "nap", "--", "/bin/sleep", "1000"});
  EXPECT_EQ(again.exit_code(), 1) << describe(again);
  EXPECT_NE(again.err.find("already running"), std::string::npos) << describe(again);
  EXPECT_EQ(supervise({"stop", dir, "nap"}).exit_code(), 0);
}

}  // namespace
