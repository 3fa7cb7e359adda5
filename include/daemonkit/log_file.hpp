// SPDX-License-Identifier: MIT
/// \file
/// log_file: a service's output written to a file line by line, with rotation.
///
/// The monitor reads a service's stdout/stderr pipe and passes whatever it got
/// to write(). log_file cuts that stream into lines and writes each complete
/// line, with its optional timestamp and prefix, in the same write() call as
/// its newline, so a concurrent reader (`tail -f`, a log shipper) never sees a
/// torn line from us, and a line is never split between two files by
/// rotation. Several complete lines usually share one write().
///
/// Writing never blocks and never fails for good, so the service whose pipe we
/// drain is never wedged by its log:
///  - disk full or a dead disk (ENOSPC, EDQUOT, EFBIG, EIO; EAGAIN when the
///    path is a full FIFO or terminal): the lines are dropped and counted in
///    dropped_bytes(); the next write that succeeds is preceded by one line
///    `daemonkit: dropped N bytes of output (No space left on device)`
///    (with the same timestamp and prefix as the other lines; N counts the
///    bytes as they would have appeared in the file, and the reason is the
///    errno of the last failure). A write the kernel cut short is never
///    retried in part: what it wrote stays, the rest is dropped, so nothing is
///    duplicated, and the marker starts on a line of its own;
///  - any other write error (ESTALE, EROFS, EBADF, ...): the data is dropped
///    and counted the same way, and the file is reopened at once.
///
/// The file is opened O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC|O_NOFOLLOW (plus
/// O_NOCTTY, and O_NONBLOCK, which regular files ignore but which keeps a FIFO
/// or terminal given as the path from blocking us), relative to the log's
/// directory, mode 0640 minus the umask; a symlink, directory, socket or block
/// device where the log should be is refused. O_APPEND
/// makes logrotate's copytruncate safe: after an external truncation our next
/// line lands at the new end, with no hole of NULs before it.
///
/// Not thread-safe: one owner (the monitor's poll loop). The fd is
/// close-on-exec, so a forked service never inherits it. Use one log_file per
/// path: two log_files on one path would each rotate it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "daemonkit/credentials.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// Where a log_file writes, and how.
struct log_options {
  /// The log file. Created if missing; its directory must exist.
  std::string path;
  /// Rotate before a line would make the file larger than this; 0 = never.
  /// A single line longer than max_size gets a file to itself. Only regular
  /// files are ever rotated (a path such as /dev/null is written, never renamed).
  std::uint64_t max_size = 0;
  /// Rotated files kept: path.1 (newest) ... path.N; the one that would become
  /// path.N+1 is deleted. 0 keeps none: rotation just starts an empty file.
  unsigned keep = 5;
  /// Prefix each line with the local time, to the millisecond, with the UTC
  /// offset: "2026-11-25T10:38:07.123+00:00 ". A line's time is when its first
  /// byte reached write(). TZ is read when the log is opened.
  bool timestamps = false;
  /// Text before each line, after the timestamp, such as "[err] "; may be empty.
  std::string prefix;
  /// The directory that holds the log, opened (and checked, see
  /// `daemonkit/detail/trusted_path.hpp`) by the caller; log_file keeps its
  /// own duplicate. Every
  /// open, rename and unlink is relative to it and never follows a symlink;
  /// path is then used for its last component and in messages. -1: log_file
  /// opens path's directory itself, following symlinks in the directory part
  /// only.
  int dir_fd = -1;
  /// The directory is shared (sticky, writable by others, like /tmp): a log
  /// file there that belongs to anybody but root or us (or identity) is
  /// refused, as another user may have made it first to read what we write.
  bool shared_dir = false;
  /// When set, every file-system call runs with these credentials
  /// (fs_identity_scope): the log then belongs to that user, and a directory
  /// the user controls can lead root nowhere the user could not write.
  std::optional<credentials> identity;
};

/// A service's output written to a file line by line, with rotation (see
/// the file's description for what happens on write errors).
class log_file {
 public:
  /// Lines longer than this are written in pieces of this size, each ending
  /// with a newline, so the buffer never grows past it.
  static constexpr std::size_t max_line = 64 * 1024;

  /// Opens (or creates) opts.path for appending. Errors:
  /// "cannot open log /x/y.log: Permission denied" (any open or fstat failure),
  /// errc::invalid_argument "log path is empty".
  static result<log_file> open(log_options opts);

  /// Takes over the file, its buffer and its counts.
  log_file(log_file&&) noexcept = default;
  /// Closes the file written so far (without flushing), then takes over o's.
  log_file& operator=(log_file&&) noexcept = default;
  ///@{
  /// Not copyable: one owner per log.
  log_file(const log_file&) = delete;
  log_file& operator=(const log_file&) = delete;
  ///@}
  /// Closes the file. Does not write a buffered partial line: call flush().
  ~log_file() = default;

