// SPDX-License-Identifier: MIT
// What a probe (probe.hpp) needs around its sockets and its children: words
// for its verdicts, addresses from a host's text and from `getent ahosts`,
// socket and child checks that do not block, and killing a child's session.
// Private to probe.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/types.h>
#include <vector>

#include "daemonkit/process.hpp"
#include "daemonkit/result.hpp"

namespace daemonkit::supervisor::probe_support {

using std::chrono::milliseconds;

// A socket address to connect to: sockaddr_in or sockaddr_in6.
struct address {
  sockaddr_storage sa{};
  socklen_t len = 0;
};

// True for a host parse_check stores as an address ("127.0.0.1", "::1",
// "fe80::1%eth0"), false for a name.
bool is_numeric_host(const std::string& host);
// True for "localhost" and names under it ("db.localhost"), any case: the
// loopback by definition (RFC 6761), resolved without asking anyone.
bool is_loopback_name(std::string_view host);
// The address of a numeric host with port, parsed in-process (inet_pton; an
// IPv6 zone by interface name, if_nametoindex, or by number). Errors: a zone
// that names no interface (ENODEV), a host that is not numeric (EINVAL).
result<address> parse_numeric_host(const std::string& host, std::uint16_t port);
// The addresses of `getent ahosts NAME` output ("ADDRESS STREAM|DGRAM|RAW
// [CANONICAL NAME]" lines), with port: each distinct one of a STREAM line,
// in getent's order. An unterminated last line (cut output) is ignored.
std::vector<address> parse_ahosts(std::string_view out, std::uint16_t port);

// "Connection refused" -> "connection refused", for the middle of a sentence.
std::string errno_why(int err);
// "5s", "1m30s", "250ms": exact, unlike format_duration's two largest units.
std::string duration_text(milliseconds d);
// 'text', escaped for a terminal.
std::string quoted(std::string_view s);
// True when fd is ready for events now (a poll with no wait).
bool ready_now(int fd, short events);
// The pending error of a socket whose connect finished (SO_ERROR).
int socket_error(int fd);
// ": LAST LINE" of what a command wrote, or nothing when it wrote nothing.
std::string last_line_of(std::string_view out);
// An unreaped child's exit, without reaping it. nullopt while it runs; an
// error (ECHILD: someone else reaped it) otherwise.
result<std::optional<pid_t>> peek_exit(const process& p);
// The live members but the leader of the session `leader` leads (see .cpp).
std::vector<pid_t> session_members(pid_t leader);
// SIGKILLs them until a sweep finds none, each pinned and confirmed first.
void kill_session_members(pid_t leader);

}  // namespace daemonkit::supervisor::probe_support
