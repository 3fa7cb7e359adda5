// SPDX-License-Identifier: MIT
#include "daemonkit/service_state.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemonkit/detail/file_io.hpp"
#include "daemonkit/text_escape.hpp"

namespace daemonkit {

namespace {

// The mark left where a field was cut: an ellipsis, U+2026.
constexpr std::string_view cut_mark = "\xe2\x80\xa6";

// Each text field's share of the file, in escaped bytes. With the keys and the
// widest numbers (about 300 bytes) they add up to under 7 KiB, so the file
// stays under max_state_file_size whatever the service sends or runs.
constexpr std::size_t max_name_escaped = 256;
constexpr std::size_t max_last_exit_escaped = 256;
constexpr std::size_t max_status_text_escaped = 2 * max_status_text_size;
constexpr std::size_t max_command_escaped = 4096;
static_assert(max_name_escaped + max_last_exit_escaped + max_status_text_escaped + max_command_escaped + 512 <=
                  max_state_file_size,
              "the fields must fit in a state file");

// The keys every "format=2" file has (format_service_state writes these and
// keys added later, which a format-2 file may lack).
constexpr std::array<std::string_view, 13> all_keys{
    "name",     "state",     "monitor_pid",    "pid",         "pid_start_ticks", "started_at", "monitor_started_at",
    "restarts", "last_exit", "last_exit_code", "status_text", "command",         "remaining"};

std::size_t escaped_size(char c) { return c == '\\' || c == '\n' || c == '\0' ? 2 : 1; }

std::size_t escaped_size(std::string_view v) {
  std::size_t n = 0;
  for (char c : v) n += escaped_size(c);
  return n;
}

std::string escape(std::string_view v) {
  std::string out;
  out.reserve(escaped_size(v));
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\0') out += "\\0";
    else out += c;
  }
  return out;
}

std::string unescape(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char n = v[++i];
      out += n == 'n' ? '\n' : n == '0' ? '\0' : n;
    } else {
      out += v[i];
    }
  }
  return out;
}

// v cut to at most max_raw bytes that escape to at most max_escaped, ending on
// a UTF-8 boundary, with the mark appended (within both limits).
void cut(std::string& v, std::size_t max_raw, std::size_t max_escaped) {
  if (v.size() <= max_raw && escaped_size(v) <= max_escaped) return;
  const std::size_t raw_budget = max_raw - cut_mark.size(), escaped_budget = max_escaped - cut_mark.size();
  std::size_t n = 0, escaped = 0;
  while (n < v.size() && n < raw_budget && escaped + escaped_size(v[n]) <= escaped_budget)
    escaped += escaped_size(v[n++]);
  v.resize(utf8_prefix_length(v, n));
  v += cut_mark;
}

template <class T>
bool to_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

service_state bound_service_state(service_state s) {
  constexpr std::size_t any = static_cast<std::size_t>(-1);
  cut(s.name, any, max_name_escaped);
  cut(s.last_exit, any, max_last_exit_escaped);
  cut(s.status_text, max_status_text_size, max_status_text_escaped);
  cut(s.command, any, max_command_escaped);
  return s;
}

std::string format_service_state(const service_state& unbounded) {
  const service_state s = bound_service_state(unbounded);
  std::string o;
  auto kv = [&](std::string_view k, std::string_view v) {
    o += k;
    o += '=';
    o += escape(v);
    o += '\n';
  };
  // First, so that a file cut short anywhere still says what it should hold.
  kv("format", "2");
  kv("name", s.name);
  kv("state", to_string(s.phase));
  kv("monitor_pid", std::to_string(s.monitor_pid));
  // Not format-2 keys, but written before those that follow them: a file
  // cut short after them still lacks one of those.
  kv("keeper_pid", std::to_string(s.keeper_pid));
  kv("escalated", s.escalated ? "1" : "0");
  kv("health", to_string(s.health));
  kv("written_ticks", std::to_string(s.written_ticks));
  kv("pid", std::to_string(s.pid));
  kv("pid_start_ticks", std::to_string(s.pid_start_ticks));
  kv("started_at", std::to_string(s.started_at));
  kv("monitor_started_at", std::to_string(s.monitor_started_at));
  kv("restarts", std::to_string(s.restarts));
  kv("last_exit", s.last_exit);
  kv("last_exit_code", std::to_string(s.last_exit_code));
  kv("status_text", s.status_text);
  kv("command", s.command);
  kv("remaining", std::to_string(s.remaining));
  return o;
}