  /// Feeds bytes as read from a service's pipe. Complete lines are written
  /// whole; an incomplete trailing line is buffered until its newline arrives
  /// (see max_line for very long lines). Rotates first when max_size says so.
  ///
  /// The bytes are always consumed, error or not: never pass them again.
  /// Write failures are handled as the file's description says and are not
  /// errors. The errors, which the caller should report (say, to its own
  /// stderr) and then carry on, are:
  ///  - "cannot reopen log PATH: ...": a write failed in a way that
  ///    reopening should fix, and reopening failed; the data was dropped and
  ///    counted. Returned once per outage (again only after a write has
  ///    succeeded since); every later write() retries the reopen;
  ///  - "cannot rotate log PATH: ..." (see rotate()): the lines were written
  ///    to the current file, which keeps growing; rotation is tried again once
  ///    another max_size bytes have been written.
  result<void> write(std::string_view bytes);

  /// Writes text as one line of its own (adding a newline if missing), ahead
  /// of a partial line of the service still waiting for its newline, so that
  /// a supervisor's own message never lands in the middle of the service's
  /// line. Same errors as write(). text should not contain a newline except
  /// at its end (more would make more lines, the later ones without a prefix).
  result<void> write_line(std::string_view text);

  /// At EOF of the source: writes a buffered partial line, adding a newline,
  /// and a pending "dropped" marker even if there is nothing else to write. A
  /// no-op when nothing is buffered. Same errors as write().
  result<void> flush();

  /// Opens path again and switches to it (logrotate's create mode renames the
  /// file and then signals us: this is the postrotate step). The new fd is
  /// opened before the old one is closed: if opening fails, writing continues
  /// into the old file and the error is "cannot reopen log PATH: ...".
  /// A buffered partial line goes to the new file when it completes.
  result<void> reopen();

  /// Rotates now: path.N is deleted, path.N-1 to path.N ... path.1 to path.2,
  /// path to path.1, then a fresh empty path (created first under a hidden
  /// temporary name, DIR/.NAME.new, and renamed into place, so a failure before
  /// the last step leaves path untouched). Only the generations before the
  /// first missing one move (path.N is deleted only when they reach it); files
  /// past path.N are left alone. No rename replaces an existing file (on ext4
  /// that starts writeback and would stall the caller). If path no longer
  /// names the file we write (someone else rotated
  /// it), nothing is renamed: the log is just reopened. On failure nothing is
  /// lost: writing continues in the current file. Errors:
  /// "cannot rotate log PATH: cannot remove PATH.N: ...",
  /// "cannot rotate log PATH: cannot rename PATH.1 to PATH.2: ...",
  /// "cannot rotate log PATH: cannot create DIR/.NAME.new: ...",
  /// "cannot rotate log PATH: not a regular file" (errc::invalid_argument).
  result<void> rotate();

  /// The size of the current file as we believe it: its size when opened plus
  /// what we wrote since. Refreshed from fstat before rotating, so an external
  /// truncation (copytruncate) or another writer is noticed.
  std::uint64_t size() const noexcept { return size_; }
  /// Total bytes lost to write errors since open.
  std::uint64_t dropped_bytes() const noexcept { return dropped_; }
  /// Bytes of a partial line waiting for its newline (without prefix).
  std::size_t buffered_bytes() const noexcept;
  /// The log's path, as given in log_options::path.
  const std::string& path() const noexcept { return opts_.path; }
  /// The file written now (for a caller that points its own stderr there).
  int fd() const noexcept { return fd_.get(); }

 private:
  explicit log_file(log_options opts);

  void start_record(std::time_t sec, int ms);
  void end_record();
  void write_pending();
  void write_out(const char* data, std::size_t n);
  void drop(std::size_t n, int err);
  void rotate_for_size(std::size_t next_record);
  bool over_limit(std::uint64_t pending, std::size_t next_record) const noexcept;
  void append_header(std::string& out, std::time_t sec, int ms);
  void adopt(unique_fd fd);
  result<unique_fd> open_file(const char* verb);
  int write_marker();
  void note(error e);
  result<void> take_report();

  log_options opts_;
  unique_fd dir_;     // the log's directory
  std::string name_;  // the log's name in it
  unique_fd fd_;
  // [complete lines not yet written][the line in progress: header + bytes].
  // Reserved once; lines are formatted in place.
  std::string buf_;
  std::size_t rec_start_ = 0;   // where the line in progress starts in buf_
  bool in_record_ = false;      // a line is in progress (its header is in buf_)
  std::size_t header_len_ = 0;  // timestamp + prefix length
  std::uint64_t size_ = 0;
  std::uint64_t limit_ = 0;  // rotate past this: max_size, raised after a failed rotation
  std::uint64_t dropped_ = 0;
  std::uint64_t unreported_ = 0;  // dropped since the last marker
  int drop_errno_ = 0;
  bool torn_ = false;       // the file ends inside a line (a write was cut short)
  bool rotatable_ = false;  // the file is a regular file
  bool failing_ = false;    // an outage was already reported by an error
  // The last second formatted: "YYYY-MM-DDTHH:MM:SS" and "+HH:MM".
  std::time_t stamp_sec_ = -1;
  char stamp_date_[20] = {};
  char stamp_zone_[7] = {};
  // The first error of the current call, returned when it ends.
  bool has_report_ = false;
  error report_;
};

}  // namespace daemonkit
DAEMONKIT_API_END
