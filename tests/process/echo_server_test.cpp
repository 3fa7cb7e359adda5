// SPDX-License-Identifier: MIT
// The echo-server example, end to end: a daemon on the Daemon class with its
// own poll loop, ready only once it listens, reloading its greeting on HUP
// and stopping at once on TERM.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <vector>

#include "test_support.hpp"
#include "tool_processes.hpp"

namespace {

using namespace dk_test;

const char* const echo_server_path = DK_ECHO_SERVER;

// A blocking TCP client with a deadline on every read.
class client {
 public:
  explicit client(unsigned port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  bool connected() const { return connected_; }
  bool send(const std::string& text) {
    return ::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  std::optional<std::string> line(milliseconds timeout = 10s) { return reader_.next(timeout); }
  // True once the server closed the connection (EOF) within timeout.
  bool closed_by_peer(milliseconds timeout = 10s) {
    const auto until = steady::now() + timeout;
    for (;;) {
      auto left = std::chrono::ceil<milliseconds>(until - steady::now());
      if (left <= 0ms || !fd_ready(fd_.get(), left)) return false;
      char buf[256];
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      if (n == 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
  }

 private:
  fd_guard fd_;
  line_reader reader_{fd_.get()};
  bool connected_ = false;
};

class echo_server_test : public process_fixture {
 protected:
  void SetUp() override {
    process_fixture::SetUp();
    if (std::string(echo_server_path).empty()) GTEST_SKIP() << "examples not built";
    write_file(config, "hello v1\nthe rest is ignored\n");
  }

  command_result echo_server(const std::string& command) {
    return run_command(
        {echo_server_path, "--pidfile", pidfile, "--log", log, "--config", config, "--port", "0", command});
  }

  pid_t pidfile_pid() const {
    auto text = read_file(pidfile);
    if (!text || text->empty()) return 0;
    return static_cast<pid_t>(std::stol(*text));
  }

  // The port from the log's "listening on 127.0.0.1:PORT", 0 if none yet.
  unsigned logged_port() const {
    const std::string marker = "listening on 127.0.0.1:";
    auto text = read_file(log).value_or("");
    auto at = text.find(marker);
    if (at == std::string::npos) return 0;
    return static_cast<unsigned>(std::stoul(text.substr(at + marker.size())));
  }

  bool wait_for_log(std::string_view prefix, size_t count = 1) {
    return wait_until([&] { return count_lines(log, prefix) >= count; }, 10s, events().changes_in(log));
  }

  std::string config = tmp.file("echo.conf");
};

TEST_F(echo_server_test, serves_reloads_and_stops_within_100ms_of_term) {
  auto r = echo_server("start");
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t pid = pidfile_pid();
  ASSERT_GT(pid, 1);
  EXPECT_EQ(r.out, "echo-server: started (pid " + std::to_string(pid) + ")\n");
  fd_guard pidfd(open_pidfd(pid));

  // Ready means listening: the port is in the log and takes connections the
  // moment start returns, with no wait.
  unsigned port = logged_port();
  ASSERT_NE(port, 0u) << "start returned before the daemon listened; log: " << read_file(log).value_or("");
  client first(port);
  ASSERT_TRUE(first.connected());
  EXPECT_EQ(first.line(), "hello v1");
  ASSERT_TRUE(first.send("ping\n"));
  EXPECT_EQ(first.line(), "ping");

  // HUP after the config changed: new clients get the new greeting, the old
  // one is still served.
  write_file(config, "hello v2\n");
  r = echo_server("reload");
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  ASSERT_TRUE(wait_for_log("reloaded config: greeting 'hello v2'")) << read_file(log).value_or("");
  client second(port);
  ASSERT_TRUE(second.connected());
  EXPECT_EQ(second.line(), "hello v2");
  ASSERT_TRUE(first.send("still here\n"));
  EXPECT_EQ(first.line(), "still here");

  // A config that cannot be read: reported in the log, the daemon goes on
  // with the greeting it had.
  ASSERT_EQ(::unlink(config.c_str()), 0);
  r = echo_server("reload");
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  ASSERT_TRUE(wait_for_log("echo-server: reload failed: cannot read config " + config + ": No such file or directory"))
      << read_file(log).value_or("");
  EXPECT_FALSE(has_exited(pidfd.get()));
  client third(port);
  ASSERT_TRUE(third.connected());
  EXPECT_EQ(third.line(), "hello v2");

  // TERM: gone within 100 ms, every client's connection ended. (Under ASan
  // the exit alone takes longer: LeakSanitizer scans the heap first.)
  const auto budget = under_asan ? milliseconds(1000) : milliseconds(100);
  auto t0 = steady::now();
  ASSERT_EQ(send_signal_pidfd(pidfd.get(), SIGTERM), 0);
  ASSERT_TRUE(wait_exit(pidfd.get(), 10s));
  auto took = steady::now() - t0;
  EXPECT_LT(took, budget) << std::chrono::duration_cast<milliseconds>(took).count() << " ms";
  auto st = reap(pidfd.get());
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->signaled);
  EXPECT_EQ(st->code, 0);
  EXPECT_TRUE(first.closed_by_peer());
  EXPECT_TRUE(second.closed_by_peer());
  EXPECT_EQ(count_lines(log, "stopping (3 clients)"), 1u) << read_file(log).value_or("");
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(echo_server_test, stop_returns_once_it_is_gone) {
  auto r = echo_server("start");
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t pid = pidfile_pid();
  fd_guard pidfd(open_pidfd(pid));
  r = echo_server("stop");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "echo-server: stopped (pid " + std::to_string(pid) + ")\n");
  EXPECT_TRUE(has_exited(pidfd.get()));
  EXPECT_EQ(echo_server("status").exit_code(), 3);
}

TEST_F(echo_server_test, a_port_in_use_is_what_start_prints) {
  // Hold a port, then ask the server for it.
  fd_guard held(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(held.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(held.get(), 1), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(held.get(), reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string port = std::to_string(ntohs(sa.sin_port));

  auto r =
      run_command({echo_server_path, "--pidfile", pidfile, "--log", log, "--config", config, "--port", port, "start"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "echo-server: cannot bind 127.0.0.1:" + port + ": Address already in use\n");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(wait_until([] { return live_children().empty(); }, 5s));
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(echo_server_test, a_missing_config_fails_start) {
  ASSERT_EQ(::unlink(config.c_str()), 0);
  auto r = echo_server("start");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "echo-server: cannot read config " + config + ": No such file or directory\n");
  EXPECT_TRUE(wait_until([] { return live_children().empty(); }, 5s));
}

}  // namespace
