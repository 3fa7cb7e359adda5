// SPDX-License-Identifier: MIT
// control: status, stop, signals, given only a pidfile. The daemons are real:
// daemonize() in a forked starter (the test process is never daemonized), or
// the test child holding a pidfile lock the way a daemon does.
#include "daemonkit/control.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <functional>
#include <string>

#include "daemonkit/daemonize.hpp"
#include "test_support.hpp"

namespace {

using namespace dk_test;
using daemonkit::errc;
using daemonkit::lsb_status;
using namespace std::chrono_literals;

extern "C" void write_signal_name(int sig) {
  const char* text = sig == SIGHUP ? "HUP\n" : sig == SIGUSR1 ? "USR1\n" : "other\n";
  (void)::write(1, text, std::strlen(text));
}

class control_test : public process_fixture {
 protected:
  // Starts a daemon (forked starter + daemonize) that runs before_ready, reports
  // ready, then pauses until killed. Returns its pid once it sits in pause().
  pid_t start_daemon(const std::function<void()>& before_ready = {}) {
    daemonkit::daemonize_options opts;
    opts.pidfile = pidfile;
    opts.stdout_path = log;
    opts.stderr_path = log;
    auto r = run_function([&]() -> int {
      auto d = daemonkit::daemonize(opts);
      if (!d) return 2;
      if (d->is_daemon()) {
        if (before_ready) before_ready();
        if (!d->ready()) return 3;
        for (;;) ::pause();
      }
      auto pid = d->wait_ready();
      if (!pid) return 1;
      std::printf("%d\n", static_cast<int>(*pid));
      return 0;
    });
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    pid_t pid = std::atoi(r.out.c_str());
    EXPECT_TRUE(wait_until([&] { return current_syscall(pid) == SYS_pause; }, 5s));
    return pid;
  }

  static void ignore_term() { std::signal(SIGTERM, SIG_IGN); }
};

TEST_F(control_test, stop_escalates_to_kill_and_returns_once_the_daemon_is_gone) {
  pid_t pid = start_daemon(ignore_term);
  fd_guard pidfd(open_pidfd(pid));
  daemonkit::stop_policy quick;
  quick.steps = {{SIGTERM, 200ms}, {SIGKILL, 2s}};

  auto t0 = steady::now();
  auto r = daemonkit::stop(pidfile, quick);
  auto took = steady::now() - t0;
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_TRUE(r->was_running);
  EXPECT_EQ(r->pid, pid);
  EXPECT_EQ(r->last_signal, SIGKILL);
  EXPECT_EQ(r->steps_used, 2);
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 1s);
  EXPECT_TRUE(has_exited(pidfd.get())) << "stop returned while the daemon still ran";
  auto st = reap(pidfd.get());
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->signaled);
  EXPECT_EQ(st->code, SIGKILL);
  EXPECT_FALSE(exists(pidfile)) << "a killed daemon's pidfile is removed by stop";
}

TEST_F(control_test, stop_returns_as_soon_as_the_daemon_exits) {
  pid_t pid = start_daemon();  // TERM at its default action
  fd_guard pidfd(open_pidfd(pid));
  auto t0 = steady::now();
  auto r = daemonkit::stop(pidfile);  // TERM 10 s, KILL 5 s
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_LT(steady::now() - t0, 2s);
  EXPECT_EQ(r->steps_used, 1);
  EXPECT_EQ(r->last_signal, SIGTERM);
  EXPECT_TRUE(has_exited(pidfd.get()));
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(control_test, stop_times_out_when_every_step_passes_and_leaves_the_daemon_alone) {
  pid_t pid = start_daemon(ignore_term);
  daemonkit::stop_policy term_only;
  term_only.steps = {{SIGTERM, 100ms}};
  auto r = daemonkit::stop(pidfile, term_only);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::timed_out);
  EXPECT_EQ(r.err().message(), "pid " + std::to_string(pid) + " did not exit after SIGTERM");
  EXPECT_EQ(live_children(), std::vector<pid_t>{pid});
  EXPECT_EQ(lock_holder(pidfile), pid);
  EXPECT_EQ(read_file(pidfile), std::to_string(pid) + "\n");
}

TEST_F(control_test, stop_of_a_daemon_that_is_not_running_succeeds_and_changes_nothing) {
  auto r = daemonkit::stop(pidfile);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_FALSE(r->was_running);
  EXPECT_EQ(r->steps_used, 0);

  write_file(pidfile, "12345\n");  // stale
  r = daemonkit::stop(pidfile);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_FALSE(r->was_running);
  EXPECT_EQ(read_file(pidfile), "12345\n");
}

