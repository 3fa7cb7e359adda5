// SPDX-License-Identifier: MIT
// A start that fails, in any readiness mode and for any reason, leaves
// nothing behind: no service process, nothing it forked, no keeper, no
// monitor — checked the moment `start` returns, not after a wait.
// (Issue 10, item 2: `start --ready notify -- sh -c 'setsid sleep 4242 &
// exit 0'` exited 1 and left the sleep and a daemonkit-keep running; each
// retry added a copy.)
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_failed_start : public cli_fixture {
 protected:
  // Runs a start that must fail; returns its stderr. Then nothing of it may
  // be left below the test process (the subreaper of everything it starts).
  std::string failed_start(const std::vector<std::string>& args) {
    auto r = dk(args);
    EXPECT_EQ(r.exit_code(), 1) << describe(r);
    EXPECT_EQ(r.out, "") << describe(r);
    auto left = descendants_of(::getpid());
    EXPECT_TRUE(left.empty()) << "left behind by a failed start:\n" << describe_processes(left);
    return r.err;
  }

  // The pid the command wrote into file: the background process it forked.
  pid_t background_pid(const std::string& file) {
    auto text = read_file(file);
    if (!text || text->empty()) return 0;
    return static_cast<pid_t>(std::stol(*text));
  }
};

TEST_F(cli_failed_start, a_notify_program_that_forks_and_exits_before_ready_leaves_nothing) {
  const std::string bg = tmp.file("bg.pid");
  for (int attempt = 0; attempt < 2; ++attempt) {  // each retry used to add a copy
    auto err = failed_start({"start", "--name", "leftover", "--ready", "notify", "--", "/bin/sh", "-c",
                             "setsid sleep 4242 </dev/null & echo $! > " + bg + "; exit 0"});
    EXPECT_NE(err.find("leftover: exited with status 0 before it was ready"), std::string::npos) << err;
    pid_t forked = background_pid(bg);
    ASSERT_GT(forked, 1) << "the command never ran";
    EXPECT_FALSE(is_alive(forked)) << "the process it forked is still running";
  }
  auto status = dk({"status", "leftover"});
  EXPECT_EQ(status.exit_code(), 1) << describe(status);
  auto stop = dk({"stop", "leftover"});
  EXPECT_EQ(stop.out, "leftover: not running\n") << describe(stop);
}

TEST_F(cli_failed_start, a_ready_timeout_kills_the_program_and_what_it_forked) {
  const std::string bg = tmp.file("bg.pid");
  auto err = failed_start({"start", "--name", "slow", "--ready", "notify", "--ready-timeout", "300ms", "--", "/bin/sh",
                           "-c", "setsid sleep 4243 </dev/null & echo $! > " + bg + "; exec sleep 4244"});
  EXPECT_NE(err.find("slow: did not become ready within 300ms"), std::string::npos) << err;
  pid_t forked = background_pid(bg);
  ASSERT_GT(forked, 1);
  EXPECT_FALSE(is_alive(forked));
}

TEST_F(cli_failed_start, an_fd_program_that_exits_before_ready_leaves_nothing) {
  auto err = failed_start({"start", "--name", "fdsvc", "--ready", "fd:3", "--", "/bin/sh", "-c",
                           "setsid sleep 4245 </dev/null 3>&- & exit 3"});
  EXPECT_NE(err.find("fdsvc: exited with status 3 before it was ready"), std::string::npos) << err;
}

TEST_F(cli_failed_start, a_program_that_cannot_be_executed_leaves_nothing) {
  auto err = failed_start({"start", "--name", "nope", "--", "/nonexistent/program"});
  EXPECT_NE(err.find("nope: cannot execute '/nonexistent/program'"), std::string::npos) << err;
}

}  // namespace
