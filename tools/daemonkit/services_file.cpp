// SPDX-License-Identifier: MIT
#include "services_file.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fcntl.h>
#include <map>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include "daemonkit/service_dir.hpp"
#include "daemonkit/unique_fd.hpp"
#include "paths.hpp"

namespace dk {

namespace {

using json = nlohmann::json;

constexpr std::size_t max_file_size = 1024 * 1024;

// How a key's value is typed in the file.
enum class kind {
  text,      // a string
  path,      // a string, a path relative to the file's directory
  signal,    // a string ("TERM") or an integer (15)
  duration,  // a string ("10s") or a number of seconds
  size,      // a string ("512K") or a number of bytes
  count,     // an integer
  flag,      // a boolean
  command,   // a string (run by /bin/sh -c) or an array of strings
  paths,     // a string or an array of strings, paths
  table,     // a table of strings
  depends,   // an array of names, or a table of name = condition
};

struct key_info {
  std::string_view key;
  kind type;
};

// Every key a service (or [defaults]) may have: the options of `start`,
// and the file's own (command, oneshot, instances, depends_on).
constexpr std::array<key_info, 36> keys{{
    {"command", kind::command},
    {"log_file", kind::path},
    {"stdout", kind::path},
    {"stderr", kind::path},
    {"log_max_size", kind::size},
    {"log_keep", kind::count},
    {"timestamps", kind::flag},
    {"ready", kind::text},
    {"ready_timeout", kind::duration},
    {"stop_signal", kind::signal},
    {"stop_timeout", kind::duration},
    {"kill_mode", kind::text},
    {"reload_signal", kind::signal},
    {"reload_timeout", kind::duration},
    {"check_config", kind::text},
    {"health", kind::text},
    {"health_interval", kind::duration},
    {"health_timeout", kind::duration},
    {"health_retries", kind::count},
    {"runtime_dir", kind::text},
    {"respawn", kind::text},
    {"respawn_min_uptime", kind::duration},
    {"respawn_max_delay", kind::duration},
    {"respawn_limit", kind::count},
    {"respawn_window", kind::duration},
    {"chdir", kind::path},
    {"umask", kind::text},
    {"user", kind::text},
    {"chroot", kind::path},
    {"nice", kind::count},
    {"env", kind::table},
    {"env_file", kind::paths},
    {"clear_env", kind::flag},
    {"rlimit", kind::table},
    {"oneshot", kind::flag},
    {"instances", kind::count},
}};
// depends_on is looked up apart: [defaults] may not have it.

const key_info* find_key(std::string_view k) {
  for (const auto& i : keys) {
    if (i.key == k) return &i;
  }
  return nullptr;
}

file_position position_of(const toml::source_region& r) {
  return {static_cast<std::size_t>(r.begin.line), static_cast<std::size_t>(r.begin.column)};
}

std::string number_text(double d) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  return ec == std::errc() ? std::string(buf.data(), end) : std::string("nan");
}

// A key's value with where it was written, after [defaults].
struct setting {
  json value;
  file_position at;
};

// Parses one table's entries (a service's or [defaults]) into settings,
// checking types. Tables (env, rlimit) merge into what is already there.
class table_reader {
 public:
  table_reader(std::string prefix, std::string dir, std::vector<file_error>& errors)
      : prefix_(std::move(prefix)), dir_(std::move(dir)), errors_(errors) {}

  void read(const toml::table& t, std::map<std::string, setting>& out, bool is_defaults) {
    for (auto&& [k, node] : t) {
      std::string key(k.str());
      file_position at = position_of(k.source());
      if (key == "depends_on" && !is_defaults) {
        if (auto v = depends(key, node, at)) out[key] = {std::move(*v), at};
        continue;
      }
      const key_info* info = find_key(key);
      if (info == nullptr) {
        fail(at, key, key == "depends_on" ? "not allowed in [defaults]" : "unknown key");
        continue;
      }
      auto v = value(key, info->type, node, at);
      if (!v) continue;
      if (info->type == kind::table && out.count(key) != 0) {
        for (auto& [ek, ev] : v->items()) out[key].value[ek] = ev;
        out[key].at = at;
      } else {
        out[key] = {std::move(*v), at};
      }
    }
  }

