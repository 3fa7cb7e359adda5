// SPDX-License-Identifier: MIT
// check, up and down: the services of a daemonkit.toml, in the order their
// dependencies give.
//
// `up` is a small scheduler. Each service name it has to act on gets a
// worker: a fork of this (single-threaded) process that starts, restarts or
// waits for that one service and says so on a pipe. The scheduler waits on
// the workers' pidfds and pipes (poll), and starts a service's worker once
// every worker of what it depends on has succeeded; a failure fails every
// dependant without starting it. Services that depend on nothing pending
// start together. A worker succeeds once its service meets the strongest
// condition any dependant asks of it (ready, healthy, completed).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <optional>
#include <poll.h>
#include <set>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.hpp"
#include "daemonkit/log_tail.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/supervised.hpp"
#include "daemonkit/text_escape.hpp"
#include "daemonkit/unique_fd.hpp"
#include "daemonkit/units.hpp"
#include "services_file.hpp"

namespace dk {

namespace {

using daemonkit::service_view;
using json = nlohmann::json;

// Reads and checks the file; on errors prints each and returns nullopt.
std::optional<services_file> load(const std::string& given) {
  services_file f = read_services_file(services_file_path(given));
  if (f.errors.empty()) return f;
  for (const auto& e : f.errors) {
    std::fprintf(stderr, "%s\n", daemonkit::escape_for_terminal(f.describe(e)).c_str());
  }
  return std::nullopt;
}

// The names asked for, and everything they depend on (up) or everything
// that depends on them (down); all of the file's without names. Usage
// error (returns false) for a name the file does not have.
bool select_services(const services_file& f, const std::vector<std::string>& names, bool dependants,
                     std::set<std::string>& out) {
  if (names.empty()) {
    for (const auto& s : f.services) out.insert(s.name);
    return true;
  }
  std::vector<std::string> todo;
  for (const auto& n : names) {
    // An instance name stands for its service: web@2 -> web.
    std::string base = n.substr(0, n.find('@'));
    if (f.find(base) == nullptr) {
      usage_error("no service '" + n + "' in " + f.path);
      return false;
    }
    todo.push_back(base);
  }
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    if (!out.insert(n).second) continue;
    if (!dependants) {
      for (const auto& d : f.find(n)->depends_on) todo.push_back(d.service);
    } else {
      for (const auto& s : f.services) {
        for (const auto& d : s.depends_on) {
          if (d.service == n) todo.push_back(s.name);
        }
      }
    }
  }
  return true;
}

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

// What up does with one service name.
struct unit {
  enum class action { start, restart, keep, refuse };
  std::string name;
  const file_service* service = nullptr;
  action what = action::start;
  std::vector<std::string> changed;  // restart: the keys that differ
  bool completed = false;            // keep: a oneshot that already completed, unchanged
  std::string note;                  // refuse: why

  enum class progress { waiting, working, done, failed };
  progress state = progress::waiting;
  pid_t worker = 0;
  daemonkit::process worker_process;
  daemonkit::unique_fd output;
  std::string text;  // what the worker said
};

unit plan_unit(const services_file& f, const file_service& s, const std::string& name, const std::string& dir) {
  unit u;
  u.name = name;
  u.service = &s;
  service_view v = daemonkit::inspect_service(dir, name);
  if (v.what == service_view::kind::error) {
    u.what = unit::action::refuse;
    u.note = v.error;
    return u;
  }
  bool ours = v.config && v.config->source_file == f.path;
  std::vector<std::string> changed = changed_settings(stored_settings(v), s.settings);
  if (v.running()) {
    if (!ours) {
      u.what = unit::action::refuse;
      u.note = "running, but not started from " + f.path + "; left alone (stop it first to run it from the file)";
    } else if (changed.empty()) {
      u.what = unit::action::keep;
    } else {
      u.what = unit::action::restart;
      u.changed = std::move(changed);
    }
    return u;
  }
  // Not running: a oneshot that completed with these settings stays done.
  if (ours && changed.empty() && s.oneshot && v.what == service_view::kind::exited && v.state &&
      v.state->last_exit_code == 0) {
    u.what = unit::action::keep;
    u.completed = true;
  }
  return u;
}

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
int await_condition(const common_options& o, const std::string& dir, const unit& u, bool healthy) {
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

// A worker: brings one service name up. Runs in a fork; its stdout and
// stderr are the scheduler's pipe.
int work(const common_options& o, const services_file& f, const std::string& dir, const unit& u, bool healthy) {
  if (u.what == unit::action::keep) {
    std::printf("%s: unchanged\n", u.name.c_str());
    if (u.completed) return exit_ok;
    return await_condition(o, dir, u, healthy);
  }
  auto req = service_request(f, *u.service, u.name, o);
  if (!req) {
    complain(u.name, req.err().message());
    return exit_failure;
  }
  if (u.what == unit::action::restart) {
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
    if (u.what == unit::action::restart) {
      std::printf("%s: restarted (changed: %s)\n", u.name.c_str(), join(u.changed).c_str());
    } else {
      std::printf("%s: started (pid %d)\n", u.name.c_str(), static_cast<int>(pid));
    }
  }
  return await_condition(o, dir, u, healthy);
}

// Forks a worker for u; its output goes to u.output.
bool launch_worker(const common_options& o, const services_file& f, const std::string& dir, unit& u, bool healthy) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    complain(u.name, std::string("cannot make a pipe: ") + std::strerror(errno));
    return false;
  }
  daemonkit::unique_fd rd(p[0]), wr(p[1]);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    complain(u.name, std::string("cannot fork: ") + std::strerror(errno));
    return false;
  }
  if (pid == 0) {
    // The worker: a plain copy of this single-threaded process.
    ::dup2(wr.get(), STDOUT_FILENO);
    ::dup2(wr.get(), STDERR_FILENO);
    rd.reset();
    wr.reset();
    int rc = work(o, f, dir, u, healthy);
    std::fflush(nullptr);
    ::_exit(rc);
  }
  wr.reset();
  (void)::fcntl(rd.get(), F_SETFL, O_NONBLOCK);
  auto proc = daemonkit::process::open(pid);
  if (!proc) {
    complain(u.name, proc.err().message());
    (void)::kill(pid, SIGKILL);
    (void)::waitpid(pid, nullptr, 0);
    return false;
  }
  u.worker = pid;
  u.worker_process = std::move(*proc);
  u.output = std::move(rd);
  u.state = unit::progress::working;
  return true;
}

