#include "daemonkit/daemon.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <poll.h>

#include "daemonkit/control.hpp"
#include "daemonkit/notify.hpp"

namespace daemonkit {

namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;
pidfile* g_pidfile = nullptr;  // released by atexit() if the daemon calls exit()

// The only work a handler does: set a flag. The daemon's code acts on it.
extern "C" void on_signal(int sig) {
  if (sig == SIGHUP) g_reload = 1;
  else g_stop = 1;
}

extern "C" void release_at_exit() {
  if (g_pidfile != nullptr) g_pidfile->release();
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  static bool registered = false;
  if (!registered) {
    std::atexit(release_at_exit);
    registered = true;
  }
}

sigset_t control_signals() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&s, sig);
  return s;
}

std::string basename_of(const char* argv0) {
  std::string s = argv0 != nullptr ? argv0 : "daemon";
  auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
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
  g_stop = 0;
  g_reload = 0;
  install_handlers();
  try {
    setup();
  } catch (const std::exception& e) {
    if (d != nullptr) d->fail(e.what());
    else complain(e.what());
    return 1;
  }
  if (d != nullptr) {
    (void)d->ready();
  } else {
    (void)notify_ready();
  }
  int code = 0;
  try {
    run();
  } catch (const std::exception& e) {
    complain(e.what());
    code = 1;
  }
  (void)notify_stopping();
  std::fflush(nullptr);
  held_.release();
  return code;
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

bool Daemon::stop_requested() const noexcept { return g_stop != 0; }
void Daemon::request_stop() noexcept { g_stop = 1; }

bool Daemon::wait_for(std::chrono::milliseconds d) {
  using clock = std::chrono::steady_clock;
  const auto until = clock::now() + d;
  const sigset_t ctl = control_signals();
  for (;;) {
    // Block the control signals only while checking the flags; ppoll then
    // unblocks them atomically for the wait, so a signal that arrives between
    // the check and the wait still interrupts it (no lost wakeup), and the
    // mask is empty whenever the daemon is not inside this function.
    sigset_t old;
    ::sigprocmask(SIG_BLOCK, &ctl, &old);
    if (g_reload != 0) {
      g_reload = 0;
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      (void)notify_reloading();
      on_reload();
      (void)notify("READY=1");
      continue;
    }
    if (g_stop != 0) {
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      return true;
    }
    auto left = until - clock::now();
    if (left <= clock::duration::zero()) {
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      return false;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    struct timespec ts {
      static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)
    };
    ::ppoll(nullptr, 0, &ts, &old);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
  }
}

}  // namespace daemonkit
