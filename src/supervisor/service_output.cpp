// SPDX-License-Identifier: MIT
#include "supervisor/service_output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <vector>

#include "supervisor/keeper_program.hpp"
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
// So a keeper holds the read ends too, sleeps on the monitor's pidfd, and
// only if the monitor dies does it take over: it copies the service's output
// to the log until every writer is gone, then exits. While the monitor lives,
// it does nothing at all (no wakeups).
//
// The keeper is the freestanding program daemonkit-keep (tools/keeper/) when
// it sits beside the running program together with daemonkit-monitor: a page
// or two resident instead of a copy of the monitor's dirty pages. Once the
// monitor is gone it execs daemonkit-monitor --keeper-drain (keeper_drain_main
// below), which opens the logs exactly as the monitor did. Without those
// programs (another architecture; a program that runs the monitor in its own
// process, such as the tests' or examples/supervise) the keeper is a fork of
// the monitor, as the exec'd one is when its exec fails.
pid_t service_output::start_keeper(const service_config& cfg, const credentials* service_user) {
  if (!out_rd_ && !err_rd_) return 0;
  unique_fd self(sys::pidfd_open(::getpid()));
  if (!self) return 0;  // best effort: supervision works without it
  keeper_exec program;
  const bool exec_it = program.prepare(self.get(), out_rd_.get(), err_rd_.get(), cfg, service_user);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (exec_it) program.run();           // returns only if the exec failed
    keep(self.get(), cfg, service_user);  // never returns
  }
  return pid > 0 ? pid : 0;
}

// The keeper forked: a copy of the single-threaded monitor; self is the
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
  // The monitor is gone (killed, or finished).
  drain_to_logs(out_rd_.get(), stdout_log_path(cfg), err_rd_.get(), stderr_log_path(cfg), cfg, service_user);
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
