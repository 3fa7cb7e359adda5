// SPDX-License-Identifier: MIT
// reload (issue 10, item 5): a program without a reload is left alone, a
// configuration that does not check out is refused before anything is
// signalled (reload and restart), and reload says whether the service
// survived: exit 1 when it died within --reload-timeout, or, for a notify
// service that said RELOADING=1, when it did not say READY=1 again in time.
#include <gtest/gtest.h>

#include <pwd.h>
#include <sys/stat.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_reload : public cli_fixture {
 protected:
  // A notify service written in sh: READY=1, then "ready" in its log. On
  // HUP it says RELOADING=1 and reads one line from fifo: "die" makes it
  // exit 1, anything else is sent as its next notify message (READY=1).
  std::vector<std::string> reloading_service(const std::string& fifo) const {
    const std::string child = test_child_path;
    return {"/bin/sh", "-c",
            "trap '" + child + " notify RELOADING=1; read answer < " + fifo + "; [ \"$answer\" = die ] && exit 1; " +
                child + " notify \"$answer\"' HUP\n" + child + " notify READY=1\necho ready\n" + child +
                " sleep 3600 & while :; do wait $!; done\n"};
  }

  // The signals the watch-signals helper of name reported, in order.
  std::vector<std::string> signals_seen(const std::string& name) const {
    std::vector<std::string> out;
    for (auto& line : split_lines(read_file(logfile(name)).value_or(""))) {
      if (line.rfind("signal ", 0) == 0) out.push_back(line);
    }
    return out;
  }

  bool wait_signal(const std::string& name, const std::string& line) const {
    return wait_until([&] { return count_exact_lines(logfile(name), line) > 0; }, 10s,
                      events().changes_in(logfile(name)));
  }

  std::string make_fifo(const std::string& name) {
    std::string path = tmp.file(name);
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
    return path;
  }
};

