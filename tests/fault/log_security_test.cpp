// SPDX-License-Identifier: MIT
// Root never writes a log, or reads an env file, through a path another user
// controls (issue 8, items 1-3, 10, 12): each attack of the issue is played
// by a real second user, and the legitimate setups next to it must still
// work. Needs root (to create users and run services as them): skipped
// otherwise.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "fault_support.hpp"

namespace dk_fault {
namespace {

struct stat_result {
  bool ok = false;
  struct stat st {};
};
stat_result lstat_of(const std::string& path) {
  stat_result r;
  r.ok = ::lstat(path.c_str(), &r.st) == 0;
  return r;
}

class log_security : public fault_fixture {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: creates users and runs services as them";
    fault_fixture::SetUp();
    // Other users must be able to reach what the tests give them.
    ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
    write_file(secret, "root only\n");
    ASSERT_EQ(::chmod(secret.c_str(), 0600), 0);
  }

  // The root-only file every attack aims at: it must never change.
  void expect_secret_untouched() const {
    EXPECT_EQ(read_file(secret).value_or("<missing>"), "root only\n");
    auto s = lstat_of(secret);
    ASSERT_TRUE(s.ok);
    EXPECT_EQ(s.st.st_uid, 0U);
    EXPECT_EQ(s.st.st_mode & 07777, 0600U);
  }

