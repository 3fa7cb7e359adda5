#include "daemonkit/monitor.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <random>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemonkit/credentials.hpp"
#include "daemonkit/log_file.hpp"
#include "daemonkit/notify.hpp"
#include "daemonkit/notify_message.hpp"
#include "daemonkit/proc.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/respawn.hpp"
#include "daemonkit/service_state.hpp"
#include "daemonkit/signal_name.hpp"
#include "daemonkit/spawn.hpp"
#include "daemonkit/units.hpp"
#include "supervisor/service_logs.hpp"
#include "sys/child_steps.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The monitor's states. Each event below is handled by one member function
// whose switch over the state is exhaustive (-Wswitch-enum).
enum class mstate {
  starting,  // spawned, waiting for readiness
  running,   // ready
  backoff,   // waiting to respawn
  stopping,  // stop signal sent to the tree, waiting for it to be gone
  done,      // the loop ends
};

const char* state_name(mstate s, bool failed, bool requested) {
  switch (s) {
    case mstate::starting: return "starting";
    case mstate::running: return "running";
    case mstate::backoff: return "backoff";
    case mstate::stopping: return "stopping";
    case mstate::done: return failed ? "failed" : requested ? "stopped" : "exited";
  }
  return "unknown";
}

// Where a stop is. signalled: the stop signal went out, the tree has until
// the stop timeout. killing: SIGKILL went out, and goes out again to whatever
// the tree still holds each time one of its processes dies (a process forked
// during a sweep escapes it; a process sent SIGKILL cannot fork any more), until
// the tree is empty or the kill wait passes. overdue: the kill wait passed
// with processes SIGKILL does not end (uninterruptible sleep, or not ours to
// signal): they are published as remaining, still killed again as others
// die, and the monitor ends when the last is gone.
enum class stop_phase { signalled, killing, overdue };

constexpr size_t k_last_lines = 10;
constexpr milliseconds k_kill_wait{5000};

// now + usec, or the farthest point the clock can hold when that overflows:
// EXTEND_TIMEOUT_USEC is the service's number, anything up to 2^64-1.
clock::time_point after_usec(std::uint64_t usec) {
  using std::chrono::microseconds;
  auto now = clock::now();
  auto room = std::chrono::duration_cast<microseconds>(clock::time_point::max() - now);
  if (usec >= static_cast<std::uint64_t>(room.count())) return clock::time_point::max();
  return now + microseconds(static_cast<microseconds::rep>(usec));
}

