// SPDX-License-Identifier: MIT
// process: a pid that travels with its pidfd.
#include "daemonkit/process.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "test_support.hpp"

namespace {

using namespace dk_test;
using daemonkit::errc;
using namespace std::chrono_literals;

class process_test : public process_fixture {};

TEST_F(process_test, refuses_init_process_groups_and_everyone) {
  for (pid_t pid : {1, 0, -1, -2, -12345}) {
    auto p = daemonkit::process::open(pid);
    ASSERT_FALSE(p) << pid;
    EXPECT_EQ(p.err().code, errc::invalid_argument);
    EXPECT_EQ(p.err().message(), "refusing to act on pid " + std::to_string(pid));
  }
}

TEST_F(process_test, opening_a_process_that_is_gone_says_so) {
  auto r = run_command({test_child_path, "exit", "0"});
  ASSERT_EQ(r.exit_code(), 0);
  // The child was reaped: its pid is free (and pids are not reused this soon).
  auto gone = spawn_command({test_child_path, "exit", "0"});
  pid_t pid = gone.pid;
  finish(gone);
  auto p = daemonkit::process::open(pid);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().message(), "cannot open process " + std::to_string(pid) + ": No such process");
}

TEST_F(process_test, signal_wait_and_reap) {
  auto child = spawn_command({test_child_path, "pause"});
  line_reader out(child.out.get());
  ASSERT_EQ(out.next(5s), "ready");
  auto p = daemonkit::process::open(child.pid);
  ASSERT_TRUE(p) << p.err().message();
  EXPECT_EQ(p->pid(), child.pid);
  EXPECT_TRUE(p->valid());
  EXPECT_FALSE(p->exited());
  auto none = p->try_reap();
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  auto t0 = steady::now();
  auto w = p->wait_exit(100ms);
  ASSERT_TRUE(w);
  EXPECT_FALSE(*w);
  EXPECT_GE(steady::now() - t0, 100ms);

  ASSERT_TRUE(p->signal(SIGTERM));
  w = p->wait_exit(5s);
  ASSERT_TRUE(w);
  EXPECT_TRUE(*w);
  EXPECT_TRUE(p->exited());
  // A signal to a process that has exited is not an error.
  EXPECT_TRUE(p->signal(SIGTERM));
  auto st = p->reap();
  ASSERT_TRUE(st) << st.err().message();
  EXPECT_TRUE(st->signaled);
  EXPECT_EQ(st->code, SIGTERM);
  EXPECT_EQ(st->describe(), "killed by signal TERM");
  // Reaped twice: an error that names the pid.
  auto again = p->reap();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.err().message(), "cannot reap pid " + std::to_string(child.pid) + ": No child processes");
  child.pidfd.reset();
  child.out.reset();
  child.err.reset();
}

TEST_F(process_test, try_reap_returns_the_exit_status_once_exited) {
  auto child = spawn_command({test_child_path, "exit", "42"});
  auto p = daemonkit::process::open(child.pid);
  ASSERT_TRUE(p) << p.err().message();
  auto w = p->wait_exit(std::nullopt);
  ASSERT_TRUE(w);
  EXPECT_TRUE(*w);
  auto st = p->try_reap();
  ASSERT_TRUE(st) << st.err().message();
  ASSERT_TRUE(st->has_value());
  EXPECT_FALSE((*st)->signaled);
  EXPECT_EQ((*st)->code, 42);
  EXPECT_EQ((*st)->shell_code(), 42);
  child.pidfd.reset();
  child.out.reset();
  child.err.reset();
}

TEST_F(process_test, a_pidfd_never_reaches_a_recycled_pid) {
  // Once the process is gone, its pidfd refers to nothing: a signal through
  // it is a no-op, whatever process may later get the same pid.
  auto child = spawn_command({test_child_path, "exit", "0"});
  auto p = daemonkit::process::open(child.pid);
  ASSERT_TRUE(p);
  finish(child);  // reaped: the pid is free for reuse
  EXPECT_TRUE(p->exited());
  EXPECT_TRUE(p->signal(SIGKILL));
  auto w = p->wait_exit(0ms);
  ASSERT_TRUE(w);
  EXPECT_TRUE(*w);
}

}  // namespace
