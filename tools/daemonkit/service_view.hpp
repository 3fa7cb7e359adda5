// What the tool knows about one service, from its lock, state and options.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"
#include "daemonkit/service_state.hpp"
#include "paths.hpp"

namespace dk {

struct service_view {
  enum class kind {
    supervised,    // a monitor holds the lock
    unsupervised,  // the monitor is gone but the service still runs
    failed,        // gave up respawning, or died with its monitor
    exited,        // exited on its own (status in state)
    stopped,       // stopped on request
    unknown_name,  // nothing is known about it
    error,         // cannot tell (permission denied, corrupt files)
  };
  std::string name;
  kind what = kind::unknown_name;
  service_paths paths;
  pid_t monitor_pid = 0;
  // The lock holder is the monitor that published NAME.state: only then may
  // stop/reload/reopen signal it (a stranger holding the lock may not be).
  bool monitor_verified = false;
  pid_t pid = 0;                      // the service's main pid while it runs
  std::uint64_t pid_start_ticks = 0;  // unsupervised: the start time that identifies pid
  std::optional<daemonkit::service_state> state;
  std::optional<daemonkit::service_config> config;
  // kind::error: why nothing can be told. Otherwise, when not empty, why
  // NAME.state or NAME.json exists but cannot be read (too large, truncated,
  // malformed, naming the file): what is shown without it is incomplete, and
  // status/list say so rather than leave its fields out unannounced.
  std::string error;

  bool running() const { return what == kind::supervised || what == kind::unsupervised; }
  int lsb_code() const;
  // "running (pid 42)", "failed: exited with status 1", ..., with ", 3
  // processes remain after SIGKILL" when stop could not kill them all. Raw
  // text: escape it before printing.
  std::string describe() const;
};

service_view inspect_service(const std::string& state_dir, const std::string& name);

// True when pid is alive and still the process that started at start_ticks.
bool same_process(pid_t pid, std::uint64_t start_ticks);

}  // namespace dk