TEST_F(control_test, query_status_follows_the_lock) {
  auto s = daemonkit::query_status(pidfile);
  EXPECT_EQ(s.status, lsb_status::not_running);
  EXPECT_EQ(s.message, "not running");
  EXPECT_EQ(s.pid, 0);

  pid_t pid = start_daemon();
  s = daemonkit::query_status(pidfile);
  EXPECT_EQ(s.status, lsb_status::running);
  EXPECT_EQ(s.pid, pid);
  EXPECT_EQ(s.message, "running (pid " + std::to_string(pid) + ")");

  kill_and_reap_children();  // SIGKILL: the pidfile stays, unlocked
  s = daemonkit::query_status(pidfile);
  EXPECT_EQ(s.status, lsb_status::dead_pidfile_exists);
  EXPECT_EQ(s.pid, pid);
  EXPECT_EQ(s.message, "dead, but pidfile " + pidfile + " exists (stale pid " + std::to_string(pid) + ")");

  write_file(pidfile, "garbage");
  s = daemonkit::query_status(pidfile);
  EXPECT_EQ(s.status, lsb_status::dead_pidfile_exists);
  EXPECT_EQ(s.pid, 0);
  EXPECT_EQ(s.message, "dead, but pidfile " + pidfile + " exists (invalid content)");

  ::unlink(pidfile.c_str());
  ASSERT_EQ(::symlink("/etc/passwd", pidfile.c_str()), 0);
  s = daemonkit::query_status(pidfile);
  EXPECT_EQ(s.status, lsb_status::unknown);
  EXPECT_EQ(s.message, "pidfile " + pidfile + " is a symbolic link; refusing to use it");

  ::unlink(pidfile.c_str());
  ASSERT_EQ(::mkdir(pidfile.c_str(), 0755), 0);
  s = daemonkit::query_status(pidfile);
  EXPECT_EQ(s.status, lsb_status::unknown);
  EXPECT_EQ(s.message, "pidfile " + pidfile + " is not a regular file");
  ::rmdir(pidfile.c_str());

  s = daemonkit::query_status(tmp.file("missing-dir/x.pid"));
  EXPECT_EQ(s.status, lsb_status::not_running);
}

TEST_F(control_test, status_is_unknown_when_the_pidfile_cannot_be_read) {
  write_file(pidfile, "42\n");
  ASSERT_EQ(::chmod(pidfile.c_str(), 0), 0);
  // As root the mode does not stop us; as another user it must say why.
  auto r = run_function([&] {
    if (::getuid() == 0 && ::setuid(65534) != 0) return 2;
    auto s = daemonkit::query_status(pidfile);
    std::printf("%d %s\n", static_cast<int>(s.status), s.message.c_str());
    return 0;
  });
  EXPECT_EQ(r.out, "4 cannot open pidfile " + pidfile + ": Permission denied\n") << describe(r);
}

TEST_F(control_test, send_signal_and_reload_reach_the_lock_owner) {
  pid_t pid = start_daemon([] {
    struct sigaction sa {};
    sa.sa_handler = write_signal_name;
    ::sigaction(SIGUSR1, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);
  });
  auto r = daemonkit::send_signal(pidfile, SIGUSR1);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_EQ(*r, pid);
  EXPECT_TRUE(wait_until([&] { return read_file(log) == "USR1\n"; }, 5s, events().changes_in(log)));
  r = daemonkit::reload(pidfile);
  ASSERT_TRUE(r) << r.err().message();
  EXPECT_EQ(*r, pid);
  EXPECT_TRUE(wait_until([&] { return read_file(log) == "USR1\nHUP\n"; }, 5s, events().changes_in(log)));
}

TEST_F(control_test, nothing_is_signalled_when_the_pidfile_is_not_running) {
  auto r = daemonkit::send_signal(pidfile, SIGTERM);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::not_running);
  EXPECT_EQ(r.err().message(), "not running");

  // An unlocked pidfile naming a live process: that process is not ours to signal.
  auto victim = spawn_command({test_child_path, "pause"});
  line_reader out(victim.out.get());
  ASSERT_EQ(out.next(5s), "ready");
  write_file(pidfile, std::to_string(victim.pid) + "\n");
  r = daemonkit::send_signal(pidfile, SIGTERM);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::not_running);
  auto o = daemonkit::open_pidfile_owner(pidfile);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.err().code, errc::not_running);
  EXPECT_FALSE(has_exited(victim.pidfd.get()));
  EXPECT_EQ(signal_mask(victim.pid, "SigPnd") | signal_mask(victim.pid, "ShdPnd"), 0u);
  send_signal_pidfd(victim.pidfd.get(), SIGKILL);
  finish(victim);
}

