// SPDX-License-Identifier: MIT
#include "daemonkit/daemon.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <poll.h>

#include "daemonkit/control.hpp"
#include "daemonkit/notify.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

// Set by the handlers, read by the daemon's code in any thread: lock-free
// atomics are the one shared state a signal handler may touch.
std::atomic<int> g_stop{0};
std::atomic<int> g_reload{0};
// The eventfd the handlers wake; -1 when no Daemon is serving.
std::atomic<int> g_events_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);
pidfile* g_pidfile = nullptr;  // released by atexit() if the daemon calls exit()

// Internal linkage, C++ language linkage: a user's own `on_signal` or
// `release_at_exit` (of either linkage) is another function. An extern "C"
// function keeps its global symbol even in an unnamed namespace with g++, so
// a program defining the same name failed to link against the static library
// and silently replaced this handler with the shared one.
//
// The only work a handler does: set a flag and wake events_fd(). The daemon's
// code acts on it.
void on_control_signal(int sig) {
  if (sig == SIGHUP) g_reload.store(1);
  else g_stop.store(1);
  const int fd = g_events_fd.load();
  if (fd >= 0) sys::eventfd_wake(fd);
}

void release_pidfile_at_exit() {
  if (g_pidfile != nullptr) g_pidfile->release();
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_control_signal;
  sigemptyset(&sa.sa_mask);
  // A stop interrupts blocking calls (EINTR), so `while (!stop_requested())
  // accept(...)` wakes up; a reload does not (SA_RESTART), so it never breaks
  // a blocking write or read the program did not expect to fail.
  sa.sa_flags = 0;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  sa.sa_flags = SA_RESTART;
  ::sigaction(SIGHUP, &sa, nullptr);
  static bool registered = false;
  if (!registered) {
    std::atexit(release_pidfile_at_exit);
    registered = true;
  }
}

std::string basename_of(const char* argv0) {
  std::string s = argv0 != nullptr ? argv0 : "daemon";
  auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// The message of the exception being handled.
std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

Daemon::Daemon(std::string pidfile_path, std::string stdin_path, std::string stdout_path, std::string stderr_path) {
  options_.pidfile = std::move(pidfile_path);
  options_.stdin_path = std::move(stdin_path);
  options_.stdout_path = std::move(stdout_path);
  options_.stderr_path = std::move(stderr_path);
}

Daemon::~Daemon() {
  if (g_pidfile == &held_) g_pidfile = nullptr;
  // A handler that loaded the fd before serve() cleared it wrote to it long
  // before now: events_ outlives serve() for exactly that reason.
  if (events_ && g_events_fd.load() == events_.get()) g_events_fd.store(-1);
}

void Daemon::say(const std::string& text) const { std::printf("%s: %s\n", name_.c_str(), text.c_str()); }
void Daemon::complain(const std::string& text) const { std::fprintf(stderr, "%s: %s\n", name_.c_str(), text.c_str()); }

int Daemon::main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape): see daemon.hpp
  if (name_.empty()) name_ = basename_of(argc > 0 ? argv[0] : nullptr);
  auto usage = [&] {
    std::fprintf(stderr, "Usage: %s {start|stop|restart|status|reload|run}\n", name_.c_str());
    return 2;
  };
  if (argc != 2) return usage();
  std::string cmd = argv[1];
  if (cmd == "start") return start();
  if (cmd == "stop") return stop();
  if (cmd == "restart") return restart();
  if (cmd == "status") return status();
  if (cmd == "reload") return reload();
  if (cmd == "run") return run_foreground();
  if (cmd == "-h" || cmd == "--help") {
    std::printf("Usage: %s {start|stop|restart|status|reload|run}\n", name_.c_str());
    return 0;
  }
  std::fprintf(stderr, "%s: Unknown command '%s'\n", name_.c_str(), cmd.c_str());
  usage();
  return 2;
}

int Daemon::start() {
  if (name_.empty()) name_ = "daemon";
  auto d = daemonize(options_);
  if (!d) {
    complain(d.err().message());
    return 1;
  }
  if (d->is_daemon()) {
    held_ = std::move(d->held_pidfile());
    return serve(&*d);
  }
  auto pid = d->wait_ready();
  if (!pid) {
    if (pid.err().code == errc::timed_out) {
      // A daemon that never became ready is a failed start: do not leave it behind.
      const auto& proc = d->daemon_process();
      for (const auto& step : stop_.steps) {
        (void)proc.signal(step.signal);
        auto gone = proc.wait_exit(step.wait);
        if (gone && *gone) {
          // Killed, it could not remove its pidfile.
          if (!options_.pidfile.empty()) remove_stale_pidfile(options_.pidfile, proc.pid());
          break;
        }
      }
    }
    complain(pid.err().message());
    return 1;
  }
  say("started (pid " + std::to_string(*pid) + ")");
  return 0;
}

