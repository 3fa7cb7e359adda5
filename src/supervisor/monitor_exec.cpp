// SPDX-License-Identifier: MIT
// The monitor as a program of its own: what crosses the exec, and how the
// program takes it up. A forked monitor keeps the caller's heap, its parsed
// options and every library the CLI links (about 1 MB of pages per service);
// after exec only what the monitor itself touches stays resident.
#include <array>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <vector>

#include "daemonkit/monitor.hpp"
#include "daemonkit/service_codec.hpp"
#include "supervisor/keeper_program.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

// The service's options as NAME.json holds them are at most this long: the
// codec's own limit on what it reads back.
constexpr off_t max_options_size = 16 * 1024 * 1024;

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

std::optional<int> parse_fd(std::string_view text) {
  int v = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 3) return std::nullopt;
  return v;
}

// What exec_monitor handed over, as the program's arguments name it.
struct handover {
  std::string state_path;
  std::string config_path;
  std::string pidfile_path;
  int options_fd = -1;
  int pidfile_fd = -1;
  int ready_fd = -1;
  bool foreground = false;
  bool passthrough = false;
  bool signal_group = false;
  bool no_state = false;
};

std::optional<handover> parse_handover(int argc, char** argv, std::string& why) {
  handover h;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--foreground") {
      h.foreground = true;
      continue;
    }
    if (a == "--passthrough") {
      h.passthrough = true;
      continue;
    }
    if (a == "--signal-group") {
      h.signal_group = true;
      continue;
    }
    if (a == "--no-state") {
      h.no_state = true;
      continue;
    }
    if (i + 1 >= argc) {
      why = "option " + std::string(a) + " needs a value";
      return std::nullopt;
    }
    const std::string_view v = argv[++i];
    std::optional<int> fd;
    if (a == "--name") continue;  // for ps: the service's name is in its options
    if (a == "--state") h.state_path = v;
    else if (a == "--store") h.config_path = v;
    else if (a == "--pidfile") h.pidfile_path = v;
    else if (a == "--options-fd" && (fd = parse_fd(v))) h.options_fd = *fd;
    else if (a == "--pidfile-fd" && (fd = parse_fd(v))) h.pidfile_fd = *fd;
    else if (a == "--ready-fd" && (fd = parse_fd(v))) h.ready_fd = *fd;
    else {
      why = "invalid option " + std::string(a) + " " + std::string(v);
      return std::nullopt;
    }
  }
  const bool has_state = !h.state_path.empty() || !h.pidfile_path.empty() || h.pidfile_fd >= 0;
  if (h.options_fd < 0 ||
      (h.no_state ? has_state : h.state_path.empty() || h.pidfile_path.empty() || h.pidfile_fd < 0)) {
    why =
        "missing --state, --pidfile and --pidfile-fd (or --no-state) or --options-fd (this program is run by "
        "daemonkit)";
    return std::nullopt;
  }
  return h;
}

result<service_config> read_options(unique_fd fd) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return system_error("cannot read the service's options");
  if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > max_options_size) {
    return make_error(errc::invalid_argument, "cannot read the service's options: not a handed-over file");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  if (sys::pread_full(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return system_error("cannot read the service's options");
  }
  return service_config_from_json(text);
}

}  // namespace

result<void> exec_monitor(const std::string& program, const monitor_options& o, pidfile& lock, daemonized* launcher) {
  if (o.on_locked) return make_error(errc::invalid_argument, "cannot exec a monitor with an on_locked hook");
  const bool no_state = o.state_path.empty();
  if (!no_state && !lock.owned())
    return make_error(errc::invalid_argument, "cannot exec a monitor without its pidfile");
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
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int err = 0;
  {
    inherited_fds crossing;
    if (crossing.keep(no_state ? -1 : lock.fd()) && crossing.keep(options.get()) && crossing.keep(ready.get())) {
      std::fflush(nullptr);
      (void)sys::exec(program.c_str(), argv.data());
    }
    err = errno;
  }
  if (launcher != nullptr && ready) *launcher = daemonized::resume(std::move(ready));
  return system_error("cannot run " + program, err);
}

int monitor_program_main(int argc, char** argv) {
  // The keeper's second life, once the monitor it kept for is gone (keeper_program.hpp).
  if (argc > 1 && std::string_view(argv[1]) == "--keeper-drain") return supervisor::keeper_drain_main(argc, argv);
  // The same name a monitor forked by the CLI has: `ps -C daemonkit` finds both.
  ::prctl(PR_SET_NAME, "daemonkit");
  std::string why;
  auto h = parse_handover(argc, argv, why);
  if (!h) {
    std::fprintf(stderr, "daemonkit-monitor: %s\n", why.c_str());
    return 2;
  }
  std::optional<daemonized> launcher;
  if (h->ready_fd >= 0) launcher = daemonized::resume(unique_fd(h->ready_fd));
  auto lock = h->no_state ? result<pidfile>(pidfile()) : pidfile::adopt(unique_fd(h->pidfile_fd), h->pidfile_path);
  auto cfg = read_options(unique_fd(h->options_fd));
  if (!lock || !cfg) {
    const error& e = !lock ? lock.err() : cfg.err();
    std::fprintf(stderr, "daemonkit-monitor: %s\n", e.message().c_str());
    if (launcher) launcher->fail(e);
    return 1;
  }
  monitor_options mo;
  mo.service = std::move(*cfg);
  mo.service.passthrough = h->passthrough;
  mo.state_path = h->state_path;
  mo.config_path = h->config_path;
  mo.foreground = h->foreground;
  mo.signal_group = h->signal_group;
  return run_monitor(mo, std::move(*lock), launcher ? &*launcher : nullptr);
}

}  // namespace daemonkit
