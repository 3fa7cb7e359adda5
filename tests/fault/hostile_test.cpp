// SPDX-License-Identifier: MIT
// Hostile inputs: a state directory that is a symlink or writable by others,
// a pidfile that is a symlink to /etc/passwd or names pid 1 or a stranger,
// state and config files full of garbage, service names with path parts,
// env files with NUL bytes or huge lines. Each is refused with a message
// that names the file, and nothing is touched that should not be: no file
// outside the state directory, no signal to a process that is not ours.
#include <gtest/gtest.h>

#include <pwd.h>

#include "fault_support.hpp"

namespace {

using namespace dk_fault;
using namespace std::string_literals;

// A process that is not part of any service (the helper child in
// watch-signals mode), to prove that nothing signalled it: a real-time
// marker signal sent at the end is delivered after any standard signal still
// pending, so every line before the marker's is a signal it should not have
// had.
class bystander {
 public:
  bystander() : cmd_(spawn_command({test_child_path, "watch-signals"})), lines_(cmd_.out.get()) {
    auto ready = lines_.next(10s);
    if (ready != "ready") throw std::runtime_error("watch-signals did not get ready");
  }
  bystander(const bystander&) = delete;
  bystander& operator=(const bystander&) = delete;
  ~bystander() {
    send_signal_pidfd(cmd_.pidfd.get(), SIGKILL);
    (void)finish(cmd_, 10s);
  }
  pid_t pid() const { return cmd_.pid; }

  // The signals received so far (empty is the good answer); checks that it
  // is still alive, too.
  std::vector<std::string> signals_received() {
    const int marker = SIGRTMAX;
    std::vector<std::string> got;
    if (has_exited(cmd_.pidfd.get())) return {"(it died)"};
    send_signal_pidfd(cmd_.pidfd.get(), marker);
    const std::string marker_line = "signal " + std::to_string(marker);
    for (;;) {
      auto line = lines_.next(10s);
      if (!line) return {"(no marker)"};
      if (*line == marker_line) return got;
      got.push_back(*line);
    }
  }

 private:
  running_command cmd_;
  line_reader lines_;
};

// A file's content and identity, to show it was not touched.
struct file_print {
  std::string content;
  ino_t ino = 0;
  off_t size = 0;
  struct timespec mtime {};
  nlink_t links = 0;
  bool operator==(const file_print& o) const {
    return content == o.content && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec && links == o.links;
  }
};

file_print print_of(const std::string& path) {
  file_print p;
  p.content = read_file(path).value_or("(unreadable)");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    p.ino = st.st_ino;
    p.size = st.st_size;
    p.mtime = st.st_mtim;
    p.links = st.st_nlink;
  }
  return p;
}

class hostile : public fault_fixture {
 protected:
  // Every control command on service s, with the exit code each must give.
  struct command {
    std::vector<std::string> args;
    int exit_code;
  };
  std::vector<command> control_commands(int status_code = 4) const {
    return {{{"status", "s"}, status_code},
            {{"stop", "s"}, 1},
            {{"signal", "s", "USR1"}, 1},
            {{"reload", "s"}, 1},
            {{"reopen", "s"}, 1},
            {{"logs", "s"}, 1},
            {{"start", "--name", "s", "--", test_child_path, "pause"}, 1}};
  }

  // Runs each command: the exit code it must give, nothing on stdout, one
  // line on stderr that contains `names` (the offending path) and `why`.
  void expect_refused(const std::vector<command>& commands, const std::string& names, const std::string& why) {
    const auto before = descendants_of(::getpid());
    for (const auto& c : commands) {
      SCOPED_TRACE("daemonkit " + join(c.args));
      auto r = dk(c.args);
      EXPECT_EQ(r.exit_code(), c.exit_code) << describe(r);
      EXPECT_EQ(r.out, "") << describe(r);
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
      EXPECT_TRUE(contains(r.err, names)) << "the message does not name " << names << "\n" << describe(r);
      EXPECT_TRUE(contains(r.err, why)) << describe(r);
    }
    auto after = descendants_of(::getpid());
    EXPECT_EQ(after, before) << "a refused command started or ended something:\n" << describe_processes(after);
  }
};

