// SPDX-License-Identifier: MIT
// daemonkit run as a container's PID 1, done as tini does it: in a PID
// namespace of its own (unshare --pid --fork --mount-proc), with a terminal
// the way `docker run -it` gives one (a pty whose slave is the controlling
// terminal of the session PID 1 leads: setsid --ctty), run reaps every
// orphan, forwards signals, gives the terminal's foreground to the service
// (so ^C and window size changes reach it), exits with its status, and runs
// on a read-only root without a state directory.
#include <gtest/gtest.h>

#include <sys/ioctl.h>
#include <termios.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

const std::string unshare = "/usr/bin/unshare";
const std::string setsid = "/usr/bin/setsid";
const std::string nsenter = "/usr/bin/nsenter";

// The fields of /proc/PID/stat a terminal's job control is about.
struct job_stat {
  pid_t pgrp = 0, session = 0, tpgid = 0;  // tpgid: the controlling terminal's foreground group
};

std::optional<job_stat> job_of(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  auto close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(text->substr(close + 1));
  char state = 0;
  pid_t ppid = 0;
  int tty = 0;
  job_stat j;
  in >> state >> ppid >> j.pgrp >> j.session >> tty >> j.tpgid;
  if (!in) return std::nullopt;
  return j;
}

// The namespace's own /proc: --mount-proc mounted it in the mount namespace
// whose root the monitor sees.
std::string ns_proc(pid_t monitor) { return "/proc/" + std::to_string(monitor) + "/root/proc"; }

// Pids of the namespace (as it numbers them) in state Z.
std::vector<std::string> ns_zombies(pid_t monitor) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(ns_proc(monitor), ec)) {
    std::string name = e.path().filename();
    if (name.empty() || name[0] < '1' || name[0] > '9') continue;
    auto text = read_file(e.path().string() + "/stat");
    auto close = text ? text->rfind(')') : std::string::npos;
    if (close != std::string::npos && close + 2 < text->size() && (*text)[close + 2] == 'Z') out.push_back(name);
  }
  return out;
}

class cli_pid1 : public cli_fixture {
 protected:
  void SetUp() override {
    cli_fixture::SetUp();
    // As root this works on any Linux with user-space namespaces; what
    // blocks it is a sandbox (seccomp refusing unshare, no CAP_SYS_ADMIN in
    // an unprivileged container). Under CI it must work.
    auto probe = run_command({unshare, "--pid", "--fork", "--mount-proc", "--", "/bin/true"}, {}, 10s);
    if (probe.exit_code() != 0) {
      if (in_ci()) FAIL() << "unshare --pid --fork --mount-proc fails under CI: " << describe(probe);
      GTEST_SKIP() << "no PID namespaces here (unshare: " << probe.err << ")";
    }
  }

  // `daemonkit run RUN_ARGS...` as PID 1 of a new PID namespace, leading a
  // session whose controlling terminal is term's slave (its stdin; stdout
  // and stderr are the test's pipes).
  running_command run_as_pid1(const pty& term, const std::vector<std::string>& run_args) {
    std::vector<std::string> argv{unshare, "--pid", "--fork", "--mount-proc", "--", setsid, "--ctty", tool_path, "run"};
    argv.insert(argv.end(), run_args.begin(), run_args.end());
    command_options o;
    o.stdin_path = term.slave();
    return spawn_command(argv, env(o));
  }

  // The monitor: unshare's one child, PID 1 in its namespace.
  static pid_t monitor_of_run(const running_command& run) {
    auto kids = children_of(run.pid);
    return kids.size() == 1 ? kids[0] : 0;
  }

  static bool is_pid1(pid_t pid) {
    auto ns = status_field(pid, "NSpid");
    return ns && ns->size() > 2 && ns->compare(ns->size() - 2, 2, "\t1") == 0;
  }

  // The service: the monitor's one child (passing output through, it has no keeper).
  static pid_t service_of(pid_t monitor) {
    auto kids = children_of(monitor);
    return kids.size() == 1 ? kids[0] : 0;
  }

