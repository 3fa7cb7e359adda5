// SPDX-License-Identifier: MIT
/// \file
/// Locked pidfiles that never go stale.
///
/// A pidfile holds "PID\n" (readable by kill $(cat f), pkill -F, start-stop-daemon
/// and systemd's PIDFile=) and is write-locked with a POSIX record lock (fcntl
/// F_SETLK) for the whole life of its owner. "Running" means "some process holds
/// the lock", never "the file exists" or kill(pid, 0): a pidfile left behind by a
/// SIGKILLed daemon is unlocked, so it never blocks a start, and a recycled pid is
/// never mistaken for the daemon. POSIX locks (rather than OFD locks) are used
/// because F_GETLK reports the holder's pid, which lets control code check that
/// the pid in the file is the process holding the lock.
///
/// Caveat of POSIX locks: the owner loses the lock if it closes *any* fd it has
/// open on the pidfile. The owner must not open and close its own pidfile.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// Parses pidfile content: optional surrounding whitespace around decimal
/// digits. Returns errc::bad_pidfile for empty, non-numeric, signed, zero, one,
/// or out-of-range (> 4194304, the kernel's PID_MAX_LIMIT) values, with a
/// one-line message ("empty pidfile", "invalid pid 'abc' (expected a decimal
/// number)", "pid 1 out of range (2..4194304)") quoting at most 32 characters.
result<pid_t> parse_pid(std::string_view text);

/// A pidfile this process holds: created, written and locked by acquire(),
/// removed and unlocked by release() or the destructor. Move-only.
class pidfile {
 public:
  /// Creates path atomically (the file appears complete, already locked, via
  /// link()), or replaces a stale one; refuses symlinks and non-regular files.
  /// Fails with errc::already_running (context "already running (pid N)") when
  /// another process holds the lock. pid is the content written (default: the
  /// caller). The lock belongs to the calling process: not inherited by fork.
  static result<pidfile> acquire(const std::string& path, pid_t pid = 0);

  /// Takes up a pidfile this process already holds, say one acquired before
  /// it exec'd this program (an fcntl lock survives exec while its fd stays
  /// open). Fails unless fd is the regular file at path
  /// (errc::invalid_argument), or when another process holds its lock
  /// (errc::already_running).
  static result<pidfile> adopt(unique_fd fd, std::string path);

  /// Holds nothing (owned() is false).
  pidfile() = default;
  /// Takes over o's file and lock; o then holds nothing.
  pidfile(pidfile&&) noexcept;
  /// Releases the pidfile held so far (see release()), then takes over o's.
  pidfile& operator=(pidfile&&) noexcept;
  ///@{
  /// Not copyable: the lock has one owner.
  pidfile(const pidfile&) = delete;
  pidfile& operator=(const pidfile&) = delete;
  ///@}
  /// Releases (see release()).
  ~pidfile();

  /// Replaces the content with pid, in place, keeping the lock.
  result<void> rewrite(pid_t pid);
  /// Removes the file if it is still ours (same inode, and we are the process
  /// that acquired it: a forked child never removes its parent's pidfile), then
  /// drops the lock. Safe to call twice.
  void release() noexcept;

  /// The pidfile's path.
  const std::string& path() const noexcept { return path_; }
  /// True while the pidfile is held (locked).
  bool owned() const noexcept { return fd_.valid(); }
  /// The locked fd (-1 when none), say to hand it over across an exec; never
  /// close it (closing any fd on the file drops the lock).
  int fd() const noexcept { return fd_.get(); }

 private:
  std::string path_;
  unique_fd fd_;
  pid_t owner_ = 0;
};

/// What a pidfile says about its daemon, judged by its lock.
struct pidfile_state {
  /// Whether a daemon holds the pidfile.
  enum class kind {
    absent,   ///< no file
    stale,    ///< the file exists but nobody holds its lock
    running,  ///< a process holds the lock
  };
  kind state = kind::absent;  ///< whether a daemon holds it
  pid_t pid = 0;              ///< running: the lock holder; stale: the content if valid, else 0
  pid_t file_pid = 0;         ///< the content when it parses, else 0
  bool content_ok = false;    ///< the content parses as a pid (parse_pid)
};

/// Reads and tests a pidfile without changing it. Errors: symlink, not a
/// regular file, permission denied, or another I/O error, each with the path.
result<pidfile_state> probe_pidfile(const std::string& path);

/// Removes path if it is stale (unlocked) and still names expected_pid, taking
/// its lock first so no concurrent owner is hurt. Returns true when removed.
bool remove_stale_pidfile(const std::string& path, pid_t expected_pid) noexcept;

}  // namespace daemonkit
DAEMONKIT_API_END