// ---------------------------------------------------------------------------
// The state directory

TEST_F(hostile, a_state_directory_that_is_a_symlink_is_refused_by_every_command) {
  const std::string elsewhere = tmp.file("elsewhere");
  ASSERT_EQ(::mkdir(elsewhere.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), state_dir.c_str()), 0);
  auto commands = control_commands();
  commands.push_back({{"restart", "s"}, 1});
  commands.push_back({{"status"}, 4});
  commands.push_back({{"list"}, 1});
  expect_refused(commands, state_dir, "is a symbolic link");
  EXPECT_TRUE(dir_entries(elsewhere).empty()) << join(dir_entries(elsewhere));
  EXPECT_EQ(read_link(state_dir), elsewhere);
}

TEST_F(hostile, a_state_directory_swapped_for_a_symlink_under_a_running_service_is_refused_and_the_service_left_alone) {
  pid_t pid = start("s", {test_child_path, "pause"});
  pid_t monitor = monitor_of("s");
  fd_guard service_fd(open_pidfd(pid));
  fd_guard monitor_fd(open_pidfd(monitor));
  const std::string real = tmp.file("state.real");
  ASSERT_EQ(::rename(state_dir.c_str(), real.c_str()), 0);
  ASSERT_EQ(::symlink(real.c_str(), state_dir.c_str()), 0);

  expect_refused({{{"status", "s"}, 4}, {{"stop", "s"}, 1}, {{"signal", "s", "KILL"}, 1}, {{"reload", "s"}, 1}},
                 state_dir, "is a symbolic link");
  EXPECT_FALSE(has_exited(service_fd.get()));
  EXPECT_FALSE(has_exited(monitor_fd.get()));

  ASSERT_EQ(::unlink(state_dir.c_str()), 0);
  ASSERT_EQ(::rename(real.c_str(), state_dir.c_str()), 0);
  auto stop = dk({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_TRUE(has_exited(service_fd.get()));
}

TEST_F(hostile, a_state_directory_writable_by_others_is_refused_and_not_changed) {
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(state_dir.c_str(), 0777), 0);
  expect_refused(control_commands(), state_dir, "writable by others");
  struct stat st {};
  ASSERT_EQ(::stat(state_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0777U) << "the mode was changed behind the user's back";
  EXPECT_TRUE(dir_entries(state_dir).empty()) << join(dir_entries(state_dir));
  ASSERT_EQ(::chmod(state_dir.c_str(), 0700), 0);
}

TEST_F(hostile, a_state_directory_opened_to_others_under_a_running_service_is_refused_and_the_service_left_alone) {
  pid_t pid = start("s", {test_child_path, "pause"});
  fd_guard service_fd(open_pidfd(pid));
  ASSERT_EQ(::chmod(state_dir.c_str(), 0777), 0);
  expect_refused({{{"stop", "s"}, 1}, {{"signal", "s", "KILL"}, 1}, {{"reload", "s"}, 1}}, state_dir,
                 "writable by others");
  EXPECT_FALSE(has_exited(service_fd.get()));
  ASSERT_EQ(::chmod(state_dir.c_str(), 0700), 0);
  auto stop = dk({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
}

// ---------------------------------------------------------------------------
// The pidfile

TEST_F(hostile, a_pidfile_that_is_a_symlink_to_etc_passwd_is_refused_and_passwd_untouched) {
  const std::string passwd = "/etc/passwd";
  auto before = print_of(passwd);
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(passwd.c_str(), pidfile("s").c_str()), 0);
  expect_refused(control_commands(), pidfile("s"), "is a symbolic link");
  EXPECT_TRUE(print_of(passwd) == before) << passwd << " changed";
  EXPECT_EQ(read_link(pidfile("s")), passwd) << "the symlink itself was replaced";
  EXPECT_EQ(dir_entries(state_dir), std::vector<std::string>{"s.pid"}) << join(dir_entries(state_dir));
  ASSERT_EQ(::unlink(pidfile("s").c_str()), 0);
}

// A stale pidfile (nobody holds its lock) names pid 1 or a live stranger:
// the service is not running, so stop succeeds (as documented) and the
// others say "not running"; nobody is signalled.
TEST_F(hostile, a_stale_pidfile_naming_pid_1_or_a_stranger_signals_nobody) {
  bystander stranger;
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  for (pid_t named : {pid_t{1}, stranger.pid()}) {
    SCOPED_TRACE("the pidfile names pid " + std::to_string(named));
    write_file(pidfile("s"), std::to_string(named) + "\n");
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"signal", "s", "TERM"}, {"reload", "s"}, {"reopen", "s"}}) {
      auto r = dk(args);
      EXPECT_EQ(r.exit_code(), 1) << describe(r);
      EXPECT_EQ(r.out, "") << describe(r);
      EXPECT_TRUE(r.err.rfind("daemonkit: s: not running", 0) == 0) << describe(r);
    }
    auto stop = dk({"stop", "s"});
    EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
    EXPECT_EQ(stop.out, "s: not running\n") << describe(stop);
    auto status = dk({"status", "s"});
    EXPECT_EQ(status.exit_code(), 3) << describe(status);
    EXPECT_EQ(stranger.signals_received(), std::vector<std::string>{});
  }
  // And start takes the name over without touching the stranger.
  pid_t pid = start("s", {test_child_path, "pause"});
  EXPECT_NE(pid, stranger.pid());
  auto stop = dk({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_EQ(stranger.signals_received(), std::vector<std::string>{});
}

// The pidfile is locked, but by a process that is no daemonkit monitor (and
// there is no state file at all): stop, reload and reopen must not signal
// the lock holder, signal must not signal the pid in the file.
TEST_F(hostile, a_pidfile_locked_by_a_stranger_is_not_taken_for_a_monitor) {
  // known bug: stop (SIGTERM via sigqueue), reload (SIGHUP) and reopen
  // (SIGRTMIN+1) send their signal to whatever process holds NAME.pid's
  // lock, without checking that it is a monitor of this service (NAME.state
  // does not even exist here); the holder dies. Reproducer:
  //   mkdir -m 700 STATE; dk_test_child hold-lock STATE/s.pid "$$" &
  //   DAEMONKIT_STATE_DIR=STATE daemonkit reload s   # "s: reloading", exit 0: the holder got SIGHUP and died
  bystander stranger;
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"signal", "s", "TERM"}, {"reload", "s"}, {"reopen", "s"}, {"stop", "--timeout", "1s", "s"}}) {
    SCOPED_TRACE("daemonkit " + join(args));
    auto holder = spawn_command({test_child_path, "hold-lock", pidfile("s"), std::to_string(stranger.pid()) + "\n"});
    line_reader holder_lines(holder.out.get());
    ASSERT_EQ(holder_lines.next(10s), "ready");
    auto r = dk(args);
    EXPECT_NE(r.exit_code(), 0) << describe(r);
    EXPECT_TRUE(contains(r.err, "daemonkit: s: ")) << describe(r);
    EXPECT_FALSE(has_exited(holder.pidfd.get())) << "the lock holder was signalled";
    EXPECT_EQ(stranger.signals_received(), std::vector<std::string>{});
    send_signal_pidfd(holder.pidfd.get(), SIGKILL);
    (void)finish(holder, 10s);
  }
  ASSERT_EQ(::unlink(pidfile("s").c_str()), 0);
}

