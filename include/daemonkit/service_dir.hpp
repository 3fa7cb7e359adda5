// SPDX-License-Identifier: MIT
/// \file
/// The state directory of supervised services: which files a service has
/// there, which names are valid, and which services a directory holds.
///
/// One service NAME in a state directory STATE owns three files:
/// \verbatim
/// STATE/NAME.pid    the monitor's pidfile (pidfile.hpp): write-locked by the
///                   monitor for its whole life; its content is the
///                   service's main pid, not the monitor's
/// STATE/NAME.state  what the monitor publishes (service_state.hpp)
/// STATE/NAME.json   the service's options (service_codec.hpp)
/// \endverbatim
/// This layout is the on-disk contract every program that starts, inspects or
/// stops a service shares (supervised.hpp); it does not change meaning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// 1-64 of `[A-Za-z0-9._@-]`, not starting with '.': a name becomes a file name.
bool valid_service_name(std::string_view name) noexcept;

/// The files of one service in a state directory.
struct service_paths {
  std::string pidfile;  ///< STATE/NAME.pid
  std::string state;    ///< STATE/NAME.state
  std::string config;   ///< STATE/NAME.json
};

/// The files of service name in state_dir. Does not check name (see
/// valid_service_name) and touches nothing on disk.
service_paths service_paths_for(const std::string& state_dir, const std::string& name);

/// Every valid service name with a file in state_dir, sorted, each once. A
/// directory that cannot be read has none.
std::vector<std::string> list_service_names(const std::string& state_dir);

/// Checks that dir can hold state only we may change: a directory (not a
/// symbolic link) owned by the effective uid and not writable by group or
/// others. With create, makes it first (0700; missing parents 0755). Errors
/// name dir and say why it is refused.
result<void> ensure_state_dir(const std::string& dir, bool create);

}  // namespace daemonkit
DAEMONKIT_API_END
