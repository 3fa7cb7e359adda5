// SPDX-License-Identifier: MIT
// probe: one try of a readiness/health check against real sockets, real
// HTTP servers and real commands, driven by a poll loop like the monitor's.
#include "supervisor/probe.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>

#include <string>

#include "daemonkit/check.hpp"
#include "supervisor/probe_support.hpp"
#include "test_support.hpp"

namespace {

using namespace dk_test;
using daemonkit::check_spec;
using daemonkit::supervisor::probe;
using daemonkit::supervisor::probe_context;
using daemonkit::supervisor::probe_result;

check_spec check(const std::string& text) {
  auto r = daemonkit::parse_check(text);
  if (!r) throw std::runtime_error(r.err().message());
  return *r;
}

struct outcome {
  std::optional<probe_result> verdict;
  milliseconds took{};
};

// The monitor's loop in small: poll the probe's fd until its deadline, call
// advance() on every wake-up. Gives up (verdict nullopt) after `bound`.
outcome drive(probe& p, milliseconds bound = 10s) {
  const auto t0 = steady::now();
  const auto give_up = t0 + bound;
  for (;;) {
    if (auto v = p.advance()) return {v, std::chrono::duration_cast<milliseconds>(steady::now() - t0)};
    if (steady::now() >= give_up) return {std::nullopt, bound};
    auto until = give_up;
    if (auto d = p.deadline(); d && *d < until) until = *d;
    auto left = std::chrono::ceil<milliseconds>(until - steady::now());
    pollfd pfd{p.fd(), p.events(), 0};
    int r = ::poll(&pfd, 1, static_cast<int>(std::max(left, 0ms).count()));
    if (r < 0 && errno != EINTR) throw std::runtime_error("poll failed");
  }
}

// Starts one try of text and drives it to its verdict.
outcome run_check(const std::string& text, milliseconds timeout = 5s, const probe_context& ctx = {}) {
  auto p = probe::start(check(text), ctx, timeout);
  if (!p) throw std::runtime_error(p.err().message());
  return drive(*p, timeout + 5s);
}

// A listening TCP socket on a free port of addr (127.0.0.1 or ::1), never
// accepting: the kernel completes connections into its backlog.
struct listener {
  fd_guard fd;
  int port = 0;
};

std::optional<listener> listen_on(const char* addr) {
  const bool v6 = std::string_view(addr).find(':') != std::string_view::npos;
  listener l;
  l.fd.reset(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.fd.valid()) return std::nullopt;
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    if (::inet_pton(AF_INET6, addr, &sa->sin6_addr) != 1) return std::nullopt;
    len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    if (::inet_pton(AF_INET, addr, &sa->sin_addr) != 1) return std::nullopt;
    len = sizeof *sa;
  }
  if (::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return std::nullopt;
  if (::listen(l.fd.get(), 16) != 0) return std::nullopt;
  if (::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  l.port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return l;
}

// A port nothing listens on: one the kernel just gave us, closed again.
int closed_port() {
  auto l = listen_on("127.0.0.1");
  if (!l) throw std::runtime_error("cannot listen on 127.0.0.1");
  return l->port;
}

// A one-connection HTTP server in a forked child: accepts, reads the request
// (echoed on its stdout for the test to check), answers `reply`, closes.
running_command serve_once(const listener& l, std::string reply) {
  const int lfd = l.fd.get();
  return fork_function(
      [lfd, reply] {
        int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return 1;
        std::string req;
        char buf[1024];
        while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
          ssize_t n = ::read(c, buf, sizeof buf);
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
        }
        if (::write(1, req.data(), req.size()) < 0) return 2;
        if (!reply.empty() && ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) return 3;
        ::close(c);
        return 0;
      },
      {lfd});
}

// Live (not zombie) processes whose session is sid.
std::vector<pid_t> live_session_members(pid_t sid) {
  std::vector<pid_t> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    auto st = read_stat(pid);
    if (st && st->session == sid && st->state != 'Z') out.push_back(pid);
  }
  return out;
}

