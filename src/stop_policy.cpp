// SPDX-License-Identifier: MIT
#include "daemonkit/stop_policy.hpp"

#include "daemonkit/signal_name.hpp"
#include "daemonkit/units.hpp"

namespace daemonkit {

stop_policy stop_policy::signal_then_kill(int sig, std::chrono::milliseconds timeout) {
  stop_policy p;
  p.steps = {{sig, timeout}, {SIGKILL, std::chrono::seconds(5)}};
  return p;
}

result<stop_policy> parse_stop_schedule(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return make_error(errc::invalid_argument, "invalid stop schedule '" + std::string(text) + "': " + why);
  };
  if (text.find('/') == std::string_view::npos) {
    auto d = parse_duration(text);
    if (!d) return bad("expected SIGNAL/TIMEOUT[/SIGNAL/TIMEOUT...] or a timeout");
    return stop_policy::signal_then_kill(SIGTERM, *d);
  }
  stop_policy p;
  p.steps.clear();
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() % 2 != 0) return bad("each signal needs a timeout");
  for (size_t i = 0; i < parts.size(); i += 2) {
    auto sig = parse_signal(parts[i]);
    if (!sig) return bad(sig.err().context);
    auto d = parse_duration(parts[i + 1]);
    if (!d) return bad(d.err().context);
    p.steps.push_back({*sig, *d});
  }
  return p;
}

}  // namespace daemonkit
