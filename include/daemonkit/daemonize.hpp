// Daemonization per systemd's daemon(7) (the SysV steps), with a readiness
// handshake so the launching process can tell the truth about the start.
//
//   auto d = daemonkit::daemonize(opts);
//   if (!d) { /* could not even fork: d.err().message() */ }
//   if (d->is_parent()) {                      // the original process
//     auto pid = d->wait_ready();              // until ready, failed, dead or timeout
//     return pid ? 0 : 1;
//   }
//   // the daemon: set up, then
//   d->ready();                                // or d->fail("cannot bind :80: ...")
//
// In the daemon: every inherited fd above 2 is closed (except keep_fds), all
// signal dispositions are SIG_DFL and the mask is empty, the environment is as
// configured, it is not a session leader (second fork) so it can never
// acquire a controlling terminal, stdio points at the configured files
// (opened in the caller's working directory before the fork, appending), the
// umask and working directory are set, the pidfile is created and locked,
// then chroot and the drop to user/group (with supplementary groups) happen.
//
// Call it from a single-threaded process: the daemon continues running this
// program's code after fork, which is only safe without other threads.
// The launching process is made a child subreaper until wait_ready() returns,
// so that a daemon dying early is reaped and its exit status reported; the
// daemon is reparented to init once the launching process exits. For the same
// reason an ignored SIGCHLD (which makes the kernel discard exit statuses) is
// set to the default for that time, then restored.
#pragma once

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "daemonkit/pidfile.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

namespace daemonkit {

enum class env_policy {
  keep,   // inherit the caller's environment
  clean,  // only PATH (reset to a safe default), LANG, LANGUAGE, LC_*, TZ, NOTIFY_SOCKET, and
          // HOME/USER/LOGNAME (the caller's, or the target user's with `user`); no TERM
};

struct daemonize_options {
  std::string pidfile;                   // empty: no pidfile
  std::string stdin_path = "/dev/null";  // opened read-only
  // Opened O_APPEND|O_CREAT, mode 0640; a symlink as the last component, a
  // directory, socket or block device is refused (a FIFO with no reader too).
  std::string stdout_path = "/dev/null";
  std::string stderr_path = "/dev/null";  // the same file as stdout is opened once
  std::string working_directory = "/";
  mode_t umask = 022;
  std::string chroot;         // empty: none
  std::string user;           // empty: keep; a name or uid
  std::string group;          // empty: the user's primary group
  std::vector<int> keep_fds;  // inherited fds that survive (besides 0-2)
  env_policy environment = env_policy::keep;
  std::vector<std::string> set_env;  // KEY=VALUE applied after the policy
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(30)};
};

class daemonized {
 public:
  enum class role { parent, daemon };

  // Moving hands over the duty to restore the original process's state.
  daemonized(daemonized&&) noexcept;
  daemonized& operator=(daemonized&&) noexcept;
  ~daemonized();

  role which() const noexcept { return role_; }
  bool is_parent() const noexcept { return role_ == role::parent; }
  bool is_daemon() const noexcept { return role_ == role::daemon; }

  // --- in the original process ---
  // The daemon's pid.
  pid_t daemon_pid() const noexcept { return proc_.pid(); }
  // Waits (up to timeout, default the options' ready_timeout) for the daemon
  // to call ready() or fail(), or to die. Returns the pid ready() reported.
  // Errors: the daemon's own fail() message (errc::daemon_failed, or
  // errc::already_running when its pidfile is locked), "exited with status N"
  // / "killed by signal X" if it died first (a pidfile it left behind is
  // removed), errc::timed_out at the deadline (the daemon is left running; see
  // daemon_process()).
  result<pid_t> wait_ready(std::optional<std::chrono::milliseconds> timeout = {});
  // The daemon as a process (pidfd), e.g. to stop it after a timeout.
  const process& daemon_process() const noexcept { return proc_; }

  // --- in the daemon ---
  // Reports success to the original process (and READY=1 to $NOTIFY_SOCKET).
  // wait_ready() then returns reported_pid (default: the daemon's own pid;
  // a supervisor reports the pid of the service it started).
  result<void> ready(pid_t reported_pid = 0);
  // Reports failure; the original process prints message and exits non-zero.
  // The daemon should exit afterwards.
  void fail(std::string_view message);
  // Same, keeping a daemonkit error's kind (errc::already_running stays that).
  void fail(const error& e);
  // The pidfile held by the daemon (not owned() when none was asked for).
  pidfile& held_pidfile() noexcept { return pidfile_; }

 private:
  friend result<daemonized> daemonize(const daemonize_options&);
  daemonized() = default;
  void fail(std::string_view message, int our_code);
  // Original process: gives back its subreaper flag and SIGCHLD disposition.
  void restore_parent_state() noexcept;

  role role_ = role::parent;
  unique_fd pipe_;            // parent: read end; daemon: write end (until ready/fail)
  process proc_;              // parent: the daemon
  pidfile pidfile_;           // daemon
  std::string pidfile_path_;  // parent: the daemon's pidfile (absolute), to clean up after a daemon that died
  std::chrono::milliseconds timeout_{};
  bool subreaper_was_set_ = false;
  bool restore_subreaper_ = false;
  bool restore_sigchld_ = false;
  struct sigaction saved_sigchld_ {};
};

// Errors before the fork (a stdio file cannot be opened, an unknown user, a
// bad option) come back in the caller. Errors in the child or the daemon come
// back from wait_ready().
result<daemonized> daemonize(const daemonize_options& options);

}  // namespace daemonkit
