// SPDX-License-Identifier: MIT
// A monitor SIGKILLed at any point (during start, during respawn, during log
// rotation under a fast writer, during stop) never duplicates its service,
// leaves it stoppable, and leaves no pidfile naming a dead or foreign process.
//
// Kill points are chosen by events, not by timing: the k-th change the
// monitor makes in the state or log directory, swept over k, or a state the
// monitor published. During start the monitor is frozen (SIGSTOP) at the
// change, so the kill lands exactly there; elsewhere it lands just after.
#include <gtest/gtest.h>

#include "fault_support.hpp"

namespace {

using namespace dk_fault;

class monitor_kill : public fault_fixture {
 protected:
  // The process holding a lock on any file in the state directory: the
  // monitor, from the moment it locks its temporary pidfile.
  pid_t find_monitor() const {
    for (const auto& f : dir_entries(state_dir)) {
      pid_t holder = lock_holder(state_dir + "/" + f);
      if (holder > 0) return holder;
    }
    return 0;
  }

  // SIGKILLs the process behind pidfd and waits until it is gone.
  static void kill_now(int pidfd) {
    ASSERT_EQ(send_signal_pidfd(pidfd, SIGKILL), 0) << std::strerror(errno);
    ASSERT_TRUE(wait_exit(pidfd, 10s));
  }

  // After the monitor of service "s" died: at most one instance runs; a new
  // start refuses while one does (or starts one only once the old one is
  // gone); stop exits 0 and leaves nothing; status then says not running and
  // no pidfile is left. `comm` names the service's main process.
  void expect_recovers(const std::string& comm, const std::vector<std::string>& start_args) {
    auto before = live_processes_named(comm);
    EXPECT_LE(before.size(), 1U) << "duplicated service:\n" << describe_processes(before);
    std::vector<fd_guard> pinned;
    for (pid_t p : before) pinned.emplace_back(open_pidfd(p));

    auto again = dk(start_args);
    if (again.exit_code() == 0) {
      for (const auto& fd : pinned) {
        EXPECT_TRUE(!fd.valid() || has_exited(fd.get()))
            << "a second instance was started while the first still ran:\n"
            << describe(again) << describe_processes(live_processes_named(comm));
      }
    } else {
      EXPECT_EQ(again.exit_code(), 1) << describe(again);
      EXPECT_TRUE(contains(again.err, "already running")) << describe(again);
    }
    auto during = live_processes_named(comm);
    EXPECT_LE(during.size(), 1U) << "duplicated service:\n" << describe_processes(during);

    auto stop = dk({"stop", "--timeout", "1s", "s"});
    EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
    auto left = wait_no_descendants(10s);
    EXPECT_TRUE(left.empty()) << "left after stop:\n" << describe_processes(left) << describe(stop);
    if (!left.empty()) kill_and_reap_descendants();  // so the next round starts clean
    auto status = dk({"status", "s"});
    EXPECT_NE(status.exit_code(), 0) << describe(status);
    EXPECT_FALSE(contains(status.out, ": running")) << describe(status);
    EXPECT_FALSE(exists(pidfile("s"))) << "pidfile left after stop: '" << read_file(pidfile("s")).value_or("") << "'\n"
                                       << describe(status);
    reap_exited_children();
  }