// ---------------------------------------------------------------------------
// The state file

TEST_F(hostile, a_garbage_state_file_is_an_error_naming_it_and_signals_nobody) {
  bystander stranger;
  const std::string me = std::to_string(stranger.pid());
  struct variant {
    std::string what, content, why;
  };
  const std::vector<variant> variants{
      {"garbage", "garbage\x1b[31m with an escape\n", "invalid state file"},
      {"NUL bytes", "name=s\nstate=running\nmonitor_pid=\0\0\npid="s + me + "\n", "invalid state file"},
      {"pid 1", "name=s\nstate=running\npid=1\npid_start_ticks=1\n", "invalid state file"},
      {"huge", "state=running\n" + std::string(2 << 20, 'x') + "\n", "too large"},
      {"huge line", "state=running\npid=" + me + "\nstatus_text=" + std::string(100 << 10, 'x') + "\n", "too large"},
  };
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  for (const auto& v : variants) {
    SCOPED_TRACE(v.what);
    write_file(statefile("s"), v.content);
    auto t0 = steady::now();
    expect_refused(control_commands(), statefile("s"), v.why);
    EXPECT_LT(steady::now() - t0, 10s);
    EXPECT_EQ(read_file(statefile("s")), v.content) << "the state file was changed";
    EXPECT_EQ(stranger.signals_received(), std::vector<std::string>{});
  }
  ASSERT_EQ(::unlink(statefile("s").c_str()), 0);
}

