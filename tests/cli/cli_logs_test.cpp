// SPDX-License-Identifier: MIT
// Logs: where a service's output goes, rotation without lost or torn lines,
// timestamps, split stdout/stderr, reopen for logrotate, and `daemonkit logs`.
#include <gtest/gtest.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_logs : public cli_fixture {
 protected:
  // Starts NAME and waits until its monitor has exited (the service ran to
  // its end and every line reached the log).
  void run_to_end(const std::string& name, std::vector<std::string> mode_and_args,
                  const std::vector<std::string>& options = {}) {
    start_child(name, std::move(mode_and_args), options);
    auto m = state(name)["monitor_pid"];
    ASSERT_FALSE(m.empty());
    ASSERT_TRUE(wait_monitor_exit(std::stoi(m), 30s));
  }

  // A service that echoes every line written into the FIFO at `fifo`, after
  // printing "ready" once it has the FIFO open.
  std::vector<std::string> echo_service(const std::string& fifo) {
    EXPECT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    return {"/bin/sh", "-c", "exec 3<>" + fifo + "; echo ready; while read -r l <&3; do echo \"$l\"; done"};
  }

  static void write_all(int fd, const std::string& text) {
    size_t at = 0;
    while (at < text.size()) {
      ssize_t n = ::write(fd, text.data() + at, text.size() - at);
      ASSERT_GT(n, 0) << std::strerror(errno);
      at += static_cast<size_t>(n);
    }
  }
};

TEST_F(cli_logs, rotation_keeps_whole_lines_and_loses_none) {
  const long total = 100000;
  run_to_end("sp", {"spew-lines", std::to_string(total)}, {"--log-max-size", "64K", "--log-keep", "3"});
  std::vector<std::string> files{logfile("sp") + ".3", logfile("sp") + ".2", logfile("sp") + ".1", logfile("sp")};
  EXPECT_FALSE(exists(logfile("sp") + ".4")) << "--log-keep 3 keeps three rotated files";
  std::string all;
  for (const auto& f : files) {
    auto text = read_file(f);
    ASSERT_TRUE(text) << f << " is missing";
    EXPECT_LE(text->size(), 64u * 1024) << f;
    ASSERT_FALSE(text->empty()) << f;
    EXPECT_EQ(text->back(), '\n') << f << " ends in the middle of a line";
    all += *text;
  }
  static const std::regex line_re("^line (\\d+)$");
  std::vector<long> numbers;
  for (const auto& line : split_lines(all)) {
    std::smatch m;
    if (std::regex_match(line, m, line_re)) {
      numbers.push_back(std::stol(m[1]));
    } else {
      EXPECT_EQ(line.rfind("daemonkit: sp: ", 0), 0u) << "torn or foreign line: '" << line << "'";
    }
  }
  ASSERT_FALSE(numbers.empty());
  EXPECT_EQ(numbers.back(), total);
  for (size_t i = 1; i < numbers.size(); ++i) {
    ASSERT_EQ(numbers[i], numbers[i - 1] + 1) << "lines lost or reordered at index " << i;
  }
  EXPECT_GT(numbers.size(), 3u * 5000) << "the rotated files hold a real tail";
}

TEST_F(cli_logs, timestamps_prefix_every_line) {
  start("ts", {"/bin/sh", "-c", "echo one; echo two >&2; exec " + std::string(test_child_path) + " pause"},
        {"--timestamps"});
  ASSERT_TRUE(wait_until([&] { return count_lines(logfile("ts"), "") >= 3; }, 10s, events().changes_in(logfile("ts"))));
  auto lines = split_lines(*read_file(logfile("ts")));
  ASSERT_EQ(lines.size(), 3u);
  static const std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}([+-]\d\d:\d\d|Z) (.*)$)");
  std::vector<std::string> texts;
  for (const auto& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, stamp)) << "no timestamp: '" << line << "'";
    texts.push_back(m[2]);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"one", "two", "ready"}));
}

TEST_F(cli_logs, stdout_and_stderr_can_go_to_separate_files) {
  std::string out = tmp.file("out.log"), err = tmp.file("err.log");
  start("split", {"/bin/sh", "-c", "echo out1; echo err1 >&2; exec " + std::string(test_child_path) + " pause"},
        {"--stdout", out, "--stderr", err});
  ASSERT_TRUE(wait_lines(out, "ready"));
  ASSERT_TRUE(wait_lines(err, "err1"));
  EXPECT_EQ(read_file(out), "out1\nready\n");
  EXPECT_EQ(read_file(err), "err1\n");
  EXPECT_FALSE(exists(logfile("split")));
  auto l = dk({"logs", "split"});
  EXPECT_EQ(l.exit_code(), 0) << describe(l);
  EXPECT_EQ(l.out, "out1\nready\n");
}

