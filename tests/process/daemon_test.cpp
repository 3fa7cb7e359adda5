// The Daemon base class at library level: small subclasses run in a forked
// child (the test process is never daemonized), their stdout/stderr captured.
#include "daemonkit/daemon.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace dk_test;
using namespace std::chrono_literals;

// Runs d.main(argv...) and returns its exit code.
int run_main(daemonkit::Daemon& d, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return d.main(static_cast<int>(args.size()), argv.data());
}

class failing_setup final : public daemonkit::Daemon {
 public:
  using Daemon::Daemon;

 private:
  void setup() override { throw std::runtime_error("cannot bind 127.0.0.1:1: Address already in use"); }
  void run() override {}
};

class stuck_setup final : public daemonkit::Daemon {
 public:
  using Daemon::Daemon;

 private:
  void setup() override {
    for (;;) ::pause();  // never ready; ignores the stop request
  }
  void run() override {}
};

class throwing_run final : public daemonkit::Daemon {
 public:
  using Daemon::Daemon;

 private:
  void run() override { throw std::runtime_error("lost the database connection"); }
};

class exiting_run final : public daemonkit::Daemon {
 public:
  using Daemon::Daemon;

 private:
  void run() override {
    std::fflush(nullptr);
    std::exit(3);
  }
};

// Ignores stop requests: only KILL ends it.
class stubborn final : public daemonkit::Daemon {
 public:
  using Daemon::Daemon;

 private:
  void run() override {
    for (;;) ::pause();
  }
};

// Counts reloads and stops cooperatively.
class counting final : public daemonkit::Daemon {
 public:
  using Daemon::Daemon;

 private:
  void run() override {
    std::printf("running\n");
    std::fflush(stdout);
    while (!wait_for(std::chrono::hours(1))) {}
    std::printf("stop requested %d, %d reloads\n", stop_requested() ? 1 : 0, reloads_);
    std::fflush(stdout);
  }
  void on_reload() override {
    std::printf("reload %d\n", ++reloads_);
    std::fflush(stdout);
  }
  int reloads_ = 0;
};

class daemon_test : public process_fixture {
 protected:
  // Runs `command` on a D constructed with this test's files, in a forked child.
  template <class D>
  command_result run(const std::string& command, const std::function<void(D&)>& configure = {}) {
    return run_function([&] {
      D d(pidfile, "/dev/null", log, log);
      d.set_name("testd");
      if (configure) configure(d);
      return run_main(d, {"testd", command});
    });
  }
};

TEST_F(daemon_test, a_setup_exception_makes_start_print_it_and_fail) {
  auto r = run<failing_setup>("start");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "testd: cannot bind 127.0.0.1:1: Address already in use\n");
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(exists(pidfile)) << "the failed daemon left its pidfile";
  EXPECT_TRUE(wait_until([] { return live_children().empty(); }, 5s)) << "the failed daemon is still running";
}

TEST_F(daemon_test, a_daemon_that_never_gets_ready_is_stopped_and_start_fails) {
  auto r = run<stuck_setup>("start", [](stuck_setup& d) {
    d.options().ready_timeout = 200ms;
    d.stopping().steps = {{SIGTERM, 100ms}, {SIGKILL, 2s}};
  });
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(r.err.starts_with("testd: daemon (pid ")) << r.err;
  EXPECT_TRUE(r.err.ends_with(") did not report ready within 200ms\n")) << r.err;
  EXPECT_TRUE(live_children().empty()) << "start left the daemon it gave up on running";
  EXPECT_FALSE(exists(pidfile)) << "start left the killed daemon's pidfile behind";
}

