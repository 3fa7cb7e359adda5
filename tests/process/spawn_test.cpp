// SPDX-License-Identifier: MIT
// spawn: a failure says which step failed as data (spawn_failure), not only
// as text, and maps to a shell's 126/127; limits are written back in the
// text NAME.json stores. The fixture checks no fd leaks on any path.
#include "daemonkit/spawn.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <string>
#include <termios.h>
#include <unistd.h>

#include "sys/sys.hpp"
#include "test_support.hpp"

namespace {

using namespace dk_test;
using daemonkit::errc;
using daemonkit::shell_code;
using daemonkit::spawn_failure;
using daemonkit::spawn_failure_of;
using daemonkit::spawn_stage;

class spawn_test : public process_fixture {};

daemonkit::spawn_options options_for(std::vector<std::string> argv) {
  daemonkit::spawn_options o;
  o.argv = std::move(argv);
  o.env = {"PATH=/usr/bin:/bin"};
  return o;
}

TEST(spawn_shell_code, is_127_for_exec_and_126_for_every_other_step) {
  EXPECT_EQ(shell_code({spawn_stage::exec, ENOENT}), 127);
  EXPECT_EQ(shell_code({spawn_stage::exec, EACCES}), 127);
  for (auto st : {spawn_stage::none, spawn_stage::setsid, spawn_stage::process_group, spawn_stage::terminal,
                  spawn_stage::stdio, spawn_stage::fds, spawn_stage::rlimit, spawn_stage::nice, spawn_stage::chroot,
                  spawn_stage::chdir, spawn_stage::identity, spawn_stage::umask}) {
    EXPECT_EQ(shell_code({st, ENOENT}), 126) << static_cast<int>(st);
  }
  EXPECT_EQ(shell_code(spawn_failure{}), 126);
}

TEST(spawn_shell_code, errors_not_from_the_child_have_no_stage) {
  auto f = spawn_failure_of(daemonkit::system_error("cannot fork", EAGAIN));
  EXPECT_EQ(f.stage, spawn_stage::none);
  EXPECT_EQ(f.err, EAGAIN);
  f = spawn_failure_of(daemonkit::make_error(errc::invalid_argument, "no command to run"));
  EXPECT_EQ(f.stage, spawn_stage::none);
  EXPECT_EQ(f.err, 0);
}

TEST_F(spawn_test, a_missing_program_fails_at_exec) {
  auto p = daemonkit::spawn(options_for({"/nonexistent/dk-program"}));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().message(), "cannot execute '/nonexistent/dk-program': No such file or directory");
  const spawn_failure f = spawn_failure_of(p.err());
  EXPECT_EQ(f.stage, spawn_stage::exec);
  EXPECT_EQ(f.err, ENOENT);
  EXPECT_EQ(shell_code(f), 127);
}

TEST_F(spawn_test, a_program_not_in_path_fails_at_exec) {
  auto p = daemonkit::spawn(options_for({"dk-no-such-program"}));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().message(), "cannot execute 'dk-no-such-program': No such file or directory");
  EXPECT_EQ(spawn_failure_of(p.err()).stage, spawn_stage::exec);
  EXPECT_EQ(shell_code(spawn_failure_of(p.err())), 127);
}

TEST_F(spawn_test, a_bad_working_directory_fails_in_setup) {
  auto o = options_for({test_child_path, "exit", "0"});
  o.working_directory = tmp.file("missing");
  auto p = daemonkit::spawn(o);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().message(), "cannot change directory to " + tmp.file("missing") + ": No such file or directory");
  const spawn_failure f = spawn_failure_of(p.err());
  EXPECT_EQ(f.stage, spawn_stage::chdir);
  EXPECT_EQ(f.err, ENOENT);
  EXPECT_EQ(shell_code(f), 126);
}

TEST_F(spawn_test, a_bad_option_fails_before_the_fork) {
  auto p = daemonkit::spawn(options_for({}));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().message(), "no command to run");
  EXPECT_EQ(spawn_failure_of(p.err()).stage, spawn_stage::none);
  EXPECT_EQ(shell_code(spawn_failure_of(p.err())), 126);
}

TEST_F(spawn_test, a_program_that_runs_is_no_failure) {
  auto p = daemonkit::spawn(options_for({test_child_path, "exit", "3"}));
  ASSERT_TRUE(p) << p.err().message();
  auto st = p->reap();
  ASSERT_TRUE(st) << st.err().message();
  EXPECT_EQ(st->code, 3);
}

// On a kernel without close_range (before 5.9) the child still closes every
// fd it was not given, found in /proc/self/fd: here close_range is made to
// fail with ENOSYS, and fds left without O_CLOEXEC (as a library that is not
// careful leaves them), from 40 to beyond 900, must not reach the program.
int no_close_range(const char* call) { return std::strcmp(call, "close_range") == 0 ? ENOSYS : 0; }

