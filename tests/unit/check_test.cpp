// SPDX-License-Identifier: MIT
// parse_check and to_string: every form of --ready/--health CHECK, every way
// to get one wrong, and the round trip through the stored text.
#include "daemonkit/check.hpp"

#include <gtest/gtest.h>

#include <string>

#include "daemonkit/text_escape.hpp"

namespace {

using daemonkit::check_spec;
using daemonkit::errc;
using kind = check_spec::kind;

check_spec tcp(std::string host, std::uint16_t port) { return {kind::tcp, std::move(host), port, {}, {}}; }
check_spec http(std::string host, std::uint16_t port, std::string path) {
  return {kind::http, std::move(host), port, std::move(path), {}};
}
check_spec cmd(std::string command) { return {kind::cmd, {}, 0, {}, std::move(command)}; }

check_spec parsed(std::string_view text) {
  auto r = daemonkit::parse_check(text);
  EXPECT_TRUE(r) << text << ": " << r.err().message();
  return r ? *r : check_spec{};
}

// The message for text, or "" when it parses.
std::string error_of(std::string_view text) {
  auto r = daemonkit::parse_check(text);
  if (r) return {};
  EXPECT_EQ(r.err().code, errc::invalid_argument) << text;
  return r.err().message();
}

TEST(parse_check, tcp_port_alone_means_127_0_0_1) {
  EXPECT_EQ(parsed("tcp:8080"), tcp("127.0.0.1", 8080));
  EXPECT_EQ(parsed("tcp:1"), tcp("127.0.0.1", 1));
  EXPECT_EQ(parsed("tcp:65535"), tcp("127.0.0.1", 65535));
  EXPECT_EQ(parsed("tcp:0080"), tcp("127.0.0.1", 80));
}

TEST(parse_check, tcp_with_a_host) {
  EXPECT_EQ(parsed("tcp:127.0.0.1:11211"), tcp("127.0.0.1", 11211));
  EXPECT_EQ(parsed("tcp:10.1.2.3:5432"), tcp("10.1.2.3", 5432));
  EXPECT_EQ(parsed("tcp:localhost:6379"), tcp("localhost", 6379));
  EXPECT_EQ(parsed("tcp:db-1.example_net.org:5432"), tcp("db-1.example_net.org", 5432));
  EXPECT_EQ(parsed("tcp:[::1]:8080"), tcp("::1", 8080));
  EXPECT_EQ(parsed("tcp:[::]:8080"), tcp("::", 8080));
  EXPECT_EQ(parsed("tcp:[2001:db8::1]:443"), tcp("2001:db8::1", 443));
  EXPECT_EQ(parsed("tcp:[::ffff:127.0.0.1]:80"), tcp("::ffff:127.0.0.1", 80));
  EXPECT_EQ(parsed("tcp:[fe80::1%eth0]:22"), tcp("fe80::1%eth0", 22));
}

TEST(parse_check, the_scheme_is_case_blind_and_the_rest_kept_as_written) {
  EXPECT_EQ(parsed("TCP:80"), tcp("127.0.0.1", 80));
  EXPECT_EQ(parsed("Tcp:LocalHost:80"), tcp("LocalHost", 80));
  EXPECT_EQ(parsed("HTTP://Example/A"), http("Example", 80, "/A"));
  EXPECT_EQ(parsed("CMD:Exit 0"), cmd("Exit 0"));
}

TEST(parse_check, http_defaults_to_port_80_and_path_slash) {
  EXPECT_EQ(parsed("http://localhost"), http("localhost", 80, "/"));
  EXPECT_EQ(parsed("http://localhost/"), http("localhost", 80, "/"));
  EXPECT_EQ(parsed("http://127.0.0.1:8080"), http("127.0.0.1", 8080, "/"));
  EXPECT_EQ(parsed("http://127.0.0.1:8080/health"), http("127.0.0.1", 8080, "/health"));
  EXPECT_EQ(parsed("http://[::1]:8000/a/b?x=1&y=%20"), http("::1", 8000, "/a/b?x=1&y=%20"));
  EXPECT_EQ(parsed("http://[::1]"), http("::1", 80, "/"));
  EXPECT_EQ(parsed("http://h:80/x"), http("h", 80, "/x"));
}

TEST(parse_check, http_query_without_path_and_fragment) {
  EXPECT_EQ(parsed("http://h?ready"), http("h", 80, "/?ready"));
  EXPECT_EQ(parsed("http://h:81?ready"), http("h", 81, "/?ready"));
  EXPECT_EQ(parsed("http://h/status#top"), http("h", 80, "/status"));
  EXPECT_EQ(parsed("http://h#top"), http("h", 80, "/"));
}

TEST(parse_check, cmd_keeps_the_command_as_written) {
  EXPECT_EQ(parsed("cmd:pg_isready -q"), cmd("pg_isready -q"));
  EXPECT_EQ(parsed("cmd:  test -S /run/x.sock && exit 0  "), cmd("  test -S /run/x.sock && exit 0  "));
  EXPECT_EQ(parsed("cmd:curl -fsS http://localhost:8080/ >/dev/null"),
            cmd("curl -fsS http://localhost:8080/ >/dev/null"));
  EXPECT_EQ(parsed("cmd:a\nb"), cmd("a\nb"));
  EXPECT_EQ(parsed("cmd:tcp:80"), cmd("tcp:80"));
}

TEST(parse_check, errors_say_what_is_wrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"tcp:", "missing port"},
      {"tcp:localhost", "missing port"},
      {"tcp:localhost:", "missing port"},
      {"tcp:1.2.3.4", "missing port"},
      {"tcp:[::1]", "missing port"},
      {"tcp:[::1]:", "missing port"},
      {"tcp:0", "port 0 is out of range (1-65535)"},
      {"tcp:65536", "port 65536 is out of range (1-65535)"},
      {"tcp:99999999999999999999", "port 99999999999999999999 is out of range (1-65535)"},
      {"tcp:host:0", "port 0 is out of range (1-65535)"},
      {"tcp:80x", "invalid port '80x'"},
      {"tcp:host:http", "invalid port 'http'"},
      {"tcp:host:+80", "invalid port '+80'"},
      {"tcp:host:-1", "invalid port '-1'"},
      {"tcp: 80", "invalid character in host ' 80'"},
      {"tcp::80", "missing host"},
      {"tcp:[]:80", "missing host"},
      {"tcp:::1:80", "an IPv6 address goes in brackets, as in [::1]"},
      {"tcp:[::1:80", "missing ']' after the IPv6 address"},
      {"tcp:[::1]80", "unexpected '80' after the IPv6 address"},
      {"tcp:[127.0.0.1]:80", "invalid IPv6 address '127.0.0.1'"},
      {"tcp:[::1%]:80", "invalid IPv6 address '::1%'"},
      {"tcp:[::1%abcdefghijklmnop]:80", "invalid IPv6 address '::1%abcdefghijklmnop'"},
      {"tcp:[localhost]:80", "invalid IPv6 address 'localhost'"},
      {"tcp:999.1.1.1:80", "invalid IPv4 address '999.1.1.1'"},
      {"tcp:1.2.3:80", "invalid IPv4 address '1.2.3'"},
      {"tcp:123:80", "invalid IPv4 address '123'"},
      {"tcp:ho st:80", "invalid character in host 'ho st'"},
      {"tcp:h/x:80", "invalid character in host 'h/x'"},
      {"http://", "missing host"},
      {"http:///x", "missing host"},
      {"http://:80/", "missing host"},
      {"http://h:/", "missing port"},
      {"http://h:0/", "port 0 is out of range (1-65535)"},
      {"http://h:x/", "invalid port 'x'"},
      {"http://user:pw@h/", "user names and passwords in the URL are not supported"},
      {"http://h/a b", "invalid character in path (write spaces and non-ASCII bytes as %XX)"},
      {"http://h/a\r\nX-Evil: 1", "invalid character in path (write spaces and non-ASCII bytes as %XX)"},
      {"http://h/\xc3\xa9", "invalid character in path (write spaces and non-ASCII bytes as %XX)"},
      {"http:h", "expected http://HOST[:PORT][/PATH]"},
      {"http:/h", "expected http://HOST[:PORT][/PATH]"},
      {"https://h/", "https is not supported; use tcp:HOST:443 or cmd:curl ..."},
      {"HTTPS://h/", "https is not supported; use tcp:HOST:443 or cmd:curl ..."},
      {"cmd:", "empty command"},
      {"cmd: \t\n", "empty command"},
      {"ftp://h/", "unknown scheme 'ftp' (expected tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND)"},
      {"udp:53", "unknown scheme 'udp' (expected tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND)"},
      {"localhost:80",
       "unknown scheme 'localhost' (expected tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND)"},
      {"", "expected tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND"},
      {"8080", "expected tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND"},
      {":80", "expected tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND"},
      {"tcp", "expected tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND"},
  };
  for (const auto& [text, why] : cases) {
    EXPECT_EQ(error_of(text), "invalid check '" + daemonkit::escape_for_terminal(text) + "': " + why) << text;
  }
}

