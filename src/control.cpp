// SPDX-License-Identifier: MIT
#include "daemonkit/control.hpp"

#include "daemonkit/pidfile.hpp"
#include "daemonkit/signal_name.hpp"

namespace daemonkit {

status_report query_status(const std::string& path) {
  status_report r;
  auto st = probe_pidfile(path);
  if (!st) {
    r.status = lsb_status::unknown;
    r.message = st.err().message();
    return r;
  }
  switch (st->state) {
    case pidfile_state::kind::absent:
      r.status = lsb_status::not_running;
      r.message = "not running";
      break;
    case pidfile_state::kind::stale:
      r.status = lsb_status::dead_pidfile_exists;
      r.pid = st->pid;
      r.message = "dead, but pidfile " + path + " exists" +
                  (st->content_ok ? " (stale pid " + std::to_string(st->file_pid) + ")" : " (invalid content)");
      break;
    case pidfile_state::kind::running:
      r.status = lsb_status::running;
      r.pid = st->pid;
      r.message = "running (pid " + std::to_string(st->pid) + ")";
      break;
  }
  return r;
}

result<process> open_pidfile_owner(const std::string& path) {
  auto st = probe_pidfile(path);
  if (!st) return std::move(st).err();
  if (st->state != pidfile_state::kind::running) return make_error(errc::not_running, "not running");
  pid_t holder = st->pid;
  if (!st->content_ok) {
    return make_error(errc::not_lock_owner, "pidfile " + path + " holds no valid pid (locked by pid " +
                                                std::to_string(holder) + "); refusing to signal");
  }
  if (st->file_pid != holder) {
    return make_error(errc::not_lock_owner, "pidfile " + path + " names pid " + std::to_string(st->file_pid) +
                                                " but pid " + std::to_string(holder) +
                                                " holds its lock; refusing to signal");
  }
  auto proc = process::open(holder);
  if (!proc) return std::move(proc).err();
  // The pidfd pins the process. If the holder died and its pid was reused
  // between the probe and pidfd_open, the lock is now free or held by someone
  // else: check again before anyone signals through this pidfd.
  auto again = probe_pidfile(path);
  if (!again) return std::move(again).err();
  if (again->state != pidfile_state::kind::running || again->pid != holder) {
    return make_error(errc::not_running, "not running");
  }
  return proc;
}

result<stop_report> stop(const std::string& path, const stop_policy& policy) {
  stop_report rep;
  auto proc = open_pidfile_owner(path);
  if (!proc) {
    if (proc.err().code == errc::not_running) return rep;
    return std::move(proc).err();
  }
  rep.was_running = true;
  rep.pid = proc->pid();
  for (const auto& step : policy.steps) {
    if (auto r = proc->signal(step.signal); !r) return std::move(r).err();
    rep.last_signal = step.signal;
    ++rep.steps_used;
    auto gone = proc->wait_exit(step.wait);
    if (!gone) return std::move(gone).err();
    if (*gone) {
      // A daemon that had to be killed (or forgot) leaves its pidfile behind.
      remove_stale_pidfile(path, rep.pid);
      return rep;
    }
  }
  return make_error(errc::timed_out,
                    "pid " + std::to_string(rep.pid) + " did not exit after SIG" + signal_name(rep.last_signal));
}

result<pid_t> send_signal(const std::string& path, int sig) {
  auto proc = open_pidfile_owner(path);
  if (!proc) return std::move(proc).err();
  if (auto r = proc->signal(sig); !r) return std::move(r).err();
  return proc->pid();
}

}  // namespace daemonkit
