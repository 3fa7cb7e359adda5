// SPDX-License-Identifier: MIT
/// \file
/// Daemonization per systemd's daemon(7) (the SysV steps), with a readiness
/// handshake so the launching process can tell the truth about the start.
///
/// \code{.cpp}
/// auto d = daemonkit::daemonize(opts);
/// if (!d) { /* could not even fork: d.err().message() */ }
/// if (d->is_parent()) {                      // the original process
///   auto pid = d->wait_ready();              // until ready, failed, dead or timeout
///   return pid ? 0 : 1;
/// }
/// // the daemon: set up, then
/// d->ready();                                // or d->fail("cannot bind :80: ...")
/// \endcode
///
/// In the daemon: every inherited fd above 2 is closed (except keep_fds), all
/// signal dispositions are SIG_DFL and the mask is empty, the environment is as
/// configured, it is not a session leader (second fork) so it can never
/// acquire a controlling terminal, stdio points at the configured files
/// (opened in the caller's working directory before the fork, appending), the
/// umask and working directory are set, the pidfile is created and locked,
/// then chroot and the drop to user/group (with supplementary groups) happen.
///
/// Call it from a single-threaded process: the daemon continues running this
/// program's code after fork, which is only safe without other threads.
/// The launching process is made a child subreaper until wait_ready() returns,
/// so that a daemon dying early is reaped and its exit status reported; the
/// daemon is reparented to init once the launching process exits. For the same
/// reason an ignored SIGCHLD (which makes the kernel discard exit statuses) is
/// set to the default for that time, then restored.
#pragma once

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "daemonkit/export.hpp"
#include "daemonkit/pidfile.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// The daemon's environment.
enum class env_policy {
  keep,   ///< inherit the caller's environment
  clean,  ///< only PATH (reset to a safe default), LANG, LANGUAGE, LC_*, TZ, NOTIFY_SOCKET, and
          ///< HOME/USER/LOGNAME (the caller's, or the target user's with `user`); no TERM
};

/// What daemonize() sets up in the daemon.
struct daemonize_options {
  std::string pidfile;                   ///< empty: no pidfile
  std::string stdin_path = "/dev/null";  ///< opened read-only
  /// Opened O_APPEND|O_CREAT, mode 0640; a symlink as the last component, a
  /// directory, socket or block device is refused (a FIFO with no reader too).
  std::string stdout_path = "/dev/null";
  std::string stderr_path = "/dev/null";      ///< the same file as stdout is opened once
  std::string working_directory = "/";        ///< the daemon's working directory
  mode_t umask = 022;                         ///< the daemon's umask
  std::string chroot;                         ///< empty: none
  std::string user;                           ///< empty: keep; a name or uid
  std::string group;                          ///< empty: the user's primary group
  std::vector<int> keep_fds;                  ///< inherited fds that survive (besides 0-2)
  env_policy environment = env_policy::keep;  ///< what the environment starts from
  std::vector<std::string> set_env;           ///< KEY=VALUE applied after the policy
  /// How long wait_ready() waits by default.
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(30)};
};

/// The result of daemonize(), in each of the two processes it returns in:
/// the original process (role::parent) waits for the daemon's report, the
/// daemon (role::daemon) makes it.
class daemonized {
 public:
  /// Which process this is.
  enum class role {
    parent,  ///< the original process
    daemon   ///< the daemon
  };

  /// Moving hands over the duty to restore the original process's state.
  daemonized(daemonized&&) noexcept;
  /// Restores this object's original-process state first, then takes o's
  /// duties.
  daemonized& operator=(daemonized&&) noexcept;
  /// In the original process, gives back its subreaper flag and SIGCHLD
  /// disposition (if wait_ready() has not); in the daemon, releases the
  /// pidfile unless it was moved out of held_pidfile().
  ~daemonized();

  /// Which process this is.
  role which() const noexcept { return role_; }
  /// True in the original process.
  bool is_parent() const noexcept { return role_ == role::parent; }
  /// True in the daemon.
  bool is_daemon() const noexcept { return role_ == role::daemon; }

  /// \name In the original process
  ///@{

  /// The daemon's pid.
  pid_t daemon_pid() const noexcept { return proc_.pid(); }
  /// Waits (up to timeout, default the options' ready_timeout) for the daemon
  /// to call ready() or fail(), or to die. Returns the pid ready() reported.
  /// Errors: the daemon's own fail() message (errc::daemon_failed, or
  /// errc::already_running when its pidfile is locked), "exited with status N"
  /// / "killed by signal X" if it died first (a pidfile it left behind is
  /// removed), errc::timed_out at the deadline (the daemon is left running; see
  /// daemon_process()).
  result<pid_t> wait_ready(std::optional<std::chrono::milliseconds> timeout = {});
  /// The daemon as a process (pidfd), say to stop it after a timeout.
  const process& daemon_process() const noexcept { return proc_; }
  ///@}

  /// \name In the daemon
  ///@{

  /// Reports success to the original process (and READY=1 to $NOTIFY_SOCKET).
  /// wait_ready() then returns reported_pid (default: the daemon's own pid;
  /// a supervisor reports the pid of the service it started).
  result<void> ready(pid_t reported_pid = 0);
  /// Reports failure; the original process prints message and exits non-zero.
  /// The daemon should exit afterwards.
  void fail(std::string_view message);
  /// Same, keeping a daemonkit error's kind (errc::already_running stays that).
  void fail(const error& e);
  /// The pidfile held by the daemon (not owned() when none was asked for).
  pidfile& held_pidfile() noexcept { return pidfile_; }
  ///@}

  /// \name Across an exec: a daemon that replaces itself with another program
  ///@{

  /// Hands over the write end of the readiness pipe (invalid after ready() or
  /// fail()); this object then reports nothing.
  unique_fd release_ready_pipe() noexcept { return std::move(pipe_); }
  /// In the program the daemon exec'd: the duty to report, on the inherited
  /// write end, to the original process still waiting in wait_ready().
  static daemonized resume(unique_fd ready_pipe);
  ///@}

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

/// Forks the daemon (see the file's description); returns in both the
/// original process and the daemon. Errors before the fork (a stdio file
/// cannot be opened, an unknown user, a bad option) come back in the caller.
/// Errors in the child or the daemon come back from wait_ready().
result<daemonized> daemonize(const daemonize_options& options);

}  // namespace daemonkit
DAEMONKIT_API_END