// True once every process of session sid is dead. The probe has SIGKILLed
// them by the time it gives its verdict; dying takes the kernel a moment
// more, announced by each one's pidfd.
bool session_dies(pid_t sid, milliseconds timeout = 5s) {
  std::vector<fd_guard> pidfds;
  events on;
  for (pid_t pid : live_session_members(sid)) {
    pidfds.emplace_back(open_pidfd(pid));
    if (pidfds.back().valid()) on = std::move(on).exit_of(pidfds.back().get());
  }
  return wait_until([&] { return live_session_members(sid).empty(); }, timeout, std::move(on));
}

probe_context context_with_path() {
  probe_context ctx;
  ctx.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  return ctx;
}

class probe_test : public process_fixture {
 protected:
  // cancel() on a probe whose child (sh or getent) pidfd is watching: the
  // verdict is "cancelled", and the child is dead and reaped by the probe
  // (waiting for it now finds no child).
  static void expect_cancel_kills_and_reaps(probe& p, int pidfd) {
    p.cancel();
    EXPECT_EQ(p.child_pid(), 0);
    EXPECT_EQ(p.fd(), -1);
    EXPECT_FALSE(p.deadline());
    auto v = p.advance();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->why, "cancelled");
    EXPECT_TRUE(has_exited(pidfd));
    siginfo_t info{};
    EXPECT_NE(::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG), 0);
    EXPECT_EQ(errno, ECHILD);
  }
};

// --- tcp ---

TEST_F(probe_test, tcp_connects_to_a_listener_on_127_0_0_1) {
  auto l = listen_on("127.0.0.1");
  ASSERT_TRUE(l);
  for (const std::string& text : {"tcp:" + std::to_string(l->port), "tcp:127.0.0.1:" + std::to_string(l->port)}) {
    auto o = run_check(text);
    ASSERT_TRUE(o.verdict) << text;
    EXPECT_TRUE(o.verdict->ok) << text << ": " << o.verdict->why;
    EXPECT_EQ(o.verdict->why, "connected");
  }
}

TEST_F(probe_test, tcp_connects_to_a_listener_on_ipv6_loopback) {
  auto l = listen_on("::1");
  if (!l) GTEST_SKIP() << "no IPv6 loopback here";
  auto o = run_check("tcp:[::1]:" + std::to_string(l->port));
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
}

TEST_F(probe_test, tcp_localhost_is_resolved_and_each_address_tried) {
  // localhost may resolve to ::1 first; the listener is on 127.0.0.1 only.
  auto l = listen_on("127.0.0.1");
  ASSERT_TRUE(l);
  auto o = run_check("tcp:localhost:" + std::to_string(l->port));
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
  EXPECT_EQ(o.verdict->why, "connected");
}

TEST_F(probe_test, localhost_is_the_loopback_without_asking_getent) {
  // RFC 6761, and getent's AI_ADDRCONFIG would drop ::1 where ::1 is the
  // only IPv6 address: both loopbacks, tried in turn, no child.
  auto v4 = listen_on("127.0.0.1");
  ASSERT_TRUE(v4);
  for (const std::string host : {"localhost", "LocalHost", "db.localhost", "localhost."}) {
    auto p = probe::start(check("tcp:" + host + ":" + std::to_string(v4->port)), {}, 5s);
    ASSERT_TRUE(p) << host << ": " << p.err().message();
    EXPECT_EQ(p->child_pid(), 0) << host;
    auto o = drive(*p);
    ASSERT_TRUE(o.verdict) << host;
    EXPECT_TRUE(o.verdict->ok) << host << ": " << o.verdict->why;
  }
  if (auto v6 = listen_on("::1")) {
    auto o = run_check("tcp:localhost:" + std::to_string(v6->port));
    ASSERT_TRUE(o.verdict);
    EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
  }
  // Only names under localhost: not one that merely ends in the letters.
  auto p = probe::start(check("tcp:notlocalhost.invalid:80"), {}, 5s);
  ASSERT_TRUE(p) << p.err().message();
  EXPECT_GT(p->child_pid(), 0) << "a name that is not localhost goes to getent";
}

