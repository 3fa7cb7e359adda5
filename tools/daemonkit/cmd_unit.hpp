// SPDX-License-Identifier: MIT
// `daemonkit unit`: print (or --install) a systemd unit that runs a service
// with the same settings, from start's options or a stored service.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli.hpp"
#include "start_options.hpp"

namespace dk {

struct unit_args {
  std::string name;  // a stored service (STATE/NAME.json), instead of OPTIONS -- COMMAND
  bool user_unit = false;
  bool install = false;
  std::string unit_name;  // --unit-name (install as this unit)
  std::string unit_dir;   // --unit-dir (install there instead of systemd's directory)
  std::string file;       // -f: a unit per service of this services file (NAME: only that one)
  bool from_file = false;
  // start's options on this subcommand: none may come with NAME.
  std::vector<const CLI::Option*> start_options;
};

// Adds `unit` with start's options (into sa, shared with start and run) and
// its own (into ua).
CLI::App* add_unit_command(CLI::App& app, start_args& sa, unit_args& ua);

// command: what followed "--" (empty: none; {""}: "--" with nothing after).
int cmd_unit(const common_options& o, const start_args& sa, const unit_args& ua, std::vector<std::string> command);

}  // namespace dk
