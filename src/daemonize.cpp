// SPDX-License-Identifier: MIT
#include "daemonkit/daemonize.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "daemonize_handshake.hpp"
#include "daemonkit/credentials.hpp"
#include "daemonkit/detail/trusted_path.hpp"
#include "daemonkit/notify.hpp"
#include "daemonkit/spawn.hpp"
#include "sys/child_steps.hpp"
#include "sys/sys.hpp"

extern char** environ;  // NOLINT

namespace daemonkit {

using handshake::record;
using handshake::record_text;
using handshake::send_record;
using handshake::send_record_from_daemon;

namespace {

// The daemon's environment, for the rest of its life. Held by file-scope
// pointers, never freed: environ points into it until the very end (atexit
// handlers may still call getenv), and a root LeakSanitizer scans keeps it
// from being reported as a leak.
std::vector<std::string>* g_daemon_env = nullptr;
std::vector<char*>* g_daemon_envp = nullptr;

enum stage : std::uint32_t { st_setsid = 1, st_fork, st_stdio, st_chroot, st_chdir, st_drop };

// Everything the forked children need, prepared before the fork.
struct plan {
  unique_fd in, out, err;
  std::vector<std::string> env;
  std::vector<char*> envp;
  credentials creds;
  sys::child_identity identity;
  std::vector<int> keep;
  std::string pidfile;
  std::string chroot, chdir;
};

[[noreturn]] void child_fail(int fd, std::uint32_t st, int err) noexcept {
  record r;
  r.what = record::stage_failed;
  r.stage = st;
  r.value = err;
  send_record(fd, r);
  ::_exit(1);
}

std::string stage_context(std::uint32_t st, const daemonize_options& o) {
  switch (st) {
    case st_setsid: return "cannot create a new session (setsid)";
    case st_fork: return "cannot fork the daemon";
    case st_stdio: return "cannot redirect standard input/output";
    case st_chroot: return "cannot chroot to " + o.chroot;
    case st_chdir: return "cannot change directory to " + o.working_directory;
    case st_drop: return "cannot switch to user '" + o.user + "'";
    default: return "daemon setup failed";
  }
}

bool env_kept_when_clean(std::string_view kv) {
  // No TERM: a daemon has no terminal.
  static constexpr std::string_view keep[] = {
      "LANG=", "LANGUAGE=", "TZ=", "NOTIFY_SOCKET=", "HOME=", "USER=", "LOGNAME="};
  if (kv.rfind("LC_", 0) == 0) return true;
  return std::any_of(std::begin(keep), std::end(keep), [&](std::string_view k) { return kv.rfind(k, 0) == 0; });
}

void set_var(std::vector<std::string>& env, std::string kv) {
  auto eq = kv.find('=');
  std::string key = kv.substr(0, eq + 1);
  auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(key, 0) == 0; });
  if (it != env.end()) *it = std::move(kv);
  else env.push_back(std::move(kv));
}

// Root opening a log by path could be led anywhere by a symlink another
// user planted (in /tmp, or in a directory the daemon's user owns): the path
// is walked and checked first (trusted_path.hpp), the file opened relative to
// its directory with O_NOFOLLOW, as the daemon's user where that user owns
// the way. O_NONBLOCK keeps a FIFO from hanging the start (no reader: ENXIO),
// and is cleared once open so the daemon's stdio blocks as usual.
result<unique_fd> open_stdio(const std::string& path, bool input, const credentials* user) {
  const std::string what = std::string("cannot open ") + (input ? "stdin " : "log ") + path;
  auto prefixed = [&](error e) {
    e.context = what + ": " + e.context;
    return e;
  };
  path_trust trust;
  if (user != nullptr && user->uid != ::geteuid()) trust.service_user = user;
  auto where = locate_checked_file(path, trust);
  if (!where) {
    // A missing directory is said as open(2) would; a refusal says why.
    error e = std::move(where).err();
    if (e.code.category() == std::system_category()) return system_error(what, e.code.value());
    return prefixed(std::move(e));
  }
  auto as = fs_identity_scope::enter(where->dir.service_owned ? user : nullptr);
  if (!as) return prefixed(std::move(as).err());
  int flags = (input ? O_RDONLY : (O_WRONLY | O_CREAT | O_APPEND)) | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK;
  unique_fd fd(sys::openat(where->dir.fd.get(), where->name.c_str(), flags, 0640));
  if (!fd && errno == ELOOP)
    return make_error(errc::invalid_argument, what + ": it is a symbolic link; refusing to follow it");
  if (!fd) return system_error(what);
  if (auto r = check_opened_file(fd.get(), where->dir.shared, user != nullptr ? user->uid : ::geteuid(), true, what);
      !r) {
    return std::move(r).err();
  }
  if (::fcntl(fd.get(), F_SETFL, flags & O_APPEND) != 0) return system_error(what);
  return fd;
}

