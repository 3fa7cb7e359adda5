// SPDX-License-Identifier: MIT
// The heartbeat example, end to end: started as a user would start it, and
// checked through /proc the way a user's monitoring would see it.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <sys/syscall.h>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace dk_test;

class heartbeat_test : public process_fixture {
 protected:
  // Starts the daemon and returns its pid, checking what start reports.
  pid_t start(const command_options& opts = {}, std::vector<std::string> extra = {}) {
    auto r = heartbeat("start", opts, std::move(extra));
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    EXPECT_EQ(r.err, "");
    pid_t pid = pidfile_pid();
    EXPECT_EQ(r.out, "heartbeat: started (pid " + std::to_string(pid) + ")\n");
    return pid;
  }

  pid_t pidfile_pid() const {
    auto text = read_file(pidfile);
    if (!text || text->empty()) return 0;
    return static_cast<pid_t>(std::stol(*text));
  }

  // The daemon sleeps in poll (inside wait_for) between heartbeats; only
  // there is its state steady, so wait until it is there. /proc/PID/syscall
  // has no change notification: this wait re-checks.
  void wait_until_idle(pid_t pid) {
    ASSERT_TRUE(wait_until(
        [&] {
          long call = current_syscall(pid);
          return call == SYS_poll || call == SYS_ppoll;
        },
        5s))
        << "the daemon never reached poll; it is in syscall " << current_syscall(pid);
  }

  // Waits for a line starting with prefix to appear in the log (inotify).
  bool wait_for_log(std::string_view prefix, size_t count = 1) {
    return wait_until([&] { return count_lines(log, prefix) >= count; }, 10s, events().changes_in(log));
  }
};

