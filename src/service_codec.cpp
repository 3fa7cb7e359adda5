// SPDX-License-Identifier: MIT
#include "daemonkit/service_codec.hpp"

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "daemonkit/detail/file_io.hpp"
#include "daemonkit/text_escape.hpp"

namespace daemonkit {

using json = nlohmann::json;

namespace {

// The one table of names per enum: to_string and parse_* both read it.
constexpr std::array<std::pair<ready_mode, std::string_view>, 5> ready_names{{
    {ready_mode::exec, "exec"},
    {ready_mode::notify, "notify"},
    {ready_mode::fd, "fd"},
    {ready_mode::check, "check"},
    {ready_mode::pidfile, "pidfile"},
}};
constexpr std::array<std::pair<kill_mode, std::string_view>, 3> kill_names{{
    {kill_mode::group, "group"},
    {kill_mode::process, "process"},
    {kill_mode::mixed, "mixed"},
}};
constexpr std::array<std::pair<respawn_mode, std::string_view>, 3> respawn_names{{
    {respawn_mode::never, "never"},
    {respawn_mode::always, "always"},
    {respawn_mode::on_failure, "on-failure"},
}};

template <class E, std::size_t N>
std::string_view name_in(const std::array<std::pair<E, std::string_view>, N>& table, E value) noexcept {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> value_in(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view name) noexcept {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

constexpr size_t max_config_size = 4 * 1024 * 1024;

constexpr std::string_view base64_digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) {
      v = (v << 8U) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0U);
    }
    for (size_t k = 0; k < 4; ++k) {
      out += k <= n ? base64_digits[(v >> (18 - 6 * k)) & 0x3fU] : '=';
    }
  }
  return out;
}

// Strict: only the canonical encoding (padding, no whitespace, zero unused
// bits), so every stored text has one spelling. nullopt when it is not one.
std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t v = 0;
    size_t pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      std::uint32_t d = 0;
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++pad;
      } else {
        auto at = base64_digits.find(c);
        if (at == std::string_view::npos || pad > 0) return std::nullopt;
        d = static_cast<std::uint32_t>(at);
      }
      v = (v << 6U) | d;
    }
    if ((pad == 1 && (v & 0xffU) != 0) || (pad == 2 && (v & 0xffffU) != 0)) return std::nullopt;
    for (size_t k = 0; k < 3 - pad; ++k) out += static_cast<char>((v >> (16 - 8 * k)) & 0xffU);
  }
  return out;
}

// A text as NAME.json holds it: a JSON string when it is UTF-8, else
// {"base64": "..."} of its bytes. JSON strings are Unicode, but argv,
// the environment and paths are bytes: this way any of them is stored, and
// given back to execve by restart, exactly.
json stored_text(const std::string& s) {
  if (is_valid_utf8(s)) return s;
  return json::object({{"base64", encode_base64(s)}});
}

json stored_texts(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) a.push_back(stored_text(s));
  return a;
}

}  // namespace

std::string_view to_string(ready_mode m) noexcept { return name_in(ready_names, m); }
std::string_view to_string(kill_mode m) noexcept { return name_in(kill_names, m); }
std::string_view to_string(respawn_mode m) noexcept { return name_in(respawn_names, m); }
std::optional<ready_mode> parse_ready_mode(std::string_view name) noexcept { return value_in(ready_names, name); }
std::optional<kill_mode> parse_kill_mode(std::string_view name) noexcept { return value_in(kill_names, name); }
std::optional<respawn_mode> parse_respawn_mode(std::string_view name) noexcept { return value_in(respawn_names, name); }

std::string service_config_to_json(const service_config& c) {
  json j;
  j["version"] = 1;
  j["name"] = stored_text(c.name);
  j["argv"] = stored_texts(c.argv);
  j["env"] = stored_texts(c.env);
  j["chdir"] = stored_text(c.working_directory);
  j["umask"] = c.umask;
  // user and rlimits keep the text the tool always stored ("USER[:GROUP]",
  // "" for none; "nofile=65536"), so files written before they were typed
  // still read, and older tools read these.
  j["user"] = stored_text(c.user ? format_user_spec(*c.user) : std::string());
  j["chroot"] = stored_text(c.chroot);
  j["nice"] = c.nice;
  j["rlimits"] = json::array();
  for (const auto& l : c.rlimits) j["rlimits"].push_back(format_rlimit(l));
  j["ready"] = to_string(c.ready);
  j["ready_fd"] = c.ready_fd;
  j["ready_check"] = stored_text(c.ready_check ? to_string(*c.ready_check) : std::string());
  j["ready_pidfile"] = stored_text(c.ready_pidfile);
  j["ready_timeout_ms"] = c.ready_timeout.count();
  j["health"] = stored_text(c.health ? to_string(*c.health) : std::string());
  j["health_interval_ms"] = c.health_interval.count();
  j["health_timeout_ms"] = c.health_timeout.count();
  j["health_retries"] = c.health_retries;
  j["stop_signal"] = c.stop_signal;
  j["stop_timeout_ms"] = c.stop_timeout.count();
  j["kill_mode"] = to_string(c.kill);
  j["reload_signal"] = c.reload_signal;
  j["check_config"] = stored_text(c.check_config);
  j["reload_timeout_ms"] = c.reload_timeout.count();
  j["runtime_dir"] = stored_text(c.runtime_dir);
  j["respawn"] = to_string(c.respawn.mode);
  j["respawn_max_delay_ms"] = c.respawn.max_delay.count();
  j["respawn_min_uptime_ms"] = c.respawn.min_uptime.count();
  j["respawn_limit"] = c.respawn.limit;
  j["respawn_window_ms"] = c.respawn.window.count();
  j["log_file"] = stored_text(c.log_file);
  j["stdout_file"] = stored_text(c.stdout_file);
  j["stderr_file"] = stored_text(c.stderr_file);
  j["log_max_size"] = c.log_max_size;
  j["log_keep"] = c.log_keep;
  j["timestamps"] = c.timestamps;
  // Only for a service from a services file: every other NAME.json stays as
  // older versions wrote it.
  if (!c.source_file.empty()) {
    j["source_file"] = stored_text(c.source_file);
    j["source_settings"] = stored_text(c.source_settings);
  }
  return j.dump(2) + "\n";
}