TEST_F(cli_reload, a_program_without_a_reload_handler_dies_and_reload_fails) {
  // The example: `start -- sleep 1000; reload` said "reloading",
  // exit 0, and the service was dead.
  pid_t pid = start("sleeper", {"sleep", "1000"});
  fd_guard fd(open_pidfd(pid));
  auto r = dk({"reload", "sleeper"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  EXPECT_EQ(r.err, "daemonkit: sleeper: reload failed: pid " + std::to_string(pid) + " exited within 1s of SIGHUP\n")
      << describe(r);
  EXPECT_TRUE(has_exited(fd.get()));
}

TEST_F(cli_reload, a_service_that_survives_its_reload_timeout_is_reloaded) {
  pid_t pid = start_ready("w", {"watch-signals"}, {"--reload-timeout", "300ms", "--stop-timeout", "300ms"});
  auto began = steady::now();
  auto r = dk({"reload", "w"});
  auto took = steady::now() - began;
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "w: reloaded (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(r.err, "");
  EXPECT_GE(took, 300ms) << "reload returned before its reload timeout";
  EXPECT_TRUE(wait_signal("w", "signal 1"));
  EXPECT_TRUE(is_alive(pid));
}

TEST_F(cli_reload, reload_signal_none_refuses_and_touches_nothing) {
  pid_t pid = start_ready("calm", {"watch-signals"}, {"--reload-signal", "none", "--stop-timeout", "300ms"});
  auto r = dk({"reload", "calm"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "daemonkit: calm: has no reload (--reload-signal none)\n");
  // A signal sent after the refusal arrives; nothing arrived before it.
  ASSERT_EQ(dk({"signal", "calm", "USR1"}).exit_code(), 0);
  ASSERT_TRUE(wait_lines(logfile("calm"), "signal 10"));
  EXPECT_EQ(signals_seen("calm"), std::vector<std::string>{"signal 10"});
  EXPECT_EQ(pidfile_pid("calm"), pid);
  EXPECT_TRUE(is_alive(pid));
}

TEST_F(cli_reload, a_failing_check_config_refuses_reload_and_restart_and_leaves_the_service_alone) {
  const std::string good = tmp.file("config-ok");
  // Its output has a terminal escape: shown escaped, like everything else.
  const std::string check =
      "test -e " + good + " || { printf 'config broken: \\033[31mred\\n'; echo 'second line' >&2; exit 3; }";
  pid_t pid = start_ready("c", {"watch-signals"},
                          {"--check-config", check, "--reload-timeout", "200ms", "--stop-timeout", "300ms"});
  pid_t monitor = monitor_of("c");
  const std::string refusal =
      "daemonkit: c: config check failed (exited with status 3): config broken: \\x1b[31mred\n    second line\n";

  auto r = dk({"reload", "c"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  EXPECT_EQ(r.err, refusal) << describe(r);

  auto rs = dk({"restart", "c"});
  EXPECT_EQ(rs.exit_code(), 1) << describe(rs);
  EXPECT_EQ(rs.out, "") << "restart stopped the service before the check:\n" << describe(rs);
  EXPECT_EQ(rs.err, refusal) << describe(rs);

  EXPECT_TRUE(is_alive(pid));
  EXPECT_EQ(pidfile_pid("c"), pid);
  EXPECT_EQ(monitor_of("c"), monitor);
  // No signal reached it: the next one it sees is the one sent now.
  ASSERT_EQ(dk({"signal", "c", "USR1"}).exit_code(), 0);
  ASSERT_TRUE(wait_lines(logfile("c"), "signal 10"));
  EXPECT_EQ(signals_seen("c"), std::vector<std::string>{"signal 10"});

  // Once the configuration checks out, both go ahead.
  write_file(good, "");
  auto ok = dk({"reload", "c"});
  EXPECT_EQ(ok.exit_code(), 0) << describe(ok);
  EXPECT_TRUE(wait_signal("c", "signal 1"));
  auto restarted = dk({"restart", "c"});
  EXPECT_EQ(restarted.exit_code(), 0) << describe(restarted);
  EXPECT_TRUE(wait_lines(logfile("c"), "ready", 2));  // the new instance is past its exec
  EXPECT_FALSE(is_alive(pid));
  EXPECT_NE(pidfile_pid("c"), pid);
}

TEST_F(cli_reload, check_config_runs_as_the_service_with_its_environment_and_directory) {
  // As systemd runs ExecReload=: the service's user, environment (without
  // the notify socket) and working directory.
  std::vector<std::string> options{
      "--env",          "WHO=svc",
      "--chdir",        "/",
      "--stop-timeout", "300ms",
      "--check-config", "echo \"$(id -un) $WHO $(pwd) ${NOTIFY_SOCKET:-no-socket}\"; exit 1"};
  std::string user;
  if (::geteuid() == 0 && ::getpwnam("nobody") != nullptr) {
    user = "nobody";
    options.insert(options.end(), {"--user", "nobody"});
  } else {
    user = ::getpwuid(::geteuid())->pw_name;
  }
  options.insert(options.end(), {"--ready", "notify"});
  start("env", {test_child_path, "notify", "READY=1", "--pause"}, options);
  auto r = dk({"reload", "env"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: env: config check failed (exited with status 1): " + user + " svc / no-socket\n")
      << describe(r);
}

TEST_F(cli_reload, a_notify_service_that_says_reloading_is_waited_for_until_it_is_ready) {
  const std::string fifo = make_fifo("answer");
  pid_t pid = start("nr", reloading_service(fifo), {"--ready", "notify", "--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("nr"), "ready"));
  auto reload = dk_spawn({"reload", "nr"});
  ASSERT_TRUE(wait_state("nr", "state", "reloading")) << read_file(statefile("nr")).value_or("");
  EXPECT_FALSE(has_exited(reload.pidfd.get())) << "reload returned while the service was still reloading";
  write_file(fifo, "READY=1\n");
  auto r = finish(reload, 30s);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "nr: reloaded (pid " + std::to_string(pid) + ")\n");
  EXPECT_EQ(state("nr")["state"], "running");
  EXPECT_TRUE(is_alive(pid));
}

// A service that says its reload failed (what Daemon sends when on_reload()
// throws) fails the reload with its words, and runs on; the next good
// reload (STATUS= cleared) succeeds.
TEST_F(cli_reload, a_notify_service_that_says_its_reload_failed_fails_the_reload_and_runs_on) {
  const std::string fifo = make_fifo("answer");
  pid_t pid = start("nf", reloading_service(fifo), {"--ready", "notify", "--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("nf"), "ready"));
  auto reload = dk_spawn({"reload", "nf"});
  ASSERT_TRUE(wait_state("nf", "state", "reloading")) << read_file(statefile("nf")).value_or("");
  // (sh's read drops one of the two backslashes; notify turns the
  // backslash-n left into the newline between the two assignments.)
  write_file(fifo, "STATUS=reload failed: line 3: bad port \x1b[31m\\\\nREADY=1\n");
  auto r = finish(reload, 30s);
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "daemonkit: nf: reload failed: line 3: bad port \\x1b[31m (pid " + std::to_string(pid) +
                       " runs on with its previous configuration)\n")
      << describe(r);
  EXPECT_TRUE(is_alive(pid));

  reload = dk_spawn({"reload", "nf"});
  ASSERT_TRUE(wait_state("nf", "state", "reloading")) << read_file(statefile("nf")).value_or("");
  write_file(fifo, "STATUS=\\\\nREADY=1\n");
  r = finish(reload, 30s);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "nf: reloaded (pid " + std::to_string(pid) + ")\n");
}

TEST_F(cli_reload, a_notify_service_that_dies_while_reloading_fails_the_reload) {
  const std::string fifo = make_fifo("answer");
  pid_t pid = start("nd", reloading_service(fifo), {"--ready", "notify", "--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("nd"), "ready"));
  auto reload = dk_spawn({"reload", "nd"});
  ASSERT_TRUE(wait_state("nd", "state", "reloading")) << read_file(statefile("nd")).value_or("");
  write_file(fifo, "die\n");
  auto r = finish(reload, 30s);
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.out, "");
  // "exited while reloading" when reload saw RELOADING=1 before the exit; a
  // service that dies before reload looked gives "exited within 1s".
  const std::string failed = "daemonkit: nd: reload failed: pid " + std::to_string(pid) + " exited ";
  EXPECT_EQ(r.err.rfind(failed, 0), 0u) << describe(r);
  EXPECT_TRUE(contains(r.err, "SIGHUP")) << describe(r);
}

TEST_F(cli_reload, a_notify_service_that_never_says_ready_again_fails_at_its_ready_timeout) {
  const std::string fifo = make_fifo("answer");
  pid_t pid =
      start("nt", reloading_service(fifo), {"--ready", "notify", "--ready-timeout", "2s", "--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("nt"), "ready"));
  auto began = steady::now();
  auto r = dk({"reload", "nt"});
  auto took = steady::now() - began;
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: nt: reload failed: pid " + std::to_string(pid) +
                       " said RELOADING=1 but not READY=1 within 2s\n");
  EXPECT_GE(took, 2s);
  EXPECT_LT(took, 20s);
  EXPECT_EQ(state("nt")["state"], "reloading");
}

}  // namespace
