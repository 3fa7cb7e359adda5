// SPDX-License-Identifier: MIT
#include "supervisor/probe_support.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "daemonkit/detail/proc.hpp"
#include "daemonkit/text_escape.hpp"
#include "daemonkit/units.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor::probe_support {

namespace {

constexpr std::size_t k_why_line_max = 200;  // of the command's output, the last line shown, at most
constexpr int k_sweep_rounds = 16;

}  // namespace

// "Connection refused" -> "connection refused", for the middle of a sentence.
std::string errno_why(int err) {
  std::string t = sys::errno_text(err);
  if (t.size() > 1 && t[0] >= 'A' && t[0] <= 'Z' && !(t[1] >= 'A' && t[1] <= 'Z')) t[0] = static_cast<char>(t[0] + 32);
  return t;
}

// "5s", "1m30s", "250ms": exact, unlike format_duration's two largest units.
std::string duration_text(milliseconds d) {
  if (d.count() % 1000 != 0) return std::to_string(d.count()) + "ms";
  return format_duration(d);
}

std::string quoted(std::string_view s) { return "'" + escape_for_terminal(s) + "'"; }

bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  return sys::poll(&p, 1, sys::deadline::after(std::chrono::nanoseconds(0))) > 0;
}

// The pending error of a socket whose connect finished (SO_ERROR).
int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

// ": LAST LINE" of what a command wrote, or nothing when it wrote nothing.
std::string last_line_of(std::string_view out) {
  constexpr std::string_view space = " \t\r\n\f\v";
  std::size_t end = out.find_last_not_of(space);
  if (end == std::string_view::npos) return {};
  out = out.substr(0, end + 1);
  std::size_t nl = out.rfind('\n');
  if (nl != std::string_view::npos) out = out.substr(nl + 1);
  std::size_t begin = out.find_first_not_of(space);
  out = out.substr(begin == std::string_view::npos ? out.size() : begin);
  if (out.empty()) return {};
  std::string shown = escape_for_terminal(out.substr(0, utf8_prefix_length(out, k_why_line_max)));
  if (out.size() > k_why_line_max) shown += "...";
  return ": " + shown;
}

bool is_numeric_host(const std::string& host) {
  in_addr a{};
  // parse_check lets a ':' in only for an IPv6 address, and an all-digit
  // host only as a valid IPv4 one.
  return host.find(':') != std::string::npos || ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

bool is_loopback_name(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "localhost." is absolute, the same name
  constexpr std::string_view name = "localhost";
  if (host.size() < name.size()) return false;
  const std::string_view tail = host.substr(host.size() - name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    if ((tail[i] | 0x20) != name[i]) return false;
  }
  return host.size() == name.size() || host[host.size() - name.size() - 1] == '.';
}

result<address> parse_numeric_host(const std::string& host, std::uint16_t port) {
  address out;
  if (host.find(':') == std::string::npos) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &sin.sin_addr) != 1) return system_error("invalid IPv4 address", EINVAL);
    std::memcpy(&out.sa, &sin, sizeof sin);
    out.len = sizeof sin;
    return out;
  }
  const std::size_t percent = host.find('%');
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  if (::inet_pton(AF_INET6, host.substr(0, percent).c_str(), &sin6.sin6_addr) != 1) {
    return system_error("invalid IPv6 address", EINVAL);
  }
  if (percent != std::string::npos) {
    // As libc reads a zone: an interface name, else a number.
    const std::string zone = host.substr(percent + 1);
    unsigned index = ::if_nametoindex(zone.c_str());
    if (index == 0) {
      const int err = errno;
      char* end = nullptr;
      errno = 0;
      unsigned long n = zone.empty() || zone[0] < '0' || zone[0] > '9' ? 0 : std::strtoul(zone.c_str(), &end, 10);
      if (zone.empty() || end == nullptr || *end != '\0' || errno != 0 || n > UINT32_MAX) {
        return system_error("no network interface " + quoted(zone), err == 0 ? ENODEV : err);
      }
      index = static_cast<unsigned>(n);
    }
    sin6.sin6_scope_id = index;
  }
  std::memcpy(&out.sa, &sin6, sizeof sin6);
  out.len = sizeof sin6;
  return out;
}

std::vector<address> parse_ahosts(std::string_view out, std::uint16_t port) {
  constexpr std::string_view blank = " \t";
  std::vector<address> found;
  for (std::size_t nl; (nl = out.find('\n')) != std::string_view::npos; out.remove_prefix(nl + 1)) {
    std::string_view line = out.substr(0, nl);
    std::size_t a = line.find_first_not_of(blank);
    if (a == std::string_view::npos) continue;
    line.remove_prefix(a);
    const std::string addr(line.substr(0, line.find_first_of(blank)));
    line.remove_prefix(addr.size());
    a = line.find_first_not_of(blank);
    if (a == std::string_view::npos) continue;
    line.remove_prefix(a);
    if (line.substr(0, line.find_first_of(blank)) != "STREAM") continue;
    // getent prints inet_ntop's text: a bare address, never a name or a zone.
    if (addr.find('%') != std::string::npos || !is_numeric_host(addr)) continue;
    auto parsed = parse_numeric_host(addr, port);
    if (!parsed) continue;
    const bool seen = std::any_of(found.begin(), found.end(), [&](const address& f) {
      return f.len == parsed->len && std::memcmp(&f.sa, &parsed->sa, f.len) == 0;
    });
    if (!seen) found.push_back(*parsed);
  }
  return found;
}

// An unreaped child's exit, without reaping it. nullopt while it runs; an
// error (ECHILD: someone else reaped it) otherwise.
result<std::optional<pid_t>> peek_exit(const process& p) {
  siginfo_t info{};
  if (sys::waitid_pidfd(p.pidfd(), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return system_error("cannot wait for pid " + std::to_string(p.pid()));
  }
  if (info.si_pid == 0) return std::optional<pid_t>{};
  return std::optional<pid_t>{info.si_pid};
}

// The live processes of the session led by `leader` (its members but the
// leader): those below it, and those orphaned by a death in the session and
// reparented to us (the monitor is a child subreaper), with their own
// descendants. Only asked while the leader is our unreaped child: its pid,
// and so the session id, cannot be anyone else's until we reap it.
std::vector<pid_t> session_members(pid_t leader) {
  std::vector<proc_stat> found = list_descendant_stats(leader);
  for (const auto& c : list_children(::getpid())) {
    if (c.sid != leader || c.pid == leader) continue;
    found.push_back(c);
    auto below = list_descendant_stats(c.pid);
    found.insert(found.end(), below.begin(), below.end());
  }
  std::vector<pid_t> out;
  for (const auto& st : found) {
    if (st.sid == leader && st.pid != leader && st.pid > 1 && st.state != 'Z') out.push_back(st.pid);
  }
  return out;
}

// SIGKILLs every live member of the leader's session but the leader, until a
// sweep finds none (a member may fork while it is being killed). Each is
// pinned with a pidfd, then confirmed by its sid, so a pid recycled between
// the walk and the signal is never hit.
void kill_session_members(pid_t leader) {
  for (int round = 0; round < k_sweep_rounds; ++round) {
    bool any = false;
    for (pid_t pid : session_members(leader)) {
      auto p = process::open(pid);
      if (!p) continue;
      auto st = read_proc_stat(pid);
      if (!st || st->sid != leader || st->state == 'Z') continue;
      any = true;
      (void)p->signal(SIGKILL);
    }
    if (!any) return;
  }
}

}  // namespace daemonkit::supervisor::probe_support
