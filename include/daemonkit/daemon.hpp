// SPDX-License-Identifier: MIT
/// \file
/// Daemon: the base class of the classic recipe, done right.
///
/// \code{.cpp}
/// class heartbeat : public daemonkit::Daemon {
///   using Daemon::Daemon;
///   void run() override {
///     while (!wait_for(std::chrono::seconds(5))) std::puts("Daemon Alive!");
///   }
/// };
/// int main(int argc, char** argv) {
///   heartbeat d("/tmp/daemon-example.pid", "/dev/null", "/tmp/daemon-example.log", "/tmp/daemon-example.log");
///   return d.main(argc, argv);
/// }
/// \endcode
///
/// main() dispatches start | stop | restart | status | reload | run with LSB
/// exit codes. start daemonizes (daemonize.hpp): the launching process waits
/// until the daemon is ready and returns 0 (1 with the daemon's message if it
/// failed first); the daemon runs setup(), reports ready, runs run() and then
/// returns from start() -- and so from main() -- too, with run()'s outcome.
/// Code after `return d.main(argc, argv)` (destructors of main's locals, static
/// destructors, atexit handlers) therefore runs in both processes.
///
/// Readiness is reported when setup() returns (ready_policy::after_setup), or,
/// with set_readiness(ready_policy::when_reported), when setup() or run()
/// calls report_ready() -- say, after the listening socket is bound.
///
/// Signals: SIGTERM and SIGINT request a stop, SIGHUP a reload. Their handlers
/// only set a flag and wake events_fd(); the work happens in the daemon's own
/// code, never in a handler. The signal mask stays empty. The stop signals are
/// installed without SA_RESTART, so a blocking call (accept, read, poll) they
/// interrupt fails with EINTR and a `while (!stop_requested())` loop sees the
/// stop; SIGHUP keeps SA_RESTART, so a reload never breaks a blocking call (a
/// write to a full pipe, say) and is acted on by wait_for() or handle_events().
/// The pidfile is removed on every exit path of the daemon that owns it (return
/// from run(), an exception, exit()).
///
/// One Daemon serves per process at a time (signal dispositions are per process).
/// This is the one class in daemonkit that throws (from setup()/run() back into
/// itself) and prints (its commands talk to a human; the daemon's messages go
/// to its stderr, i.e. its log); the rest of the library returns result<T>.
/// docs/library.md (the main page) describes the lifecycle in full.
#pragma once

#include <chrono>
#include <string>

#include "daemonkit/daemonize.hpp"
#include "daemonkit/stop_policy.hpp"
#include "daemonkit/unique_fd.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// When a Daemon reports readiness (to `start`, which is waiting, and to
/// $NOTIFY_SOCKET).
enum class ready_policy {
  after_setup,    ///< as soon as setup() returns (the default)
  when_reported,  ///< when setup() or run() calls report_ready()
};

/// The base class of a daemon program: derive, override run() (and setup(),
/// on_reload() if needed), and return main(argc, argv) from the program's
/// main(). See the file's description for the lifecycle.
class Daemon {  // NOLINT(cppcoreguidelines-special-member-functions)
 public:
  /// A daemon with its pidfile and the files its stdin, stdout and stderr
  /// are opened on in the daemon (options() holds them and the rest).
  explicit Daemon(std::string pidfile, std::string stdin_path = "/dev/null", std::string stdout_path = "/dev/null",
                  std::string stderr_path = "/dev/null");
  /// Closes events_fd() and releases the pidfile if still held. The signal
  /// handlers stay installed: a later SIGTERM or SIGHUP only sets a flag.
  virtual ~Daemon();
  ///@{
  /// Not copyable: a Daemon owns its pidfile and events_fd().
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ///@}

  /// Dispatches argv[1]: start, stop, restart, status, reload or run (also
  /// `-h`/`--help`). Exit codes: start/stop/restart/reload/run 0 on
  /// success, 1 on failure (start of a running daemon included), 7 for reload
  /// of a daemon that is not running; status 0 running, 1 dead with a stale
  /// pidfile, 3 not running, 4 unknown; 2 for a missing or unknown command.
  /// start and restart return in the launching process *and*, once run() is
  /// over, in the daemon (0, or 1 when run() threw).
  /// \throws anything a subclass's setup() or run() throws that is not a
  /// std::exception (this is the throwing convenience layer).
  int main(int argc, char** argv);  // NOLINT(bugprone-exception-escape)

