// SPDX-License-Identifier: MIT
/// \file
/// What a supervised service is doing: one vocabulary for the monitor, the
/// state file (NAME.state's "state" key), `status`/`list` (text and JSON) and
/// their exit codes.
///
/// The words are part of the on-disk and `--json` contract: they never change
/// meaning, and a new phase is a new word.
#pragma once

#include <optional>
#include <string_view>

#include "daemonkit/export.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// What a supervised service is doing; each phase's word is its name.
enum class service_phase {
  starting,   ///< spawned, waiting for readiness
  running,    ///< ready
  reloading,  ///< ready, and said RELOADING=1 (sd_notify) without READY=1 since
  backoff,    ///< exited; waiting to be started again
  stopping,   ///< the stop signal went out (or the service said STOPPING=1)
  stopped,    ///< stopped on request
  exited,     ///< exited on its own and is not restarted
  failed,     ///< did not start, or gave up restarting
};

/// The phase's word: "starting", "running", ...
std::string_view to_string(service_phase p) noexcept;
/// The phase a word names; nullopt for any other text.
std::optional<service_phase> parse_service_phase(std::string_view word) noexcept;
/// True for the phases in which a monitor still supervises a service.
bool is_live(service_phase p) noexcept;

/// What the service's health checks (`--health`) say: none without checks;
/// starting until the first passes (or retries fail in a row).
enum class service_health {
  none,      ///< no health checks
  starting,  ///< no check has passed yet, and fewer than the retries have failed
  healthy,   ///< a check passed, and fewer than the retries have failed in a row since
  unhealthy  ///< the retries (service_config::health_retries) failed in a row, and none passed since
};

/// "", "starting", "healthy", "unhealthy".
std::string_view to_string(service_health h) noexcept;
/// The health a word names ("" is none); nullopt for any other text.
std::optional<service_health> parse_service_health(std::string_view word) noexcept;

}  // namespace daemonkit
DAEMONKIT_API_END
