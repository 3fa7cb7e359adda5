// SPDX-License-Identifier: MIT
// Real programs under daemonkit: a Python Type=notify style server, a shell
// script using systemd-notify, and a shell master with workers.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

const char* const python = "/usr/bin/python3";
const char* const systemd_notify = "/usr/bin/systemd-notify";

// Listens on a free port, says "listening", waits for a line on the FIFO
// argv[1], writes the port to argv[2], then reports READY=1 with a STATUS on
// $NOTIFY_SOCKET (an abstract "@..." address) and serves "hello" forever.
const char* const notify_server = R"PY(
import os, socket, sys
fifo, port_file = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print("listening", flush=True)
with open(fifo) as f:
    f.readline()
port = srv.getsockname()[1]
with open(port_file + ".tmp", "w") as f:
    f.write(str(port))
os.rename(port_file + ".tmp", port_file)
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.connect(addr)
n.sendall(("READY=1\nSTATUS=listening on %d" % port).encode())
n.close()
while True:
    c, _ = srv.accept()
    c.sendall(b"hello\n")
    c.close()
)PY";

class cli_programs : public cli_fixture {
 protected:
  static std::string connect_and_read(int port) {
    fd_guard s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) return "connect failed";
    line_reader in(s.get());
    return in.next(10s).value_or("no answer");
  }
};

