// SPDX-License-Identifier: MIT
// parse_proc_stat: /proc/PID/stat, whose comm field any process sets for
// itself (prctl(PR_SET_NAME), or the name of the file it runs).
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/detail/proc.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);

  // Any text: no crash, no read outside it (ASan).
  (void)daemonkit::parse_proc_stat(text);

  // The same bytes as the comm of a real-looking line: whatever a process
  // names itself, every other field reads back exactly.
  const std::string line = "4242 (" + std::string(text) +
                           ") S 17 4242 4242 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0 987654321 12345678 300 "
                           "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  auto st = daemonkit::parse_proc_stat(line);
  DAEMONKIT_FUZZ_CHECK(st.has_value());
  DAEMONKIT_FUZZ_CHECK(st->pid == 4242);
  DAEMONKIT_FUZZ_CHECK(st->state == 'S');
  DAEMONKIT_FUZZ_CHECK(st->ppid == 17);
  DAEMONKIT_FUZZ_CHECK(st->pgid == 4242 && st->sid == 4242);
  DAEMONKIT_FUZZ_CHECK(st->start_ticks == 987654321);
  return 0;
}
