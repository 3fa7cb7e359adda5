// SPDX-License-Identifier: MIT
// parse_pid: pidfile content, written by whoever could write the pidfile.
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/pidfile.hpp"
#include "fuzz_check.hpp"

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto pid = daemonkit::parse_pid(text);
  if (!pid) {
    DAEMONKIT_FUZZ_CHECK(pid.err().code == daemonkit::errc::bad_pidfile);
    return 0;
  }
  // Never 0 (kill(0) hits the whole process group), never 1 (init), never
  // negative (kill(-N) hits a group), never above the kernel's PID_MAX_LIMIT.
  DAEMONKIT_FUZZ_CHECK(*pid > 1);
  DAEMONKIT_FUZZ_CHECK(*pid <= 4194304);

  // Accepted text is decimal digits with optional surrounding whitespace only.
  std::string_view t = text;
  while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
  while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
  DAEMONKIT_FUZZ_CHECK(!t.empty());
  for (char c : t) DAEMONKIT_FUZZ_CHECK(c >= '0' && c <= '9');

  // What we write ("PID\n") reads back as the same pid.
  auto again = daemonkit::parse_pid(std::to_string(*pid) + "\n");
  DAEMONKIT_FUZZ_CHECK(again && *again == *pid);
  return 0;
}
