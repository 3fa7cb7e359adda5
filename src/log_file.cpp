// SPDX-License-Identifier: MIT
#include "daemonkit/log_file.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemonkit/detail/trusted_path.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

constexpr std::size_t stamp_len = 30;  // "2026-11-25T10:38:07.123+00:00 "
// Complete lines are collected up to this many bytes and written together:
// one write() for many short lines, never one per line.
constexpr std::size_t batch_size = 64 * 1024;
// O_NONBLOCK: regular files ignore it, but a FIFO or terminal given as the
// log path must fail with EAGAIN (dropped and counted) rather than block the
// monitor. O_APPEND: every write lands at the current end, even after
// logrotate's copytruncate.
constexpr int open_flags = O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_NONBLOCK;
constexpr mode_t open_mode = 0640;

// Failures a fresh open() cannot cure: the data is dropped until they pass.
bool is_full_error(int err) { return err == ENOSPC || err == EDQUOT || err == EFBIG || err == EIO || err == EAGAIN; }

void put_digits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

void now_parts(std::time_t& sec, int& ms) {
  using namespace std::chrono;
  auto t = floor<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto q = t / 1000;
  auto r = t % 1000;
  if (r < 0) {
    r += 1000;
    --q;
  }
  sec = static_cast<std::time_t>(q);
  ms = static_cast<int>(r);
}

std::string generation(const std::string& path, unsigned n) { return path + "." + std::to_string(n); }

std::string dir_part(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_part(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// What the kernel says about a symlink where the log should be (ELOOP) is
// obscure; say what we refused.
error open_error(const std::string& what, int err) {
  if (err == ELOOP) return make_error(errc::untrusted_path, what + ": it is a symbolic link; refusing to follow it");
  return system_error(what, err);
}

error prefixed(const std::string& what, error e) {
  e.context = what + ": " + e.context;
  return e;
}

}  // namespace

log_file::log_file(log_options opts) : opts_(std::move(opts)) {
  header_len_ = (opts_.timestamps ? stamp_len : 0) + opts_.prefix.size();
  limit_ = opts_.max_size;
  std::memcpy(stamp_date_, "0000-00-00T00:00:00", sizeof stamp_date_);
  std::memcpy(stamp_zone_, "+00:00", sizeof stamp_zone_);
}

result<log_file> log_file::open(log_options opts) {
  if (opts.path.empty()) return make_error(errc::invalid_argument, "log path is empty");
  std::string name = base_part(opts.path);
  if (name.empty() || name == "." || name == "..") {
    return make_error(errc::invalid_argument, "log path " + opts.path + " does not name a file");
  }
  unique_fd dir(opts.dir_fd >= 0 ? sys::dup_cloexec(opts.dir_fd)
                                 : sys::open(dir_part(opts.path).c_str(), O_RDONLY | O_DIRECTORY | O_NOCTTY));
  if (!dir) return system_error("cannot open log " + opts.path);
  // localtime_r() reads TZ once per process; look again for this log.
  if (opts.timestamps) ::tzset();
  log_file log(std::move(opts));
  log.dir_ = std::move(dir);
  log.name_ = std::move(name);
  auto fd = log.open_file("cannot open log ");
  if (!fd) return std::move(fd).err();
  log.adopt(std::move(*fd));
  return log;
}

result<unique_fd> log_file::open_file(const char* verb) {
  const std::string what = verb + opts_.path;
  auto as = fs_identity_scope::enter(opts_.identity ? &*opts_.identity : nullptr);
  if (!as) return prefixed(what, std::move(as).err());
  unique_fd fd(sys::openat(dir_.get(), name_.c_str(), open_flags | O_NOFOLLOW, open_mode));
  if (!fd) return open_error(what, errno);
  // A FIFO or terminal is written without blocking (lines are dropped when
  // it is full); a directory, socket or block device is never a log.
  const uid_t me = opts_.identity ? opts_.identity->uid : ::geteuid();
  if (auto r = check_opened_file(fd.get(), opts_.shared_dir, me, true, what); !r) return std::move(r).err();
  // A log an older version made world-readable stops being so.
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == me && (st.st_mode & 0007) != 0) {
    (void)::fchmod(fd.get(), st.st_mode & 07770);
  }
  return fd;
}

