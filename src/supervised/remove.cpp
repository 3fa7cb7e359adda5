// SPDX-License-Identifier: MIT
// remove_service: forget a service that no longer runs.
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

#include "daemonkit/pidfile.hpp"
#include "daemonkit/supervised.hpp"
#include "supervised/control_support.hpp"

namespace daemonkit {

namespace {

bool present(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

result<void> remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return system_error("cannot remove " + path);
  return {};
}

error still_running() { return make_error(errc::already_running, "running; stop it first"); }

}  // namespace

result<void> remove_service(const std::string& state_dir, const std::string& name) {
  // A monitor that just published its service's end still holds the lock
  // a moment: wait for its exit.
  const auto v = supervised_detail::await_monitor_exit(inspect_service(state_dir, name));
  if (v.what == service_view::kind::error) return make_error(errc::invalid_argument, v.error);
  if (v.running()) return still_running();
  const auto& p = v.paths;
  if (!present(p.pidfile) && !present(p.state) && !present(p.config)) {
    return make_error(errc::not_running, "no such service");
  }
  // Holding the lock, no monitor can start meanwhile: one that took it first
  // makes this fail (already running), one that comes later finds nothing
  // half removed. (Nothing here may open and close NAME.pid again: closing
  // any fd on it would drop our POSIX lock. So no second inspect_service.)
  auto lock = pidfile::acquire(p.pidfile);
  if (!lock) return lock.err().code == errc::already_running ? still_running() : std::move(lock).err();
  // A monitor that started and died since the first look leaves its service
  // running unsupervised: NAME.state names it.
  auto st = read_service_state(p.state);
  if (st && *st && (*st)->pid > 1 && same_process((*st)->pid, (*st)->pid_start_ticks)) return still_running();
  if (auto r = remove_file(p.state); !r) return r;
  if (auto r = remove_file(p.config); !r) return r;
  lock->release();  // removes NAME.pid, ours now
  return {};
}

}  // namespace daemonkit
