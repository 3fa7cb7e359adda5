// SPDX-License-Identifier: MIT
#include "daemonkit/spawn.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <unistd.h>

#include "sys/child_exec.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

using sys::exec_stage;

constexpr std::array<std::pair<const char*, int>, 16> k_limits{{
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},
    {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
}};

bool parse_limit_value(std::string_view t, rlim_t& out) {
  if (t == "unlimited" || t == "infinity") {
    out = RLIM_INFINITY;
    return true;
  }
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return false;
  out = static_cast<rlim_t>(v);
  return true;
}

std::string limit_text(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

spawn_stage public_stage(exec_stage st) noexcept {
  switch (st) {
    case exec_stage::none: return spawn_stage::none;
    case exec_stage::setsid: return spawn_stage::setsid;
    case exec_stage::process_group: return spawn_stage::process_group;
    case exec_stage::terminal: return spawn_stage::terminal;
    case exec_stage::stdio: return spawn_stage::stdio;
    case exec_stage::fds: return spawn_stage::fds;
    case exec_stage::rlimit: return spawn_stage::rlimit;
    case exec_stage::nice: return spawn_stage::nice;
    case exec_stage::chroot: return spawn_stage::chroot;
    case exec_stage::chdir: return spawn_stage::chdir;
    case exec_stage::identity: return spawn_stage::identity;
    case exec_stage::umask: return spawn_stage::umask;
    case exec_stage::exec: return spawn_stage::exec;
  }
  return spawn_stage::none;
}

std::string stage_context(exec_stage st, const spawn_options& o) {
  const std::string& prog = o.argv.empty() ? std::string() : o.argv[0];
  switch (st) {
    case exec_stage::exec: return "cannot execute '" + prog + "'";
    case exec_stage::chdir: return "cannot change directory to " + o.working_directory;
    case exec_stage::chroot: return "cannot chroot to " + o.chroot;
    case exec_stage::identity: return "cannot switch to user '" + o.identity.name + "'";
    case exec_stage::rlimit: return "cannot set resource limits";
    case exec_stage::nice: return "cannot set nice value " + std::to_string(o.nice);
    case exec_stage::setsid: return "cannot create a new session";
    case exec_stage::process_group: return "cannot create a process group";
    case exec_stage::terminal: return "cannot make its process group the terminal's foreground group";
    case exec_stage::stdio: return "cannot set up standard input/output";
    case exec_stage::fds: return "cannot pass file descriptors";
    case exec_stage::umask: return "cannot set umask";
    case exec_stage::none: break;
  }
  return "cannot start '" + prog + "'";
}

}  // namespace

result<rlimit_setting> parse_rlimit(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid_argument, "invalid resource limit '" + std::string(text) +
                                                  "' (expected NAME=VALUE[:HARD], e.g. nofile=65536)");
  };
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return bad();
  std::string_view name = text.substr(0, eq), value = text.substr(eq + 1);
  rlimit_setting s;
  bool found = false;
  for (const auto& [n, r] : k_limits) {
    if (name == n) {
      s.resource = r;
      found = true;
    }
  }
  if (!found) return bad();
  auto colon = value.find(':');
  if (!parse_limit_value(value.substr(0, colon), s.value.rlim_cur)) return bad();
  if (colon == std::string_view::npos) {
    s.value.rlim_max = s.value.rlim_cur;
  } else if (!parse_limit_value(value.substr(colon + 1), s.value.rlim_max)) {
    return bad();
  }
  if (s.value.rlim_max != RLIM_INFINITY && (s.value.rlim_cur == RLIM_INFINITY || s.value.rlim_cur > s.value.rlim_max)) {
    return bad();
  }
  return s;
}

std::string format_rlimit(const rlimit_setting& setting) {
  std::string text = "?";
  for (const auto& [n, r] : k_limits) {
    if (r == setting.resource) text = n;
  }
  text += "=" + limit_text(setting.value.rlim_cur);
  if (setting.value.rlim_max != setting.value.rlim_cur) text += ":" + limit_text(setting.value.rlim_max);
  return text;
}

