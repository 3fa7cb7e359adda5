// SPDX-License-Identifier: MIT
// PostgreSQL 15 as its unit runs it: Type=notify (Debian builds it with
// systemd support), KillMode=mixed, KillSignal=SIGINT. INT to the postmaster
// is a fast shutdown: it tells its backends to terminate and writes a
// shutdown checkpoint, so the next start needs no crash recovery. The stop
// signal goes to the postmaster alone: no backend gets it directly.
#include <gtest/gtest.h>

#include <pwd.h>

#include "programs_support.hpp"

namespace {

using namespace dk_programs;

const std::string bin = "/usr/lib/postgresql/15/bin/";
const std::string postgres = bin + "postgres";
const std::string initdb = bin + "initdb";
const std::string psql = bin + "psql";
const std::string runuser = "/usr/sbin/runuser";

class postgres_test : public program_fixture {
 protected:
  postgres_test() : program_fixture({postgres, initdb, psql, runuser}) {}

  void SetUp() override {
    program_fixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    port = free_port();
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    struct passwd* pw = ::getpwnam("postgres");
    ASSERT_NE(pw, nullptr) << "no user postgres (the postgresql package creates it)";
    postgres_uid = pw->pw_uid;
    ASSERT_EQ(::chown(dir.c_str(), pw->pw_uid, pw->pw_gid), 0);
    command_options o;
    o.cwd = dir;
    auto r = run_command({runuser, "-u", "postgres", "--", initdb, "-D", data, "--auth=trust", "-U", "postgres",
                          "--no-sync", "--no-instructions"},
                         o, 120s);
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
  }

  // Starts the cluster as the unit would; returns the postmaster's pid.
  pid_t start_postgres() {
    return start("pg",
                 {postgres, "-D", data, "-k", dir, "-p", std::to_string(port), "-c", "listen_addresses=127.0.0.1", "-c",
                  "log_statement=all"},
                 {"--ready", "notify", "--kill-mode", "mixed", "--stop-signal", "INT", "--user", "postgres"});
  }

  std::vector<std::string> psql_command(const std::string& sql) const {
    return {psql, "-h", "127.0.0.1", "-p", std::to_string(port), "-U", "postgres", "-d", "postgres", "-Atc", sql};
  }

  int port = 0;
  uid_t postgres_uid = 0;
  std::string dir = tmp.file("pg");
  std::string data = tmp.file("pg/data");
};

TEST_F(postgres_test, fast_shutdown_reaches_only_the_postmaster_and_the_next_start_needs_no_recovery) {
  pid_t postmaster = start_postgres();
  ASSERT_GT(postmaster, 0);
  // Ready means ready: the first query, at once, is answered.
  auto q = run_command(psql_command("select 40 + 2"));
  EXPECT_EQ(q.exit_code(), 0) << describe(q);
  EXPECT_EQ(q.out, "42\n") << describe(q);
  EXPECT_EQ(comm_of(postmaster), "postgres");
  EXPECT_EQ(read_file(data + "/postmaster.pid").value_or("").rfind(std::to_string(postmaster) + "\n", 0), 0u)
      << "start printed the postmaster";
  EXPECT_EQ(status_field(postmaster, "Uid").value_or("").rfind(std::to_string(postgres_uid) + "\t", 0), 0u)
      << "runs as postgres";

  // A client in a long query: its backend is a child of the postmaster.
  auto client = spawn_command(psql_command("select pg_sleep(600)"));
  ASSERT_TRUE(wait_until([&] { return contains(log_text("pg"), "statement: select pg_sleep(600)"); }, 20s,
                         events().changes_in(logfile("pg"))))
      << log_text("pg");
  pid_t backend = 0;
  for (pid_t p : children_of(postmaster)) {
    if (cmdline_of(p).rfind("postgres: postgres postgres 127.0.0.1", 0) == 0) backend = p;
  }
  ASSERT_GT(backend, 0) << describe_processes(children_of(postmaster));
  fd_guard backend_fd(open_pidfd(backend));
  ASSERT_TRUE(backend_fd.valid());
  const pid_t monitor = monitor_of("pg");
  ASSERT_GT(monitor, 0);
  // The monitor waiting for events in its loop.
  auto monitor_waits = [&] {
    long call = current_syscall(monitor);
    return call == SYS_poll || call == SYS_ppoll || call == SYS_epoll_wait || call == SYS_epoll_pwait;
  };

  // Held stopped, the backend keeps every signal sent to it pending, where
  // /proc shows it. The postmaster's fast shutdown sends it TERM right away
  // (from its signal handler); once that is pending and the monitor is back
  // in its poll, the stop has sent every signal it sends at first. (A
  // backend's own SIGINT handler cancels its query; the TERM would win
  // anyway, so the log cannot tell.)
  ASSERT_EQ(send_signal_pidfd(backend_fd.get(), SIGSTOP), 0);
  ASSERT_TRUE(wait_until([&] { return read_stat(backend).value_or(proc_stat{}).state == 'T'; }, 5s));
  size_t log_before_stop = log_text("pg").size();
  auto stopper = dk_spawn({"stop", "pg"});
  auto pending = [&] { return signal_mask(backend, "SigPnd") | signal_mask(backend, "ShdPnd"); };
  ASSERT_TRUE(
      wait_until([&] { return !is_alive(backend) || ((pending() & sig_bit(SIGTERM)) != 0 && monitor_waits()); }, 10s))
      << "the postmaster never told its backend to terminate";
  if (is_alive(backend)) {
    EXPECT_EQ(pending() & sig_bit(SIGINT), 0u) << "the backend got the stop signal (INT) itself";
  } else {
    ADD_FAILURE() << "the stop woke (SIGCONT) or killed the stopped backend itself";
  }
  (void)send_signal_pidfd(backend_fd.get(), SIGCONT);  // fails only if it is gone: reported above

  auto stop = finish(stopper, 30s);
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_EQ(stop.out, "pg: stopped (pid " + std::to_string(postmaster) + ")\n") << describe(stop);
  EXPECT_FALSE(contains(stop.err, "SIGKILL")) << describe(stop);
  auto c = finish(client, 20s);
  EXPECT_TRUE(contains(c.err, "terminating connection due to administrator command")) << describe(c);

  std::string shutdown_log = log_text("pg", log_before_stop);
  EXPECT_TRUE(contains(shutdown_log, "received fast shutdown request")) << shutdown_log;
  EXPECT_TRUE(contains(shutdown_log, "database system is shut down")) << shutdown_log;
  EXPECT_TRUE(our_processes("postgres").empty()) << describe_processes(our_processes("postgres"));

  // The next start finds a cleanly shut down cluster.
  size_t log_before_start = log_text("pg").size();
  pid_t again = start_postgres();
  ASSERT_GT(again, 0);
  std::string start_log = log_text("pg", log_before_start);
  EXPECT_TRUE(contains(start_log, "database system was shut down at")) << start_log;
  EXPECT_FALSE(contains(start_log, "database system was not properly shut down")) << start_log;
  EXPECT_FALSE(contains(start_log, "redo starts")) << start_log;
  auto q2 = run_command(psql_command("select 1"));
  EXPECT_EQ(q2.out, "1\n") << describe(q2);
}

}  // namespace
