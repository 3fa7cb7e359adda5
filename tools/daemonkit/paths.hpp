// SPDX-License-Identifier: MIT
// Where the tool keeps its state and logs (the layout inside the state
// directory is the library's: daemonkit/service_dir.hpp).
#pragma once

#include <string>

#include "daemonkit/credentials.hpp"
#include "daemonkit/result.hpp"

namespace dk {

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

// daemonkit::ensure_state_dir, with a hint when the refused directory is the
// last-resort default in /tmp.
daemonkit::result<void> ensure_private_dir(const std::string& dir, bool create);
// Creates a log directory if missing (0750 for root, 0700 for a user;
// missing parents 0755) through a checked walk (trusted_path.hpp), as the
// service's user past anything that user owns. `ours`: it is a default
// directory, so one that an older version made looser is tightened.
// The monitor program (daemonkit-monitor) that goes with this binary: next to
// it (the build tree), else where the install put it (LIBEXECDIR/daemonkit/,
// by default ../libexec/daemonkit/ from the binary's directory).
// Empty when there is none: the CLI then runs the monitor itself.
std::string monitor_program();

daemonkit::result<void> ensure_log_dir(const std::string& dir, bool ours,
                                       const daemonkit::credentials* service_user = nullptr);

}  // namespace dk
