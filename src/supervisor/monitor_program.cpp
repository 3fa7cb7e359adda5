// SPDX-License-Identifier: MIT
// The monitor program's side of the exec (monitor_exec.cpp is the caller's):
// takes up the options, the pidfile, the readiness pipe and the looked-up
// user that crossed it, and runs the monitor. It reaches no NSS lookup, so
// the program can be linked static (tools/monitor/CMakeLists.txt).
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
#include "supervisor/monitor_loop.hpp"
#include "supervisor/monitor_program.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

// The service's options as NAME.json holds them are at most this long: the
// codec's own limit on what it reads back.
constexpr off_t max_options_size = 16 * 1024 * 1024;

std::optional<int> parse_fd(std::string_view text) {
  int v = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 3) return std::nullopt;
  return v;
}

template <typename Id>
std::optional<Id> parse_id(std::string_view text) {
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v >= static_cast<Id>(-1))
    return std::nullopt;
  return static_cast<Id>(v);
}

// "G1,G2,..." (empty: none); every id a number, no empty one.
std::optional<std::vector<gid_t>> parse_groups(std::string_view text) {
  std::vector<gid_t> groups;
  if (text.empty()) return groups;
  for (;;) {
    const auto comma = text.find(',');
    auto g = parse_id<gid_t>(text.substr(0, comma));
    if (!g) return std::nullopt;
    groups.push_back(*g);
    if (comma == std::string_view::npos) return groups;
    text = text.substr(comma + 1);
  }
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
  // The service's user, looked up by the caller: --uid, --gid, --groups and
  // --user-name come all together or not at all.
  int identity_seen = 0;  // a bit per option, in identity_options' order
  credentials identity;
};

constexpr std::string_view identity_options[] = {"--uid", "--gid", "--groups", "--user-name"};
constexpr int identity_complete = (1 << std::size(identity_options)) - 1;

// One of the identity options, valid and not given before: taken.
bool identity_part(handover& h, std::string_view option, std::string_view value) {
  credentials& c = h.identity;
  int seen = 0;
  for (std::size_t i = 0; i < std::size(identity_options); ++i) {
    if (option != identity_options[i]) continue;
    if ((h.identity_seen & (1 << i)) != 0) return false;
    seen = 1 << i;
  }
  if (seen == 0) return false;
  if (option == "--uid") {
    auto id = parse_id<uid_t>(value);
    if (!id) return false;
    c.uid = *id;
  } else if (option == "--gid") {
    auto id = parse_id<gid_t>(value);
    if (!id) return false;
    c.gid = *id;
  } else if (option == "--groups") {
    auto groups = parse_groups(value);
    if (!groups) return false;
    c.groups = std::move(*groups);
  } else {
    if (value.empty()) return false;
    c.name = value;
  }
  h.identity_seen |= seen;
  return true;
}

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
    else if (identity_part(h, a, v)) continue;
    else {
      why = "invalid option " + std::string(a) + " " + std::string(v);
      return std::nullopt;
    }
  }
  if (h.identity_seen != 0 && h.identity_seen != identity_complete) {
    why = "--uid, --gid, --groups and --user-name go together (this program is run by daemonkit)";
    return std::nullopt;
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

// The options as the monitor keeps them, into out: read (in the scratch,
// when there is one), checked against the handed-over identity and copied
// out. Not inlined: the parsed copy's frame is dead stack afterwards, which
// the idle monitor gives back (idle_memory.hpp).
[[gnu::noinline]] result<void> take_options(const handover& h, const supervisor::options_scratch& scratch,
                                            service_config& out) {
  // Ended however the read ends (bad_alloc included): nothing after it may
  // be allocated in the scratch.
  struct scratch_scope {
    const supervisor::options_scratch& s;
    explicit scratch_scope(const supervisor::options_scratch& x) : s(x) {
      if (s.begin != nullptr) s.begin();
    }
    ~scratch_scope() {
      if (s.end != nullptr) s.end();
    }
    scratch_scope(const scratch_scope&) = delete;
    scratch_scope& operator=(const scratch_scope&) = delete;
  };
  auto parsed = [&] {
    const scratch_scope scope(scratch);
    return read_options(unique_fd(h.options_fd));
  }();
  if (!parsed) return parsed.err();
  if (parsed->user.has_value() != (h.identity_seen != 0)) {
    return make_error(errc::invalid_argument, parsed->user ? "the service's user '" + format_user_spec(*parsed->user) +
                                                                 "' was not handed over looked up"
                                                           : "a user was handed over for a service that has none");
  }
  // Copied, not moved: the copy is made outside the scratch, in one piece,
  // and the parsed one dies with this frame (and with it the scratch).
  out = *parsed;
  return {};
}

}  // namespace

int monitor_program_main(int argc, char** argv) { return supervisor::monitor_program_main(argc, argv, {}); }

namespace supervisor {

int monitor_program_main(int argc, char** argv, const options_scratch& scratch) {
  // The keeper's second life, once the monitor it kept for is gone (keeper_program.hpp).
  if (argc > 1 && std::string_view(argv[1]) == "--keeper-drain") return keeper_drain_main(argc, argv);
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
  monitor_options mo;
  auto taken = take_options(*h, scratch, mo.service);
  if (!lock || !taken) {
    const error& e = !lock ? lock.err() : taken.err();
    std::fprintf(stderr, "daemonkit-monitor: %s\n", e.message().c_str());
    if (launcher) launcher->fail(e);
    return 1;
  }
  mo.service.passthrough = h->passthrough;
  mo.state_path = h->state_path;
  mo.config_path = h->config_path;
  mo.foreground = h->foreground;
  mo.signal_group = h->signal_group;
  if (h->identity_seen != 0) mo.identity = std::move(h->identity);
  return run_looked_up_monitor(mo, std::move(*lock), launcher ? &*launcher : nullptr, nullptr);
}

}  // namespace supervisor

}  // namespace daemonkit
