// SPDX-License-Identifier: MIT
// The sd_notify client: datagrams as a supervisor receives them.
#include "daemonkit/notify.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>

#include "test_support.hpp"

namespace {

using namespace dk_test;
using daemonkit::errc;
using namespace std::chrono_literals;

// A bound datagram socket standing in for the supervisor.
class notify_listener {
 public:
  explicit notify_listener(const std::string& address) : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    struct sockaddr_un sa {};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, address.data(), address.size());
    socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + address.size());
    if (address[0] == '@') sa.sun_path[0] = '\0';
    else ++len;
    if (::bind(fd_.get(), reinterpret_cast<struct sockaddr*>(&sa), len) != 0) throw std::runtime_error("bind failed");
  }
  std::optional<std::string> receive(std::chrono::milliseconds timeout = 5s) {
    if (!fd_ready(fd_.get(), timeout)) return std::nullopt;
    char buf[4096];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
  }
  bool idle() { return !fd_ready(fd_.get(), 0ms); }

 private:
  fd_guard fd_;
};

// Sets NOTIFY_SOCKET for one test and restores the environment after.
class notify_test : public process_fixture {
 protected:
  void SetUp() override {
    process_fixture::SetUp();
    if (const char* v = std::getenv("NOTIFY_SOCKET")) saved_ = v;
    ::unsetenv("NOTIFY_SOCKET");
  }
  void TearDown() override {
    if (saved_) ::setenv("NOTIFY_SOCKET", saved_->c_str(), 1);
    else ::unsetenv("NOTIFY_SOCKET");
    process_fixture::TearDown();
  }
  std::optional<std::string> saved_;
};

TEST_F(notify_test, without_notify_socket_every_call_is_a_successful_no_op) {
  EXPECT_TRUE(daemonkit::notify("READY=1"));
  EXPECT_TRUE(daemonkit::notify_ready());
  EXPECT_TRUE(daemonkit::notify_ready(42));
  EXPECT_TRUE(daemonkit::notify_stopping());
  EXPECT_TRUE(daemonkit::notify_reloading());
  EXPECT_TRUE(daemonkit::notify_status("idle"));
  ::setenv("NOTIFY_SOCKET", "", 1);
  EXPECT_TRUE(daemonkit::notify_ready());
}

TEST_F(notify_test, sends_each_message_to_a_path_socket) {
  const std::string path = tmp.file("notify.sock");
  notify_listener l(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ASSERT_TRUE(daemonkit::notify_ready());
  EXPECT_EQ(l.receive(), "READY=1");
  ASSERT_TRUE(daemonkit::notify_ready(4242));
  EXPECT_EQ(l.receive(), "READY=1\nMAINPID=4242");
  ASSERT_TRUE(daemonkit::notify_ready(0));
  EXPECT_EQ(l.receive(), "READY=1");
  ASSERT_TRUE(daemonkit::notify_stopping());
  EXPECT_EQ(l.receive(), "STOPPING=1");
  ASSERT_TRUE(daemonkit::notify_status("serving 3 clients"));
  EXPECT_EQ(l.receive(), "STATUS=serving 3 clients");

  struct timespec before {
  }, after{};
  ::clock_gettime(CLOCK_MONOTONIC, &before);
  ASSERT_TRUE(daemonkit::notify_reloading());
  ::clock_gettime(CLOCK_MONOTONIC, &after);
  auto msg = l.receive().value_or("");
  const std::string head = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_TRUE(msg.starts_with(head)) << msg;
  auto usec = std::stoull(msg.substr(head.size()));
  auto to_usec = [](const timespec& t) {
    return static_cast<unsigned long long>(t.tv_sec) * 1000000ULL +
           static_cast<unsigned long long>(t.tv_nsec) / 1000ULL;
  };
  EXPECT_GE(usec, to_usec(before));
  EXPECT_LE(usec, to_usec(after));
  EXPECT_TRUE(l.idle());
}

TEST_F(notify_test, sends_to_an_abstract_socket) {
  const std::string address = "@dk-test-notify-" + std::to_string(::getpid());
  notify_listener l(address);
  ASSERT_TRUE(daemonkit::notify_to(address, "READY=1"));
  EXPECT_EQ(l.receive(), "READY=1");
}

TEST_F(notify_test, bad_addresses_are_errors_that_name_them) {
  auto r = daemonkit::notify_to("relative.sock", "READY=1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::invalid_argument);
  EXPECT_EQ(r.err().message(), "invalid notify socket address 'relative.sock'");
  r = daemonkit::notify_to("", "READY=1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "invalid notify socket address ''");
  const std::string long_path = "/" + std::string(200, 'x');
  r = daemonkit::notify_to(long_path, "READY=1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "notify socket address too long: " + long_path);
  const std::string missing = tmp.file("missing.sock");
  r = daemonkit::notify_to(missing, "READY=1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "cannot send to notify socket " + missing + ": No such file or directory");
  ::setenv("NOTIFY_SOCKET", missing.c_str(), 1);
  EXPECT_FALSE(daemonkit::notify_ready());
}

TEST_F(notify_test, the_test_child_notify_mode_speaks_the_same_protocol) {
  const std::string path = tmp.file("child.sock");
  notify_listener l(path);
  command_options opts;
  opts.set_env = {"NOTIFY_SOCKET=" + path};
  auto r = run_command({test_child_path, "notify-ready"}, opts);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(l.receive(), "READY=1");
  r = run_command({test_child_path, "notify-ready"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
}

}  // namespace