void drain(unit& u) {
  std::array<char, 4096> buf{};
  for (;;) {
    ssize_t n = ::read(u.output.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    u.text.append(buf.data(), static_cast<std::size_t>(n));
  }
}

// The orphans of the file: services started from it that it no longer has.
std::vector<std::string> orphans(const services_file& f, const std::string& dir) {
  std::set<std::string> names;
  for (const auto& s : f.services) {
    for (const auto& n : s.service_names()) names.insert(n);
  }
  std::vector<std::string> out;
  for (const auto& n : daemonkit::list_service_names(dir)) {
    if (names.count(n) != 0) continue;
    auto v = daemonkit::inspect_service(dir, n);
    if (v.config && v.config->source_file == f.path) out.push_back(n);
  }
  return out;
}

}  // namespace

int cmd_check(const std::string& file) {
  auto f = load(file);
  if (!f) return exit_usage;
  std::size_t names = 0;
  for (const auto& s : f->services) names += s.service_names().size();
  std::printf("%s: %zu service%s", daemonkit::escape_for_terminal(f->path).c_str(), f->services.size(),
              f->services.size() == 1 ? "" : "s");
  if (names != f->services.size()) std::printf(" (%zu with instances)", names);
  std::printf(", valid\n");
  return exit_ok;
}