namespace {

// Strict readers: a stored option file is outside input. Numbers must be
// integers within the field's range (no floats, no silent truncation) and
// strings must not hold NUL bytes (execve would cut them short).
struct strict_reader {
  const json& j;
  std::string bad;  // the first problem, "field 'x': ..."

  const json* find(const char* k) const { return j.contains(k) ? &j.at(k) : nullptr; }
  void fail(const char* k, const std::string& why) {
    if (bad.empty()) bad = std::string("field '") + k + "': " + why;
  }
  template <class T>
  void integer(const char* k, T& out, long long lo, long long hi) {
    const json* v = find(k);
    if (v == nullptr) return;
    if (!v->is_number_integer()) return fail(k, "not an integer");
    long long x = 0;
    if (v->is_number_unsigned()) {
      auto u = v->get<unsigned long long>();
      if (u > static_cast<unsigned long long>(hi)) return fail(k, "out of range");
      x = static_cast<long long>(u);
    } else {
      x = v->get<long long>();
    }
    if (x < lo || x > hi) return fail(k, "out of range");
    out = static_cast<T>(x);
  }
  void duration(const char* k, std::chrono::milliseconds& out) {
    long long ms = out.count();
    integer(k, ms, 0, 9'000'000'000'000'000LL);
    out = std::chrono::milliseconds(ms);
  }
  bool clean(const char* k, const std::string& s) {
    if (s.find('\0') == std::string::npos) return true;
    fail(k, "contains a NUL byte");
    return false;
  }
  // A JSON string, or {"base64": "..."} for bytes that are not UTF-8.
  static std::optional<std::string> text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.size() == 1 && v.contains("base64") && v.at("base64").is_string()) {
      return decode_base64(v.at("base64").get<std::string>());
    }
    return std::nullopt;
  }
  void string(const char* k, std::string& out) {
    const json* v = find(k);
    if (v == nullptr) return;
    auto s = text(*v);
    if (!s) return fail(k, "not a string");
    if (clean(k, *s)) out = std::move(*s);
  }
  void strings(const char* k, std::vector<std::string>& out) {
    const json* v = find(k);
    if (v == nullptr) return;
    if (!v->is_array()) return fail(k, "not an array");
    std::vector<std::string> r;
    r.reserve(v->size());
    for (const auto& e : *v) {
      auto s = text(e);
      if (!s) return fail(k, "not an array of strings");
      r.push_back(std::move(*s));
      if (!clean(k, r.back())) return;
    }
    out = std::move(r);
  }
  void boolean(const char* k, bool& out) {
    const json* v = find(k);
    if (v == nullptr) return;
    if (!v->is_boolean()) return fail(k, "not a boolean");
    out = v->get<bool>();
  }
};

}  // namespace