  /// `start`: daemonizes, then waits for readiness. In the launching process
  /// prints "NAME: started (pid N)" and returns 0, or prints why the daemon
  /// failed and returns 1 (a daemon that is not ready within the options'
  /// ready_timeout is stopped with stopping()'s schedule first). In the
  /// daemon returns once run() is over: 0, or 1 when the daemon failed
  /// (setup() or run() threw, or run() returned before reporting ready).
  int start();
  /// `stop`: stops the daemon with stopping()'s schedule and prints what it
  /// did. 0 when it is stopped or was not running, 1 on failure.
  int stop();
  /// `restart`: stop(), then start() (returning stop()'s code if it failed).
  int restart();
  /// `status`: prints the status; returns its LSB code (lsb_status).
  int status();
  /// `reload`: sends SIGHUP to the daemon. 0 when sent, 7 when it is not
  /// running, 1 on another failure.
  int reload();
  /// `run`: serves in the foreground, in this process: takes the pidfile,
  /// then runs setup(), reports ready (to $NOTIFY_SOCKET) and runs run().
  /// Returns 0, or 1 when the pidfile cannot be taken or the daemon failed
  /// (as in start()).
  int run_foreground();

  /// The daemonization settings (pidfile, stdio, user, environment, ready
  /// timeout...); change them before start().
  daemonize_options& options() noexcept { return options_; }
  /// How stop() (and start(), on a timeout) stops the daemon; change it
  /// before start() or stop().
  stop_policy& stopping() noexcept { return stop_; }
  /// When readiness is reported (default: ready_policy::after_setup).
  void set_readiness(ready_policy policy) noexcept { readiness_ = policy; }
  /// When readiness is reported.
  ready_policy readiness() const noexcept { return readiness_; }
  /// Sets the name used in messages (default: the program's basename).
  void set_name(std::string name) { name_ = std::move(name); }
  /// The name used in messages.
  const std::string& name() const noexcept { return name_; }

 protected:
  /// Runs in the daemon before readiness is reported (with the default
  /// policy); throw to fail start.
  /// \throws std::exception to fail the start: its what() is what `start`
  /// prints, and the daemon exits 1 without calling run().
  virtual void setup() {}
  /// The daemon's work. Return (or throw) to exit.
  /// \throws std::exception to end the daemon with exit code 1: what() is
  /// printed to stderr (with ready_policy::when_reported and no
  /// report_ready() yet, it is what `start` prints instead).
  virtual void run() = 0;
  /// Called after SIGHUP, from wait_for() or handle_events() in the thread
  /// that called them.
  /// \throws anything to fail the reload. An exception does not end the
  /// daemon: its message is printed to stderr ("NAME: reload failed: ...")
  /// and, with $NOTIFY_SOCKET, sent as STATUS=reload failed: ... with
  /// READY=1, so a supervisor's reload sees the failure and the daemon goes
  /// on with its old settings.
  virtual void on_reload() {}

  /// Reports readiness: start's launcher returns 0, and READY=1 goes to
  /// $NOTIFY_SOCKET. Only the first call reports; later calls do nothing
  /// (with ready_policy::after_setup the Daemon calls it after setup()).
  /// Call it from the thread running setup()/run().
  void report_ready();

  /// Event-loop integration: an fd that becomes readable when a stop or a
  /// reload is requested (a signal, or request_stop()); poll it for POLLIN
  /// alongside the program's own fds, and call handle_events() when it is
  /// readable. It exists (close-on-exec, non-blocking,
  /// owned by the Daemon: never close or read it yourself) in the serving
  /// process from before setup() until the Daemon is destroyed; -1 before
  /// that and in start's launching process.
  ///
  /// \code{.cpp}
  /// pollfd fds[] = {{events_fd(), POLLIN, 0}, {listener, POLLIN, 0}};
  /// for (;;) {
  ///   if (::poll(fds, 2, -1) < 0 && errno != EINTR) throw ...;
  ///   if (fds[0].revents != 0 && !handle_events()) break;
  ///   ...
  /// }
  /// \endcode
  int events_fd() const noexcept { return events_.get(); }
  /// Consumes events_fd()'s wake-up, runs on_reload() for a pending reload
  /// (see on_reload() for its errors) and returns false once a stop was
  /// requested, true to keep running. No request is lost: one arriving while
  /// handle_events() runs leaves the fd readable again. Call it from one
  /// thread at a time.
  bool handle_events();

  /// Waits up to d, returning early (true) when a stop was requested; runs
  /// on_reload() for SIGHUPs that arrive meanwhile. False when d passed.
  bool wait_for(std::chrono::milliseconds d);
  /// Whether a stop was requested. Safe from any thread and in signal handlers.
  bool stop_requested() const noexcept;
  /// Requests a stop as SIGTERM would (and wakes events_fd()). Safe from any
  /// thread and in signal handlers.
  void request_stop() noexcept;

 private:
  int serve(daemonized* d);  // common tail of start (in the daemon) and run
  void reload_now();
  void say(const std::string& text) const;
  void complain(const std::string& text) const;

  daemonize_options options_;
  stop_policy stop_;
  ready_policy readiness_ = ready_policy::after_setup;
  std::string name_;
  pidfile held_;
  unique_fd events_;              // the eventfd behind events_fd(), while serving
  daemonized* launch_ = nullptr;  // start's handshake with the launcher, while serving
  bool ready_reported_ = false;
  bool reload_failed_ = false;  // the last reload threw: the next good one clears STATUS
};

}  // namespace daemonkit
DAEMONKIT_API_END
