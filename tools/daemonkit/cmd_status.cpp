// SPDX-License-Identifier: MIT
// status and list: what every service is doing, for people and for scripts.
//
// --json output is stable: an array of objects with the fields documented
// in docs/daemonkit.md (name, state, running, supervised, pid, monitor_pid,
// uptime_seconds, started_at, restarts, last_exit, last_exit_code,
// status_text, command, log_file, remaining, health, exit_code, error). It is always
// valid UTF-8: a byte that is not (a service may send any STATUS= text and run
// any argv) becomes U+FFFD. Plain output escapes control characters and such
// bytes instead (\x1b, \r, \xe9), through daemonkit::escape_for_terminal.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli.hpp"
#include "daemonkit/supervised.hpp"
#include "daemonkit/text_escape.hpp"
#include "daemonkit/units.hpp"
#include "services_file.hpp"

namespace dk {

namespace {

using daemonkit::service_view;
using json = nlohmann::json;

long long uptime_of(const service_view& v) {
  if (!v.alive() || !v.state || v.state->started_at <= 0 || v.state->pid != v.pid) return -1;
  return std::max<long long>(0, static_cast<long long>(std::time(nullptr)) - v.state->started_at);
}

std::string iso_time(std::int64_t t) {
  if (t <= 0) return {};
  std::time_t tt = static_cast<std::time_t>(t);
  struct tm tm {};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The command line for the table: cut (on a character boundary, with a
// mark) where NAME.state cuts it, so a megabyte of arguments is not a
// megabyte-wide row; --json has every argument.
std::string command_of(const service_view& v) {
  constexpr size_t max_shown = 4096;
  std::string s;
  if (v.config) {
    for (const auto& a : v.config->argv) {
      if (!s.empty()) s += ' ';
      s += a;
      if (s.size() > max_shown) break;
    }
  } else if (v.state) {
    s = v.state->command;
  }
  if (s.size() > max_shown) {
    s.resize(daemonkit::utf8_prefix_length(s, max_shown - 3));
    s += "\xe2\x80\xa6";  // an ellipsis
  }
  return s;
}

json to_json(const service_view& v) {
  json j;
  j["name"] = v.name;
  j["state"] = v.word();
  // The boolean field is named after the phase word: one spelling of it.
  // It is true while a process of the service is alive: not in backoff.
  j[std::string(to_string(daemonkit::service_phase::running))] = v.alive();
  j["supervised"] = v.what == service_view::kind::supervised;
  j["pid"] = v.alive() && v.pid > 0 ? json(v.pid) : json(nullptr);
  j["monitor_pid"] = v.monitor_pid > 0 ? json(v.monitor_pid) : json(nullptr);
  long long up = uptime_of(v);
  j["uptime_seconds"] = up >= 0 ? json(up) : json(nullptr);
  j["started_at"] =
      v.alive() && v.state && v.state->started_at > 0 ? json(iso_time(v.state->started_at)) : json(nullptr);
  j["restarts"] = v.state ? v.state->restarts : 0U;
  j["last_exit"] = v.state && !v.state->last_exit.empty() ? json(v.state->last_exit) : json(nullptr);
  j["last_exit_code"] = v.state && v.state->last_exit_code >= 0 ? json(v.state->last_exit_code) : json(nullptr);
  j["status_text"] = v.state && !v.state->status_text.empty() ? json(v.state->status_text) : json(nullptr);
  j["command"] = v.config ? json(v.config->argv) : json(nullptr);
  j["log_file"] = v.config && !v.config->log_file.empty() ? json(v.config->log_file) : json(nullptr);
  j["remaining"] = v.state ? v.state->remaining : 0U;
  j["health"] = v.health() == daemonkit::service_health::none ? json(nullptr) : json(to_string(v.health()));
  j["exit_code"] = static_cast<int>(v.lsb_code());
  if (!v.error.empty()) j["error"] = v.error;
  return j;
}

// JSON text for scripts: valid UTF-8 whatever the bytes inside.
std::string dump_json(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

std::string shown(std::string_view text) { return daemonkit::escape_for_terminal(text); }

// What the health checks say, for people: "healthy", "unhealthy", "health
// starting" (no result yet); empty without checks.
std::string health_text(const service_view& v) {
  switch (v.health()) {
    case daemonkit::service_health::none: return "";
    case daemonkit::service_health::starting: return "health starting";
    case daemonkit::service_health::healthy:
    case daemonkit::service_health::unhealthy: return std::string(to_string(v.health()));
  }
  return "";
}

// The STATE column: the state, its health, and the processes stop could not
// kill.
std::string state_column(const service_view& v) {
  std::string s(v.word());
  if (auto h = health_text(v); !h.empty()) s += " (" + h + ")";
  if (v.state && v.state->remaining > 0) s += " (" + std::to_string(v.state->remaining) + " remain)";
  return s;
}

void print_table(const std::vector<service_view>& views) {
  struct row {
    std::string name, state, pid, uptime, restarts, last, command;
  };
  std::vector<row> rows{{"NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "COMMAND"}};
  for (const auto& v : views) {
    long long up = uptime_of(v);
    rows.push_back({shown(v.name), shown(state_column(v)), v.alive() && v.pid > 0 ? std::to_string(v.pid) : "-",
                    up >= 0 ? daemonkit::format_duration(std::chrono::seconds(std::max(up, 1LL))) : "-",
                    std::to_string(v.state ? v.state->restarts : 0U),
                    v.state && !v.state->last_exit.empty() ? shown(v.state->last_exit) : "-", shown(command_of(v))});
  }
  // Columns padded by what the terminal shows (code points), not bytes.
  size_t w[6] = {};
  for (const auto& r : rows) {
    const std::string* f[6] = {&r.name, &r.state, &r.pid, &r.uptime, &r.restarts, &r.last};
    for (int i = 0; i < 6; ++i) w[i] = std::max(w[i], daemonkit::display_width(*f[i]));
  }
  auto pad = [](const std::string& s, size_t width, bool right) {
    std::string fill(width - daemonkit::display_width(s), ' ');
    return right ? fill + s : s + fill;
  };
  for (const auto& r : rows) {
    std::string line = pad(r.name, w[0], false) + "  " + pad(r.state, w[1], false) + "  " + pad(r.pid, w[2], true) +
                       "  " + pad(r.uptime, w[3], false) + "  " + pad(r.restarts, w[4], true) + "  " +
                       pad(r.last, w[5], false) + "  " + r.command;
    std::printf("%s\n", line.c_str());
  }
  // Why a row is "error" or incomplete is said, not left out.
  for (const auto& v : views) {
    if (!v.error.empty()) complain(v.name, v.error);
  }
}

void print_status(const service_view& v) {
  std::string line = v.name + ": " + v.describe();
  long long up = uptime_of(v);
  if (up >= 0) line += ", up " + daemonkit::format_duration(std::chrono::seconds(std::max(up, 1LL)));
  if (auto h = health_text(v); !h.empty()) line += ", " + h;
  if (v.state && v.state->restarts > 0) line += ", " + std::to_string(v.state->restarts) + " restarts";
  if (v.running() && v.state && !v.state->last_exit.empty()) line += ", last " + v.state->last_exit;
  line = shown(line);
  if (v.state && !v.state->status_text.empty()) line += "\n  status: " + shown(v.state->status_text);
  std::printf("%s\n", line.c_str());
  if (!v.error.empty()) complain(v.name, v.error);
}

// A file's services, each of its service names in dependency order; a
// oneshot that completed (exited 0) counts as fine. nullopt after printing
// the file's errors.
struct file_views {
  std::vector<service_view> views;
  std::vector<bool> completed;
};
std::optional<file_views> views_of_file(const common_options& o, const std::string& file) {
  services_file f = read_services_file(services_file_path(file));
  if (!f.errors.empty()) {
    for (const auto& e : f.errors) std::fprintf(stderr, "%s\n", shown(f.describe(e)).c_str());
    return std::nullopt;
  }
  auto dir = state_dir(o, false);
  if (!dir) {
    complain("", dir.err().message());
    return std::nullopt;
  }
  file_views out;
  for (const auto& s : f.services) {
    for (const auto& n : s.service_names()) {
      out.views.push_back(daemonkit::inspect_service(*dir, n));
      const auto& v = out.views.back();
      out.completed.push_back(s.oneshot && v.what == service_view::kind::exited && v.state &&
                              v.state->last_exit_code == 0);
    }
  }
  return out;
}

}  // namespace

int cmd_status_file(const common_options& o, const std::string& file, bool as_json) {
  auto fv = views_of_file(o, file);
  if (!fv) return lsb_unknown;
  int code = fv->views.empty() ? lsb_not_running : lsb_running;
  for (std::size_t i = 0; i < fv->views.size(); ++i) {
    if (!fv->completed[i]) code = std::max(code, static_cast<int>(fv->views[i].lsb_code()));
  }
  if (as_json) {
    json arr = json::array();
    for (std::size_t i = 0; i < fv->views.size(); ++i) {
      json j = to_json(fv->views[i]);
      j["completed"] = static_cast<bool>(fv->completed[i]);
      if (fv->completed[i]) j["exit_code"] = lsb_running;
      arr.push_back(std::move(j));
    }
    std::printf("%s\n", dump_json(arr).c_str());
    return code;
  }
  for (std::size_t i = 0; i < fv->views.size(); ++i) {
    const auto& v = fv->views[i];
    if (v.what == service_view::kind::error) complain(v.name, v.error);
    else if (fv->completed[i]) std::printf("%s: completed\n", shown(v.name).c_str());
    else print_status(v);
  }
  return code;
}

int cmd_list_file(const common_options& o, const std::string& file, bool as_json) {
  auto fv = views_of_file(o, file);
  if (!fv) return exit_usage;
  if (as_json) {
    json arr = json::array();
    for (std::size_t i = 0; i < fv->views.size(); ++i) {
      json j = to_json(fv->views[i]);
      j["completed"] = static_cast<bool>(fv->completed[i]);
      arr.push_back(std::move(j));
    }
    std::printf("%s\n", dump_json(arr).c_str());
  } else {
    print_table(fv->views);
  }
  return exit_ok;
}

int cmd_status(const common_options& o, const std::vector<std::string>& names, bool as_json) {
  for (const auto& n : names) {
    if (!daemonkit::valid_service_name(n)) return usage_error("invalid service name '" + n + "'");
  }
  auto dir = state_dir(o, false);
  if (!dir) {
    complain("", dir.err().message());
    return lsb_unknown;
  }
  std::vector<std::string> which = names.empty() ? daemonkit::list_service_names(*dir) : names;
  std::vector<service_view> views;
  views.reserve(which.size());
  for (const auto& n : which) views.push_back(daemonkit::inspect_service(*dir, n));
  int code = views.empty() ? lsb_not_running : lsb_running;
  for (const auto& v : views) code = std::max(code, static_cast<int>(v.lsb_code()));
  if (as_json) {
    json arr = json::array();
    for (const auto& v : views) arr.push_back(to_json(v));
    std::printf("%s\n", dump_json(arr).c_str());
    return code;
  }
  for (const auto& v : views) {
    if (v.what == service_view::kind::error) complain(v.name, v.error);
    else print_status(v);
  }
  return code;
}

int cmd_list(const common_options& o, bool as_json) {
  auto dir = state_dir(o, false);
  if (!dir) {
    complain("", dir.err().message());
    return exit_failure;
  }
  std::vector<service_view> views;
  for (const auto& n : daemonkit::list_service_names(*dir)) views.push_back(daemonkit::inspect_service(*dir, n));
  if (as_json) {
    json arr = json::array();
    for (const auto& v : views) arr.push_back(to_json(v));
    std::printf("%s\n", dump_json(arr).c_str());
  } else if (views.empty()) {
    std::printf("no services in %s\n", shown(*dir).c_str());
  } else {
    print_table(views);
  }
  return exit_ok;
}

// Names only, one a line, for shells' completion and scripts: nothing to
// escape, as list_service_names keeps only valid names (A-Za-z0-9._@-).
int cmd_list_names(const common_options& o) {
  auto dir = state_dir(o, false);
  if (!dir) {
    complain("", dir.err().message());
    return exit_failure;
  }
  for (const auto& n : daemonkit::list_service_names(*dir)) std::printf("%s\n", n.c_str());
  return exit_ok;
}

}  // namespace dk
