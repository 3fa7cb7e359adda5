// dk::config_from_json: NAME.json, the stored options of a service, read back
// by restart/status. Private to the tool (tools/daemonkit/config_json.cpp is
// compiled into this target, see CMakeLists.txt).
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "config_json.hpp"
#include "fuzz_check.hpp"

namespace {
bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto c = dk::config_from_json(text);
  if (!c) {
    DAEMONKIT_FUZZ_CHECK(c.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  // What the monitor will act on is sane.
  DAEMONKIT_FUZZ_CHECK(!c->argv.empty() && !c->argv[0].empty());
  DAEMONKIT_FUZZ_CHECK(c->stop_signal > 0 && c->stop_signal < NSIG);
  DAEMONKIT_FUZZ_CHECK(c->reload_signal > 0 && c->reload_signal < NSIG);
  DAEMONKIT_FUZZ_CHECK(c->umask >= 0 && c->umask <= 0777);
  DAEMONKIT_FUZZ_CHECK(c->ready_timeout.count() >= 0 && c->stop_timeout.count() >= 0);
  DAEMONKIT_FUZZ_CHECK(c->respawn.max_delay.count() >= 0 && c->respawn.window.count() >= 0);
  if (c->ready == daemonkit::ready_mode::fd) DAEMONKIT_FUZZ_CHECK(c->ready_fd >= 3 && c->ready_fd <= 1023);

  // Strings reach execve, open and getpwnam as C strings: a NUL would cut
  // them short there, so none may get through.
  for (const auto& a : c->argv) DAEMONKIT_FUZZ_CHECK(!has_nul(a));
  for (const auto& e : c->env) DAEMONKIT_FUZZ_CHECK(!has_nul(e));
  for (const std::string* f :
       {&c->name, &c->working_directory, &c->user, &c->chroot, &c->log_file, &c->stdout_file, &c->stderr_file}) {
    DAEMONKIT_FUZZ_CHECK(!has_nul(*f));
  }
  // Numbers are taken exactly as stored, never truncated or rounded: a
  // corrupt "stop_signal": 4294967305 must not become 9 (KILL).
  const auto j = nlohmann::json::parse(text);
  auto stored_exactly = [&](const char* key, long long parsed) {
    if (!j.contains(key)) return true;
    return j.at(key).is_number_integer() && j.at(key).get<long long>() == parsed;
  };
  DAEMONKIT_FUZZ_CHECK(stored_exactly("umask", c->umask));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("stop_signal", c->stop_signal));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("reload_signal", c->reload_signal));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("nice", c->nice));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("stop_timeout_ms", c->stop_timeout.count()));

  // What the tool writes reads back as the same options.
  const std::string written = dk::config_to_json(*c);
  auto again = dk::config_from_json(written);
  DAEMONKIT_FUZZ_CHECK(again.has_value());
  DAEMONKIT_FUZZ_CHECK(dk::config_to_json(*again) == written);
  return 0;
}