std::size_t log_file::buffered_bytes() const noexcept {
  return in_record_ ? buf_.size() - rec_start_ - header_len_ : 0;
}

result<void> log_file::write(std::string_view bytes) {
  std::time_t sec = 0;
  int ms = 0;
  if (opts_.timestamps) now_parts(sec, ms);
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n > 0) {
    if (!in_record_) start_record(sec, ms);
    std::size_t have = buf_.size() - rec_start_ - header_len_;
    if (have == max_line) {
      // A full piece ends here; if its own newline is next, that newline ends
      // it, so a line of exactly max_line bytes is not followed by an empty one.
      if (*p == '\n') {
        ++p;
        --n;
      }
      end_record();
      continue;
    }
    std::size_t take = std::min(n, max_line - have);
    const void* nl = std::memchr(p, '\n', take);
    if (nl != nullptr) {
      auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - p);
      buf_.append(p, len);
      p += len + 1;
      n -= len + 1;
      end_record();
    } else {
      buf_.append(p, take);
      p += take;
      n -= take;
    }
  }
  write_pending();
  return take_report();
}

result<void> log_file::write_line(std::string_view text) {
  std::time_t sec = 0;
  int ms = 0;
  if (opts_.timestamps) now_parts(sec, ms);
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  // Built apart from buf_, which may hold the service's partial line.
  std::string line;
  line.reserve(header_len_ + text.size() + 1);
  append_header(line, sec, ms);
  line.append(text);
  line += '\n';
  if (over_limit(0, line.size())) rotate_for_size(line.size());
  write_out(line.data(), line.size());
  return take_report();
}

result<void> log_file::flush() {
  if (in_record_) end_record();
  write_pending();
  if (unreported_ > 0) {
    if (int err = write_marker(); err != 0) drop(0, err);
  }
  return take_report();
}

result<void> log_file::reopen() {
  auto fd = open_file("cannot reopen log ");
  if (!fd) return std::move(fd).err();
  adopt(std::move(*fd));
  return {};
}

