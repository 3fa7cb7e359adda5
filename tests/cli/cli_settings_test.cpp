// SPDX-License-Identifier: MIT
// Process settings of a service, checked in /proc the way an administrator
// would: working directory, umask, environment, niceness, limits, user, open
// fds and signal state.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <grp.h>
#include <pwd.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_settings : public cli_fixture {
 protected:
  static std::vector<std::string> environ_of(pid_t pid) {
    auto text = read_file("/proc/" + std::to_string(pid) + "/environ");
    std::vector<std::string> out;
    if (!text) return out;
    std::string cur;
    for (char c : *text) {
      if (c == '\0') {
        out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    return out;
  }

  static std::optional<std::string> env_var(pid_t pid, const std::string& key) {
    for (const auto& e : environ_of(pid)) {
      if (e.rfind(key + "=", 0) == 0) return e.substr(key.size() + 1);
    }
    return std::nullopt;
  }

  // Field 19 of /proc/PID/stat.
  static long nice_of(pid_t pid) {
    auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!text) return 99;
    std::istringstream in(text->substr(text->rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && in >> field; ++i) {}
    return std::stol(field);
  }

  // The "Max open files" line of /proc/PID/limits: {soft, hard}.
  static std::pair<std::string, std::string> nofile_of(pid_t pid) {
    auto text = read_file("/proc/" + std::to_string(pid) + "/limits");
    for (const auto& line : split_lines(text.value_or(""))) {
      if (line.rfind("Max open files", 0) == 0) {
        std::istringstream in(line.substr(14));
        std::string soft, hard;
        in >> soft >> hard;
        return {soft, hard};
      }
    }
    return {};
  }

  static std::string describe_fds(const std::map<int, std::string>& fds) {
    std::string s;
    for (const auto& [fd, target] : fds) s += "  " + std::to_string(fd) + " -> " + target + "\n";
    return s;
  }
};

TEST_F(cli_settings, defaults_are_root_directory_umask_022_and_the_callers_environment) {
  command_options o;
  o.cwd = tmp.path();
  o.umask = 077;
  o.set_env.push_back("DK_CLI_MARKER=from-caller");
  pid_t pid = start_ready("def", {"pause"}, {}, o);
  EXPECT_EQ(cwd_of(pid), "/");
  EXPECT_EQ(umask_of(pid), 022u);
  EXPECT_EQ(env_var(pid, "DK_CLI_MARKER"), "from-caller");
  EXPECT_EQ(env_var(pid, "NOTIFY_SOCKET"), std::nullopt);
  EXPECT_EQ(nice_of(pid), 0);
}

TEST_F(cli_settings, chdir_umask_env_nice_and_rlimit_are_applied) {
  std::string dir = tmp.file("work");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  pid_t pid = start_ready("set", {"pause"},
                          {"--chdir", dir, "--umask", "027", "--env", "A=1", "--env", "B=two words", "--nice", "5",
                           "--rlimit", "nofile=123"});
  EXPECT_EQ(cwd_of(pid), dir);
  EXPECT_EQ(umask_of(pid), 027u);
  EXPECT_EQ(env_var(pid, "A"), "1");
  EXPECT_EQ(env_var(pid, "B"), "two words");
  EXPECT_EQ(nice_of(pid), 5);
  EXPECT_EQ(nofile_of(pid), (std::pair<std::string, std::string>{"123", "123"}));
}

TEST_F(cli_settings, rlimit_takes_a_separate_hard_limit) {
  pid_t pid = start_ready("lim", {"pause"}, {"--rlimit", "nofile=100:200"});
  EXPECT_EQ(nofile_of(pid), (std::pair<std::string, std::string>{"100", "200"}));
}

TEST_F(cli_settings, a_relative_chdir_is_relative_to_the_callers_directory) {
  ASSERT_EQ(::mkdir(tmp.file("sub").c_str(), 0755), 0);
  command_options o;
  o.cwd = tmp.path();
  pid_t pid = start_ready("rel", {"pause"}, {"--chdir", "sub"}, o);
  EXPECT_EQ(cwd_of(pid), tmp.file("sub"));
}

TEST_F(cli_settings, a_missing_chdir_fails_the_start_with_the_reason) {
  auto r = dk({"start", "--name", "nodir", "--chdir", "/nonexistent-dir", "--", test_child_path, "pause"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "daemonkit: nodir: ")) << r.err;
  EXPECT_TRUE(contains(r.err, "/nonexistent-dir: No such file or directory")) << r.err;
  EXPECT_TRUE(wait_no_descendants(10s).empty());
}

TEST_F(cli_settings, env_file_then_env_in_that_order_and_clear_env) {
  std::string file = tmp.file("env");
  write_file(file, "# a comment\nA=from-file\nexport B=\"quoted value\"\n\nC=kept\n");
  pid_t pid = start_ready("ef", {"pause"}, {"--env-file", file, "--env", "A=from-option"});
  EXPECT_EQ(env_var(pid, "A"), "from-option");
  EXPECT_EQ(env_var(pid, "B"), "quoted value");
  EXPECT_EQ(env_var(pid, "C"), "kept");

  command_options o;
  o.set_env.push_back("DK_CLI_MARKER=from-caller");
  pid_t clean = start_ready("clear", {"pause"}, {"--clear-env", "--env", "ONLY=this"}, o);
  auto env = environ_of(clean);
  std::sort(env.begin(), env.end());
  ASSERT_EQ(env.size(), 2u) << ::testing::PrintToString(env);
  EXPECT_EQ(env[0], "ONLY=this");
  EXPECT_EQ(env[1].rfind("PATH=", 0), 0u);
}

TEST_F(cli_settings, user_runs_the_service_as_that_user_and_group) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root";
  struct passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(pw->pw_gid);
  pid_t pid = start_ready("usr", {"pause"}, {"--user", "nobody"});
  EXPECT_EQ(status_field(pid, "Uid"), uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(status_field(pid, "Gid"), gid + "\t" + gid + "\t" + gid + "\t" + gid);
  EXPECT_EQ(status_field(pid, "Groups"), gid + " ") << "supplementary groups are nobody's, not root's";
  EXPECT_EQ(env_var(pid, "USER"), "nobody");
  // Its monitor stays root, so it can still stop it.
  EXPECT_EQ(status_field(monitor_of("usr"), "Uid")->substr(0, 2), "0\t");

  struct group* gr = ::getgrnam("nogroup");
  ASSERT_NE(gr, nullptr);
  pid_t pid2 = start_ready("usrgrp", {"pause"}, {"--user", "nobody:nogroup"});
  EXPECT_EQ(status_field(pid2, "Gid")->substr(0, std::to_string(gr->gr_gid).size() + 1),
            std::to_string(gr->gr_gid) + "\t");
}

TEST_F(cli_settings, the_user_is_looked_up_by_the_command_and_reaches_the_monitor_as_ids) {
  ASSERT_EQ(::geteuid(), 0u) << "this test needs root";
  struct passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr);
  const std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(pw->pw_gid);
  pid_t pid = start_ready("ids", {"pause"}, {"--user", "nobody"});
  // The monitor program makes no NSS lookup (it is linked static): what it
  // switches the service to crossed the exec already looked up.
  const std::string cmd = cmdline_of(monitor_of("ids"));
  EXPECT_TRUE(contains(cmd, "--uid " + uid + " --gid " + gid + " --groups " + gid + " --user-name nobody")) << cmd;
  EXPECT_EQ(status_field(pid, "Uid"), uid + "\t" + uid + "\t" + uid + "\t" + uid);
  EXPECT_EQ(env_var(pid, "HOME"), std::string(pw->pw_dir));

  // A user that does not exist is the command's error, before any monitor.
  auto r = dk({"start", "--name", "ghost", "--user", "no-such-user-dk", "--", test_child_path, "pause"});
  EXPECT_NE(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(contains(r.err, "no-such-user-dk")) << r.err;
  EXPECT_FALSE(exists(pidfile("ghost")));
}

TEST_F(cli_settings, the_monitors_malloc_tuning_stays_the_monitors) {
  // Without GLIBC_TUNABLES in the caller's environment, the service has none;
  // the monitor has glibc's per-thread cache off (monitor_exec.cpp).
  command_options untuned;
  untuned.unset_env.push_back("GLIBC_TUNABLES");
  pid_t plain = start_ready("plain", {"pause"}, {}, untuned);
  EXPECT_EQ(env_var(plain, "GLIBC_TUNABLES"), std::nullopt);
  EXPECT_EQ(env_var(monitor_of("plain"), "GLIBC_TUNABLES"), "glibc.malloc.tcache_count=0");

  // With it, the service has exactly the caller's. (The monitor gets the
  // caller's with its own appended; glibc's start-up then rewrites the
  // variable in place, so /proc shows the monitor's only in part.)
  command_options tuning;
  tuning.set_env.push_back("GLIBC_TUNABLES=glibc.malloc.arena_max=2");
  pid_t tuned = start_ready("tuned", {"pause"}, {}, tuning);
  EXPECT_EQ(env_var(tuned, "GLIBC_TUNABLES"), "glibc.malloc.arena_max=2");
}

TEST_F(cli_settings, the_monitor_keeps_only_what_it_reads_of_the_callers_environment) {
  // The service gets the caller's environment (from its options); the
  // monitor keeps only the few variables it reads (monitor_exec.cpp), so a
  // large environment does not cost every monitor stack pages.
  command_options o;
  o.set_env = {"DK_UNREAD=" + std::string(2000, 'x'), "TZ=UTC0"};
  pid_t pid = start_ready("envs", {"pause"}, {}, o);
  EXPECT_EQ(env_var(pid, "DK_UNREAD"), std::string(2000, 'x'));
  EXPECT_EQ(env_var(pid, "TZ"), "UTC0");
  pid_t monitor = monitor_of("envs");
  ASSERT_GT(monitor, 0);
  EXPECT_EQ(env_var(monitor, "DK_UNREAD"), std::nullopt);
  EXPECT_EQ(env_var(monitor, "PATH"), std::nullopt);
  EXPECT_EQ(env_var(monitor, "TZ"), "UTC0") << "the logs' timestamps read it";
  std::vector<pid_t> keepers;
  for (pid_t p : children_of(monitor)) {
    if (p != pid) keepers.push_back(p);
  }
  ASSERT_EQ(keepers.size(), 1u) << "the monitor's children but the service: its keeper";
  EXPECT_EQ(env_var(keepers[0], "TZ"), "UTC0") << "the keeper's timestamps read it too";
  EXPECT_EQ(env_var(keepers[0], "DK_UNREAD"), std::nullopt);
}

TEST_F(cli_settings, the_monitors_options_scratch_is_unmapped_once_it_runs) {
  // The options are parsed in a mapping of their own (1 MiB, named
  // daemonkit-options where the kernel names mappings), unmapped once the
  // monitor copied them out (tools/monitor/scratch_heap.hpp). Still there,
  // something the parse allocated outlived it.
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer maps regions of every size: the size says nothing";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "AddressSanitizer maps regions of every size: the size says nothing";
#endif
#endif
  command_options o;
  o.set_env = {"DK_BULK=" + std::string(4000, 'y')};  // options of some size
  start_ready("scratch", {"pause"}, {}, o);
  pid_t monitor = monitor_of("scratch");
  ASSERT_GT(monitor, 0);
  auto maps = read_file("/proc/" + std::to_string(monitor) + "/maps");
  ASSERT_TRUE(maps.has_value());
  for (const auto& line : split_lines(*maps)) {
    EXPECT_EQ(line.find("daemonkit-options"), std::string::npos) << line;
    std::uintptr_t lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && line.find('/') == std::string::npos &&
        line.find('[') == std::string::npos) {
      EXPECT_NE(hi - lo, 1024u * 1024u) << "an unnamed mapping of the scratch's size: " << line;
    }
  }
}

