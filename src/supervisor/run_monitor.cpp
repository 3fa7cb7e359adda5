// SPDX-License-Identifier: MIT
// run_monitor(): the service's user looked up, then the monitor run. Apart
// from monitor.cpp so that the monitor program, which is handed the user
// already looked up and calls run_looked_up_monitor(), links no NSS lookup.
#include "daemonkit/credentials.hpp"
#include "daemonkit/monitor.hpp"
#include "supervisor/monitor_loop.hpp"

namespace daemonkit {

int run_monitor(const monitor_options& options, pidfile lock, daemonized* launcher) {
  if (!options.service.user || options.identity) {
    return supervisor::run_looked_up_monitor(options, std::move(lock), launcher, nullptr);
  }
  // Looked up at each start: the passwd entry may have changed since.
  auto creds = resolve_credentials(options.service.user->user, options.service.user->group);
  if (!creds) return supervisor::run_looked_up_monitor(options, std::move(lock), launcher, &creds.err());
  monitor_options looked_up = options;
  looked_up.identity = std::move(*creds);
  return supervisor::run_looked_up_monitor(looked_up, std::move(lock), launcher, nullptr);
}

}  // namespace daemonkit