// "3 processes remain after SIGKILL (pids 101, 102, 103)"
std::string describe_remaining(const std::vector<pid_t>& pids) {
  std::string s = std::to_string(pids.size()) + (pids.size() == 1 ? " process remains" : " processes remain") +
                  " after SIGKILL (pid" + (pids.size() == 1 ? " " : "s ");
  constexpr size_t shown = 5;
  for (size_t i = 0; i < pids.size() && i < shown; ++i) s += (i > 0 ? ", " : "") + std::to_string(pids[i]);
  if (pids.size() > shown) s += ", ...";
  return s + ")";
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string join_command(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

class monitor {
 public:
  monitor(const monitor_options& o, pidfile lock, daemonized* launcher)
      : opts_(o), cfg_(o.service), lock_(std::move(lock)), launcher_(launcher), tracker_(o.service.respawn) {}

  int run();

 private:
  // setup
  result<void> setup();
  result<void> setup_output();
  result<void> setup_notify();
  result<spawn_options> build_spawn();
  void start_keeper();
  const credentials* service_user() const { return change_identity_ ? &creds_ : nullptr; }

  // events
  void spawn_service();
  void on_ready();
  void on_main_exit(exit_status st);
  void on_stop_request(int sig, std::optional<milliseconds> timeout);
  void on_deadline();
  void on_tree_maybe_empty();

  // actions
  tree_signal_report signal_tree(int sig);
  void kill_tree();
  bool tree_empty() const;
  bool is_service_process(pid_t pid) const;
  void adopt_main(pid_t pid);
  void apply_respawn_decision();
  void finish(bool failed);
  void fail_start(const std::string& why);
  void publish();
  void say(const std::string& text);

  // inputs
  bool read_signals();
  void on_child_exit();
  void reap_and_sweep();
  int reap_children();
  void read_output(int fd, log_file* log);
  void read_notify();
  void read_ready_fd();
  void remember_output(std::string_view bytes);
  std::string last_output() const;

  const monitor_options& opts_;
  const service_config& cfg_;
  pidfile lock_;
  daemonized* launcher_;
  bool launcher_pending_ = true;
  respawn_tracker tracker_;

  mstate state_ = mstate::starting;
  std::optional<clock::time_point> deadline_;
  stop_phase stop_phase_ = stop_phase::signalled;
  std::vector<pid_t> remaining_;  // overdue: the processes SIGKILL has not ended
  // While stopping, reaping and sweeping cost O(tree); done for each SIGCHLD
  // while thousands of processes die one by one, they cost O(N^2). So deaths
  // are taken in batches: no sooner than one sweep's cost after the last one
  // (sweep_allowed_at_), deaths wait for sweep_at_.
  clock::time_point sweep_allowed_at_{};
  std::optional<clock::time_point> sweep_at_;
  bool stop_requested_ = false;  // a user asked for the stop (vs cleanup before respawn)
  bool failed_ = false;
  std::optional<milliseconds> pending_delay_;  // respawn decision waiting for the tree to empty
  bool pending_decided_ = false;

  unique_fd sigfd_;
  unique_fd out_rd_, out_wr_, err_rd_, err_wr_;
  std::optional<log_file> out_log_, err_log_;
  unique_fd notify_fd_;
  std::string notify_addr_;
  unique_fd ready_rd_, ready_wr_;
  pid_t keeper_ = 0;           // holds the output pipes if we die (see start_keeper)
  std::string parent_notify_;  // $NOTIFY_SOCKET of whoever started us (foreground)

  credentials creds_;
  bool change_identity_ = false;
  std::vector<rlimit_setting> rlimits_;

  process main_;
  std::optional<exit_status> main_status_;
  std::optional<exit_status> last_exit_;
  std::uint64_t main_start_ticks_ = 0;
  std::int64_t main_started_at_ = 0;
  std::int64_t monitor_started_at_ = unix_now();
  std::string status_text_;
  int start_failure_code_ = 1;       // run's exit code when the service never started
  bool reloading_ = false;           // RELOADING=1 seen, READY=1 not yet
  bool stopping_announced_ = false;  // STOPPING=1 seen from this instance
  std::string partial_line_;
  std::deque<std::string> last_lines_;
};

result<void> monitor::setup() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE}) sigaddset(&set, s);
  sigaddset(&set, reopen_logs_signal());
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return system_error("cannot block signals");
  // SIGXFSZ would kill the monitor for a log write past an inherited
  // `ulimit -f`; ignored, the write fails with EFBIG and log_file counts the
  // loss. (spawn resets every disposition, so the service does not inherit it.)
  ::signal(SIGXFSZ, SIG_IGN);
  // SIGPIPE stays blocked and unread: a write to a closed pipe returns EPIPE.
  sigdelset(&set, SIGPIPE);
  sigfd_.reset(sys::signalfd(-1, &set));
  if (!sigfd_) return system_error("cannot create a signalfd");
  // Orphaned descendants of the service come back to us, so the whole tree
  // can be stopped and reaped.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return system_error("cannot become a child subreaper");

  if (!cfg_.user.empty()) {
    auto spec = parse_user_spec(cfg_.user);
    if (!spec) return std::move(spec).err();
    auto c = resolve_credentials(spec->first, spec->second);
    if (!c) return std::move(c).err();
    creds_ = std::move(*c);
    change_identity_ = true;
  }
  for (const auto& r : cfg_.rlimits) {
    auto l = parse_rlimit(r);
    if (!l) return std::move(l).err();
    rlimits_.push_back(*l);
  }
  if (const char* n = std::getenv("NOTIFY_SOCKET"); n != nullptr && opts_.foreground) parent_notify_ = n;
  if (auto r = setup_output(); !r) return r;
  if (auto r = setup_notify(); !r) return r;
  start_keeper();
  if (cfg_.ready == ready_mode::fd) {
    int fds[2];
    if (sys::pipe(fds, O_NONBLOCK) != 0) return system_error("cannot create the readiness pipe");
    ready_rd_.reset(fds[0]);
    ready_wr_.reset(fds[1]);
  }
  return {};
}