TEST_F(cli_settings, the_service_has_only_stdio_open_whatever_the_caller_had) {
  std::string marker = tmp.file("marker");
  write_file(marker, "x");
  fd_guard m(::open(marker.c_str(), O_RDONLY | O_CLOEXEC));
  command_options o;
  o.inherit_fds = {{m.get(), 3}, {m.get(), 9}, {m.get(), 1023}};
  pid_t pid = start_ready("fds", {"pause"}, {}, o);
  auto fds = fds_of(pid);
  ASSERT_EQ(fds.size(), 3u) << describe_fds(fds);
  EXPECT_EQ(fds[0], "/dev/null");
  EXPECT_EQ(fds[1].rfind("pipe:", 0), 0u) << fds[1];
  EXPECT_EQ(fds[2], fds[1]) << "one pipe for stdout and stderr into the one log";
  // Neither the monitor nor its keeper kept the caller's fds either.
  pid_t monitor = monitor_of("fds");
  auto ours = children_of(monitor);  // the keeper and the service
  ours.push_back(monitor);
  for (pid_t p : ours) {
    for (const auto& [fd, target] : fds_of(p)) {
      EXPECT_NE(target, marker) << comm_of(p) << " holds the caller's fd " << fd;
    }
  }
}

TEST_F(cli_settings, with_fd_readiness_the_ready_fd_is_the_only_extra_one) {
  fd_guard devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  command_options o;
  o.inherit_fds = {{devnull.get(), 3}, {devnull.get(), 1023}};
  pid_t pid = start("fd5", {"/bin/sh", "-c", "echo >&5; exec " + std::string(test_child_path) + " pause"},
                    {"--ready", "fd:5"}, o);
  ASSERT_TRUE(wait_lines(logfile("fd5"), "ready"));  // past the dynamic loader
  auto fds = fds_of(pid);
  std::set<int> numbers;
  for (const auto& [fd, target] : fds) numbers.insert(fd);
  EXPECT_EQ(numbers, (std::set<int>{0, 1, 2, 5})) << describe_fds(fds);
}

TEST_F(cli_settings, signals_are_neither_blocked_nor_ignored_even_if_the_caller_had_them) {
  command_options o;
  o.ignore_signals = {SIGPIPE, SIGHUP, SIGINT};
  o.block_signals = {SIGTERM, SIGUSR1, SIGCHLD};
  pid_t pid = start_ready("sigs", {"pause"}, {}, o);
  EXPECT_EQ(signal_mask(pid, "SigBlk"), 0u);
  EXPECT_EQ(signal_mask(pid, "SigIgn"), 0u);

  // The same for a service under `daemonkit run`.
  auto r = dk({"run", "--name", "sigrun", "--", test_child_path, "print-sigstate"}, o);
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

}  // namespace