TEST_F(daemon_test, a_run_exception_is_logged_the_exit_code_is_1_and_the_pidfile_goes) {
  auto r = run<throwing_run>("run");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "testd: lost the database connection\n");
  EXPECT_FALSE(exists(pidfile));

  r = run<throwing_run>("start");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);  // it was ready; the failure comes later
  ASSERT_TRUE(wait_until([] { return live_children().empty(); }, 5s));
  EXPECT_TRUE(wait_until([&] { return count_lines(log, "testd: lost the database connection") == 1; }, 5s,
                         events().changes_in(log)));
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(daemon_test, exit_from_run_still_removes_the_pidfile) {
  auto r = run<exiting_run>("run");
  EXPECT_EQ(r.exit_code(), 3) << describe(r);
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(daemon_test, stop_escalates_with_the_configured_policy) {
  auto configure = [](stubborn& d) { d.stopping().steps = {{SIGTERM, 200ms}, {SIGKILL, 2s}}; };
  auto r = run<stubborn>("start", configure);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  auto live = live_children();
  ASSERT_EQ(live.size(), 1u);
  fd_guard pidfd(open_pidfd(live[0]));

  auto t0 = steady::now();
  r = run<stubborn>("stop", configure);
  EXPECT_LT(steady::now() - t0, 1s);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "testd: stopped (pid " + std::to_string(live[0]) + ")\n");
  EXPECT_TRUE(has_exited(pidfd.get()));
  auto st = reap(pidfd.get());
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->signaled);
  EXPECT_EQ(st->code, SIGKILL);
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(daemon_test, hup_calls_on_reload_and_term_ends_wait_for) {
  auto r = run<counting>("start");
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  ASSERT_TRUE(wait_until([&] { return count_lines(log, "running") == 1; }, 5s, events().changes_in(log)));
  for (int i = 1; i <= 3; ++i) {
    r = run<counting>("reload");
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    ASSERT_TRUE(
        wait_until([&] { return count_lines(log, "reload " + std::to_string(i)) == 1; }, 5s, events().changes_in(log)));
  }
  r = run<counting>("stop");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(read_file(log), "running\nreload 1\nreload 2\nreload 3\nstop requested 1, 3 reloads\n");
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(daemon_test, main_dispatches_and_rejects_bad_usage) {
  auto usage = std::string("Usage: testd {start|stop|restart|status|reload|run}\n");
  auto r = run_function([&] {
    counting d(pidfile);
    d.set_name("testd");
    return run_main(d, {"testd"});
  });
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_EQ(r.err, usage);
  EXPECT_EQ(r.out, "");

  r = run_function([&] {
    counting d(pidfile);
    d.set_name("testd");
    return run_main(d, {"testd", "start", "now"});
  });
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_EQ(r.err, usage);

  r = run<counting>("frobnicate");
  EXPECT_EQ(r.exit_code(), 2);
  EXPECT_EQ(r.err, "testd: Unknown command 'frobnicate'\n" + usage);
  EXPECT_EQ(r.out, "");

  r = run<counting>("--help");
  EXPECT_EQ(r.exit_code(), 0);
  EXPECT_EQ(r.out, usage);

  r = run<counting>("status");
  EXPECT_EQ(r.exit_code(), 3);
  EXPECT_EQ(r.out, "testd: not running\n");

  // Without set_name the program's basename is used.
  r = run_function([&] {
    counting d(pidfile);
    return run_main(d, {"/usr/sbin/my-daemon", "bogus"});
  });
  EXPECT_EQ(r.err, "my-daemon: Unknown command 'bogus'\nUsage: my-daemon {start|stop|restart|status|reload|run}\n");
  EXPECT_TRUE(live_children().empty());
}

TEST_F(daemon_test, restart_does_not_start_when_stop_fails) {
  ASSERT_EQ(::symlink("/etc/passwd", pidfile.c_str()), 0);
  auto r = run<counting>("restart");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "testd: cannot stop: pidfile " + pidfile + " is a symbolic link; refusing to use it\n");
  EXPECT_TRUE(live_children().empty());
}

TEST_F(daemon_test, restart_of_a_stopped_daemon_starts_it) {
  auto r = run<counting>("restart");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  auto live = live_children();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(r.out, "testd: not running\ntestd: started (pid " + std::to_string(live[0]) + ")\n");
}

}  // namespace