TEST_F(heartbeat_test, start_writes_pid_newline_and_holds_the_lock) {
  pid_t pid = start();
  ASSERT_GT(pid, 1);
  EXPECT_EQ(read_file(pidfile), std::to_string(pid) + "\n");
  EXPECT_EQ(lock_holder(pidfile), pid) << "F_GETLK must report the daemon as the lock holder";
  struct stat st {};
  ASSERT_EQ(::stat(pidfile.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  // The starter is gone: the daemon was reparented (to us, the subreaper).
  EXPECT_EQ(read_stat(pid)->ppid, ::getpid());
  // No temporary file is left next to the pidfile.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()), {}), 2) << "expected only pidfile and log";
}

TEST_F(heartbeat_test, daemon_is_not_a_session_leader_and_has_no_controlling_tty) {
  pty terminal;
  command_options opts;
  opts.controlling_tty = terminal.slave();
  // The set-up works: a program started this way does have the terminal.
  auto probe = spawn_command({test_child_path, "pause"}, opts);
  line_reader probe_out(probe.out.get());
  ASSERT_EQ(probe_out.next(5s), "ready");
  ASSERT_NE(read_stat(probe.pid)->tty_nr, 0);
  send_signal_pidfd(probe.pidfd.get(), SIGKILL);
  finish(probe);

  pid_t pid = start(opts);
  auto st = read_stat(pid);
  ASSERT_TRUE(st);
  EXPECT_NE(st->session, pid) << "a session leader could acquire a controlling tty";
  EXPECT_NE(st->session, read_stat(::getpid())->session) << "the daemon must be in a session of its own";
  EXPECT_EQ(st->tty_nr, 0) << "the daemon has a controlling tty";
  EXPECT_NE(st->pgrp, read_stat(::getpid())->pgrp);
}

TEST_F(heartbeat_test, daemon_works_in_root_with_umask_022_whatever_the_starter_had) {
  command_options opts;
  opts.umask = 077;
  opts.cwd = tmp.path();
  pid_t pid = start(opts);
  EXPECT_EQ(cwd_of(pid), "/");
  EXPECT_EQ(umask_of(pid), 022u);
}

TEST_F(heartbeat_test, daemon_has_only_stdio_the_pidfile_and_its_events_fd_open) {
  // The starter inherits stray fds, low and above 1024; none may reach the daemon.
  fd_guard devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  command_options opts;
  opts.inherit_fds = {{devnull.get(), 3},    {devnull.get(), 7},    {devnull.get(), 1023},
                      {devnull.get(), 1024}, {devnull.get(), 1500}, {devnull.get(), 4000}};
  pid_t pid = start(opts);
  wait_until_idle(pid);
  auto fds = fds_of(pid);
  ASSERT_EQ(fds.size(), 5u) << [&] {
    std::string s;
    for (const auto& [fd, target] : fds) s += std::to_string(fd) + " -> " + target + "\n";
    return s;
  }();
  EXPECT_EQ(fds[0], "/dev/null");
  EXPECT_EQ(fds[1], log);
  EXPECT_EQ(fds[2], log);
  auto fourth = std::next(fds.begin(), 3);
  EXPECT_EQ(fourth->second, pidfile) << "the fourth fd must be the pidfile's lock";
  // The Daemon's events fd (what SIGTERM/SIGHUP wake), close-on-exec.
  auto fifth = std::next(fourth);
  EXPECT_EQ(fifth->second, "anon_inode:[eventfd]");
  EXPECT_NE(fd_flags_of(pid, fifth->first) & O_CLOEXEC, 0);
  // stdout and stderr append, so a log shared with others or rotated by
  // copy-truncate is never overwritten.
  EXPECT_NE(fd_flags_of(pid, 1) & O_APPEND, 0);
  EXPECT_NE(fd_flags_of(pid, 2) & O_APPEND, 0);
  EXPECT_EQ(fd_flags_of(pid, 0) & O_ACCMODE, O_RDONLY);
}

TEST_F(heartbeat_test, daemon_has_no_blocked_or_ignored_signals_even_when_the_starter_had) {
  command_options opts;
  opts.ignore_signals = {SIGPIPE, SIGHUP, SIGUSR1, SIGINT, SIGQUIT};
  opts.block_signals = {SIGTERM, SIGUSR2, SIGALRM, SIGHUP, SIGCHLD};
  pid_t pid = start(opts);
  wait_until_idle(pid);
  EXPECT_EQ(signal_mask(pid, "SigBlk"), 0u) << *status_field(pid, "SigBlk");
  EXPECT_EQ(signal_mask(pid, "SigIgn"), 0u) << *status_field(pid, "SigIgn");
  // TERM, INT and HUP are handled by the daemon.
  auto caught = signal_mask(pid, "SigCgt");
  EXPECT_NE(caught & sig_bit(SIGTERM), 0u);
  EXPECT_NE(caught & sig_bit(SIGINT), 0u);
  EXPECT_NE(caught & sig_bit(SIGHUP), 0u);
  // And TERM really reaches it: stop is quick.
  auto t0 = steady::now();
  auto r = heartbeat("stop");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_LT(steady::now() - t0, 5s);
}

TEST_F(heartbeat_test, start_works_when_the_starter_ignores_sigchld) {
  command_options opts;
  opts.ignore_signals = {SIGCHLD};
  pid_t pid = start(opts);
  ASSERT_GT(pid, 1);
  EXPECT_EQ(lock_holder(pidfile), pid);
  EXPECT_TRUE(live_children() == std::vector<pid_t>{pid});
}

TEST_F(heartbeat_test, log_has_the_started_line_then_alive_lines) {
  pid_t pid = start({}, {"--interval", "50ms"});
  ASSERT_TRUE(wait_for_log("Daemon Alive! ", 3)) << read_file(log).value_or("(no log)");
  auto text = read_file(log).value_or("");
  std::istringstream in(text);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "Daemon started with pid " + std::to_string(pid));
  const std::regex alive(
      R"(Daemon Alive! [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4})");
  int alive_lines = 0;
  while (std::getline(in, line)) {
    if (line.empty() && in.peek() == EOF) break;
    EXPECT_TRUE(std::regex_match(line, alive)) << "'" << line << "'";
    ++alive_lines;
  }
  EXPECT_GE(alive_lines, 3);
}

TEST_F(heartbeat_test, status_stop_and_the_pidfile_through_a_whole_life) {
  auto r = heartbeat("status");
  EXPECT_EQ(r.exit_code(), 3) << describe(r);
  EXPECT_EQ(r.out, "heartbeat: not running\n");

  pid_t pid = start();
  fd_guard pidfd(open_pidfd(pid));
  r = heartbeat("status");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "heartbeat: running (pid " + std::to_string(pid) + ")\n");

  r = heartbeat("stop");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "heartbeat: stopped (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(r.err, "");
  // stop returns only once the daemon is gone, and the daemon removed its pidfile.
  EXPECT_TRUE(has_exited(pidfd.get())) << "stop returned while the daemon still ran";
  EXPECT_FALSE(exists(pidfile));
  auto st = reap(pidfd.get());
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->signaled);
  EXPECT_EQ(st->code, 0);

  r = heartbeat("status");
  EXPECT_EQ(r.exit_code(), 3) << describe(r);
  r = heartbeat("stop");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "heartbeat: not running\n");
  r = heartbeat("reload");
  EXPECT_EQ(r.exit_code(), 7) << describe(r);
  EXPECT_EQ(r.err, "heartbeat: not running\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(heartbeat_test, reload_reaches_on_reload) {
  pid_t pid = start();
  for (size_t i = 1; i <= 3; ++i) {
    auto r = heartbeat("reload");
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    EXPECT_EQ(r.out, "heartbeat: reloading (pid " + std::to_string(pid) + ")\n");
    ASSERT_TRUE(wait_for_log("Daemon reloading", i)) << read_file(log).value_or("");
  }
  EXPECT_EQ(lock_holder(pidfile), pid);
  EXPECT_EQ(read_stat(pid)->state != 'Z', true);
}

