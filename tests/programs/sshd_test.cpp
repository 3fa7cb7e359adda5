// SPDX-License-Identifier: MIT
// sshd refuses to start without its privilege-separation directory
// /run/sshd, which Debian's unit makes with RuntimeDirectory=sshd. With
// `--runtime-dir sshd` daemonkit makes it, tells the service where it is
// (RUNTIME_DIRECTORY) and removes it once the service stopped.
#include <gtest/gtest.h>

#include "programs_support.hpp"

namespace {

using namespace dk_programs;

const std::string sshd = "/usr/sbin/sshd";
const std::string ssh_keygen = "/usr/bin/ssh-keygen";
const std::string run_sshd = "/run/sshd";

class sshd_test : public program_fixture {
 protected:
  sshd_test() : program_fixture({sshd, ssh_keygen}) {}

  void SetUp() override {
    program_fixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The directory is the machine's, not the test's: leave it to a running sshd.
    auto running = processes_where([](pid_t p) { return comm_of(p) == "sshd"; });
    if (!running.empty()) {
      GTEST_SKIP() << "an sshd already runs here and uses " << run_sshd << ":\n" << describe_processes(running);
    }
    // Left by the openssh-server package (or a killed run): not ours to keep.
    if (exists(run_sshd)) {
      ASSERT_EQ(::rmdir(run_sshd.c_str()), 0) << run_sshd << ": " << std::strerror(errno);
    }
    auto r = run_command({ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-f", hostkey});
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    write_file(config,
               "ListenAddress 127.0.0.1\nPidFile none\nUsePAM no\nPasswordAuthentication no\n"
               "KbdInteractiveAuthentication no\nAuthorizedKeysFile none\n");
  }

  std::string hostkey = tmp.file("hostkey");
  std::string config = tmp.file("sshd_config");
};

TEST_F(sshd_test, runtime_dir_is_made_for_sshd_and_removed_after_stop) {
  const int port = free_port();
  // sshd writes its process title over its environment block, so
  // /proc/PID/environ cannot show what it was given: a shell says it and
  // execs sshd (same pid, the one start prints).
  pid_t pid = start("ssh",
                    {"/bin/sh", "-c", R"(echo "RUNTIME_DIRECTORY=${RUNTIME_DIRECTORY-(unset)}"; exec "$0" "$@")", sshd,
                     "-D", "-e", "-f", config, "-p", std::to_string(port), "-h", hostkey},
                    {"--ready", "notify", "--runtime-dir", "sshd"});
  ASSERT_GT(pid, 0) << log_text("ssh");

  struct stat st {};
  ASSERT_EQ(::lstat(run_sshd.c_str(), &st), 0) << run_sshd << ": " << std::strerror(errno);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u) << "owned by the service's user";
  EXPECT_EQ(comm_of(pid), "sshd");
  ASSERT_TRUE(wait_lines(logfile("ssh"), "RUNTIME_DIRECTORY=")) << log_text("ssh");
  EXPECT_EQ(count_exact_lines(logfile("ssh"), "RUNTIME_DIRECTORY=" + run_sshd), 1u) << log_text("ssh");

  // It serves: the SSH banner on the port.
  fd_guard c = tcp_connect(port);
  ASSERT_TRUE(c.valid()) << std::strerror(errno);
  line_reader in(c.get());
  EXPECT_EQ(in.next(5s).value_or("no banner").rfind("SSH-2.0-OpenSSH", 0), 0u);
  c.reset();

  auto r = dk({"stop", "ssh"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_FALSE(is_alive(pid));
  EXPECT_FALSE(exists(run_sshd)) << run_sshd << " is still there after stop";
  EXPECT_TRUE(leftovers("sshd").empty()) << describe_processes(leftovers("sshd"));
}

}  // namespace