TEST_F(probe_test, a_name_is_resolved_by_a_getent_child_polled_like_the_rest) {
  // A name the machine resolves without a network: its own host name
  // (/etc/hosts, or nss-myhostname). Listening on every address, so that
  // whatever local address it resolves to connects.
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  auto known = run_command({"/usr/bin/getent", "ahosts", name}, {}, 10s);
  if (known.exit_code() != 0) GTEST_SKIP() << "this machine does not resolve its own name " << name;
  auto l = listen_on("0.0.0.0");
  ASSERT_TRUE(l);
  const auto before = steady::now();
  auto p = probe::start(check("tcp:" + std::string(name) + ":" + std::to_string(l->port)), {}, 5s);
  ASSERT_TRUE(p) << p.err().message();
  // Resolving: getent is our child (the catch-all reaper must leave it), the
  // loop polls an fd for input, and the deadline is the try's timeout.
  const pid_t getent = p->child_pid();
  EXPECT_GT(getent, 1);
  EXPECT_NE(getent, ::getpid());
  EXPECT_FALSE(p->done());
  EXPECT_GE(p->fd(), 0);
  EXPECT_EQ(p->events(), POLLIN);
  ASSERT_TRUE(p->deadline());
  EXPECT_GE(*p->deadline(), before + 5s);
  EXPECT_LE(*p->deadline(), steady::now() + 5s);
  // Its own session, as a cmd's sh, so that the timeout's kill finds all of it.
  // (Unreaped, so readable even if it has exited.)
  auto st = read_stat(getent);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->session, getent);

  auto o = drive(*p);
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
  EXPECT_EQ(o.verdict->why, "connected");
  EXPECT_EQ(p->child_pid(), 0);
  // Reaped by the probe: no child of ours is left with that pid.
  int status = 0;
  EXPECT_EQ(::waitpid(getent, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(probe_test, a_name_that_does_not_exist_cannot_be_resolved) {
  // .invalid never exists (RFC 6761); with no network, no resolver waits
  // long for that answer either.
  for (const std::string& text :
       {std::string("tcp:no-such-host.invalid:80"), std::string("http://no-such-host.invalid/")}) {
    auto o = run_check(text, 5s);
    ASSERT_TRUE(o.verdict) << text;
    EXPECT_FALSE(o.verdict->ok);
    EXPECT_EQ(o.verdict->why, "cannot resolve 'no-such-host.invalid': Name or service not known");
    EXPECT_LT(o.took, 5s);
  }
}

TEST_F(probe_test, a_name_beginning_with_a_dash_is_a_name_not_an_option) {
  auto o = run_check("tcp:-s.invalid:80", 5s);
  ASSERT_TRUE(o.verdict);
  EXPECT_EQ(o.verdict->why, "cannot resolve '-s.invalid': Name or service not known");
}

TEST_F(probe_test, numeric_hosts_need_no_resolver) {
  auto l = listen_on("127.0.0.1");
  ASSERT_TRUE(l);
  auto p = probe::start(check("tcp:127.0.0.1:" + std::to_string(l->port)), {}, 5s);
  ASSERT_TRUE(p) << p.err().message();
  EXPECT_EQ(p->child_pid(), 0);
  EXPECT_EQ(p->events(), POLLOUT);  // connecting already
  auto o = drive(*p);
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;

  auto l6 = listen_on("::1");
  if (!l6) GTEST_SKIP() << "no IPv6 loopback here";
  // A zone, by interface name or number, means nothing for ::1 but is kept.
  for (const char* host : {"[::1]", "[::1%lo]", "[::1%1]"}) {
    auto p6 = probe::start(check(std::string("tcp:") + host + ":" + std::to_string(l6->port)), {}, 5s);
    ASSERT_TRUE(p6) << host << ": " << p6.err().message();
    EXPECT_EQ(p6->child_pid(), 0) << host;
    auto o6 = drive(*p6);
    ASSERT_TRUE(o6.verdict) << host;
    EXPECT_TRUE(o6.verdict->ok) << host << ": " << o6.verdict->why;
  }
}

TEST_F(probe_test, an_ipv6_zone_that_names_no_interface_fails_at_once) {
  auto p = probe::start(check("tcp:[fe80::1%nosuchif0]:80"), {}, 5s);
  ASSERT_TRUE(p) << p.err().message();
  EXPECT_EQ(p->child_pid(), 0);
  auto v = p->advance();
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->why, "cannot resolve 'fe80::1%nosuchif0': No such device");
}

TEST_F(probe_test, cancel_kills_and_reaps_a_resolving_getent) {
  auto p = probe::start(check("tcp:no-such-host.invalid:80"), {}, 60s);
  ASSERT_TRUE(p) << p.err().message();
  const pid_t getent = p->child_pid();
  ASSERT_GT(getent, 1);
  fd_guard pidfd(open_pidfd(getent));
  ASSERT_TRUE(pidfd.valid());
  expect_cancel_kills_and_reaps(*p, pidfd.get());
}

TEST_F(probe_test, getent_output_gives_each_stream_address_once_in_order) {
  namespace ps = daemonkit::supervisor::probe_support;
  const std::string out =
      "::1             STREAM localhost\n"
      "::1             DGRAM  \n"
      "::1             RAW    \n"
      "127.0.0.1       STREAM \n"
      "127.0.0.1       DGRAM  \n"
      "getent: something odd\n"
      "\n"
      "10.0.0.7 STREAM db.example\n"
      "::1\tSTREAM\n"
      "not-an-address  STREAM \n"
      "10.0.0.8 RAW\n"
      "10.0.0.9 STREAM";  // cut short: might be 10.0.0.99
  auto addrs = ps::parse_ahosts(out, 8080);
  std::vector<std::string> text;
  for (const auto& a : addrs) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (a.sa.ss_family == AF_INET6) {
      const auto* sa = reinterpret_cast<const sockaddr_in6*>(&a.sa);
      EXPECT_EQ(a.len, sizeof *sa);
      EXPECT_EQ(ntohs(sa->sin6_port), 8080);
      ::inet_ntop(AF_INET6, &sa->sin6_addr, buf, sizeof buf);
    } else {
      const auto* sa = reinterpret_cast<const sockaddr_in*>(&a.sa);
      EXPECT_EQ(a.sa.ss_family, AF_INET);
      EXPECT_EQ(a.len, sizeof *sa);
      EXPECT_EQ(ntohs(sa->sin_port), 8080);
      ::inet_ntop(AF_INET, &sa->sin_addr, buf, sizeof buf);
    }
    text.emplace_back(buf);
  }
  EXPECT_EQ(text, (std::vector<std::string>{"::1", "127.0.0.1", "10.0.0.7"}));
  EXPECT_TRUE(ps::parse_ahosts("", 80).empty());
}

