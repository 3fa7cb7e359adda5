#include "config_json.hpp"

#include <csignal>
#include <nlohmann/json.hpp>

#include "daemonkit/file_io.hpp"

namespace dk {

using daemonkit::errc;
using daemonkit::make_error;
using daemonkit::service_config;
using daemonkit::system_error;
using json = nlohmann::json;

namespace {
const char* ready_name(daemonkit::ready_mode m) {
  switch (m) {
    case daemonkit::ready_mode::exec: return "exec";
    case daemonkit::ready_mode::notify: return "notify";
    case daemonkit::ready_mode::fd: return "fd";
  }
  return "exec";
}
const char* respawn_name(daemonkit::respawn_mode m) {
  switch (m) {
    case daemonkit::respawn_mode::never: return "never";
    case daemonkit::respawn_mode::always: return "always";
    case daemonkit::respawn_mode::on_failure: return "on-failure";
  }
  return "never";
}
constexpr size_t max_config_size = 4 * 1024 * 1024;
}  // namespace

std::string config_to_json(const service_config& c) {
  json j;
  j["version"] = 1;
  j["name"] = c.name;
  j["argv"] = c.argv;
  j["env"] = c.env;
  j["chdir"] = c.working_directory;
  j["umask"] = c.umask;
  j["user"] = c.user;
  j["chroot"] = c.chroot;
  j["nice"] = c.nice;
  j["rlimits"] = c.rlimits;
  j["ready"] = ready_name(c.ready);
  j["ready_fd"] = c.ready_fd;
  j["ready_timeout_ms"] = c.ready_timeout.count();
  j["stop_signal"] = c.stop_signal;
  j["stop_timeout_ms"] = c.stop_timeout.count();
  j["kill_mode"] = c.kill == daemonkit::kill_mode::group ? "group" : "process";
  j["reload_signal"] = c.reload_signal;
  j["respawn"] = respawn_name(c.respawn.mode);
  j["respawn_max_delay_ms"] = c.respawn.max_delay.count();
  j["respawn_limit"] = c.respawn.limit;
  j["respawn_window_ms"] = c.respawn.window.count();
  j["log_file"] = c.log_file;
  j["stdout_file"] = c.stdout_file;
  j["stderr_file"] = c.stderr_file;
  j["log_max_size"] = c.log_max_size;
  j["log_keep"] = c.log_keep;
  j["timestamps"] = c.timestamps;
  return j.dump(2) + "\n";
}

daemonkit::result<service_config> config_from_json(std::string_view text) {
  service_config c;
  std::string field;
  try {
    json j = json::parse(text);
    if (!j.is_object()) return make_error(errc::invalid_argument, "not a JSON object");
    auto get = [&](const char* k, auto& out) {
      field = k;
      if (j.contains(k)) j.at(k).get_to(out);
    };
    get("name", c.name);
    get("argv", c.argv);
    get("env", c.env);
    get("chdir", c.working_directory);
    get("umask", c.umask);
    get("user", c.user);
    get("chroot", c.chroot);
    get("nice", c.nice);
    get("rlimits", c.rlimits);
    std::string ready = "exec", kill = "group", respawn = "never";
    get("ready", ready);
    get("ready_fd", c.ready_fd);
    long long ms = c.ready_timeout.count();
    get("ready_timeout_ms", ms);
    c.ready_timeout = std::chrono::milliseconds(ms);
    get("stop_signal", c.stop_signal);
    ms = c.stop_timeout.count();
    get("stop_timeout_ms", ms);
    c.stop_timeout = std::chrono::milliseconds(ms);
    get("kill_mode", kill);
    get("reload_signal", c.reload_signal);
    get("respawn", respawn);
    ms = c.respawn.max_delay.count();
    get("respawn_max_delay_ms", ms);
    c.respawn.max_delay = std::chrono::milliseconds(ms);
    get("respawn_limit", c.respawn.limit);
    ms = c.respawn.window.count();
    get("respawn_window_ms", ms);
    c.respawn.window = std::chrono::milliseconds(ms);
    get("log_file", c.log_file);
    get("stdout_file", c.stdout_file);
    get("stderr_file", c.stderr_file);
    get("log_max_size", c.log_max_size);
    get("log_keep", c.log_keep);
    get("timestamps", c.timestamps);
    field.clear();
    if (ready == "exec") c.ready = daemonkit::ready_mode::exec;
    else if (ready == "notify") c.ready = daemonkit::ready_mode::notify;
    else if (ready == "fd") c.ready = daemonkit::ready_mode::fd;
    else return make_error(errc::invalid_argument, "field 'ready': unknown mode '" + ready + "'");
    if (kill == "group") c.kill = daemonkit::kill_mode::group;
    else if (kill == "process") c.kill = daemonkit::kill_mode::process;
    else return make_error(errc::invalid_argument, "field 'kill_mode': unknown mode '" + kill + "'");
    if (respawn == "never") c.respawn.mode = daemonkit::respawn_mode::never;
    else if (respawn == "always") c.respawn.mode = daemonkit::respawn_mode::always;
    else if (respawn == "on-failure") c.respawn.mode = daemonkit::respawn_mode::on_failure;
    else return make_error(errc::invalid_argument, "field 'respawn': unknown mode '" + respawn + "'");
  } catch (const json::exception& e) {
    return make_error(errc::invalid_argument, field.empty() ? std::string(e.what()) : "field '" + field + "': " + e.what());
  }
  if (c.argv.empty() || c.argv[0].empty()) return make_error(errc::invalid_argument, "field 'argv': no command");
  auto sig_ok = [](int s) { return s > 0 && s < NSIG; };
  if (!sig_ok(c.stop_signal)) return make_error(errc::invalid_argument, "field 'stop_signal': not a signal");
  if (!sig_ok(c.reload_signal)) return make_error(errc::invalid_argument, "field 'reload_signal': not a signal");
  if (c.umask < 0 || c.umask > 0777) return make_error(errc::invalid_argument, "field 'umask': out of range");
  if (c.ready == daemonkit::ready_mode::fd && (c.ready_fd < 3 || c.ready_fd > 1023)) {
    return make_error(errc::invalid_argument, "field 'ready_fd': out of range");
  }
  if (c.ready_timeout.count() < 0 || c.stop_timeout.count() < 0 || c.respawn.max_delay.count() < 0 ||
      c.respawn.window.count() < 0) {
    return make_error(errc::invalid_argument, "negative duration");
  }
  return c;
}

daemonkit::result<void> write_config(const std::string& path, const service_config& c) {
  return daemonkit::write_file_atomic(path, config_to_json(c), 0600);
}

daemonkit::result<service_config> read_config(const std::string& path) {
  auto text = daemonkit::read_small_file(path, max_config_size);
  if (!text) return std::move(text).err();
  if (!*text) return make_error(errc::not_running, "no such service (no " + path + ")");
  auto c = config_from_json(**text);
  if (!c) return make_error(errc::invalid_argument, "invalid " + path + ": " + c.err().context);
  return c;
}

}  // namespace dk
