#include "daemonkit/service_state.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemonkit/file_io.hpp"

namespace daemonkit {

namespace {

constexpr size_t max_state_size = 64 * 1024;

std::string escape(std::string_view v) {
  std::string out;
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

template <class T>
bool to_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string format_service_state(const service_state& s) {
  std::string o;
  auto kv = [&](const char* k, const std::string& v) {
    o += k;
    o += '=';
    o += escape(v);
    o += '\n';
  };
  kv("name", s.name);
  kv("state", s.state);
  kv("monitor_pid", std::to_string(s.monitor_pid));
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
  if (text.size() > max_state_size) return bad("too large");
  service_state s;
  bool have_state = false;
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
    bool ok = true;
    if (k == "name") s.name = unescape(v);
    else if (k == "state") {
      s.state = unescape(v);
      have_state = true;
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
    // Unknown keys are skipped: newer monitors may add some.
    if (!ok) return bad("bad value for " + std::string(k));
  }
  if (!have_state) return bad("no state");
  if (s.pid == 1 || s.monitor_pid == 1) return bad("pid 1");
  return s;
}

result<void> write_service_state(const std::string& path, const service_state& s) {
  return write_file_atomic(path, format_service_state(s), 0600);
}

result<std::optional<service_state>> read_service_state(const std::string& path) {
  auto text = read_small_file(path, max_state_size);
  if (!text) return std::move(text).err();
  if (!*text) return std::optional<service_state>{};
  auto s = parse_service_state(**text);
  if (!s) return make_error(errc::invalid_argument, "state file " + path + ": " + s.err().context);
  return std::optional<service_state>{std::move(*s)};
}

}  // namespace daemonkit