result<void> log_file::rotate() {
  const std::string what = "cannot rotate log " + opts_.path;
  if (!rotatable_) return make_error(errc::invalid_argument, what + ": not a regular file");
  auto as = fs_identity_scope::enter(opts_.identity ? &*opts_.identity : nullptr);
  if (!as) return prefixed(what, std::move(as).err());
  const int dir = dir_.get();
  auto exists = [&](const std::string& name) {
    struct stat st {};
    return ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  };
  // In a shared directory root may rename and remove anybody's files: only
  // touch generations that are ours.
  const uid_t me = opts_.identity ? opts_.identity->uid : ::geteuid();
  auto foreign = [&](const std::string& name) {
    struct stat st {};
    return opts_.shared_dir && ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid != 0 &&
           st.st_uid != me;
  };
  struct stat ours {};
  struct stat named {};
  if (::fstat(fd_.get(), &ours) != 0) return system_error(what);
  if (::fstatat(dir, name_.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 || named.st_dev != ours.st_dev ||
      named.st_ino != ours.st_ino) {
    // The name no longer leads to our file: someone else (logrotate) moved
    // it away or removed it. Renaming now would shift their files, not ours.
    return reopen();
  }

  // Every step is relative to the directory we opened and never follows a
  // symlink: renames move names, whatever they are; the fresh file is made
  // with O_EXCL. The messages show whole paths.
  const std::string fresh = "." + name_ + ".new";
  const std::string fresh_path = dir_part(opts_.path) + "/" + fresh;
  // A file left under the temporary name by a crash mid-rotation is ours to remove.
  ::unlinkat(dir, fresh.c_str(), 0);
  unique_fd fresh_fd(sys::openat(dir, fresh.c_str(), open_flags | O_NOFOLLOW | O_EXCL, open_mode));
  if (!fresh_fd) return system_error(what + ": cannot create " + fresh_path);
  auto rename_or_fail = [&](const std::string& from, const std::string& to) -> result<void> {
    if (::renameat(dir, from.c_str(), dir, to.c_str()) == 0) return {};
    int err = errno;
    ::unlinkat(dir, fresh.c_str(), 0);
    const std::string d = dir_part(opts_.path) + "/";
    return system_error(what + ": cannot rename " + d + from + " to " + d + to, err);
  };

  if (opts_.keep > 0) {
    // Generations 1..last exist without a gap; only they move up, into the
    // gap or, once they reach name.keep, into the place of the oldest.
    unsigned last = 0;
    while (last < opts_.keep - 1 && exists(generation(name_, last + 1))) ++last;
    for (unsigned i = 1; i <= last + 1; ++i) {
      if (foreign(generation(name_, i))) {
        ::unlinkat(dir, fresh.c_str(), 0);
        return make_error(errc::untrusted_path, what + ": " + generation(opts_.path, i) +
                                                    " belongs to another user, in a directory others may write");
      }
    }
    if (last == opts_.keep - 1) {
      // Delete the oldest rather than rename over it: on ext4 a rename that
      // replaces a file forces writeback of the renamed one (auto_da_alloc);
      // measured here, that made each rotation wait on the disk (4x slower).
      std::string oldest = generation(name_, opts_.keep);
      if (::unlinkat(dir, oldest.c_str(), 0) != 0 && errno != ENOENT) {
        int err = errno;
        ::unlinkat(dir, fresh.c_str(), 0);
        return system_error(what + ": cannot remove " + generation(opts_.path, opts_.keep), err);
      }
    }
    for (unsigned i = last; i >= 1; --i) {
      if (auto r = rename_or_fail(generation(name_, i), generation(name_, i + 1)); !r) return r;
    }
    if (auto r = rename_or_fail(name_, generation(name_, 1)); !r) return r;
  }
  // With keep == 0 this replaces (deletes) the current file in one step.
  if (auto r = rename_or_fail(fresh, name_); !r) return r;
  adopt(std::move(fresh_fd));
  return {};
}

void log_file::start_record(std::time_t sec, int ms) {
  // Big enough for a full batch followed by a longest line: never regrows.
  // Reserved at the first line, not at open: a service that never writes
  // keeps no buffer (its monitor idles with one page less).
  if (const std::size_t full = batch_size + header_len_ + max_line + 1; buf_.capacity() < full) buf_.reserve(full);
  rec_start_ = buf_.size();
  append_header(buf_, sec, ms);
  in_record_ = true;
}

// The line in progress is complete: add its newline and decide which file it
// belongs to. Rotation happens only here, between lines.
void log_file::end_record() {
  buf_ += '\n';
  in_record_ = false;
  std::size_t len = buf_.size() - rec_start_;
  if (over_limit(rec_start_, len)) {
    write_out(buf_.data(), rec_start_);
    buf_.erase(0, rec_start_);
    rotate_for_size(len);
  }
  rec_start_ = buf_.size();
  if (buf_.size() >= batch_size) write_pending();
}

// Writes the complete lines in buf_ and keeps the line in progress.
void log_file::write_pending() {
  if (rec_start_ == 0) return;
  write_out(buf_.data(), rec_start_);
  buf_.erase(0, rec_start_);
  rec_start_ = 0;
}

bool log_file::over_limit(std::uint64_t pending, std::size_t next_record) const noexcept {
  return opts_.max_size > 0 && rotatable_ && size_ + pending > 0 && size_ + pending + next_record > limit_;
}

void log_file::rotate_for_size(std::size_t next_record) {
  // Our count can be wrong: copytruncate shrank the file, or someone else
  // appends to it. Ask the kernel before acting on it.
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0) size_ = static_cast<std::uint64_t>(st.st_size);
  if (!over_limit(0, next_record)) return;
  if (auto r = rotate(); !r) {
    // Retry after another max_size bytes rather than before every line.
    limit_ = size_ + opts_.max_size;
    note(std::move(r).err());
  }
}

void log_file::write_out(const char* data, std::size_t n) {
  if (n == 0) return;
  if (unreported_ > 0) {
    if (int err = write_marker(); err != 0) {
      drop(n, err);
      return;
    }
  }
  std::size_t done = 0;
  while (done < n) {
    ssize_t w = sys::write(fd_.get(), data + done, n - done);
    if (w <= 0) {
      // A short write is not retried from the start: the part the kernel
      // took is in the file, so only the rest is lost (and counted).
      int err = w < 0 ? errno : EIO;
      size_ += done;
      if (done > 0) torn_ = data[done - 1] != '\n';
      drop(n - done, err);
      return;
    }
    done += static_cast<std::size_t>(w);
  }
  size_ += n;
  torn_ = false;
  failing_ = false;
}

