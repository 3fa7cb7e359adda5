// SPDX-License-Identifier: MIT
/// \file
/// How to stop a process: a schedule of (signal, wait) steps.
///
/// The default is TERM, wait 10 s, KILL, wait 5 s. Each step sends its signal
/// and waits up to its time for the process to exit; the stop is over as soon
/// as the process is gone, never after a fixed grace period.
#pragma once

#include <chrono>
#include <csignal>
#include <string_view>
#include <vector>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// One step of a stop: send signal, then wait up to wait for the exit.
struct stop_step {
  int signal = SIGTERM;                   ///< the signal this step sends
  std::chrono::milliseconds wait{10000};  ///< how long it then waits for the process to exit
};

/// The steps of a stop, taken in order until the process is gone.
struct stop_policy {
  /// The schedule; by default TERM, wait 10 s, KILL, wait 5 s.
  std::vector<stop_step> steps{{SIGTERM, std::chrono::seconds(10)}, {SIGKILL, std::chrono::seconds(5)}};

  /// sig, wait `timeout`, then KILL and wait 5 s.
  static stop_policy signal_then_kill(int sig, std::chrono::milliseconds timeout);
};

/// Parses start-stop-daemon's `--retry` form: "TERM/30/KILL/5" (durations in
/// seconds or with units, see parse_duration), or a bare timeout "30" meaning
/// TERM/30/KILL/5.
result<stop_policy> parse_stop_schedule(std::string_view text);

}  // namespace daemonkit
DAEMONKIT_API_END