// The lock is held by a process other than the one the file names, or the
// locked file names no valid pid (0, 1, garbage): refuse, signal no one.
TEST_F(control_test, refuses_when_the_lock_holder_is_not_the_pid_in_the_file) {
  auto other = spawn_command({test_child_path, "pause"});
  line_reader other_out(other.out.get());
  ASSERT_EQ(other_out.next(5s), "ready");
  struct refusal_case {
    std::string content;
    std::string message;  // with HOLDER for the lock holder's pid
  };
  const std::string named = std::to_string(other.pid);
  for (const auto& c : std::vector<refusal_case>{
           {named + "\n",
            "pidfile " + pidfile + " names pid " + named + " but pid HOLDER holds its lock; refusing to signal"},
           {"1\n", "pidfile " + pidfile + " holds no valid pid (locked by pid HOLDER); refusing to signal"},
           {"0\n", "pidfile " + pidfile + " holds no valid pid (locked by pid HOLDER); refusing to signal"},
           {"-1\n", "pidfile " + pidfile + " holds no valid pid (locked by pid HOLDER); refusing to signal"},
           {"", "pidfile " + pidfile + " holds no valid pid (locked by pid HOLDER); refusing to signal"},
       }) {
    auto holder = spawn_command({test_child_path, "hold-lock", pidfile, c.content});
    line_reader holder_out(holder.out.get());
    ASSERT_EQ(holder_out.next(5s), "ready");
    std::string want = c.message;
    want.replace(want.find("HOLDER"), 6, std::to_string(holder.pid));

    auto o = daemonkit::open_pidfile_owner(pidfile);
    ASSERT_FALSE(o) << c.content;
    EXPECT_EQ(o.err().code, errc::not_lock_owner);
    EXPECT_EQ(o.err().message(), want);
    auto s = daemonkit::send_signal(pidfile, SIGKILL);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().message(), want);
    auto st = daemonkit::stop(pidfile);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.err().message(), want);
    // Status still reports the lock holder: something does hold the pidfile.
    EXPECT_EQ(daemonkit::query_status(pidfile).status, lsb_status::running);

    EXPECT_FALSE(has_exited(holder.pidfd.get())) << c.content;
    EXPECT_FALSE(has_exited(other.pidfd.get())) << c.content;
    EXPECT_EQ(read_file(pidfile), c.content);
    send_signal_pidfd(holder.pidfd.get(), SIGKILL);
    finish(holder);
  }
  send_signal_pidfd(other.pidfd.get(), SIGKILL);
  finish(other);
}

TEST_F(control_test, a_signal_we_may_not_send_is_an_error_naming_the_pid) {
  pid_t pid = start_daemon();
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  auto r = run_function([&] {
    if (::setuid(65534) != 0) return 2;
    auto st = daemonkit::stop(pidfile);
    std::printf("%s\n", st ? "stopped" : st.err().message().c_str());
    auto s = daemonkit::reload(pidfile);
    std::printf("%s\n", s ? "reloaded" : s.err().message().c_str());
    return 0;
  });
  EXPECT_EQ(r.out, "cannot send SIGTERM to pid " + std::to_string(pid) +
                       ": Operation not permitted\ncannot send SIGHUP to pid " + std::to_string(pid) +
                       ": Operation not permitted\n")
      << describe(r);
  EXPECT_EQ(live_children(), std::vector<pid_t>{pid});
  EXPECT_EQ(lock_holder(pidfile), pid);
}

TEST_F(control_test, hostile_pidfiles_are_errors_not_signals) {
  ASSERT_EQ(::symlink("/proc/1/stat", pidfile.c_str()), 0);
  auto st = daemonkit::stop(pidfile);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.err().code, errc::bad_pidfile);
  EXPECT_EQ(st.err().message(), "pidfile " + pidfile + " is a symbolic link; refusing to use it");
  auto s = daemonkit::send_signal(pidfile, SIGHUP);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.err().code, errc::bad_pidfile);
  ::unlink(pidfile.c_str());

  ASSERT_EQ(::mkfifo(pidfile.c_str(), 0644), 0);  // opening must not block
  st = daemonkit::stop(pidfile);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.err().message(), "pidfile " + pidfile + " is not a regular file");
}

}  // namespace
