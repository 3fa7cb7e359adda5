// SPDX-License-Identifier: MIT
// daemonkit/supervised.hpp against real processes and hand-made state
// directories: who it trusts as a monitor, and what it makes of what a dead
// monitor left behind.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>

#include "daemonkit/detail/proc.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/service_state.hpp"
#include "daemonkit/supervised.hpp"
#include "test_support.hpp"

namespace {

using namespace dk_test;

class supervised_test : public process_fixture {
 protected:
  std::string dir = tmp.path();
  daemonkit::service_paths paths = daemonkit::service_paths_for(dir, "svc");

  // A process that exited and was reaped: its pid names nobody (for now).
  pid_t dead_pid() {
    auto c = spawn_command({test_child_path, "exit", "0"});
    pid_t pid = c.pid;
    finish(c);
    return pid;
  }

  // A stranger holding NAME.pid's lock, the file naming itself.
  running_command hold_lock() {
    auto c = spawn_command({test_child_path, "hold-lock", paths.pidfile});
    line_reader out(c.out.get());
    EXPECT_EQ(out.next(5s), "ready");
    return c;
  }

  void write_state(daemonkit::service_phase phase, pid_t monitor, pid_t pid) {
    daemonkit::service_state s;
    s.name = "svc";
    s.phase = phase;
    s.monitor_pid = monitor;
    s.pid = pid;
    s.pid_start_ticks = pid > 0 ? 12345 : 0;
    ASSERT_TRUE(daemonkit::write_service_state(paths.state, s));
  }
};

TEST_F(supervised_test, the_layout_is_name_dot_pid_state_json) {
  EXPECT_EQ(paths.pidfile, dir + "/svc.pid");
  EXPECT_EQ(paths.state, dir + "/svc.state");
  EXPECT_EQ(paths.config, dir + "/svc.json");
  EXPECT_TRUE(daemonkit::valid_service_name("web-1.a_b@x"));
  EXPECT_FALSE(daemonkit::valid_service_name(".hidden"));
  EXPECT_FALSE(daemonkit::valid_service_name("a/b"));
  EXPECT_FALSE(daemonkit::valid_service_name(std::string(65, 'a')));
  write_file(dir + "/b.state", "");
  write_file(dir + "/a.pid", "");
  write_file(dir + "/a.json", "");
  write_file(dir + "/.x.pid", "");
  EXPECT_EQ(daemonkit::list_service_names(dir), (std::vector<std::string>{"a", "b"}));
}

TEST_F(supervised_test, a_stale_pidfile_of_a_monitor_that_died_with_its_service_reads_dead_and_stop_tidies_it) {
  pid_t gone = dead_pid();
  write_file(paths.pidfile, std::to_string(gone) + "\n");
  write_state(daemonkit::service_phase::running, gone, gone);
  auto v = daemonkit::inspect_service(dir, "svc");
  EXPECT_EQ(v.what, daemonkit::service_view::kind::failed);
  EXPECT_FALSE(v.running());
  EXPECT_EQ(v.lsb_code(), daemonkit::lsb_status::dead_pidfile_exists);
  EXPECT_EQ(v.word(), "failed");
  EXPECT_EQ(v.describe(), "dead: its monitor is gone and so is the service");

  auto r = daemonkit::stop_service(v);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_FALSE(r->was_running);
  EXPECT_FALSE(exists(paths.pidfile)) << "a stale pidfile naming a dead pid is left";
  auto after = daemonkit::inspect_service(dir, "svc");
  EXPECT_EQ(after.what, daemonkit::service_view::kind::stopped);
  EXPECT_EQ(after.describe(), "not running (stopped)");
}

TEST_F(supervised_test, a_lock_holder_the_state_does_not_name_is_refused_and_not_signalled) {
  auto holder = hold_lock();
  // NAME.state names another monitor (ours: alive, but holding no lock).
  write_state(daemonkit::service_phase::running, ::getpid(), 0);
  auto v = daemonkit::inspect_service(dir, "svc");
  ASSERT_EQ(v.what, daemonkit::service_view::kind::supervised);
  EXPECT_EQ(v.monitor_pid, holder.pid);
  EXPECT_FALSE(v.monitor_verified);
  EXPECT_FALSE(v.state) << "the state of another monitor was kept";

  const std::string refusal = paths.pidfile + " is locked by pid " + std::to_string(holder.pid) +
                              ", which is not this service's monitor (" + paths.state +
                              " does not name it); refusing to signal it";
  auto stop = daemonkit::stop_service(v);
  ASSERT_FALSE(stop);
  EXPECT_EQ(stop.err().code, daemonkit::errc::not_lock_owner);
  EXPECT_EQ(stop.err().message(), refusal);
  auto reopen = daemonkit::reopen_service_logs(v);
  ASSERT_FALSE(reopen);
  EXPECT_EQ(reopen.err().message(), refusal);
  // reload falls back to the service, which is not known: nothing is sent.
  EXPECT_FALSE(daemonkit::reload_service(v));
  EXPECT_FALSE(has_exited(holder.pidfd.get())) << "the stranger was signalled";
  send_signal_pidfd(holder.pidfd.get(), SIGKILL);
  finish(holder);
}

TEST_F(supervised_test, a_lock_holder_that_exits_during_the_wait_means_not_running) {
  auto holder = hold_lock();
  auto v = daemonkit::inspect_service(dir, "svc");
  ASSERT_EQ(v.what, daemonkit::service_view::kind::supervised);
  ASSERT_FALSE(v.monitor_verified);
  send_signal_pidfd(holder.pidfd.get(), SIGKILL);
  finish(holder);
  // The lock is free again: no wait for a state that will never come.
  const auto began = std::chrono::steady_clock::now();
  auto r = daemonkit::stop_service(v);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_FALSE(r->was_running);
  EXPECT_LT(std::chrono::steady_clock::now() - began, daemonkit::monitor_publish_wait);
}

TEST_F(supervised_test, signal_service_refuses_a_recorded_pid_that_is_no_longer_the_service) {
  auto other = spawn_command({test_child_path, "pause"});
  line_reader out(other.out.get());
  ASSERT_EQ(out.next(5s), "ready");
  // The monitor is gone; NAME.state names a live pid with another start time.
  write_state(daemonkit::service_phase::running, dead_pid(), other.pid);
  auto v = daemonkit::inspect_service(dir, "svc");
  EXPECT_NE(v.what, daemonkit::service_view::kind::unsupervised);
  EXPECT_FALSE(daemonkit::signal_service(v, SIGTERM));
  EXPECT_FALSE(has_exited(other.pidfd.get()));
  send_signal_pidfd(other.pidfd.get(), SIGKILL);
  finish(other);
}

// A monitor killed between forking its service and publishing the pid left
// "starting" with no pid; the instance is recognised by its start time on
// the boot clock the state recorded, so a wall-clock step since (NTP on a
// fresh machine; here the state's mtime an hour ahead) does not hide it, and
// a process started before that state is never taken for it.
TEST_F(supervised_test, an_instance_orphaned_before_its_pid_was_published_is_found_by_the_boot_clock) {
  daemonkit::service_config c;
  c.name = "svc";
  c.argv = {test_child_path, "pause"};
  ASSERT_TRUE(daemonkit::write_service_config(paths.config, c));
  daemonkit::service_state s;
  s.name = "svc";
  s.phase = daemonkit::service_phase::starting;
  s.monitor_pid = dead_pid();
  s.written_ticks = daemonkit::boot_clock_ticks();
  ASSERT_TRUE(daemonkit::write_service_state(paths.state, s));
  // A program running the same command at the same time, but elsewhere
  // (not in the service's working directory): never taken for it.
  auto stranger = spawn_command({"/usr/bin/setsid", test_child_path, "pause"});
  line_reader stranger_out(stranger.out.get());
  ASSERT_EQ(stranger_out.next(5s), "ready");
  ASSERT_NE(read_link("/proc/" + std::to_string(stranger.pid) + "/cwd"), "/");
  EXPECT_EQ(daemonkit::inspect_service(dir, "svc").what, daemonkit::service_view::kind::failed)
      << "a stranger running the same command was taken for the orphan";
  send_signal_pidfd(stranger.pidfd.get(), SIGKILL);
  finish(stranger);

  command_options in_root;
  in_root.cwd = "/";  // the service's working directory (the default)
  auto child = spawn_command({"/usr/bin/setsid", test_child_path, "pause"}, in_root);
  line_reader out(child.out.get());
  ASSERT_EQ(out.next(5s), "ready");
  const struct timespec ahead[2] = {{std::time(nullptr) + 3600, 0}, {std::time(nullptr) + 3600, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, paths.state.c_str(), ahead, 0), 0);

  auto v = daemonkit::inspect_service(dir, "svc");
  ASSERT_EQ(v.what, daemonkit::service_view::kind::unsupervised) << v.describe();
  auto st = daemonkit::read_proc_stat(v.pid);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->sid, v.pid);
  EXPECT_EQ(v.pid_start_ticks, st->start_ticks);

  // The same state, written after that process started: not its instance.
  s.written_ticks = st->start_ticks + 1;
  ASSERT_TRUE(daemonkit::write_service_state(paths.state, s));
  EXPECT_NE(daemonkit::inspect_service(dir, "svc").what, daemonkit::service_view::kind::unsupervised);

  s.written_ticks = st->start_ticks;
  ASSERT_TRUE(daemonkit::write_service_state(paths.state, s));
  auto again = daemonkit::inspect_service(dir, "svc");
  ASSERT_EQ(again.what, daemonkit::service_view::kind::unsupervised);
  fd_guard instance(open_pidfd(again.pid));
  auto r = daemonkit::stop_service(again, 1s);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_TRUE(r->was_running);
  EXPECT_TRUE(wait_exit(instance.get(), 5s));
  EXPECT_EQ(daemonkit::inspect_service(dir, "svc").what, daemonkit::service_view::kind::stopped);
}

}  // namespace
