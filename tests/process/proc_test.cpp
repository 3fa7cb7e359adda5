// SPDX-License-Identifier: MIT
// Reading the process tree from /proc and signalling it in one sweep
// (proc.hpp, signal_descendants in process.hpp), on real process trees.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include "daemonkit/detail/proc.hpp"
#include "daemonkit/process.hpp"
#include "test_support.hpp"

namespace {

using namespace dk_test;

// A child that forks `width` grandchildren and a chain `depth` deep below the
// first of them, all pausing; writes "ready\n" once all exist. Like the
// monitor, it is a child subreaper: a link of the chain killed before the
// next one leaves that one below it, not reparented away. Runs in a forked
// function: returns its running_command.
running_command make_tree(int width, int depth) {
  return fork_function([width, depth]() -> int {
    ::signal(SIGTERM, SIG_IGN);
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    auto [rd, wr] = make_pipe();
    for (int i = 0; i < width; ++i) {
      if (::fork() == 0) {
        for (int d = 0; i == 0 && d < depth; ++d) {
          if (::fork() != 0) break;  // the parent link stays; the child goes deeper
        }
        wr.reset();
        char c;
        (void)::read(rd.get(), &c, 1);  // until the tree's root dies (EOF)
        ::_exit(0);
      }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (;;) ::pause();
  });
}

class proc_tree : public process_fixture {};

TEST_F(proc_tree, descendants_are_found_however_deep_and_each_once) {
  auto tree = make_tree(20, 50);
  line_reader out(tree.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  // The chain is still growing when "ready" is written (each link forks the
  // next): wait for it, on /proc (no event announces a fork).
  std::vector<daemonkit::proc_stat> stats;
  ASSERT_TRUE(wait_until(
      [&] {
        stats = daemonkit::list_descendant_stats(tree.pid);
        return stats.size() == 70u;
      },
      10s))
      << stats.size();
  std::set<pid_t> seen;
  for (const auto& st : stats) EXPECT_TRUE(seen.insert(st.pid).second) << "pid " << st.pid << " twice";
  EXPECT_EQ(daemonkit::list_descendants(tree.pid).size(), 70u);
  for (const auto& st : stats) EXPECT_TRUE(daemonkit::is_descendant(st.pid, tree.pid)) << st.pid;
  EXPECT_FALSE(daemonkit::is_descendant(tree.pid, tree.pid));
  EXPECT_FALSE(daemonkit::is_descendant(::getpid(), tree.pid));
  EXPECT_FALSE(daemonkit::is_descendant(1, tree.pid));
  EXPECT_EQ(daemonkit::list_children(tree.pid).size(), 20u);
}

// Disabled: flaky (about 1 run in 5 here, and in a CI run, a few chain
// members are never killed and the test waits 40 s). Killed links of the
// chain are reparented to the test process (the nearest subreaper), outside
// the tree being walked, so later sweeps cannot see them; walking from the
// subreaper instead still failed 1 run in 5. The monitor's sweeps walk from
// the subreaper itself and are covered end to end by tests/fault/stop_tree_test.
// Fix the test's tree (make its root the subreaper), then enable it.
TEST_F(proc_tree, DISABLED_signal_descendants_reaches_every_member_but_the_spared_even_short_of_fds) {
  auto tree = make_tree(30, 10);
  line_reader out(tree.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  std::vector<pid_t> members;
  ASSERT_TRUE(wait_until(
      [&] {
        members = daemonkit::list_descendants(tree.pid);
        return members.size() == 40u;
      },
      10s));
  pid_t spared = members.front();
  std::vector<fd_guard> pidfds;
  for (pid_t p : members) pidfds.emplace_back(open_pidfd(p));

  // In a child with a handful of fds to spare: each sweep goes in batches.
  // Killing a link of the chain moves the next one (reparented) while a later
  // batch walks the tree, so it may be missed by that sweep: like the
  // monitor, sweep again until a sweep finds no live member.
  auto r = run_function([&] {
    struct rlimit few {};
    few.rlim_cur = few.rlim_max = 16;
    if (::setrlimit(RLIMIT_NOFILE, &few) != 0) return 2;
    for (int sweep = 0; sweep < 100; ++sweep) {
      auto rep = daemonkit::signal_descendants(tree.pid, SIGKILL, {spared});
      if (!rep.refused.empty()) return 3;
      if (rep.live.empty()) return 0;
    }
    return 1;
  });
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i] == spared) {
      EXPECT_FALSE(has_exited(pidfds[i].get())) << "the spared process was signalled";
    } else {
      EXPECT_TRUE(wait_exit(pidfds[i].get(), 10s)) << "pid " << members[i] << " was not killed";
    }
  }
  send_signal_pidfd(tree.pidfd.get(), SIGKILL);
  (void)finish(tree, 10s);
}

}  // namespace
