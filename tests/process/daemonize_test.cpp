// SPDX-License-Identifier: MIT
// daemonize() at library level. The test process itself is never daemonized:
// each test forks a child (the "starter") that calls daemonize(); the starter
// reports what wait_ready() said on its stdout and _exits; the daemon runs the
// test's body and _exits too, never returning into GoogleTest. The test
// process is a child subreaper, so the daemon ends up as its child: it is
// checked through /proc, then killed and reaped.
#include "daemonkit/daemonize.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <pwd.h>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace dk_test;
using daemonkit::daemonize_options;
using daemonkit::daemonized;
using daemonkit::errc;

// What the starter saw.
struct start_outcome {
  command_result starter;
  bool ready = false;
  pid_t daemon = 0;    // from daemon_pid(), ready or not
  std::string error;   // wait_ready()'s message when not ready
  int error_code = 0;  // its errc value (0 when not a daemonkit error)
};

// In the daemon: report ready, then wait to be killed.
int ready_then_pause(daemonized& d) {
  if (!d.ready()) return 3;
  for (;;) ::pause();
}

class daemonize_test : public process_fixture {
 protected:
  // Forks a starter that daemonizes with opts; the daemon runs body. prepare
  // runs in the starter before daemonize() (to change its own state).
  start_outcome start(const daemonize_options& opts, const std::function<int(daemonized&)>& body = ready_then_pause,
                      const std::function<void()>& prepare = {},
                      std::optional<std::chrono::milliseconds> ready_timeout = {}) {
    auto r = run_function([&]() -> int {
      if (prepare) prepare();
      auto d = daemonkit::daemonize(opts);
      if (!d) {
        std::printf("error %d %s\n", 0, d.err().message().c_str());
        return 2;
      }
      if (d->is_daemon()) return body(*d);
      auto pid = d->wait_ready(ready_timeout);
      if (pid) {
        std::printf("ready %d\n", static_cast<int>(*pid));
        return 0;
      }
      const auto& e = pid.err();
      int code = e.code.category() == daemonkit::daemonkit_category() ? e.code.value() : 0;
      std::printf("failed %d %d %s\n", static_cast<int>(d->daemon_pid()), code, e.message().c_str());
      return 1;
    });
    start_outcome o;
    o.starter = r;
    std::istringstream in(r.out);
    std::string word;
    in >> word;
    if (word == "ready") {
      o.ready = true;
      in >> o.daemon;
    } else if (word == "failed") {
      in >> o.daemon >> o.error_code;
      in.get();
      std::getline(in, o.error);
    } else if (word == "error") {
      in >> o.error_code;
      in.get();
      std::getline(in, o.error);
    }
    return o;
  }

  daemonize_options options() {
    daemonize_options o;
    o.pidfile = pidfile;
    o.stdout_path = log;
    o.stderr_path = log;
    return o;
  }

  // Starts a daemon that waits to be killed; returns its pid once the
  // daemon sits in pause(), past ready() and the close of its end of the
  // readiness pipe. (/proc/PID/syscall has no change notification: the wait
  // re-checks.)
  pid_t start_ready(const daemonize_options& opts, const std::function<void()>& prepare = {}) {
    auto o = start(opts, ready_then_pause, prepare);
    EXPECT_TRUE(o.ready) << describe(o.starter);
    if (o.ready) wait_until_paused(o.daemon);
    return o.daemon;
  }

  static void wait_until_paused(pid_t pid) {
    EXPECT_TRUE(wait_until([&] { return current_syscall(pid) == SYS_pause; }, 5s))
        << "pid " << pid << " is in syscall " << current_syscall(pid);
  }
};

TEST_F(daemonize_test, the_daemon_is_its_own_session_member_not_leader_in_root_with_umask_022) {
  pid_t pid = start_ready(options(), [&] {
    ::umask(077);
    (void)::chdir(tmp.path().c_str());
  });
  ASSERT_GT(pid, 1);
  auto st = read_stat(pid);
  ASSERT_TRUE(st);
  EXPECT_NE(st->session, pid);
  EXPECT_NE(st->session, read_stat(::getpid())->session);
  EXPECT_EQ(st->tty_nr, 0);
  EXPECT_EQ(cwd_of(pid), "/");
  EXPECT_EQ(umask_of(pid), 022u);
  EXPECT_EQ(st->ppid, ::getpid()) << "the starter is gone, the daemon reparented to the subreaper";
}