TEST_F(probe_test, tcp_to_a_closed_port_is_refused_at_once) {
  auto o = run_check("tcp:" + std::to_string(closed_port()), 5s);
  ASSERT_TRUE(o.verdict);
  EXPECT_FALSE(o.verdict->ok);
  EXPECT_EQ(o.verdict->why, "connection refused");
  EXPECT_LT(o.took, 1s);
}

// --- http ---

TEST_F(probe_test, http_2xx_is_ok_and_the_request_is_a_proper_get) {
  auto l = listen_on("127.0.0.1");
  ASSERT_TRUE(l);
  auto server = serve_once(*l, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  const std::string port = std::to_string(l->port);
  auto o = run_check("http://127.0.0.1:" + port + "/health?full=1");
  auto served = finish(server, 5s);
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
  EXPECT_EQ(o.verdict->why, "HTTP 200");
  EXPECT_EQ(served.exit_code(), 0) << describe(served);
  EXPECT_EQ(served.out.rfind("GET /health?full=1 HTTP/1.1\r\n", 0), 0U) << served.out;
  EXPECT_NE(served.out.find("\r\nHost: 127.0.0.1:" + port + "\r\n"), std::string::npos) << served.out;
  EXPECT_NE(served.out.find("\r\nConnection: close\r\n"), std::string::npos) << served.out;
}

TEST_F(probe_test, http_to_ipv6_loopback_names_it_in_brackets) {
  auto l = listen_on("::1");
  if (!l) GTEST_SKIP() << "no IPv6 loopback here";
  auto server = serve_once(*l, "HTTP/1.1 204 No Content\r\n\r\n");
  auto o = run_check("http://[::1]:" + std::to_string(l->port));
  auto served = finish(server, 5s);
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
  EXPECT_EQ(served.out.rfind("GET / HTTP/1.1\r\n", 0), 0U) << served.out;
  EXPECT_NE(served.out.find("\r\nHost: [::1]:" + std::to_string(l->port) + "\r\n"), std::string::npos) << served.out;
}

TEST_F(probe_test, http_other_statuses_fail_with_the_status) {
  for (const auto& [reply, why] : std::vector<std::pair<std::string, std::string>>{
           {"HTTP/1.0 503 Service Unavailable\r\n\r\n", "HTTP 503"},
           {"HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n", "HTTP 301"},
           {"HTTP/1.1 404\r\n\r\n", "HTTP 404"},
           {"SSH-2.0-OpenSSH_9.2\r\n", "not an HTTP response: 'SSH-2.0-OpenSSH_9.2'"},
           {"", "connection closed without an HTTP response"}}) {
    auto l = listen_on("127.0.0.1");
    ASSERT_TRUE(l);
    auto server = serve_once(*l, reply);
    auto o = run_check("http://127.0.0.1:" + std::to_string(l->port) + "/");
    finish(server, 5s);
    ASSERT_TRUE(o.verdict) << reply;
    EXPECT_FALSE(o.verdict->ok) << reply;
    EXPECT_EQ(o.verdict->why, why);
  }
}

TEST_F(probe_test, http_server_that_never_answers_times_out_at_the_timeout) {
  // Connections complete into the backlog; nobody ever reads or answers.
  auto l = listen_on("127.0.0.1");
  ASSERT_TRUE(l);
  auto o = run_check("http://127.0.0.1:" + std::to_string(l->port) + "/", 300ms);
  ASSERT_TRUE(o.verdict);
  EXPECT_FALSE(o.verdict->ok);
  EXPECT_EQ(o.verdict->why, "timed out after 300ms waiting for the HTTP response");
  EXPECT_GE(o.took, 300ms);
  EXPECT_LT(o.took, 1300ms);
}

TEST_F(probe_test, http_to_a_closed_port_is_refused) {
  auto o = run_check("http://127.0.0.1:" + std::to_string(closed_port()) + "/");
  ASSERT_TRUE(o.verdict);
  EXPECT_FALSE(o.verdict->ok);
  EXPECT_EQ(o.verdict->why, "connection refused");
}

// --- cmd ---

TEST_F(probe_test, cmd_exit_status_is_the_verdict) {
  auto ok = run_check("cmd:true", 5s, context_with_path());
  ASSERT_TRUE(ok.verdict);
  EXPECT_TRUE(ok.verdict->ok) << ok.verdict->why;
  EXPECT_EQ(ok.verdict->why, "exited with status 0");

  auto three = run_check("cmd:exit 3", 5s, context_with_path());
  ASSERT_TRUE(three.verdict);
  EXPECT_FALSE(three.verdict->ok);
  EXPECT_EQ(three.verdict->why, "exited with status 3");

  auto killed = run_check("cmd:kill -SEGV $$", 5s, context_with_path());
  ASSERT_TRUE(killed.verdict);
  EXPECT_FALSE(killed.verdict->ok);
  EXPECT_EQ(killed.verdict->why.rfind("killed by signal SEGV", 0), 0U) << killed.verdict->why;
}

TEST_F(probe_test, cmd_failure_shows_the_last_line_of_output) {
  auto o =
      run_check("cmd:echo first; echo 'no response from db' >&2; printf '\\n\\n'; exit 2", 5s, context_with_path());
  ASSERT_TRUE(o.verdict);
  EXPECT_FALSE(o.verdict->ok);
  EXPECT_EQ(o.verdict->why, "exited with status 2: no response from db");
}

TEST_F(probe_test, cmd_that_writes_a_lot_is_not_blocked_by_a_full_pipe) {
  // Far more than a pipe holds (64 KiB): only the probe's reads let it finish.
  auto o = run_check("cmd:head -c 4000000 /dev/zero | tr '\\0' x; echo; echo done; exit 1", 5s, context_with_path());
  ASSERT_TRUE(o.verdict);
  EXPECT_EQ(o.verdict->why, "exited with status 1: done");
}

TEST_F(probe_test, cmd_is_killed_with_its_session_at_the_timeout) {
  temp_dir dir;
  const std::string bg = dir.file("bg");
  auto p = probe::start(check("cmd:sleep 100 & echo $! > " + bg + "; sleep 100"), context_with_path(), 500ms);
  ASSERT_TRUE(p) << p.err().message();
  const pid_t sh = p->child_pid();
  ASSERT_GT(sh, 1);
  ASSERT_TRUE(wait_until([&] { return read_file(bg).value_or("").find('\n') != std::string::npos; }, 5s,
                         events().changes_in(dir.path())));
  const pid_t background = std::stoi(*read_file(bg));
  EXPECT_EQ(read_stat(background)->session, sh);

  auto o = drive(*p);
  ASSERT_TRUE(o.verdict);
  EXPECT_FALSE(o.verdict->ok);
  EXPECT_EQ(o.verdict->why, "timed out after 500ms");
  EXPECT_EQ(p->child_pid(), 0);
  // sh is reaped (its pid holds no process of ours any more), and nothing of its
  // session is alive: the background sleep is dead (at most a zombie, ours to reap).
  EXPECT_TRUE(session_dies(sh)) << "still alive: " << testing::PrintToString(live_session_members(sh));
  auto st = read_stat(background);
  EXPECT_TRUE(!st || st->state == 'Z') << "background sleep " << background << " still runs";
}

TEST_F(probe_test, cmd_timeout_is_kept) {
  auto t0 = steady::now();
  auto o = run_check("cmd:exec sleep 100", 300ms, context_with_path());
  ASSERT_TRUE(o.verdict);
  EXPECT_EQ(o.verdict->why, "timed out after 300ms");
  EXPECT_GE(steady::now() - t0, 300ms);
  EXPECT_LT(steady::now() - t0, 1300ms);
}

TEST_F(probe_test, cmd_leftovers_are_killed_when_sh_exits) {
  temp_dir dir;
  const std::string bg = dir.file("bg");
  auto p = probe::start(check("cmd:sleep 100 & echo $! > " + bg), context_with_path(), 5s);
  ASSERT_TRUE(p) << p.err().message();
  const pid_t sh = p->child_pid();
  auto o = drive(*p);
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
  const pid_t background = std::stoi(read_file(bg).value_or("0"));
  ASSERT_GT(background, 1);
  EXPECT_TRUE(session_dies(sh)) << "still alive: " << testing::PrintToString(live_session_members(sh));
}

TEST_F(probe_test, cmd_runs_with_the_context_environment_and_directory) {
  temp_dir dir;
  probe_context ctx = context_with_path();
  ctx.env.push_back("PROBE_VAR=hello world");
  ctx.working_directory = dir.path();
  auto o = run_check("cmd:echo \"$PROBE_VAR\" > var; pwd > cwd", 5s, ctx);
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
  EXPECT_EQ(read_file(dir.file("var")), "hello world\n");
  EXPECT_EQ(read_file(dir.file("cwd")), dir.path() + "\n");
}

TEST_F(probe_test, cmd_runs_as_the_service_user) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  auto creds = daemonkit::resolve_credentials("nobody");
  ASSERT_TRUE(creds) << creds.err().message();
  temp_dir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
  probe_context ctx = context_with_path();
  ctx.user = &*creds;
  ctx.working_directory = dir.path();
  auto o = run_check("cmd:id -u > uid; id -g > gid", 5s, ctx);
  ASSERT_TRUE(o.verdict);
  EXPECT_TRUE(o.verdict->ok) << o.verdict->why;
  EXPECT_EQ(read_file(dir.file("uid")), std::to_string(creds->uid) + "\n");
  EXPECT_EQ(read_file(dir.file("gid")), std::to_string(creds->gid) + "\n");
  struct stat sb {};
  ASSERT_EQ(::stat(dir.file("uid").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_uid, creds->uid);
}

TEST_F(probe_test, cmd_that_cannot_start_fails_at_once) {
  probe_context ctx = context_with_path();
  ctx.working_directory = "/nonexistent/dir";
  auto p = probe::start(check("cmd:true"), ctx, 5s);
  ASSERT_TRUE(p) << p.err().message();
  EXPECT_TRUE(p->done());
  EXPECT_EQ(p->fd(), -1);
  ASSERT_TRUE(p->deadline());
  EXPECT_LE(*p->deadline(), steady::now());
  auto v = p->advance();
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->why, "cannot change directory to /nonexistent/dir: No such file or directory");
  EXPECT_FALSE(p->deadline());
}

