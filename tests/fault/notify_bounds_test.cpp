// SPDX-License-Identifier: MIT
// What a service tells its monitor over $NOTIFY_SOCKET stays within bounds
// (issue 8 items 6, 9, 13): MAINPID names only a process of the service,
// never the monitor or its keeper; a huge EXTEND_TIMEOUT_USEC saturates
// instead of overflowing the readiness deadline; a flood of ERRNO= keeps
// status_text within 1 KiB, NAME.state small and the monitor's memory flat;
// and (what held) datagrams from another user are ignored.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "fault_support.hpp"

namespace dk_fault {
namespace {

class notify_bounds : public fault_fixture {
 protected:
  void SetUp() override {
    fault_fixture::SetUp();
    fifo = tmp.file("to-service");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Read-write: opening never blocks, and what we write waits in the FIFO
    // until the service (test child `notify --fifo`) reads it.
    to_service = fd_guard(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(to_service.valid());
  }

  void TearDown() override {
    to_service.reset();  // opened after the fixture counted our fds
    fault_fixture::TearDown();
  }

  // Has the service send one more datagram (a line of test child `notify`).
  void tell_service(const std::string& line) {
    std::string text = line + "\n";
    ASSERT_EQ(::write(to_service.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }

  bool wait_state(const std::string& name, const std::function<bool(std::map<std::string, std::string>)>& pred,
                  milliseconds timeout = 20s) {
    return wait_until([&] { return pred(state(name)); }, timeout, events().changes_in(statefile(name)));
  }

  // The monitor's keeper: its child named daemonkit-keep.
  pid_t keeper_of(pid_t monitor) const {
    for (pid_t p : children_of(monitor)) {
      if (comm_of(p) == "daemonkit-keep") return p;
    }
    return 0;
  }

  std::string fifo;
  fd_guard to_service;
};

// Item 9: MAINPID= naming the keeper was accepted (it descends from the
// monitor): `signal NAME KILL` then killed the keeper, and the real main
// process's exit went unnoticed. Naming the monitor itself is refused too.
TEST_F(notify_bounds, mainpid_naming_the_keeper_or_the_monitor_is_refused) {
  pid_t pid = start("mp", {test_child_path, "notify", "READY=1\\nMAINPID={keeper}", "--fifo", fifo},
                    {"--ready", "notify", "--ready-timeout", "20s", "--respawn", "always"});
  ASSERT_GT(pid, 1);
  pid_t monitor = monitor_of("mp");
  pid_t keeper = keeper_of(monitor);
  ASSERT_GT(keeper, 1) << "no keeper below monitor " << monitor;
  EXPECT_EQ(to_long(state("mp")["pid"]), pid) << "MAINPID named the keeper and was taken";

  tell_service("MAINPID={monitor}");
  tell_service("STATUS=after");  // processed after the MAINPID above
  ASSERT_TRUE(wait_state("mp", [](auto s) { return s["status_text"] == "after"; }));
  EXPECT_EQ(to_long(state("mp")["pid"]), pid) << "MAINPID named the monitor and was taken";
  // The monitor's own lines reach the log beside the service's output, not
  // in step with NAME.state: waited for, not sampled.
  EXPECT_TRUE(wait_until([&] { return count_lines(logfile("mp"), "daemonkit: mp: ignoring MAINPID=") == 2u; }, 10s,
                         events().changes_in(logfile("mp"))))
      << read_file(logfile("mp")).value_or("");

  fd_guard keeper_fd(open_pidfd(keeper));
  auto r = dk({"signal", "mp", "KILL"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "pid " + std::to_string(pid))) << describe(r);
  // The real main process's exit is noticed; the keeper lives on (the
  // monitor stays to respawn: its keeper has no reason to end).
  EXPECT_TRUE(wait_state("mp", [](auto s) { return s["last_exit"] == "killed by signal KILL"; }))
      << "the main process's death went unnoticed: " << read_file(statefile("mp")).value_or("");
  EXPECT_FALSE(has_exited(keeper_fd.get())) << "the keeper was killed";
}

// Item 13: EXTEND_TIMEOUT_USEC >= ~9.2e15 overflowed now + usec (undefined
// behaviour; on this build a deadline in the past: "did not become ready
// within 1s" at once). It saturates: the start waits for READY=1.
TEST_F(notify_bounds, a_huge_extend_timeout_saturates_instead_of_failing_the_start) {
  auto starting = dk_spawn({"start", "--name", "ext", "--ready", "notify", "--ready-timeout", "1s", "--",
                            test_child_path, "notify", "EXTEND_TIMEOUT_USEC=18446744073709551615", "--fifo", fifo});
  // Past the 1s ready timeout the start must still be waiting.
  if (wait_exit(starting.pidfd.get(), 2500ms)) {
    FAIL() << "start ended before READY=1: " << describe(finish(starting));
  }
  tell_service("READY=1");
  auto r = finish(starting, 20s);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(state("ext")["state"], "running");
}

// Item 6: each ERRNO=N appended " (errno N)" to status_text without bound
// (1,000,000 datagrams: NAME.state 19 MB, monitor RSS 3.6 -> 22 MB).
TEST_F(notify_bounds, an_errno_flood_keeps_status_text_and_the_state_file_small) {
  start("flood", {test_child_path, "notify", "READY=1", "--fifo", fifo},
        {"--ready", "notify", "--ready-timeout", "20s"});
  pid_t monitor = monitor_of("flood");
  long rss_before = rss_kib(monitor);
  tell_service("100000*ERRNO=5");
  tell_service("RELOADING=1");  // after the flood: publishes whatever status_text has become
  ASSERT_TRUE(wait_state(
      "flood", [](auto s) { return s["state"] == "reloading"; }, 120s))
      << "the flood was not consumed";
  struct stat st {};
  ASSERT_EQ(::stat(statefile("flood").c_str(), &st), 0);
  EXPECT_LE(st.st_size, 8 * 1024) << "NAME.state grew with the flood";
  auto text = state("flood")["status_text"];
  EXPECT_LE(text.size(), 1024u);
  EXPECT_EQ(text.rfind("(errno 5)", 0), 0u) << text.substr(0, 80);
  // ASan's quarantine holds freed blocks: RSS says nothing about growth there.
  long rss_after = rss_kib(monitor);
  if (!under_asan) {
    EXPECT_LE(rss_after - rss_before, 1024) << "monitor RSS " << rss_before << " -> " << rss_after << " KiB";
  }
}

// What held: notify credentials from other uids. A second user's datagram
// to the service's socket changes nothing; the service's own next one does
// (so the stranger's, queued first, was read and dropped).
TEST_F(notify_bounds, datagrams_from_another_user_are_ignored) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: sends as a second user it creates";
  test_user stranger("nt");
  pid_t pid = start("held", {test_child_path, "notify", "READY=1\\nSTATUS=mine", "--fifo", fifo},
                    {"--ready", "notify", "--ready-timeout", "20s"});
  ASSERT_GT(pid, 1);
  std::string socket;
  auto environ_text = read_file("/proc/" + std::to_string(pid) + "/environ").value_or("");
  for (size_t at = 0; at < environ_text.size();) {
    auto end = environ_text.find('\0', at);
    std::string kv = environ_text.substr(at, end - at);
    if (kv.rfind("NOTIFY_SOCKET=", 0) == 0) socket = kv.substr(14);
    at = end == std::string::npos ? environ_text.size() : end + 1;
  }
  ASSERT_FALSE(socket.empty());

  command_options o;
  o.set_env = {"NOTIFY_SOCKET=" + socket};
  o.unset_env = {};
  auto r = run_command({"/usr/bin/setpriv", "--reuid", stranger.name(), "--regid", stranger.name(), "--init-groups",
                        test_child_path, "notify", "STATUS=evil\\nMAINPID={self}\\nSTOPPING=1"},
                       o);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);  // sent: it is queued before ours below

  tell_service("STATUS=still mine");
  ASSERT_TRUE(wait_state("held", [](auto s) { return s["status_text"] == "still mine"; }));
  auto s = state("held");
  EXPECT_EQ(s["state"], "running");
  EXPECT_EQ(to_long(s["pid"]), pid);
}

}  // namespace
}  // namespace dk_fault
