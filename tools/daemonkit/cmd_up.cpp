// SPDX-License-Identifier: MIT
// check, up and down: the services of a daemonkit.toml, in the order their
// dependencies give.
//
// `up` is a small scheduler. Each service name it has to act on gets a
// worker: this program executed again (up_worker.cpp) that starts, restarts
// or waits for that one service and says so on a pipe. The scheduler waits on
// the workers' pidfds and pipes (poll), and starts a service's worker once
// every worker of what it depends on has succeeded; a failure fails every
// dependant without starting it. Services that depend on nothing pending
// start together. A worker succeeds once its service meets the strongest
// condition any dependant asks of it (ready, healthy, completed).
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <optional>
#include <poll.h>
#include <set>
#include <sys/inotify.h>
#include <unistd.h>

#include "cli.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/supervised.hpp"
#include "daemonkit/text_escape.hpp"
#include "daemonkit/unique_fd.hpp"
#include "services_file.hpp"
#include "up_step.hpp"

namespace dk {

namespace {

using daemonkit::service_view;

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

// Starts a worker for u with spawn (given the write end of its output
// pipe); its output goes to u.output.
template <class Spawn>
bool launch(up_step& u, Spawn spawn) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    complain(u.name, std::string("cannot make a pipe: ") + std::strerror(errno));
    return false;
  }
  daemonkit::unique_fd rd(p[0]), wr(p[1]);
  std::fflush(nullptr);
  daemonkit::result<daemonkit::process> proc = spawn(wr.get());
  if (!proc) {
    complain(u.name, "cannot start its worker: " + proc.err().message());
    return false;
  }
  wr.reset();
  (void)::fcntl(rd.get(), F_SETFL, O_NONBLOCK);
  u.worker = std::move(*proc);
  u.output = std::move(rd);
  u.state = up_step::progress::working;
  return true;
}

// Waits until one of fds has an event (EINTR: returns with none); false,
// said, when poll fails otherwise.
bool wait_any(std::vector<pollfd>& fds) {
  if (::poll(fds.data(), fds.size(), -1) >= 0 || errno == EINTR) return true;
  complain("", std::string("poll: ") + std::strerror(errno));
  return false;
}

// What to wait for: each working worker's pidfd and output pipe, in that
// order (owners[i]: whose fds[i] it is).
void watch_workers(std::vector<up_step>& units, std::vector<pollfd>& fds, std::vector<up_step*>& owners) {
  for (auto& u : units) {
    if (u.state != up_step::progress::working) continue;
    fds.push_back({u.worker.pidfd(), POLLIN, 0});
    owners.push_back(&u);
    fds.push_back({u.output.get(), POLLIN, 0});
    owners.push_back(&u);
  }
}

void drain(up_step& u) {
  std::array<char, 4096> buf{};
  for (;;) {
    ssize_t n = ::read(u.output.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    u.text.append(buf.data(), static_cast<std::size_t>(n));
  }
}

// A worker has exited: prints what it said (stdout when it succeeded,
// stderr when not) and, when it said nothing about a failure (killed, out
// of memory), how it ended. Returns whether it succeeded.
bool finish_worker(up_step& u) {
  auto status = u.worker.reap();
  drain(u);
  u.output.reset();
  bool ok = status && status->success();
  std::fflush(stdout);
  (void)std::fwrite(u.text.data(), 1, u.text.size(), ok ? stdout : stderr);
  if (!ok && (!status || status->signaled || u.text.empty())) {
    complain(u.name, "its worker " + (status ? status->describe() : "cannot be waited for: " + status.err().message()));
  }
  std::fflush(nullptr);
  u.state = ok ? up_step::progress::done : up_step::progress::failed;
  return ok;
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

  std::vector<up_step> units;
  for (const auto& s : f->services) {
    if (wanted.count(s.name) == 0) continue;
    for (const auto& n : s.service_names()) units.push_back(plan_step(*f, s, n, *dir));
  }
  std::vector<std::string> orphaned = orphans(*f, *dir);

  if (opts.dry_run) {
    for (const auto& u : units) {
      switch (u.what) {
        case up_step::action::start: std::printf("start %s\n", u.name.c_str()); break;
        case up_step::action::restart:
          std::printf("restart %s (changed: %s)\n", u.name.c_str(), u.changed_text().c_str());
          break;
        case up_step::action::keep:  // left alone: not an action
          break;
        case up_step::action::refuse:
          std::printf("refuse %s (%s)\n", u.name.c_str(), daemonkit::escape_for_terminal(u.note).c_str());
          break;
      }
    }
    for (const auto& n : orphaned) {
      if (opts.remove_orphans) std::printf("stop %s (not in the file)\n", n.c_str());
    }
    return exit_ok;
  }

  auto file_fd = services_file_memfd(*f);
  if (!file_fd) {
    complain("", file_fd.err().message());
    return exit_failure;
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

  // Whether every instance of service meets condition: its worker is done
  // (the service is ready, healthy or completed, as asked), or, for
  // `started`, its new instance has been spawned: its monitor published a
  // main pid (not the monitor up found at plan time), even if its worker
  // still waits for readiness.
  auto is_started = [&](const up_step& u) {
    if (u.state != up_step::progress::working || u.what == up_step::action::keep) return false;
    auto v = daemonkit::inspect_service(*dir, u.name);
    return v.what == service_view::kind::supervised && v.monitor_verified && v.pid > 0 &&
           v.monitor_pid != u.planned_monitor;
  };
  auto group_state = [&](const std::string& service, dependency_condition condition) {
    bool all_done = true;
    for (const auto& u : units) {
      if (u.service->name != service) continue;
      if (u.state == up_step::progress::failed) return up_step::progress::failed;
      if (u.state == up_step::progress::done) continue;
      if (condition == dependency_condition::started && is_started(u)) continue;
      all_done = false;
    }
    return all_done ? up_step::progress::done : up_step::progress::waiting;
  };
  // A dependant waiting for a dependency to be `started` is woken by the
  // state directory: the monitor publishes NAME.state (by rename).
  daemonkit::unique_fd state_events;
  for (const auto& u : units) {
    for (const auto& d : u.service->depends_on) {
      if (d.condition != dependency_condition::started || state_events) continue;
      state_events.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
      if (state_events && ::inotify_add_watch(state_events.get(), dir->c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
        state_events.reset();  // then `started` is seen when the worker is done
      }
    }
  }
  for (;;) {
    // Start whatever can start; fail whatever cannot.
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto& u : units) {
        if (u.state != up_step::progress::waiting) continue;
        if (u.what == up_step::action::refuse) {
          complain(u.name, u.note);
          u.state = up_step::progress::failed;
          rc = exit_failure;
          changed = true;
          continue;
        }
        std::string failed_dep;
        bool ready = true;
        for (const auto& d : u.service->depends_on) {
          auto g = group_state(d.service, d.condition);
          if (g == up_step::progress::failed) failed_dep = d.service;
          if (g != up_step::progress::done) ready = false;
        }
        if (!failed_dep.empty()) {
          std::fflush(stdout);
          std::printf("%s: not started: %s failed\n", u.name.c_str(), failed_dep.c_str());
          u.state = up_step::progress::failed;
          rc = exit_failure;
          changed = true;
        } else if (ready) {
          bool healthy = wait_healthy[u.service->name];
          if (!launch(u, [&](int out) { return spawn_worker(o, *f, file_fd->get(), *dir, u, healthy, out); })) {
            u.state = up_step::progress::failed;
            rc = exit_failure;
            changed = true;
          }
        }
      }
    }
    // Wait for a worker to finish.
    std::vector<pollfd> fds;
    std::vector<up_step*> owners;
    watch_workers(units, fds, owners);
    if (fds.empty()) break;
    bool waiting =
        std::any_of(units.begin(), units.end(), [](const up_step& u) { return u.state == up_step::progress::waiting; });
    if (state_events && waiting) {
      fds.push_back({state_events.get(), POLLIN, 0});
      owners.push_back(nullptr);
    }
    if (!wait_any(fds)) return exit_failure;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      if (owners[i] == nullptr) {  // the state directory changed: look again
        std::array<char, 4096> events{};
        while (::read(state_events.get(), events.data(), events.size()) > 0) {}
        continue;
      }
      up_step& u = *owners[i];
      drain(u);
      // Its words, as it said them (each line escaped when it was made).
      if (i % 2 == 0 && u.state == up_step::progress::working && !finish_worker(u)) rc = exit_failure;
    }
  }
  return rc;
}