TEST(parse_check, a_nul_in_a_command_is_refused) {
  using namespace std::string_literals;
  EXPECT_EQ(error_of("cmd:true\0false"s), "invalid check 'cmd:true\\x00false': the command contains a NUL byte");
}

TEST(parse_check, a_nul_in_an_address_is_refused) {
  // Found by fuzz_parse_check: inet_pton alone would stop reading at the NUL.
  using namespace std::string_literals;
  EXPECT_EQ(error_of("tcp:[fe80::1\0\0%eth0]:22"s),
            "invalid check 'tcp:[fe80::1\\x00\\x00%eth0]:22': invalid IPv6 address "
            "'fe80::1\\x00\\x00%eth0'");
  EXPECT_EQ(error_of("tcp:127.0.0.1\0:22"s),
            "invalid check 'tcp:127.0.0.1\\x00:22': invalid character in host "
            "'127.0.0.1\\x00'");
}

TEST(parse_check, odd_text_is_escaped_in_the_message) {
  EXPECT_EQ(
      error_of("x\x1b]52;c;AAAA\a:1"),
      "invalid check 'x\\x1b]52;c;AAAA\\a:1': expected tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND");
}

TEST(parse_check, a_host_name_is_at_most_253_bytes) {
  std::string longest(253, 'a');
  EXPECT_EQ(parsed("tcp:" + longest + ":1"), tcp(longest, 1));
  EXPECT_EQ(error_of("tcp:" + longest + "a:1"),
            "invalid check 'tcp:" + longest + "a:1': host name is too long (at most 253 bytes)");
}

