// SPDX-License-Identifier: MIT
// parse_user_spec: --user USER[:GROUP].
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/credentials.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto spec = daemonkit::parse_user_spec(text);
  if (!spec) {
    DAEMONKIT_FUZZ_CHECK(spec.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  const auto& [user, group] = *spec;
  DAEMONKIT_FUZZ_CHECK(!user.empty());
  DAEMONKIT_FUZZ_CHECK(user.find(':') == std::string::npos);
  DAEMONKIT_FUZZ_CHECK(group.find(':') == std::string::npos);
  // Nothing that would cut a C string short or name a path.
  for (const std::string* part : {&user, &group}) {
    DAEMONKIT_FUZZ_CHECK(part->find('\0') == std::string::npos);
    DAEMONKIT_FUZZ_CHECK(part->find('\n') == std::string::npos);
    DAEMONKIT_FUZZ_CHECK(part->find('/') == std::string::npos);
  }
  // Nothing dropped or added: the parts put back together are the input.
  DAEMONKIT_FUZZ_CHECK((group.empty() ? user : user + ":" + group) == text);
  // format_user_spec (what NAME.json stores) gives that text back.
  DAEMONKIT_FUZZ_CHECK(daemonkit::format_user_spec(*spec) == text);
  return 0;
}
