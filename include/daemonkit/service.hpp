// A supervised service: everything needed to start it again, as plain data.
//
// The monitor (monitor.hpp) runs one service_config; the daemonkit tool
// stores it (as JSON, its own concern) so `restart NAME` needs only the name.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "daemonkit/respawn.hpp"

namespace daemonkit {

enum class ready_mode { exec, notify, fd };
enum class kill_mode { group, process };

struct service_config {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // the service's whole environment
  std::string working_directory = "/";
  int umask = 022;
  std::string user;  // USER[:GROUP] as given; empty: keep
  std::string chroot;
  int nice = 0;
  std::vector<std::string> rlimits;  // "nofile=65536", as given

  ready_mode ready = ready_mode::exec;
  int ready_fd = -1;  // for ready_mode::fd
  std::chrono::milliseconds ready_timeout{std::chrono::seconds(60)};

  int stop_signal = SIGTERM;
  std::chrono::milliseconds stop_timeout{std::chrono::seconds(10)};
  kill_mode kill = kill_mode::group;
  int reload_signal = SIGHUP;

  respawn_policy respawn;

  // Output. With passthrough the service writes straight to the monitor's own
  // stdout/stderr (daemonkit run without a log); otherwise it goes through a
  // pipe the monitor owns into log_file, or stdout_file/stderr_file when split.
  bool passthrough = false;
  std::string log_file;
  std::string stdout_file;
  std::string stderr_file;
  std::uint64_t log_max_size = 0;
  unsigned log_keep = 5;
  bool timestamps = false;
};

}  // namespace daemonkit
