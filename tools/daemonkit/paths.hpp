// Where the tool keeps its state and logs, and which service names are valid.
#pragma once

#include <string>
#include <string_view>

#include "daemonkit/credentials.hpp"
#include "daemonkit/result.hpp"

namespace dk {

// 1-64 of [A-Za-z0-9._@-], not starting with '.': a name becomes a file name.
bool valid_service_name(std::string_view name);

// p relative to the working directory made absolute (empty stays empty).
std::string absolute_path(const std::string& p);

struct dirs {
  std::string state;  // 0700, owned by us
  std::string log;
};

// --state-dir / DAEMONKIT_STATE_DIR, else /run/daemonkit (root),
// $XDG_RUNTIME_DIR/daemonkit, or /tmp/daemonkit-UID.
std::string default_state_dir();
// --log-dir / DAEMONKIT_LOG_DIR, else /var/log/daemonkit (root) or
// ${XDG_STATE_HOME:-~/.local/state}/daemonkit/log; empty when there is no
// home of our own (the caller then uses the state directory's log/).
std::string default_log_dir();

// Creates dir (0700) if missing, with missing parents; refuses a symlink, a
// non-directory, one owned by another user, or one writable by group/others.
daemonkit::result<void> ensure_private_dir(const std::string& dir, bool create);
// Creates a log directory if missing (0750 for root, 0700 for a user;
// missing parents 0755) through a checked walk (trusted_path.hpp), as the
// service's user past anything that user owns. `ours`: it is a default
// directory, so one that an older version made looser is tightened.
daemonkit::result<void> ensure_log_dir(const std::string& dir, bool ours,
                                       const daemonkit::credentials* service_user = nullptr);

struct service_paths {
  std::string pidfile, state, config;
};
service_paths paths_for(const std::string& state_dir, const std::string& name);

}  // namespace dk
