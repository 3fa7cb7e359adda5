// parse_service_state and format_service_state: NAME.state files, read by
// status/list/stop and possibly truncated or written by someone else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/service_state.hpp"
#include "fuzz_check.hpp"

namespace {
bool same(const daemonkit::service_state& a, const daemonkit::service_state& b) {
  return a.name == b.name && a.state == b.state && a.monitor_pid == b.monitor_pid && a.pid == b.pid &&
         a.pid_start_ticks == b.pid_start_ticks && a.started_at == b.started_at &&
         a.monitor_started_at == b.monitor_started_at && a.restarts == b.restarts && a.last_exit == b.last_exit &&
         a.last_exit_code == b.last_exit_code && a.status_text == b.status_text && a.command == b.command;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto s = daemonkit::parse_service_state(text);
  if (!s) {
    DAEMONKIT_FUZZ_CHECK(s.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  // Pids that stop/status would signal or show: 0 means none; never init,
  // never negative (kill(-N) would hit a whole process group).
  DAEMONKIT_FUZZ_CHECK(s->pid == 0 || s->pid > 1);
  DAEMONKIT_FUZZ_CHECK(s->monitor_pid == 0 || s->monitor_pid > 1);

  // What the monitor writes reads back as the same state.
  const std::string written = daemonkit::format_service_state(*s);
  if (written.size() <= 64 * 1024) {
    auto again = daemonkit::parse_service_state(written);
    DAEMONKIT_FUZZ_CHECK(again.has_value());
    DAEMONKIT_FUZZ_CHECK(same(*again, *s));
    DAEMONKIT_FUZZ_CHECK(daemonkit::format_service_state(*again) == written);
  }
  return 0;
}
