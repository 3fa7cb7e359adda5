// dk::config_from_json: NAME.json, the stored options of a service, read back
// by restart/status. Private to the tool (tools/daemonkit/config_json.cpp is
// compiled into this target, see CMakeLists.txt).
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config_json.hpp"
#include "fuzz_check.hpp"

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

  // What the tool writes reads back as the same options.
  const std::string written = dk::config_to_json(*c);
  auto again = dk::config_from_json(written);
  DAEMONKIT_FUZZ_CHECK(again.has_value());
  DAEMONKIT_FUZZ_CHECK(dk::config_to_json(*again) == written);
  return 0;
}
