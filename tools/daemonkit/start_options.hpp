// The options of `start` and `run`, parsed into a service_config.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli.hpp"

namespace dk {

// Raw values as typed; make_start_request validates them all, so every bad
// value is a usage error naming its option.
struct start_args {
  bool name_given = false;  // --name was given, even as ""
  std::string name, log_file, stdout_file, stderr_file, log_max_size, log_keep;
  bool timestamps = false;
  std::string ready = "exec", ready_timeout = "60s";
  std::string stop_signal = "TERM", stop_timeout = "10s", kill_mode = "group", reload_signal = "HUP";
  std::string respawn = "never", respawn_max_delay = "30s", respawn_limit, respawn_window = "60s";
  std::string chdir = "/", umask = "022", user, chroot, nice;
  std::vector<std::string> env, env_files, rlimits;
  bool clear_env = false;
};

void add_start_options(CLI::App* sub, start_args& a);

// `remaining` is the service's command line (what follows the options or --).
daemonkit::result<start_request> make_start_request(const start_args& a, std::vector<std::string> remaining,
                                                    const common_options& common, bool foreground);

}  // namespace dk