std::string absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

result<void> prepare(const daemonize_options& o, plan& p) {
  for (int fd : o.keep_fds) {
    if (fd <= 2) continue;
    if (::fcntl(fd, F_GETFD) < 0) return system_error("cannot keep fd " + std::to_string(fd));
    p.keep.push_back(fd);
  }

  if (!o.user.empty()) {
    auto c = resolve_credentials(o.user, o.group);
    if (!c) return std::move(c).err();
    p.creds = std::move(*c);
    p.identity.change = true;
    p.identity.uid = p.creds.uid;
    p.identity.gid = p.creds.gid;
    p.identity.groups = p.creds.groups.data();
    p.identity.ngroups = p.creds.groups.size();
  } else if (!o.group.empty()) {
    return make_error(errc::invalid_argument, "a group needs a user");
  }

  if (o.umask > 0777) return make_error(errc::invalid_argument, "invalid umask " + std::to_string(o.umask));

  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (o.environment == env_policy::keep || env_kept_when_clean(*e)) p.env.emplace_back(*e);
  }
  if (o.environment == env_policy::clean) set_var(p.env, "PATH=" + std::string(default_path));
  if (p.identity.change) {
    set_var(p.env, "HOME=" + p.creds.home);
    set_var(p.env, "USER=" + p.creds.name);
    set_var(p.env, "LOGNAME=" + p.creds.name);
    if (!p.creds.shell.empty()) set_var(p.env, "SHELL=" + p.creds.shell);
  }
  for (const auto& kv : o.set_env) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') {
      return make_error(errc::invalid_argument, "invalid environment entry '" + kv + "' (expected KEY=VALUE)");
    }
    set_var(p.env, kv);
  }
  for (auto& s : p.env) p.envp.push_back(s.data());
  p.envp.push_back(nullptr);

  // Files last: a start refused for a bad option creates no log.
  const credentials* user = p.identity.change ? &p.creds : nullptr;
  auto in = open_stdio(o.stdin_path, true, user);
  if (!in) return std::move(in).err();
  p.in = std::move(*in);
  auto out = open_stdio(o.stdout_path, false, user);
  if (!out) return std::move(out).err();
  p.out = std::move(*out);
  if (o.stderr_path != o.stdout_path) {
    auto err = open_stdio(o.stderr_path, false, user);
    if (!err) return std::move(err).err();
    p.err = std::move(*err);
  }

  p.pidfile = absolute(o.pidfile);
  p.chroot = o.chroot;
  p.chdir = o.working_directory.empty() ? "/" : o.working_directory;
  return {};
}

}  // namespace

