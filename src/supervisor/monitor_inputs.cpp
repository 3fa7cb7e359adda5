// SPDX-License-Identifier: MIT
// How the monitor takes each input: signals, child exits (the main process
// and the rest of the tree), sd_notify datagrams, the readiness fd, and the
// pidfile of a command that daemonizes itself.
#include <cerrno>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

#include "daemonkit/detail/file_io.hpp"
#include "daemonkit/detail/notify_message.hpp"
#include "daemonkit/detail/proc.hpp"
#include "daemonkit/pidfile.hpp"
#include "supervisor/monitor_loop.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor {

namespace {

// now + usec, or the farthest point the clock can hold when that overflows:
// EXTEND_TIMEOUT_USEC is the service's number, anything up to 2^64-1.
clock::time_point after_usec(std::uint64_t usec) {
  using std::chrono::microseconds;
  auto now = clock::now();
  auto room = std::chrono::duration_cast<microseconds>(clock::time_point::max() - now);
  if (usec >= static_cast<std::uint64_t>(room.count())) return clock::time_point::max();
  return now + microseconds(static_cast<microseconds::rep>(usec));
}

}  // namespace

// Handles the pending signals; true if SIGCHLD was among them (a child
// exited: the caller reaps, after it took the main process's exit).
bool monitor::on_signals() {
  bool child_exited = false;
  using kind = signal_request::kind;
  for (const auto& r : signals_.read(opts_.foreground, cfg_.stop_signal)) {
    switch (r.what) {
      case kind::child: child_exited = true; break;
      case kind::stop: dispatch(ev::stop{clock::now(), r.sig, r.timeout}); break;
      case kind::reopen_logs:
        // With no log of its own (run passing output through) the monitor
        // has nothing to reopen: the signal is the service's, like any other.
        if (opts_.foreground && cfg_.passthrough) forward(r.sig);
        else output_.reopen();
        break;
      case kind::reload:
        if (opts_.foreground) forward(cfg_.reload_signal);
        else if (main_.valid()) (void)main_.signal(cfg_.reload_signal);
        break;
      case kind::forward: forward(r.sig); break;
    }
  }
  return child_exited;
}

// A signal for the service: to its main process, or with `run
// --signal-group` to the main process's whole process group.
void monitor::forward(int sig) {
  if (!main_.valid() || sig <= 0) return;
  if (opts_.signal_group) (void)tree_.signal_group(main_, sig);
  else (void)main_.signal(sig);
}

// A child exited. While stopping, a death may empty the tree (and every death
// in it reaches us as SIGCHLD sooner or later: the last process left is always
// our child); deaths are taken in batches there (see sweep_at_).
void monitor::on_child_exit() {
  if (state_.at != phase::stopping) {
    reap();
    return;
  }
  if (clock::now() < sweep_allowed_at_) {
    if (!sweep_at_) sweep_at_ = sweep_allowed_at_;
    return;
  }
  reap_and_sweep();
}

void monitor::reap_and_sweep() {
  auto began = clock::now();
  sweep_at_.reset();
  reap();
  dispatch(ev::child_exited{});
  auto now = clock::now();
  sweep_allowed_at_ = now + (now - began);
}

void monitor::reap() {
  // A cmd check's shell is the probe's to reap (through its pidfd).
  if (auto st = tree_.reap(main_.valid() ? main_.pid() : 0, checks_.child_pid())) main_status_ = st;
}

void monitor::check_main_exit(bool pidfd_ready) {
  if (!main_.valid() || !(pidfd_ready || main_status_)) return;
  if (!main_status_ && !main_.exited()) return;
  std::optional<exit_status> st = main_status_;
  if (!st) {
    int status = 0;
    if (sys::waitpid(main_.pid(), &status, WNOHANG) == main_.pid()) st = exit_status::from_wait_status(status);
  }
  main_ = process();
  main_status_.reset();
  terminal_.take_back();
  // A running check is moot now (the machine leaves its phase), and its
  // processes must not count as the service's leftovers.
  checks_.cancel();
  // A MAINPID that is not our child: its status went to its parent.
  dispatch(ev::main_exited{clock::now(), st.value_or(exit_status{false, 255, false}), tree_.empty()});
}