  // Stops the monitor (SIGSTOP) where it is, for a look at how far it got.
  static void freeze(pid_t monitor, int pidfd) {
    send_signal_pidfd(pidfd, SIGSTOP);
    ASSERT_TRUE(wait_until([&] { return has_exited(pidfd) || read_stat(monitor)->state == 'T'; }, 10s));
  }
};

// Killed at the k-th change in the state directory after start began: in
// the middle of acquiring the pidfile, writing the config, spawning, or
// publishing the state; the last points fall after start returned. The
// monitor is frozen (SIGSTOP) at the kill point, so that it dies exactly
// there, not wherever it has got to by the time the kill is sent.
TEST_F(monitor_kill, during_start_at_every_step) {
  const std::vector<std::string> args{"start", "--name", "s", "--", test_child_path, "pause"};
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  for (int k = 1; k <= 18; ++k) {
    SCOPED_TRACE("killed at change " + std::to_string(k));
    dir_watch watch(state_dir);
    auto starter = dk_spawn(args);
    fd_guard monitor_fd;
    pid_t monitor = 0;
    for (int seen = 0; !monitor_fd.valid();) {
      auto change = watch.next(10s, starter.pidfd.get());
      if (change) ++seen;
      if (seen < k && change) continue;
      monitor = find_monitor();
      if (monitor > 0) monitor_fd.reset(open_pidfd(monitor));
      if (!change && !monitor_fd.valid()) break;  // start is over and nothing holds a lock
    }
    ASSERT_TRUE(monitor_fd.valid()) << "no monitor seen";
    freeze(monitor, monitor_fd.get());
    kill_now(monitor_fd.get());
    auto r = finish(starter, 30s);
    // Killed before it was ready, start says so; after, start succeeded.
    if (r.exit_code() != 0) {
      EXPECT_EQ(r.exit_code(), 1) << describe(r);
      EXPECT_TRUE(contains(r.err, "before it was ready")) << describe(r);
    }
    expect_recovers("dk_test_child", args);
  }
}

// The kill point the sweep above hits only now and then: the service
// spawned, its pid not yet published (once an orphan that status called
// stopped, start duplicated and stop could not stop).
TEST_F(monitor_kill, between_spawning_the_service_and_publishing_it) {
  // strace's fault injection hits the exact syscall, which no outside
  // observer can: the monitor's first pwrite() is the pidfile's rewrite with
  // the service's pid, just after the spawn and before the state says so.
  const std::string strace = "/usr/bin/strace";
  if (::access(strace.c_str(), X_OK) != 0) GTEST_SKIP() << "needs " << strace;
  const std::vector<std::string> args{"start", "--name", "s", "--", test_child_path, "pause"};
  auto starter = spawn_command(
      {strace, "-f", "-o", "/dev/null", "-e", "trace=pwrite64", "-e", "inject=pwrite64:signal=KILL:when=1", tool_path,
       "start", "--name", "s", "--", test_child_path, "pause"},
      env());
  // strace stays until its last tracee (the service) is gone; the start it
  // ran is over once the starter has reported.
  line_reader starter_err(starter.err.get());
  auto said = starter_err.next(20s);
  ASSERT_TRUE(said.has_value()) << "start said nothing: did the injected kill not happen?";
  EXPECT_TRUE(contains(*said, "before it was ready")) << *said;
  auto instances = live_processes_named("dk_test_child");
  ASSERT_EQ(instances.size(), 1U) << "the kill did not fall after the spawn:\n" << describe_processes(instances);
  auto status = dk({"status", "s"});
  EXPECT_EQ(status.exit_code(), 0) << describe(status);
  EXPECT_TRUE(contains(status.out, "(pid " + std::to_string(instances[0]))) << describe(status);
  expect_recovers("dk_test_child", args);
  (void)finish(starter, 10s);
}

// Killed while start waits for readiness (--ready notify, never sent).
TEST_F(monitor_kill, while_start_waits_for_readiness) {
  const std::vector<std::string> args{"start", "--name", "s", "--ready", "notify", "--", test_child_path, "pause"};
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  auto starter = dk_spawn(args);
  ASSERT_TRUE(wait_until([&] { return count_lines(logfile("s"), "ready") == 1; }, 10s, events().changes_in(log_dir)));
  ASSERT_EQ(state("s")["state"], "starting");
  fd_guard monitor_fd(open_pidfd(monitor_of("s")));
  ASSERT_TRUE(monitor_fd.valid());
  kill_now(monitor_fd.get());
  auto r = finish(starter, 30s);
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "s: ")) << describe(r);
  expect_recovers("dk_test_child", args);
}