TEST_F(daemonize_test, configured_umask_and_working_directory) {
  auto opts = options();
  opts.umask = 027;
  opts.working_directory = tmp.path();
  pid_t pid = start_ready(opts);
  EXPECT_EQ(cwd_of(pid), tmp.path());
  EXPECT_EQ(umask_of(pid), 027u);
}

TEST_F(daemonize_test, signal_dispositions_and_mask_are_reset) {
  pid_t pid = start_ready(options(), [] {
    for (int sig : {SIGPIPE, SIGHUP, SIGUSR1, SIGINT, SIGTERM, SIGQUIT, SIGCHLD}) std::signal(sig, SIG_IGN);
    sigset_t block;
    sigfillset(&block);
    ::sigprocmask(SIG_SETMASK, &block, nullptr);
  });
  ASSERT_GT(pid, 1);
  EXPECT_EQ(signal_mask(pid, "SigBlk"), 0u) << *status_field(pid, "SigBlk");
  EXPECT_EQ(signal_mask(pid, "SigIgn"), 0u) << *status_field(pid, "SigIgn");
  EXPECT_EQ(signal_mask(pid, "SigCgt"), 0u) << *status_field(pid, "SigCgt");
}

TEST_F(daemonize_test, inherited_fds_are_closed_except_keep_fds_even_above_1024) {
  auto opts = options();
  opts.keep_fds = {1500};
  pid_t pid = start_ready(opts, [] {
    int null = ::open("/dev/null", O_RDONLY);  // not close-on-exec: inheritable
    for (int fd : {3, 9, 1023, 1024, 1500, 4096}) ::dup2(null, fd);
    ::fcntl(::open("/dev/null", O_RDONLY | O_CLOEXEC), F_DUPFD_CLOEXEC, 2000);
  });
  ASSERT_GT(pid, 1);
  auto fds = fds_of(pid);
  std::string listing;
  for (const auto& [fd, target] : fds) listing += std::to_string(fd) + " -> " + target + "\n";
  ASSERT_EQ(fds.size(), 5u) << listing;
  EXPECT_EQ(fds[0], "/dev/null");
  EXPECT_EQ(fds[1], log);
  EXPECT_EQ(fds[2], log);
  EXPECT_EQ(fds[1500], "/dev/null") << listing;
  int pidfile_fd = -1;
  for (const auto& [fd, target] : fds) {
    if (target == pidfile) pidfile_fd = fd;
  }
  EXPECT_GT(pidfile_fd, 2) << listing;
}

TEST_F(daemonize_test, stdio_goes_to_the_configured_files_appending) {
  auto opts = options();
  opts.stdin_path = tmp.file("in.txt");
  opts.stdout_path = tmp.file("out.log");
  opts.stderr_path = tmp.file("err.log");
  write_file(opts.stdin_path, "line from stdin\n");
  write_file(opts.stdout_path, "old out\n");
  write_file(opts.stderr_path, "old err\n");
  auto o = start(opts, [](daemonized& d) {
    char buf[64] = {};
    ssize_t n = ::read(0, buf, sizeof buf - 1);
    std::printf("to stdout, read %zd: %s", n, buf);
    std::fprintf(stderr, "to stderr\n");
    std::fflush(nullptr);
    return ready_then_pause(d);
  });
  ASSERT_TRUE(o.ready) << describe(o.starter);
  wait_until_paused(o.daemon);
  EXPECT_EQ(read_file(opts.stdout_path), "old out\nto stdout, read 16: line from stdin\n");
  EXPECT_EQ(read_file(opts.stderr_path), "old err\nto stderr\n");
  auto fds = fds_of(o.daemon);
  EXPECT_EQ(fds[0], opts.stdin_path);
  EXPECT_EQ(fds[1], opts.stdout_path);
  EXPECT_EQ(fds[2], opts.stderr_path);
  EXPECT_NE(fd_flags_of(o.daemon, 1) & O_APPEND, 0);
  EXPECT_NE(fd_flags_of(o.daemon, 2) & O_APPEND, 0);
  // Nothing the starter printed reached the daemon's files, and the other way round.
  EXPECT_EQ(o.starter.err, "");
}