TEST_F(spawn_test, without_close_range_every_fd_but_stdio_is_still_closed) {
  auto [rd, wr] = make_pipe();
  std::vector<int> leaked;
  for (int at : {40, 300, 900}) {
    int fd = ::fcntl(rd.get(), F_DUPFD, at);  // the lowest free fd >= at, without O_CLOEXEC
    ASSERT_GE(fd, at) << std::strerror(errno);
    leaked.push_back(fd);
  }
  const std::string out_path = tmp.file("fds");
  fd_guard out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(out.valid());
  auto o = options_for({test_child_path, "print-fds"});
  o.stdout_fd = out.get();
  daemonkit::sys::set_fault_hook(no_close_range);
  auto p = daemonkit::spawn(o);
  daemonkit::sys::set_fault_hook(nullptr);
  for (int fd : leaked) ::close(fd);
  ASSERT_TRUE(p) << p.err().message();
  auto st = p->reap();
  ASSERT_TRUE(st) << st.err().message();
  EXPECT_EQ(st->code, 0);
  std::vector<std::string> fds;
  std::istringstream listed(read_file(out_path).value_or(""));
  for (std::string line; std::getline(listed, line);) fds.push_back(line.substr(0, line.find(' ')));
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2"})) << read_file(out_path).value_or("");
}

// Without new_session: a job in the caller's session, as a shell starts one.
TEST_F(spawn_test, a_new_process_group_stays_in_the_callers_session) {
  auto [rd, wr] = make_pipe();
  auto o = options_for({test_child_path, "pause"});
  o.new_session = false;
  o.new_process_group = true;
  o.stdout_fd = wr.get();
  auto p = daemonkit::spawn(o);
  ASSERT_TRUE(p) << p.err().message();
  wr.reset();
  line_reader out(rd.get());
  EXPECT_EQ(out.next(10s), "ready");
  auto st = read_stat(p->pid());
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pgrp, p->pid());
  EXPECT_EQ(st->session, ::getsid(0));
  ASSERT_TRUE(p->signal(SIGKILL));
  ASSERT_TRUE(p->reap());
}

// foreground_terminal: the child's group is the terminal's foreground before
// it runs, though it asked from the background (SIGTTOU blocked for that
// call only: the program starts with an empty mask). The caller is a session
// leader on a pty, as `daemonkit run` at a terminal is.
TEST_F(spawn_test, a_foreground_terminal_goes_to_the_childs_group) {
  pty term;
  const std::string slave = term.slave();
  auto r = run_function([&] {
    if (::setsid() < 0) return 10;
    int t = ::open(slave.c_str(), O_RDWR | O_CLOEXEC);  // a session leader's first terminal becomes its own
    if (t < 0 || ::tcgetpgrp(t) != ::getpgrp()) return 11;
    auto [rd, wr] = make_pipe();
    auto o = options_for({test_child_path, "print-sigstate"});
    o.new_session = false;
    o.new_process_group = true;
    o.foreground_terminal = t;
    o.stdout_fd = wr.get();
    auto p = daemonkit::spawn(o);
    if (!p) {
      std::fprintf(stderr, "%s\n", p.err().message().c_str());
      return 12;
    }
    wr.reset();
    line_reader out(rd.get());
    auto blocked = out.next(10s);
    std::printf("%s\n", blocked.value_or("none").c_str());
    // The group is the foreground still: it has exited, but nobody took the
    // terminal back.
    std::printf("foreground %s\n", ::tcgetpgrp(t) == p->pid() ? "child" : "other");
    return p->reap() ? 0 : 13;
  });
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "SigBlk:\t0000000000000000\nforeground child\n") << describe(r);
}

// By default the child starts with every signal at its default action; with
// keep_ignored_signals, what the caller ignores (nohup's SIGHUP) stays
// ignored, and only that.
TEST_F(spawn_test, keep_ignored_signals_leaves_what_the_caller_ignores_ignored) {
  for (bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "keep" : "reset");
    auto r = run_function([&] {
      std::signal(SIGHUP, SIG_IGN);
      std::signal(SIGUSR1, [](int) {});  // caught: always back to default in the child
      auto [rd, wr] = make_pipe();
      auto o = options_for({test_child_path, "print-sigstate"});
      o.keep_ignored_signals = keep;
      o.stdout_fd = wr.get();
      auto p = daemonkit::spawn(o);
      if (!p) return 12;
      wr.reset();
      line_reader out(rd.get());
      for (int i = 0; i < 2; ++i) std::printf("%s\n", out.next(10s).value_or("none").c_str());
      return p->reap() ? 0 : 13;
    });
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    // SigIgn is a mask: bit (SIGHUP - 1) = 1.
    EXPECT_NE(r.out.find(keep ? "SigIgn:\t0000000000000001\n" : "SigIgn:\t0000000000000000\n"), std::string::npos)
        << describe(r);
  }
}

TEST(format_rlimit, reads_back_as_the_same_limit_in_one_spelling) {
  for (const auto& [given, stored] : std::vector<std::pair<std::string, std::string>>{
           {"nofile=65536", "nofile=65536"},
           {"nofile=1024:4096", "nofile=1024:4096"},
           {"nproc=100:100", "nproc=100"},
           {"core=unlimited", "core=unlimited"},
           {"core=infinity", "core=unlimited"},
           {"stack=8388608:unlimited", "stack=8388608:unlimited"},
       }) {
    auto l = daemonkit::parse_rlimit(given);
    ASSERT_TRUE(l) << given;
    EXPECT_EQ(daemonkit::format_rlimit(*l), stored) << given;
    auto back = daemonkit::parse_rlimit(stored);
    ASSERT_TRUE(back) << stored;
    EXPECT_EQ(*back, *l) << given;
  }
}

}  // namespace
