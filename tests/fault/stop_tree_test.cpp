// SPDX-License-Identifier: MIT
// stop empties the tree (issue 8 items 4, 5 and 13): a service that ignores
// SIGTERM and keeps forking leaves nothing behind; ten thousand processes stop
// in time linear in their number; a process the monitor cannot kill makes
// stop fail naming it, status report it, and nothing else get killed; a
// non-root stop of a process it may not signal says so (EPERM). Played with
// real second users and a real setuid-root helper: needs root.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fault_support.hpp"

namespace dk_fault {
namespace {

// Live processes whose real uid is uid.
std::vector<pid_t> processes_of_uid(uid_t uid) {
  std::vector<pid_t> out;
  for (const auto& p : all_processes()) {
    if (p.state == 'Z' || p.state == 'X') continue;
    auto v = status_field(p.pid, "Uid");
    if (v && to_long(v->substr(0, v->find('\t'))) == static_cast<long>(uid)) out.push_back(p.pid);
  }
  return out;
}

std::string first_of(const std::vector<pid_t>& pids, size_t n = 10) {
  return describe_processes(
      std::vector<pid_t>(pids.begin(), pids.begin() + static_cast<std::ptrdiff_t>(std::min(n, pids.size()))));
}

class stop_tree : public fault_fixture {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: runs services as second users it creates";
    fault_fixture::SetUp();
    ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  }

