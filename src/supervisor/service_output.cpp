// SPDX-License-Identifier: MIT
#include "supervisor/service_output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <vector>

#include "supervisor/service_logs.hpp"
#include "sys/child_steps.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor {

namespace {

constexpr size_t k_last_lines = 10;
constexpr size_t k_line_width = 400;

result<void> make_pipe(unique_fd& rd, unique_fd& wr) {
  int fds[2];
  if (sys::pipe(fds) != 0) return system_error("cannot create the output pipe");
  rd.reset(fds[0]);
  wr.reset(fds[1]);
  // Only our end is non-blocking; the service keeps ordinary blocking writes.
  ::fcntl(rd.get(), F_SETFL, O_NONBLOCK);
  return {};
}

}  // namespace

result<void> service_output::open(const service_config& cfg, const credentials* service_user, bool foreground) {
  if (cfg.passthrough) return {};
  std::string out_path = stdout_log_path(cfg);
  std::string err_path = stderr_log_path(cfg);
  if (!out_path.empty()) {
    auto l = open_service_log(cfg, out_path, service_user);
    if (!l) return std::move(l).err();
    out_log_.emplace(std::move(*l));
    if (auto r = make_pipe(out_rd_, out_wr_); !r) return r;
  }
  if (!err_path.empty() && err_path != out_path) {
    auto l = open_service_log(cfg, err_path, service_user);
    if (!l) return std::move(l).err();
    err_log_.emplace(std::move(*l));
    if (auto r = make_pipe(err_rd_, err_wr_); !r) return r;
  }
  // A started monitor's own stderr (a crash, a sanitizer report) goes where
  // the user looks: the service's log, through the fd opened safely above
  // (daemonize gave it /dev/null, never the path).
  log_file* mine = err_log_ ? &*err_log_ : out_log_ ? &*out_log_ : nullptr;
  if (!foreground && mine != nullptr) (void)sys::dup2(mine->fd(), 2);
  return {};
}

int service_output::stdout_for_service() const {
  if (out_wr_) return out_wr_.get();
  return err_wr_ ? err_wr_.get() : -1;
}

int service_output::stderr_for_service() const {
  if (err_wr_) return err_wr_.get();
  return out_wr_ ? out_wr_.get() : -1;
}

// If the monitor is SIGKILLed, the service must not be lost with it: without
// a reader on its output pipe, its next write would raise SIGPIPE and kill it.
// So a small forked keeper holds the read ends too, sleeps on the monitor's
// pidfd, and only if the monitor dies does it take over: it copies the
// service's output to the log until every writer is gone, then exits. While
// the monitor lives, it does nothing at all (no wakeups).
pid_t service_output::start_keeper(const service_config& cfg, const credentials* service_user) {
  if (!out_rd_ && !err_rd_) return 0;
  unique_fd self(sys::pidfd_open(::getpid()));
  if (!self) return 0;  // best effort: supervision works without it
  pid_t pid = ::fork();
  if (pid == 0) keep(self.get(), cfg, service_user);  // never returns
  return pid > 0 ? pid : 0;
}

// The keeper: a forked copy of the single-threaded monitor; self is the
// monitor's pidfd.
void service_output::keep(int self, const service_config& cfg, const credentials* service_user) {
  // Named first: until then `ps` (and a service looking for its keeper)
  // sees a second monitor.
  ::prctl(PR_SET_NAME, "daemonkit-keep");
  int keep[3] = {self, out_rd_ ? out_rd_.get() : -1, err_rd_ ? err_rd_.get() : -1};
  sys::close_fds_except(keep, 3);
  sys::reset_signals();
  pollfd watch{self, POLLIN, 0};
  while (sys::poll(&watch, 1, sys::deadline::never()) == 0) {}
  // The monitor is gone (killed, or finished): drain until EOF.
  std::optional<log_file> out, err;
  auto open_log = [&](const std::string& path, std::optional<log_file>& into) {
    if (auto l = open_service_log(cfg, path, service_user)) into.emplace(std::move(*l));
  };
  if (out_rd_) open_log(stdout_log_path(cfg), out);
  if (err_rd_) open_log(stderr_log_path(cfg), err);
  for (int fd : {out_rd_.get(), err_rd_.get()}) {
    if (fd >= 0) ::fcntl(fd, F_SETFL, 0);  // blocking reads from here on
  }
  struct pollfd p[2] = {{out_rd_ ? out_rd_.get() : -1, POLLIN, 0}, {err_rd_ ? err_rd_.get() : -1, POLLIN, 0}};
  int open_pipes = (out_rd_ ? 1 : 0) + (err_rd_ ? 1 : 0);
  char buf[65536];
  while (open_pipes > 0 && sys::poll(p, 2, sys::deadline::never()) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || p[i].revents == 0) continue;
      ssize_t n = sys::read(p[i].fd, buf, sizeof buf);
      if (n <= 0) {
        p[i].fd = -1;
        --open_pipes;
        continue;
      }
      auto& log = i == 0 ? out : err;
      if (log) (void)log->write(std::string_view(buf, static_cast<size_t>(n)));
    }
  }
  if (out) (void)out->flush();
  if (err) (void)err->flush();
  ::_exit(0);
}

void service_output::read(const unique_fd& fd, std::optional<log_file>& log) {
  if (!fd) return;
  char buf[65536];
  for (int round = 0; round < 16; ++round) {
    ssize_t n = sys::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return;
    std::string_view chunk(buf, static_cast<size_t>(n));
    if (log) (void)log->write(chunk);
    if (remember_) keep_lines(chunk);
    if (static_cast<size_t>(n) < sizeof buf) return;
  }
}

void service_output::collect() {
  for (int i = 0; i < 4; ++i) {
    read_out();
    read_err();
  }
}

void service_output::keep_lines(std::string_view bytes) {
  partial_line_.append(bytes);
  size_t start = 0;
  for (;;) {
    auto nl = partial_line_.find('\n', start);
    if (nl == std::string::npos) break;
    last_lines_.emplace_back(partial_line_.substr(start, std::min<size_t>(nl - start, k_line_width)));
    if (last_lines_.size() > k_last_lines) last_lines_.pop_front();
    start = nl + 1;
  }
  partial_line_.erase(0, start);
  if (partial_line_.size() > 4096) partial_line_.erase(0, partial_line_.size() - 4096);
}

std::string service_output::last_output() const {
  std::vector<std::string> lines(last_lines_.begin(), last_lines_.end());
  if (!partial_line_.empty()) lines.push_back(partial_line_.substr(0, k_line_width));
  if (lines.empty()) return {};
  std::string s = "; last output:";
  for (const auto& l : lines) s += "\n    " + l;
  return s;
}

void service_output::say(const std::string& name, const std::string& text) {
  std::string line = "daemonkit: " + name + ": " + text;
  log_file* log = err_log_ ? &*err_log_ : out_log_ ? &*out_log_ : nullptr;
  if (log != nullptr) {
    (void)log->write_line(line);
  } else {
    line += '\n';
    sys::write_all(2, line.data(), line.size());
  }
}

void service_output::reopen() {
  if (out_log_) (void)out_log_->reopen();
  if (err_log_) (void)err_log_->reopen();
}

void service_output::flush() {
  read_out();
  read_err();
  if (out_log_) (void)out_log_->flush();
  if (err_log_) (void)err_log_->flush();
}

}  // namespace daemonkit::supervisor
