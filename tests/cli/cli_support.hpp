// Support for the end-to-end tests of the daemonkit binary: a fixture that
// gives every test its own state and log directories, runs the tool the way a
// user would (a real process, its exit code, stdout and stderr), and stops
// everything the test started even when an assertion failed.
//
// Built on test_support.hpp only; the tests judge the tool by what it prints,
// the files it writes and what /proc shows, never with the library's helpers.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace dk_cli {

using namespace dk_test;

inline const char* const tool_path = DK_TOOL;

// ---------------------------------------------------------------------------
// Processes

struct proc_entry {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
};

inline std::vector<proc_entry> all_processes() {
  std::vector<proc_entry> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    pid_t pid = std::atoi(e->d_name);
    if (auto st = read_stat(pid)) out.push_back({pid, st->ppid, st->state});
  }
  ::closedir(d);
  return out;
}

// Every descendant of root (children, their children, ...), zombies included
// when asked. The test process is a child subreaper, so whatever a test starts
// stays below it even after its parents exit.
inline std::vector<pid_t> descendants_of(pid_t root, bool with_zombies = false) {
  auto procs = all_processes();
  std::vector<pid_t> out;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    for (const auto& p : procs) {
      if (p.ppid != parent) continue;
      frontier.push_back(p.pid);
      if (with_zombies || (p.state != 'Z' && p.state != 'X')) out.push_back(p.pid);
    }
  }
  return out;
}

inline bool is_alive(pid_t pid) {
  auto st = read_stat(pid);
  return st && st->state != 'Z' && st->state != 'X';
}

inline std::string comm_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/comm");
  if (!text) return {};
  if (!text->empty() && text->back() == '\n') text->pop_back();
  return *text;
}

inline std::string cmdline_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (!text) return {};
  std::replace(text->begin(), text->end(), '\0', ' ');
  return *text;
}

inline std::string describe_processes(const std::vector<pid_t>& pids) {
  std::string s;
  for (pid_t p : pids) {
    auto st = read_stat(p);
    s += "  pid " + std::to_string(p) + " (" + comm_of(p) + ", state " + (st ? std::string(1, st->state) : "?") +
         ", ppid " + (st ? std::to_string(st->ppid) : "?") + "): " + cmdline_of(p) + "\n";
  }
  return s;
}

// Waits until every live process in pids has exited (pidfd events, bounded);
// returns the ones still alive at the deadline.
inline std::vector<pid_t> wait_all_exit(const std::vector<pid_t>& pids, milliseconds timeout) {
  std::vector<fd_guard> fds;
  events ev;
  for (pid_t p : pids) {
    fd_guard fd(open_pidfd(p));
    if (!fd.valid()) continue;  // already gone
    ev = std::move(ev).exit_of(fd.get());
    fds.push_back(std::move(fd));
  }
  wait_until([&] { return std::all_of(fds.begin(), fds.end(), [](const fd_guard& f) { return has_exited(f.get()); }); },
             timeout, std::move(ev));
  std::vector<pid_t> left;
  for (pid_t p : pids) {
    if (is_alive(p)) left.push_back(p);
  }
  return left;
}

// Waits until no live descendant of the test process remains (new ones
// started meanwhile are waited for too); returns what is left at the deadline.
inline std::vector<pid_t> wait_no_descendants(milliseconds timeout) {
  const auto until = steady::now() + timeout;
  for (;;) {
    auto live = descendants_of(::getpid());
    if (live.empty()) return live;
    auto left = std::chrono::ceil<milliseconds>(until - steady::now());
    if (left <= 0ms) return live;
    wait_all_exit(live, left);
  }
}

// Kills every descendant of the test process and reaps what becomes our
// child, until nothing at all (not even a zombie) is left below us.
inline void kill_and_reap_descendants() {
  for (int round = 0; round < 50; ++round) {
    auto all = descendants_of(::getpid(), true);
    if (all.empty()) return;
    for (pid_t p : all) {
      fd_guard fd(open_pidfd(p));
      if (fd.valid()) send_signal_pidfd(fd.get(), SIGKILL);
    }
    for (pid_t p : children_of(::getpid())) {
      fd_guard fd(open_pidfd(p));
      if (fd.valid() && wait_exit(fd.get(), 5s)) (void)reap(fd.get());
    }
  }
}

