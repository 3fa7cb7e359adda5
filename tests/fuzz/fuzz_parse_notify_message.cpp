// SPDX-License-Identifier: MIT
// parse_notify_message: sd_notify datagrams, sent by the supervised service
// (any process that can reach the notify socket).
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/detail/notify_message.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  const daemonkit::notify_message m = daemonkit::parse_notify_message(text);

  // MAINPID must never name init or a process group; errno is never negative.
  if (m.mainpid) DAEMONKIT_FUZZ_CHECK(*m.mainpid > 1);
  if (m.errno_value) DAEMONKIT_FUZZ_CHECK(*m.errno_value >= 0);
  // STATUS is bounded, so a service cannot grow the state file without limit.
  if (m.status) {
    DAEMONKIT_FUZZ_CHECK(m.status->size() <= 1024);
    DAEMONKIT_FUZZ_CHECK(m.status->find('\n') == std::string::npos);
  }
  if (m.ready) DAEMONKIT_FUZZ_CHECK(text.find("READY=1") != std::string_view::npos);

  // Assignments are line-local and the last one wins: whatever came before,
  // a final line decides its key.
  const std::string base(text);
  DAEMONKIT_FUZZ_CHECK(daemonkit::parse_notify_message(base + "\nREADY=1").ready);
  DAEMONKIT_FUZZ_CHECK(!daemonkit::parse_notify_message(base + "\nREADY=0").ready);
  auto pid = daemonkit::parse_notify_message(base + "\nMAINPID=4242").mainpid;
  DAEMONKIT_FUZZ_CHECK(pid && *pid == 4242);
  auto status = daemonkit::parse_notify_message(base + "\nSTATUS=ok").status;
  DAEMONKIT_FUZZ_CHECK(status && *status == "ok");
  return 0;
}