// Killed during respawn: just after the k-th restart was published, and
// while it waits out a backoff.
TEST_F(monitor_kill, during_respawn) {
  const std::vector<std::string> args{"start", "--name",        "s",    "--respawn", "--respawn-max-delay", "20ms",
                                      "--",    test_child_path, "exit", "1"};
  for (int k = 1; k <= 6; ++k) {
    SCOPED_TRACE("killed after restart " + std::to_string(k));
    auto r = dk(args);
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    fd_guard monitor_fd(open_pidfd(monitor_of("s")));
    ASSERT_TRUE(monitor_fd.valid());
    ASSERT_TRUE(wait_state_dir([&] { return restarts("s") >= k; }));
    kill_now(monitor_fd.get());
    expect_recovers("dk_test_child", args);
  }
  SCOPED_TRACE("killed in backoff");
  auto r = dk({"start", "--name", "s", "--respawn", "--respawn-max-delay", "5s", "--", test_child_path, "exit", "1"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  fd_guard monitor_fd(open_pidfd(monitor_of("s")));
  ASSERT_TRUE(wait_state_dir([&] { return state("s")["state"] == "backoff"; }));
  kill_now(monitor_fd.get());
  expect_recovers("dk_test_child", args);
}

// Killed at the k-th rotation of the log of a service writing as fast as it
// can: the service survives (the keeper takes over its output, so it gets
// no SIGPIPE), is not duplicated, and stops.
TEST_F(monitor_kill, during_log_rotation_under_a_fast_writer) {
  const std::vector<std::string> args{"start",      "--name", "s",  "--log-max-size", "64K",
                                      "--log-keep", "2",      "--", "/usr/bin/yes",   std::string(200, 'y')};
  for (int k = 1; k <= 4; ++k) {
    SCOPED_TRACE("killed at rotation " + std::to_string(k));
    dir_watch watch(log_dir);
    auto r = dk(args);
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    pid_t pid = service_pid_in(r.out);
    fd_guard service_fd(open_pidfd(pid));
    fd_guard monitor_fd(open_pidfd(monitor_of("s")));
    ASSERT_TRUE(monitor_fd.valid());
    for (int rotations = 0; rotations < k;) {
      auto change = watch.next(10s);
      ASSERT_TRUE(change.has_value()) << "no rotation within 10s";
      if (*change == ".s.log.new") ++rotations;
    }
    kill_now(monitor_fd.get());
    // Still writing, through the keeper, which rotates the log as the monitor
    // did: a rotation completes (the fresh file is renamed to s.log). What
    // the dead monitor did is already queued: skip that first.
    for (int i = 0; i < 100000 && watch.next(0ms); ++i) {}
    bool rotated = false;
    while (!rotated) {
      auto change = watch.next_change(10s);
      if (!change) break;
      rotated = change->name == "s.log" && (change->mask & IN_MOVED_TO) != 0;
    }
    EXPECT_TRUE(rotated) << "the log was not rotated after the monitor died: nobody writes it";
    EXPECT_FALSE(has_exited(service_fd.get())) << "the service died with its monitor";
    auto status = dk({"status", "s"});
    EXPECT_EQ(status.exit_code(), 0) << describe(status);
    EXPECT_TRUE(contains(status.out, "unsupervised")) << describe(status);
    expect_recovers("yes", args);
    auto logs = dir_entries(log_dir);
    EXPECT_EQ(logs, (std::vector<std::string>{"s.log", "s.log.1", "s.log.2"})) << join(logs);
  }
}

// Killed during stop, at the k-th change the stop makes in the state
// directory, with a service that exits on TERM.
TEST_F(monitor_kill, during_stop) {
  const std::vector<std::string> args{"start", "--name", "s", "--", test_child_path, "pause"};
  for (int k = 1; k <= 4; ++k) {
    SCOPED_TRACE("killed at change " + std::to_string(k) + " of the stop");
    auto r = dk(args);
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    fd_guard monitor_fd(open_pidfd(monitor_of("s")));
    ASSERT_TRUE(monitor_fd.valid());
    dir_watch watch(state_dir);
    auto stopper = dk_spawn({"stop", "s"});
    for (int seen = 0; seen < k && watch.next(10s, monitor_fd.get());) ++seen;
    send_signal_pidfd(monitor_fd.get(), SIGKILL);
    ASSERT_TRUE(wait_exit(monitor_fd.get(), 10s));
    auto s = finish(stopper, 30s);
    EXPECT_EQ(s.exit_code(), 0) << describe(s);
    expect_recovers("dk_test_child", args);
  }
}

// A service that ignores TERM, its monitor killed while it waits out the
// stop timeout: a second stop still ends it.
TEST_F(monitor_kill, while_stop_waits_for_a_service_that_ignores_term_and_it_stays_stoppable) {
  const std::vector<std::string> args{"start", "--name",        "s",          "--stop-timeout", "1s",
                                      "--",    test_child_path, "ignore-term"};
  auto r = dk(args);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  fd_guard monitor_fd(open_pidfd(monitor_of("s")));
  auto stopper = dk_spawn({"stop", "s"});
  ASSERT_TRUE(wait_state_dir([&] { return state("s")["state"] == "stopping"; }));
  kill_now(monitor_fd.get());
  (void)finish(stopper, 30s);
  expect_recovers("dk_test_child", args);
}

// The first stop, whose monitor was killed under it, must not claim success
// while the service still runs.
TEST_F(monitor_kill, a_stop_whose_monitor_is_killed_does_not_report_a_running_service_as_stopped) {
  // (Once it took the monitor's exit for "stopped", and the service ran on.)
  const std::vector<std::string> args{"start", "--name",        "s",          "--stop-timeout", "1s",
                                      "--",    test_child_path, "ignore-term"};
  pid_t pid = start("s", {test_child_path, "ignore-term"}, {"--stop-timeout", "1s"});
  fd_guard service_fd(open_pidfd(pid));
  fd_guard monitor_fd(open_pidfd(monitor_of("s")));
  auto stopper = dk_spawn({"stop", "s"});
  ASSERT_TRUE(wait_state_dir([&] { return state("s")["state"] == "stopping"; }));
  kill_now(monitor_fd.get());
  auto s = finish(stopper, 30s);
  if (s.exit_code() == 0) {
    EXPECT_TRUE(has_exited(service_fd.get())) << "stop said stopped, the service runs:\n" << describe(s);
  } else {
    EXPECT_EQ(s.out, "") << describe(s);
    EXPECT_TRUE(contains(s.err, "daemonkit: s: ")) << describe(s);
  }
  expect_recovers("dk_test_child", args);
}

// Monitor and service both gone: stop cleans up the pidfile they left, so
// nothing names a dead (soon recycled) pid and status says not running.
TEST_F(monitor_kill, stop_removes_the_pidfile_a_killed_monitor_left) {
  // (Once it said "not running" and left NAME.pid naming the dead service;
  // status then said "dead", exit 1.)
  pid_t pid = start("s", {test_child_path, "pause"});
  fd_guard service_fd(open_pidfd(pid));
  fd_guard monitor_fd(open_pidfd(monitor_of("s")));
  kill_now(monitor_fd.get());
  kill_now(service_fd.get());
  auto s = dk({"stop", "s"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  EXPECT_FALSE(exists(pidfile("s"))) << "pidfile left: '" << read_file(pidfile("s")).value_or("") << "'";
  auto status = dk({"status", "s"});
  EXPECT_EQ(status.exit_code(), 3) << describe(status);
}

// A service whose monitor and process both died is not confused with
// another one that runs the same command: status does not call it running,
// start starts it again, and stop leaves the other service alone.
TEST_F(monitor_kill, a_dead_service_is_not_confused_with_another_running_the_same_command) {
  // known bug (since 8ccd99f): when NAME.state is a dead monitor's last word
  // and its pid is gone, the tool takes any session leader running the same
  // command, started after that monitor, for the service's orphan, and stop
  // kills it. Reproducer:
  //   daemonkit start --name a -- sleep 1000
  //   kill -9 $(sed -n 's/^monitor_pid=//p' STATE/a.state); kill $(cat STATE/a.pid)
  //   daemonkit start --name b -- sleep 1000
  //   daemonkit status a   # "a: running (pid <b's sleep>, unsupervised...)", exit 0
  //   daemonkit stop a     # "a: stopped (pid <b's sleep>, was unsupervised)": b's service is killed
  pid_t a = start("a", {test_child_path, "pause"});
  {
    fd_guard service_fd(open_pidfd(a));
    fd_guard monitor_fd(open_pidfd(monitor_of("a")));
    kill_now(monitor_fd.get());
    kill_now(service_fd.get());
  }
  pid_t b = start("b", {test_child_path, "pause"});
  fd_guard b_fd(open_pidfd(b));

  auto status = dk({"status", "a"});
  EXPECT_NE(status.exit_code(), 0) << describe(status);
  EXPECT_FALSE(contains(status.out, std::to_string(b))) << describe(status);
  auto again = dk({"start", "--name", "a", "--", test_child_path, "pause"});
  EXPECT_EQ(again.exit_code(), 0) << describe(again);
  auto stop = dk({"stop", "a"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_FALSE(has_exited(b_fd.get())) << "stop a killed b's service";
  auto b_status = dk({"status", "b"});
  EXPECT_EQ(b_status.exit_code(), 0) << describe(b_status);
}

}  // namespace