result<void> monitor::setup_output() {
  if (cfg_.passthrough) return {};
  auto open_log = [&](const std::string& path) { return open_service_log(cfg_, path, service_user()); };
  auto make_pipe = [](unique_fd& rd, unique_fd& wr) -> result<void> {
    int fds[2];
    if (sys::pipe(fds) != 0) return system_error("cannot create the output pipe");
    rd.reset(fds[0]);
    wr.reset(fds[1]);
    // Only our end is non-blocking; the service keeps ordinary blocking writes.
    ::fcntl(rd.get(), F_SETFL, O_NONBLOCK);
    return {};
  };
  std::string out_path = stdout_log_path(cfg_);
  std::string err_path = stderr_log_path(cfg_);
  if (!out_path.empty()) {
    auto l = open_log(out_path);
    if (!l) return std::move(l).err();
    out_log_.emplace(std::move(*l));
    if (auto r = make_pipe(out_rd_, out_wr_); !r) return r;
  }
  if (!err_path.empty() && err_path != out_path) {
    auto l = open_log(err_path);
    if (!l) return std::move(l).err();
    err_log_.emplace(std::move(*l));
    if (auto r = make_pipe(err_rd_, err_wr_); !r) return r;
  }
  // A started monitor's own stderr (a crash, a sanitizer report) goes where
  // the user looks: the service's log, through the fd opened safely above
  // (daemonize gave it /dev/null, never the path).
  log_file* mine = err_log_ ? &*err_log_ : out_log_ ? &*out_log_ : nullptr;
  if (!opts_.foreground && mine != nullptr) (void)sys::dup2(mine->fd(), 2);
  return {};
}

