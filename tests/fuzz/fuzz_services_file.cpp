// SPDX-License-Identifier: MIT
// dk::parse_services_file (tools/daemonkit/services_file.hpp): daemonkit.toml,
// read by `check`, `up`, `down`, `status -f` and `list -f`.
//
// An input is the text of a services file. Whatever it holds, the reader
// returns (never throws) and every error it reports has a message and a
// position inside the text (line 0 only for an error about the whole
// file). A file it accepts is one `up` can act on without a surprise: every
// service has a command and valid names, comes after everything it depends
// on, waits only for conditions its dependencies can meet, and its start
// request is accepted by make_start_request for each of its names, so
// nothing `check` passes is refused at `up`.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemonkit/service_dir.hpp"
#include "fuzz_check.hpp"
#include "services_file.hpp"

namespace {

// Where the file is: a directory that does not exist, so relative env_file
// paths name nothing on this machine.
constexpr const char* file_path = "/nonexistent-daemonkit-fuzz/daemonkit.toml";

[[noreturn]] void refused(const std::string& name, const std::string& why) {
  std::fprintf(stderr, "%s: refused at up: %s\n", name.c_str(), why.c_str());
  daemonkit::fuzz::fail(__FILE__, __LINE__, "a start request of a file check accepts is refused");
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

// The characters of each line of text ('\n' ends a line, as for toml++;
// a column counts UTF-8 characters, not bytes).
std::vector<std::size_t> line_lengths(std::string_view text) {
  std::vector<std::size_t> lengths{0};
  for (char c : text) {
    if (c == '\n') lengths.push_back(0);
    else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++lengths.back();
  }
  return lengths;
}

// Where an error may be: on a line of text, at a character of it or one
// past its end; line 0 only for what is about the file as a whole.
bool in_text(const dk::file_error& e, const std::vector<std::size_t>& lengths) {
  if (e.at.line == 0) return e.at.column == 0 && e.message.rfind("no services", 0) == 0;
  return e.at.line <= lengths.size() && e.at.column >= 1 && e.at.column <= lengths[e.at.line - 1] + 1;
}

void check_errors(const dk::services_file& f, std::string_view text) {
  const auto lengths = line_lengths(text);
  for (const auto& e : f.errors) {
    DAEMONKIT_FUZZ_CHECK(!e.message.empty());
    if (!in_text(e, lengths)) {
      std::fprintf(stderr, "%s\n", f.describe(e).c_str());
      daemonkit::fuzz::fail(__FILE__, __LINE__, "an error is not in the text");
    }
  }
}

void check_accepted(const dk::services_file& f) {
  DAEMONKIT_FUZZ_CHECK(!f.services.empty());
  std::set<std::string> names, bases;
  for (std::size_t i = 0; i < f.services.size(); ++i) {
    const dk::file_service& s = f.services[i];
    DAEMONKIT_FUZZ_CHECK(bases.insert(s.name).second);
    DAEMONKIT_FUZZ_CHECK(s.name.find('@') == std::string::npos);
    DAEMONKIT_FUZZ_CHECK(!s.command.empty() && !s.command[0].empty());
    DAEMONKIT_FUZZ_CHECK(s.instances != 1 && s.instances <= 1000);  // one instance is the service itself
    if (s.oneshot) DAEMONKIT_FUZZ_CHECK(s.args.respawn == "never");

    // Dependency order, and conditions the dependency can meet.
    for (const auto& d : s.depends_on) {
      std::size_t j = 0;
      while (j < f.services.size() && f.services[j].name != d.service) ++j;
      DAEMONKIT_FUZZ_CHECK(j < i);
      if (d.condition == dk::dependency_condition::completed) DAEMONKIT_FUZZ_CHECK(f.services[j].oneshot);
      if (d.condition == dk::dependency_condition::healthy) DAEMONKIT_FUZZ_CHECK(f.services[j].args.health);
    }

    // Comparing settings with themselves finds nothing changed; with none,
    // at least the command.
    DAEMONKIT_FUZZ_CHECK(s.settings.is_object());
    DAEMONKIT_FUZZ_CHECK(dk::changed_settings(s.settings, s.settings).empty());
    auto gone = dk::changed_settings(s.settings, nlohmann::json::object());
    DAEMONKIT_FUZZ_CHECK(std::find(gone.begin(), gone.end(), "command") != gone.end());

    const auto service_names = s.service_names();
    DAEMONKIT_FUZZ_CHECK(service_names.size() == (s.instances == 0 ? 1U : s.instances));
    for (const auto& name : service_names) {
      DAEMONKIT_FUZZ_CHECK(daemonkit::valid_service_name(name));
      DAEMONKIT_FUZZ_CHECK(names.insert(name).second);
      // What check accepted, up starts.
      auto req = dk::service_request(f, s, name, dk::common_options{});
      if (!req) refused(name, req.err().message());
      const auto& c = req->config;
      DAEMONKIT_FUZZ_CHECK(c.name == name);
      DAEMONKIT_FUZZ_CHECK(c.argv == s.command);
      DAEMONKIT_FUZZ_CHECK(c.source_file == f.path);
      // execve and open see C strings: a NUL would cut them short.
      for (const auto& a : c.argv) DAEMONKIT_FUZZ_CHECK(!has_nul(a));
      for (const auto& e : c.env) DAEMONKIT_FUZZ_CHECK(!has_nul(e) && e.find('=') != std::string::npos && e[0] != '=');
      for (const std::string* p : {&c.working_directory, &c.chroot, &c.log_file, &c.stdout_file, &c.stderr_file}) {
        DAEMONKIT_FUZZ_CHECK(!has_nul(*p));
      }
      if (s.instances != 0) {
        const std::string instance = "DAEMONKIT_INSTANCE=" + name.substr(name.find('@') + 1);
        DAEMONKIT_FUZZ_CHECK(std::find(c.env.begin(), c.env.end(), instance) != c.env.end());
      }
      // The stored settings are what up compares with next time.
      DAEMONKIT_FUZZ_CHECK(nlohmann::json::parse(c.source_settings) == s.settings);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  try {
    const dk::services_file f = dk::parse_services_file(text, file_path);
    DAEMONKIT_FUZZ_CHECK(f.path == file_path);
    check_errors(f, text);
    if (f.errors.empty()) check_accepted(f);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    daemonkit::fuzz::fail(__FILE__, __LINE__, "an exception escaped");
  }
  return 0;
}