// Returns 0 once the marker is in the file, else the errno of the failure.
int log_file::write_marker() {
  std::time_t sec = 0;
  int ms = 0;
  if (opts_.timestamps) now_parts(sec, ms);
  std::string m;
  // After a cut-short write the file ends inside a line; the marker must not
  // be glued onto it.
  if (torn_) m += '\n';
  append_header(m, sec, ms);
  m += "daemonkit: dropped ";
  m += std::to_string(unreported_);
  m += " bytes of output (";
  m += sys::errno_text(drop_errno_);
  m += ")\n";
  std::size_t done = 0;
  while (done < m.size()) {
    ssize_t w = sys::write(fd_.get(), m.data() + done, m.size() - done);
    if (w <= 0) {
      int err = w < 0 ? errno : EIO;
      size_ += done;
      if (done > 0) torn_ = m[done - 1] != '\n';
      return err;
    }
    done += static_cast<std::size_t>(w);
  }
  size_ += m.size();
  torn_ = false;
  unreported_ = 0;
  return 0;
}

void log_file::drop(std::size_t n, int err) {
  dropped_ += n;
  unreported_ += n;
  drop_errno_ = err;
  if (is_full_error(err)) return;
  // Anything else may mean this fd is dead (ESTALE after a server restart,
  // EROFS, EBADF): a fresh open of path may cure it.
  if (auto r = reopen(); !r && !failing_) {
    failing_ = true;
    note(std::move(r).err());
  }
}

void log_file::append_header(std::string& out, std::time_t sec, int ms) {
  if (opts_.timestamps) {
    if (sec != stamp_sec_) {
      struct tm tm {};
      // On failure the previous second's text stays: better than nothing.
      if (::localtime_r(&sec, &tm) != nullptr) {
        put_digits(stamp_date_, std::clamp(tm.tm_year + 1900, 0, 9999), 4);
        stamp_date_[4] = '-';
        put_digits(stamp_date_ + 5, tm.tm_mon + 1, 2);
        stamp_date_[7] = '-';
        put_digits(stamp_date_ + 8, tm.tm_mday, 2);
        stamp_date_[10] = 'T';
        put_digits(stamp_date_ + 11, tm.tm_hour, 2);
        stamp_date_[13] = ':';
        put_digits(stamp_date_ + 14, tm.tm_min, 2);
        stamp_date_[16] = ':';
        put_digits(stamp_date_ + 17, tm.tm_sec, 2);
        long off = tm.tm_gmtoff;
        stamp_zone_[0] = off < 0 ? '-' : '+';
        if (off < 0) off = -off;
        put_digits(stamp_zone_ + 1, static_cast<int>(off / 3600 % 100), 2);
        stamp_zone_[3] = ':';
        put_digits(stamp_zone_ + 4, static_cast<int>(off % 3600 / 60), 2);
        stamp_sec_ = sec;
      }
    }
    char s[stamp_len];
    std::memcpy(s, stamp_date_, 19);
    s[19] = '.';
    put_digits(s + 20, ms, 3);
    std::memcpy(s + 23, stamp_zone_, 6);
    s[29] = ' ';
    out.append(s, stamp_len);
  }
  out.append(opts_.prefix);
}

void log_file::adopt(unique_fd fd) {
  struct stat st {};
  bool known = ::fstat(fd.get(), &st) == 0;
  fd_ = std::move(fd);
  size_ = known ? static_cast<std::uint64_t>(st.st_size) : 0;
  rotatable_ = known && S_ISREG(st.st_mode);
  limit_ = opts_.max_size;
  torn_ = torn_ && size_ > 0;
}

void log_file::note(error e) {
  if (has_report_) return;
  report_ = std::move(e);
  has_report_ = true;
}

result<void> log_file::take_report() {
  if (!has_report_) return {};
  has_report_ = false;
  return std::move(report_);
}

}  // namespace daemonkit
