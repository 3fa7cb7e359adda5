// SPDX-License-Identifier: MIT
#include "supervisor/keeper_program.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string_view>
#include <sys/prctl.h>
#include <unistd.h>

#include "supervisor/service_logs.hpp"
#include "sys/child_steps.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor {

namespace {

std::string program_dir() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return {};
  std::string dir(self, static_cast<size_t>(n));
  return dir.erase(dir.rfind('/') + 1);
}

std::string fd_arg(int fd) { return fd >= 0 ? std::to_string(fd) : "-"; }

template <typename T>
bool parse_number(std::string_view text, T& into) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), into);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool keeper_exec::prepare(int monitor_pidfd, int out_fd, int err_fd, const service_config& cfg,
                          const credentials* service_user) {
  const std::string dir = program_dir();
  if (dir.empty()) return false;
  keep_path_ = dir + "daemonkit-keep";
  const std::string monitor_path = dir + "daemonkit-monitor";
  if (::access(keep_path_.c_str(), X_OK) != 0) return false;
  drain_.reset(sys::open(monitor_path.c_str(), O_PATH | O_CLOEXEC));
  devnull_.reset(sys::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!drain_ || !devnull_) return false;
  fds_[0] = monitor_pidfd;
  fds_[1] = out_fd;
  fds_[2] = err_fd;
  fds_[3] = drain_.get();

  args_ = {"daemonkit-keep",
           fd_arg(monitor_pidfd),
           fd_arg(out_fd),
           fd_arg(err_fd),
           fd_arg(drain_.get()),
           "daemonkit-monitor",
           "--keeper-drain",
           "--log-max-size",
           std::to_string(cfg.log_max_size),
           "--log-keep",
           std::to_string(cfg.log_keep)};
  if (out_fd >= 0) args_.insert(args_.end(), {"--out-fd", fd_arg(out_fd), "--out", stdout_log_path(cfg)});
  if (err_fd >= 0) args_.insert(args_.end(), {"--err-fd", fd_arg(err_fd), "--err", stderr_log_path(cfg)});
  if (cfg.timestamps) args_.emplace_back("--timestamps");
  if (service_user != nullptr) {
    std::string groups;
    for (gid_t g : service_user->groups) groups += (groups.empty() ? "" : ",") + std::to_string(g);
    args_.insert(args_.end(), {"--user", service_user->name, "--uid", std::to_string(service_user->uid), "--gid",
                               std::to_string(service_user->gid), "--groups", groups});
  }
  // What the drain reads of its environment: the logs' time zone (log_file
  // reads TZ when a log is opened, TZDIR where its file is), and a sanitizer
  // build's options. The rest would only sit in the keeper's stack for the
  // service's whole life.
  for (const char* name : {"TZ", "TZDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* v = std::getenv(name)) env_.push_back(std::string(name) + "=" + v);
  }
  for (auto& a : args_) argv_.push_back(a.data());
  argv_.push_back(nullptr);
  for (auto& e : env_) envp_.push_back(e.data());
  envp_.push_back(nullptr);
  return true;
}

void keeper_exec::run() const noexcept {
  // Named first: until the exec `ps` (and a service looking for its keeper)
  // would see a second monitor.
  ::prctl(PR_SET_NAME, "daemonkit-keep");
  if (sys::install_stdio(devnull_.get(), devnull_.get(), devnull_.get()) != 0) return;
  sys::close_fds_except(fds_, 4);
  for (int fd : fds_) {
    if (fd >= 0 && sys::set_cloexec(fd, false) != 0) return;
  }
  sys::reset_signals();
  ::execve(keep_path_.c_str(), argv_.data(), envp_.data());
  // Failed: the fds stay inherited, but the caller's fallback keeper closes
  // everything else and execs nothing.
}

int keeper_drain_main(int argc, char** argv) {
  ::prctl(PR_SET_NAME, "daemonkit-keep");
  service_config cfg;
  int out_fd = -1;
  int err_fd = -1;
  std::string out_path, err_path;
  credentials user;
  bool has_user = false;
  bool ok = true;
  for (int i = 2; i < argc && ok; ++i) {
    const std::string_view a = argv[i];
    if (a == "--timestamps") {
      cfg.timestamps = true;
      continue;
    }
    if (i + 1 >= argc) {
      ok = false;
      break;
    }
    const std::string_view v = argv[++i];
    if (a == "--out-fd") ok = parse_number(v, out_fd) && out_fd >= 0;
    else if (a == "--err-fd") ok = parse_number(v, err_fd) && err_fd >= 0;
    else if (a == "--out") out_path = v;
    else if (a == "--err") err_path = v;
    else if (a == "--log-max-size") ok = parse_number(v, cfg.log_max_size);
    else if (a == "--log-keep") ok = parse_number(v, cfg.log_keep);
    else if (a == "--user") user.name = v, has_user = true;
    else if (a == "--uid") ok = parse_number(v, user.uid);
    else if (a == "--gid") ok = parse_number(v, user.gid);
    else if (a == "--groups") {
      for (size_t at = 0; ok && at < v.size();) {
        size_t comma = std::min(v.find(',', at), v.size());
        gid_t g = 0;
        ok = parse_number(v.substr(at, comma - at), g);
        user.groups.push_back(g);
        at = comma + 1;
      }
    } else {
      ok = false;
    }
  }
  if (!ok || (out_fd < 0 && err_fd < 0) || (out_fd >= 0 && out_path.empty()) || (err_fd >= 0 && err_path.empty())) {
    std::fprintf(stderr, "daemonkit-monitor: --keeper-drain: invalid arguments (this mode is run by daemonkit-keep)\n");
    return 2;
  }
  drain_to_logs(out_fd, out_path, err_fd, err_path, cfg, has_user ? &user : nullptr);
  return 0;
}

}  // namespace daemonkit::supervisor
