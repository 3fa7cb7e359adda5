// SPDX-License-Identifier: MIT
// What held when issue 8 attacked daemonkit as a local user, kept so: the
// privilege drop of a --user service, and a user's daemonkit refusing what
// that user may not do. Needs root (real second users): skipped otherwise.
#include <sys/stat.h>

#include "fault_support.hpp"

namespace dk_fault {
namespace {

class privilege : public fault_fixture {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: creates users and runs services as them";
    fault_fixture::SetUp();
    ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  }

  // daemonkit run as `u`, with a state directory of its own.
  command_result as_user(const test_user& u, const std::vector<std::string>& args) {
    std::string base = tmp.file("as-" + u.name());
    u.own(base, 0755);
    command_options o;
    o.unset_env = {"NOTIFY_SOCKET", "DAEMONKIT_LOG_DIR", "XDG_RUNTIME_DIR", "XDG_STATE_HOME"};
    o.set_env = {"DAEMONKIT_STATE_DIR=" + base + "/state", "HOME=" + base};
    o.cwd = base;
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid",       u.name(), "--regid",
                                  u.name(),           "--init-groups", tool_path};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, o);
  }
};

std::string field(pid_t pid, const char* name) {
  std::string v = status_field(pid, name).value_or("<none>");
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

TEST_F(privilege, a_user_service_has_that_users_ids_no_capabilities_and_only_stdio) {
  test_user u("pd");
  pid_t pid = start("drop", {"/bin/sleep", "100"}, {"--user", u.name()});
  ASSERT_GT(pid, 1);
  std::string uid = std::to_string(u.uid()), gid = std::to_string(u.gid());
  EXPECT_EQ(field(pid, "Uid"), uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(field(pid, "Gid"), gid + "\t" + gid + "\t" + gid + "\t" + gid);
  EXPECT_EQ(field(pid, "Groups"), gid);
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapAmb"})
    EXPECT_EQ(field(pid, cap), "0000000000000000") << cap;
  std::vector<int> fds;
  for (const auto& [fd, target] : fds_of(pid)) fds.push_back(fd);
  EXPECT_EQ(fds, (std::vector<int>{0, 1, 2}));
}

TEST_F(privilege, a_user_may_not_run_a_service_as_another_user_or_write_where_it_may_not) {
  test_user u("pn");
  auto r = as_user(u, {"start", "--name", "x", "--user", "root", "--", "/bin/sleep", "100"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_NE(r.err.find("--user"), std::string::npos) << r.err;

  auto r2 = as_user(u, {"start", "--name", "x", "--log-dir", "/etc/daemonkit-test-logs", "--", "/bin/sleep", "100"});
  EXPECT_EQ(r2.exit_code(), 1) << describe(r2);
  EXPECT_FALSE(exists("/etc/daemonkit-test-logs"));

  auto r3 = as_user(u, {"start", "--name", "x", "--log-file", "/etc/passwd", "--", "/bin/sleep", "100"});
  EXPECT_EQ(r3.exit_code(), 1) << describe(r3);

  // Root's state directory: refused, not read as if it were the user's.
  start("rootsvc", {"/bin/sleep", "100"});
  auto r4 = as_user(u, {"status", "--state-dir", state_dir, "rootsvc"});
  EXPECT_NE(r4.exit_code(), 0) << describe(r4);
  EXPECT_NE(r4.err.find(state_dir), std::string::npos) << describe(r4);
}

}  // namespace
}  // namespace dk_fault