  // Waits (bounded, on the log file's changes) until the log has a line `line`.
  bool wait_log_line(const std::string& name, const std::string& line, milliseconds timeout = 30s) {
    return wait_until([&] { return count_lines(logfile(name), line) > 0; }, timeout,
                      events().changes_in(logfile(name)));
  }
};

// Item 4: one snapshot-then-KILL sweep raced fork(): stop said "stopped",
// exit 0, with the service's processes still running, reparented away.
TEST_F(stop_tree, a_forking_term_ignorer_leaves_no_process_behind) {
  test_user user("fork");
  // RLIMIT_NPROC binds only a non-root user: the service runs as one.
  // Chains of processes that fork and exit every 20ms: whatever one walk
  // of the tree finds has moved on by the time it is signalled.
  start("bomb", {test_child_path, "fork-chains", "50"},
        {"--user", user.name(), "--rlimit", "nproc=200", "--stop-timeout", "1s"});
  ASSERT_TRUE(
      wait_until([&] { return count_lines(logfile("bomb"), "ready") > 0; }, 30s, events().changes_in(logfile("bomb"))));

  auto r = dk({"stop", "bomb"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "stopped")) << describe(r);
  auto left = processes_of_uid(user.uid());
  EXPECT_TRUE(left.empty()) << left.size() << " processes of the service survived stop, e.g.:\n" << first_of(left);
  EXPECT_EQ(state("bomb")["state"], "stopped");
  EXPECT_EQ(state("bomb")["remaining"], "0");
}

// What killing n processes costs this machine's kernel, by itself (the
// test child's kill-cost mode: fork n children that pause, SIGKILL them
// all, reap them all): the floor under any stop, measured in the same run.
milliseconds kernel_kill_cost(int n) {
  auto r = run_command({test_child_path, "kill-cost", std::to_string(n)}, {}, 120s);
  return milliseconds(static_cast<long>(std::atof(r.out.c_str()) * 1000));
}

// Item 5: signal_tree walked the tree once per pid (O(N^2): 1,000 processes
// 12.8 s, 3,000 about 126 s). The target: stop of 10,000
// TERM-ignoring processes returns within 2 s after the stop timeout. Where
// the kernel alone needs longer than that to kill them (measured here on a
// sample, before and after), the bound is three times the kernel's own cost.
TEST_F(stop_tree, ten_thousand_term_ignoring_processes_stop_in_linear_time) {
  constexpr int n = 10000;
  struct rlimit nproc {};
  ::getrlimit(RLIMIT_NPROC, &nproc);
  long pid_max = std::atol(read_file("/proc/sys/kernel/pid_max").value_or("0").c_str());
  long in_use = static_cast<long>(all_processes().size());
  if (pid_max - in_use < n + 2000 || (nproc.rlim_cur != RLIM_INFINITY && nproc.rlim_cur < rlim_t{n + 1000})) {
    GTEST_SKIP() << "not enough room for " << n << " processes (pid_max " << pid_max << ", " << in_use
                 << " in use, ulimit -u " << nproc.rlim_cur << ")";
  }
  const milliseconds floor = kernel_kill_cost(n / 20) * 20;

  start("many", {test_child_path, "fork-many", std::to_string(n)}, {"--stop-timeout", "1s"});
  ASSERT_TRUE(wait_log_line("many", "ready", 240s)) << "the service did not fork " << n << " processes";
  ASSERT_GE(descendants_of(monitor_of("many")).size(), static_cast<size_t>(n));

  auto t0 = steady::now();
  auto r = dk({"stop", "many"}, {}, 120s);
  auto took = std::chrono::duration_cast<milliseconds>(steady::now() - t0);
  // The kernel's cost again, after: on a machine busy with other work both
  // samples move together, and the slower one is the fair floor.
  const milliseconds floor_after = kernel_kill_cost(n / 20) * 20;
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  std::vector<pid_t> left;
  for (pid_t p : descendants_of(::getpid())) {
    if (comm_of(p) == "dk_test_child") left.push_back(p);
  }
  EXPECT_TRUE(left.empty()) << left.size() << " processes survived stop, e.g.:\n" << first_of(left);
  RecordProperty("stop_ms", static_cast<int>(took.count()));
  RecordProperty("kernel_kill_floor_ms", static_cast<int>(std::max(floor, floor_after).count()));
  // Under ASan the monitor's own work (the walks) is several times slower
  // while the kernel's is not: the bound says nothing there. The stop must
  // still end with nothing left, within stop's own deadline (checked above).
  if (!under_asan) {
    const milliseconds allowed = std::max<milliseconds>(2s, std::max(floor, floor_after) * 3);
    EXPECT_LE(took - 1s, allowed) << "stop of " << n << " processes took " << took.count()
                                  << " ms with a 1s stop timeout; the kernel alone needs about " << floor.count()
                                  << " ms to kill them";
  }
}

// A directory on a file system that honours setuid bits, or "" if /tmp's
// does not.
bool honours_setuid(const std::string& dir) {
  struct statvfs fs {};
  return ::statvfs(dir.c_str(), &fs) == 0 && (fs.f_flag & ST_NOSUID) == 0;
}

// A service of a second user whose main process is setuid root (it calls
// setresuid(0, 0, 0)): the user's own monitor may not signal it.
class unkillable : public stop_tree {
 protected:
  void SetUp() override {
    stop_tree::SetUp();
    if (IsSkipped()) return;
    if (!honours_setuid(tmp.path())) GTEST_SKIP() << tmp.path() << " is on a nosuid file system";
    user_.emplace("stub");
    base = tmp.file("as-" + user().name());
    user().own(base, 0755);
    user().own(base + "/state", 0700);
    user().own(base + "/log", 0700);
    // The helper: a root-owned setuid copy of the test child, outside the
    // build tree (which may be on a nosuid mount or under a 0700 directory).
    helper = tmp.file("stubborn");
    auto bytes = read_file(test_child_path);
    ASSERT_TRUE(bytes);
    write_file(helper, *bytes);
    ASSERT_EQ(::chown(helper.c_str(), 0, 0), 0);
    ASSERT_EQ(::chmod(helper.c_str(), 04755), 0);
  }

  void TearDown() override {
    if (!IsSkipped()) {
      // Root ends what the user could not, then the user's monitor ends.
      for (pid_t p : descendants_of(::getpid())) {
        if (comm_of(p) == "stubborn") {
          fd_guard fd(open_pidfd(p));
          if (fd.valid()) send_signal_pidfd(fd.get(), SIGKILL);
        }
      }
    }
    stop_tree::TearDown();
  }