  std::string secret = tmp.file("secret");
};

// 1a: the service's user plants NAME.log -> a root file in the log directory
// it owns; root must not append to (or create) the target.
TEST_F(log_security, symlink_planted_as_the_log_is_refused) {
  test_user u("ls");
  std::string dir = tmp.file("ulogs");
  u.own(dir);
  u.plant_symlink(secret, dir + "/web.log");
  std::string created = tmp.file("root-only-dir");
  ASSERT_EQ(::mkdir(created.c_str(), 0700), 0);
  u.plant_symlink(created + "/cron-job", dir + "/api.log");

  auto r =
      dk({"start", "--name", "web", "--user", u.name(), "--log-dir", dir, "--", "sh", "-c", "echo pwned; sleep 100"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.err.find("web.log"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
  auto r2 = dk({"start", "--name", "api", "--user", u.name(), "--log-dir", dir, "--", "sh", "-c", "echo pwned"});
  EXPECT_EQ(r2.exit_code(), 1) << describe(r2);
  expect_secret_untouched();
  EXPECT_FALSE(exists(created + "/cron-job")) << "root created a file through the user's symlink";
}

// 1b: the running service swaps its own log for a symlink and writes past
// --log-max-size, then the operator's logrotate sends `reopen`: neither the
// rotation nor the reopen may write through the symlink.
TEST_F(log_security, service_swapping_its_log_for_a_symlink_gains_nothing) {
  test_user u("lr");
  std::string dir = tmp.file("ulogs");
  u.own(dir);
  std::string marker = dir + "/swapped";
  std::string script = "echo before; mv " + dir + "/web.log " + dir + "/old.log; ln -s " + secret + " " + dir +
                       "/web.log; touch " + marker +
                       "; i=0; while [ $i -lt 200 ]; do echo after-swap-line-$i; i=$((i+1)); done; sleep 100";
  start("web", {"sh", "-c", script}, {"--user", u.name(), "--log-dir", dir, "--log-max-size", "1k"});
  ASSERT_TRUE(wait_until([&] { return exists(marker); }, 10s));
  auto reopen = dk({"reopen", "web"});
  EXPECT_EQ(reopen.exit_code(), 0) << describe(reopen);
  auto stop = dk({"stop", "web"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  expect_secret_untouched();
  // What the service wrote went to files of its own, never through the link.
  std::string everything;
  for (const auto& f : dir_entries(dir)) {
    auto s = lstat_of(dir + "/" + f);
    if (s.ok && S_ISREG(s.st.st_mode)) everything += read_file(dir + "/" + f).value_or("");
  }
  EXPECT_NE(everything.find("before"), std::string::npos);
  EXPECT_NE(everything.find("after-swap-line-0"), std::string::npos);
}

// 1c: another user makes root's --log-dir first, in a shared sticky directory.
TEST_F(log_security, log_dir_made_first_by_another_user_is_refused) {
  test_user other("lo");
  std::string shared = tmp.file("shared");
  ASSERT_EQ(::mkdir(shared.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  std::string dir = shared + "/applogs";
  other.own(dir, 0755);

  auto r = dk({"start", "--name", "web", "--log-dir", dir, "--", "sleep", "100"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.err.find(dir + " is owned by uid " + std::to_string(other.uid()) + " (" + other.name() + ")"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(dir_entries(dir).empty()) << join(dir_entries(dir));
}

// A directory anybody (or a group of others) may write is no place for root's logs.
TEST_F(log_security, log_dir_writable_by_others_is_refused) {
  for (mode_t mode : {0777U, 0775U}) {
    std::string dir = tmp.file("open-" + std::to_string(mode));
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
    ASSERT_EQ(::chmod(dir.c_str(), mode), 0);
    ASSERT_EQ(::chown(dir.c_str(), 0, 50), 0);  // group staff: not root's
    auto r = dk({"start", "--name", "web", "--log-dir", dir, "--", "sleep", "100"});
    EXPECT_EQ(r.exit_code(), 1) << std::oct << mode << ": " << describe(r);
    EXPECT_NE(r.err.find(dir + " is writable by"), std::string::npos) << r.err;
    EXPECT_TRUE(dir_entries(dir).empty()) << join(dir_entries(dir));
  }
}

// A shared sticky directory (like /tmp) may hold root's logs, but a log file
// another user made there first is never written: they would read it.
TEST_F(log_security, log_made_first_by_another_user_in_a_sticky_dir_is_refused) {
  test_user other("lt");
  std::string shared = tmp.file("sticky");
  ASSERT_EQ(::mkdir(shared.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  write_file(shared + "/web.log", "");
  ASSERT_EQ(::chmod((shared + "/web.log").c_str(), 0666), 0);
  ASSERT_EQ(::chown((shared + "/web.log").c_str(), other.uid(), other.gid()), 0);
  auto r = dk({"start", "--name", "web", "--log-dir", shared, "--", "sh", "-c", "echo DB_PASSWORD=hunter2"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.err.find("belongs to uid " + std::to_string(other.uid())), std::string::npos) << r.err;
  EXPECT_EQ(read_file(shared + "/web.log").value_or("<missing>"), "");

  // A name nobody took is fine: the log is root's own, 0640.
  start("api", {"sh", "-c", "echo hello; sleep 100"}, {"--log-dir", shared});
  EXPECT_TRUE(wait_until([&] { return read_file(shared + "/api.log").value_or("") == "hello\n"; }, 10s));
  auto s = lstat_of(shared + "/api.log");
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.st.st_uid, 0U);
  EXPECT_EQ(s.st.st_mode & 07777, 0640U);
}

// The legitimate setup: --log-dir owned by the service's user. Its logs are
// written as that user (so they belong to it), rotation included.
TEST_F(log_security, log_dir_of_the_service_user_is_written_as_that_user) {
  test_user u("lu");
  std::string dir = tmp.file("srv-app-logs");
  u.own(dir, 0750);
  std::string script =
      "i=0; while [ $i -lt 100 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; "
      "echo done > " +
      dir + "/marker; sleep 100";
  start("app", {"sh", "-c", script}, {"--user", u.name(), "--log-dir", dir, "--log-max-size", "1k"});
  ASSERT_TRUE(wait_until([&] { return exists(dir + "/marker"); }, 10s));
  auto stop = dk({"stop", "app"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  for (std::string f : {"app.log", "app.log.1"}) {
    auto s = lstat_of(dir + "/" + f);
    ASSERT_TRUE(s.ok) << f << " in " << join(dir_entries(dir));
    EXPECT_EQ(s.st.st_uid, u.uid()) << f;
    EXPECT_EQ(s.st.st_gid, u.gid()) << f;
    EXPECT_EQ(s.st.st_mode & 07777, 0640U) << f;
  }
  EXPECT_NE(read_file(dir + "/app.log").value_or("").find("line-99-"), std::string::npos);
}

// Item 2: a log may hold secrets; nobody else reads it, from the first byte.
TEST_F(log_security, logs_are_private_from_the_first_byte) {
  std::string dir = tmp.file("fresh-logs");
  start("web", {"sh", "-c", "echo DB_PASSWORD=hunter2; sleep 100"}, {"--log-dir", dir});
  auto d = lstat_of(dir);
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.st.st_mode & 07777, 0750U);
  auto f = lstat_of(dir + "/web.log");
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.st.st_mode & 07777, 0640U);
  EXPECT_EQ(f.st.st_uid, 0U);
}

// Item 3: a user without a home logs in its private state directory, never
// in /tmp/.local, which anybody could have made first.
TEST_F(log_security, user_without_home_logs_in_the_private_state_dir) {
  test_user u("lh");
  std::string base = tmp.file("home-less");
  u.own(base, 0755);
  std::string state = base + "/state";
  command_options o;
  o.unset_env = {"HOME", "NOTIFY_SOCKET", "DAEMONKIT_LOG_DIR", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"};
  o.set_env = {"DAEMONKIT_STATE_DIR=" + state};
  o.cwd = base;
  auto as_user = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid",       u.name(), "--regid",
                                  u.name(),           "--init-groups", tool_path};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, o);
  };
  auto r = as_user({"start", "--name", "web", "--", "sh", "-c", "echo hello; sleep 100"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(wait_until([&] { return read_file(state + "/log/web.log").value_or("") == "hello\n"; }, 10s))
      << join(dir_entries(state));
  auto s = lstat_of(state + "/log");
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.st.st_mode & 07777, 0700U);
  EXPECT_EQ(s.st.st_uid, u.uid());
  auto stop = as_user({"stop", "web"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
}

// Item 12: a FIFO planted where the log goes fails the start at once, it
// does not hang it.
TEST_F(log_security, fifo_planted_as_the_log_does_not_hang_start) {
  test_user u("lf");
  std::string dir = tmp.file("ulogs");
  u.own(dir);
  ASSERT_EQ(::mkfifo((dir + "/web.log").c_str(), 0666), 0);
  ASSERT_EQ(::lchown((dir + "/web.log").c_str(), u.uid(), u.gid()), 0);
  auto r = dk({"start", "--name", "web", "--user", u.name(), "--log-dir", dir, "--", "sleep", "100"}, {}, 20s);
  EXPECT_FALSE(r.timed_out) << "start hung on a FIFO";
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.err.find("web.log"), std::string::npos) << r.err;
}

// Item 10: an env file reached through another user's symlink would hand a
// root-only file to the service; through the service user's own path it is
// read with that user's rights.
TEST_F(log_security, env_file_behind_another_users_symlink_is_refused) {
  test_user svc("es");
  test_user other("eo");
  write_file(secret, "TOKEN=root-only\n");
  ASSERT_EQ(::chmod(secret.c_str(), 0600), 0);
  std::string odir = tmp.file("other");
  other.own(odir);
  other.plant_symlink(secret, odir + "/app.env");
  auto r = dk({"start", "--name", "web", "--user", svc.name(), "--env-file", odir + "/app.env", "--", "env"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_NE(r.err.find("--env-file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("owned by uid " + std::to_string(other.uid())), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("root-only"), std::string::npos) << "the secret was quoted back: " << r.err;

  // The service's own directory: followed, but read as the service's user,
  // who may not read the root-only file.
  std::string sdir = tmp.file("svc");
  svc.own(sdir);
  svc.plant_symlink(secret, sdir + "/app.env");
  auto r2 = dk({"start", "--name", "web", "--user", svc.name(), "--env-file", sdir + "/app.env", "--", "env"});
  EXPECT_EQ(r2.exit_code(), 2) << describe(r2);
  EXPECT_NE(r2.err.find("Permission denied"), std::string::npos) << r2.err;
  EXPECT_FALSE(exists(logfile("web")) && read_file(logfile("web")).value_or("").find("root-only") != std::string::npos);

  // Root's own env file for the service (the usual EnvironmentFile= setup) works.
  std::string conf = tmp.file("app.env");
  write_file(conf, "TOKEN=for-the-service\n");
  ASSERT_EQ(::chmod(conf.c_str(), 0600), 0);
  std::string out = tmp.file("env-out");
  start("web", {"sh", "-c", "echo $TOKEN; sleep 100"}, {"--user", svc.name(), "--env-file", conf});
  EXPECT_TRUE(wait_until([&] { return read_file(logfile("web")).value_or("") == "for-the-service\n"; }, 10s));
}

// Item 12: /tmp/daemonkit-UID, the last-resort state directory, made first by
// another user: the error says how to get a private one.
TEST_F(log_security, squatted_tmp_state_dir_says_how_to_avoid_it) {
  test_user victim("sv");
  test_user squatter("sq");
  std::string squatted = "/tmp/daemonkit-" + std::to_string(victim.uid());
  ::rmdir(squatted.c_str());
  squatter.own(squatted, 0777);
  command_options o;
  o.unset_env = {"HOME", "NOTIFY_SOCKET", "DAEMONKIT_STATE_DIR", "DAEMONKIT_LOG_DIR", "XDG_RUNTIME_DIR"};
  o.cwd = "/";
  auto r = run_command({"/usr/bin/setpriv", "--reuid", victim.name(), "--regid", victim.name(), "--init-groups",
                        tool_path, "start", "--name", "web", "--", "sleep", "100"},
                       o);
  ::rmdir(squatted.c_str());
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.err.find(squatted), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("XDG_RUNTIME_DIR"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dk_fault

namespace dk_fault {
namespace {

// Found in review: the walk went on as root past what the service's user
// owns, so its symlink could reach a file below a directory it may not
// search (/root/deploy/app.env).
TEST_F(log_security, env_file_symlink_of_the_service_user_cannot_reach_below_roots_private_dirs) {
  test_user svc("e1");
  std::string private_dir = tmp.file("rootonly");
  ASSERT_EQ(::mkdir(private_dir.c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((private_dir + "/deploy").c_str(), 0755), 0);
  write_file(private_dir + "/deploy/app.env", "DEPLOY_TOKEN=root-only\n");
  ASSERT_EQ(::chmod((private_dir + "/deploy/app.env").c_str(), 0644), 0);
  std::string sdir = tmp.file("svc");
  svc.own(sdir);
  svc.plant_symlink(private_dir + "/deploy/app.env", sdir + "/app.env");
  auto r = dk({"start", "--name", "web", "--user", svc.name(), "--env-file", sdir + "/app.env", "--", "env"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
}

// In a shared sticky directory: a hard link to a root file (possible where
// fs.protected_hardlinks is 0; made here by root to play that) and an env
// file another user wrote are refused.
TEST_F(log_security, hard_links_and_other_users_files_in_a_shared_dir_are_refused) {
  test_user other("e2");
  std::string shared = tmp.file("sticky");
  ASSERT_EQ(::mkdir(shared.c_str(), 01777), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  ASSERT_EQ(::link(secret.c_str(), (shared + "/web.log").c_str()), 0);
  auto r = dk({"start", "--name", "web", "--log-dir", shared, "--", "sh", "-c", "echo eve::0:0::/root:/bin/sh"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.err.find("hard links"), std::string::npos) << r.err;
  expect_secret_untouched();

  write_file(shared + "/app.env", "LD_PRELOAD=/tmp/evil.so\n");
  ASSERT_EQ(::chown((shared + "/app.env").c_str(), other.uid(), other.gid()), 0);
  auto r2 = dk({"start", "--name", "api", "--env-file", shared + "/app.env", "--", "env"});
  EXPECT_EQ(r2.exit_code(), 2) << describe(r2);
  EXPECT_NE(r2.err.find("belongs to uid " + std::to_string(other.uid())), std::string::npos) << r2.err;
}

// The library's daemonize (the Daemon class, the heartbeat example) opens
// its log the same careful way.
TEST_F(log_security, a_daemons_log_made_first_by_another_user_in_tmp_is_refused) {
  test_user other("e3");
  std::string shared = tmp.file("sticky");
  ASSERT_EQ(::mkdir(shared.c_str(), 01777), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  std::string hb_log = shared + "/hb.log";
  write_file(hb_log, "");
  ASSERT_EQ(::chmod(hb_log.c_str(), 0666), 0);
  ASSERT_EQ(::chown(hb_log.c_str(), other.uid(), other.gid()), 0);
  auto r = run_command({heartbeat_path, "--pidfile", tmp.file("hb.pid"), "--log", hb_log, "start"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.err.find("belongs to uid"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(hb_log).value_or("<missing>"), "");
}

// Making the log directory goes through the same walk: a symlink the
// service's user planted on the way makes root create nothing elsewhere.
TEST_F(log_security, a_missing_log_dir_is_not_created_through_the_service_users_symlink) {
  test_user svc("e4");
  std::string victim = tmp.file("victim");
  ASSERT_EQ(::mkdir(victim.c_str(), 0755), 0);
  std::string srv = tmp.file("srv");
  svc.own(srv);
  svc.plant_symlink(victim, srv + "/logs");
  auto r =
      dk({"start", "--name", "web", "--user", svc.name(), "--log-dir", srv + "/logs/daemonkit", "--", "sleep", "100"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_FALSE(exists(victim + "/daemonkit")) << "root created a directory through the user's symlink";
}

// A relative --log-dir is the caller's, not the monitor's (which runs in /).
TEST_F(log_security, a_relative_log_dir_is_relative_to_the_callers_directory) {
  command_options o;
  o.cwd = tmp.path();
  auto r = dk({"start", "--name", "web", "--log-dir", "rel", "--", "sh", "-c", "echo here; sleep 100"}, o);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(wait_until([&] { return read_file(tmp.file("rel/web.log")).value_or("") == "here\n"; }, 10s));
}

// `logs` as root, after the service's user swapped its log directory for a
// symlink to a root-only one: nothing of root's is printed.
TEST_F(log_security, logs_does_not_print_roots_files_through_the_service_users_symlink) {
  test_user svc("e5");
  std::string srv = tmp.file("srv");
  svc.own(srv);
  svc.own(srv + "/logs");
  start("web", {"sh", "-c", "echo mine; sleep 100"}, {"--user", svc.name(), "--log-dir", srv + "/logs"});
  ASSERT_TRUE(wait_until([&] { return read_file(srv + "/logs/web.log").value_or("") == "mine\n"; }, 10s));
  std::string hidden = tmp.file("hidden");
  ASSERT_EQ(::mkdir(hidden.c_str(), 0700), 0);
  write_file(hidden + "/web.log", "ROOT-ONLY-SECRET\n");
  ASSERT_EQ(::rename((srv + "/logs").c_str(), (srv + "/logs.old").c_str()), 0);
  svc.plant_symlink(hidden, srv + "/logs");
  auto r = dk({"logs", "web"});
  EXPECT_EQ(r.out.find("ROOT-ONLY-SECRET"), std::string::npos) << describe(r);
  EXPECT_NE(r.exit_code(), 0) << describe(r);
}

// Rotation in a shared directory renames and removes only its own files.
TEST_F(log_security, rotation_in_a_shared_dir_leaves_other_users_files_alone) {
  test_user other("e6");
  std::string shared = tmp.file("sticky");
  ASSERT_EQ(::mkdir(shared.c_str(), 01777), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  write_file(shared + "/web.log.1", "theirs\n");
  ASSERT_EQ(::chown((shared + "/web.log.1").c_str(), other.uid(), other.gid()), 0);
  std::string script =
      "i=0; while [ $i -lt 100 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; "
      "sleep 100";
  start("web", {"sh", "-c", script}, {"--log-dir", shared, "--log-max-size", "1k", "--log-keep", "2"});
  ASSERT_TRUE(wait_until(
      [&] { return read_file(shared + "/web.log").value_or("").find("line-99-") != std::string::npos; }, 10s));
  EXPECT_EQ(read_file(shared + "/web.log.1").value_or("<missing>"), "theirs\n");
  EXPECT_FALSE(exists(shared + "/web.log.2"));
}

}  // namespace
}  // namespace dk_fault