TEST_F(daemonize_test, a_relative_log_path_is_opened_in_the_starters_directory) {
  auto opts = options();
  opts.stdout_path = "relative.log";
  opts.stderr_path = "relative.log";
  auto o = start(
      opts,
      [](daemonized& d) {
        std::printf("hello\n");
        std::fflush(stdout);
        return ready_then_pause(d);
      },
      [&] { (void)::chdir(tmp.path().c_str()); });
  ASSERT_TRUE(o.ready) << describe(o.starter);
  EXPECT_EQ(read_file(tmp.file("relative.log")), "hello\n");
  EXPECT_EQ(cwd_of(o.daemon), "/");
}

TEST_F(daemonize_test, the_environment_is_cleaned_when_asked) {
  auto opts = options();
  opts.environment = daemonkit::env_policy::clean;
  opts.set_env = {"DK_EXTRA=yes", "TZ=UTC"};
  auto o = start(
      opts,
      [](daemonized& d) {
        for (char** e = environ; *e != nullptr; ++e) std::printf("%s\n", *e);
        std::fflush(stdout);
        return ready_then_pause(d);
      },
      [] {
        ::setenv("DK_SECRET", "hunter2", 1);
        ::setenv("LANG", "C.UTF-8", 1);
        ::setenv("LC_TIME", "C", 1);
        ::setenv("PATH", "/evil", 1);
        ::setenv("TZ", "Europe/Paris", 1);
        ::setenv("TERM", "xterm", 1);  // a daemon has no terminal
        ::setenv("HOME", "/home/me", 1);
        ::setenv("USER", "me", 1);
        ::unsetenv("LOGNAME");
      });
  ASSERT_TRUE(o.ready) << describe(o.starter);
  auto text = read_file(log).value_or("");
  std::set<std::string> env;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) env.insert(line);
  EXPECT_EQ(env, (std::set<std::string>{"DK_EXTRA=yes", "HOME=/home/me", "LANG=C.UTF-8", "LC_TIME=C",
                                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC",
                                        "USER=me"}))
      << text;
}

TEST_F(daemonize_test, the_environment_is_kept_by_default_with_set_env_applied) {
  auto opts = options();
  opts.set_env = {"DK_EXTRA=yes", "DK_OVERRIDE=new"};
  auto o = start(
      opts,
      [](daemonized& d) {
        std::printf("%s %s %s\n", std::getenv("DK_KEPT"), std::getenv("DK_EXTRA"), std::getenv("DK_OVERRIDE"));
        std::fflush(stdout);
        return ready_then_pause(d);
      },
      [] {
        ::setenv("DK_KEPT", "kept", 1);
        ::setenv("DK_OVERRIDE", "old", 1);
      });
  ASSERT_TRUE(o.ready) << describe(o.starter);
  EXPECT_EQ(read_file(log), "kept yes new\n");
}

TEST_F(daemonize_test, the_daemon_holds_its_pidfile) {
  pid_t pid = start_ready(options());
  EXPECT_EQ(read_file(pidfile), std::to_string(pid) + "\n");
  EXPECT_EQ(lock_holder(pidfile), pid);
  bool found = false;
  for (const auto& [fd, target] : fds_of(pid)) found = found || target == pidfile;
  EXPECT_TRUE(found);
}

