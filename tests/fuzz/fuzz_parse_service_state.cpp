// SPDX-License-Identifier: MIT
// parse_service_state and format_service_state: NAME.state files, read by
// status/list/stop and possibly truncated, oversized or written by someone
// else; and what the monitor writes from whatever a service sends or runs.
//
// The first byte picks the mode:
//  - even: the rest is a state file. It parses or is refused; an oversized
//    copy is always refused; what parses formats back within the size limit
//    and reads back the same.
//  - odd: the rest builds a service_state with any bytes in its text fields,
//    blown up to hundreds of KiB by a repeat count. Its file is at most
//    max_state_file_size bytes, and parse(format(s)) == bound_service_state(s),
//    which is s itself when s fits, and otherwise each field cut on a UTF-8
//    boundary with the mark appended.
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>

#include "daemonkit/service_state.hpp"
#include "daemonkit/text_escape.hpp"
#include "fuzz_check.hpp"

namespace {

const std::string_view mark = "\xe2\x80\xa6";

bool same(const daemonkit::service_state& a, const daemonkit::service_state& b) {
  return a.name == b.name && a.phase == b.phase && a.monitor_pid == b.monitor_pid && a.keeper_pid == b.keeper_pid &&
         a.escalated == b.escalated && a.health == b.health && a.pid == b.pid &&
         a.pid_start_ticks == b.pid_start_ticks && a.started_at == b.started_at &&
         a.monitor_started_at == b.monitor_started_at && a.restarts == b.restarts && a.last_exit == b.last_exit &&
         a.last_exit_code == b.last_exit_code && a.status_text == b.status_text && a.command == b.command &&
         a.remaining == b.remaining;
}

// bounded is original, or a prefix of it that ends on a character boundary
// followed by the mark.
bool kept_or_cut(const std::string& original, const std::string& bounded) {
  if (bounded == original) return true;
  if (bounded.size() < mark.size() || bounded.compare(bounded.size() - mark.size(), mark.size(), mark) != 0) {
    return false;
  }
  const std::string_view prefix(bounded.data(), bounded.size() - mark.size());
  return original.compare(0, prefix.size(), prefix) == 0 &&
         daemonkit::utf8_prefix_length(original, prefix.size()) == prefix.size();
}

void check_parse(std::string_view text) {
  // However it is built, an oversized file is refused.
  if (!text.empty()) {
    std::string big(text);
    while (big.size() <= daemonkit::max_state_file_size) big += text;
    DAEMONKIT_FUZZ_CHECK(!daemonkit::parse_service_state(big).has_value());
  }
  auto s = daemonkit::parse_service_state(text);
  if (!s) {
    DAEMONKIT_FUZZ_CHECK(s.err().code == daemonkit::errc::invalid_argument);
    return;
  }
  DAEMONKIT_FUZZ_CHECK(text.size() <= daemonkit::max_state_file_size);
  // Pids that stop/status would signal or show: 0 means none; never
  // negative (kill(-N) would hit a whole process group); never init, but
  // for the monitor, which is pid 1 as `daemonkit run` is a container's
  // init (it is signalled only through open_monitor, from inside).
  DAEMONKIT_FUZZ_CHECK(s->pid == 0 || s->pid > 1);
  DAEMONKIT_FUZZ_CHECK(s->keeper_pid == 0 || s->keeper_pid > 1);
  DAEMONKIT_FUZZ_CHECK(s->monitor_pid >= 0);

  // What the monitor writes reads back as the same (bounded) state.
  const std::string written = daemonkit::format_service_state(*s);
  DAEMONKIT_FUZZ_CHECK(written.size() <= daemonkit::max_state_file_size);
  auto again = daemonkit::parse_service_state(written);
  DAEMONKIT_FUZZ_CHECK(again.has_value());
  DAEMONKIT_FUZZ_CHECK(same(*again, daemonkit::bound_service_state(*s)));
  DAEMONKIT_FUZZ_CHECK(daemonkit::format_service_state(*again) == written);
}

// Any bytes, sometimes repeated into megabytes.
std::string text_from(FuzzedDataProvider& in) {
  std::string piece = in.ConsumeRandomLengthString(64);
  const auto repeat = in.ConsumeIntegralInRange<std::uint32_t>(0, 3) == 3
                          ? in.ConsumeIntegralInRange<std::uint32_t>(1, (1U << 18) / (piece.size() + 1))
                          : 1U;
  std::string out;
  out.reserve(piece.size() * repeat);
  for (std::uint32_t i = 0; i < repeat; ++i) out += piece;
  return out;
}

void check_build(FuzzedDataProvider& in) {
  daemonkit::service_state s;
  s.name = text_from(in);
  s.phase = static_cast<daemonkit::service_phase>(in.ConsumeIntegralInRange<int>(0, 7));
  s.monitor_pid = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<pid_t>(1, 1 << 22);
  s.keeper_pid = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<pid_t>(2, 1 << 22);
  s.escalated = in.ConsumeBool();
  s.health = static_cast<daemonkit::service_health>(in.ConsumeIntegralInRange<int>(0, 3));
  s.pid = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<pid_t>(2, 1 << 22);
  s.pid_start_ticks = in.ConsumeIntegral<std::uint64_t>();
  s.started_at = in.ConsumeIntegral<std::int64_t>();
  s.monitor_started_at = in.ConsumeIntegral<std::int64_t>();
  s.restarts = in.ConsumeIntegral<unsigned>();
  s.last_exit = text_from(in);
  s.last_exit_code = in.ConsumeIntegral<int>();
  s.status_text = text_from(in);
  s.command = text_from(in);
  s.remaining = in.ConsumeIntegral<unsigned>();

  const auto bounded = daemonkit::bound_service_state(s);
  for (auto [original, cut] :
       {std::pair{&s.name, &bounded.name}, std::pair{&s.last_exit, &bounded.last_exit},
        std::pair{&s.status_text, &bounded.status_text}, std::pair{&s.command, &bounded.command}}) {
    DAEMONKIT_FUZZ_CHECK(kept_or_cut(*original, *cut));
  }
  DAEMONKIT_FUZZ_CHECK(bounded.status_text.size() <= daemonkit::max_status_text_size);
  DAEMONKIT_FUZZ_CHECK(same(daemonkit::bound_service_state(bounded), bounded));

  const std::string written = daemonkit::format_service_state(s);
  DAEMONKIT_FUZZ_CHECK(written.size() <= daemonkit::max_state_file_size);
  auto back = daemonkit::parse_service_state(written);
  DAEMONKIT_FUZZ_CHECK(back.has_value());
  DAEMONKIT_FUZZ_CHECK(same(*back, bounded));
  // A state that fits is stored exactly, whatever its bytes.
  if (s.name.size() <= 64 && s.last_exit.size() <= 64 && s.status_text.size() <= 512 && s.command.size() <= 1024) {
    DAEMONKIT_FUZZ_CHECK(same(*back, s));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1U) == 0) {
    check_parse(daemonkit::fuzz::as_text(data + 1, size - 1));
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    check_build(in);
  }
  return 0;
}