result<service_state> parse_service_state(std::string_view text) {
  auto bad = [](const std::string& why) { return make_error(errc::invalid_argument, "invalid state file: " + why); };
  if (text.size() > max_state_file_size) {
    return bad("too large (" + std::to_string(text.size()) + " bytes, at most " + std::to_string(max_state_file_size) +
               ")");
  }
  // Every line ends with a newline: one missing means the file was cut short.
  if (!text.empty() && text.back() != '\n') return bad("truncated (its last line has no newline)");
  service_state s;
  bool have_state = false, have_format = false;
  std::array<bool, all_keys.size()> seen{};
  size_t lineno = 0;
  while (!text.empty()) {
    ++lineno;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty()) continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return bad("line " + std::to_string(lineno) + " has no '='");
    std::string_view k = line.substr(0, eq), v = line.substr(eq + 1);
    for (size_t i = 0; i < all_keys.size(); ++i) {
      if (k == all_keys[i]) seen[i] = true;
    }
    bool ok = true;
    if (k == "format") {
      // Version 2 promises every key; later versions only add keys.
      unsigned version = 0;
      ok = to_num(v, version) && version >= 2;
      have_format = ok;
    } else if (k == "name") s.name = unescape(v);
    else if (k == "state") {
      auto p = parse_service_phase(unescape(v));
      ok = p.has_value();
      if (ok) s.phase = *p;
      have_state = ok;
    } else if (k == "monitor_pid") ok = to_num(v, s.monitor_pid) && s.monitor_pid >= 0;
    else if (k == "pid") ok = to_num(v, s.pid) && s.pid >= 0;
    else if (k == "pid_start_ticks") ok = to_num(v, s.pid_start_ticks);
    else if (k == "started_at") ok = to_num(v, s.started_at);
    else if (k == "monitor_started_at") ok = to_num(v, s.monitor_started_at);
    else if (k == "restarts") ok = to_num(v, s.restarts);
    else if (k == "last_exit") s.last_exit = unescape(v);
    else if (k == "last_exit_code") ok = to_num(v, s.last_exit_code);
    else if (k == "status_text") s.status_text = unescape(v);
    else if (k == "command") s.command = unescape(v);
    else if (k == "remaining") ok = to_num(v, s.remaining);
    else if (k == "written_ticks") ok = to_num(v, s.written_ticks);
    else if (k == "keeper_pid") ok = to_num(v, s.keeper_pid) && s.keeper_pid >= 0;
    else if (k == "health") {
      auto h = parse_service_health(v);
      ok = h.has_value();
      if (ok) s.health = *h;
    } else if (k == "escalated") {
      ok = v == "0" || v == "1";
      s.escalated = v == "1";
    }
    // Unknown keys are skipped: newer monitors may add some.
    if (!ok) return bad("bad value for " + std::string(k));
  }
  if (have_format) {
    for (size_t i = 0; i < all_keys.size(); ++i) {
      if (!seen[i]) return bad("truncated (no '" + std::string(all_keys[i]) + "')");
    }
  }
  if (!have_state) return bad("no state");
  // The monitor alone may be pid 1: `daemonkit run` as the init of a PID
  // namespace (a container), as the namespace sees it.
  if (s.pid == 1 || s.keeper_pid == 1) return bad("pid 1");
  return s;
}

result<void> write_service_state(const std::string& path, const service_state& s) {
  return write_file_atomic(path, format_service_state(s), 0600);
}

result<std::optional<service_state>> read_service_state(const std::string& path) {
  auto text = read_small_file(path, max_state_file_size);
  if (!text) return std::move(text).err();
  if (!*text) return std::optional<service_state>{};
  auto s = parse_service_state(**text);
  if (!s) return make_error(errc::invalid_argument, "state file " + path + ": " + s.err().context);
  return std::optional<service_state>{std::move(*s)};
}

}  // namespace daemonkit
