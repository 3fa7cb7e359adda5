// SPDX-License-Identifier: MIT
// The options of `start` and `run`, parsed into a service_config.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"

namespace dk {

// Raw values as typed; make_start_request validates them all, so every bad
// value is a usage error naming its option.
struct start_args {
  bool name_given = false;  // --name was given, even as ""
  std::string name, log_file, stdout_file, stderr_file;
  std::optional<std::string> log_max_size, log_keep;  // given, even as "" (an error)
  bool timestamps = false;
  std::string ready = "exec", ready_timeout = "60s";
  std::string stop_signal = "TERM", stop_timeout = "10s", kill_mode = "group", reload_signal = "HUP";
  std::optional<std::string> health, check_config, runtime_dir;
  std::string health_interval = "10s", health_timeout = "5s", health_retries = "3", reload_timeout = "1s";
  std::string respawn = "never", respawn_max_delay = "30s", respawn_min_uptime = "1s", respawn_limit,
              respawn_window = "60s";
  std::string chdir = "/", umask = "022", user, chroot, nice;
  std::vector<std::string> env, env_files, rlimits;
  bool clear_env = false;
  bool no_state = false, signal_group = false;  // run only
};

void add_start_options(CLI::App* sub, start_args& a);
// The options only `run` has.
void add_run_options(CLI::App* run, start_args& a);

// `remaining` is the service's command line (what follows the options or --).
daemonkit::result<start_request> make_start_request(const start_args& a, std::vector<std::string> remaining,
                                                    const common_options& common, bool foreground);

}  // namespace dk