TEST_F(heartbeat_test, start_of_a_running_daemon_fails_naming_it) {
  pid_t pid = start();
  auto r = heartbeat("start");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "heartbeat: already running (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(read_file(pidfile), std::to_string(pid) + "\n");
  EXPECT_EQ(lock_holder(pidfile), pid);
  // The failed start's own daemon is gone.
  ASSERT_TRUE(wait_until([&] { return live_children() == std::vector<pid_t>{pid}; }, 5s));
}

TEST_F(heartbeat_test, a_stale_pidfile_after_sigkill_does_not_block_start) {
  pid_t old = start();
  {
    fd_guard pidfd(open_pidfd(old));
    ASSERT_EQ(send_signal_pidfd(pidfd.get(), SIGKILL), 0);
    ASSERT_TRUE(wait_exit(pidfd.get(), 5s));
    reap(pidfd.get());
  }
  ASSERT_EQ(read_file(pidfile), std::to_string(old) + "\n") << "SIGKILL leaves the pidfile behind";
  EXPECT_EQ(lock_holder(pidfile), 0);
  auto r = heartbeat("status");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "heartbeat: dead, but pidfile " + pidfile + " exists (stale pid " + std::to_string(old) + ")\n");

  pid_t fresh = start();
  EXPECT_NE(fresh, old);
  EXPECT_EQ(read_file(pidfile), std::to_string(fresh) + "\n");
  EXPECT_EQ(lock_holder(pidfile), fresh);
}

TEST_F(heartbeat_test, twenty_concurrent_starts_give_exactly_one_daemon) {
  std::vector<running_command> starters;
  for (int i = 0; i < 20; ++i) {
    starters.push_back(spawn_command({heartbeat_path, "--pidfile", pidfile, "--log", log, "start"}));
  }
  std::vector<command_result> results;
  for (auto& s : starters) results.push_back(finish(s));
  const pid_t pid = pidfile_pid();
  ASSERT_GT(pid, 1);
  ASSERT_EQ(lock_holder(pidfile), pid);
  int started = 0;
  for (const auto& r : results) {
    if (r.exit_code() == 0) {
      ++started;
      EXPECT_EQ(r.out, "heartbeat: started (pid " + std::to_string(pid) + ")\n");
    } else {
      EXPECT_EQ(r.exit_code(), 1) << describe(r);
      EXPECT_EQ(r.err, "heartbeat: already running (pid " + std::to_string(pid) + ")\n") << describe(r);
      EXPECT_EQ(r.out, "");
    }
  }
  EXPECT_EQ(started, 1);
  // Every loser's daemon has exited: one live daemon remains.
  EXPECT_TRUE(wait_until([&] { return live_children() == std::vector<pid_t>{pid}; }, 5s));
}

