// SPDX-License-Identifier: MIT
// parse_check and to_string: --ready/--health CHECK values, and the spec
// stored back as text in NAME.json.
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemonkit/check.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using kind = daemonkit::check_spec::kind;
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto spec = daemonkit::parse_check(text);
  if (!spec) {
    DAEMONKIT_FUZZ_CHECK(spec.err().code == daemonkit::errc::invalid_argument);
    DAEMONKIT_FUZZ_CHECK(spec.err().message().rfind("invalid check '", 0) == 0);
    return 0;
  }

  // Only the fields of its kind are set, each within its documented range.
  switch (spec->what) {
    case kind::tcp:
    case kind::http:
      DAEMONKIT_FUZZ_CHECK(!spec->host.empty() && spec->host.size() <= 253);
      DAEMONKIT_FUZZ_CHECK(spec->port >= 1);
      DAEMONKIT_FUZZ_CHECK(spec->command.empty());
      DAEMONKIT_FUZZ_CHECK(spec->what == kind::http ? !spec->path.empty() && spec->path.front() == '/'
                                                    : spec->path.empty());
      // Nothing that could end a request line or a header early.
      for (char c : spec->host + spec->path) {
        DAEMONKIT_FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
      }
      break;
    case kind::cmd:
      DAEMONKIT_FUZZ_CHECK(!spec->command.empty() && spec->command.find('\0') == std::string::npos);
      DAEMONKIT_FUZZ_CHECK(spec->host.empty() && spec->port == 0 && spec->path.empty());
      break;
  }

  // Written back, it parses to the same spec, and writing that again gives
  // the same text (what NAME.json stores is stable).
  const std::string written = daemonkit::to_string(*spec);
  auto again = daemonkit::parse_check(written);
  DAEMONKIT_FUZZ_CHECK(again.has_value());
  DAEMONKIT_FUZZ_CHECK(*again == *spec);
  DAEMONKIT_FUZZ_CHECK(daemonkit::to_string(*again) == written);
  return 0;
}
