// SPDX-License-Identifier: MIT
#include "supervisor/probe.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemonkit/detail/proc.hpp"
#include "daemonkit/exit_status.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/spawn.hpp"
#include "daemonkit/text_escape.hpp"
#include "daemonkit/unique_fd.hpp"
#include "daemonkit/units.hpp"
#include "supervisor/probe_support.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor {

using namespace probe_support;

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long a SIGKILLed check command may take to die before the verdict is
// given without it (a process in uninterruptible sleep cannot be hurried).
constexpr milliseconds k_kill_grace{1000};
// How long cancel() waits for it: cancel runs on the loop's stop path.
constexpr milliseconds k_cancel_wait{100};
constexpr std::size_t k_status_line_max = 1024;  // a longer first line is not HTTP
constexpr std::size_t k_output_keep = 4096;      // the command's last output bytes kept
constexpr std::size_t k_ahosts_keep = 65536;     // getent's first output bytes kept (over a thousand addresses)

// getent from libc-bin (Essential on Debian), by absolute path: the caller's
// PATH is not trusted, and a usrmerged system has both.
constexpr std::array<const char*, 2> k_getent = {"/usr/bin/getent", "/bin/getent"};
constexpr int k_getent_not_found = 2;  // getent's exit status for a key it cannot find

// resolving: getent runs (tcp, http with a name); running: sh runs (cmd);
// killing: either was SIGKILLed at the timeout and is dying.
enum class phase { resolving, connecting, sending, receiving, running, killing, done };

}  // namespace

struct probe::state {
  check_spec spec;
  milliseconds timeout{};
  clock::time_point due;  // the try's deadline
  phase ph = phase::connecting;
  std::optional<probe_result> verdict;
  clock::time_point verdict_at;
  bool delivered = false;

  // tcp, http
  std::vector<address> addrs;
  std::size_t next_addr = 0;
  int last_err = ECONNREFUSED;
  unique_fd sock;
  std::string request;
  std::size_t sent = 0;
  std::string response;

  // cmd, and tcp/http while a name is resolved
  process child;     // sh or getent, while ours and unreaped
  unique_fd output;  // the read end of its stdout/stderr pipe, non-blocking
  unique_fd watch;   // epoll over child's pidfd and output
  // What it wrote: sh's last k_output_keep bytes, getent's first k_ahosts_keep.
  std::string out;
  clock::time_point kill_due;

  void finish(bool ok, std::string why) {
    verdict = probe_result{ok, std::move(why)};
    verdict_at = clock::now();
    ph = phase::done;
    sock.reset();
    watch.reset();
    output.reset();
  }

  // --- tcp and http ---

  // A numeric host is parsed here; a name is resolved by getent (its own
  // process, so the loop is never blocked and no NSS module is loaded into
  // this one); resolver_ended() goes on from its answer.
  void resolve() {
    if (is_numeric_host(spec.host)) {
      auto a = parse_numeric_host(spec.host, spec.port);
      if (!a)
        return finish(false, "cannot resolve " + quoted(spec.host) + ": " + sys::errno_text(a.err().code.value()));
      addrs.push_back(*a);
      return connect_next();
    }
    if (is_loopback_name(spec.host)) {
      // RFC 6761: localhost is the loopback, whatever a resolver would say;
      // and getent asks with AI_ADDRCONFIG, which drops ::1 on a machine
      // whose only IPv6 address is ::1. Both, as a resolver without that
      // flag gave them: a service may listen on either.
      for (const char* loopback : {"127.0.0.1", "::1"}) {
        if (auto a = parse_numeric_host(loopback, spec.port)) addrs.push_back(*a);
      }
      return connect_next();
    }
    spawn_options so;
    // "--": a host may begin with '-'.
    so.argv = {"", "ahosts", "--", spec.host};
    so.env = {"PATH=/usr/bin:/bin"};
    auto started = start_child(std::move(so), {k_getent.begin(), k_getent.end()});
    if (!started) {
      const error& e = started.err();
      const spawn_failure f = spawn_failure_of(e);
      return finish(false,
                    "cannot resolve " + quoted(spec.host) + ": " +
                        (f.stage == spawn_stage::none ? e.message() : "cannot run getent: " + sys::errno_text(f.err)));
    }
    ph = phase::resolving;
  }

