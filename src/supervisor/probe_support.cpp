// SPDX-License-Identifier: MIT
#include "supervisor/probe_support.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
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
