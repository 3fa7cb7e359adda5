// SPDX-License-Identifier: MIT
// The readiness handshake between daemonize() (daemonize.cpp) and the
// daemonized object on either side of it (daemonized.cpp): one record per
// write on the ready pipe. Two files so that a program that only resumes a
// handshake (the monitor program) does not link daemonize(), and with it
// the user lookup (credentials_lookup.cpp).
#pragma once

#include <climits>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <pthread.h>
#include <string>
#include <type_traits>

#include "sys/sys.hpp"

namespace daemonkit::handshake {

// One handshake record; each write is < PIPE_BUF and therefore atomic.
struct record {
  enum kind : std::uint32_t { pid = 1, ready = 2, stage_failed = 3, text_failed = 4 };
  std::uint32_t what = 0;
  std::int32_t value = 0;   // pid, or errno / errc value
  std::uint32_t stage = 0;  // stage_failed: which step; text_failed: 1 if value is an errc
  char text[3800] = {};     // room for a failure message with the last lines of output
};
static_assert(sizeof(record) < PIPE_BUF);
static_assert(std::is_standard_layout_v<record> && std::is_trivially_destructible_v<record>);

inline void send_record(int fd, const record& r) noexcept { sys::write_all(fd, &r, sizeof r); }

// Writes a record from the daemon. If the original process is gone the write
// raises SIGPIPE, whose disposition the daemon has just reset to the default,
// killing it; block SIGPIPE around the write and discard the one it raised, so
// the write simply fails with EPIPE.
inline bool send_record_from_daemon(int fd, const record& r, int& err) noexcept {
  sigset_t pipe_only, old, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  sigemptyset(&pending);
  ::sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  const bool ok = sys::write_all(fd, &r, sizeof r) >= 0;
  err = ok ? 0 : errno;
  if (!ok && err == EPIPE && !was_pending && sigismember(&old, SIGPIPE) == 0) {
    // SIGPIPE from write() is directed at this thread: take it off the queue.
    struct timespec zero {};
    while (::sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {}
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

inline std::string record_text(const record& r) { return std::string(r.text, strnlen(r.text, sizeof r.text)); }

}  // namespace daemonkit::handshake