TEST_F(daemonize_test, no_pidfile_when_none_is_asked_for) {
  auto opts = options();
  opts.pidfile.clear();
  pid_t pid = start_ready(opts);
  EXPECT_EQ(fds_of(pid).size(), 3u);
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(daemonize_test, a_second_daemon_fails_with_already_running_naming_the_first) {
  pid_t first = start_ready(options());
  auto o = start(options());
  EXPECT_FALSE(o.ready);
  EXPECT_EQ(o.error, "already running (pid " + std::to_string(first) + ")");
  EXPECT_EQ(o.error_code, static_cast<int>(errc::already_running));
  EXPECT_EQ(o.starter.exit_code(), 1);
  EXPECT_EQ(lock_holder(pidfile), first);
  EXPECT_TRUE(wait_until([&] { return live_children() == std::vector<pid_t>{first}; }, 5s));
}

TEST_F(daemonize_test, failures_are_always_reported_as_the_daemons_own_message) {
  // A daemon that fails at once races the first child, which exits right
  // after forking it; whoever runs first, the starter must report the
  // daemon's own message.
  pid_t first = start_ready(options());
  for (int i = 0; i < 100; ++i) {
    auto o = start(options());
    ASSERT_EQ(o.error, "already running (pid " + std::to_string(first) + ")")
        << "attempt " << i << ": " << describe(o.starter);
  }
}

TEST_F(daemonize_test, a_daemon_that_exits_before_ready_is_a_failed_start_with_its_status) {
  auto o = start(options(), [](daemonized&) { return 7; });
  EXPECT_FALSE(o.ready);
  EXPECT_EQ(o.error, "daemon exited with status 7 before it was ready");
  EXPECT_EQ(o.error_code, static_cast<int>(errc::daemon_failed));
  EXPECT_FALSE(exists(pidfile)) << "the daemon's pidfile outlived it";

  o = start(options(), [](daemonized&) {
    std::signal(SIGUSR1, SIG_DFL);
    ::raise(SIGUSR1);
    return 0;
  });
  EXPECT_FALSE(o.ready);
  EXPECT_EQ(o.error, "daemon killed by signal USR1 before it was ready");
  EXPECT_FALSE(exists(pidfile)) << "the killed daemon's pidfile was left behind";
}

TEST_F(daemonize_test, fail_sends_the_daemons_message_to_the_starter) {
  auto o = start(options(), [](daemonized& d) {
    d.fail("cannot bind 127.0.0.1:80: Address already in use");
    return 1;
  });
  EXPECT_FALSE(o.ready);
  EXPECT_EQ(o.error, "cannot bind 127.0.0.1:80: Address already in use");
  EXPECT_EQ(o.error_code, static_cast<int>(errc::daemon_failed));
  EXPECT_EQ(o.starter.exit_code(), 1);
}

TEST_F(daemonize_test, fail_is_reported_even_if_the_daemon_lingers) {
  // A daemon that reports failure and then takes its time to exit: the
  // starter reports the failure, not a timeout.
  auto o = start(
      options(),
      [](daemonized& d) {
        d.fail("cannot load configuration");
        for (;;) ::pause();
        return 1;
      },
      {}, 300ms);
  EXPECT_FALSE(o.ready);
  EXPECT_EQ(o.error, "cannot load configuration");
  EXPECT_EQ(o.error_code, static_cast<int>(errc::daemon_failed));
}

TEST_F(daemonize_test, a_daemon_that_never_reports_times_out_and_is_left_running) {
  auto o = start(
      options(),
      [](daemonized&) {
        for (;;) ::pause();
        return 0;
      },
      {}, 200ms);
  EXPECT_FALSE(o.ready);
  EXPECT_EQ(o.error, "daemon (pid " + std::to_string(o.daemon) + ") did not report ready within 200ms");
  EXPECT_EQ(o.error_code, static_cast<int>(errc::timed_out));
  EXPECT_EQ(live_children(), std::vector<pid_t>{o.daemon});
}

TEST_F(daemonize_test, setup_failures_after_the_pidfile_was_taken_remove_it) {
  auto opts = options();
  opts.working_directory = tmp.file("no-such-dir");
  auto o = start(opts);
  EXPECT_FALSE(o.ready);
  EXPECT_EQ(o.error, "cannot change directory to " + opts.working_directory + ": No such file or directory");
  EXPECT_FALSE(exists(pidfile)) << "a failed daemon left its pidfile behind";

  opts = options();
  opts.chroot = tmp.file("no-such-root");
  o = start(opts);
  EXPECT_FALSE(o.ready);
  EXPECT_EQ(o.error, "cannot chroot to " + opts.chroot + ": No such file or directory");
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(daemonize_test, chroot_and_user_drop) {
  auto opts = options();
  opts.chroot = tmp.path();
  opts.user = "nobody";
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  auto o = start(opts, [](daemonized& d) {
    std::printf("uid=%d euid=%d gid=%d HOME=%s USER=%s\n", static_cast<int>(::getuid()), static_cast<int>(::geteuid()),
                static_cast<int>(::getgid()), std::getenv("HOME"), std::getenv("USER"));
    std::fflush(stdout);
    return ready_then_pause(d);
  });
  ASSERT_TRUE(o.ready) << describe(o.starter);
  struct passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  EXPECT_EQ(read_file(log), "uid=" + std::to_string(pw->pw_uid) + " euid=" + std::to_string(pw->pw_uid) +
                                " gid=" + std::to_string(pw->pw_gid) + " HOME=" + pw->pw_dir + " USER=nobody\n");
  EXPECT_EQ(read_link("/proc/" + std::to_string(o.daemon) + "/root"), tmp.path());
  EXPECT_EQ(status_field(o.daemon, "Uid").value_or("").substr(0, std::to_string(pw->pw_uid).size()),
            std::to_string(pw->pw_uid));
  EXPECT_EQ(lock_holder(pidfile), o.daemon);
}

TEST_F(daemonize_test, the_starter_is_a_subreaper_until_wait_ready_returns) {
  auto r = run_function([&] {
    int before = -1, after_daemonize = -1, after_wait = -1;
    ::prctl(PR_GET_CHILD_SUBREAPER, &before);
    auto d = daemonkit::daemonize(options());
    if (!d) return 2;
    if (d->is_daemon()) return ready_then_pause(*d);
    ::prctl(PR_GET_CHILD_SUBREAPER, &after_daemonize);
    auto pid = d->wait_ready();
    ::prctl(PR_GET_CHILD_SUBREAPER, &after_wait);
    std::printf("%d %d %d %d\n", before, after_daemonize, after_wait, pid ? 1 : 0);
    return 0;
  });
  EXPECT_EQ(r.out, "0 1 0 1\n") << describe(r);
}

TEST_F(daemonize_test, ready_survives_a_starter_that_is_gone) {
  // The starter dies (killed, or it gave up) before the daemon reports: the
  // daemon's ready() must not kill it with SIGPIPE.
  auto r = run_function([&] {
    const pid_t starter = ::getpid();
    auto d = daemonkit::daemonize(options());
    if (!d) return 2;
    if (d->is_daemon()) {
      fd_guard starter_fd(open_pidfd(starter));
      if (starter_fd.valid()) (void)wait_exit(starter_fd.get(), 10s);
      auto ok = d->ready();
      std::printf("ready returned %s\n", ok ? "ok" : ok.err().message().c_str());
      std::fflush(stdout);
      return 0;
    }
    std::printf("%d\n", static_cast<int>(d->daemon_pid()));
    return 0;  // without waiting
  });
  pid_t daemon = std::atoi(r.out.c_str());
  ASSERT_GT(daemon, 1) << describe(r);
  fd_guard pidfd(open_pidfd(daemon));
  ASSERT_TRUE(pidfd.valid());
  ASSERT_TRUE(wait_exit(pidfd.get(), 10s));
  auto st = reap(pidfd.get());
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->signaled) << "the daemon was killed by signal " << st->code;
  EXPECT_EQ(st->code, 0);
  EXPECT_EQ(read_file(log), "ready returned ok\n");
}

TEST_F(daemonize_test, works_when_the_starter_ignores_sigchld) {
  auto ignore_chld = [] { std::signal(SIGCHLD, SIG_IGN); };
  pid_t pid = start_ready(options(), ignore_chld);
  ASSERT_GT(pid, 1);
  EXPECT_EQ(lock_holder(pidfile), pid);
  kill_and_reap_children();

  auto o = start(
      options(), [](daemonized&) { return 5; }, ignore_chld);
  EXPECT_EQ(o.error, "daemon exited with status 5 before it was ready");
  // And the starter's own SIGCHLD disposition is restored afterwards.
  auto r = run_function([&] {
    ignore_chld();
    auto d = daemonkit::daemonize(options());
    if (!d) return 2;
    if (d->is_daemon()) return ready_then_pause(*d);
    (void)d->wait_ready();
    struct sigaction sa {};
    ::sigaction(SIGCHLD, nullptr, &sa);
    std::printf("%s\n", sa.sa_handler == SIG_IGN ? "ignored" : "not ignored");
    return 0;
  });
  EXPECT_EQ(r.out, "ignored\n");
}

TEST_F(daemonize_test, ready_notifies_notify_socket_with_the_daemons_pid) {
  const std::string sock_path = tmp.file("notify.sock");
  fd_guard sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, sock_path.c_str(), sizeof sa.sun_path - 1);
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa), 0);
  pid_t pid = start_ready(options(), [&] { ::setenv("NOTIFY_SOCKET", sock_path.c_str(), 1); });
  ASSERT_TRUE(fd_ready(sock.get(), 5s));
  char buf[256] = {};
  ssize_t n = ::recv(sock.get(), buf, sizeof buf - 1, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "READY=1\nMAINPID=" + std::to_string(pid));
}