// What held before issue 8 (kept so): a state file planted as a symlink is
// neither followed for reading nor written through, one planted as a FIFO
// does not hang anything, and an over-8-KiB one is refused at once.
TEST_F(hostile, a_state_file_planted_as_a_symlink_or_fifo_is_refused_and_not_followed) {
  const std::string victim = tmp.file("victim");
  write_file(victim, "format=2\nname=s\nstate=running\n");
  auto before = print_of(victim);
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(victim.c_str(), statefile("s").c_str()), 0);
  expect_refused(control_commands(), statefile("s"), "is a symbolic link");
  EXPECT_TRUE(print_of(victim) == before) << victim << " changed";
  EXPECT_EQ(read_link(statefile("s")), victim);
  ASSERT_EQ(::unlink(statefile("s").c_str()), 0);

  ASSERT_EQ(::mkfifo(statefile("s").c_str(), 0600), 0);
  auto t0 = steady::now();
  expect_refused(control_commands(), statefile("s"), "not a regular file");
  EXPECT_LT(steady::now() - t0, 10s);
  ASSERT_EQ(::unlink(statefile("s").c_str()), 0);

  write_file(statefile("s"), "format=2\nname=s\nstate=running\n" + std::string(9 << 10, 'x') + "\n");
  expect_refused(control_commands(), statefile("s"), "too large");
  ASSERT_EQ(::unlink(statefile("s").c_str()), 0);
}

