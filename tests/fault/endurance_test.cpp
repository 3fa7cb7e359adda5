// SPDX-License-Identifier: MIT
// Endurance: a thousand start/stop cycles of one service, and a thousand
// respawns under one monitor, leave nothing behind: no process, no zombie,
// no stray file, no fd or memory growth in the monitor.
#include <gtest/gtest.h>

#include "fault_support.hpp"

namespace {

using namespace dk_fault;

class endurance : public fault_fixture {};

constexpr int k_cycles = 1000;
constexpr long k_respawns = 1000;

TEST_F(endurance, a_thousand_start_stop_cycles_leave_nothing_behind) {
  for (int cycle = 1; cycle <= k_cycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    auto r = dk({"start", "--name", "s", "--", test_child_path, "sleep", "1000"});
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    pid_t pid = service_pid_in(r.out);
    ASSERT_GT(pid, 1) << describe(r);
    pid_t monitor = monitor_of("s");
    ASSERT_GT(monitor, 1);
    // Pinned now, while both are certainly alive: after the stop their pids
    // are free for reuse (pid_max may be small), the pidfds stay theirs.
    fd_guard monitor_fd(open_pidfd(monitor));
    fd_guard service_fd(open_pidfd(pid));
    ASSERT_TRUE(monitor_fd.valid());
    ASSERT_TRUE(service_fd.valid());
    // The monitor's children: the service and the log keeper (forked before
    // the service, but it may not have run, not even to name itself, yet).
    auto kids = children_of(monitor);
    ASSERT_EQ(kids.size(), 2U) << describe_processes(kids);
    pid_t keeper = kids[0] == pid ? kids[1] : kids[0];
    ASSERT_TRUE(kids[0] == pid || kids[1] == pid) << describe_processes(kids);

    auto s = dk({"stop", "s"});
    ASSERT_EQ(s.exit_code(), 0) << describe(s);
    ASSERT_EQ(s.out, "s: stopped (pid " + std::to_string(pid) + ")\n");
    EXPECT_TRUE(has_exited(service_fd.get())) << "stop returned while the service still ran";
    ASSERT_TRUE(has_exited(monitor_fd.get())) << "stop returned while the monitor still ran";

    // What is our child now can only be the monitor (a daemon reparented to
    // us) and its log keeper, which drains the pipes and then exits. Anything
    // else, such as a service process orphaned by its monitor, is a leak.
    for (pid_t kid : children_of(::getpid())) {
      fd_guard fd(open_pidfd(kid));
      if (!fd.valid()) continue;
      ASSERT_TRUE(kid == monitor || kid == keeper) << "unexpected child after stop:\n" << describe_processes({kid});
      ASSERT_TRUE(wait_exit(fd.get(), 10s)) << describe_processes({kid});
      ASSERT_TRUE(reap(fd.get()).has_value());
    }
    auto files = dir_entries(state_dir);
    ASSERT_EQ(files, (std::vector<std::string>{"s.json", "s.state"})) << join(files);
    if (cycle % 100 == 0) {
      auto st = dk({"status", "s"});
      EXPECT_EQ(st.exit_code(), 3) << describe(st);
      EXPECT_EQ(st.out, "s: not running (stopped)\n");
    }
  }
  EXPECT_TRUE(children_of(::getpid()).empty()) << describe_processes(children_of(::getpid()));
  EXPECT_EQ(dir_entries(log_dir), std::vector<std::string>{"s.log"});
}

// The service exits at once unless GATE exists; then it becomes a paused
// helper child (which says "ready"), so the monitor can be sampled while it
// is idle in a known state: running, one service process, nothing in flight.
class respawn_gate {
 public:
  explicit respawn_gate(const temp_dir& tmp) : path_(tmp.file("gate")) {}
  std::vector<std::string> command() const {
    return {"/bin/sh", "-c",
            "if [ -e '" + path_ + "' ]; then exec '" + std::string(test_child_path) + "' pause; fi; exit 0"};
  }
  void open() const { write_file(path_, ""); }
  void close() const { ::unlink(path_.c_str()); }

 private:
  std::string path_;
};

struct monitor_sample {
  std::map<int, std::string> fds;
  long rss = -1;
  std::vector<pid_t> children;
};

TEST_F(endurance, a_thousand_respawns_leak_no_fd_no_zombie_and_no_memory) {
  respawn_gate gate(tmp);
  start("r", gate.command(), {"--respawn", "--respawn-max-delay", "1ms", "--respawn-limit", "1000000"});
  pid_t monitor = monitor_of("r");
  ASSERT_GT(monitor, 1);
  fd_guard monitor_fd(open_pidfd(monitor));

  // Opens the gate and waits until the monitor runs the paused child and
  // has logged its "ready" (the n-th one), then samples the monitor.
  auto settle_and_sample = [&](size_t nth_ready) {
    gate.open();
    bool settled = wait_until(
        [&] {
          auto st = state("r");
          pid_t pid = static_cast<pid_t>(to_long(st["pid"]));
          return st["state"] == "running" && pid > 1 && comm_of(pid) == "dk_test_child" &&
                 count_lines(logfile("r"), "ready") >= nth_ready;
        },
        20s, events().changes_in(state_dir).changes_in(log_dir));
    EXPECT_TRUE(settled) << "state: " << read_file(statefile("r")).value_or("(none)");
    monitor_sample m;
    m.fds = fds_of(monitor);
    m.rss = rss_kib(monitor);
    m.children = children_of(monitor);
    return m;
  };
  // Lets the service exit at once again: the gate closes and the paused
  // child is killed, so the monitor respawns it (and the next ones) in a loop.
  auto resume_respawning = [&] {
    gate.close();
    auto r = dk({"signal", "r", "KILL"});
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
  };
  auto wait_restarts = [&](long n, milliseconds timeout) {
    bool reached = wait_state_dir([&] { return restarts("r") >= n; }, timeout);
    ASSERT_TRUE(reached) << "restarts=" << restarts("r") << " after " << timeout.count() << "ms";
  };

  wait_restarts(10, 10s);
  auto early = settle_and_sample(1);
  resume_respawning();
  wait_restarts(k_respawns, 120s);
  auto late = settle_and_sample(2);

  EXPECT_FALSE(has_exited(monitor_fd.get()));
  EXPECT_EQ(state("r")["monitor_pid"], std::to_string(monitor)) << "the same monitor did all the respawns";
  EXPECT_EQ(late.fds, early.fds) << "the monitor's open fds changed over " << k_respawns << " respawns";
  ASSERT_FALSE(early.fds.empty());
  ASSERT_GT(early.rss, 0);
  EXPECT_LE(late.rss - early.rss, 1024) << "VmRSS grew from " << early.rss << " KiB to " << late.rss << " KiB";
  // The keeper and the running service, nothing else, and no zombie.
  EXPECT_EQ(late.children.size(), 2U) << describe_processes(late.children);
  for (pid_t kid : late.children) {
    auto st = read_stat(kid);
    EXPECT_TRUE(st && st->state != 'Z') << "zombie child of the monitor:\n" << describe_processes({kid});
  }

  auto s = dk({"stop", "r"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  EXPECT_TRUE(wait_exit(monitor_fd.get(), 10s));
}

}  // namespace
