// SPDX-License-Identifier: MIT
// Support for the fault and stress tests of the daemonkit binary: a fixture
// with its own state and log directories that runs the tool as a user would,
// finds every process a test caused (the test process is a child subreaper,
// so daemons stay below it), and proves at the end that nothing is left.
//
// Built on test_support.hpp and tool_processes.hpp (shared with the CLI
// tests): the tests judge the tool by exit codes, messages, files and /proc,
// never with the library's helpers.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <pwd.h>
#include <random>
#include <set>
#include <string>
#include <sys/inotify.h>
#include <vector>

#include "test_support.hpp"
#include "tool_processes.hpp"

namespace dk_fault {

using namespace dk_test;

// Names in dir (without . and ..), sorted.
inline std::vector<std::string> dir_entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

inline long to_long(const std::string& s, long fallback = -1) {
  if (s.empty()) return fallback;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(s.c_str(), &end, 10);
  return errno == 0 && end != nullptr && *end == '\0' ? v : fallback;
}

// VmRSS of pid in KiB, -1 when unreadable.
inline long rss_kib(pid_t pid) {
  auto v = status_field(pid, "VmRSS");
  return v ? to_long(v->substr(0, v->find(' '))) : -1;
}

// One inotify watch on a directory, read event by event, so a test can act
// at exactly the k-th change (e.g. kill a monitor there).
class dir_watch {
 public:
  explicit dir_watch(const std::string& dir) : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {
    constexpr std::uint32_t mask =
        IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB;
    if (!fd_.valid() || ::inotify_add_watch(fd_.get(), dir.c_str(), mask) < 0) {
      throw std::runtime_error("inotify on " + dir + ": " + std::strerror(errno));
    }
  }
  int fd() const { return fd_.get(); }

  struct change {
    std::string name;    // the entry changed
    std::uint32_t mask;  // IN_CREATE, IN_MOVED_TO, ...
  };

  // The name of the next changed entry; nullopt at the deadline, or as soon
  // as no change is pending and until_readable (say, a pidfd) is readable.
  std::optional<std::string> next(milliseconds timeout, int until_readable = -1) {
    auto c = next_change(timeout, until_readable);
    if (!c) return std::nullopt;
    return c->name;
  }

