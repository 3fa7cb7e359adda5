// Daemon: the base class of the classic recipe, done right.
//
//   class heartbeat : public daemonkit::Daemon {
//     using Daemon::Daemon;
//     void run() override {
//       while (!wait_for(std::chrono::seconds(5))) std::puts("Daemon Alive!");
//     }
//   };
//   int main(int argc, char** argv) {
//     heartbeat d("/tmp/daemon-example.pid", "/dev/null", "/tmp/daemon-example.log", "/tmp/daemon-example.log");
//     return d.main(argc, argv);
//   }
//
// main() dispatches start | stop | restart | status | reload | run with LSB
// exit codes. start daemonizes (daemonize.hpp), runs setup() in the daemon and
// returns 0 only once setup() succeeded; if setup() throws, start prints the
// daemon's message and returns 1. SIGTERM/SIGINT request a cooperative stop
// (wait_for() returns at once); SIGHUP calls on_reload(). The handlers only set
// flags: the work happens in the daemon's own code, never in a handler. The
// signal mask stays empty. The pidfile is removed on every exit path of the
// daemon that owns it (return from run(), an exception, exit()).
//
// This is the one class in daemonkit that throws (from setup()/run() back into
// itself) and prints (its commands talk to a human); the rest of the library
// returns result<T>.
#pragma once

#include <chrono>
#include <string>

#include "daemonkit/daemonize.hpp"
#include "daemonkit/stop_policy.hpp"

namespace daemonkit {

class Daemon {  // NOLINT(cppcoreguidelines-special-member-functions)
 public:
  explicit Daemon(std::string pidfile, std::string stdin_path = "/dev/null", std::string stdout_path = "/dev/null",
                  std::string stderr_path = "/dev/null");
  virtual ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Dispatches argv[1]. Exit codes: start/stop/restart/reload/run 0 on
  // success, 1 on failure (start of a running daemon included), 7 for reload
  // of a daemon that is not running; status 0 running, 1 dead with a stale
  // pidfile, 3 not running, 4 unknown; 2 for a missing or unknown command.
  // May throw what a subclass's setup()/run() throw beyond std::exception
  // (this is the throwing convenience layer).
  int main(int argc, char** argv);  // NOLINT(bugprone-exception-escape)

  int start();
  int stop();
  int restart();
  int status();
  int reload();
  int run_foreground();

  // Settings; change them before start().
  daemonize_options& options() noexcept { return options_; }
  stop_policy& stopping() noexcept { return stop_; }
  // The name used in messages (default: the program's basename).
  void set_name(std::string name) { name_ = std::move(name); }
  const std::string& name() const noexcept { return name_; }

 protected:
  // Runs in the daemon before readiness is reported; throw to fail start
  // (the exception's what() is what `start` prints).
  virtual void setup() {}
  // The daemon's work. Return (or throw) to exit.
  virtual void run() = 0;
  // Called (from wait_for) after SIGHUP.
  virtual void on_reload() {}

  // Waits up to d, returning early (true) when a stop was requested; calls
  // on_reload() for SIGHUPs that arrive meanwhile. False when d passed.
  bool wait_for(std::chrono::milliseconds d);
  bool stop_requested() const noexcept;
  void request_stop() noexcept;

 private:
  int serve(daemonized* d);  // common tail of start (in the daemon) and run
  void say(const std::string& text) const;
  void complain(const std::string& text) const;

  daemonize_options options_;
  stop_policy stop_;
  std::string name_;
  pidfile held_;
};

}  // namespace daemonkit