result<service_config> service_config_from_json(std::string_view text) {
  service_config c;
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error(errc::invalid_argument, "not valid JSON");
  if (!j.is_object()) return make_error(errc::invalid_argument, "not a JSON object");
  strict_reader r{j, {}};
  std::string ready(to_string(c.ready)), kill(to_string(c.kill)), respawn(to_string(c.respawn.mode));
  r.string("name", c.name);
  r.strings("argv", c.argv);
  r.strings("env", c.env);
  r.string("chdir", c.working_directory);
  r.integer("umask", c.umask, 0, 0777);
  std::string user;
  std::vector<std::string> rlimits;
  r.string("user", user);
  r.string("chroot", c.chroot);
  r.integer("nice", c.nice, -40, 40);
  r.strings("rlimits", rlimits);
  r.string("ready", ready);
  r.integer("ready_fd", c.ready_fd, -1, 1023);
  std::string ready_check, health;
  r.string("ready_check", ready_check);
  r.string("ready_pidfile", c.ready_pidfile);
  r.duration("ready_timeout_ms", c.ready_timeout);
  r.string("health", health);
  r.duration("health_interval_ms", c.health_interval);
  r.duration("health_timeout_ms", c.health_timeout);
  r.integer("health_retries", c.health_retries, 1, 1'000'000);
  r.integer("stop_signal", c.stop_signal, 1, NSIG - 1);
  r.duration("stop_timeout_ms", c.stop_timeout);
  r.string("kill_mode", kill);
  r.integer("reload_signal", c.reload_signal, 0, NSIG - 1);
  r.string("check_config", c.check_config);
  r.duration("reload_timeout_ms", c.reload_timeout);
  r.string("runtime_dir", c.runtime_dir);
  r.string("respawn", respawn);
  r.duration("respawn_max_delay_ms", c.respawn.max_delay);
  r.duration("respawn_min_uptime_ms", c.respawn.min_uptime);  // absent in older files: the default
  r.integer("respawn_limit", c.respawn.limit, 0, 1'000'000'000);
  r.duration("respawn_window_ms", c.respawn.window);
  r.string("log_file", c.log_file);
  r.string("stdout_file", c.stdout_file);
  r.string("stderr_file", c.stderr_file);
  r.integer("log_max_size", c.log_max_size, 0, 9'000'000'000'000'000'000LL);
  r.integer("log_keep", c.log_keep, 0, 1000);
  r.boolean("timestamps", c.timestamps);
  r.string("source_file", c.source_file);
  r.string("source_settings", c.source_settings);
  if (!r.bad.empty()) return make_error(errc::invalid_argument, r.bad);

  if (!user.empty()) {
    auto spec = parse_user_spec(user);
    if (!spec) return make_error(errc::invalid_argument, "field 'user': " + spec.err().message());
    c.user = std::move(*spec);
  }
  for (const auto& given : rlimits) {
    auto l = parse_rlimit(given);
    if (!l) return make_error(errc::invalid_argument, "field 'rlimits': " + l.err().message());
    c.rlimits.push_back(*l);
  }

  if (auto m = parse_ready_mode(ready)) c.ready = *m;
  else return make_error(errc::invalid_argument, "field 'ready': unknown mode '" + ready + "'");
  if (auto m = parse_kill_mode(kill)) c.kill = *m;
  else return make_error(errc::invalid_argument, "field 'kill_mode': unknown mode '" + kill + "'");
  if (auto m = parse_respawn_mode(respawn)) c.respawn.mode = *m;
  else return make_error(errc::invalid_argument, "field 'respawn': unknown mode '" + respawn + "'");
  if (c.argv.empty() || c.argv[0].empty()) return make_error(errc::invalid_argument, "field 'argv': no command");
  if (c.ready == ready_mode::fd && c.ready_fd < 3) {
    return make_error(errc::invalid_argument, "field 'ready_fd': out of range");
  }
  if (!ready_check.empty()) {
    auto spec = parse_check(ready_check);
    if (!spec) return make_error(errc::invalid_argument, "field 'ready_check': " + spec.err().message());
    c.ready_check = std::move(*spec);
  }
  if (c.ready == ready_mode::check && !c.ready_check) {
    return make_error(errc::invalid_argument, "field 'ready_check': missing for ready mode check");
  }
  if (c.ready == ready_mode::pidfile && (c.ready_pidfile.empty() || c.ready_pidfile[0] != '/')) {
    return make_error(errc::invalid_argument, "field 'ready_pidfile': not an absolute path");
  }
  if (!health.empty()) {
    auto spec = parse_check(health);
    if (!spec) return make_error(errc::invalid_argument, "field 'health': " + spec.err().message());
    c.health = std::move(*spec);
  }
  if (!c.runtime_dir.empty() && !valid_runtime_dir_name(c.runtime_dir)) {
    return make_error(errc::invalid_argument, "field 'runtime_dir': invalid name");
  }
  if (c.respawn.max_delay < c.respawn.initial_delay) c.respawn.initial_delay = c.respawn.max_delay;
  return c;
}

result<void> write_service_config(const std::string& path, const service_config& c) {
  std::string text = service_config_to_json(c);
  // Starting a service again with the same options is the common case: a
  // file that already says exactly this is left alone (a rename over an
  // existing file costs a writeback on ext4, on every start).
  if (auto old = read_small_file(path, max_config_size); old && *old && **old == text) return {};
  return write_file_atomic(path, text, 0600);
}

result<service_config> read_service_config(const std::string& path) {
  auto text = read_small_file(path, max_config_size);
  if (!text) return std::move(text).err();
  if (!*text) return make_error(errc::not_running, "no such service (no " + path + ")");
  auto c = service_config_from_json(**text);
  if (!c) return make_error(errc::invalid_argument, "invalid " + path + ": " + c.err().context);
  return c;
}

}  // namespace daemonkit