  // Types text on the terminal.
  static void type(const pty& term, std::string_view text) {
    ASSERT_EQ(::write(term.master(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
};

TEST_F(cli_pid1, run_is_pid1_and_reaps_every_orphan) {
  pty term;
  auto run = run_as_pid1(term, {"--name", "reaper", "--", test_child_path, "orphans", "3"});
  line_reader out(run.out.get());
  std::vector<std::string> orphans;
  for (int i = 0; i < 3; ++i) {
    auto line = out.next(10s);
    ASSERT_TRUE(line && line->rfind("orphan ", 0) == 0) << (line ? *line : "no line") << "\n" << out.available();
    orphans.push_back(line->substr(7));
  }
  ASSERT_EQ(out.next(10s), "ready");
  pid_t monitor = monitor_of_run(run);
  ASSERT_GT(monitor, 0);
  EXPECT_TRUE(is_pid1(monitor)) << "NSpid: " << status_field(monitor, "NSpid").value_or("?");

  // Each orphan's parent is gone, so it ends below PID 1, which must reap
  // it: its pid leaves the namespace's /proc, and no zombie stays. (Nothing
  // announces another process's reaping: this re-checks /proc, bounded.)
  EXPECT_TRUE(wait_until(
      [&] {
        return ns_zombies(monitor).empty() && std::none_of(orphans.begin(), orphans.end(), [&](const std::string& p) {
                 return exists(ns_proc(monitor) + "/" + p);
               });
      },
      10s))
      << "zombies in the namespace: " << ns_zombies(monitor).size();

  fd_guard mon(open_pidfd(monitor));
  ASSERT_EQ(send_signal_pidfd(mon.get(), SIGTERM), 0);
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 143) << describe(r);
}

TEST_F(cli_pid1, the_service_gets_the_terminal_and_signals_reach_it) {
  pty term;
  auto run = run_as_pid1(term, {"--name", "sig", "--stop-timeout", "500ms", "--", test_child_path, "watch-signals"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready") << out.available();
  pid_t monitor = monitor_of_run(run);
  ASSERT_TRUE(is_pid1(monitor));
  pid_t service = service_of(monitor);
  ASSERT_GT(service, 0);

  // A job in PID 1's session, in the terminal's foreground: no setsid.
  auto job = job_of(service);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->pgrp, service) << "the service leads a process group of its own";
  EXPECT_EQ(job->session, monitor) << "in the session PID 1 leads, with its terminal";
  EXPECT_EQ(job->tpgid, service) << "and that group is the terminal's foreground";

  // A window size change: the terminal signals its foreground group.
  struct winsize ws {};
  ws.ws_row = 40;
  ws.ws_col = 100;
  ASSERT_EQ(::ioctl(term.master(), TIOCSWINSZ, &ws), 0);
  EXPECT_EQ(out.next(10s), "signal " + std::to_string(SIGWINCH));

  // Signals sent to PID 1 (docker kill -s): forwarded, one at a time.
  fd_guard mon(open_pidfd(monitor));
  for (int sig : {SIGWINCH, SIGUSR1, SIGTERM}) {
    ASSERT_EQ(send_signal_pidfd(mon.get(), sig), 0);
    EXPECT_EQ(out.next(10s), "signal " + std::to_string(sig)) << "signal " << sig << " was not forwarded";
  }
  // The service survived TERM: after the stop timeout, KILL.
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 137) << describe(r);
}

TEST_F(cli_pid1, ctrl_c_on_the_terminal_stops_the_service_and_run_exits_130) {
  pty term;
  auto run = run_as_pid1(term, {"--name", "cc", "--", test_child_path, "pause"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready") << out.available();
  type(term, "\x03");
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 130) << describe(r);
}

TEST_F(cli_pid1, an_interactive_service_reads_the_terminal) {
  pty term;
  auto run = run_as_pid1(term, {"--name", "sh", "--", "/bin/sh", "-c", "echo ready; read line; echo \"read $line\""});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready") << out.available();
  type(term, "hello\n");
  EXPECT_EQ(out.next(10s), "read hello");
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
}

TEST_F(cli_pid1, exit_codes_pass_through) {
  for (const auto& [mode, code] : std::vector<std::pair<std::vector<std::string>, int>>{
           {{"exit", "3"}, 3}, {{"kill-self", "9"}, 137}, {{"kill-self", "15"}, 143}}) {
    pty term;
    std::vector<std::string> args{"--name", "code", "--", test_child_path};
    args.insert(args.end(), mode.begin(), mode.end());
    auto run = run_as_pid1(term, args);
    auto r = finish(run, 15s);
    EXPECT_EQ(r.exit_code(), code) << mode[0] << " " << mode[1] << ": " << describe(r);
  }
}

TEST_F(cli_pid1, signal_group_reaches_the_services_children) {
  pty term;
  auto run = run_as_pid1(term, {"--name", "grp", "--signal-group", "--stop-timeout", "500ms", "--", test_child_path,
                                "watch-signals", "--child"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready") << out.available();
  pid_t monitor = monitor_of_run(run);
  fd_guard mon(open_pidfd(monitor));
  ASSERT_EQ(send_signal_pidfd(mon.get(), SIGUSR1), 0);
  std::set<std::string> seen;
  for (int i = 0; i < 2; ++i) {
    auto line = out.next(10s);
    ASSERT_TRUE(line) << "seen: " << seen.size();
    seen.insert(*line);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"signal 10", "child signal 10"}));
  // The stop signal goes to every process of the service, as without it.
  ASSERT_EQ(send_signal_pidfd(mon.get(), SIGTERM), 0);
  seen.clear();
  for (int i = 0; i < 2; ++i) {
    auto line = out.next(10s);
    ASSERT_TRUE(line) << "seen: " << seen.size();
    seen.insert(*line);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"signal 15", "child signal 15"}));
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 137) << describe(r);
}

// `docker exec CONTAINER daemonkit status|signal|stop NAME`: from inside the
// namespace the monitor is pid 1, recorded as such, and may be acted on.
// Stopping it ends the namespace, the stop command with it.
TEST_F(cli_pid1, status_signal_and_stop_work_inside_the_container) {
  pty term;
  auto run = run_as_pid1(term, {"--name", "inside", "--stop-timeout", "500ms", "--", test_child_path, "watch-signals"});
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready") << out.available();
  pid_t monitor = monitor_of_run(run);
  auto in_ns = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{nsenter, "-t", std::to_string(monitor), "-p", "-m", "--", tool_path};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, env());
  };
  // The service may say ready before its monitor published its pid.
  ASSERT_TRUE(wait_state_dir([&] { return state("inside")["pid"] == "2"; })) << read_file(statefile("inside"))->c_str();
  EXPECT_EQ(state("inside")["monitor_pid"], "1");
  auto status = in_ns({"status", "inside"});
  EXPECT_EQ(status.exit_code(), 0) << describe(status);
  EXPECT_TRUE(contains(status.out, "inside: running (pid 2)")) << describe(status);
  EXPECT_EQ(status.err, "") << describe(status);
  auto sig = in_ns({"signal", "inside", "USR2"});
  EXPECT_EQ(sig.exit_code(), 0) << describe(sig);
  EXPECT_EQ(out.next(10s), "signal " + std::to_string(SIGUSR2));
  // From outside, the lock holder is not the pid 1 NAME.state names: refused.
  auto outside = dk({"signal", "inside", "USR2"});
  EXPECT_EQ(outside.exit_code(), 1) << describe(outside);
  EXPECT_TRUE(contains(outside.err, "refusing to signal it")) << describe(outside);

  auto stop = in_ns({"stop", "inside"});
  EXPECT_EQ(out.next(10s), "signal " + std::to_string(SIGTERM));
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 137) << describe(r);
}