// Errors found before the fork come back in the caller; calling daemonize()
// in the test process itself is safe for these because nothing is forked.
TEST_F(daemonize_test, errors_before_the_fork_come_back_in_the_caller_and_leak_nothing) {
  int subreaper_before = -1;
  ::prctl(PR_GET_CHILD_SUBREAPER, &subreaper_before);
  const auto fds_before = own_fds();
  struct bad_case {
    std::function<void(daemonize_options&)> change;
    std::string message;
    bool opens_files = false;  // stdout is created before stderr fails
  };
  const std::string missing = tmp.file("missing/x.log");
  std::vector<bad_case> cases{
      {[&](daemonize_options& o) { o.stdout_path = missing; },
       "cannot open log " + missing + ": No such file or directory"},
      {[&](daemonize_options& o) { o.stderr_path = missing; },
       "cannot open log " + missing + ": No such file or directory", true},
      {[&](daemonize_options& o) { o.stdin_path = missing; },
       "cannot open stdin " + missing + ": No such file or directory"},
      {[](daemonize_options& o) { o.keep_fds = {987}; }, "cannot keep fd 987: Bad file descriptor"},
      {[](daemonize_options& o) { o.user = "dk-no-such-user"; }, "no such user 'dk-no-such-user'"},
      {[](daemonize_options& o) { o.group = "root"; }, "a group needs a user"},
      {[](daemonize_options& o) { o.umask = 01000; }, "invalid umask 512"},
      {[](daemonize_options& o) { o.set_env = {"NOEQUALS"}; },
       "invalid environment entry 'NOEQUALS' (expected KEY=VALUE)"},
      {[](daemonize_options& o) { o.set_env = {"=x"}; }, "invalid environment entry '=x' (expected KEY=VALUE)"},
  };
  for (const auto& c : cases) {
    auto opts = options();
    c.change(opts);
    auto d = daemonkit::daemonize(opts);
    ASSERT_FALSE(d) << c.message;
    EXPECT_EQ(d.err().message(), c.message);
    EXPECT_EQ(own_fds(), fds_before) << c.message;
    EXPECT_TRUE(children_of(::getpid()).empty()) << c.message;
    EXPECT_FALSE(exists(pidfile)) << c.message;
    if (!c.opens_files) {
      EXPECT_FALSE(exists(log)) << "a start refused for a bad option created the log: " << c.message;
    }
    ::unlink(log.c_str());
  }
  int subreaper_after = -1;
  ::prctl(PR_GET_CHILD_SUBREAPER, &subreaper_after);
  EXPECT_EQ(subreaper_after, subreaper_before);
}

TEST_F(daemonize_test, the_test_process_fd_set_is_unchanged_by_daemonizing_children) {
  const auto before = own_fds();
  for (int i = 0; i < 3; ++i) {
    (void)start_ready(options());
    auto o = start(options());  // fails: already running
    EXPECT_FALSE(o.ready);
    kill_and_reap_children();
  }
  EXPECT_EQ(own_fds(), before);
}

}  // namespace