 private:
  void fail(file_position at, const std::string& key, const std::string& why) {
    errors_.push_back({at, prefix_ + key + ": " + why});
  }

  // p against the file's directory, without "." components and repeated
  // or trailing slashes ("." is the directory itself). ".." is kept: what
  // it names depends on symlinks, which are not ours to resolve here.
  std::string absolute(const std::string& p) const {
    if (p.empty()) return p;
    std::string full = p[0] == '/' ? p : dir_ + "/" + p;
    std::string out;
    std::size_t i = 0;
    while (i < full.size()) {
      std::size_t end = full.find('/', i);
      if (end == std::string::npos) end = full.size();
      std::string part = full.substr(i, end - i);
      if (!part.empty() && part != ".") out += "/" + part;
      i = end + 1;
    }
    return out.empty() ? "/" : out;
  }

  std::optional<json> text_of(const std::string& key, const toml::node& n, file_position at, const char* what) {
    if (const auto* s = n.as_string()) {
      if (s->get().find('\0') != std::string::npos) {
        fail(at, key, "contains a NUL character");
        return std::nullopt;
      }
      return json(s->get());
    }
    fail(at, key, std::string("expected ") + what);
    return std::nullopt;
  }

  std::optional<json> value(const std::string& key, kind type, const toml::node& n, file_position at) {
    switch (type) {
      case kind::text: return text_of(key, n, at, "a string");
      case kind::path: {
        auto v = text_of(key, n, at, "a string (a path)");
        if (v) *v = absolute(v->get<std::string>());
        return v;
      }
      case kind::signal:
        if (const auto* i = n.as_integer()) return json(std::to_string(i->get()));
        return text_of(key, n, at, "a string (a signal name) or an integer");
      case kind::duration:
      case kind::size:
        if (const auto* i = n.as_integer()) {
          if (i->get() < 0) {
            fail(at, key, "must not be negative");
            return std::nullopt;
          }
          return json(std::to_string(i->get()));
        }
        if (const auto* f = n.as_floating_point()) {
          if (!(f->get() >= 0)) {
            fail(at, key, "must not be negative");
            return std::nullopt;
          }
          return json(number_text(f->get()));
        }
        return text_of(key, n, at,
                       type == kind::duration ? "a string such as \"10s\" or a number of seconds"
                                              : "a string such as \"512K\" or a number of bytes");
      case kind::count:
        if (const auto* i = n.as_integer()) return json(i->get());
        fail(at, key, "expected an integer");
        return std::nullopt;
      case kind::flag:
        if (const auto* b = n.as_boolean()) return json(b->get());
        fail(at, key, "expected true or false");
        return std::nullopt;
      case kind::command:
        if (n.is_string()) {
          auto v = text_of(key, n, at, "a string");
          if (v && v->get<std::string>().empty()) {
            fail(at, key, "empty command");
            return std::nullopt;
          }
          return v;
        }
        if (const auto* a = n.as_array()) {
          json arr = json::array();
          for (const auto& e : *a) {
            auto v = text_of(key, e, at, "a string or an array of strings");
            if (!v) return std::nullopt;
            arr.push_back(std::move(*v));
          }
          if (arr.empty() || arr[0].get<std::string>().empty()) {
            fail(at, key, "empty command");
            return std::nullopt;
          }
          return arr;
        }
        fail(at, key, "expected a string or an array of strings");
        return std::nullopt;
      case kind::paths: {
        json arr = json::array();
        if (n.is_string()) {
          auto v = text_of(key, n, at, "a string");
          if (!v) return std::nullopt;
          arr.push_back(absolute(v->get<std::string>()));
          return arr;
        }
        if (const auto* a = n.as_array()) {
          for (const auto& e : *a) {
            auto v = text_of(key, e, at, "a string or an array of strings");
            if (!v) return std::nullopt;
            arr.push_back(absolute(v->get<std::string>()));
          }
          return arr;
        }
        fail(at, key, "expected a string or an array of strings");
        return std::nullopt;
      }
      case kind::table: {
        const auto* t = n.as_table();
        if (t == nullptr) {
          fail(at, key, "expected a table such as { NAME = \"VALUE\" }");
          return std::nullopt;
        }
        json obj = json::object();
        for (auto&& [ek, ev] : *t) {
          std::string name(ek.str());
          file_position eat = position_of(ek.source());
          auto v = text_of(key + "." + name, ev, eat, "a string");
          if (!v) return std::nullopt;
          obj[name] = std::move(*v);
        }
        return obj;
      }
      case kind::depends: break;
    }
    return std::nullopt;
  }

