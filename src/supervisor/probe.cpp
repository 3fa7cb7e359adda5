// SPDX-License-Identifier: MIT
#include "supervisor/probe.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
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

enum class phase { connecting, sending, receiving, running, killing, done };

struct address {
  sockaddr_storage sa{};
  socklen_t len = 0;
};

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

  // cmd
  process child;     // sh, while ours and unreaped
  unique_fd output;  // the read end of its stdout/stderr pipe, non-blocking
  unique_fd watch;   // epoll over child's pidfd and output
  std::string tail;  // its last k_output_keep bytes of output
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

  void resolve() {
    const std::string port = std::to_string(spec.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    // A numeric host never reaches a resolver; parse_check made sure an
    // all-digit host is an address, so only names take the second lookup.
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    int rc = ::getaddrinfo(spec.host.c_str(), port.c_str(), &hints, &res);
    if (rc == EAI_NONAME) {
      hints.ai_flags = AI_NUMERICSERV;
      rc = ::getaddrinfo(spec.host.c_str(), port.c_str(), &hints, &res);
    }
    if (rc != 0) {
      finish(false, "cannot resolve " + quoted(spec.host) + ": " +
                        (rc == EAI_SYSTEM ? sys::errno_text(errno) : std::string(::gai_strerror(rc))));
      return;
    }
    for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
      address a;
      std::memcpy(&a.sa, ai->ai_addr, ai->ai_addrlen);
      a.len = ai->ai_addrlen;
      addrs.push_back(a);
    }
    ::freeaddrinfo(res);
    if (addrs.empty()) finish(false, "cannot resolve " + quoted(spec.host) + ": no address");
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

  // --- cmd ---

  void run_command(const probe_context& ctx) {
    watch.reset(sys::epoll_create());
    if (!watch) return finish(false, "cannot create an epoll instance: " + sys::errno_text(errno));
    int fds[2];
    if (sys::pipe(fds) != 0) return finish(false, "cannot create the output pipe: " + sys::errno_text(errno));
    output.reset(fds[0]);
    unique_fd wr(fds[1]);
    // Only our end is non-blocking: the command's writes block as usual.
    ::fcntl(output.get(), F_SETFL, O_NONBLOCK);

    spawn_options so;
    so.argv = {"/bin/sh", "-c", spec.command};
    so.env = ctx.env;
    so.working_directory = ctx.working_directory;
    if (ctx.user != nullptr) {
      so.change_identity = true;
      so.identity = *ctx.user;
    }
    so.new_session = true;  // its own session: every process it starts can be found and killed
    so.stdout_fd = wr.get();
    so.stderr_fd = wr.get();
    auto p = spawn(so);
    wr.reset();  // the child's copies are the only writers left: EOF when they are gone
    if (!p) return finish(false, p.err().message());
    child = std::move(*p);

    epoll_event ev{};
    ev.events = EPOLLIN;
    if (::epoll_ctl(watch.get(), EPOLL_CTL_ADD, child.pidfd(), &ev) != 0 ||
        ::epoll_ctl(watch.get(), EPOLL_CTL_ADD, output.get(), &ev) != 0) {
      int err = errno;
      end_command(k_cancel_wait);
      return finish(false, "cannot watch the command: " + sys::errno_text(err));
    }
    ph = phase::running;
  }

  // Reads what the command wrote, keeping the end. A bounded number of reads
  // per call, so a command that writes without pause cannot hold the loop.
  void drain_output() {
    for (int i = 0; i < 64 && output; ++i) {
      char buf[4096];
      ssize_t n = sys::read(output.get(), buf, sizeof buf);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n <= 0) {
        output.reset();  // EOF (or a broken pipe): closing it takes it out of the epoll set
        return;
      }
      tail.append(buf, static_cast<std::size_t>(n));
      if (tail.size() > 2 * k_output_keep) tail.erase(0, tail.size() - k_output_keep);
    }
  }

  // sh has exited (or was killed at the timeout and has now died): kill what
  // is left of its session, reap it, give the verdict.
  void command_exited(bool timed_out) {
    auto exited = peek_exit(child);
    if (exited && !*exited) return;  // still running: a wake-up for output only
    std::string timed_out_why = "timed out after " + duration_text(timeout);
    if (!exited) {
      // Reaped by someone else: its pid may be anyone's now, so its session
      // cannot be told apart from a stranger's. Leave it.
      child = process();
      drain_output();
      return finish(false, (timed_out ? timed_out_why : "exited (status unknown)") + last_line_of(tail));
    }
    kill_session_members(child.pid());
    drain_output();
    auto st = child.try_reap();
    child = process();
    if (timed_out) return finish(false, timed_out_why + last_line_of(tail));
    if (!st || !*st) return finish(false, "exited (status unknown)" + last_line_of(tail));
    const exit_status& es = **st;
    finish(es.success(), es.describe() + (es.success() ? std::string() : last_line_of(tail)));
  }

  // SIGKILLs sh, then the rest of its session. sh first, so that it has no
  // time to report ("Killed") the death of a child it waits for. Its
  // children move to us as it dies: a sweep that misses one on its way is
  // followed by another once sh has exited (command_exited).
  void kill_command() {
    if (!child.valid()) return;
    if (auto e = peek_exit(child); !e) return;  // not ours any more
    (void)child.signal(SIGKILL);
    kill_session_members(child.pid());
  }

  // Kills the command and reaps it if it dies within `wait`; otherwise it is
  // left to the caller's reaper.
  void end_command(milliseconds wait) {
    if (!child.valid()) return;
    kill_command();
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
      case phase::running:
        drain_output();
        command_exited(false);
        break;
      case phase::killing:
        drain_output();
        command_exited(true);
        break;
      case phase::done: break;
    }
    if (verdict || clock::now() < current_deadline()) return;
    switch (ph) {
      case phase::connecting: return finish(false, "timed out after " + duration_text(timeout));
      case phase::sending:
      case phase::receiving:
        return finish(false, "timed out after " + duration_text(timeout) + " waiting for the HTTP response");
      case phase::running:
        kill_command();
        ph = phase::killing;
        kill_due = clock::now() + k_kill_grace;
        return;
      case phase::killing:
        // It did not die: give the verdict; the caller's reaper gets it.
        child = process();
        return finish(false, "timed out after " + duration_text(timeout) + " (and did not die when killed)");
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
      if (!s->verdict) s->connect_next();
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
    s_->end_command(k_cancel_wait);
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