  // daemonkit run as the user, with the user's own state and log directories.
  command_result as_user(const std::vector<std::string>& args, milliseconds timeout = 60s) {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid",       user().name(), "--regid",
                                  user().name(),      "--init-groups", tool_path};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, user_env(), timeout);
  }

  command_options user_env() const {
    command_options o;
    o.unset_env = {"NOTIFY_SOCKET", "XDG_RUNTIME_DIR", "XDG_STATE_HOME"};
    o.set_env = {"DAEMONKIT_STATE_DIR=" + base + "/state", "DAEMONKIT_LOG_DIR=" + base + "/log", "HOME=" + base};
    o.cwd = base;
    return o;
  }

  std::map<std::string, std::string> user_state(const std::string& name) const {
    return read_key_values(base + "/state/" + name + ".state");
  }
  pid_t user_monitor(const std::string& name) const { return lock_holder(base + "/state/" + name + ".pid"); }

  // Starts the setuid helper as the user's service; returns its pid.
  pid_t start_stubborn(const std::string& name) {
    auto r = as_user({"start", "--name", name, "--stop-timeout", "1s", "--", helper, "setuid-ignore-term"});
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    std::string service_log = base + "/log/" + name + ".log";
    EXPECT_TRUE(
        wait_until([&] { return count_lines(service_log, "ready") > 0; }, 30s, events().changes_in(service_log)))
        << read_file(service_log).value_or("(no log)");
    return service_pid_in(r.out);
  }

  const test_user& user() const { return *user_; }

  std::optional<test_user> user_;  // made once SetUp knows we are root
  std::string base, helper;
};

// Item 4, the process that cannot be killed: stop must not say "stopped".
// The monitor stays (stopping, remaining=1), and ends once root kills it.
TEST_F(unkillable, stop_fails_naming_what_remains_status_shows_it_and_nothing_else_is_killed) {
  // A process of the same user outside the service: stop must not touch it.
  auto bystander = spawn_command({"/usr/bin/setpriv", "--reuid", user().name(), "--regid", user().name(),
                                  "--init-groups", test_child_path, "watch-signals"});
  line_reader bystander_out(bystander.out.get());
  ASSERT_EQ(bystander_out.next(10s), "ready");

  pid_t pid = start_stubborn("stub");
  ASSERT_GT(pid, 1);
  ASSERT_EQ(status_field(pid, "Uid").value_or("").substr(0, 2), "0\t") << "the helper did not become root";
  pid_t monitor = user_monitor("stub");
  ASSERT_GT(monitor, 1);

  auto r = as_user({"stop", "stub"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "1 process remains after SIGKILL (pid " + std::to_string(pid) + ")")) << describe(r);
  EXPECT_TRUE(contains(r.err, "still stopping")) << describe(r);
  EXPECT_FALSE(contains(r.out, "stopped")) << describe(r);
  EXPECT_TRUE(is_alive(pid));
  EXPECT_TRUE(is_alive(monitor)) << "the monitor abandoned a process it could not kill";
  EXPECT_EQ(user_state("stub")["state"], "stopping");
  EXPECT_EQ(user_state("stub")["remaining"], "1");
  auto st = as_user({"status", "stub"});
  EXPECT_TRUE(contains(st.out, "stopping")) << describe(st);

  // Nothing else was signalled: the bystander saw no signal.
  send_signal_pidfd(bystander.pidfd.get(), SIGRTMAX);
  EXPECT_EQ(bystander_out.next(10s), "signal " + std::to_string(SIGRTMAX)) << "the bystander got a signal first";

  // Root kills it: the monitor sees the tree empty and ends, stopped.
  fd_guard stub(open_pidfd(pid));
  fd_guard mon(open_pidfd(monitor));
  ASSERT_EQ(send_signal_pidfd(stub.get(), SIGKILL), 0);
  EXPECT_TRUE(wait_exit(mon.get(), 10s)) << "the monitor did not end once its tree was empty";
  EXPECT_EQ(user_state("stub")["state"], "stopped");
  EXPECT_EQ(user_state("stub")["remaining"], "0");
  send_signal_pidfd(bystander.pidfd.get(), SIGKILL);
  (void)finish(bystander, 10s);
}

// Item 13: a non-root stop of an unsupervised service whose process it may
// not signal said "did not exit after SIGKILL" (after waiting it out). It is
// EPERM, and said at once.
TEST_F(unkillable, a_stop_that_may_not_signal_says_operation_not_permitted) {
  pid_t pid = start_stubborn("orphan");
  ASSERT_GT(pid, 1);
  // Its monitor dies: the service runs on, unsupervised.
  fd_guard mon(open_pidfd(user_monitor("orphan")));
  ASSERT_EQ(send_signal_pidfd(mon.get(), SIGKILL), 0);
  ASSERT_TRUE(wait_exit(mon.get(), 10s));

  auto r = as_user({"stop", "orphan"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "pid " + std::to_string(pid) + ": Operation not permitted")) << describe(r);
  EXPECT_FALSE(contains(r.err, "did not exit")) << describe(r);
  EXPECT_TRUE(is_alive(pid));
}

}  // namespace
}  // namespace dk_fault
