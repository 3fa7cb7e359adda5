// SPDX-License-Identifier: MIT
// The services file (daemonkit.toml): many services, their settings and the
// order they depend on each other in. Read and checked here, all at once,
// before anything is started: `check`, `up`, `down`, `status -f` and
// `list -f` all go through read_services_file.
//
// A service's keys are the options of `start` (their long names, '-' as
// '_'), turned into the same start_args the command line fills and checked
// by the same make_start_request: a value the option refuses, the file
// refuses, with the same reason, named by its key.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "start_options.hpp"

namespace dk {

struct file_position {
  std::size_t line = 0, column = 0;  // 1-based; 0: the file as a whole
};

struct file_error {
  file_position at;
  std::string message;  // "services.web.stop_timeout: invalid duration 'soon'"
};

// What a dependant waits for (depends_on = { db = "ready" }).
enum class dependency_condition { started, ready, healthy, completed };
std::string_view to_string(dependency_condition c) noexcept;

struct dependency {
  std::string service;  // a [services.X] of the file (all its instances)
  dependency_condition condition = dependency_condition::ready;
  file_position at;  // its depends_on key
};

struct file_service {
  std::string name;  // the table's name: "web"
  file_position at;  // its [services.NAME] header
  file_position depends_at;
  bool oneshot = false;
  unsigned instances = 0;  // 0 (instances = 1): one service named NAME; N > 1: NAME@1 .. NAME@N
  std::vector<dependency> depends_on;
  start_args args;                   // as the command line would give them
  std::vector<std::string> command;  // a string command is {"/bin/sh", "-c", it}
  // The file's settings for it, after [defaults] (paths made absolute):
  // what a running service's stored options are compared with.
  nlohmann::json settings;

  // The names the service runs under: {"web"} or {"web@1", "web@2"}.
  std::vector<std::string> service_names() const;
};

struct services_file {
  std::string path;                    // absolute
  std::string text;                    // as read (read_services_file): what up's workers parse again
  std::vector<file_service> services;  // in dependency order (file order where free)
  std::vector<file_error> errors;      // empty: the file is valid

  const file_service* find(std::string_view name) const;
  // "FILE:LINE:COLUMN: message" (or "FILE: message").
  std::string describe(const file_error& e) const;
};

// What a running service's stored settings are compared with: s.settings,
// and when it has env files, a digest of the variables they give now
// ("env_file contents"), so that editing one is a change.
nlohmann::json compared_settings(const file_service& s);

// The file named by -f (default ./daemonkit.toml), made absolute.
std::string services_file_path(const std::string& given);

// Parses and checks text (path: for messages and relative paths). Never
// throws; every problem found is in errors.
services_file parse_services_file(std::string_view text, const std::string& path);
// Reads path (a regular file, at most 1 MiB) and parses it.
services_file read_services_file(const std::string& path);

// The start request of one of s's service names ("web@2"): the options
// checked by make_start_request, DAEMONKIT_INSTANCE set for an instance,
// and the file and settings recorded in the stored options.
daemonkit::result<start_request> service_request(const services_file& f, const file_service& s, const std::string& name,
                                                 const common_options& common);

// The keys whose values differ ("env.PORT", "command"), sorted; empty when
// the settings are the same.
std::vector<std::string> changed_settings(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace dk