// `down`: a worker per service name (`daemonkit __down-step`), each started
// once every dependant's worker has finished, so that independent services
// stop together and a dependency only after what depends on it.
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
  std::vector<up_step> units;
  for (const auto& s : f->services) {
    if (wanted.count(s.name) == 0) continue;
    for (const auto& n : s.service_names()) {
      up_step u;
      u.name = n;
      u.service = &s;
      units.push_back(std::move(u));
    }
  }
  auto dependants_finished = [&](const std::string& service) {
    for (const auto& u : units) {
      bool depends = std::any_of(u.service->depends_on.begin(), u.service->depends_on.end(),
                                 [&](const dependency& d) { return d.service == service; });
      if (depends && (u.state == up_step::progress::waiting || u.state == up_step::progress::working)) return false;
    }
    return true;
  };
  int rc = exit_ok;
  for (;;) {
    for (auto& u : units) {
      if (u.state != up_step::progress::waiting || !dependants_finished(u.service->name)) continue;
      if (!launch(u, [&](int out) { return spawn_self({"__down-step", u.name, *dir, f->path}, out, -1); })) {
        u.state = up_step::progress::failed;
        rc = exit_failure;
      }
    }
    std::vector<pollfd> fds;
    std::vector<up_step*> owners;
    watch_workers(units, fds, owners);
    if (fds.empty()) break;
    if (!wait_any(fds)) return exit_failure;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      up_step& u = *owners[i];
      drain(u);
      if (i % 2 == 0 && u.state == up_step::progress::working && !finish_worker(u)) rc = exit_failure;
    }
  }
  return rc;
}

int down_step_main(int argc, char** argv) {
  if (argc != 3) {
    complain("", "__down-step: internal command of `daemonkit down`, not for use by hand");
    return exit_usage;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // in order with its complaints (up_step_main)
  const std::string n = argv[0], dir = argv[1], path = argv[2];
  auto v = daemonkit::inspect_service(dir, n);
  if (v.what == service_view::kind::error) {
    complain(n, v.error);
    return exit_failure;
  }
  if (!v.running()) {
    std::printf("%s: not running\n", n.c_str());
    return exit_ok;
  }
  if (!v.config || v.config->source_file != path) {
    complain(n, "running, but not started from " + path + "; left alone");
    return exit_failure;
  }
  auto r = daemonkit::stop_service(v);
  if (!r) {
    complain(n, r.err().message());
    return exit_failure;
  }
  if (r->remaining > 0) {
    complain(n, daemonkit::describe_remaining(r->remaining, r->remaining_pids) + "; still stopping");
    return exit_failure;
  }
  if (r->pid > 0) std::printf("%s: stopped (pid %d)\n", n.c_str(), static_cast<int>(r->pid));
  else std::printf("%s: stopped\n", n.c_str());
  std::fflush(nullptr);
  return exit_ok;
}

}  // namespace dk