int cmd_up(const common_options& o, const up_options& opts) {
  auto f = load(opts.file);
  if (!f) return exit_usage;
  std::set<std::string> wanted;
  if (!select_services(*f, opts.names, false, wanted)) return exit_usage;
  auto dir = state_dir(o, !opts.dry_run);
  if (!dir) {
    complain("", dir.err().message());
    return exit_failure;
  }

  // The strongest condition each service is waited for by its dependants.
  std::map<std::string, bool> wait_healthy;
  for (const auto& s : f->services) {
    if (wanted.count(s.name) == 0) continue;
    for (const auto& d : s.depends_on) {
      if (d.condition == dependency_condition::healthy) wait_healthy[d.service] = true;
    }
  }

  std::vector<unit> units;
  for (const auto& s : f->services) {
    if (wanted.count(s.name) == 0) continue;
    for (const auto& n : s.service_names()) units.push_back(plan_unit(*f, s, n, *dir));
  }
  std::vector<std::string> orphaned = orphans(*f, *dir);

  if (opts.dry_run) {
    for (const auto& u : units) {
      switch (u.what) {
        case unit::action::start: std::printf("start %s\n", u.name.c_str()); break;
        case unit::action::restart:
          std::printf("restart %s (changed: %s)\n", u.name.c_str(), join(u.changed).c_str());
          break;
        case unit::action::keep:  // left alone: not an action
          break;
        case unit::action::refuse:
          std::printf("refuse %s (%s)\n", u.name.c_str(), daemonkit::escape_for_terminal(u.note).c_str());
          break;
      }
    }
    for (const auto& n : orphaned) {
      if (opts.remove_orphans) std::printf("stop %s (not in the file)\n", n.c_str());
    }
    return exit_ok;
  }

  int rc = exit_ok;
  if (opts.remove_orphans) {
    for (const auto& n : orphaned) {
      auto v = daemonkit::inspect_service(*dir, n);
      auto stopped = daemonkit::stop_service(v);
      if (!stopped || stopped->remaining > 0) {
        complain(n, stopped ? daemonkit::describe_remaining(stopped->remaining, stopped->remaining_pids)
                            : stopped.err().message());
        rc = exit_failure;
        continue;
      }
      if (auto r = daemonkit::remove_service(*dir, n); !r) {
        complain(n, r.err().message());
        rc = exit_failure;
        continue;
      }
      std::printf("%s: stopped and removed (not in the file)\n", n.c_str());
    }
  }

  auto group_state = [&](const std::string& service) {
    bool all_done = true;
    for (const auto& u : units) {
      if (u.service->name != service) continue;
      if (u.state == unit::progress::failed) return unit::progress::failed;
      if (u.state != unit::progress::done) all_done = false;
    }
    return all_done ? unit::progress::done : unit::progress::waiting;
  };
  for (;;) {
    // Start whatever can start; fail whatever cannot.
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto& u : units) {
        if (u.state != unit::progress::waiting) continue;
        if (u.what == unit::action::refuse) {
          complain(u.name, u.note);
          u.state = unit::progress::failed;
          rc = exit_failure;
          changed = true;
          continue;
        }
        std::string failed_dep;
        bool ready = true;
        for (const auto& d : u.service->depends_on) {
          auto g = group_state(d.service);
          if (g == unit::progress::failed) failed_dep = d.service;
          if (g != unit::progress::done) ready = false;
        }
        if (!failed_dep.empty()) {
          std::fflush(stdout);
          std::printf("%s: not started: %s failed\n", u.name.c_str(), failed_dep.c_str());
          u.state = unit::progress::failed;
          rc = exit_failure;
          changed = true;
        } else if (ready) {
          if (!launch_worker(o, *f, *dir, u, wait_healthy[u.service->name])) {
            u.state = unit::progress::failed;
            rc = exit_failure;
            changed = true;
          }
        }
      }
    }
    // Wait for a worker to finish.
    std::vector<pollfd> fds;
    std::vector<unit*> owners;
    for (auto& u : units) {
      if (u.state != unit::progress::working) continue;
      fds.push_back({u.worker_process.pidfd(), POLLIN, 0});
      owners.push_back(&u);
      fds.push_back({u.output.get(), POLLIN, 0});
      owners.push_back(&u);
    }
    if (fds.empty()) break;
    int n = ::poll(fds.data(), fds.size(), -1);
    if (n < 0 && errno != EINTR) {
      complain("", std::string("poll: ") + std::strerror(errno));
      return exit_failure;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      unit& u = *owners[i];
      drain(u);
      if (i % 2 == 0 && u.state == unit::progress::working) {
        auto status = u.worker_process.reap();
        drain(u);
        u.output.reset();
        std::fflush(stdout);
        // Its words, as it said them (each line escaped when it was made).
        bool ok = status && status->success();
        (void)std::fwrite(u.text.data(), 1, u.text.size(), ok ? stdout : stderr);
        std::fflush(nullptr);
        u.state = ok ? unit::progress::done : unit::progress::failed;
        if (!ok) rc = exit_failure;
      }
    }
  }
  return rc;
}

int cmd_down(const common_options& o, const std::string& file, const std::vector<std::string>& names) {
  auto f = load(file);
  if (!f) return exit_usage;
  std::set<std::string> wanted;
  if (!select_services(*f, names, true, wanted)) return exit_usage;
  auto dir = state_dir(o, false);
  if (!dir) {
    complain("", dir.err().message());
    return exit_failure;
  }
  int rc = exit_ok;
  // Dependants first: the reverse of the file's dependency order.
  for (auto s = f->services.rbegin(); s != f->services.rend(); ++s) {
    if (wanted.count(s->name) == 0) continue;
    auto instance_names = s->service_names();
    for (auto n = instance_names.rbegin(); n != instance_names.rend(); ++n) {
      auto v = daemonkit::inspect_service(*dir, *n);
      if (v.what == service_view::kind::error) {
        complain(*n, v.error);
        rc = exit_failure;
        continue;
      }
      if (!v.running()) {
        std::printf("%s: not running\n", n->c_str());
        continue;
      }
      if (!v.config || v.config->source_file != f->path) {
        complain(*n, "running, but not started from " + f->path + "; left alone");
        rc = exit_failure;
        continue;
      }
      auto r = daemonkit::stop_service(v);
      if (!r) {
        complain(*n, r.err().message());
        rc = exit_failure;
        continue;
      }
      if (r->remaining > 0) {
        complain(*n, daemonkit::describe_remaining(r->remaining, r->remaining_pids) + "; still stopping");
        rc = exit_failure;
        continue;
      }
      if (r->pid > 0) std::printf("%s: stopped (pid %d)\n", n->c_str(), static_cast<int>(r->pid));
      else std::printf("%s: stopped\n", n->c_str());
    }
  }
  return rc;
}

}  // namespace dk