TEST_F(heartbeat_test, fifty_back_to_back_restarts_all_succeed) {
  pid_t pid = start();
  for (int i = 0; i < 50; ++i) {
    fd_guard pidfd(open_pidfd(pid));
    auto r = heartbeat("restart");
    ASSERT_EQ(r.exit_code(), 0) << "restart " << i << ": " << describe(r);
    pid_t next = pidfile_pid();
    ASSERT_EQ(r.out, "heartbeat: stopped (pid " + std::to_string(pid) + ")\nheartbeat: started (pid " +
                         std::to_string(next) + ")\n");
    ASSERT_TRUE(has_exited(pidfd.get()));
    auto st = reap(pidfd.get());
    ASSERT_TRUE(st && !st->signaled && st->code == 0);
    ASSERT_EQ(lock_holder(pidfile), next);
    pid = next;
  }
  EXPECT_TRUE(live_children() == std::vector<pid_t>{pid});
}

TEST_F(heartbeat_test, stop_escalates_to_kill_for_a_daemon_that_ignores_term) {
  // A daemon that ignores TERM, holding its pidfile properly; heartbeat's
  // default policy: TERM, 10 s, KILL.
  auto victim = spawn_command({test_child_path, "ignore-term", pidfile});
  line_reader out(victim.out.get());
  ASSERT_EQ(out.next(5s), "ready");
  ASSERT_EQ(lock_holder(pidfile), victim.pid);

  auto t0 = steady::now();
  auto r = heartbeat("stop");
  auto took = steady::now() - t0;
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "heartbeat: stopped (pid " + std::to_string(victim.pid) + ")\n");
  EXPECT_GE(took, 10s);
  EXPECT_LT(took, 14s);
  EXPECT_TRUE(has_exited(victim.pidfd.get())) << "stop returned before the process was gone";
  auto res = finish(victim);
  EXPECT_TRUE(res.status.signaled);
  EXPECT_EQ(res.status.code, SIGKILL);
  EXPECT_FALSE(exists(pidfile)) << "the pidfile of a killed daemon is removed by stop";
}

// A process that reports every signal it receives; a real-time marker signal
// sent last is delivered after any standard signal sent before it, so "the
// first report is the marker" proves nothing else was ever sent.
class signal_watcher {
 public:
  signal_watcher() : proc_(spawn_command({test_child_path, "watch-signals"})), out_(proc_.out.get()) {
    if (out_.next(5s) != "ready") throw std::runtime_error("watch-signals did not start");
  }
  ~signal_watcher() {
    send_signal_pidfd(proc_.pidfd.get(), SIGKILL);
    finish(proc_);
  }
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;
  pid_t pid() const { return proc_.pid; }
  // The signals received so far, checked by sending the marker.
  std::vector<std::string> received() {
    send_signal_pidfd(proc_.pidfd.get(), SIGRTMIN);
    std::vector<std::string> got;
    const std::string marker = "signal " + std::to_string(SIGRTMIN);
    while (auto line = out_.next(5s)) {
      if (*line == marker) return got;
      got.push_back(*line);
    }
    got.emplace_back("(marker never arrived)");
    return got;
  }
  bool alive() const { return !has_exited(proc_.pidfd.get()); }

 private:
  running_command proc_;
  line_reader out_;
};

TEST_F(heartbeat_test, never_signals_an_unrelated_process_named_in_an_unlocked_pidfile) {
  signal_watcher victim;
  const std::string content = std::to_string(victim.pid()) + "\n";
  write_file(pidfile, content);

  auto r = heartbeat("status");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out,
            "heartbeat: dead, but pidfile " + pidfile + " exists (stale pid " + std::to_string(victim.pid()) + ")\n");
  r = heartbeat("stop");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "heartbeat: not running (dead, but pidfile " + pidfile + " exists (stale pid " +
                       std::to_string(victim.pid()) + "))\n");
  r = heartbeat("reload");
  EXPECT_EQ(r.exit_code(), 7) << describe(r);
  EXPECT_EQ(r.err, "heartbeat: not running\n");

  EXPECT_TRUE(victim.alive());
  EXPECT_EQ(victim.received(), std::vector<std::string>{});
  EXPECT_EQ(read_file(pidfile), content) << "stop must not touch a pidfile it did not act on";
}