// Without a terminal the service leads a session of its own, as under
// start; signals still reach it.
TEST_F(cli_pid1, without_a_terminal_the_service_leads_its_own_session) {
  auto run = spawn_command({unshare, "--pid", "--fork", "--mount-proc", "--", tool_path, "run", "--name", "nott",
                            "--stop-timeout", "500ms", "--", test_child_path, "watch-signals"},
                           env());
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready") << out.available();
  pid_t monitor = monitor_of_run(run);
  ASSERT_TRUE(is_pid1(monitor));
  pid_t service = service_of(monitor);
  auto job = job_of(service);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->session, service);
  fd_guard mon(open_pidfd(monitor));
  ASSERT_EQ(send_signal_pidfd(mon.get(), SIGWINCH), 0);
  EXPECT_EQ(out.next(10s), "signal " + std::to_string(SIGWINCH));
  ASSERT_EQ(send_signal_pidfd(mon.get(), SIGTERM), 0);
  EXPECT_EQ(out.next(10s), "signal " + std::to_string(SIGTERM));
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 137) << describe(r);
}

// A monitor started in the background of a shell with job control must not
// take the terminal from the shell: its service leads a session of its own.
TEST_F(cli_pid1, run_in_the_background_leaves_the_terminal_alone) {
  pty term;
  command_options o;
  o.stdin_path = term.slave();
  std::string script = "set -m; \"$0\" run --name bg -- \"$1\" pause & wait $!";
  auto run = spawn_command({setsid, "--ctty", "/bin/sh", "-c", script, tool_path, test_child_path}, env(o));
  line_reader out(run.out.get());
  ASSERT_EQ(out.next(10s), "ready") << out.available();
  pid_t sh = run.pid;
  pid_t monitor = service_of(sh);
  ASSERT_GT(monitor, 0);
  pid_t service = service_of(monitor);
  auto job = job_of(service);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->session, service) << "no terminal taken: a session of its own";
  auto shell = job_of(sh);
  ASSERT_TRUE(shell);
  EXPECT_EQ(shell->tpgid, shell->pgrp) << "the shell keeps the terminal's foreground";
  fd_guard mon(open_pidfd(monitor));
  ASSERT_EQ(send_signal_pidfd(mon.get(), SIGTERM), 0);
  auto r = finish(run, 15s);
  EXPECT_EQ(r.exit_code(), 143) << describe(r);
}

