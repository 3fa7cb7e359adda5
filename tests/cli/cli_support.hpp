// SPDX-License-Identifier: MIT
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
#include "tool_processes.hpp"

namespace dk_cli {

using namespace dk_test;

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

  // True for the monitor's log keeper: the monitor's child running
  // daemonkit-keep (tools/keeper/), or, where that program is not built, a
  // fork of the monitor (same command line; its name changes to
  // daemonkit-keep only once it runs).
  bool is_keeper(pid_t monitor, pid_t p) const {
    auto st = read_stat(p);
    return st && st->ppid == monitor && (comm_of(p) == "daemonkit-keep" || cmdline_of(p) == cmdline_of(monitor));
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