result<process> spawn(const spawn_options& o) {
  if (o.argv.empty() || o.argv[0].empty()) return make_error(errc::invalid_argument, "no command to run");

  // Everything the child touches is built here, before the fork.
  std::vector<const char*> argv, envp, search;
  for (const auto& a : o.argv) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::string path_var(default_path);
  for (const auto& e : o.env) {
    envp.push_back(e.c_str());
    if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
  }
  envp.push_back(nullptr);
  std::vector<std::string> dirs;
  for (size_t start = 0;;) {
    size_t colon = path_var.find(':', start);
    std::string d = path_var.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    dirs.push_back(d.empty() ? "." : d);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  for (const auto& d : dirs) search.push_back(d.c_str());
  search.push_back(nullptr);
  std::vector<char> path_buf(4096 + 256);

  std::vector<int> res;
  std::vector<struct rlimit> vals;
  for (const auto& r : o.rlimits) {
    res.push_back(r.resource);
    vals.push_back(r.value);
  }
  std::vector<sys::fd_map_entry> fds;
  for (const auto& [from, to] : o.extra_fds) {
    if (to <= 2)
      return make_error(errc::invalid_argument, "cannot pass an fd as " + std::to_string(to) + " (0-2 are stdio)");
    fds.push_back({from, to});
  }

  unique_fd devnull;
  int in = o.stdin_fd;
  if (in < 0) {
    devnull.reset(sys::open("/dev/null", O_RDONLY));
    if (!devnull) return system_error("cannot open /dev/null");
    in = devnull.get();
  }

  int ep[2];
  if (sys::pipe(ep) != 0) return system_error("cannot create a pipe");
  unique_fd err_rd(ep[0]), err_wr(ep[1]);

  sys::exec_plan plan{};
  plan.path = o.argv[0].find('/') != std::string::npos ? o.argv[0].c_str() : nullptr;
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.search = search.data();
  plan.chdir = o.working_directory.empty() ? "/" : o.working_directory.c_str();
  plan.chroot = o.chroot.empty() ? nullptr : o.chroot.c_str();
  plan.umask = o.umask;
  plan.setsid = o.new_session;
  plan.keep_ignored_signals = o.keep_ignored_signals;
  plan.setpgid = !o.new_session && o.new_process_group;
  plan.terminal = plan.setpgid ? o.foreground_terminal : -1;
  plan.nice = o.nice;
  plan.rlimit_resources = res.data();
  plan.rlimit_values = vals.data();
  plan.nrlimits = res.size();
  plan.in = in;
  plan.out = o.stdout_fd;
  plan.err = o.stderr_fd;
  plan.fds = fds.data();
  plan.nfds = fds.size();
  if (o.change_identity) {
    plan.identity.change = true;
    plan.identity.uid = o.identity.uid;
    plan.identity.gid = o.identity.gid;
    plan.identity.groups = o.identity.groups.data();
    plan.identity.ngroups = o.identity.groups.size();
  }
  plan.error_fd = err_wr.get();
  plan.parent = ::getpid();
  plan.path_buf = path_buf.data();
  plan.path_buf_size = path_buf.size();

  pid_t pid = ::fork();
  if (pid < 0) return system_error("cannot fork");
  if (pid == 0) sys::run_child(plan);

  err_wr.reset();
  unique_fd pidfd(sys::pidfd_open(pid));
  sys::exec_report rep{};
  ssize_t n = sys::read_full(err_rd.get(), &rep, sizeof rep);
  if (n == static_cast<ssize_t>(sizeof rep)) {
    int status = 0;
    sys::waitpid(pid, &status, 0);
    const auto stage = static_cast<exec_stage>(rep.stage);
    error e = system_error(stage_context(stage, o), rep.err);
    e.step = static_cast<int>(public_stage(stage));
    return e;
  }
  if (!pidfd) {
    int e = errno;
    return system_error("cannot open a pidfd for pid " + std::to_string(pid), e);
  }
  return process(pid, std::move(pidfd));
}

spawn_failure spawn_failure_of(const error& e) noexcept {
  spawn_failure f;
  if (e.step > static_cast<int>(spawn_stage::none) && e.step <= static_cast<int>(spawn_stage::exec)) {
    f.stage = static_cast<spawn_stage>(e.step);
  }
  if (e.code.category() == std::system_category()) f.err = e.code.value();
  return f;
}

int shell_code(const spawn_failure& f) noexcept { return f.stage == spawn_stage::exec ? 127 : 126; }

}  // namespace daemonkit
