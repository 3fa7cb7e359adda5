// SPDX-License-Identifier: MIT
// exit_status: how a process ended, as a description and a shell exit code.
#include "daemonkit/exit_status.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>

namespace {

using daemonkit::exit_status;

siginfo_t child_info(int code, int status) {
  siginfo_t info{};
  info.si_signo = SIGCHLD;
  info.si_code = code;
  info.si_status = status;
  return info;
}

TEST(exit_status, from_siginfo) {
  auto s = exit_status::from_siginfo(child_info(CLD_EXITED, 3));
  EXPECT_FALSE(s.signaled);
  EXPECT_EQ(s.code, 3);
  EXPECT_FALSE(s.success());
  EXPECT_EQ(s.shell_code(), 3);
  EXPECT_EQ(s.describe(), "exited with status 3");

  s = exit_status::from_siginfo(child_info(CLD_EXITED, 0));
  EXPECT_TRUE(s.success());
  EXPECT_EQ(s.describe(), "exited with status 0");

  s = exit_status::from_siginfo(child_info(CLD_KILLED, SIGTERM));
  EXPECT_TRUE(s.signaled);
  EXPECT_FALSE(s.core_dumped);
  EXPECT_FALSE(s.success());
  EXPECT_EQ(s.shell_code(), 143);
  EXPECT_EQ(s.describe(), "killed by signal TERM");

  s = exit_status::from_siginfo(child_info(CLD_DUMPED, SIGSEGV));
  EXPECT_TRUE(s.signaled);
  EXPECT_TRUE(s.core_dumped);
  EXPECT_EQ(s.shell_code(), 139);
  EXPECT_EQ(s.describe(), "killed by signal SEGV (core dumped)");
}

TEST(exit_status, from_wait_status) {
  auto s = exit_status::from_wait_status(W_EXITCODE(7, 0));
  EXPECT_FALSE(s.signaled);
  EXPECT_EQ(s.code, 7);
  EXPECT_EQ(s.describe(), "exited with status 7");

  s = exit_status::from_wait_status(W_EXITCODE(0, 0));
  EXPECT_TRUE(s.success());

  s = exit_status::from_wait_status(W_EXITCODE(0, SIGKILL));
  EXPECT_TRUE(s.signaled);
  EXPECT_EQ(s.code, SIGKILL);
  EXPECT_EQ(s.shell_code(), 137);
  EXPECT_EQ(s.describe(), "killed by signal KILL");

  s = exit_status::from_wait_status(W_EXITCODE(0, SIGABRT) | WCOREFLAG);
  EXPECT_TRUE(s.core_dumped);
  EXPECT_EQ(s.describe(), "killed by signal ABRT (core dumped)");
}

TEST(exit_status, realtime_and_unknown_signals_are_described) {
  exit_status s;
  s.signaled = true;
  s.code = SIGRTMIN + 2;
  EXPECT_EQ(s.describe(), "killed by signal RTMIN+2");
  EXPECT_EQ(s.shell_code(), 128 + SIGRTMIN + 2);
}

TEST(exit_status, exit_code_255_is_not_a_signal) {
  auto s = exit_status::from_wait_status(W_EXITCODE(255, 0));
  EXPECT_FALSE(s.signaled);
  EXPECT_EQ(s.shell_code(), 255);
}

}  // namespace