  // getent is over: connect to what it found.
  void resolver_ended(const std::optional<exit_status>& st) {
    watch.reset();
    output.reset();
    const std::string cannot = "cannot resolve " + quoted(spec.host) + ": ";
    if (!st) return finish(false, cannot + "getent exited (status unknown)");
    if (!st->signaled && st->code == k_getent_not_found) return finish(false, cannot + "Name or service not known");
    if (!st->success()) return finish(false, cannot + "getent " + st->describe() + last_line_of(out));
    addrs = parse_ahosts(out, spec.port);
    if (addrs.empty()) return finish(false, cannot + "no address");
    connect_next();
  }

  // Starts connecting to the next address; fails the try when none is left.
  void connect_next() {
    while (next_addr < addrs.size()) {
      const address& a = addrs[next_addr++];
      unique_fd fd(sys::socket(a.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0));
      if (!fd) {
        last_err = errno;
        continue;
      }
      // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
      int r = sys::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.sa), a.len);
      if (r == 0 || errno == EINPROGRESS) {
        sock = std::move(fd);
        ph = phase::connecting;
        if (r == 0) connected();
        return;
      }
      last_err = errno;
    }
    finish(false, errno_why(last_err));
  }

  void connected() {
    if (spec.what == check_spec::kind::tcp) return finish(true, "connected");
    ph = phase::sending;
    send_some();
  }

  void send_some() {
    while (sent < request.size()) {
      ssize_t n = sys::send(sock.get(), request.data() + sent, request.size() - sent);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        return finish(false, errno_why(errno));
      }
      sent += static_cast<std::size_t>(n);
    }
    ph = phase::receiving;
    receive_some();
  }

  void receive_some() {
    char buf[512];
    for (;;) {
      std::size_t room = std::min(sizeof buf, k_status_line_max - response.size());
      ssize_t n = sys::read(sock.get(), buf, room);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        return finish(false, errno_why(errno));
      }
      if (n == 0) return judge_status_line(true);
      response.append(buf, static_cast<std::size_t>(n));
      if (response.find('\n') != std::string::npos || response.size() >= k_status_line_max) {
        return judge_status_line(false);
      }
    }
  }

  // "HTTP/1.1 200 OK": 2xx is healthy, anything else is not.
  void judge_status_line(bool eof) {
    std::string_view line(response);
    line = line.substr(0, line.find('\n'));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (eof && response.empty()) return finish(false, "connection closed without an HTTP response");
    auto not_http = [&] { finish(false, "not an HTTP response: " + quoted(line.substr(0, 40))); };
    if (line.substr(0, 5) != "HTTP/") return not_http();
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos || sp == 5) return not_http();
    for (char c : line.substr(5, sp - 5)) {
      if ((c < '0' || c > '9') && c != '.') return not_http();
    }
    std::string_view code = line.substr(sp + 1, 3);
    if (code.size() != 3 || (line.size() > sp + 4 && line[sp + 4] != ' ')) return not_http();
    for (char c : code) {
      if (c < '0' || c > '9') return not_http();
    }
    finish(code[0] == '2', "HTTP " + std::string(code));
  }

  // --- a child: cmd's sh, or getent resolving a name ---

  // Starts the child (sh, getent) as `so` says, in a session of its own (so
  // that the timeout's kill finds all it started), stdout and stderr into
  // `output`, watched by `watch`. `programs`: its argv[0], tried in turn
  // while exec finds none there; empty: so.argv[0] as it is. spawn's own
  // error when it cannot be started (spawn_failure_of tells which step).
  result<void> start_child(spawn_options so, const std::vector<const char*>& programs = {}) {
    out.clear();
    watch.reset(sys::epoll_create());
    if (!watch) return system_error("cannot create an epoll instance");
    int fds[2];
    if (sys::pipe(fds) != 0) return system_error("cannot create the output pipe");
    output.reset(fds[0]);
    unique_fd wr(fds[1]);
    // Only our end is non-blocking: the child's writes block as usual.
    ::fcntl(output.get(), F_SETFL, O_NONBLOCK);

    so.new_session = true;
    so.stdout_fd = wr.get();
    so.stderr_fd = wr.get();
    result<process> p = error{};
    for (std::size_t i = 0; i == 0 || i < programs.size(); ++i) {
      if (i < programs.size()) so.argv[0] = programs[i];
      p = spawn(so);
      const spawn_failure f = p ? spawn_failure{} : spawn_failure_of(p.err());
      if (p || f.stage != spawn_stage::exec || f.err != ENOENT) break;
    }
    wr.reset();  // the child's copies are the only writers left: EOF when they are gone
    if (!p) return std::move(p).err();
    child = std::move(*p);

    epoll_event ev{};
    ev.events = EPOLLIN;
    if (::epoll_ctl(watch.get(), EPOLL_CTL_ADD, child.pidfd(), &ev) != 0 ||
        ::epoll_ctl(watch.get(), EPOLL_CTL_ADD, output.get(), &ev) != 0) {
      int err = errno;
      end_child(k_cancel_wait);
      return system_error("cannot watch " + so.argv[0], err);
    }
    return {};
  }

  void run_command(const probe_context& ctx) {
    spawn_options so;
    so.argv = {"/bin/sh", "-c", spec.command};
    so.env = ctx.env;
    so.working_directory = ctx.working_directory;
    if (ctx.user != nullptr) {
      so.change_identity = true;
      so.identity = *ctx.user;
    }
    if (auto r = start_child(std::move(so)); !r) return finish(false, r.err().message());
    ph = phase::running;
  }

  // Reads what the child wrote, keeping the end of sh's output and the
  // start of getent's. A bounded number of reads per call, so a child that
  // writes without pause cannot hold the loop.
  void drain_output() {
    const bool keep_start = spec.what != check_spec::kind::cmd;
    for (int i = 0; i < 64 && output; ++i) {
      char buf[4096];
      ssize_t n = sys::read(output.get(), buf, sizeof buf);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        output.reset();  // EOF (or a broken pipe): closing it takes it out of the epoll set
        return;
      }
      const auto got = static_cast<std::size_t>(n);
      if (keep_start) {
        out.append(buf, std::min(got, k_ahosts_keep - std::min(out.size(), k_ahosts_keep)));
      } else {
        out.append(buf, got);
        if (out.size() > 2 * k_output_keep) out.erase(0, out.size() - k_output_keep);
      }
    }
  }

  // Once the child has exited (or was killed at the timeout and has now
  // died): kills what is left of its session, reaps it, and gives its exit
  // to the verdict of its kind. Nothing while it runs (a wake-up for output).
  void child_maybe_exited(bool timed_out) {
    auto exited = peek_exit(child);
    if (exited && !*exited) return;
    std::optional<exit_status> status;
    if (!exited) {
      // Reaped by someone else: its pid may be anyone's now, so its session
      // cannot be told apart from a stranger's. Leave it.
      child = process();
      drain_output();
    } else {
      kill_session_members(child.pid());
      drain_output();
      auto st = child.try_reap();
      child = process();
      if (st && *st) status = **st;
    }
    if (timed_out) return finish(false, timed_out_why());
    if (spec.what == check_spec::kind::cmd) return command_ended(status);
    resolver_ended(status);
  }

  void command_ended(const std::optional<exit_status>& st) {
    if (!st) return finish(false, "exited (status unknown)" + last_line_of(out));
    finish(st->success(), st->describe() + (st->success() ? std::string() : last_line_of(out)));
  }

  // "timed out after 5s" with the name getent was resolving, or sh's last
  // line of output when asked for.
  std::string timed_out_why(bool last_line = true) const {
    const std::string why = "timed out after " + duration_text(timeout);
    if (spec.what != check_spec::kind::cmd) return why + " resolving " + quoted(spec.host);
    return last_line ? why + last_line_of(out) : why;
  }

  // SIGKILLs the child, then the rest of its session. The child first, so
  // that sh has no time to report ("Killed") the death of a child it waits
  // for. Its children move to us as it dies: a sweep that misses one on its
  // way is followed by another once it has exited (child_maybe_exited).
  void kill_child() {
    if (!child.valid()) return;
    if (auto e = peek_exit(child); !e) return;  // not ours any more
    (void)child.signal(SIGKILL);
    kill_session_members(child.pid());
  }

  // Kills the child and reaps it if it dies within `wait`; otherwise it is
  // left to the caller's reaper.
  void end_child(milliseconds wait) {
    if (!child.valid()) return;
    kill_child();
    if (auto e = peek_exit(child); e) {
      (void)child.wait_exit(wait);
      kill_session_members(child.pid());
      (void)child.try_reap();
    }
    child = process();
  }

  // --- the try as a whole ---

  clock::time_point current_deadline() const { return ph == phase::killing ? kill_due : due; }

  void step() {
    switch (ph) {
      case phase::connecting:
        if (ready_now(sock.get(), POLLOUT)) {
          if (int err = socket_error(sock.get()); err != 0) {
            last_err = err;
            sock.reset();
            connect_next();
          } else {
            connected();
          }
        }
        break;
      case phase::sending: send_some(); break;
      case phase::receiving: receive_some(); break;
      case phase::resolving:
      case phase::running:
        drain_output();
        child_maybe_exited(false);
        break;
      case phase::killing:
        drain_output();
        child_maybe_exited(true);
        break;
      case phase::done: break;
    }
    if (verdict || clock::now() < current_deadline()) return;
    switch (ph) {
      case phase::connecting: return finish(false, "timed out after " + duration_text(timeout));
      case phase::sending:
      case phase::receiving:
        return finish(false, "timed out after " + duration_text(timeout) + " waiting for the HTTP response");
      case phase::resolving:
      case phase::running:
        kill_child();
        ph = phase::killing;
        kill_due = clock::now() + k_kill_grace;
        return;
      case phase::killing:
        // It did not die: give the verdict; the caller's reaper gets it.
        child = process();
        return finish(false, timed_out_why(false) + " (and did not die when killed)");
      case phase::done: return;
    }
  }
};

