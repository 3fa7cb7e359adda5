// SPDX-License-Identifier: MIT
// The daemonized object: both ends of the readiness handshake
// (daemonize_handshake.hpp). daemonize() itself is in daemonize.cpp.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <utility>

#include "daemonize_handshake.hpp"
#include "daemonkit/daemonize.hpp"
#include "daemonkit/notify.hpp"
#include "daemonkit/pidfile.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

using handshake::record;
using handshake::record_text;
using handshake::send_record_from_daemon;

daemonized::daemonized(daemonized&& o) noexcept
    : role_(o.role_),
      pipe_(std::move(o.pipe_)),
      proc_(std::move(o.proc_)),
      pidfile_(std::move(o.pidfile_)),
      pidfile_path_(std::move(o.pidfile_path_)),
      timeout_(o.timeout_),
      subreaper_was_set_(o.subreaper_was_set_),
      restore_subreaper_(std::exchange(o.restore_subreaper_, false)),
      restore_sigchld_(std::exchange(o.restore_sigchld_, false)),
      saved_sigchld_(o.saved_sigchld_) {}

daemonized& daemonized::operator=(daemonized&& o) noexcept {
  if (this != &o) {
    restore_parent_state();
    role_ = o.role_;
    pipe_ = std::move(o.pipe_);
    proc_ = std::move(o.proc_);
    pidfile_ = std::move(o.pidfile_);
    pidfile_path_ = std::move(o.pidfile_path_);
    timeout_ = o.timeout_;
    subreaper_was_set_ = o.subreaper_was_set_;
    restore_subreaper_ = std::exchange(o.restore_subreaper_, false);
    restore_sigchld_ = std::exchange(o.restore_sigchld_, false);
    saved_sigchld_ = o.saved_sigchld_;
  }
  return *this;
}

daemonized::~daemonized() { restore_parent_state(); }

daemonized daemonized::resume(unique_fd ready_pipe) {
  daemonized d;
  d.role_ = role::daemon;
  d.pipe_ = std::move(ready_pipe);
  return d;
}

void daemonized::restore_parent_state() noexcept {
  if (restore_subreaper_) ::prctl(PR_SET_CHILD_SUBREAPER, subreaper_was_set_ ? 1 : 0);
  restore_subreaper_ = false;
  if (restore_sigchld_) ::sigaction(SIGCHLD, &saved_sigchld_, nullptr);
  restore_sigchld_ = false;
}

result<pid_t> daemonized::wait_ready(std::optional<std::chrono::milliseconds> timeout) {
  struct restore {
    daemonized& d;
    ~restore() { d.restore_parent_state(); }
  } guard{*this};

  const pid_t pid = proc_.pid();
  auto deadline = sys::deadline::after(timeout.value_or(timeout_));
  std::optional<record> failure;
  bool pipe_open = pipe_.valid();
  auto failure_error = [&](const record& f) -> error {
    bool ours = f.stage == 1;
    errc code =
        ours && f.value == static_cast<int>(errc::already_running) ? errc::already_running : errc::daemon_failed;
    return make_error(code, record_text(f));
  };

  for (;;) {
    struct pollfd pfd[2] = {{pipe_open ? pipe_.get() : -1, POLLIN, 0}, {proc_.pidfd(), POLLIN, 0}};
    int n = sys::poll(pfd, 2, deadline);
    if (n < 0) return system_error("cannot wait for the daemon");
    if (n == 0) {
      // A daemon that reported failure but has not exited yet: its message
      // is the answer, not the deadline.
      if (failure) return failure_error(*failure);
      return make_error(errc::timed_out, "daemon (pid " + std::to_string(pid) + ") did not report ready within " +
                                             std::to_string(timeout.value_or(timeout_).count()) + "ms");
    }
    if (pipe_open && (pfd[0].revents & (POLLIN | POLLHUP)) != 0) {
      record r;
      ssize_t got = sys::read_full(pipe_.get(), &r, sizeof r);
      if (got == static_cast<ssize_t>(sizeof r)) {
        if (r.what == record::ready) {
          pipe_.reset();
          return r.value > 0 ? static_cast<pid_t>(r.value) : pid;
        }
        failure = r;
        continue;
      }
      // EOF: the daemon closed its end without reporting; wait for its exit
      // to learn why (or for the deadline).
      pipe_open = false;
      pipe_.reset();
    }
    if ((pfd[1].revents & POLLIN) != 0) {
      auto st = proc_.reap();
      // A daemon killed before it could release its pidfile leaves it
      // behind, unlocked; it is ours to clean up (only if it still names it).
      if (!pidfile_path_.empty()) remove_stale_pidfile(pidfile_path_, pid);
      if (failure) return failure_error(*failure);
      if (!st) return std::move(st).err();
      return make_error(errc::daemon_failed, "daemon " + st->describe() + " before it was ready");
    }
  }
}

result<void> daemonized::ready(pid_t reported_pid) {
  if (!pipe_) return {};
  record r;
  r.what = record::ready;
  r.value = reported_pid > 0 ? reported_pid : ::getpid();
  int err = 0;
  bool ok = send_record_from_daemon(pipe_.get(), r, err);
  pipe_.reset();
  // Under systemd (Type=notify with NotifyAccess=all) MAINPID names us, the
  // grandchild of the process systemd started.
  auto n = notify_ready(::getpid());
  if (!ok && err != EPIPE) return system_error("cannot report readiness", err);
  return n;
}

void daemonized::fail(const error& e) {
  fail(e.message(), e.code.category() == daemonkit_category() ? e.code.value() : 0);
}

void daemonized::fail(std::string_view message) { fail(message, 0); }

void daemonized::fail(std::string_view message, int our_code) {
  if (!pipe_) return;
  record r;
  r.what = record::text_failed;
  r.stage = our_code != 0 ? 1 : 0;
  r.value = our_code;
  size_t len = std::min(message.size(), sizeof r.text - 1);
  std::memcpy(r.text, message.data(), len);
  int ignored = 0;
  send_record_from_daemon(pipe_.get(), r, ignored);
  pipe_.reset();
}

}  // namespace daemonkit