void monitor::read_notify() {
  uid_t service_uid = change_identity_ ? creds_.uid : ::getuid();
  notify_->receive(service_uid, tree_, [&](const notify_message& m) {
    if (m.status) {
      status_text_ = *m.status;  // bounded by the parser (max_status_text)
      publish();
    }
    if (m.mainpid && *m.mainpid != (main_.valid() ? main_.pid() : 0) && !adopt_main(*m.mainpid)) {
      say("ignoring MAINPID=" + std::to_string(*m.mainpid) + ": not a process of this service");
    }
    if (m.extend_timeout_usec) dispatch(ev::extend_timeout{after_usec(*m.extend_timeout_usec)});
    if (m.errno_value && !m.ready) {
      // Appended whole or not at all: status_text stays within its bound
      // however many datagrams say ERRNO=.
      std::string note =
          (status_text_.empty() ? "" : " ") + std::string("(errno ") + std::to_string(*m.errno_value) + ")";
      if (status_text_.size() + note.size() <= max_status_text) {
        status_text_ += note;
        publish();
      }
    }
    if (m.reloading || m.stopping || m.ready) dispatch(ev::announced{m.reloading, m.stopping, m.ready});
  });
}

// MAINPID=: the service names another of its processes as the main one.
// Pinned by a pidfd first, then checked (a process of the service, never us
// or the keeper, whose death would go unnoticed while the real main process's
// exit went unseen), then checked alive: so the check was about that process.
bool monitor::adopt_main(pid_t pid) {
  auto p = process::open(pid);
  if (!p || !tree_.contains(pid) || p->exited()) return false;
  main_ = std::move(*p);
  main_status_.reset();
  auto ps = read_proc_stat(main_.pid());
  main_start_ticks_ = ps ? ps->start_ticks : 0;
  (void)lock_.rewrite(main_.pid());
  publish();
  return true;
}

// --ready pidfile:PATH, once the first process exited 0: the pid in PATH,
// when it is a live process of the service, becomes the main process. Not
// written yet (or naming a process that is gone, as a stale file from an
// instance killed before does) is a try to repeat; a live process outside
// the service ends the start. The file is only read: a symlink in its place
// is refused, as is anything but a small regular file.
event monitor::pidfile_try() {
  const auto now = clock::now();
  const std::string& path = cfg_.ready_pidfile;
  auto text = read_small_file(path, 64);
  if (!text || !*text || (*text)->empty()) return ev::probed{now, false, false, path + " is not written yet"};
  auto pid = parse_pid(**text);
  if (!pid) return ev::probed{now, false, false, path + ": " + pid.err().message()};
  auto p = process::open(*pid);
  if (!p || p->exited()) {
    return ev::probed{now, false, false, path + " names pid " + std::to_string(*pid) + ", which is not running"};
  }
  if (!adopt_main(*pid)) {
    return ev::probed{now, false, true,
                      path + " names pid " + std::to_string(*pid) + ", which is not a process of this service"};
  }
  main_started_at_ = unix_now();
  return ev::probed{now, true, false, "pid " + std::to_string(*pid)};
}

void monitor::read_ready_fd() {
  char buf[256];
  for (;;) {
    ssize_t n = sys::read(ready_rd_.get(), buf, sizeof buf);
    if (n < 0) return;
    if (n == 0) {
      // Closed without a newline: not ready; keep waiting for exit or timeout.
      ready_rd_.reset();
      return;
    }
    if (std::memchr(buf, '\n', static_cast<size_t>(n)) != nullptr) {
      ready_rd_.reset();
      dispatch(ev::ready{});
      return;
    }
  }
}

}  // namespace daemonkit::supervisor