int Daemon::serve(daemonized* d) {
  g_pidfile = held_.owned() ? &held_ : nullptr;
  g_stop.store(0);
  g_reload.store(0);
  launch_ = d;
  ready_reported_ = false;
  reload_failed_ = false;
  // Whatever way serve() ends, the handlers stop waking events_ (which stays
  // open until the destructor, see there) and the handshake is forgotten.
  struct end_of_serving {
    Daemon& self;
    ~end_of_serving() {
      g_events_fd.store(-1);
      self.launch_ = nullptr;
    }
  } serving{*this};
  // Before readiness, a failure is start's answer; in `run`, a message.
  auto fail_start = [&](const std::string& why) {
    if (d != nullptr) d->fail(why);
    else complain(why);
  };
  events_.reset(sys::eventfd());
  if (!events_) {
    fail_start("cannot create the events fd: " + sys::errno_text(errno));
    return 1;
  }
  g_events_fd.store(events_.get());
  install_handlers();
  try {
    setup();
  } catch (const std::exception& e) {
    fail_start(e.what());
    return 1;
  }
  if (readiness_ == ready_policy::after_setup) report_ready();
  int code = 0;
  try {
    run();
  } catch (const std::exception& e) {
    if (ready_reported_) complain(e.what());
    else fail_start(e.what());
    code = 1;
  }
  if (!ready_reported_ && code == 0) {
    // A late start that never got ready failed, unless it was told to stop
    // (then only start's launcher has something to say).
    if (!stop_requested()) {
      fail_start("run() returned before reporting ready");
      code = 1;
    } else if (d != nullptr) {
      d->fail("stopped before it was ready");
    }
  }
  (void)notify_stopping();
  std::fflush(nullptr);
  held_.release();
  return code;
}

void Daemon::report_ready() {
  if (ready_reported_) return;
  ready_reported_ = true;
  if (launch_ != nullptr) (void)launch_->ready();
  else (void)notify_ready();
}

int Daemon::run_foreground() {
  if (name_.empty()) name_ = "daemon";
  if (!options_.pidfile.empty()) {
    auto pf = pidfile::acquire(options_.pidfile);
    if (!pf) {
      complain(pf.err().message());
      return 1;
    }
    held_ = std::move(*pf);
  }
  return serve(nullptr);
}

int Daemon::stop() {
  auto r = daemonkit::stop(options_.pidfile, stop_);
  if (!r) {
    complain("cannot stop: " + r.err().message());
    return 1;
  }
  if (!r->was_running) {
    auto s = query_status(options_.pidfile);
    say(s.status == lsb_status::dead_pidfile_exists ? "not running (" + s.message + ")" : "not running");
  } else say("stopped (pid " + std::to_string(r->pid) + ")");
  return 0;
}

int Daemon::restart() {
  if (int rc = stop(); rc != 0) return rc;
  return start();
}

int Daemon::status() {
  auto s = query_status(options_.pidfile);
  if (s.status == lsb_status::unknown) complain("cannot tell status: " + s.message);
  else say(s.message);
  return static_cast<int>(s.status);
}

int Daemon::reload() {
  auto r = send_signal(options_.pidfile, SIGHUP);
  if (!r) {
    if (r.err().code == errc::not_running) {
      complain("not running");
      return 7;
    }
    complain("cannot reload: " + r.err().message());
    return 1;
  }
  say("reloading (pid " + std::to_string(*r) + ")");
  return 0;
}

bool Daemon::stop_requested() const noexcept { return g_stop.load() != 0; }

void Daemon::request_stop() noexcept {
  g_stop.store(1);
  const int fd = g_events_fd.load();
  if (fd >= 0) sys::eventfd_wake(fd);
}

bool Daemon::handle_events() {
  // Drained first, the flags read after: a request arriving in between
  // leaves the fd readable for the next poll, so none is lost.
  if (events_) sys::eventfd_drain(events_.get());
  if (stop_requested()) return false;
  if (g_reload.exchange(0) != 0) reload_now();
  return !stop_requested();
}

void Daemon::reload_now() {
  // RELOADING=1 ... READY=1 only once ready: a READY=1 from a reload during
  // a late start would tell the supervisor the daemon was ready.
  if (ready_reported_) (void)notify_reloading();
  std::string failure;
  try {
    on_reload();
  } catch (...) {
    failure = "reload failed: " + current_exception_text();
  }
  // One line each, in the log and on the notify socket (where a newline
  // would start another assignment).
  for (char& c : failure) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::string state;
  if (!failure.empty()) {
    complain(failure);
    state = "STATUS=" + failure;
  } else if (reload_failed_) {
    state = "STATUS=";  // the failure of the reload before is over
  }
  reload_failed_ = !failure.empty();
  if (ready_reported_) state += state.empty() ? "READY=1" : "\nREADY=1";
  if (!state.empty()) (void)notify(state);
}

bool Daemon::wait_for(std::chrono::milliseconds d) {
  // Beyond a century is "forever" (and would overflow the clock arithmetic).
  const auto until = d > std::chrono::hours(24 * 365 * 100) ? sys::deadline::never() : sys::deadline::after(d);
  for (;;) {
    if (!handle_events()) return true;
    if (until.passed()) return false;
    // Without events_ (not serving) this only waits out the time. A poll
    // error (ENOMEM) goes round again: bounded by the deadline.
    pollfd p{events_.get(), POLLIN, 0};
    (void)sys::poll(&p, 1, until);
  }
}

}  // namespace daemonkit