  std::optional<json> depends(const std::string& key, const toml::node& n, file_position at) {
    json obj = json::object();
    if (const auto* a = n.as_array()) {
      for (const auto& e : *a) {
        const auto* s = e.as_string();
        if (s == nullptr) {
          fail(at, key, "expected an array of service names or a table of NAME = \"CONDITION\"");
          return std::nullopt;
        }
        obj[s->get()] = "ready";
      }
      return obj;
    }
    if (const auto* t = n.as_table()) {
      for (auto&& [ek, ev] : *t) {
        const auto* s = ev.as_string();
        std::string cond = s != nullptr ? s->get() : std::string();
        if (cond != "started" && cond != "ready" && cond != "healthy" && cond != "completed") {
          fail(position_of(ek.source()), key + "." + std::string(ek.str()),
               "expected \"started\", \"ready\", \"healthy\" or \"completed\"");
          return std::nullopt;
        }
        obj[std::string(ek.str())] = cond;
      }
      return obj;
    }
    fail(at, key, "expected an array of service names or a table of NAME = \"CONDITION\"");
    return std::nullopt;
  }

  std::string prefix_, dir_;
  std::vector<file_error>& errors_;
};

// The start option a make_start_request message names, as the file's key.
std::string key_of_option(const std::string& option) {
  if (option == "COMMAND") return "command";
  if (option == "--log-file") return "log_file";
  if (option == "--rlimit") return "rlimit";
  if (option == "--env-file") return "env_file";
  std::string k = option.rfind("--", 0) == 0 ? option.substr(2) : option;
  std::replace(k.begin(), k.end(), '-', '_');
  return k;
}

std::string text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// The start_args of a service from its settings (types already checked).
start_args args_from(const std::map<std::string, setting>& s) {
  start_args a;
  auto get = [&](const char* k) -> const json* {
    auto it = s.find(k);
    return it == s.end() ? nullptr : &it->second.value;
  };
  auto str = [&](const char* k, std::string& out) {
    if (const json* v = get(k)) out = text(*v);
  };
  auto opt = [&](const char* k, std::optional<std::string>& out) {
    if (const json* v = get(k)) out = text(*v);
  };
  str("log_file", a.log_file);
  str("stdout", a.stdout_file);
  str("stderr", a.stderr_file);
  opt("log_max_size", a.log_max_size);
  opt("log_keep", a.log_keep);
  if (const json* v = get("timestamps")) a.timestamps = v->get<bool>();
  str("ready", a.ready);
  str("ready_timeout", a.ready_timeout);
  str("stop_signal", a.stop_signal);
  str("stop_timeout", a.stop_timeout);
  str("kill_mode", a.kill_mode);
  str("reload_signal", a.reload_signal);
  str("reload_timeout", a.reload_timeout);
  opt("check_config", a.check_config);
  opt("health", a.health);
  str("health_interval", a.health_interval);
  str("health_timeout", a.health_timeout);
  str("health_retries", a.health_retries);
  opt("runtime_dir", a.runtime_dir);
  str("respawn", a.respawn);
  if (a.respawn == "no") a.respawn = "never";
  str("respawn_min_uptime", a.respawn_min_uptime);
  str("respawn_max_delay", a.respawn_max_delay);
  str("respawn_limit", a.respawn_limit);
  str("respawn_window", a.respawn_window);
  str("chdir", a.chdir);
  str("umask", a.umask);
  str("user", a.user);
  str("chroot", a.chroot);
  str("nice", a.nice);
  if (const json* v = get("env")) {
    for (auto& [k, val] : v->items()) a.env.push_back(k + "=" + val.get<std::string>());
  }
  if (const json* v = get("env_file")) {
    for (const auto& f : *v) a.env_files.push_back(f.get<std::string>());
  }
  if (const json* v = get("clear_env")) a.clear_env = v->get<bool>();
  if (const json* v = get("rlimit")) {
    for (auto& [k, val] : v->items()) a.rlimits.push_back(k + "=" + val.get<std::string>());
  }
  return a;
}

std::vector<std::string> command_from(const json& v) {
  if (v.is_string()) return {"/bin/sh", "-c", v.get<std::string>()};
  std::vector<std::string> argv;
  for (const auto& e : v) argv.push_back(e.get<std::string>());
  return argv;
}

std::optional<dependency_condition> condition_named(const std::string& s) {
  for (auto c : {dependency_condition::started, dependency_condition::ready, dependency_condition::healthy,
                 dependency_condition::completed}) {
    if (to_string(c) == s) return c;
  }
  return std::nullopt;
}

// Orders services so each comes after what it depends on, keeping the
// file's order where the dependencies leave it free. A cycle is reported
// once, at the depends_on key of its first member in the file.
void order_services(services_file& f) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < f.services.size(); ++i) index[f.services[i].name] = i;
  enum class mark { none, visiting, done };
  std::vector<mark> marks(f.services.size(), mark::none);
  std::vector<std::size_t> order, path;
  bool cycle = false;
  auto visit = [&](auto&& self, std::size_t i) -> void {
    if (cycle || marks[i] == mark::done) return;
    if (marks[i] == mark::visiting) {
      auto from = std::find(path.begin(), path.end(), i);
      std::string text;
      for (auto it = from; it != path.end(); ++it) text += f.services[*it].name + " -> ";
      text += f.services[i].name;
      // Reported at the member of the cycle written first in the file.
      std::size_t first = *std::min_element(from, path.end());
      f.errors.push_back({f.services[first].depends_at,
                          "services." + f.services[first].name + ".depends_on: dependency cycle: " + text});
      cycle = true;
      return;
    }
    marks[i] = mark::visiting;
    path.push_back(i);
    for (const auto& d : f.services[i].depends_on) {
      auto it = index.find(d.service);
      if (it != index.end()) self(self, it->second);
      if (cycle) return;
    }
    path.pop_back();
    marks[i] = mark::done;
    order.push_back(i);
  };
  for (std::size_t i = 0; i < f.services.size() && !cycle; ++i) visit(visit, i);
  if (cycle) return;
  std::vector<file_service> sorted;
  sorted.reserve(order.size());
  for (auto i : order) sorted.push_back(std::move(f.services[i]));
  f.services = std::move(sorted);
}

