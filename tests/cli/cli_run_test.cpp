// SPDX-License-Identifier: MIT
// daemonkit run: the monitor in the foreground, as under systemd or in a
// container. Output passes through, signals are forwarded, and run exits with
// the service's status.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_run : public cli_fixture {};

TEST_F(cli_run, exits_with_the_services_status_and_passes_output_through) {
  auto r = dk({"run", "--name", "e", "--", test_child_path, "spew-lines", "3"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "line 1\nline 2\nline 3\n");
  // Not PID 1, and no warning about it (tini warns; a subreaper reaps as well).
  EXPECT_EQ(r.err, "daemonkit: e: exited with status 0\n");
  EXPECT_FALSE(exists(logfile("e"))) << "without a log option, run writes no log";

  auto seven = dk({"run", "--name", "e", "--", test_child_path, "exit", "7"});
  EXPECT_EQ(seven.exit_code(), 7) << describe(seven);
  EXPECT_FALSE(seven.status.signaled);

  auto err = dk({"run", "--name", "e", "--", test_child_path, "stderr", "to stderr", "0"});
  EXPECT_EQ(err.exit_code(), 0) << describe(err);
  EXPECT_TRUE(contains(err.err, "to stderr\n")) << err.err;
}

TEST_F(cli_run, a_service_killed_by_a_signal_gives_128_plus_the_signal) {
  auto r = dk({"run", "--name", "k", "--", test_child_path, "kill-self", "9"});
  EXPECT_EQ(r.exit_code(), 137) << describe(r);
  EXPECT_FALSE(r.status.signaled) << "run itself must exit, not be killed";
  auto t = dk({"run", "--name", "k", "--", test_child_path, "kill-self", "15"});
  EXPECT_EQ(t.exit_code(), 143) << describe(t);
}

TEST_F(cli_run, log_options_send_the_output_to_files_instead) {
  auto r = dk({"run", "--name", "l", "--log-file", tmp.file("l.log"), "--", test_child_path, "stderr", "hello", "3"});
  EXPECT_EQ(r.exit_code(), 3) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(count_exact_lines(tmp.file("l.log"), "hello"), 1u);
}

TEST_F(cli_run, forwards_hup_quit_usr1_usr2_int_and_term_to_the_service) {
  auto run = dk_spawn({"run", "--name", "fw", "--stop-timeout", "500ms", "--", test_child_path, "watch-signals"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  // One at a time: each is seen before the next is sent.
  for (int sig : {SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGINT, SIGTERM}) {
    ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), sig), 0);
    EXPECT_EQ(out.next(10s), "signal " + std::to_string(sig)) << "signal " << sig << " was not forwarded";
  }
  // The service survived INT and TERM; run gives it the stop timeout, then KILL.
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 137) << describe(r);
}

// As tini does: every signal that can be caught reaches the service, but the
// monitor's own faults (SEGV, BUS, FPE, ILL, TRAP, ABRT, SYS), those its own
// writes raise (PIPE, XFSZ), TTIN/TTOU (the terminal's, for the monitor) and
// CHLD. (INT and TERM are the stop, tested above; HUP is the reload signal,
// HUP by default.) The monitor has no log here, so SIGRTMIN+1 (reopen the
// logs) is the service's too.
TEST_F(cli_run, forwards_every_signal_but_its_own) {
  auto run = dk_spawn({"run", "--name", "all", "--stop-timeout", "500ms", "--", test_child_path, "watch-signals"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  const std::set<int> own{SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,  SIGTRAP, SIGABRT,
                          SIGSYS,  SIGPIPE, SIGXFSZ, SIGTTIN, SIGTTOU, SIGCHLD, SIGINT,  SIGTERM};
  for (int sig = 1; sig <= SIGRTMAX; ++sig) {
    if (own.count(sig) != 0 || (sig > 31 && sig < SIGRTMIN)) continue;
    ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), sig), 0) << sig;
    EXPECT_EQ(out.next(10s), "signal " + std::to_string(sig)) << "signal " << sig << " was not forwarded";
  }
  // The monitor's own signal state says the same: each forwarded one blocked
  // (read from a signalfd), TTIN and TTOU ignored, the faults untouched.
  auto blocked = signal_mask(run.pid, "SigBlk"), ignored = signal_mask(run.pid, "SigIgn");
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) {
    EXPECT_EQ(blocked & sig_bit(sig), 0u) << sig;
    EXPECT_EQ(ignored & sig_bit(sig), 0u) << sig;
  }
  for (int sig : {SIGTTIN, SIGTTOU}) EXPECT_NE(ignored & sig_bit(sig), 0u) << sig;
  ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), SIGTERM), 0);
  EXPECT_EQ(out.next(10s), "signal " + std::to_string(SIGTERM));
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 137) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: all: still running after 500ms; sending SIGKILL\n") << describe(r);
}