TEST_F(cli_logs, reopen_makes_the_monitor_write_to_a_fresh_file) {
  start_child("ro", {"watch-signals"}, {"--stop-timeout", "300ms"});
  ASSERT_TRUE(wait_lines(logfile("ro"), "ready"));
  std::string old = logfile("ro") + ".old";
  ASSERT_EQ(::rename(logfile("ro").c_str(), old.c_str()), 0);
  auto r = dk({"reopen", "ro"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  // reopen only signals the monitor; the new file appears once it did.
  ASSERT_TRUE(wait_until([&] { return exists(logfile("ro")); }, 10s, events().changes_in(log_dir)));
  ASSERT_EQ(dk({"signal", "ro", "USR1"}).exit_code(), 0);
  EXPECT_TRUE(wait_lines(logfile("ro"), "signal 10"));
  EXPECT_EQ(count_lines(old, "signal 10"), 0u);
  EXPECT_EQ(count_lines(old, "ready"), 1u);
}

TEST_F(cli_logs, reopen_of_a_service_that_is_not_running_fails) {
  auto r = dk({"reopen", "ghost"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "daemonkit: ghost: ")) << r.err;
}

TEST_F(cli_logs, logs_prints_the_last_lines) {
  run_to_end("tail", {"spew-lines", "30"});
  auto r = dk({"logs", "tail", "-n", "3"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "line 29\nline 30\ndaemonkit: tail: exited with status 0\n");
  auto d = dk({"logs", "tail"});
  EXPECT_EQ(split_lines(d.out).size(), 10u) << d.out;
  EXPECT_EQ(split_lines(d.out).front(), "line 22");
}

TEST_F(cli_logs, logs_of_an_unknown_service_fails) {
  auto r = dk({"logs", "ghost"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_EQ(r.err, "daemonkit: ghost: no such service\n");
}

TEST_F(cli_logs, logs_follow_prints_new_lines_across_rotation) {
  std::string fifo = tmp.file("in");
  start("fol", echo_service(fifo), {"--log-max-size", "1K", "--log-keep", "10"});
  ASSERT_TRUE(wait_lines(logfile("fol"), "ready"));
  auto follower = dk_spawn({"logs", "fol", "-f", "-n", "1"});
  line_reader out(follower.out.get());
  ASSERT_EQ(out.next(10s), "ready");

  fd_guard in(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK));
  ASSERT_TRUE(in.valid()) << std::strerror(errno);
  // Batches of ~900 bytes: each crosses at most one rotation at 1K, and the
  // next is written only once the follower printed the last one.
  int next = 1;
  for (int batch = 0; batch < 5; ++batch) {
    std::string text;
    for (int i = 0; i < 100; ++i) text += "msg " + std::to_string(batch * 100 + i + 1) + "\n";
    write_all(in.get(), text);
    for (int i = 0; i < 100; ++i, ++next) {
      ASSERT_EQ(out.next(10s), "msg " + std::to_string(next)) << "logs -f lost or reordered a line";
    }
  }
  EXPECT_TRUE(exists(logfile("fol") + ".2")) << "the test meant to cross rotations";
  send_signal_pidfd(follower.pidfd.get(), SIGTERM);
  finish(follower, 10s);
}

// A follower that falls more than one rotation behind (here: stopped while
// the log rotates twice) reads every rotated generation in order: nothing
// skipped, no torn line.
TEST_F(cli_logs, logs_follow_loses_nothing_when_it_falls_two_rotations_behind) {
  std::string fifo = tmp.file("in");
  start("lag", echo_service(fifo), {"--log-max-size", "1K", "--log-keep", "10"});
  ASSERT_TRUE(wait_lines(logfile("lag"), "ready"));
  auto follower = dk_spawn({"logs", "lag", "-f", "-n", "1"});
  line_reader out(follower.out.get());
  ASSERT_EQ(out.next(10s), "ready");
  ASSERT_EQ(send_signal_pidfd(follower.pidfd.get(), SIGSTOP), 0);
  fd_guard in(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK));
  ASSERT_TRUE(in.valid()) << std::strerror(errno);
  std::string text;
  for (int i = 1; i <= 300; ++i) text += "msg " + std::to_string(i) + "\n";  // ~2.7K: two rotations
  write_all(in.get(), text);
  ASSERT_TRUE(wait_lines(logfile("lag"), "msg 300"));
  ASSERT_TRUE(exists(logfile("lag") + ".2"));
  ASSERT_EQ(send_signal_pidfd(follower.pidfd.get(), SIGCONT), 0);
  for (int i = 1; i <= 300; ++i) {
    ASSERT_EQ(out.next(10s), "msg " + std::to_string(i)) << "logs -f lost or reordered a line";
  }
  send_signal_pidfd(follower.pidfd.get(), SIGTERM);
  finish(follower, 10s);
}

}  // namespace