// Checks one service's settings as `start` would, and fills it in.
void check_service(services_file& f, file_service& s, const std::map<std::string, setting>& settings) {
  auto at = [&](const std::string& key) {
    auto it = settings.find(key);
    return it == settings.end() ? s.at : it->second.at;
  };
  std::string prefix = "services." + s.name + ".";
  auto cmd = settings.find("command");
  if (cmd == settings.end()) {
    f.errors.push_back({s.at, prefix + "command: missing"});
    return;
  }
  s.command = command_from(cmd->second.value);
  if (auto it = settings.find("oneshot"); it != settings.end()) s.oneshot = it->second.value.get<bool>();
  if (auto it = settings.find("instances"); it != settings.end()) {
    auto n = it->second.value.get<long long>();
    if (n < 1 || n > 1000) {
      f.errors.push_back({it->second.at, prefix + "instances: must be from 1 to 1000"});
      return;
    }
    s.instances = n == 1 ? 0 : static_cast<unsigned>(n);  // one instance is the service itself
  }
  s.args = args_from(settings);
  if (s.oneshot) {
    if (auto it = settings.find("respawn");
        it != settings.end() && it->second.value != "no" && it->second.value != "never") {
      f.errors.push_back({it->second.at, prefix + "respawn: a oneshot service is never respawned"});
      return;
    }
    s.args.respawn = "never";
  }
  if (auto it = settings.find("depends_on"); it != settings.end()) {
    s.depends_at = it->second.at;
    for (auto& [name, cond] : it->second.value.items()) {
      s.depends_on.push_back({name, *condition_named(cond.get<std::string>()), it->second.at});
    }
  }
  // The same checks as the command line's, on the longest name it runs as.
  start_args probe = s.args;
  probe.name_given = true;
  probe.name = s.service_names().back();
  auto req = make_start_request(probe, s.command, common_options{}, false);
  if (!req) {
    std::string msg = req.err().message();
    auto colon = msg.find(": ");
    std::string option = colon == std::string::npos ? std::string() : msg.substr(0, colon);
    std::string key = key_of_option(option);
    if (key == "name") {
      f.errors.push_back({s.at, "services." + s.name + ": " + msg.substr(colon + 2)});
    } else if (colon != std::string::npos && (find_key(key) != nullptr)) {
      f.errors.push_back({at(key), prefix + key + ": " + msg.substr(colon + 2)});
    } else {
      f.errors.push_back({s.at, prefix.substr(0, prefix.size() - 1) + ": " + msg});
    }
    return;
  }
  json settings_json = json::object();
  for (const auto& [k, v] : settings) {
    if (k == "depends_on" || k == "instances") continue;  // where it starts and how many: not the process
    settings_json[k] = v.value;
  }
  s.settings = std::move(settings_json);
}

}  // namespace

