// SPDX-License-Identifier: MIT
/// \file
/// A supervised service: everything needed to start it again, as plain data.
///
/// The monitor (monitor.hpp) runs one service_config; the daemonkit tool
/// stores it as NAME.json (service_codec.hpp) so `restart NAME` needs only the
/// name.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemonkit/check.hpp"
#include "daemonkit/credentials.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/respawn.hpp"
#include "daemonkit/spawn.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// How a service tells that it is ready.
enum class ready_mode {
  exec,    ///< ready once executed
  notify,  ///< sd_notify READY=1
  fd,      ///< a newline on an fd (service_config::ready_fd)
  check,   ///< a check (check.hpp) passes
  pidfile  ///< the command daemonizes itself (its first process exits 0) and the process its pidfile names is
           ///< the main process
};
/// Which processes a stop signals.
enum class kill_mode {
  group,    ///< the stop signal, then SIGKILL, to every process of the service
  process,  ///< to the main process alone
  mixed     ///< the stop signal to the main process, SIGKILL to every process left at the stop timeout
};

/// A service, as the monitor runs it and NAME.json stores it.
struct service_config {
  std::string name;                     ///< the service's name (service_dir.hpp: valid_service_name)
  std::vector<std::string> argv;        ///< the command; argv[0] is searched in PATH if it has no '/'
  std::vector<std::string> env;         ///< the service's whole environment
  std::string working_directory = "/";  ///< the service's working directory
  int umask = 022;                      ///< the service's umask
  /// Parsed once, where the options come in (the CLI, read_service_config);
  /// looked up at each start, before the monitor runs (run_monitor(),
  /// exec_monitor(), monitor_options::identity). nullopt: keep ours.
  std::optional<user_spec> user;
  std::string chroot;                   ///< empty: none
  int nice = 0;                         ///< added to the niceness when not 0
  std::vector<rlimit_setting> rlimits;  ///< resource limits set in the service

  ready_mode ready = ready_mode::exec;    ///< how readiness is told
  int ready_fd = -1;                      ///< for ready_mode::fd: the fd number the service writes to
  std::optional<check_spec> ready_check;  ///< for ready_mode::check
  std::string ready_pidfile;              ///< for ready_mode::pidfile: absolute
  /// How long an instance may take to become ready: then the first start
  /// fails, and a respawned instance is stopped and started again.
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(60)};

  /// Liveness: once ready, health is checked every health_interval (each try
  /// bounded by health_timeout); health_retries failures in a row make the
  /// service unhealthy, and with a respawn policy restart it.
  std::optional<check_spec> health;
  std::chrono::milliseconds health_interval{std::chrono::seconds(10)};  ///< see health
  std::chrono::milliseconds health_timeout{std::chrono::seconds(5)};    ///< see health
  unsigned health_retries = 3;                                          ///< see health

  int stop_signal = SIGTERM;  ///< what a stop sends first
  /// How long a stop waits after stop_signal before SIGKILL.
  std::chrono::milliseconds stop_timeout{std::chrono::seconds(10)};
  kill_mode kill = kill_mode::group;  ///< which processes a stop signals
  int reload_signal = SIGHUP;         ///< 0: the program has no reload
  /// A shell command run (as the service runs) before reload and restart; when
  /// it fails they are refused. Empty: none.
  std::string check_config;
  /// A reload fails when the main process exits within this time of the signal.
  std::chrono::milliseconds reload_timeout{std::chrono::seconds(1)};

  /// A directory of the service's own under /run (root) or $XDG_RUNTIME_DIR,
  /// made for it (owned by its user, 0755, $RUNTIME_DIRECTORY) before it
  /// starts and removed after it stops. One path component; empty: none.
  std::string runtime_dir;

  respawn_policy respawn;  ///< when to restart it after it exits on its own

  /// Output. With passthrough the service writes straight to the monitor's own
  /// stdout/stderr (daemonkit run without a log); otherwise it goes through a
  /// pipe the monitor owns into log_file, or stdout_file/stderr_file when split.
  bool passthrough = false;
  std::string log_file;            ///< the log of stdout and stderr (see passthrough)
  std::string stdout_file;         ///< stdout's own log, instead of log_file
  std::string stderr_file;         ///< stderr's own log, instead of log_file
  std::uint64_t log_max_size = 0;  ///< log_options::max_size of each log
  unsigned log_keep = 5;           ///< log_options::keep of each log
  bool timestamps = false;         ///< log_options::timestamps of each log
  /// The services file (daemonkit.toml) the service was started from, as an
  /// absolute path; empty for a service started on its own.
  std::string source_file;
  /// That file's settings for the service, as JSON text (the keys as the
  /// file spells them, after [defaults]): what `daemonkit up` compares with
  /// the file to tell whether the service changed, and which keys did.
  std::string source_settings;
};

/// `--runtime-dir NAME`: one path component of A-Za-z0-9._- (at most 64), not
/// "." or "..".
bool valid_runtime_dir_name(std::string_view name) noexcept;
/// Where runtime directory NAME lives for a monitor of ours: /run/NAME as
/// root, else $XDG_RUNTIME_DIR/NAME (/run/user/UID/NAME without it).
std::string runtime_dir_path(const std::string& name);

}  // namespace daemonkit
DAEMONKIT_API_END