TEST_F(probe_test, cmd_reaped_by_someone_else_fails_with_status_unknown) {
  auto p = probe::start(check("cmd:exit 0"), context_with_path(), 5s);
  ASSERT_TRUE(p) << p.err().message();
  const pid_t sh = p->child_pid();
  ASSERT_GT(sh, 1);
  // The monitor's catch-all reaper, had it not been told to leave sh alone.
  int status = 0;
  ASSERT_EQ(::waitpid(sh, &status, 0), sh);
  auto o = drive(*p);
  ASSERT_TRUE(o.verdict);
  EXPECT_FALSE(o.verdict->ok);
  EXPECT_EQ(o.verdict->why, "exited (status unknown)");
  EXPECT_EQ(p->child_pid(), 0);
}

TEST_F(probe_test, cancel_kills_a_running_command) {
  auto p = probe::start(check("cmd:exec sleep 100"), context_with_path(), 60s);
  ASSERT_TRUE(p) << p.err().message();
  const pid_t sh = p->child_pid();
  ASSERT_GT(sh, 1);
  fd_guard pidfd(open_pidfd(sh));
  ASSERT_TRUE(pidfd.valid());
  expect_cancel_kills_and_reaps(*p, pidfd.get());
}

TEST_F(probe_test, destroying_a_probe_kills_its_command) {
  fd_guard pidfd;
  {
    auto p = probe::start(check("cmd:exec sleep 100"), context_with_path(), 60s);
    ASSERT_TRUE(p) << p.err().message();
    pidfd.reset(open_pidfd(p->child_pid()));
    ASSERT_TRUE(pidfd.valid());
    probe moved = std::move(*p);
    EXPECT_EQ(p->child_pid(), 0);  // NOLINT(bugprone-use-after-move): a moved-from probe is empty
    EXPECT_GT(moved.child_pid(), 1);
  }
  EXPECT_TRUE(wait_exit(pidfd.get(), 5s));
}

// --- the probe's own contract ---

TEST_F(probe_test, rejects_specs_parse_check_would_not_give) {
  check_spec bad{check_spec::kind::http, "h", 80, "/a b", {}};
  auto p = probe::start(bad, {}, 1s);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.err().code, daemonkit::errc::invalid_argument);
  auto zero = probe::start(check("tcp:80"), {}, 0ms);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.err().code, daemonkit::errc::invalid_argument);
}

TEST_F(probe_test, the_deadline_is_the_timeout_while_a_try_runs) {
  auto l = listen_on("127.0.0.1");
  ASSERT_TRUE(l);
  const auto before = steady::now();
  auto p = probe::start(check("http://127.0.0.1:" + std::to_string(l->port) + "/"), {}, 2s);
  ASSERT_TRUE(p) << p.err().message();
  ASSERT_TRUE(p->deadline());
  EXPECT_GE(*p->deadline(), before + 2s);
  EXPECT_LE(*p->deadline(), steady::now() + 2s);
  EXPECT_GE(p->fd(), 0);
  EXPECT_FALSE(p->done());
  EXPECT_EQ(p->child_pid(), 0);
}

}  // namespace
