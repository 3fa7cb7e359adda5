// SPDX-License-Identifier: MIT
// reload and --check-config: reload a service only when its configuration
// checks out, and tell whether it survived the reload signal.
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>

#include "daemonkit/spawn.hpp"
#include "daemonkit/supervised.hpp"
#include "daemonkit/units.hpp"
#include "supervised/control_support.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

using std::chrono::milliseconds;
using namespace supervised_detail;

namespace {

// How long what a timed-out check left in its session gets to die.
constexpr milliseconds k_check_kill_wait{5000};

// The check runs as the service does (and as the monitor runs a cmd: check):
// its user, environment and working directory.
result<spawn_options> check_spawn_options(const service_config& c, int output_fd) {
  spawn_options so;
  so.argv = {"/bin/sh", "-c", c.check_config};
  for (const auto& e : c.env) {
    // Not the notify socket: a check must not report for the service.
    if (e.rfind("NOTIFY_SOCKET=", 0) != 0 && e.rfind("RUNTIME_DIRECTORY=", 0) != 0) so.env.push_back(e);
  }
  if (!c.runtime_dir.empty()) so.env.push_back("RUNTIME_DIRECTORY=" + runtime_dir_path(c.runtime_dir));
  so.working_directory = c.working_directory;
  so.umask = c.umask;
  if (c.user) {
    auto creds = resolve_credentials(c.user->user, c.user->group);
    if (!creds) return std::move(creds).err();
    so.change_identity = true;
    so.identity = std::move(*creds);
  }
  so.new_session = true;  // every process it starts can be found (by session) and killed
  so.stdout_fd = output_fd;
  so.stderr_fd = output_fd;
  return so;
}

// Reads what is there on the non-blocking fd, at most `reads` times, keeping
// up to max_check_output bytes in out (the rest is read and dropped, so the
// writer never blocks on a full pipe). True at EOF (or a read error).
bool drain(int fd, std::string& out, int reads) {
  char buf[4096];
  for (int i = 0; i < reads; ++i) {
    ssize_t n = sys::read(fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    size_t room = max_check_output - std::min(out.size(), max_check_output);
    out.append(buf, std::min(room, static_cast<size_t>(n)));
  }
  return false;
}

// What the monitor publishes for v's main process; nullopt when NAME.state
// is about another monitor or another instance now.
std::optional<service_state> published_state(const service_view& v) {
  auto st = read_service_state(v.paths.state);
  if (!st || !*st || (*st)->monitor_pid != v.monitor_pid || (*st)->pid != v.pid) return std::nullopt;
  return std::move(**st);
}

// The words by which a service says its reload failed, at the start of its
// STATUS= text: Daemon sends "STATUS=reload failed: WHY" with its READY=1
// when on_reload() throws, and clears STATUS= at the next good reload, so
// the text read once the reload settled is about this reload.
bool says_reload_failed(const std::string& status_text) { return status_text.rfind("reload failed", 0) == 0; }

// Watches the state directory for NAME.state being replaced; an invalid fd
// when inotify is not available (then only the deadlines and the pidfd wake
// the wait: still bounded, only later to see RELOADING=1).
unique_fd watch_state_dir(const service_view& v) {
  unique_fd changes(sys::inotify_init());
  if (changes && ::inotify_add_watch(changes.get(), v.state_dir.empty() ? "." : v.state_dir.c_str(),
                                     IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR) < 0) {
    changes.reset();
  }
  return changes;
}

}  // namespace

result<config_check_result> check_service_config(const service_config& c, milliseconds timeout) {
  config_check_result out;
  if (c.check_config.empty()) return out;
  int fds[2];
  if (sys::pipe(fds) != 0) return system_error("cannot create a pipe for the config check");
  unique_fd output(fds[0]);
  unique_fd wr(fds[1]);
  // Only our end is non-blocking: the command writes as usual.
  ::fcntl(output.get(), F_SETFL, O_NONBLOCK);
  auto so = check_spawn_options(c, wr.get());
  if (!so) return std::move(so).err();
  auto child = spawn(*so);
  wr.reset();  // the command's copies are the only writers left
  if (!child) return std::move(child).err();

  const auto until = sys::deadline::after(timeout);
  bool eof = false;
  bool timed_out = false;
  for (;;) {
    pollfd watch[2] = {{child->pidfd(), POLLIN, 0}, {eof ? -1 : output.get(), POLLIN, 0}};
    if (sys::poll(watch, 2, until) < 0) {
      timed_out = true;  // cannot wait: end it as at the timeout
      out.why = "cannot wait for it: " + sys::errno_text(errno);
      break;
    }
    if (watch[1].revents != 0) eof = drain(output.get(), out.output, 64);
    if (watch[0].revents != 0) break;
    if (until.passed()) {
      timed_out = true;
      out.why = "timed out after " + format_duration(timeout);
      break;
    }
  }
  if (timed_out) (void)child->signal(SIGKILL);
  // What sh left behind in its session goes too. Found while sh is unreaped:
  // until then its pid is the session's id and cannot be anybody else's.
  (void)kill_session_until_gone(child->pid(), k_check_kill_wait);
  if (!eof) (void)drain(output.get(), out.output, 1024);
  auto status = child->reap();
  if (timed_out) {
    out.ok = false;
  } else if (!status) {
    out.ok = false;
    out.why = "exited (status unknown): " + status.err().message();
  } else {
    out.ok = status->success();
    out.why = status->describe();
  }
  return out;
}

result<reload_result> reload_service(const service_view& view) {
  service_view v = await_monitor_state(view);
  if (!v.running()) return make_error(errc::not_running, "not running");
  reload_result out;
  out.signal = v.config ? v.config->reload_signal : SIGHUP;
  out.reload_timeout = v.config ? v.config->reload_timeout : milliseconds(1000);
  out.ready_timeout = v.config ? v.config->ready_timeout : milliseconds(60000);
  if (out.signal == 0) {
    out.what = reload_result::outcome::no_reload;
    return out;
  }
  if (v.config && !v.config->check_config.empty()) {
    auto check = check_service_config(*v.config);
    if (!check) return std::move(check).err();
    if (!check->ok) {
      out.what = reload_result::outcome::check_failed;
      out.check = std::move(*check);
      return out;
    }
    // The check may have taken a while: act on the service as it is now.
    v = await_monitor_state(inspect_service(v.state_dir, v.name));
    if (!v.running()) return make_error(errc::not_running, "not running");
  }
  auto main = open_service(v);
  if (!main) return std::move(main).err();
  out.pid = v.pid;

  // Watch first, then signal: a RELOADING=1 published at once is not missed.
  unique_fd changes = watch_state_dir(v);
  bool via_monitor = false;
  if (v.what == service_view::kind::supervised) {
    if (auto mon = open_monitor(v)) {
      if (auto r = mon->signal(SIGHUP); !r) return std::move(r).err();
      via_monitor = true;
    }
  }
  if (!via_monitor) {
    if (auto r = main->signal(out.signal); !r) return std::move(r).err();
  }

  // The main process must outlive reload_timeout. A notify service that
  // says RELOADING=1 in that time (the monitor publishes "reloading") must
  // also say READY=1 (published "running" again) within its ready_timeout.
  const auto settle = sys::deadline::after(out.reload_timeout);
  sys::deadline ready_by = sys::deadline::never();
  bool ready_again = false;
  for (;;) {
    // The state first: a service that said RELOADING=1 and died at once is
    // reported as dying while reloading whenever the state still shows it.
    std::optional<service_state> published;
    if (via_monitor) {
      published = published_state(v);
      auto phase = published ? std::optional(published->phase) : std::nullopt;
      if (!out.announced && phase == service_phase::reloading && !settle.passed()) {
        out.announced = true;
        ready_by = sys::deadline::after(out.ready_timeout);
      }
      if (out.announced && phase == service_phase::running) ready_again = true;
    }
    if (main->exited()) {
      out.what = reload_result::outcome::exited;
      return out;
    }
    const bool awaiting_ready = out.announced && !ready_again;
    if (settle.passed() && !awaiting_ready) {
      out.what = reload_result::outcome::reloaded;
      if (published && says_reload_failed(published->status_text)) {
        out.what = reload_result::outcome::refused;
        out.status_text = published->status_text;
      }
      return out;
    }
    if (awaiting_ready && ready_by.passed()) {
      out.what = reload_result::outcome::timed_out;
      return out;
    }
    sys::deadline next = settle;
    if (awaiting_ready && (settle.passed() || *ready_by.at < *settle.at)) next = ready_by;
    pollfd watch[2] = {{changes ? changes.get() : -1, POLLIN, 0}, {main->pidfd(), POLLIN, 0}};
    if (sys::poll(watch, 2, next) < 0) return system_error("cannot wait for the reload");
    if (watch[0].revents != 0) {
      char buf[4096];
      while (sys::read(changes.get(), buf, sizeof buf) > 0) {}
    }
  }
}

}  // namespace daemonkit
