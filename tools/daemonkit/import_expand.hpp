// SPDX-License-Identifier: MIT
// supervisord's %(name)s expansions in a program's values, for `daemonkit
// import` (import_file.hpp). supervisord expands a value per program, and
// %(process_num)d per process: a value that holds it differs per instance,
// which daemonkit can carry over only in the command (run by /bin/sh, which
// computes the number: import_instance_command.hpp). So the expansion leaves
// a mark where that number goes, and the code after it decides.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dk::import_detail {

// Stands for supervisord's %(process_num)... in a value that differs per
// instance; never in a value that held it itself (expand refuses those).
// shlex_split turns a mark it met inside quotes into quoted_instance_mark:
// supervisord splits words after the expansion, so padding spaces split a
// word only where the number was not quoted.
inline constexpr char instance_mark = '\x01';
inline constexpr char quoted_instance_mark = '\x02';
inline constexpr std::string_view instance_marks = "\x01\x02";

struct expansion_names {
  std::string here;
  std::string program_name;
  std::string group_name;
  long long numprocs = 1;
  long long numprocs_start = 0;
  bool per_instance = false;  // numprocs > 1: process_num differs per instance
  const std::function<std::optional<std::string>(const std::string&)>* getenv = nullptr;
};

struct expanded {
  std::string text;
  std::vector<std::string> notes;  // what a reader must know: kept as written, taken from here
  // One printf(1) format per instance_mark in text, in order ("" for a plain
  // number).
  std::vector<std::string> instance_formats;
  bool per_instance() const { return !instance_formats.empty(); }
};

// value with supervisord's expansions done: %% is a %; %(here)s,
// %(program_name)s, %(group_name)s, %(numprocs)d, %(process_num)d (a number,
// or an instance_mark when it differs per instance) and %(ENV_X)s (from
// names.getenv, said in a note). What cannot be expanded here stays as
// written, with a note.
expanded expand(std::string_view value, const expansion_names& names);

}  // namespace dk::import_detail