// ---------------------------------------------------------------------------
// Files

// key=value lines (NAME.state) as a map.
inline std::map<std::string, std::string> read_key_values(const std::string& path) {
  std::map<std::string, std::string> out;
  auto text = read_file(path);
  if (!text) return out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Lines of path equal to line.
inline size_t count_exact_lines(const std::string& path, std::string_view line) {
  auto text = read_file(path);
  if (!text) return 0;
  auto lines = split_lines(*text);
  return static_cast<size_t>(std::count(lines.begin(), lines.end(), line));
}

inline bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The "N" of the first "(pid N" in text, or 0.
inline pid_t pid_in_text(const std::string& text) {
  std::smatch m;
  static const std::regex re(R"(\(pid (\d+))");
  if (!std::regex_search(text, m, re)) return 0;
  return static_cast<pid_t>(std::stol(m[1]));
}

// ---------------------------------------------------------------------------
// The fixture

class cli_fixture : public process_fixture {
 protected:
  void SetUp() override {
    process_fixture::SetUp();
    // The log directory exists up front so that waits can watch it before the
    // first line is written (the tool creates it when missing; tested apart).
    ASSERT_EQ(::mkdir(log_dir.c_str(), 0755), 0);
  }

  void TearDown() override {
    // Stop every service this test left, the way a user would.
    for (const auto& name : service_names()) {
      auto r = dk({"stop", name});
      EXPECT_EQ(r.exit_code(), 0) << "teardown: stop " << name << ": " << describe(r);
    }
    for (auto& f : teardown_) f();
    // A monitor's log keeper drains the pipes and exits just after the
    // monitor, so what is left is waited for (events, bounded), not sampled.
    auto left = wait_no_descendants(10s);
    EXPECT_TRUE(left.empty()) << "processes of the test left behind after stopping every service:\n"
                              << describe_processes(left);
    kill_and_reap_descendants();
    process_fixture::TearDown();
  }

  // The tool's environment: this test's state and log directories.
  command_options env(command_options o = {}) const {
    o.set_env.push_back("DAEMONKIT_STATE_DIR=" + state_dir);
    o.set_env.push_back("DAEMONKIT_LOG_DIR=" + log_dir);
    return o;
  }

  std::vector<std::string> tool(std::vector<std::string> args) const {
    args.insert(args.begin(), tool_path);
    return args;
  }

  // Runs `daemonkit ARGS...` to the end.
  command_result dk(const std::vector<std::string>& args, const command_options& o = {},
                    milliseconds timeout = 30s) const {
    return run_command(tool(args), env(o), timeout);
  }

  // Starts `daemonkit ARGS...` without waiting for it.
  running_command dk_spawn(const std::vector<std::string>& args, const command_options& o = {}) const {
    return spawn_command(tool(args), env(o));
  }

  // `daemonkit start [OPTIONS] --name NAME -- COMMAND...`, which must succeed;
  // returns the service's pid, checked against what start printed and the pidfile.
  pid_t start(const std::string& name, const std::vector<std::string>& command,
              const std::vector<std::string>& options = {}, const command_options& o = {}) {
    std::vector<std::string> args{"start", "--name", name};
    args.insert(args.end(), options.begin(), options.end());
    args.emplace_back("--");
    args.insert(args.end(), command.begin(), command.end());
    auto r = dk(args, o);
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    EXPECT_EQ(r.err, "") << describe(r);
    pid_t pid = pid_in_text(r.out);
    EXPECT_EQ(r.out, name + ": started (pid " + std::to_string(pid) + ")\n");
    // While it runs, the pidfile names it (a service that exits at once may
    // be gone, or replaced by a respawned instance, by now).
    pid_t in_file = pidfile_pid(name);
    if (is_alive(pid)) {  // read after the pidfile: alive now means alive then
      EXPECT_EQ(in_file, pid) << "the pidfile must name the service's main process";
    }
    return pid;
  }

  // Starts the helper child in MODE (with ARGS) as service NAME.
  pid_t start_child(const std::string& name, std::vector<std::string> mode_and_args,
                    const std::vector<std::string>& options = {}, const command_options& o = {}) {
    mode_and_args.insert(mode_and_args.begin(), test_child_path);
    return start(name, mode_and_args, options, o);
  }

  // start_child for a helper mode that prints "ready" (pause, watch-signals,
  // ignore-term), waiting for that line: start returns once execve
  // succeeded, but only from the helper's main() on is the process fully
  // set up (its environ, comm and fds no longer the loader's).
  pid_t start_ready(const std::string& name, std::vector<std::string> mode_and_args,
                    const std::vector<std::string>& options = {}, const command_options& o = {}) {
    pid_t pid = start_child(name, std::move(mode_and_args), options, o);
    EXPECT_TRUE(wait_lines(logfile(name), "ready")) << name << " never said ready";
    return pid;
  }

  // True for the monitor's log keeper: a fork of the monitor (same command
  // line; its name changes to daemonkit-keep only once it runs).
  bool is_keeper(pid_t monitor, pid_t p) const {
    auto st = read_stat(p);
    return st && st->ppid == monitor && cmdline_of(p) == cmdline_of(monitor);
  }

  std::string pidfile(const std::string& name) const { return state_dir + "/" + name + ".pid"; }
  std::string statefile(const std::string& name) const { return state_dir + "/" + name + ".state"; }
  std::string configfile(const std::string& name) const { return state_dir + "/" + name + ".json"; }
  std::string logfile(const std::string& name) const { return log_dir + "/" + name + ".log"; }

  pid_t pidfile_pid(const std::string& name) const {
    auto text = read_file(pidfile(name));
    if (!text || text->empty() || text->back() != '\n') return 0;
    try {
      return static_cast<pid_t>(std::stol(*text));
    } catch (const std::exception&) {
      return 0;
    }
  }

  std::map<std::string, std::string> state(const std::string& name) const { return read_key_values(statefile(name)); }

  // The monitor: the holder of the pidfile's lock.
  pid_t monitor_of(const std::string& name) const { return lock_holder(pidfile(name)); }

  // Waits until pred holds, re-checking on every change in the state
  // directory (pidfile rewrites, state files renamed into place).
  bool wait_state_dir(const std::function<bool()>& pred, milliseconds timeout = 10s) const {
    return wait_until(pred, timeout, events().changes_in(state_dir));
  }

  bool wait_state(const std::string& name, const std::string& key, const std::string& value,
                  milliseconds timeout = 10s) const {
    return wait_state_dir([&] { return state(name)[key] == value; }, timeout);
  }

  // Waits until `count` lines of file starting with prefix are there (inotify).
  bool wait_lines(const std::string& file, std::string_view prefix, size_t count = 1,
                  milliseconds timeout = 10s) const {
    return wait_until([&] { return count_lines(file, prefix) >= count; }, timeout, events().changes_in(file));
  }

  // Waits for the monitor of name (a process of ours) to exit.
  bool wait_monitor_exit(pid_t monitor, milliseconds timeout = 10s) const {
    fd_guard fd(open_pidfd(monitor));
    return !fd.valid() || wait_exit(fd.get(), timeout);
  }

  // Names of every service in the state directory.
  std::vector<std::string> service_names() const {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(state_dir, ec)) {
      std::string f = e.path().filename();
      for (std::string ext : {".pid", ".state", ".json"}) {
        if (f.size() > ext.size() && f.compare(f.size() - ext.size(), ext.size(), ext) == 0) {
          names.insert(f.substr(0, f.size() - ext.size()));
        }
      }
    }
    return {names.begin(), names.end()};
  }

  // Extra clean-up for services outside state_dir (e.g. another user's).
  void on_teardown(std::function<void()> f) { teardown_.push_back(std::move(f)); }

  std::string state_dir = tmp.file("state");
  std::string log_dir = tmp.file("log");

 private:
  std::vector<std::function<void()>> teardown_;
};

}  // namespace dk_cli
