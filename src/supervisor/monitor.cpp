// SPDX-License-Identifier: MIT
// The monitor's loop: it collects events from the kernel, feeds them to the
// state machine (machine.hpp) and performs the actions the machine returns.
// What each concept does lives beside it: the service's processes in
// service_tree, its output and the keeper in service_output, sd_notify in
// notify_server, the signal policy in monitor_signals, checks in
// service_checks; the inputs are taken in monitor_inputs.cpp.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "daemonkit/detail/proc.hpp"
#include "daemonkit/notify.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/service_state.hpp"
#include "supervisor/monitor_loop.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor {

namespace {}  // namespace

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

namespace {

std::string join_command(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

}  // namespace

machine_config machine_config_of(const monitor_options& o) {
  const service_config& c = o.service;
  machine_config m;
  m.group = c.kill != kill_mode::process;
  m.stop_main_only = c.kill == kill_mode::mixed;
  m.foreground = o.foreground;
  switch (c.ready) {
    case ready_mode::exec: m.ready = machine_config::readiness::exec; break;
    case ready_mode::notify:
    case ready_mode::fd: m.ready = machine_config::readiness::notified; break;
    case ready_mode::check: m.ready = machine_config::readiness::check; break;
    case ready_mode::pidfile: m.ready = machine_config::readiness::pidfile; break;
  }
  if (c.health) {
    m.health = true;
    m.health_check = to_string(*c.health);
    m.health_interval = c.health_interval;
    m.health_retries = c.health_retries;
  }
  m.ready_timeout = c.ready_timeout;
  m.stop_timeout = c.stop_timeout;
  m.stop_signal = c.stop_signal;
  m.respawn = c.respawn;
  return m;
}

result<void> monitor::setup() {
  if (auto r = signals_.install(opts_.foreground); !r) return r;
  if (opts_.foreground) terminal_.open();
  // Orphaned descendants of the service come back to us, so the whole tree
  // can be stopped and reaped.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return system_error("cannot become a child subreaper");

  if (cfg_.user) {
    // Looked up once per start (by run_monitor or the caller), never here:
    // the monitor program makes no name lookups (monitor_options::identity).
    if (lookup_error_ != nullptr) return *lookup_error_;
    if (!opts_.identity) {
      return make_error(errc::invalid_argument, "the service's user '" + format_user_spec(*cfg_.user) +
                                                    "' was not looked up before the monitor");
    }
    creds_ = *opts_.identity;
    change_identity_ = true;
  }
  if (const char* n = std::getenv("NOTIFY_SOCKET"); n != nullptr && opts_.foreground) parent_notify_ = n;
  if (auto r = output_.open(cfg_, service_user(), opts_.foreground); !r) return r;
  if (cfg_.ready == ready_mode::notify) {
    notify_.emplace();
    if (auto r = notify_->open(cfg_.name); !r) return r;
  }
  tree_.set_keeper(output_.start_keeper(cfg_, service_user()));
  if (!cfg_.runtime_dir.empty()) {
    uid_t uid = change_identity_ ? creds_.uid : ::getuid();
    gid_t gid = change_identity_ ? creds_.gid : ::getgid();
    if (auto r = runtime_dir_.make(runtime_dir_path(cfg_.runtime_dir), uid, gid); !r) return r;
  }
  if (cfg_.ready == ready_mode::fd) {
    int fds[2];
    if (sys::pipe(fds, O_NONBLOCK) != 0) return system_error("cannot create the readiness pipe");
    ready_rd_.reset(fds[0]);
    ready_wr_.reset(fds[1]);
  }
  return {};
}

result<spawn_options> monitor::build_spawn() const {
  spawn_options so;
  so.argv = cfg_.argv;
  for (const auto& e : cfg_.env) {
    if (e.rfind("NOTIFY_SOCKET=", 0) != 0) so.env.push_back(e);
  }
  if (notify_) so.env.push_back("NOTIFY_SOCKET=" + notify_->address());
  if (!runtime_dir_.path().empty()) so.env.push_back("RUNTIME_DIRECTORY=" + runtime_dir_.path());
  so.working_directory = cfg_.working_directory;
  so.umask = cfg_.umask;
  so.chroot = cfg_.chroot;
  so.change_identity = change_identity_;
  so.identity = creds_;
  so.nice = cfg_.nice;
  so.rlimits = cfg_.rlimits;
  // At a terminal the service is a job in the monitor's session, in the
  // terminal's foreground; else it leads a session of its own. Either way it
  // stays below the monitor, which finds its processes by descent.
  so.new_session = terminal_.fd() < 0;
  so.new_process_group = !so.new_session;
  so.foreground_terminal = terminal_.fd();
  so.stdin_fd = opts_.foreground ? 0 : -1;
  if (!cfg_.passthrough) {
    so.stdout_fd = output_.stdout_for_service();
    so.stderr_fd = output_.stderr_for_service();
  }
  if (ready_wr_) so.extra_fds.emplace_back(ready_wr_.get(), cfg_.ready_fd);
  return so;
}

// A cmd check runs as the service does: its user, environment (without the
// notify socket: a check must not report readiness) and working directory.
probe_context monitor::check_context() const {
  probe_context ctx;
  ctx.user = service_user();
  for (const auto& e : cfg_.env) {
    if (e.rfind("NOTIFY_SOCKET=", 0) != 0) ctx.env.push_back(e);
  }
  ctx.working_directory = cfg_.working_directory;
  return ctx;
}

// Runs the machine on e and on every answer its actions give, in order.
void monitor::dispatch(event e) {
  std::deque<event> queue;
  queue.push_back(std::move(e));
  while (!queue.empty()) {
    auto step = transition(std::move(state_), queue.front(), mcfg_);
    queue.pop_front();
    state_ = std::move(step.next);
    for (const auto& a : step.actions) {
      if (auto answer = perform(a)) queue.push_back(std::move(*answer));
    }
  }
  // A failed start's message quotes the service's last lines of output.
  output_.remember(state_.start_pending);
  // A try the machine no longer waits for (its phase was left) is ended.
  if (checks_.running() && !state_.trying) checks_.cancel();
}

std::optional<event> monitor::perform(const action& a) {
  switch (a.what) {
    case act::publish: publish(); return std::nullopt;
    case act::spawn: return spawn_instance();
    case act::signal_tree: {
      auto swept = tree_.signal(main_, a.sig);
      if (a.report) return ev::swept{clock::now(), std::move(swept.live)};
      return std::nullopt;
    }
    case act::signal_main:
      if (main_.valid()) (void)signal_main(main_, a.sig);
      return std::nullopt;
    case act::check_tree: return ev::tree_checked{tree_.empty()};
    case act::say: say(a.text); return std::nullopt;
    case act::announce_restart: say("started again (pid " + std::to_string(main_.pid()) + ")"); return std::nullopt;
    case act::collect_output: output_.collect(); return std::nullopt;
    case act::report_ready:
      if (launcher_ != nullptr) (void)launcher_->ready(main_.pid());
      return std::nullopt;
    case act::report_failure: {
      std::string why = a.text + (a.with_output ? output_.last_output() : "");
      if (launcher_ != nullptr) launcher_->fail(why);
      else say(why);
      return std::nullopt;
    }
    case act::notify_ready:
      if (!parent_notify_.empty()) (void)notify_to(parent_notify_, "READY=1\nMAINPID=" + std::to_string(::getpid()));
      return std::nullopt;
    case act::notify_stopping:
      if (!parent_notify_.empty()) (void)notify_to(parent_notify_, "STOPPING=1");
      return std::nullopt;
    case act::ready_try: {
      if (cfg_.ready == ready_mode::pidfile) return pidfile_try();
      if (!cfg_.ready_check) return ev::probed{clock::now(), false, false, "no readiness check"};
      // Each try is bounded by 5 s or what is left of the ready timeout.
      auto left = state_.deadline ? std::chrono::duration_cast<milliseconds>(*state_.deadline - clock::now())
                                  : cfg_.ready_timeout;
      return checks_.start(*cfg_.ready_check, check_context(), std::min(left, milliseconds(5000)));
    }
    case act::health_try:
      if (!cfg_.health) return ev::probed{clock::now(), false, false, "no health check"};
      return checks_.start(*cfg_.health, check_context(), cfg_.health_timeout);
  }
  return std::nullopt;
}

event monitor::spawn_instance() {
  main_ = process();
  main_status_.reset();
  auto so = build_spawn();
  result<process> p = so ? spawn(*so) : result<process>(std::move(so).err());
  auto now = clock::now();
  if (!p) {
    // As a shell reports it: 127 when the program could not be executed,
    // 126 when setting up its process failed (run exits with this).
    return ev::spawn_failed{now, p.err().message(), shell_code(spawn_failure_of(p.err())), tree_.empty()};
  }
  main_ = std::move(*p);
  main_started_at_ = unix_now();
  auto ps = read_proc_stat(main_.pid());
  main_start_ticks_ = ps ? ps->start_ticks : 0;
  (void)lock_.rewrite(main_.pid());
  return ev::spawned{now, main_.pid()};
}

std::optional<process> monitor::kill_keeper() {
  auto keeper = process::open(tree_.keeper());
  tree_.set_keeper(0);
  if (!keeper) return std::nullopt;
  (void)keeper->signal(SIGKILL);
  return std::move(*keeper);
}

void monitor::publish() {
  if (!opts_.state_path.empty()) write_state();  // none for `run --no-state`
  published_ = true;
}

void monitor::write_state() const {
  service_state s;
  s.name = cfg_.name;
  s.phase = published_phase(state_);
  s.monitor_pid = ::getpid();
  s.keeper_pid = tree_.keeper();
  s.pid = main_.valid() ? main_.pid() : 0;
  s.pid_start_ticks = main_.valid() ? main_start_ticks_ : 0;
  s.started_at = main_.valid() ? main_started_at_ : 0;
  s.monitor_started_at = monitor_started_at_;
  s.written_ticks = boot_clock_ticks();
  s.restarts = state_.tracker.restarts();
  if (state_.last_exit) {
    s.last_exit = state_.last_exit->describe();
    s.last_exit_code = state_.last_exit->shell_code();
  }
  s.status_text = status_text_;
  s.command = join_command(cfg_.argv);
  s.remaining = static_cast<unsigned>(state_.remaining.size());
  s.escalated = state_.escalated;
  switch (state_.health) {
    case health_state::none: s.health = service_health::none; break;
    case health_state::starting: s.health = service_health::starting; break;
    case health_state::healthy: s.health = service_health::healthy; break;
    case health_state::unhealthy: s.health = service_health::unhealthy; break;
  }
  if (!state_.last_exit_note.empty()) s.last_exit = state_.last_exit_note;
  (void)write_service_state(opts_.state_path, s);
}

int monitor::run() {
  if (auto r = setup(); !r) {
    dispatch(ev::setup_failed{r.err().message()});
    return 1;
  }
  if (!opts_.config_path.empty()) {
    if (auto r = write_service_config(opts_.config_path, cfg_); !r) {
      dispatch(ev::setup_failed{r.err().message()});
      return 1;
    }
  }
  if (opts_.on_locked) {
    if (auto r = opts_.on_locked(); !r) {
      dispatch(ev::setup_failed{r.err().message()});
      return 1;
    }
  }
  dispatch(ev::begin{});

  while (!is_final(state_.at)) {
    struct pollfd pfd[7];
    nfds_t n = 0;
    auto add = [&](int fd) {
      pfd[n] = {fd, POLLIN, 0};
      return n++;
    };
    nfds_t i_sig = add(signals_.fd());
    nfds_t i_main = add(main_.valid() ? main_.pidfd() : -1);
    nfds_t i_out = add(output_.out_fd());
    nfds_t i_err = add(output_.err_fd());
    nfds_t i_notify = add(notify_ ? notify_->fd() : -1);
    nfds_t i_ready = add(ready_rd_ ? ready_rd_.get() : -1);
    nfds_t i_check = add(checks_.fd());
    pfd[i_check].events = checks_.events();
    sys::deadline d;
    for (auto at : {state_.deadline, sweep_at_, state_.try_at, checks_.deadline()}) {
      if (at && (!d.at || *at < *d.at)) d.at = at;
    }
    // About to sleep after a published change: give back what set-up or the
    // change used and freed (idle_memory.hpp), here where the stack is
    // shallow. Only once nothing is ready, so that a service sending a
    // flood of STATUS= does not make the monitor trim at every datagram.
    if (published_ && sys::poll(pfd, n, sys::deadline::after(std::chrono::nanoseconds(0))) == 0) {
      published_ = false;
      idle_.release();
    }
    if (sys::poll(pfd, n, d) < 0) {
      say(std::string("poll failed: ") + sys::errno_text(errno));
      break;
    }
    if (pfd[i_out].revents != 0) output_.read_out();
    if (pfd[i_err].revents != 0) output_.read_err();
    bool child_exited = pfd[i_sig].revents != 0 && on_signals();
    if (pfd[i_notify].revents != 0) read_notify();
    if (pfd[i_ready].revents != 0 && ready_rd_) read_ready_fd();
    check_main_exit(pfd[i_main].revents != 0);
    if (checks_.running()) {
      if (auto verdict = checks_.advance(pfd[i_check].revents != 0)) dispatch(std::move(*verdict));
    }
    if (state_.try_at && clock::now() >= *state_.try_at) dispatch(ev::try_due{clock::now()});
    if (child_exited) on_child_exit();
    if (sweep_at_ && clock::now() >= *sweep_at_) reap_and_sweep();
    if (state_.deadline && clock::now() >= *state_.deadline) dispatch(ev::deadline{clock::now()});
  }

  // With nothing of the service left to write to the pipes, the keeper has
  // nothing to keep: it ends before we do, so that once the monitor is gone
  // (what `start` and `stop` wait for) no process of ours is left. Killed
  // first and reaped last, its dying overlaps our closing of the books
  // instead of delaying whoever waits for us.
  std::optional<process> keeper;
  if (tree_.keeper() > 0 && tree_.empty()) keeper = kill_keeper();
  // Drain what the service wrote last, then close the books.
  checks_.cancel();
  output_.flush();
  runtime_dir_.remove();
  if (state_.start_pending && launcher_ != nullptr) launcher_->fail("stopped before it was ready");
  main_ = process();
  terminal_.take_back();
  publish();
  lock_.release();
  if (keeper) (void)keeper->reap();
  return exit_code(state_, opts_.foreground);
}

int run_looked_up_monitor(const monitor_options& options, pidfile lock, daemonized* launcher,
                          const error* lookup_error) {
  monitor m(options, std::move(lock), launcher, lookup_error);
  return m.run();
}

}  // namespace daemonkit::supervisor