probe::probe(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
probe::probe(probe&&) noexcept = default;
probe& probe::operator=(probe&& o) noexcept {
  if (this != &o) {
    cancel();
    s_ = std::move(o.s_);
  }
  return *this;
}
probe::~probe() { cancel(); }

result<probe> probe::start(const check_spec& spec, const probe_context& ctx, milliseconds timeout) {
  if (timeout <= milliseconds::zero()) {
    return make_error(errc::invalid_argument, "invalid check timeout " + std::to_string(timeout.count()) + "ms");
  }
  // Exactly the specs parse_check gives: a host without ':' outside
  // brackets, a path with no space or CR LF to smuggle into the request...
  if (auto again = parse_check(to_string(spec)); !again || *again != spec) {
    return make_error(errc::invalid_argument, "invalid check " + quoted(to_string(spec)));
  }
  auto s = std::make_unique<state>();
  s->spec = spec;
  s->timeout = timeout;
  s->due = clock::now() + timeout;
  switch (spec.what) {
    case check_spec::kind::tcp:
    case check_spec::kind::http: {
      if (spec.what == check_spec::kind::http) {
        std::string host = spec.host.substr(0, spec.host.find('%'));  // a zone means nothing to the server
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        if (spec.port != 80) host += ":" + std::to_string(spec.port);
        s->request = "GET " + spec.path + " HTTP/1.1\r\nHost: " + host +
                     "\r\nUser-Agent: daemonkit\r\nAccept: */*\r\nConnection: close\r\n\r\n";
      }
      s->resolve();
      break;
    }
    case check_spec::kind::cmd: s->run_command(ctx); break;
  }
  return probe(std::move(s));
}

int probe::fd() const noexcept {
  if (!s_ || s_->verdict) return -1;
  switch (s_->ph) {
    case phase::connecting:
    case phase::sending:
    case phase::receiving: return s_->sock.get();
    case phase::resolving:
    case phase::running:
    case phase::killing: return s_->watch.get();
    case phase::done: break;
  }
  return -1;
}

short probe::events() const noexcept {
  if (!s_ || s_->verdict) return 0;
  switch (s_->ph) {
    case phase::connecting:
    case phase::sending: return POLLOUT;
    case phase::receiving:
    case phase::resolving:
    case phase::running:
    case phase::killing: return POLLIN;
    case phase::done: break;
  }
  return 0;
}

std::optional<clock::time_point> probe::deadline() const noexcept {
  if (!s_) return std::nullopt;
  if (s_->verdict) return s_->delivered ? std::nullopt : std::optional<clock::time_point>(s_->verdict_at);
  return s_->current_deadline();
}

std::optional<probe_result> probe::advance() {
  if (!s_) return std::nullopt;
  if (!s_->verdict) s_->step();
  if (!s_->verdict) return std::nullopt;
  s_->delivered = true;
  return s_->verdict;
}

void probe::cancel() noexcept {
  if (!s_) return;
  try {
    s_->end_child(k_cancel_wait);
  } catch (...) {
    // Out of memory while walking /proc: sh is still SIGKILLed below.
    if (s_->child.valid()) (void)s_->child.signal(SIGKILL);
    s_->child = process();
  }
  if (!s_->verdict) s_->finish(false, "cancelled");
  s_->delivered = true;
  s_->sock.reset();
  s_->watch.reset();
  s_->output.reset();
}

pid_t probe::child_pid() const noexcept { return s_ && s_->child.valid() ? s_->child.pid() : 0; }

bool probe::done() const noexcept { return !s_ || s_->verdict.has_value(); }

}  // namespace daemonkit::supervisor