TEST_F(cli_programs, a_python_notify_server_is_started_only_once_ready) {
  if (!exists(python)) GTEST_SKIP() << python << " is not installed";
  std::string script = tmp.file("server.py"), fifo = tmp.file("go"), port_file = tmp.file("port");
  write_file(script, notify_server);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto starter = dk_spawn({"start", "--name", "py", "--ready", "notify", "--", python, script, fifo, port_file});
  ASSERT_TRUE(wait_lines(logfile("py"), "listening")) << read_file(logfile("py")).value_or("");
  // Bound and listening, but READY not sent: start is still waiting.
  EXPECT_FALSE(has_exited(starter.pidfd.get())) << "start returned before READY=1";
  fd_guard go(::open(fifo.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
  ASSERT_EQ(::write(go.get(), "go\n", 3), 3);
  auto r = finish(starter, 20s);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t pid = pidfile_pid("py");
  EXPECT_EQ(r.out, "py: started (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(comm_of(pid).rfind("python", 0), 0u) << comm_of(pid);

  // READY came after the port file was written: it is there now.
  auto port_text = read_file(port_file);
  ASSERT_TRUE(port_text);
  int port = std::stoi(*port_text);
  EXPECT_EQ(connect_and_read(port), "hello");

  auto s = dk({"status", "py"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  EXPECT_TRUE(contains(s.out, "status: listening on " + std::to_string(port))) << s.out;

  auto stop = dk({"stop", "py"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_FALSE(is_alive(pid));
  EXPECT_EQ(connect_and_read(port), "connect failed") << "the server still answers after stop";
}

TEST_F(cli_programs, a_shell_script_using_systemd_notify_shows_its_status) {
  if (!exists(systemd_notify)) GTEST_SKIP() << systemd_notify << " is not installed";
  std::string script = tmp.file("svc.sh");
  write_file(script, "#!/bin/sh\necho starting\nsystemd-notify --ready --status=\"serving 3 clients\"\nexec " +
                         std::string(test_child_path) + " pause\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  pid_t pid = start("sn", {script}, {"--ready", "notify", "--ready-timeout", "20s"});
  // The script execs the helper after notifying; "ready" says it has.
  ASSERT_TRUE(wait_lines(logfile("sn"), "ready"));
  EXPECT_EQ(comm_of(pid), "dk_test_child");
  auto s = dk({"status", "sn"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  EXPECT_TRUE(contains(s.out, "sn: running (pid " + std::to_string(pid) + ")")) << s.out;
  EXPECT_TRUE(contains(s.out, "\n  status: serving 3 clients\n")) << s.out;
  auto j = dk({"status", "--json", "sn"});
  EXPECT_TRUE(contains(j.out, "\"status_text\": \"serving 3 clients\"")) << j.out;
  EXPECT_EQ(state("sn")["status_text"], "serving 3 clients");
}

TEST_F(cli_programs, systemd_notify_works_for_a_service_run_as_another_user) {
  if (!exists(systemd_notify)) GTEST_SKIP() << systemd_notify << " is not installed";
  ASSERT_EQ(::geteuid(), 0u);
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  std::string script = tmp.file("svc.sh");
  write_file(script, "#!/bin/sh\nsystemd-notify --ready --status=\"as nobody\"\nexec " + std::string(test_child_path) +
                         " pause\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  pid_t pid = start("snu", {script}, {"--ready", "notify", "--ready-timeout", "20s", "--user", "nobody"});
  EXPECT_NE(status_field(pid, "Uid")->rfind("0\t", 0), 0u) << "runs as root";
  EXPECT_EQ(state("snu")["status_text"], "as nobody");
}

// A classic forking daemon: the script starts the real server in the
// background, names it with MAINPID (systemd-notify --pid) and exits.
TEST_F(cli_programs, a_forking_script_hands_over_to_the_pid_it_names) {
  if (!exists(systemd_notify)) GTEST_SKIP() << systemd_notify << " is not installed";
  std::string script = tmp.file("fork.sh");
  write_file(script, "#!/bin/sh\n" + std::string(test_child_path) +
                         " pause &\nsystemd-notify --ready --pid=$! --status=forked\nexit 0\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  auto r = dk({"start", "--name", "fk", "--ready", "notify", "--", script});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t monitor = monitor_of("fk");
  ASSERT_TRUE(wait_lines(logfile("fk"), "ready"));  // the server is past its exec
  // The pidfile moves to the server once the monitor took it over.
  pid_t server = 0;
  ASSERT_TRUE(wait_state_dir([&] {
    server = pidfile_pid("fk");
    auto tree = descendants_of(monitor);
    return std::find(tree.begin(), tree.end(), server) != tree.end() && comm_of(server) == "dk_test_child";
  })) << read_file(pidfile("fk")).value_or("");
  auto s = dk({"status", "fk"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  EXPECT_TRUE(contains(s.out, "fk: running (pid " + std::to_string(server) + ")")) << s.out;
  auto stop = dk({"stop", "fk"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_FALSE(is_alive(server));
}

TEST_F(cli_programs, extend_timeout_usec_gives_a_slow_start_more_time) {
  if (!exists(systemd_notify)) GTEST_SKIP() << systemd_notify << " is not installed";
  std::string fifo = tmp.file("go");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string script = "systemd-notify EXTEND_TIMEOUT_USEC=30000000; echo extended; read x < " + fifo +
                       "; systemd-notify --ready; exec " + test_child_path + " pause";
  auto starter = dk_spawn(
      {"start", "--name", "slow", "--ready", "notify", "--ready-timeout", "1s", "--", "/bin/sh", "-c", script});
  ASSERT_TRUE(wait_lines(logfile("slow"), "extended"));
  // Well past the original 1s, start is still waiting (it has 30s now).
  EXPECT_FALSE(fd_ready(starter.pidfd.get(), 2s)) << "start gave up at the original --ready-timeout";
  fd_guard go(::open(fifo.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
  ASSERT_EQ(::write(go.get(), "go\n", 3), 3);
  auto r = finish(starter, 20s);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
}

TEST_F(cli_programs, a_shell_master_with_workers_and_a_setsid_worker_is_stopped_completely) {
  const std::string child = test_child_path;
  // The master forwards TERM to its ordinary workers and waits for them; the
  // worker in a session of its own ignores TERM and has to be KILLed.
  std::string script = child + " pause & p1=$!\n" + child + " pause & p2=$!\n" + child + " pause & p3=$!\n" +
                       "setsid " + child + " ignore-term & p4=$!\n" + "echo \"workers $p1 $p2 $p3 $p4\"\n" +
                       "trap 'kill $p1 $p2 $p3; wait $p1 $p2 $p3; exit 0' TERM\n" + "wait\n";
  pid_t master = start("mw", {"/bin/sh", "-c", script}, {"--stop-timeout", "1s"});
  // Every worker has its signal handling in place once it said "ready".
  ASSERT_TRUE(wait_lines(logfile("mw"), "ready", 4)) << read_file(logfile("mw")).value_or("");
  std::vector<pid_t> all{master};
  for (const auto& line : split_lines(*read_file(logfile("mw")))) {
    if (line.rfind("workers ", 0) != 0) continue;
    std::istringstream in(line.substr(8));
    for (pid_t p; in >> p;) all.push_back(p);
  }
  ASSERT_EQ(all.size(), 5u);
  EXPECT_NE(read_stat(all[4])->session, master) << "the last worker should have its own session";

  auto began = steady::now();
  auto r = dk({"stop", "mw"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_GE(steady::now() - began, 900ms) << "the setsid worker ignores TERM: stop had to wait for KILL";
  std::vector<pid_t> left;
  for (pid_t p : all) {
    if (is_alive(p)) left.push_back(p);
  }
  EXPECT_TRUE(left.empty()) << "stop returned with processes alive:\n" << describe_processes(left);
  EXPECT_EQ(count_lines(logfile("mw"), "daemonkit: mw: still running after 1s; sending SIGKILL"), 1u);
}

}  // namespace
