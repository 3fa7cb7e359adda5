// SPDX-License-Identifier: MIT
// Shared pieces of the daemonkit command line: exit codes, messages, and the
// one place errors become text.
#pragma once

#include <string>
#include <vector>

#include "daemonkit/result.hpp"
#include "daemonkit/service.hpp"
#include "daemonkit/supervised.hpp"

namespace dk {

// Exit codes (status uses the LSB codes below).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;
inline constexpr int lsb_running = 0, lsb_dead = 1, lsb_not_running = 3, lsb_unknown = 4;

// Every printer of text that a service or a user chose (names, commands,
// STATUS= text, last exit, paths, option values) shows it through
// daemonkit::escape_for_terminal: control characters and bytes that are not
// UTF-8 appear as \x1b, \r, \xe9, ... and can never drive the terminal.

// "daemonkit: NAME: text" (or "daemonkit: text") on stderr, escaped. A
// message may go on over several lines only as "\n    " (a newline and a
// four-space indent: the service's last output after a failed start); each
// such line is escaped on its own, so no text can start a line of its own.
void complain(const std::string& name, const std::string& text);
// A usage error: names the option, exits 2 (returns the code to return).
// Escaped like complain.
int usage_error(const std::string& text);

struct common_options {
  std::string state_dir;
  std::string log_dir;
};

// Resolved state directory (checked and, if create, created).
daemonkit::result<std::string> state_dir(const common_options& o, bool create);

// "config check failed (exited with status 1): its output", the output's
// lines as continuation lines (see complain): for reload and restart.
std::string config_check_failure(const daemonkit::config_check_result& check);

struct start_request {
  daemonkit::service_config config;
  bool explicit_log = false;  // a log was named (run: otherwise pass output through)
  bool no_state = false;      // run --no-state
  bool signal_group = false;  // run --signal-group
};

// Starts c under a monitor and waits until it is ready (its readiness
// mode): exit_ok with its pid in pid_out, printing nothing; otherwise says
// why (complain) and returns the exit code.
int launch_service(const common_options& o, daemonkit::service_config c, pid_t& pid_out);

int cmd_start(const common_options& o, start_request req);
int cmd_run(const common_options& o, start_request req);
int cmd_stop(const common_options& o, const std::string& name, const std::string& timeout);
int cmd_restart(const common_options& o, const std::string& name);
int cmd_reload(const common_options& o, const std::string& name);
int cmd_remove(const common_options& o, const std::vector<std::string>& names);
int cmd_signal(const common_options& o, const std::string& name, const std::string& signal);
int cmd_reopen(const common_options& o, const std::string& name);
int cmd_status(const common_options& o, const std::vector<std::string>& names, bool json);
int cmd_list(const common_options& o, bool json);
// status -f FILE / list -f FILE: the file's services, in dependency order.
int cmd_status_file(const common_options& o, const std::string& file, bool json);
int cmd_list_file(const common_options& o, const std::string& file, bool json);

// The services file (cmd_up.cpp).
struct up_options {
  std::string file;  // -f; empty: ./daemonkit.toml
  bool dry_run = false, remove_orphans = false;
  std::vector<std::string> names;
};
int cmd_check(const std::string& file);
int cmd_up(const common_options& o, const up_options& u);
int cmd_down(const common_options& o, const std::string& file, const std::vector<std::string>& names);
int cmd_list_names(const common_options& o);
int cmd_logs(const common_options& o, const std::string& name, long lines, bool follow);

}  // namespace dk