// A read-only root (docker run --read-only): the state directory cannot be
// made, or made but not written. run says so in one line and goes on without
// state; status and stop from another shell find nothing, cleanly.
TEST_F(cli_pid1, a_read_only_state_directory_means_no_state) {
  for (bool made : {false, true}) {
    SCOPED_TRACE(made ? "state directory there, read-only" : "state directory cannot be made");
    temp_dir ro;
    std::string state = ro.file("state");
    if (made) {
      ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
    }
    command_options o;
    o.set_env = {"DAEMONKIT_STATE_DIR=" + state, "DAEMONKIT_LOG_DIR=" + ro.file("log")};
    // Read-only in a mount namespace of its own: the test's view stays writable.
    auto run =
        spawn_command({unshare, "--mount", "--", "/bin/sh", "-c", "mount --bind -o ro \"$0\" \"$0\" && exec \"$@\"",
                       ro.path(), tool_path, "run", "--name", "ro", "--", test_child_path, "pause"},
                      o);
    line_reader out(run.out.get()), err(run.err.get());
    auto said = err.next(10s);
    ASSERT_TRUE(said) << out.available();
    EXPECT_TRUE(
        contains(*said, "daemonkit: ro: cannot create " + std::string(made ? "pidfile " : "state directory ") + state))
        << *said;
    EXPECT_TRUE(contains(*said,
                         ": Read-only file system; running without state (status and stop cannot find this "
                         "service)"))
        << *said;
    ASSERT_EQ(out.next(10s), "ready");

    // Another shell in the same mount namespace: nothing to find.
    auto in_ns = [&](const std::vector<std::string>& args) {
      std::vector<std::string> argv{nsenter, "-t", std::to_string(run.pid), "-m", "--", tool_path};
      argv.insert(argv.end(), args.begin(), args.end());
      return run_command(argv, o);
    };
    auto status = in_ns({"status", "ro"});
    EXPECT_EQ(status.exit_code(), 3) << describe(status);
    EXPECT_EQ(status.err, "") << describe(status);
    auto stop = in_ns({"stop", "ro"});
    EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
    EXPECT_FALSE(contains(stop.err, "error")) << describe(stop);
    EXPECT_TRUE(is_alive(run.pid)) << "stop found nothing, and stopped nothing";

    ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), SIGTERM), 0);
    auto r = finish(run, 15s);
    EXPECT_EQ(r.exit_code(), 143) << describe(r);
    EXPECT_FALSE(exists(state + "/ro.pid"));
  }
}

}  // namespace