TEST_F(heartbeat_test, refuses_to_signal_when_the_lock_holder_is_not_the_named_pid) {
  signal_watcher victim;
  auto holder = spawn_command({test_child_path, "hold-lock", pidfile, std::to_string(victim.pid()) + "\n"});
  line_reader holder_out(holder.out.get());
  ASSERT_EQ(holder_out.next(5s), "ready");
  const std::string refusal = "pidfile " + pidfile + " names pid " + std::to_string(victim.pid()) + " but pid " +
                              std::to_string(holder.pid) + " holds its lock; refusing to signal";

  auto r = heartbeat("stop");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "heartbeat: cannot stop: " + refusal + "\n");
  EXPECT_EQ(r.out, "");
  r = heartbeat("reload");
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "heartbeat: cannot reload: " + refusal + "\n");

  EXPECT_EQ(victim.received(), std::vector<std::string>{});
  EXPECT_FALSE(has_exited(holder.pidfd.get()));
  EXPECT_EQ(read_stat(holder.pid)->state, 'S') << "the lock holder was stopped or killed";
  EXPECT_EQ(lock_holder(pidfile), holder.pid);
  send_signal_pidfd(holder.pidfd.get(), SIGKILL);
  finish(holder);
}

TEST_F(heartbeat_test, usage_errors_exit_2_without_output_on_stdout) {
  auto r = run_command({heartbeat_path});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Usage: heartbeat {start|stop|restart|status|reload|run}\n");

  r = run_command({heartbeat_path, "--pidfile", pidfile, "frobnicate"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "heartbeat: Unknown command 'frobnicate'\nUsage: heartbeat {start|stop|restart|status|reload|run}\n");

  r = run_command({heartbeat_path, "--pidfile", pidfile, "start", "stop"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);

  r = run_command({heartbeat_path, "--interval", "soon", "start"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.err, "heartbeat: --interval: invalid duration 'soon'\n");

  r = run_command({heartbeat_path, "--bogus", "start"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_NE(r.err.find("heartbeat: unknown option '--bogus'"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(pidfile));
  EXPECT_TRUE(live_children().empty());
}

TEST_F(heartbeat_test, start_fails_cleanly_when_the_log_cannot_be_opened) {
  const std::string bad_log = tmp.file("missing-dir/x.log");
  auto r = run_command({heartbeat_path, "--pidfile", pidfile, "--log", bad_log, "start"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "heartbeat: cannot open log " + bad_log + ": No such file or directory\n");
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(exists(pidfile));
  EXPECT_TRUE(live_children().empty());
}

TEST_F(heartbeat_test, run_stays_in_the_foreground_and_cleans_up_on_term) {
  auto fg = spawn_command({heartbeat_path, "--pidfile", pidfile, "--log", log, "--interval", "1h", "run"});
  line_reader out(fg.out.get());
  ASSERT_EQ(out.next(5s), "Daemon started with pid " + std::to_string(fg.pid));
  ASSERT_TRUE(out.next(5s).value_or("").starts_with("Daemon Alive! "));
  EXPECT_EQ(read_file(pidfile), std::to_string(fg.pid) + "\n");
  EXPECT_EQ(lock_holder(pidfile), fg.pid);
  auto r = heartbeat("stop");
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(has_exited(fg.pidfd.get()));
  auto res = finish(fg);
  EXPECT_EQ(res.exit_code(), 0) << describe(res);
  EXPECT_FALSE(exists(pidfile));
}

// Garbage pidfiles: each gets a clear answer and an exit code that fits, and
// nothing changes on disk.
struct garbage_case {
  const char* name;
  int status_code;
  int stop_code;
  int reload_code;
  bool start_replaces;  // a regular file that is not locked is stale: start takes it over
};

class garbage_pidfile_test : public heartbeat_test, public ::testing::WithParamInterface<garbage_case> {
 protected:
  // Creates the garbage; returns a description of the on-disk state to compare.
  void make_garbage(const std::string& kind) {
    target_ = tmp.file("precious");
    write_file(target_, "precious data\n");
    if (kind == "empty") write_file(pidfile, "");
    else if (kind == "text") write_file(pidfile, "hello world\n");
    else if (kind == "negative") write_file(pidfile, "-1\n");
    else if (kind == "zero") write_file(pidfile, "0\n");
    else if (kind == "one") write_file(pidfile, "1\n");
    else if (kind == "out_of_range") write_file(pidfile, "99999999\n");
    else if (kind == "huge") write_file(pidfile, std::string(10 * 1024 * 1024, '7'));
    else if (kind == "symlink") ASSERT_EQ(::symlink(target_.c_str(), pidfile.c_str()), 0);
    else if (kind == "directory") ASSERT_EQ(::mkdir(pidfile.c_str(), 0755), 0);
    else FAIL() << kind;
  }
  std::string snapshot() const {
    struct stat st {};
    std::string s;
    if (::lstat(pidfile.c_str(), &st) == 0) {
      s = std::to_string(st.st_ino) + " " + std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
          std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    }
    s += "|" + read_file(target_).value_or("(gone)") + "|" + read_link(pidfile);
    if (S_ISREG(st.st_mode)) s += "|" + std::to_string(std::hash<std::string>{}(read_file(pidfile).value_or("")));
    return s;
  }
  std::string target_;
};

TEST_P(garbage_pidfile_test, gets_a_clear_answer_and_changes_nothing) {
  const auto& c = GetParam();
  make_garbage(c.name);
  const std::string before = snapshot();

  auto r = heartbeat("status");
  EXPECT_EQ(r.exit_code(), c.status_code) << describe(r);
  if (c.status_code == 1) {
    EXPECT_EQ(r.out, "heartbeat: dead, but pidfile " + pidfile + " exists (invalid content)\n");
  } else {
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("heartbeat: cannot tell status: pidfile " + pidfile)) << r.err;
  }
  r = heartbeat("stop");
  EXPECT_EQ(r.exit_code(), c.stop_code) << describe(r);
  if (c.stop_code == 0) {
    EXPECT_EQ(r.out, "heartbeat: not running (dead, but pidfile " + pidfile + " exists (invalid content))\n");
  } else {
    EXPECT_TRUE(r.err.starts_with("heartbeat: cannot stop: pidfile " + pidfile)) << r.err;
  }
  r = heartbeat("reload");
  EXPECT_EQ(r.exit_code(), c.reload_code) << describe(r);
  if (c.reload_code == 7) {
    EXPECT_EQ(r.err, "heartbeat: not running\n");
  } else {
    EXPECT_TRUE(r.err.starts_with("heartbeat: cannot reload: pidfile " + pidfile)) << r.err;
  }
  EXPECT_EQ(snapshot(), before) << "the pidfile or what it points to changed";
  EXPECT_TRUE(live_children().empty());

  r = heartbeat("start");
  if (c.start_replaces) {
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    EXPECT_EQ(lock_holder(pidfile), pidfile_pid());
  } else {
    EXPECT_EQ(r.exit_code(), 1) << describe(r);
    EXPECT_TRUE(r.err.starts_with("heartbeat: ")) << r.err;
    EXPECT_NE(r.err.find(pidfile), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(snapshot(), before) << "a refused start changed the pidfile or what it points to";
    EXPECT_TRUE(wait_until([] { return live_children().empty(); }, 5s));
  }
}

INSTANTIATE_TEST_SUITE_P(kinds, garbage_pidfile_test,
                         ::testing::Values(garbage_case{"empty", 1, 0, 7, true}, garbage_case{"text", 1, 0, 7, true},
                                           garbage_case{"negative", 1, 0, 7, true}, garbage_case{"zero", 1, 0, 7, true},
                                           garbage_case{"one", 1, 0, 7, true},
                                           garbage_case{"out_of_range", 1, 0, 7, true},
                                           garbage_case{"huge", 1, 0, 7, true}, garbage_case{"symlink", 4, 1, 1, false},
                                           garbage_case{"directory", 4, 1, 1, false}),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
