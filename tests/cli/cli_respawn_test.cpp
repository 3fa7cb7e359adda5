// --respawn: the monitor starts the service again when it exits, with backoff,
// and gives up after --respawn-limit starts within --respawn-window.
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_respawn : public cli_fixture {
 protected:
  // Waits until the pidfile names a live process other than old; returns it.
  pid_t wait_new_instance(const std::string& name, pid_t old) {
    pid_t now = 0;
    wait_state_dir([&] {
      now = pidfile_pid(name);
      return now > 1 && now != old && is_alive(now) && state(name)["state"] == "running" &&
             state(name)["pid"] == std::to_string(now);
    });
    return now != old ? now : 0;
  }

  // The "restarting in Nms" delays the monitor logged, in order.
  std::vector<long> logged_delays(const std::string& name) {
    std::vector<long> out;
    static const std::regex re("^daemonkit: .*: restarting in (\\d+)ms$");
    for (const auto& line : split_lines(read_file(logfile(name)).value_or(""))) {
      std::smatch m;
      if (std::regex_match(line, m, re)) out.push_back(std::stol(m[1]));
    }
    return out;
  }
};

TEST_F(cli_respawn, a_killed_service_comes_back_and_the_pidfile_names_the_new_instance) {
  pid_t first = start_child("r", {"pause"}, {"--respawn"});
  pid_t monitor = monitor_of("r");
  pid_t current = first;
  for (unsigned round = 1; round <= 2; ++round) {
    fd_guard fd(open_pidfd(current));
    ASSERT_EQ(send_signal_pidfd(fd.get(), SIGKILL), 0);
    pid_t next = wait_new_instance("r", current);
    ASSERT_GT(next, 1) << "no new instance after round " << round;
    EXPECT_EQ(read_stat(next)->ppid, monitor);
    EXPECT_EQ(monitor_of("r"), monitor) << "the same monitor keeps the lock";
    EXPECT_EQ(read_file(pidfile("r")), std::to_string(next) + "\n");
    EXPECT_EQ(state("r")["restarts"], std::to_string(round));
    EXPECT_EQ(state("r")["last_exit"], "killed by signal KILL");
    current = next;
  }
  auto s = dk({"status", "r"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  EXPECT_TRUE(contains(s.out, "r: running (pid " + std::to_string(current) + ")")) << s.out;
  EXPECT_TRUE(contains(s.out, "2 restarts")) << s.out;

  auto stop = dk({"stop", "r"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_EQ(stop.out, "r: stopped (pid " + std::to_string(current) + ")\n");
}

TEST_F(cli_respawn, on_failure_does_not_restart_a_clean_exit) {
  start_child("clean", {"exit", "0"}, {"--respawn", "on-failure"});
  pid_t monitor = state("clean")["monitor_pid"].empty() ? 0 : std::stoi(state("clean")["monitor_pid"]);
  ASSERT_GT(monitor, 1);
  ASSERT_TRUE(wait_monitor_exit(monitor));
  EXPECT_EQ(state("clean")["restarts"], "0");
  auto s = dk({"status", "clean"});
  EXPECT_EQ(s.exit_code(), 3) << describe(s);
  EXPECT_EQ(s.out, "clean: not running (exited with status 0)\n");
}

TEST_F(cli_respawn, on_failure_restarts_a_failing_exit) {
  start_child("bad", {"exit", "1"}, {"--respawn", "on-failure", "--respawn-limit", "2"});
  pid_t monitor = std::stoi(state("bad")["monitor_pid"]);
  ASSERT_TRUE(wait_monitor_exit(monitor));
  EXPECT_EQ(state("bad")["restarts"], "1");
  EXPECT_EQ(state("bad")["state"], "failed");
}

TEST_F(cli_respawn, gives_up_after_the_limit_within_the_window_and_reports_failed) {
  start_child("flap", {"exit", "1"}, {"--respawn", "--respawn-limit", "3", "--respawn-window", "1m"});
  pid_t monitor = std::stoi(state("flap")["monitor_pid"]);
  ASSERT_TRUE(wait_monitor_exit(monitor, 20s));
  auto st = state("flap");
  EXPECT_EQ(st["state"], "failed");
  EXPECT_EQ(st["restarts"], "2") << "3 starts: the first and two restarts";
  EXPECT_EQ(st["last_exit"], "exited with status 1");
  EXPECT_EQ(count_lines(logfile("flap"), "daemonkit: flap: gave up"), 1u) << *read_file(logfile("flap"));
  EXPECT_EQ(count_lines(logfile("flap"), "daemonkit: flap: started again"), 2u);

  auto s = dk({"status", "flap"});
  EXPECT_EQ(s.exit_code(), 1) << describe(s);
  EXPECT_TRUE(contains(s.out, "flap: failed")) << s.out;
  auto j = dk({"status", "--json", "flap"});
  EXPECT_EQ(j.exit_code(), 1);
  EXPECT_TRUE(contains(j.out, "\"state\": \"failed\"")) << j.out;
}

TEST_F(cli_respawn, backoff_doubles_from_100ms_up_to_the_max_delay) {
  start_child("back", {"exit", "1"},
              {"--respawn", "--respawn-max-delay", "300ms", "--respawn-limit", "5", "--respawn-window", "1m"});
  pid_t monitor = std::stoi(state("back")["monitor_pid"]);
  ASSERT_TRUE(wait_monitor_exit(monitor, 20s));
  EXPECT_EQ(logged_delays("back"), (std::vector<long>{100, 200, 300, 300})) << *read_file(logfile("back"));
}

TEST_F(cli_respawn, status_during_backoff_names_no_dead_pid) {
  start_child("gap", {"exit", "1"}, {"--respawn", "--respawn-max-delay", "1m"});
  // Backoffs last 100, 200, 400, 800, 1600ms: catch one in which a whole
  // status call fits (the state is unchanged before and after it).
  bool seen = false;
  for (int restarts = 3; restarts <= 5 && !seen; ++restarts) {
    std::string want = std::to_string(restarts);
    ASSERT_TRUE(
        wait_state_dir([&] { return state("gap")["restarts"] >= want && state("gap")["state"] == "backoff"; }, 10s));
    auto before = read_file(statefile("gap"));
    if (state("gap")["restarts"] != want) continue;
    pid_t stale = pidfile_pid("gap");
    auto s = dk({"status", "gap"});
    auto j = dk({"status", "--json", "gap"});
    if (read_file(statefile("gap")) != before) continue;  // the backoff ended meanwhile
    seen = true;
    EXPECT_EQ(s.exit_code(), 0) << describe(s);
    EXPECT_TRUE(contains(s.out, "gap: backoff")) << s.out;
    EXPECT_FALSE(contains(s.out, "pid " + std::to_string(stale))) << "status names an instance that is gone:\n"
                                                                  << s.out;
    EXPECT_TRUE(contains(j.out, "\"pid\": null")) << j.out;
  }
  EXPECT_TRUE(seen) << "no backoff long enough for a status call";
}

TEST_F(cli_respawn, stop_during_backoff_stops_at_once) {
  // After three restarts the delay is 800ms: the service sits in backoff.
  // (Should stop come later, it meets a fresh instance: it must work too.)
  start_child("wait", {"exit", "1"}, {"--respawn", "--respawn-max-delay", "1m"});
  ASSERT_TRUE(
      wait_state_dir([&] { return state("wait")["state"] == "backoff" && state("wait")["restarts"] == "3"; }, 10s))
      << read_file(statefile("wait")).value_or("");
  auto began = steady::now();
  auto r = dk({"stop", "wait"});
  EXPECT_LT(steady::now() - began, 5s);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(state("wait")["state"], "stopped");
  auto s = dk({"status", "wait"});
  EXPECT_EQ(s.exit_code(), 3) << describe(s);
}

}  // namespace
