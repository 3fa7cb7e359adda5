// SPDX-License-Identifier: MIT
// The state directory: the default for a user who is not root, and the
// refusal of one that others could tamper with.
#include <gtest/gtest.h>

#include <pwd.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_state_dir : public cli_fixture {
 protected:
  // `daemonkit ARGS` run as nobody with a minimal environment (no
  // DAEMONKIT_* variables, no XDG_RUNTIME_DIR): the defaults apply.
  command_result dk_as_nobody(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid=nobody",     "--regid=nogroup",
                                  "--clear-groups",   "/usr/bin/env",       "-i",
                                  "HOME=" + home,     "PATH=/usr/bin:/bin", tool_path};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  // A state directory that must be refused: start, status and stop fail
  // with `why`, and nothing is created in it or in the log directory.
  void expect_refused(const std::string& dir, const std::string& why) {
    auto before = std::filesystem::exists(dir) ? std::distance(std::filesystem::directory_iterator(dir), {}) : 0;
    command_options no_env;
    auto r = run_command(
        {tool_path, "start", "--state-dir", dir, "--log-dir", log_dir, "--name", "x", "--", test_child_path, "pause"},
        no_env);
    EXPECT_EQ(r.exit_code(), 1) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(contains(r.err, why)) << r.err;
    EXPECT_EQ(split_lines(r.err).size(), 1u) << r.err;
    EXPECT_TRUE(std::filesystem::is_empty(log_dir));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), before)
        << "something was created in " << dir;
    EXPECT_TRUE(descendants_of(::getpid()).empty());
    auto s = run_command({tool_path, "status", "--state-dir", dir}, no_env);
    EXPECT_EQ(s.exit_code(), 4) << describe(s);
    EXPECT_TRUE(contains(s.err, why)) << s.err;
    auto st = run_command({tool_path, "stop", "--state-dir", dir, "x"}, no_env);
    EXPECT_EQ(st.exit_code(), 1) << describe(st);
  }

  std::string home = tmp.file("home");
};

TEST_F(cli_state_dir, a_user_who_is_not_root_gets_a_private_directory_in_tmp) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root to become nobody";
  struct passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  const uid_t uid = pw->pw_uid;
  const std::string dir = "/tmp/daemonkit-" + std::to_string(uid);
  const std::string name = "dk-cli-" + std::to_string(::getpid());
  // nobody must reach its HOME (for the default log directory) inside our
  // private temp directory.
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(home.c_str(), 0755), 0);
  ASSERT_EQ(::chown(home.c_str(), uid, pw->pw_gid), 0);
  const bool existed = exists(dir);
  on_teardown([=, this] {
    auto r = dk_as_nobody({"stop", name});
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    for (const char* ext : {".pid", ".state", ".json"}) ::unlink((dir + "/" + name + ext).c_str());
    if (!existed) ::rmdir(dir.c_str());
  });

  auto r = dk_as_nobody({"start", "--name", name, "--", test_child_path, "pause"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  pid_t pid = pid_in_text(r.out);
  EXPECT_EQ(r.out, name + ": started (pid " + std::to_string(pid) + ")\n");

  struct stat st {};
  ASSERT_EQ(::lstat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_uid, uid);
  if (!existed) {
    EXPECT_EQ(st.st_mode & 07777, 0700u);
  }
  EXPECT_EQ(st.st_mode & 077, 0u) << "the state directory must be private";
  EXPECT_EQ(read_file(dir + "/" + name + ".pid"), std::to_string(pid) + "\n");
  pid_t monitor = lock_holder(dir + "/" + name + ".pid");
  ASSERT_GT(monitor, 1);
  EXPECT_EQ(status_field(monitor, "Uid")->substr(0, std::to_string(uid).size() + 1), std::to_string(uid) + "\t");
  EXPECT_EQ(status_field(pid, "Uid")->substr(0, std::to_string(uid).size() + 1), std::to_string(uid) + "\t");
  EXPECT_TRUE(wait_lines(home + "/.local/state/daemonkit/log/" + name + ".log", "ready"));

  auto s = dk_as_nobody({"status", name});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  auto stop = dk_as_nobody({"stop", name});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_FALSE(is_alive(pid));
}

TEST_F(cli_state_dir, a_directory_writable_by_others_is_refused) {
  std::string dir = tmp.file("open");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  expect_refused(dir, "state directory " + dir + " is writable by others; refusing to use it");
  ASSERT_EQ(::chmod(dir.c_str(), 0720), 0);
  expect_refused(dir, "is writable by others");
}

TEST_F(cli_state_dir, a_symbolic_link_is_refused_even_with_a_trailing_slash) {
  std::string real = tmp.file("real"), link = tmp.file("link");
  ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  expect_refused(link, "state directory " + link + " is a symbolic link; refusing to use it");
  expect_refused(link + "/", "is a symbolic link");
  EXPECT_TRUE(std::filesystem::is_empty(real));
}

TEST_F(cli_state_dir, a_directory_owned_by_someone_else_is_refused) {
  struct passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  std::string dir = tmp.file("theirs");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), pw->pw_uid, pw->pw_gid), 0);
  expect_refused(dir, "is owned by uid " + std::to_string(pw->pw_uid));
}

TEST_F(cli_state_dir, a_file_in_place_of_the_directory_is_refused) {
  std::string file = tmp.file("file");
  write_file(file, "");
  command_options no_env;
  auto r = run_command(
      {tool_path, "start", "--state-dir", file, "--log-dir", log_dir, "--name", "x", "--", test_child_path, "pause"},
      no_env);
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "is not a directory")) << r.err;
}

}  // namespace
