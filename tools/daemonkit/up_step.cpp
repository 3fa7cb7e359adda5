// SPDX-License-Identifier: MIT
#include "up_step.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "daemonkit/log_tail.hpp"
#include "daemonkit/supervised.hpp"
#include "daemonkit/units.hpp"

namespace dk {

namespace {

using daemonkit::service_view;
using json = nlohmann::json;

json stored_settings(const service_view& v) {
  if (!v.config || v.config->source_settings.empty()) return json::object();
  json j = json::parse(v.config->source_settings, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
  return s;
}

}  // namespace

up_step plan_step(const services_file& f, const file_service& s, const std::string& name, const std::string& dir) {
  up_step u;
  u.name = name;
  u.service = &s;
  service_view v = daemonkit::inspect_service(dir, name);
  if (v.what == service_view::kind::error) {
    u.what = up_step::action::refuse;
    u.note = v.error;
    return u;
  }
  u.planned_monitor = v.monitor_pid;
  bool ours = v.config && v.config->source_file == f.path;
  std::vector<std::string> changed = changed_settings(stored_settings(v), compared_settings(s));
  if (v.running()) {
    if (!ours) {
      u.what = up_step::action::refuse;
      u.note = "running, but not started from " + f.path + "; left alone (stop it first to run it from the file)";
    } else if (changed.empty()) {
      u.what = up_step::action::keep;
    } else {
      u.what = up_step::action::restart;
      u.changed = std::move(changed);
    }
    return u;
  }
  // Not running: a oneshot that completed with these settings stays done.
  if (ours && changed.empty() && s.oneshot && v.what == service_view::kind::exited && v.state &&
      v.state->last_exit_code == 0) {
    u.what = up_step::action::keep;
    u.completed = true;
  }
  return u;
}

namespace {

// Lines to print under a failure: the last lines of the service's log
// ("; last output:" and each as a continuation line), without the
// monitor's own lines about it (the failure itself is said already).
std::string last_output(const service_view& v) {
  if (!v.config) return {};
  const std::string& log = !v.config->log_file.empty() ? v.config->log_file : v.config->stderr_file;
  if (log.empty()) return {};
  auto lines = daemonkit::read_last_lines(log, 8);
  if (!lines || lines->empty()) return {};
  const std::string own = "daemonkit: " + v.name + ": ";
  std::vector<std::string> kept;
  std::size_t start = 0;
  while (start < lines->size()) {
    auto end = lines->find('\n', start);
    if (end == std::string::npos) end = lines->size();
    std::string line = lines->substr(start, end - start);
    if (line.find(own) == std::string::npos) kept.push_back(std::move(line));
    start = end + 1;
  }
  if (kept.size() > 5) kept.erase(kept.begin(), kept.end() - 5);
  if (kept.empty()) return {};
  std::string out = "; last output:";
  for (const auto& l : kept) out += "\n    " + l;
  return out;
}

// Waits for NAME.state to change or the monitor to exit, at most timeout.
// Returns false on timeout.
bool wait_for_change(int inotify_fd, const daemonkit::process& monitor, std::chrono::milliseconds timeout) {
  std::array<pollfd, 2> fds{{{inotify_fd, POLLIN, 0}, {monitor.pidfd(), POLLIN, 0}}};
  int n = 0;
  do {
    n = ::poll(fds.data(), monitor.valid() ? 2 : 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  std::array<char, 4096> buf{};
  while (::read(inotify_fd, buf.data(), buf.size()) > 0) {}
  return true;
}

// After the start: waits, when asked, for the service to be healthy or (a
// oneshot) to complete. Prints the outcome; returns the exit code.
int await_condition(const common_options& o, const std::string& dir, const up_step& u, bool healthy) {
  const auto& c = u.service->args;
  (void)c;
  bool oneshot = u.service->oneshot;
  if (!oneshot && !healthy) return exit_ok;
  daemonkit::unique_fd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch || ::inotify_add_watch(watch.get(), dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    complain(u.name, std::string("cannot watch ") + dir + ": " + std::strerror(errno));
    return exit_failure;
  }
  (void)o;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(24 * 365);
  if (healthy && !oneshot) {
    auto req = u.service;
    auto interval = daemonkit::parse_duration(req->args.health_interval).value_or(std::chrono::seconds(10));
    auto timeout = daemonkit::parse_duration(req->args.health_timeout).value_or(std::chrono::seconds(5));
    unsigned retries = static_cast<unsigned>(std::stoul(req->args.health_retries));
    deadline = std::chrono::steady_clock::now() + (interval + timeout) * (retries + 1);
  }
  for (;;) {
    service_view v = daemonkit::inspect_service(dir, u.name);
    daemonkit::process monitor;
    if (v.what == service_view::kind::supervised && v.monitor_pid > 0) {
      if (auto m = daemonkit::process::open_monitor(v.monitor_pid)) monitor = std::move(*m);
      v = daemonkit::inspect_service(dir, u.name);  // what it said once we hold it
    }
    if (oneshot) {
      if (!v.running()) {
        if (v.state && v.state->last_exit_code == 0) {
          std::printf("%s: completed\n", u.name.c_str());
          return exit_ok;
        }
        std::string why = v.state && !v.state->last_exit.empty() ? v.state->last_exit : std::string("did not complete");
        complain(u.name, why + last_output(v));
        return exit_failure;
      }
    } else {
      if (!v.running()) {
        complain(u.name,
                 "exited before it was healthy" +
                     (v.state && !v.state->last_exit.empty() ? " (" + v.state->last_exit + ")" : std::string()) +
                     last_output(v));
        return exit_failure;
      }
      if (v.state && v.state->health == daemonkit::service_health::healthy) {
        std::printf("%s: healthy\n", u.name.c_str());
        return exit_ok;
      }
      if (v.state && v.state->health == daemonkit::service_health::unhealthy) {
        complain(u.name, "unhealthy: its health check fails" + last_output(v));
        return exit_failure;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_for_change(watch.get(), monitor, std::min(left, std::chrono::milliseconds(60000)))) {
      if (std::chrono::steady_clock::now() >= deadline) {
        complain(u.name, "not healthy in time: no health check has passed");
        return exit_failure;
      }
    }
  }
}

}  // namespace

std::string up_step::changed_text() const { return join(changed); }

// A worker: brings one service name up. Runs in `daemonkit __up-step`
// (up_worker.cpp); its stdout and stderr are the scheduler's pipe.
int run_step(const common_options& o, const services_file& f, const std::string& dir, const up_step& u, bool healthy) {
  if (u.what == up_step::action::keep) {
    std::printf("%s: unchanged\n", u.name.c_str());
    if (u.completed) return exit_ok;
    return await_condition(o, dir, u, healthy);
  }
  auto req = service_request(f, *u.service, u.name, o);
  if (!req) {
    complain(u.name, req.err().message());
    return exit_failure;
  }
  if (u.what == up_step::action::restart) {
    // A configuration that does not check out is refused before anything
    // is stopped: the running instance keeps serving.
    auto check = daemonkit::check_service_config(req->config);
    if (!check) {
      complain(u.name, "cannot run the config check: " + check.err().message());
      return exit_failure;
    }
    if (!check->ok) {
      complain(u.name, config_check_failure(*check));
      return exit_failure;
    }
    auto v = daemonkit::inspect_service(dir, u.name);
    auto stopped = daemonkit::stop_service(v);
    if (!stopped) {
      complain(u.name, "cannot stop it to restart: " + stopped.err().message());
      return exit_failure;
    }
    if (stopped->remaining > 0) {
      complain(u.name, "cannot restart: " + daemonkit::describe_remaining(stopped->remaining, stopped->remaining_pids));
      return exit_failure;
    }
  }
  pid_t pid = 0;
  if (int rc = launch_service(o, std::move(req->config), pid); rc != exit_ok) return rc;
  if (!u.service->oneshot) {
    if (u.what == up_step::action::restart) {
      std::printf("%s: restarted (changed: %s)\n", u.name.c_str(), join(u.changed).c_str());
    } else {
      std::printf("%s: started (pid %d)\n", u.name.c_str(), static_cast<int>(pid));
    }
  }
  return await_condition(o, dir, u, healthy);
}

}  // namespace dk