// If the monitor is SIGKILLed, the service must not be lost with it: without
// a reader on its output pipe, its next write would raise SIGPIPE and kill it.
// So a small forked keeper holds the read ends too, sleeps on the monitor's
// pidfd, and only if the monitor dies does it take over: it copies the
// service's output to the log until every writer is gone, then exits. While
// the monitor lives, it does nothing at all (no wakeups).
void monitor::start_keeper() {
  if (!out_rd_ && !err_rd_) return;
  unique_fd self(sys::pidfd_open(::getpid()));
  if (!self) return;  // best effort: supervision works without it
  pid_t pid = ::fork();
  if (pid != 0) {
    if (pid > 0) keeper_ = pid;
    return;
  }
  // The keeper. It is a forked copy of this single-threaded monitor.
  int keep[3] = {self.get(), out_rd_ ? out_rd_.get() : -1, err_rd_ ? err_rd_.get() : -1};
  sys::close_fds_except(keep, 3);
  sys::reset_signals();
  ::prctl(PR_SET_NAME, "daemonkit-keep");
  pollfd watch{self.get(), POLLIN, 0};
  while (sys::poll(&watch, 1, sys::deadline::never()) == 0) {}
  // The monitor is gone (killed, or finished): drain until EOF.
  std::optional<log_file> out, err;
  auto open_log = [&](const std::string& path, std::optional<log_file>& into) {
    if (auto l = open_service_log(cfg_, path, service_user())) into.emplace(std::move(*l));
  };
  std::string out_path = stdout_log_path(cfg_);
  std::string err_path = stderr_log_path(cfg_);
  if (out_rd_) open_log(out_path, out);
  if (err_rd_) open_log(err_path, err);
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

result<void> monitor::setup_notify() {
  if (cfg_.ready != ready_mode::notify) return {};
  notify_fd_.reset(sys::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
  if (!notify_fd_) return system_error("cannot create the notify socket");
  // An abstract address: nothing to clean up, reachable by a service that
  // dropped privileges; senders are checked by their credentials instead.
  std::random_device rd;
  notify_addr_ = "@daemonkit/" + cfg_.name + "/" + std::to_string(::getpid()) + "/" + std::to_string(rd());
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  if (notify_addr_.size() >= sizeof sa.sun_path) notify_addr_.resize(sizeof sa.sun_path - 1);
  std::memcpy(sa.sun_path, notify_addr_.data(), notify_addr_.size());
  sa.sun_path[0] = '\0';
  auto len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + notify_addr_.size());
  if (::bind(notify_fd_.get(), reinterpret_cast<struct sockaddr*>(&sa), len) != 0) {
    return system_error("cannot bind the notify socket");
  }
  int one = 1;
  if (::setsockopt(notify_fd_.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
    return system_error("cannot enable credentials on the notify socket");
  }
  return {};
}

result<spawn_options> monitor::build_spawn() {
  spawn_options so;
  so.argv = cfg_.argv;
  for (const auto& e : cfg_.env) {
    if (e.rfind("NOTIFY_SOCKET=", 0) != 0) so.env.push_back(e);
  }
  if (cfg_.ready == ready_mode::notify) so.env.push_back("NOTIFY_SOCKET=" + notify_addr_);
  so.working_directory = cfg_.working_directory;
  so.umask = cfg_.umask;
  so.chroot = cfg_.chroot;
  so.change_identity = change_identity_;
  so.identity = creds_;
  so.nice = cfg_.nice;
  so.rlimits = rlimits_;
  so.new_session = true;
  so.stdin_fd = opts_.foreground ? 0 : -1;
  if (!cfg_.passthrough) {
    so.stdout_fd = out_wr_ ? out_wr_.get() : err_wr_.get();
    so.stderr_fd = err_wr_ ? err_wr_.get() : out_wr_.get();
  }
  if (cfg_.ready == ready_mode::fd) so.extra_fds.emplace_back(ready_wr_.get(), cfg_.ready_fd);
  return so;
}

void monitor::say(const std::string& text) {
  std::string line = "daemonkit: " + cfg_.name + ": " + text + "\n";
  log_file* log = err_log_ ? &*err_log_ : out_log_ ? &*out_log_ : nullptr;
  if (log != nullptr) {
    (void)log->write_line(line.substr(0, line.size() - 1));
  } else {
    sys::write_all(2, line.data(), line.size());
  }
}

void monitor::publish() {
  service_state s;
  s.name = cfg_.name;
  s.state = state_name(state_, failed_, stop_requested_);
  if (state_ == mstate::running && stopping_announced_) s.state = "stopping";
  else if (state_ == mstate::running && reloading_) s.state = "reloading";
  s.monitor_pid = ::getpid();
  s.pid = main_.valid() ? main_.pid() : 0;
  s.pid_start_ticks = main_.valid() ? main_start_ticks_ : 0;
  s.started_at = main_.valid() ? main_started_at_ : 0;
  s.monitor_started_at = monitor_started_at_;
  s.restarts = tracker_.restarts();
  if (last_exit_) {
    s.last_exit = last_exit_->describe();
    s.last_exit_code = last_exit_->shell_code();
  }
  s.status_text = status_text_;
  s.command = join_command(cfg_.argv);
  s.remaining = static_cast<unsigned>(remaining_.size());
  (void)write_service_state(opts_.state_path, s);
}

void monitor::remember_output(std::string_view bytes) {
  partial_line_.append(bytes);
  size_t start = 0;
  for (;;) {
    auto nl = partial_line_.find('\n', start);
    if (nl == std::string::npos) break;
    last_lines_.emplace_back(partial_line_.substr(start, std::min<size_t>(nl - start, 400)));
    if (last_lines_.size() > k_last_lines) last_lines_.pop_front();
    start = nl + 1;
  }
  partial_line_.erase(0, start);
  if (partial_line_.size() > 4096) partial_line_.erase(0, partial_line_.size() - 4096);
}

std::string monitor::last_output() const {
  std::vector<std::string> lines(last_lines_.begin(), last_lines_.end());
  if (!partial_line_.empty()) lines.push_back(partial_line_.substr(0, 400));
  if (lines.empty()) return {};
  std::string s = "; last output:";
  for (const auto& l : lines) s += "\n    " + l;
  return s;
}

void monitor::spawn_service() {
  // Published before the fork: if we are killed between the fork and the
  // next publish, "starting" with no pid tells status/start/stop to look for
  // an orphaned instance instead of assuming there is none.
  state_ = mstate::starting;
  main_ = process();
  publish();
  auto so = build_spawn();
  result<process> p = so ? spawn(*so) : result<process>(std::move(so).err());
  auto now = clock::now();
  tracker_.started(now);
  if (!p) {
    std::string why = p.err().message();
    // As a shell reports it: 127 when the program could not be executed,
    // 126 when setting up its process failed (run exits with this).
    start_failure_code_ = why.rfind("cannot execute", 0) == 0 ? 127 : 126;
    if (launcher_pending_) {
      fail_start(why);
      return;
    }
    say(why);
    exit_status st;
    st.code = 127;
    last_exit_ = st;
    main_status_.reset();
    state_ = mstate::running;  // as if it had run and exited at once
    on_main_exit(st);
    return;
  }
  main_ = std::move(*p);
  main_status_.reset();
  reloading_ = false;
  stopping_announced_ = false;
  main_started_at_ = unix_now();
  auto ps = read_proc_stat(main_.pid());
  main_start_ticks_ = ps ? ps->start_ticks : 0;
  (void)lock_.rewrite(main_.pid());
  if (tracker_.restarts() > 0) say("started again (pid " + std::to_string(main_.pid()) + ")");
  if (cfg_.ready == ready_mode::exec) {
    on_ready();
    return;
  }
  state_ = mstate::starting;
  deadline_ = now + cfg_.ready_timeout;
  publish();
}

void monitor::on_ready() {
  switch (state_) {
    case mstate::starting:
    case mstate::running:
    case mstate::backoff:
      state_ = mstate::running;
      deadline_.reset();
      publish();
      if (launcher_pending_ && launcher_ != nullptr) (void)launcher_->ready(main_.pid());
      launcher_pending_ = false;
      if (!parent_notify_.empty()) {
        (void)notify_to(parent_notify_, "READY=1\nMAINPID=" + std::to_string(::getpid()));
      }
      return;
    case mstate::stopping:
    case mstate::done: return;
  }
}

void monitor::fail_start(const std::string& why) {
  if (launcher_ != nullptr) launcher_->fail(why);
  else say(why);
  launcher_pending_ = false;
  failed_ = true;
  if (main_.valid() && !tree_empty()) {
    // Do not leave a half-started service behind a failed start.
    stop_requested_ = true;
    state_ = mstate::stopping;
    publish();
    kill_tree();
    return;
  }
  finish(true);
}

void monitor::on_main_exit(exit_status st) {
  last_exit_ = st;
  main_ = process();
  switch (state_) {
    case mstate::starting:
      if (launcher_pending_) {
        // Collect what it printed on its way out, for the start's error message.
        for (int i = 0; i < 4; ++i) {
          if (out_rd_) read_output(out_rd_.get(), out_log_ ? &*out_log_ : nullptr);
          if (err_rd_) read_output(err_rd_.get(), err_log_ ? &*err_log_ : nullptr);
        }
        fail_start(st.describe() + " before it was ready" + last_output());
        return;
      }
      [[fallthrough]];
    case mstate::running: {
      say(st.describe());
      auto delay = tracker_.on_exit(st, clock::now());
      pending_delay_ = delay;
      pending_decided_ = true;
      if (cfg_.kill == kill_mode::group && !tree_empty()) {
        // Leftover processes (a master's workers) would hold ports and files
        // the next instance needs: stop them first.
        state_ = mstate::stopping;
        stop_phase_ = stop_phase::signalled;
        deadline_ = clock::now() + cfg_.stop_timeout;
        publish();  // before the sweep: status tells the truth while it runs
        signal_tree(cfg_.stop_signal);
        return;
      }
      apply_respawn_decision();
      return;
    }
    case mstate::stopping: on_tree_maybe_empty(); return;
    case mstate::backoff:
    case mstate::done: return;
  }
}

void monitor::apply_respawn_decision() {
  pending_decided_ = false;
  auto delay = pending_delay_;
  pending_delay_.reset();
  if (stop_requested_) {
    finish(false);
    return;
  }
  if (!delay) {
    if (tracker_.gave_up()) {
      say("gave up: restarted too often (" + std::to_string(cfg_.respawn.limit) + " starts within " +
          std::to_string(cfg_.respawn.window.count()) + "ms)");
      finish(true);
    } else {
      finish(false);
    }
    return;
  }
  state_ = mstate::backoff;
  deadline_ = clock::now() + *delay;
  if (delay->count() > 0) say("restarting in " + std::to_string(delay->count()) + "ms");
  publish();
  if (delay->count() == 0) {
    deadline_.reset();
    spawn_service();
  }
}

void monitor::on_stop_request(int sig, std::optional<milliseconds> timeout) {
  switch (state_) {
    case mstate::backoff:
      stop_requested_ = true;
      finish(false);
      return;
    case mstate::stopping:
      // In the foreground each TERM/INT is forwarded: a service that handles
      // the first one (INT) must still see the next (TERM).
      if (opts_.foreground && main_.valid()) (void)main_.signal(sig);
      stop_requested_ = true;  // a cleanup stop becomes the final one
      // Asked again while processes remain: try SIGKILL on them once more.
      if (stop_phase_ == stop_phase::overdue) on_tree_maybe_empty();
      return;
    case mstate::starting:
    case mstate::running:
      stop_requested_ = true;
      state_ = mstate::stopping;
      stop_phase_ = stop_phase::signalled;
      deadline_ = clock::now() + timeout.value_or(cfg_.stop_timeout);
      publish();  // before the sweep: status tells the truth while it runs
      if (!parent_notify_.empty()) (void)notify_to(parent_notify_, "STOPPING=1");
      signal_tree(sig);
      on_tree_maybe_empty();
      return;
    case mstate::done: return;
  }
}

void monitor::on_deadline() {
  deadline_.reset();
  switch (state_) {
    case mstate::starting:
      if (launcher_pending_) {
        fail_start("did not become ready within " + format_duration(cfg_.ready_timeout) + last_output());
        return;
      }
      say("did not become ready within " + format_duration(cfg_.ready_timeout) + "; restarting");
      state_ = mstate::stopping;
      pending_delay_ = tracker_.on_exit(exit_status{false, 1, false}, clock::now());
      pending_decided_ = true;
      publish();
      kill_tree();
      return;
    case mstate::backoff: spawn_service(); return;
    case mstate::stopping:
      switch (stop_phase_) {
        case stop_phase::signalled:
          say("still running after " + format_duration(cfg_.stop_timeout) + "; sending SIGKILL");
          kill_tree();
          return;
        case stop_phase::killing:
          // One more sweep counts what is left (and publishes it).
          stop_phase_ = stop_phase::overdue;
          on_tree_maybe_empty();
          if (state_ != mstate::stopping || remaining_.empty()) return;  // emptied, or about to
          if (pending_decided_ && !stop_requested_) {
            // Before a respawn: the next instance may still start; the
            // leftovers stay below us and the next stop sweeps them again.
            say(describe_remaining(remaining_) + "; giving up on them");
            remaining_.clear();
            apply_respawn_decision();
            return;
          }
          say(describe_remaining(remaining_) + "; still stopping");
          return;
        case stop_phase::overdue: return;  // no deadline: only deaths move it on
      }
      return;
    case mstate::running:
    case mstate::done: return;
  }
}

void monitor::on_tree_maybe_empty() {
  if (state_ != mstate::stopping) return;
  switch (stop_phase_) {
    case stop_phase::signalled:
      if (main_.valid()) return;
      if (cfg_.kill == kill_mode::group && !tree_empty()) return;
      break;
    case stop_phase::killing:
    case stop_phase::overdue: {
      auto left = signal_tree(SIGKILL).live;
      bool empty = left.empty() && !main_.valid();
      if (stop_phase_ == stop_phase::overdue && !empty && left != remaining_) {
        remaining_ = std::move(left);
        publish();
      }
      if (!empty) return;
      break;
    }
  }
  deadline_.reset();
  remaining_.clear();
  if (pending_decided_ && !stop_requested_) {
    apply_respawn_decision();
    return;
  }
  finish(failed_);
}

void monitor::finish(bool failed) {
  failed_ = failed;
  state_ = mstate::done;
  deadline_.reset();
}

// We are a child subreaper, so every orphan of the service is reparented to
// us, and a process's children are reparented before its parent learns of
// its death: the tree is empty exactly when we have no live child but the
// keeper. That reads our children only, not the whole tree.
bool monitor::tree_empty() const {
  for (const auto& st : list_children(::getpid())) {
    if (st.pid != keeper_ && st.state != 'Z' && st.state != 'X') return false;
  }
  return true;
}

// The service's processes: below us, and neither us nor the keeper.
bool monitor::is_service_process(pid_t pid) const {
  return pid > 1 && pid != ::getpid() && pid != keeper_ && is_descendant(pid, ::getpid());
}

// Sends sig to the main process and, in kill mode group, once to every other
// process of the tree (signal_descendants: one walk, a pidfd each, linear).
// Returns the live processes it found: those of the tree, or in kill mode
// process the main process alone.
tree_signal_report monitor::signal_tree(int sig) {
  tree_signal_report swept;
  if (main_.valid() && !main_.exited()) {
    swept.live.push_back(main_.pid());
    if (auto r = main_.signal(sig); !r) swept.refused.push_back(main_.pid());
  }
  if (cfg_.kill == kill_mode::process) return swept;
  std::vector<pid_t> spare;
  if (keeper_ > 0) spare.push_back(keeper_);
  if (main_.valid()) spare.push_back(main_.pid());  // signalled once, above
  auto others = signal_descendants(::getpid(), sig, spare);
  swept.live.insert(swept.live.end(), others.live.begin(), others.live.end());
  swept.refused.insert(swept.refused.end(), others.refused.begin(), others.refused.end());
  return swept;
}

void monitor::kill_tree() {
  stop_phase_ = stop_phase::killing;
  deadline_ = clock::now() + k_kill_wait;
  signal_tree(SIGKILL);
}

// A child exited. While stopping, a death may empty the tree (and every
// death in it reaches us as SIGCHLD sooner or later: the last process left is
// always our child); deaths are taken in batches there (see sweep_at_).
void monitor::on_child_exit() {
  switch (state_) {
    case mstate::stopping:
      if (clock::now() < sweep_allowed_at_) {
        if (!sweep_at_) sweep_at_ = sweep_allowed_at_;
        return;
      }
      reap_and_sweep();
      return;
    case mstate::starting:
    case mstate::running:
    case mstate::backoff:
    case mstate::done: reap_children(); return;
  }
}

void monitor::reap_and_sweep() {
  auto began = clock::now();
  sweep_at_.reset();
  reap_children();
  on_tree_maybe_empty();
  auto now = clock::now();
  sweep_allowed_at_ = now + (now - began);
}

// Reaps every child that has exited; returns how many.
int monitor::reap_children() {
  int reaped = 0;
  for (;;) {
    int status = 0;
    pid_t p = sys::waitpid(-1, &status, WNOHANG);
    if (p <= 0) break;
    ++reaped;
    if (main_.valid() && p == main_.pid()) main_status_ = exit_status::from_wait_status(status);
    if (p == keeper_) keeper_ = 0;
  }
  return reaped;
}

// Handles the pending signals; true if SIGCHLD was among them (a child
// exited: the caller reaps).
bool monitor::read_signals() {
  struct signalfd_siginfo si[8];
  bool child_exited = false;
  for (;;) {
    ssize_t n = sys::read(sigfd_.get(), si, sizeof si);
    if (n <= 0) return child_exited;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof si[0]; ++i) {
      int sig = static_cast<int>(si[i].ssi_signo);
      if (sig == SIGCHLD) {
        child_exited = true;
        continue;
      }
      if (sig == SIGTERM || sig == SIGINT) {
        std::optional<milliseconds> timeout;
        if (si[i].ssi_code == SI_QUEUE && si[i].ssi_int > 0) timeout = milliseconds(si[i].ssi_int);
        int stop_sig = opts_.foreground ? sig : cfg_.stop_signal;
        if (opts_.foreground && sig == SIGINT && cfg_.stop_signal != SIGTERM) stop_sig = cfg_.stop_signal;
        on_stop_request(stop_sig, timeout);
        continue;
      }
      if (sig == reopen_logs_signal()) {
        if (out_log_) (void)out_log_->reopen();
        if (err_log_) (void)err_log_->reopen();
        continue;
      }
      if (!main_.valid()) continue;
      if (sig == SIGHUP) {
        (void)main_.signal(cfg_.reload_signal);
      } else {
        (void)main_.signal(sig);  // QUIT, USR1, USR2
      }
    }
  }
}

void monitor::read_output(int fd, log_file* log) {
  char buf[65536];
  for (int round = 0; round < 16; ++round) {
    ssize_t n = sys::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    std::string_view chunk(buf, static_cast<size_t>(n));
    if (log != nullptr) (void)log->write(chunk);
    if (launcher_pending_) remember_output(chunk);
    if (static_cast<size_t>(n) < sizeof buf) return;
  }
}

void monitor::read_notify() {
  for (;;) {
    char buf[4096];
    char control[CMSG_SPACE(sizeof(struct ucred))];
    iovec iov{buf, sizeof buf - 1};
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
      n = ::recvmsg(notify_fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return;
    if (static_cast<size_t>(n) >= sizeof buf) continue;  // oversized: drop
    const struct ucred* cred = nullptr;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        cred = reinterpret_cast<const struct ucred*>(CMSG_DATA(c));
      }
    }
    if (cred == nullptr) continue;
    // Accept only the service's user (or root), and from it only the
    // service's own processes, or (for a sender that already exited, like
    // systemd-notify) a process that is gone. Checked upwards from the
    // sender (O(depth)): a flood of datagrams costs no walk of the tree.
    uid_t service_uid = change_identity_ ? creds_.uid : ::getuid();
    bool same_user = cred->uid == service_uid || cred->uid == 0;
    if (!same_user) continue;
    if (!is_service_process(cred->pid) && read_proc_stat(cred->pid)) continue;

    auto m = parse_notify_message(std::string_view(buf, static_cast<size_t>(n)));
    if (m.status) {
      status_text_ = *m.status;  // bounded by the parser (max_status_text)
      publish();
    }
    if (m.mainpid && *m.mainpid != (main_.valid() ? main_.pid() : 0)) adopt_main(*m.mainpid);
    if (m.extend_timeout_usec && state_ == mstate::starting) deadline_ = after_usec(*m.extend_timeout_usec);
    if (m.errno_value && !m.ready) {
      // Appended whole or not at all: status_text stays within its bound
      // however many datagrams say ERRNO=.
      std::string note =
          (status_text_.empty() ? "" : " ") + std::string("(errno ") + std::to_string(*m.errno_value) + ")";
      if (status_text_.size() + note.size() <= max_status_text) {
        status_text_ += note;
        publish();
      }
    }
    if (m.reloading || m.stopping || (m.ready && reloading_)) {
      reloading_ = m.reloading && !m.ready;
      stopping_announced_ = stopping_announced_ || m.stopping;
      publish();
    }
    if (m.ready && state_ == mstate::starting) on_ready();
  }
}