result<daemonized> daemonize(const daemonize_options& o) {
  plan p;
  if (auto r = prepare(o, p); !r) return std::move(r).err();

  int fds[2];
  if (sys::pipe(fds) != 0) return system_error("cannot create the readiness pipe");
  unique_fd rd(fds[0]), wr(fds[1]);

  daemonized d;
  d.timeout_ = o.ready_timeout;
  d.pidfile_path_ = p.pidfile;
  int was = 0;
  ::prctl(PR_GET_CHILD_SUBREAPER, &was);
  d.subreaper_was_set_ = was != 0;
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return system_error("cannot become a child subreaper");
  d.restore_subreaper_ = true;
  // With SIGCHLD ignored (or SA_NOCLDWAIT) the kernel reaps our children
  // itself: waitpid() fails with ECHILD and the daemon's exit status is lost.
  // Take the default until wait_ready() returns.
  struct sigaction chld {};
  if (::sigaction(SIGCHLD, nullptr, &chld) == 0 &&
      (chld.sa_handler == SIG_IGN || (chld.sa_flags & SA_NOCLDWAIT) != 0)) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    if (::sigaction(SIGCHLD, &dfl, nullptr) == 0) {
      d.saved_sigchld_ = chld;
      d.restore_sigchld_ = true;
    }
  }

  // Buffered output would otherwise be written twice, by parent and daemon.
  std::fflush(nullptr);

  // The fds the children keep until the daemon's stdio is in place.
  std::vector<int> keep = p.keep;
  keep.push_back(wr.get());
  keep.push_back(p.in.get());
  keep.push_back(p.out.get());
  if (p.err) keep.push_back(p.err.get());
  const int wfd = wr.get();
  const int in = p.in.get(), out = p.out.get(), err = p.err ? p.err.get() : p.out.get();

  pid_t first = ::fork();
  if (first < 0) return system_error("cannot fork");
  if (first == 0) {
    // First child: async-signal-safe steps only.
    sys::close_fds_except(keep.data(), keep.size());
    sys::reset_signals();
    if (::setsid() < 0) child_fail(wfd, st_setsid, errno);
    pid_t second = ::fork();
    if (second < 0) child_fail(wfd, st_fork, errno);
    if (second > 0) ::_exit(0);
    // The daemon: not a session leader, so it can never acquire a controlling
    // tty. It announces its own pid first: were the first child to send it,
    // a daemon failing fast could get its failure record into the pipe
    // before the pid, and the original process would misreport the start.
    {
      record r;
      r.what = record::pid;
      r.value = ::getpid();
      int ignored = 0;
      send_record_from_daemon(wfd, r, ignored);
    }
    // From here on this is the daemon's own process: it goes on to run the
    // program's code, so it may allocate (daemonize() is documented as
    // single-threaded only).
    d.role_ = daemonized::role::daemon;
    d.pipe_ = std::move(wr);
    d.restore_subreaper_ = false;
    d.restore_sigchld_ = false;
    auto die = [&](std::uint32_t st, int e) {
      // The pidfile goes on every exit path, this one included.
      d.pidfile_.release();
      d.fail(stage_context(st, o) + ": " + sys::errno_text(e));
      ::_exit(1);
    };
    if (int e = sys::install_stdio(in, out, err); e != 0) die(st_stdio, e);
    ::umask(o.umask);
    // The environment must outlive this function: hand it to the daemon for
    // good (moving the vectors keeps every string where envp points).
    g_daemon_env = new std::vector<std::string>(std::move(p.env));  // NOLINT(cppcoreguidelines-owning-memory)
    g_daemon_envp = new std::vector<char*>(std::move(p.envp));      // NOLINT(cppcoreguidelines-owning-memory)
    environ = g_daemon_envp->data();
    // The originals of stdio (now 0-2) go; only kept fds and the handshake
    // pipe remain.
    std::vector<int> still = p.keep;
    still.push_back(wfd);
    sys::close_fds_except(still.data(), still.size());
    (void)p.in.release();
    (void)p.out.release();
    (void)p.err.release();
    (void)rd.release();

    if (!p.pidfile.empty()) {
      auto pf = pidfile::acquire(p.pidfile);
      if (!pf) {
        d.fail(pf.err());
        ::_exit(1);
      }
      d.pidfile_ = std::move(*pf);
    }
    if (!p.chroot.empty() && ::chroot(p.chroot.c_str()) != 0) die(st_chroot, errno);
    if (::chdir(p.chdir.c_str()) != 0) die(st_chdir, errno);
    if (int e = sys::drop_privileges(p.identity); e != 0) die(st_drop, e);
    return d;
  }

  // The original process.
  wr.reset();
  int status = 0;
  if (sys::waitpid(first, &status, 0) < 0) return system_error("cannot wait for the first child");
  record r;
  ssize_t n = sys::read_full(rd.get(), &r, sizeof r);
  if (n != static_cast<ssize_t>(sizeof r) || r.what != record::pid) {
    if (n == static_cast<ssize_t>(sizeof r) && r.what == record::stage_failed) {
      return system_error(stage_context(r.stage, o), r.value);
    }
    auto first_status = exit_status::from_wait_status(status);
    if (first_status.success()) {
      return make_error(errc::daemon_failed, "daemon setup failed: the daemon died before reporting its pid");
    }
    return make_error(errc::daemon_failed, "daemon setup failed: the first child " + first_status.describe());
  }
  auto proc = process::open(static_cast<pid_t>(r.value));
  if (!proc) return std::move(proc).err();
  d.proc_ = std::move(*proc);
  d.pipe_ = std::move(rd);
  return d;
}

}  // namespace daemonkit