  // The same with what happened to the entry.
  std::optional<change> next_change(milliseconds timeout, int until_readable = -1) {
    const auto until = steady::now() + timeout;
    for (;;) {
      if (!pending_.empty()) {
        auto c = pending_.front();
        pending_.erase(pending_.begin());
        return c;
      }
      auto left = std::chrono::ceil<milliseconds>(until - steady::now());
      if (left <= 0ms) return std::nullopt;
      struct pollfd p[2] = {{fd_.get(), POLLIN, 0}, {until_readable, POLLIN, 0}};
      int r = ::poll(p, 2, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return std::nullopt;
      if (p[0].revents == 0) return std::nullopt;  // only until_readable fired
      alignas(struct inotify_event) char buf[8192];
      ssize_t n = ::read(fd_.get(), buf, sizeof buf);
      for (ssize_t at = 0; n > 0 && at < n;) {
        auto* e = reinterpret_cast<struct inotify_event*>(buf + at);
        pending_.push_back({e->len > 0 ? e->name : "", e->mask});
        at += static_cast<ssize_t>(sizeof(struct inotify_event) + e->len);
      }
    }
  }

 private:
  fd_guard fd_;
  std::vector<change> pending_;
};

// Tests of product bugs not fixed yet are skipped (GTEST_SKIP with "known
// bug: ...") unless DK_RUN_KNOWN_BUGS is set, so they reproduce on demand:
//   DK_RUN_KNOWN_BUGS=1 ctest -L fault
inline bool skip_known_bugs() { return std::getenv("DK_RUN_KNOWN_BUGS") == nullptr; }

// ---------------------------------------------------------------------------
// Real second users, for tests of what root trusts (needs root).

// A system user made for one test and removed after it.
class test_user {
 public:
  explicit test_user(const std::string& tag) {
    name_ = "dk" + tag + std::to_string(::getpid() % 100000);
    auto r = run_command({"/usr/sbin/useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                          "/usr/sbin/nologin", "--user-group", name_});
    if (r.exit_code() != 0) throw std::runtime_error("useradd " + name_ + ": " + r.err);
    struct passwd* pw = ::getpwnam(name_.c_str());
    if (pw == nullptr) throw std::runtime_error("no passwd entry for " + name_);
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
  test_user(const test_user&) = delete;
  test_user& operator=(const test_user&) = delete;
  ~test_user() {
    run_command({"/usr/bin/pkill", "-KILL", "-u", name_});
    // -f: the user's processes may still be exiting after the KILL.
    run_command({"/usr/sbin/userdel", "-f", name_});
  }
  const std::string& name() const { return name_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }

  // A directory owned by this user, mode `mode`.
  void own(const std::string& path, mode_t mode = 0755) const {
    ::mkdir(path.c_str(), mode);
    if (::chown(path.c_str(), uid_, gid_) != 0 || ::chmod(path.c_str(), mode) != 0) {
      throw std::runtime_error("cannot give " + path + " to " + name_);
    }
  }
  // A symlink at `link` pointing to `target`, owned by this user.
  void plant_symlink(const std::string& target, const std::string& link) const {
    if (::symlink(target.c_str(), link.c_str()) != 0 || ::lchown(link.c_str(), uid_, gid_) != 0) {
      throw std::runtime_error("cannot plant " + link);
    }
  }

 private:
  std::string name_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

// ---------------------------------------------------------------------------
// The fixture

class fault_fixture : public process_fixture {
 protected:
  void SetUp() override {
    process_fixture::SetUp();
    ASSERT_EQ(::mkdir(log_dir.c_str(), 0755), 0);
  }

  void TearDown() override {
    // Stop what the test left, the way a user would: this is also the check
    // that whatever the test did, the service is still stoppable.
    if (stop_in_teardown) {
      for (const auto& name : service_names()) {
        auto r = dk({"stop", "--timeout", "2s", name});
        EXPECT_EQ(r.exit_code(), 0) << "teardown: stop " << name << ": " << describe(r);
      }
    }
    auto left = wait_no_descendants(10s);
    EXPECT_TRUE(left.empty()) << "processes of the test left behind after stopping every service:\n"
                              << describe_processes(left);
    kill_and_reap_descendants();
    process_fixture::TearDown();
  }

  command_options env(command_options o = {}) const {
    o.set_env.push_back("DAEMONKIT_STATE_DIR=" + state_dir);
    o.set_env.push_back("DAEMONKIT_LOG_DIR=" + log_dir);
    return o;
  }

  std::vector<std::string> tool(std::vector<std::string> args) const {
    args.insert(args.begin(), tool_path);
    return args;
  }

  command_result dk(const std::vector<std::string>& args, const command_options& o = {},
                    milliseconds timeout = 30s) const {
    return run_command(tool(args), env(o), timeout);
  }

  running_command dk_spawn(const std::vector<std::string>& args, const command_options& o = {}) const {
    return spawn_command(tool(args), env(o));
  }

  // `daemonkit start --name NAME [OPTIONS] -- COMMAND...`, which must
  // succeed; returns the service's pid as start printed it.
  pid_t start(const std::string& name, const std::vector<std::string>& command,
              const std::vector<std::string>& options = {}) {
    std::vector<std::string> args{"start", "--name", name};
    args.insert(args.end(), options.begin(), options.end());
    args.emplace_back("--");
    args.insert(args.end(), command.begin(), command.end());
    auto r = dk(args);
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    return service_pid_in(r.out);
  }

  // The N of "(pid N" in text, or 0.
  static pid_t service_pid_in(const std::string& text) {
    auto at = text.find("(pid ");
    return at == std::string::npos ? 0 : static_cast<pid_t>(std::atol(text.c_str() + at + 5));
  }

  std::string pidfile(const std::string& name) const { return state_dir + "/" + name + ".pid"; }
  std::string statefile(const std::string& name) const { return state_dir + "/" + name + ".state"; }
  std::string configfile(const std::string& name) const { return state_dir + "/" + name + ".json"; }
  std::string logfile(const std::string& name) const { return log_dir + "/" + name + ".log"; }

  std::map<std::string, std::string> state(const std::string& name) const { return read_key_values(statefile(name)); }
  long restarts(const std::string& name) const { return to_long(state(name)["restarts"]); }
  pid_t monitor_of(const std::string& name) const { return lock_holder(pidfile(name)); }

  bool wait_state_dir(const std::function<bool()>& pred, milliseconds timeout = 10s) const {
    return wait_until(pred, timeout, events().changes_in(state_dir));
  }

  // Names of every service in the state directory (none if it is not a
  // plain directory any more).
  std::vector<std::string> service_names() const {
    std::set<std::string> names;
    for (const auto& f : dir_entries(state_dir)) {
      for (std::string ext : {".pid", ".state", ".json"}) {
        if (f.size() > ext.size() && f.compare(f.size() - ext.size(), ext.size(), ext) == 0 && f[0] != '.') {
          names.insert(f.substr(0, f.size() - ext.size()));
        }
      }
    }
    return {names.begin(), names.end()};
  }

  bool stop_in_teardown = true;
  std::string state_dir = tmp.file("state");
  std::string log_dir = tmp.file("log");
};

}  // namespace dk_fault
