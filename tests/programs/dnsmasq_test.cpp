// SPDX-License-Identifier: MIT
// dnsmasq without -k: it forks, writes its pidfile and the first process
// exits (Debian's unit: Type=forking, PIDFile=). The daemon named in the
// pidfile is the service.
#include <gtest/gtest.h>

#include "programs_support.hpp"

namespace {

using namespace dk_programs;

const std::string dnsmasq = "/usr/sbin/dnsmasq";

class dnsmasq_test : public program_fixture {
 protected:
  dnsmasq_test() : program_fixture({dnsmasq}) {}

  // An A query for test.daemonkit to 127.0.0.1:port over UDP; the answer's
  // address, or "" when there is none within 2 s.
  static std::string resolve_test_name(int port) {
    // Header (id 0x1234, recursion desired, one question), then the question:
    // test.daemonkit, type A, class IN.
    static const char packet[] =
        "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x04test\x09"
        "daemonkit\x00\x00\x01\x00\x01";
    const std::string query(packet, sizeof packet - 1);  // without the literal's own NUL
    fd_guard s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    struct sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Connected, so that a closed port answers at once (ECONNREFUSED from the ICMP error).
    if (::connect(s.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) return "";
    if (::send(s.get(), query.data(), query.size(), 0) != static_cast<ssize_t>(query.size())) return "";
    if (!fd_ready(s.get(), 2s)) return "";
    unsigned char answer[512];
    ssize_t n = ::recv(s.get(), answer, sizeof answer, 0);
    if (n < 0) return "";
    // Same id, a response, no error, one answer; its A record's address ends the packet.
    if (n < static_cast<ssize_t>(query.size()) + 16 || answer[0] != 0x12 || answer[1] != 0x34 ||
        (answer[2] & 0x80) == 0 || (answer[3] & 0x0f) != 0 || answer[7] != 1) {
      return "";
    }
    const unsigned char* a = answer + n - 4;
    return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
  }
};

TEST_F(dnsmasq_test, forking_daemon_is_the_service_and_stop_leaves_nothing) {
  const int port = free_port();
  const std::string pid_path = tmp.file("dnsmasq.pid");
  // --user=root: dnsmasq would otherwise drop to its own user after writing
  // the pidfile, which changes nothing this test looks at.
  pid_t daemon = start("dns",
                       {dnsmasq, "--conf-file=/dev/null", "--port=" + std::to_string(port),
                        "--listen-address=127.0.0.1", "--bind-interfaces", "--pid-file=" + pid_path, "--user=root",
                        "--no-resolv", "--no-hosts", "--address=/test.daemonkit/127.0.0.2"},
                       {"--ready", "pidfile:" + pid_path});
  ASSERT_GT(daemon, 0);
  EXPECT_EQ(read_file(pid_path).value_or(""), std::to_string(daemon) + "\n");
  EXPECT_EQ(comm_of(daemon), "dnsmasq");
  EXPECT_EQ(resolve_test_name(port), "127.0.0.2");

  auto s = dk({"status", "dns"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  EXPECT_TRUE(contains(s.out, "dns: running (pid " + std::to_string(daemon) + ")")) << s.out;

  auto r = dk({"stop", "dns"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "dns: stopped (pid " + std::to_string(daemon) + ")\n") << describe(r);
  EXPECT_FALSE(is_alive(daemon));
  EXPECT_TRUE(our_processes("dnsmasq").empty()) << describe_processes(our_processes("dnsmasq"));
  EXPECT_TRUE(leftovers("dnsmasq").empty()) << describe_processes(leftovers("dnsmasq"));
  EXPECT_EQ(resolve_test_name(port), "") << "something still answers on the port";
}

}  // namespace