// MAINPID=: the service names another of its processes as the main one.
// Pinned by a pidfd first, then checked (a process of the service, never us
// or the keeper, whose death would go unnoticed while the real main process's
// exit went unseen), then checked alive: so the check was about that process.
void monitor::adopt_main(pid_t pid) {
  auto p = process::open(pid);
  if (!p || !is_service_process(pid) || p->exited()) {
    say("ignoring MAINPID=" + std::to_string(pid) + ": not a process of this service");
    return;
  }
  main_ = std::move(*p);
  main_status_.reset();
  auto ps = read_proc_stat(main_.pid());
  main_start_ticks_ = ps ? ps->start_ticks : 0;
  (void)lock_.rewrite(main_.pid());
  publish();
}

void monitor::read_ready_fd() {
  char buf[256];
  for (;;) {
    ssize_t n = sys::read(ready_rd_.get(), buf, sizeof buf);
    if (n < 0) return;
    if (n == 0) {
      // Closed without a newline: not ready; keep waiting for exit or timeout.
      ready_rd_.reset();
      return;
    }
    if (std::memchr(buf, '\n', static_cast<size_t>(n)) != nullptr) {
      ready_rd_.reset();
      if (state_ == mstate::starting) on_ready();
      return;
    }
  }
}

int monitor::run() {
  if (auto r = setup(); !r) {
    fail_start(r.err().message());
    return 1;
  }
  if (opts_.on_locked) {
    if (auto r = opts_.on_locked(); !r) {
      fail_start(r.err().message());
      return 1;
    }
  }
  spawn_service();

  while (state_ != mstate::done) {
    struct pollfd pfd[6];
    nfds_t n = 0;
    auto add = [&](int fd) {
      pfd[n] = {fd, POLLIN, 0};
      return n++;
    };
    nfds_t i_sig = add(sigfd_.get());
    nfds_t i_main = add(main_.valid() ? main_.pidfd() : -1);
    nfds_t i_out = add(out_rd_ ? out_rd_.get() : -1);
    nfds_t i_err = add(err_rd_ ? err_rd_.get() : -1);
    nfds_t i_notify = add(notify_fd_ ? notify_fd_.get() : -1);
    nfds_t i_ready = add(ready_rd_ ? ready_rd_.get() : -1);
    sys::deadline d;
    d.at = deadline_;
    if (sweep_at_ && (!d.at || *sweep_at_ < *d.at)) d.at = sweep_at_;
    int r = sys::poll(pfd, n, d);
    if (r < 0) {
      say(std::string("poll failed: ") + sys::errno_text(errno));
      break;
    }
    if (pfd[i_out].revents != 0) read_output(out_rd_.get(), out_log_ ? &*out_log_ : nullptr);
    if (pfd[i_err].revents != 0) read_output(err_rd_.get(), err_log_ ? &*err_log_ : nullptr);
    bool child_exited = pfd[i_sig].revents != 0 && read_signals();
    if (pfd[i_notify].revents != 0) read_notify();
    if (pfd[i_ready].revents != 0 && ready_rd_) read_ready_fd();
    if (main_.valid() && (pfd[i_main].revents != 0 || main_status_)) {
      if (main_status_ || main_.exited()) {
        std::optional<exit_status> st = main_status_;
        if (!st) {
          int status = 0;
          if (sys::waitpid(main_.pid(), &status, WNOHANG) == main_.pid()) st = exit_status::from_wait_status(status);
        }
        // A MAINPID that is not our child: its status went to its parent.
        on_main_exit(st.value_or(exit_status{false, 255, false}));
      }
    }
    if (child_exited) on_child_exit();
    if (sweep_at_ && clock::now() >= *sweep_at_) reap_and_sweep();
    if (deadline_ && clock::now() >= *deadline_) on_deadline();
  }

  // Drain what the service wrote last, then close the books.
  if (out_rd_) read_output(out_rd_.get(), out_log_ ? &*out_log_ : nullptr);
  if (err_rd_) read_output(err_rd_.get(), err_log_ ? &*err_log_ : nullptr);
  if (out_log_) (void)out_log_->flush();
  if (err_log_) (void)err_log_->flush();
  if (launcher_pending_ && launcher_ != nullptr) launcher_->fail("stopped before it was ready");
  main_ = process();
  publish();
  lock_.release();
  if (opts_.foreground) return last_exit_ ? last_exit_->shell_code() : (failed_ ? start_failure_code_ : 0);
  return failed_ ? 1 : 0;
}

}  // namespace

int run_monitor(const monitor_options& options, pidfile lock, daemonized* launcher) {
  monitor m(options, std::move(lock), launcher);
  return m.run();
}

}  // namespace daemonkit