// What held before issue 8 (kept so): a state directory that belongs to
// another user (here nobody, who could plant any state file in it) is
// refused by every command and left as it is.
TEST_F(hostile, a_state_directory_owned_by_another_user_is_refused_and_not_changed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  struct passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody'";
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(state_dir.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  auto commands = control_commands();
  commands.push_back({{"restart", "s"}, 1});
  commands.push_back({{"list"}, 1});
  expect_refused(commands, state_dir, "owned by uid " + std::to_string(nobody->pw_uid));
  struct stat st {};
  ASSERT_EQ(::stat(state_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid) << "the owner was changed behind the user's back";
  EXPECT_EQ(st.st_mode & 07777, 0700U);
  EXPECT_TRUE(dir_entries(state_dir).empty()) << join(dir_entries(state_dir));
}

// A well-formed state file whose pid is a stranger's, but with another
// start time: the service is taken for dead, the stranger is not touched.
TEST_F(hostile, a_state_file_naming_a_stranger_with_another_start_time_signals_nobody) {
  bystander stranger;
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  write_file(statefile("s"), "name=s\nstate=running\nmonitor_pid=" + std::to_string(stranger.pid()) +
                                 "\npid=" + std::to_string(stranger.pid()) + "\npid_start_ticks=1\nrestarts=0\n");
  for (const auto& args : std::vector<std::vector<std::string>>{{"signal", "s", "TERM"}, {"reload", "s"}}) {
    auto r = dk(args);
    EXPECT_EQ(r.exit_code(), 1) << describe(r);
  }
  auto stop = dk({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  auto status = dk({"status", "s"});
  EXPECT_NE(status.exit_code(), 0) << describe(status);
  EXPECT_FALSE(contains(status.out, ": running")) << describe(status);
  EXPECT_EQ(stranger.signals_received(), std::vector<std::string>{});
}

// NAME.state.tmp and NAME.json.tmp planted as hard links to a file outside
// the state directory: publishing the state must not write through them.
TEST_F(hostile, temporary_state_files_planted_as_hard_links_do_not_write_through) {
  // known bug: write_file_atomic opens PATH.tmp with O_CREAT|O_TRUNC but
  // without O_EXCL, so a hard link planted under that name is truncated and
  // overwritten, changing the linked file outside the state directory (and
  // NAME.state then shares its inode and mode). Reproducer:
  //   mkdir -m 700 STATE; echo precious > victim; ln victim STATE/s.state.tmp
  //   DAEMONKIT_STATE_DIR=STATE daemonkit start --name s -- sleep 1000; cat victim   # the state, not "precious"
  const std::string victim = tmp.file("victim"), victim2 = tmp.file("victim2");
  write_file(victim, "precious\n");
  write_file(victim2, "precious too\n");
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  ASSERT_EQ(::link(victim.c_str(), (statefile("s") + ".tmp").c_str()), 0);
  ASSERT_EQ(::link(victim2.c_str(), (configfile("s") + ".tmp").c_str()), 0);
  auto before = print_of(victim), before2 = print_of(victim2);
  auto r = dk({"start", "--name", "s", "--", test_child_path, "pause"});
  if (r.exit_code() != 0) {
    EXPECT_TRUE(contains(r.err, state_dir)) << describe(r);
  }
  auto stop = dk({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_EQ(print_of(victim).content, before.content) << "written through a planted hard link";
  EXPECT_EQ(print_of(victim2).content, before2.content) << "written through a planted hard link";
}

// ---------------------------------------------------------------------------
// The config file

TEST_F(hostile, a_corrupt_config_file_is_an_error_for_restart_and_start_replaces_it) {
  const std::vector<std::pair<std::string, std::string>> variants{
      {"truncated", "{\"argv\": [\"/bin/sleep\", \"10"},
      {"NUL byte", "{\"name\": \"s\", \"argv\": [\"/bin/sl\0eep\", \"1000\"]}"s},
      {"wrong types", "{\"name\": \"s\", \"argv\": \"/bin/sleep 1000\", \"stop_signal\": -3}"},
      {"bad signal", "{\"name\": \"s\", \"argv\": [\"/bin/sleep\"], \"stop_signal\": 4096}"},
      {"huge", std::string(5 << 20, ' ')},
  };
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  for (const auto& [what, content] : variants) {
    SCOPED_TRACE(what);
    write_file(configfile("s"), content);
    auto r = dk({"restart", "s"});
    EXPECT_EQ(r.exit_code(), 1) << describe(r);
    EXPECT_EQ(r.out, "") << describe(r);
    EXPECT_TRUE(contains(r.err, configfile("s"))) << describe(r);
    auto status = dk({"status", "s"});
    EXPECT_EQ(status.exit_code(), 3) << describe(status);
    EXPECT_TRUE(descendants_of(::getpid()).empty());
  }
  // A new start writes a good one.
  start("s", {test_child_path, "pause"});
  auto restarted = dk({"restart", "s"});
  EXPECT_EQ(restarted.exit_code(), 0) << describe(restarted);
  auto stop = dk({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
}

TEST_F(hostile, logs_of_a_service_with_a_corrupt_config_file_names_the_file) {
  // known bug: `logs` says "no such service" when NAME.json exists but is
  // corrupt (inspect_service drops the read error). Reproducer:
  //   printf '{"argv": [' > STATE/s.json; daemonkit logs s   # "daemonkit: s: no such service"
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  write_file(configfile("s"), "{\"argv\": [");
  auto r = dk({"logs", "s"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, configfile("s"))) << describe(r);
}

// ---------------------------------------------------------------------------
// Service names

TEST_F(hostile, names_with_path_parts_are_usage_errors_that_touch_nothing) {
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  const auto outside_before = dir_entries(tmp.path());
  const std::vector<std::string> names{"../x",
                                       "a/b",
                                       "..",
                                       ".",
                                       ".hidden",
                                       "",
                                       "x/../../y",
                                       "/etc/passwd",
                                       "../../../../etc/passwd",
                                       std::string(65, 'n'),
                                       "a\nb"};
  for (const auto& name : names) {
    SCOPED_TRACE("name '" + name + "'");
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"start", "--name", name, "--", test_child_path, "pause"},
                                               {"stop", name},
                                               {"status", name},
                                               {"signal", name, "TERM"},
                                               {"reload", name},
                                               {"restart", name},
                                               {"reopen", name},
                                               {"logs", name}}) {
      auto r = dk(args);
      EXPECT_EQ(r.exit_code(), 2) << describe(r);
      EXPECT_EQ(r.out, "") << describe(r);
      EXPECT_TRUE(contains(r.err, "invalid service name")) << describe(r);
    }
  }
  // The same through the command's basename (the default name).
  auto r = dk({"start", "--", "/tmp/.."});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_TRUE(dir_entries(state_dir).empty()) << join(dir_entries(state_dir));
  EXPECT_TRUE(dir_entries(log_dir).empty()) << join(dir_entries(log_dir));
  EXPECT_EQ(dir_entries(tmp.path()), outside_before);
  EXPECT_TRUE(descendants_of(::getpid()).empty());
}

// ---------------------------------------------------------------------------
// Env files

TEST_F(hostile, hostile_env_files_are_usage_errors_at_once) {
  struct variant {
    std::string what, content, why;
  };
  const std::string big_line = "A=1\nBIG=" + std::string(10 << 20, 'v') + "\n";
  const std::vector<variant> variants{
      {"NUL byte", "A=1\nB=x\0y\n"s, "line 2: NUL byte"},
      {"10 MB line", big_line, "line 2: line longer than"},
      {"20 MB", big_line + big_line, "larger than"},
  };
  for (const auto& v : variants) {
    SCOPED_TRACE(v.what);
    const std::string file = tmp.file("hostile.env");
    write_file(file, v.content);
    auto t0 = steady::now();
    auto r = dk({"start", "--name", "s", "--env-file", file, "--", test_child_path, "pause"}, {}, 10s);
    auto took = std::chrono::duration_cast<milliseconds>(steady::now() - t0);
    EXPECT_EQ(r.exit_code(), 2) << describe(r);
    EXPECT_EQ(r.out, "") << describe(r);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "--env-file")) << describe(r);
    EXPECT_TRUE(contains(r.err, file)) << describe(r);
    EXPECT_TRUE(contains(r.err, v.why)) << describe(r);
    EXPECT_LT(r.err.size(), 400U) << "the message quotes too much of the file";
    EXPECT_LT(took, 2s) << "took " << took.count() << "ms";
  }
  // A FIFO would block a reader forever: refused without opening for long.
  const std::string fifo = tmp.file("fifo.env");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = dk({"start", "--name", "s", "--env-file", fifo, "--", test_child_path, "pause"}, {}, 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_TRUE(contains(r.err, fifo)) << describe(r);
  // Nothing was started or created.
  EXPECT_FALSE(exists(state_dir)) << join(dir_entries(state_dir));
  EXPECT_TRUE(descendants_of(::getpid()).empty());
}

}  // namespace