TEST(check_to_string, writes_the_shortest_form) {
  EXPECT_EQ(daemonkit::to_string(tcp("127.0.0.1", 8080)), "tcp:8080");
  EXPECT_EQ(daemonkit::to_string(tcp("localhost", 8080)), "tcp:localhost:8080");
  EXPECT_EQ(daemonkit::to_string(tcp("::1", 8080)), "tcp:[::1]:8080");
  EXPECT_EQ(daemonkit::to_string(http("localhost", 80, "/")), "http://localhost/");
  EXPECT_EQ(daemonkit::to_string(http("::1", 8000, "/h?x")), "http://[::1]:8000/h?x");
  EXPECT_EQ(daemonkit::to_string(cmd("pg_isready")), "cmd:pg_isready");
}

TEST(check_to_string, round_trips_through_parse_check) {
  for (const char* text : {"tcp:8080", "tcp:0080", "TCP:127.0.0.1:8080", "tcp:localhost:1", "tcp:[::1]:65535",
                           "tcp:[fe80::1%eth0]:22", "http://h", "http://h:80", "http://[::1]:8080/a?b#c", "http://h?q",
                           "http://127.0.0.1:8080/%7Euser/", "cmd: a ", "cmd:echo 'x' | grep -q x",
                           "cmd:\n"
                           "exit 0"}) {
    check_spec s = parsed(text);
    const std::string written = daemonkit::to_string(s);
    EXPECT_EQ(parsed(written), s) << text << " -> " << written;
    EXPECT_EQ(daemonkit::to_string(parsed(written)), written) << text;
  }
}

}  // namespace