std::string_view to_string(dependency_condition c) noexcept {
  switch (c) {
    case dependency_condition::started: return "started";
    case dependency_condition::ready: return "ready";
    case dependency_condition::healthy: return "healthy";
    case dependency_condition::completed: return "completed";
  }
  return "ready";
}

std::vector<std::string> file_service::service_names() const {
  if (instances == 0) return {name};
  std::vector<std::string> names;
  names.reserve(instances);
  for (unsigned i = 1; i <= instances; ++i) names.push_back(name + "@" + std::to_string(i));
  return names;
}

const file_service* services_file::find(std::string_view name) const {
  for (const auto& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string services_file::describe(const file_error& e) const {
  if (e.at.line == 0) return path + ": " + e.message;
  return path + ":" + std::to_string(e.at.line) + ":" + std::to_string(e.at.column) + ": " + e.message;
}

std::string services_file_path(const std::string& given) {
  return absolute_path(given.empty() ? std::string("daemonkit.toml") : given);
}

services_file parse_services_file(std::string_view text, const std::string& path) {
  services_file f;
  f.path = path;
  std::string dir = path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    f.errors.push_back({position_of(e.source()), std::string(e.description())});
    return f;
  }
  std::map<std::string, setting> defaults;
  const toml::table* services = nullptr;
  for (auto&& [k, node] : doc) {
    file_position at = position_of(k.source());
    if (k.str() == "defaults") {
      if (const auto* t = node.as_table()) table_reader("defaults.", dir, f.errors).read(*t, defaults, true);
      else f.errors.push_back({at, "defaults: expected a table ([defaults])"});
    } else if (k.str() == "services") {
      services = node.as_table();
      if (services == nullptr) f.errors.push_back({at, "services: expected a table ([services.NAME])"});
    } else {
      f.errors.push_back({at, std::string(k.str()) + ": unknown key (expected [defaults] or [services.NAME])"});
    }
  }
  if (services == nullptr || services->empty()) {
    if (f.errors.empty()) f.errors.push_back({{}, "no services (expected [services.NAME] tables)"});
    return f;
  }
  for (auto&& [k, node] : *services) {
    file_service s;
    s.name = std::string(k.str());
    s.at = position_of(k.source());
    std::string prefix = "services." + s.name;
    if (s.name.find('@') != std::string::npos || !daemonkit::valid_service_name(s.name)) {
      f.errors.push_back({s.at, prefix + ": invalid service name '" + s.name +
                                    "' (1-64 of A-Za-z0-9._-, not starting with '.'; '@' is for instances)"});
      continue;
    }
    const auto* t = node.as_table();
    if (t == nullptr) {
      f.errors.push_back({s.at, prefix + ": expected a table ([" + prefix + "])"});
      continue;
    }
    std::map<std::string, setting> settings = defaults;
    std::size_t before = f.errors.size();
    table_reader(prefix + ".", dir, f.errors).read(*t, settings, false);
    // A default that does not apply: a oneshot is never respawned.
    if (auto it = settings.find("oneshot");
        it != settings.end() && it->second.value == true && t->find("respawn") == t->end()) {
      settings.erase("respawn");
    }
    if (f.errors.size() == before) check_service(f, s, settings);
    f.services.push_back(std::move(s));
  }
  // Dependencies: known services, and "completed" only of a oneshot.
  for (const auto& s : f.services) {
    for (const auto& d : s.depends_on) {
      const std::string where = "services." + s.name + ".depends_on";
      const file_service* on = f.find(d.service);
      if (on == nullptr) {
        f.errors.push_back({d.at, where + ": unknown service '" + d.service + "'"});
      } else if (d.condition == dependency_condition::completed && !on->oneshot) {
        f.errors.push_back({d.at, where + ": '" + d.service + "' is not a oneshot service: it never completes"});
      } else if (d.condition == dependency_condition::healthy && !on->args.health) {
        f.errors.push_back({d.at, where + ": '" + d.service + "' has no health check: it is never healthy"});
      }
    }
  }
  if (f.errors.empty()) order_services(f);
  std::stable_sort(f.errors.begin(), f.errors.end(), [](const file_error& a, const file_error& b) {
    return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
  });
  return f;
}

services_file read_services_file(const std::string& path) {
  auto fail = [&](const std::string& why) {
    services_file f;
    f.path = path;
    f.errors.push_back({{}, why});
    return f;
  };
  daemonkit::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return fail(std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(std::string("cannot read: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_file_size) return fail("too large (more than 1 MiB)");
  std::string text;
  std::array<char, 65536> buf{};
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > max_file_size) return fail("too large (more than 1 MiB)");
  }
  return parse_services_file(text, path);
}

daemonkit::result<start_request> service_request(const services_file& f, const file_service& s, const std::string& name,
                                                 const common_options& common) {
  start_args a = s.args;
  a.name = name;
  a.name_given = true;
  if (auto at = name.find('@'); at != std::string::npos) a.env.push_back("DAEMONKIT_INSTANCE=" + name.substr(at + 1));
  auto req = make_start_request(a, s.command, common, false);
  if (!req) return req;
  req->config.source_file = f.path;
  req->config.source_settings = s.settings.dump();
  return req;
}

std::vector<std::string> changed_settings(const json& before, const json& after) {
  std::set<std::string> changed;
  auto keys_of = [](const json& j) {
    std::set<std::string> k;
    if (j.is_object()) {
      for (auto& [key, v] : j.items()) k.insert(key);
    }
    return k;
  };
  auto all = keys_of(before);
  all.merge(keys_of(after));
  for (const auto& k : all) {
    const json* b = before.is_object() && before.contains(k) ? &before.at(k) : nullptr;
    const json* a = after.is_object() && after.contains(k) ? &after.at(k) : nullptr;
    if (b != nullptr && a != nullptr && *b == *a) continue;
    bool tables = (b == nullptr || b->is_object()) && (a == nullptr || a->is_object()) && (k == "env" || k == "rlimit");
    if (tables) {
      for (const auto& e : changed_settings(b != nullptr ? *b : json::object(), a != nullptr ? *a : json::object())) {
        changed.insert(k + "." + e);
      }
    } else {
      changed.insert(k);
    }
  }
  return {changed.begin(), changed.end()};
}

}  // namespace dk
