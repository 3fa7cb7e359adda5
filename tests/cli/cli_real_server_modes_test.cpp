// SPDX-License-Identifier: MIT
// The modes real servers need (issue 10), with small stand-ins for them:
// readiness by a TCP connect, a command that daemonizes itself and names its
// main process in a pidfile, kill mode mixed, and a runtime directory.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

// A port nothing listens on right now (bound to 0 and closed).
int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

bool connects(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

class cli_real_server_modes : public cli_fixture {};

// Issue 10, item 3: a connection right after `start` of a program that only
// listens was refused (memcached: 8 of 30). With --ready tcp:PORT, start
// returns once a connect succeeds, however late the program binds.
TEST_F(cli_real_server_modes, ready_tcp_returns_only_once_the_port_accepts) {
  for (int round = 0; round < 3; ++round) {
    int port = free_port();
    std::string listener =
        "import socket,time\ntime.sleep(0.3)\ns=socket.socket()\n"
        "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
        "s.bind(('127.0.0.1'," +
        std::to_string(port) + "))\ns.listen(16)\ntime.sleep(1000)\n";
    pid_t pid = start("listen", {"/usr/bin/python3", "-c", listener}, {"--ready", "tcp:" + std::to_string(port)});
    EXPECT_TRUE(connects(port)) << "start returned before the port accepted";
    EXPECT_EQ(read_stat(pid)->ppid, monitor_of("listen"));
    EXPECT_EQ(dk({"stop", "listen"}).exit_code(), 0);
  }
}

TEST_F(cli_real_server_modes, a_check_that_never_passes_fails_the_start_naming_it_and_leaves_nothing) {
  int port = free_port();
  auto r = dk({"start", "--name", "deaf", "--ready", "tcp:" + std::to_string(port), "--ready-timeout", "500ms", "--",
               test_child_path, "pause"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "deaf: did not become ready within 500ms")) << describe(r);
  EXPECT_TRUE(descendants_of(::getpid()).empty()) << describe_processes(descendants_of(::getpid()));
}

// Issue 10, item 1: self-daemonizing programs (nginx's default, dnsmasq
// without -k) were killed after "exited with status 0". With pidfile:PATH the
// process the pidfile names is the service.
TEST_F(cli_real_server_modes, ready_pidfile_adopts_the_daemon_the_pidfile_names) {
  const std::string pidfile_path = tmp.file("daemon.pid");
  const std::string daemon =
      "sleep 0.2; echo $$ > " + pidfile_path + "; exec " + std::string(test_child_path) + " pause";
  auto r = dk({"start", "--name", "forker", "--ready", "pidfile:" + pidfile_path, "--", "/bin/sh", "-c",
               "setsid /bin/sh -c '" + daemon + "' </dev/null & exit 0"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t pid = pid_in_text(r.out);
  ASSERT_GT(pid, 1);
  EXPECT_EQ(read_file(pidfile_path), std::to_string(pid) + "\n");
  EXPECT_EQ(comm_of(pid), "dk_test_child") << "the daemon, not the launcher that exited";
  EXPECT_EQ(pidfile_pid("forker"), pid) << "NAME.pid names the adopted main process";
  auto st = dk({"status", "forker"});
  EXPECT_EQ(st.exit_code(), 0) << describe(st);
  EXPECT_TRUE(contains(st.out, "running (pid " + std::to_string(pid) + ")")) << describe(st);
  auto stop = dk({"stop", "forker"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_FALSE(is_alive(pid));
}

TEST_F(cli_real_server_modes, a_pidfile_relative_path_is_relative_to_the_working_directory) {
  const std::string dir = tmp.file("wd");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  auto r = dk(
      {"start", "--name", "rel", "--chdir", dir, "--ready", "pidfile:run.pid", "--", "/bin/sh", "-c",
       "setsid /bin/sh -c 'echo $$ > run.pid; exec " + std::string(test_child_path) + " pause' </dev/null & exit 0"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(read_file(dir + "/run.pid"), std::to_string(pid_in_text(r.out)) + "\n");
}

TEST_F(cli_real_server_modes, a_pidfile_naming_a_process_outside_the_service_fails_the_start_at_once) {
  const std::string pidfile_path = tmp.file("stranger.pid");
  auto r = dk({"start", "--name", "liar", "--ready", "pidfile:" + pidfile_path, "--ready-timeout", "20s", "--",
               "/bin/sh", "-c", "echo " + std::to_string(::getpid()) + " > " + pidfile_path + "; exit 0"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "names pid " + std::to_string(::getpid()) + ", which is not a process of this service"))
      << describe(r);
  EXPECT_TRUE(is_alive(::getpid()));
  EXPECT_TRUE(descendants_of(::getpid()).empty());
}

TEST_F(cli_real_server_modes, a_launcher_that_fails_is_a_failed_start) {
  auto r = dk({"start", "--name", "badlaunch", "--ready", "pidfile:" + tmp.file("never.pid"), "--", "/bin/sh", "-c",
               "echo cannot bind; exit 4"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "exited with status 4 before it was ready")) << describe(r);
  EXPECT_TRUE(contains(r.err, "cannot bind")) << describe(r);
}

// Issue 10, item 7: group mode sent the stop signal to every process (a
// postmaster's backends got it directly). Mixed: the main process alone gets
// it; what is left at the stop timeout gets SIGKILL.
TEST_F(cli_real_server_modes, kill_mode_mixed_signals_the_main_process_alone_then_kills_the_rest) {
  const std::string seen = tmp.file("signals");
  const std::string child = "trap 'echo child-term >> " + seen + "; exit 0' TERM; echo child-ready >> " + seen +
                            "; while :; do sleep 0.05; done";
  const std::string main = "/bin/sh -c \"" + child + "\" & trap 'echo main-term >> " + seen +
                           "; exit 0' TERM; echo main-ready >> " + seen + "; wait";
  start("mixed", {"/bin/sh", "-c", main}, {"--kill-mode", "mixed", "--stop-timeout", "1s"});
  ASSERT_TRUE(wait_lines(seen, "child-ready"));
  ASSERT_TRUE(wait_lines(seen, "main-ready"));
  auto stop = dk({"stop", "mixed"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_EQ(count_lines(seen, "main-term"), 1U);
  EXPECT_EQ(count_lines(seen, "child-term"), 0U) << "the stop signal reached a process other than the main one";
  EXPECT_TRUE(descendants_of(::getpid()).empty());

  // The same in group mode: both get it.
  std::remove(seen.c_str());
  start("group", {"/bin/sh", "-c", main}, {"--stop-timeout", "10s"});  // both exit on TERM at once
  ASSERT_TRUE(wait_lines(seen, "child-ready"));
  ASSERT_TRUE(wait_lines(seen, "main-ready"));
  EXPECT_EQ(dk({"stop", "group"}).exit_code(), 0);
  EXPECT_EQ(count_lines(seen, "child-term"), 1U)
      << read_file(seen).value_or("") << read_file(logfile("group")).value_or("");
}

// Issue 10, item 8: sshd needs /run/sshd (systemd's RuntimeDirectory=).
TEST_F(cli_real_server_modes, a_runtime_dir_is_made_for_the_service_user_and_removed_after_it_stops) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (/run)";
  const std::string name = "dk-test-rt-" + std::to_string(::getpid());
  const std::string dir = "/run/" + name;
  const std::string script =
      "echo $RUNTIME_DIRECTORY; stat -c '%U %a' $RUNTIME_DIRECTORY; touch $RUNTIME_DIRECTORY/x; mkdir "
      "$RUNTIME_DIRECTORY/sub; ln -s /etc/passwd $RUNTIME_DIRECTORY/sub/link; echo done; exec sleep 1000";
  start("rt", {"/bin/sh", "-c", script}, {"--runtime-dir", name, "--user", "nobody"});
  ASSERT_TRUE(wait_lines(logfile("rt"), "done"));
  EXPECT_EQ(read_file(logfile("rt")), dir + "\nnobody 755\ndone\n");
  EXPECT_EQ(read_file(dir + "/x"), "") << "made by the service, as nobody";
  EXPECT_EQ(dk({"stop", "rt"}).exit_code(), 0);
  struct stat st {};
  EXPECT_NE(::lstat(dir.c_str(), &st), 0) << dir << " is still there";
  EXPECT_EQ(::stat("/etc/passwd", &st), 0) << "removal followed a symlink";
}

}  // namespace
