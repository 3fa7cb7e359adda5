// SPDX-License-Identifier: MIT
// One supervisord [program:x] section as one daemonkit service, for
// `daemonkit import` (import_file.hpp): which daemonkit key each supervisord
// key becomes, and why the others do not carry over. Each key is read with
// supervisord's defaults and [DEFAULT] fallback, expanded as supervisord
// expands it (import_expand.hpp), and either written or lost with a reason
// (a "not carried over" comment and a warning): nothing is dropped silently.
// The conversion is one class over import_program.cpp and, for the logs,
// whose mapping is the longest, import_program_logs.cpp.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>

#include "import_expand.hpp"
#include "import_ini.hpp"
#include "import_output.hpp"

namespace dk::import_detail {

struct supervisord_group {
  std::string name;
  long long priority = 999;
};

class program_converter {
 public:
  // program: the name after "program:"; group: the [group:x] that lists it,
  // or null. imp, ini, section and out must outlive the converter.
  program_converter(importer& imp, const ini_file& ini, const ini_section& section, std::string program,
                    const supervisord_group* group, service_out& out)
      : imp_(imp), ini_(ini), section_(section), out_(out) {
    names_.program_name = std::move(program);
    names_.group_name = group != nullptr ? group->name : names_.program_name;
    names_.here = imp.context.here;
    names_.getenv = &imp.context.getenv;
    group_ = group;
  }

  // Fills out (named already) from the section, or marks it skipped with
  // its reason; warns through imp.
  void convert();

 private:
  const ini_value* get(const std::string& key) {
    used_.insert(key);
    if (const auto* v = section_.find(key)) return v;
    return ini_.defaults.find(key);
  }

  std::string setting(const ini_value& v) const { return v.key + " = " + v.value; }

  void lose(const ini_value& v, const std::string& why);
  // A note above the next key (and a warning).
  void note(const ini_value& v, const std::string& text);
  // v expanded; false (and v lost) when it differs per instance and
  // per_instance_ok is false.
  std::optional<expanded> expand_value(const ini_value& v, bool per_instance_ok = false);
  void put(const std::string& key, const std::string& toml_value, const std::string& inline_comment = "");
  // key = "text" from v (expanded), with its notes; false when it cannot be.
  bool put_string(const std::string& key, const ini_value& v, const expanded& e);
  void path_key(const std::string& key, const ini_value& v);
  std::optional<long long> integer(const char* key, long long fallback, long long min);
  std::optional<bool> boolean(const char* key, bool fallback, const ini_value** given = nullptr);

  void convert_command();
  void convert_environment();
  void convert_restart();
  void convert_stop();
  void convert_logs();  // import_program_logs.cpp
  void lose_the_rest();

  importer& imp_;
  const ini_file& ini_;
  const ini_section& section_;
  service_out& out_;
  const supervisord_group* group_ = nullptr;
  expansion_names names_;
  std::set<std::string> used_;
};

}  // namespace dk::import_detail
