// SPDX-License-Identifier: MIT
// The log files of a supervised service, opened the way the monitor and its
// keeper both need them (one place, so the keeper never rebuilds paths or
// options differently from the monitor).
#pragma once

#include <string>

#include "daemonkit/credentials.hpp"
#include "daemonkit/log_file.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"

namespace daemonkit {

// Where the service's stdout and stderr go: the split files, or log_file for
// both. Empty when that stream is not logged (passthrough).
std::string stdout_log_path(const service_config& cfg);
std::string stderr_log_path(const service_config& cfg);

// Opens one of the service's logs with its rotation settings. service_user is
// the identity the service runs as (null when it keeps the monitor's).
result<log_file> open_service_log(const service_config& cfg, const std::string& path, const credentials* service_user);

// The keeper's work once the monitor is gone: opens the logs (as
// open_service_log; a log that cannot be opened is read and dropped) and
// copies each pipe (-1: absent; out_path/err_path its log) to its log until
// every writer is gone. Blocks; leaves the pipes blocking.
void drain_to_logs(int out_fd, const std::string& out_path, int err_fd, const std::string& err_path,
                   const service_config& cfg, const credentials* service_user);

}  // namespace daemonkit
