// SPDX-License-Identifier: MIT
// The monitor as a program of its own, the caller's side: what crosses the
// exec (monitor_program.cpp takes it up). A forked monitor keeps the caller's
// heap, its parsed options and every library the CLI links (about 1 MB of
// pages per service); after exec only what the monitor itself touches stays
// resident.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "daemonkit/credentials.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/service_codec.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

// The fds that cross the exec, made inheritable only for the exec itself.
class inherited_fds {
 public:
  bool keep(int fd) {
    if (fd < 0) return true;
    if (sys::set_cloexec(fd, false) != 0) return false;
    fds_.push_back(fd);
    return true;
  }
  // After a failed exec they are ours again, and must not leak into the
  // service a fallback monitor spawns.
  ~inherited_fds() {
    for (int fd : fds_) (void)sys::set_cloexec(fd, true);
  }
  inherited_fds() = default;
  inherited_fds(const inherited_fds&) = delete;
  inherited_fds& operator=(const inherited_fds&) = delete;

 private:
  std::vector<int> fds_;
};

// What the monitor reads of its environment, and no more: the rest would
// only sit in its stack for the service's whole life (a large environment
// costs every service pages). The service, the keeper and the checks each get
// an environment of their own (the service's, from its options).
//  - TZ, TZDIR: the logs' timestamps (log_file reads TZ when a log is opened),
//    and the keeper's, which the monitor hands on;
//  - NOTIFY_SOCKET: `run` under a supervisor tells it when the service is
//    ready; XDG_RUNTIME_DIR: where a non-root service's runtime directory is;
//  - a sanitizer build's options (and where its symbolizer is);
//  - GLIBC_TUNABLES, with glibc's per-thread cache of freed heap chunks
//    turned off: chunks parked there count as in use, so malloc_trim could
//    not give back the pages that set-up's transient allocations leave
//    scattered between live ones. The monitor allocates little after
//    set-up, so the cache buys it nothing.
std::vector<std::string> monitor_environment() {
  constexpr std::string_view tunables = "GLIBC_TUNABLES=";
  constexpr std::string_view no_tcache = "glibc.malloc.tcache_count=0";
  constexpr std::string_view kept[] = {
      "TZ",           "TZDIR",        "NOTIFY_SOCKET",       "XDG_RUNTIME_DIR", "ASAN_OPTIONS", "UBSAN_OPTIONS",
      "LSAN_OPTIONS", "TSAN_OPTIONS", "ASAN_SYMBOLIZER_PATH"};
  std::vector<std::string> env;
  std::string set = std::string(tunables) + std::string(no_tcache);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv = *e;
    if (kv.substr(0, tunables.size()) == tunables) {
      // Keep what the caller tuned; ours comes last, so it wins.
      if (kv.size() > tunables.size()) set = std::string(kv) + ":" + std::string(no_tcache);
      continue;
    }
    const std::string_view name = kv.substr(0, kv.find('='));
    if (std::find(std::begin(kept), std::end(kept), name) != std::end(kept)) env.emplace_back(kv);
  }
  env.push_back(std::move(set));
  return env;
}

// The looked-up user crosses the exec as arguments: --uid, --gid, --groups,
// --user-name (for messages). What the service's environment says of it
// (HOME, SHELL) is in its options already.
void add_identity(std::vector<std::string>& args, const credentials& c) {
  std::string groups;
  for (gid_t g : c.groups) groups += (groups.empty() ? "" : ",") + std::to_string(g);
  args.insert(args.end(), {"--uid", std::to_string(c.uid), "--gid", std::to_string(c.gid), "--groups", groups,
                           "--user-name", c.name});
}

}  // namespace

result<void> exec_monitor(const std::string& program, const monitor_options& o, pidfile& lock, daemonized* launcher) {
  if (o.on_locked) return make_error(errc::invalid_argument, "cannot exec a monitor with an on_locked hook");
  const bool no_state = o.state_path.empty();
  if (!no_state && !lock.owned())
    return make_error(errc::invalid_argument, "cannot exec a monitor without its pidfile");
  // The monitor program makes no lookups (monitor_options::identity).
  std::optional<credentials> identity = o.identity;
  if (o.service.user && !identity) {
    auto creds = resolve_credentials(o.service.user->user, o.service.user->group);
    if (!creds) return std::move(creds).err();
    identity = std::move(*creds);
  }
  unique_fd options(sys::memfd_create("daemonkit-options"));
  if (!options) return system_error("cannot hand over the service's options");
  const std::string text = service_config_to_json(o.service);
  if (sys::write_all(options.get(), text.data(), text.size()) < 0) {
    return system_error("cannot hand over the service's options");
  }

  unique_fd ready = launcher != nullptr ? launcher->release_ready_pipe() : unique_fd();
  std::vector<std::string> args = {program, "--name", o.service.name, "--options-fd", std::to_string(options.get())};
  if (no_state) args.emplace_back("--no-state");
  else
    args.insert(args.end(),
                {"--state", o.state_path, "--pidfile", lock.path(), "--pidfile-fd", std::to_string(lock.fd())});
  if (ready) args.insert(args.end(), {"--ready-fd", std::to_string(ready.get())});
  if (!o.config_path.empty()) args.insert(args.end(), {"--store", o.config_path});
  if (o.foreground) args.emplace_back("--foreground");
  if (o.service.passthrough) args.emplace_back("--passthrough");
  if (o.signal_group) args.emplace_back("--signal-group");
  if (identity) add_identity(args, *identity);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = monitor_environment();
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int err = 0;
  {
    inherited_fds crossing;
    if (crossing.keep(no_state ? -1 : lock.fd()) && crossing.keep(options.get()) && crossing.keep(ready.get())) {
      std::fflush(nullptr);
      (void)sys::exec(program.c_str(), argv.data(), envp.data());
    }
    err = errno;
  }
  if (launcher != nullptr && ready) *launcher = daemonized::resume(std::move(ready));
  return system_error("cannot run " + program, err);
}

}  // namespace daemonkit