// A started monitor is signalled by the tool alone: it takes what the tool
// sends, and the others keep their default actions.
TEST_F(cli_run, a_started_monitor_takes_only_the_tools_signals) {
  pid_t pid = start_ready("bg", {"watch-signals"});
  pid_t monitor = monitor_of("bg");
  ASSERT_GT(monitor, 0);
  ASSERT_NE(monitor, pid);
  auto blocked = signal_mask(monitor, "SigBlk");
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD}) EXPECT_NE(blocked & sig_bit(sig), 0u);
  for (int sig : {SIGWINCH, SIGCONT, SIGTSTP, SIGALRM}) EXPECT_EQ(blocked & sig_bit(sig), 0u) << sig;
}

TEST_F(cli_run, no_state_writes_nothing_and_nothing_finds_it) {
  auto run = dk_spawn({"run", "--no-state", "--name", "ns", "--", test_child_path, "pause"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  EXPECT_FALSE(exists(pidfile("ns")));
  EXPECT_FALSE(exists(statefile("ns")));
  EXPECT_FALSE(exists(configfile("ns")));
  auto s = dk({"status", "ns"});
  EXPECT_EQ(s.exit_code(), 3) << describe(s);
  // Not a service anybody can see, so another of that name may run too.
  auto other = dk({"run", "--name", "ns", "--", test_child_path, "exit", "4"});
  EXPECT_EQ(other.exit_code(), 4) << describe(other);
  ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), SIGTERM), 0);
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 143) << describe(r);
  EXPECT_EQ(r.err, "") << describe(r);
}

TEST_F(cli_run, term_to_run_stops_the_service_and_run_exits_with_its_status) {
  auto run = dk_spawn({"run", "--name", "t", "--", test_child_path, "pause"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), SIGTERM), 0);
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 143) << describe(r);
}

TEST_F(cli_run, a_run_service_is_a_service_like_any_other) {
  auto run = dk_spawn({"run", "--name", "fg", "--", test_child_path, "pause"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  // The service can say "ready" before its monitor rewrote the pidfile from
  // its own pid to the service's (run has no readiness handshake): wait for it.
  pid_t pid = 0;
  ASSERT_TRUE(wait_state_dir([&] {
    pid = pidfile_pid("fg");
    auto st = read_stat(pid);
    return pid != run.pid && st && st->ppid == run.pid;
  }));
  EXPECT_EQ(monitor_of("fg"), run.pid);

  auto s = dk({"status", "fg"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  auto again = dk({"start", "--name", "fg", "--", test_child_path, "pause"});
  EXPECT_EQ(again.exit_code(), 1) << describe(again);
  EXPECT_EQ(again.err, "daemonkit: fg: already running (pid " + std::to_string(pid) + ")\n");
  auto again_run = dk({"run", "--name", "fg", "--", test_child_path, "pause"});
  EXPECT_EQ(again_run.exit_code(), 1) << describe(again_run);

  auto stop = dk({"stop", "fg"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  auto r = finish(run, 10s);
  EXPECT_EQ(r.exit_code(), 143) << describe(r);
}

TEST_F(cli_run, a_program_that_cannot_be_executed_fails_the_run) {
  auto r = dk({"run", "--name", "x", "--", "/nonexistent/x"});
  EXPECT_NE(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "cannot execute '/nonexistent/x': No such file or directory")) << r.err;
}

// Under systemd (Type=notify), run passes the service's readiness on to its
// own NOTIFY_SOCKET, naming itself as the main pid.
TEST_F(cli_run, tells_its_own_notify_socket_when_the_service_is_ready) {
  fd_guard sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(sock.valid());
  std::string name = "dk-cli-test-" + std::to_string(::getpid());
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path + 1, name.data(), name.size());
  auto len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<struct sockaddr*>(&sa), len), 0);

  command_options o;
  o.unset_env.clear();
  o.set_env.push_back("NOTIFY_SOCKET=@" + name);
  auto run = dk_spawn({"run", "--name", "nt", "--ready", "notify", "--", "/bin/sh", "-c",
                       std::string(test_child_path) + " notify-ready; exec " + test_child_path + " pause"},
                      o);
  ASSERT_TRUE(fd_ready(sock.get(), 10s)) << "no message on the parent's notify socket";
  char buf[512];
  ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  std::string msg(buf, static_cast<size_t>(n));
  EXPECT_TRUE(contains(msg, "READY=1")) << msg;
  EXPECT_TRUE(contains(msg, "MAINPID=" + std::to_string(run.pid))) << msg;
  ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), SIGTERM), 0);
  auto r = finish(run, 10s);
  EXPECT_EQ(r.exit_code(), 143) << describe(r);
}

}  // namespace
