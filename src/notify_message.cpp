// SPDX-License-Identifier: MIT
#include "daemonkit/detail/notify_message.hpp"

#include <charconv>

#include "daemonkit/text_escape.hpp"

namespace daemonkit {

namespace {
template <class T>
std::optional<T> number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
}  // namespace

notify_message parse_notify_message(std::string_view d) {
  notify_message m;
  while (!d.empty()) {
    auto nl = d.find('\n');
    std::string_view line = d.substr(0, nl);
    d = nl == std::string_view::npos ? std::string_view{} : d.substr(nl + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = line.substr(0, eq), val = line.substr(eq + 1);
    if (key == "READY") m.ready = val == "1";
    else if (key == "STOPPING") m.stopping = val == "1";
    else if (key == "RELOADING") m.reloading = val == "1";
    else if (key == "WATCHDOG") m.watchdog = val == "1";
    else if (key == "STATUS") m.status = std::string(val.substr(0, utf8_prefix_length(val, max_status_text)));
    else if (key == "ERRNO") {
      if (auto v = number<int>(val); v && *v >= 0) m.errno_value = *v;
    } else if (key == "MAINPID") {
      if (auto v = number<pid_t>(val); v && *v > 1) m.mainpid = *v;
    } else if (key == "EXTEND_TIMEOUT_USEC") {
      m.extend_timeout_usec = number<std::uint64_t>(val);
    }
  }
  return m;
}

}  // namespace daemonkit
