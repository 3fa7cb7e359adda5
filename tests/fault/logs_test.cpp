// SPDX-License-Identifier: MIT
// Logs under pressure: a full file system, a log reader that does not keep
// up, a service writing faster than the disk. The service is never wedged
// by its log, the monitor keeps answering status and stop, and what was lost
// is said in the log once writing works again.
#include <gtest/gtest.h>

#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include "fault_support.hpp"

namespace {

using namespace dk_fault;

// Answering within this is "prompt": a status or stop of an idle service
// takes a few ms; the bound leaves room for a loaded CI machine.
constexpr auto k_prompt = 3s;

// A service that writes numbered lines as fast as the shell can and, after
// each, its count into a file outside the log's file system: proof that it
// is not blocked, whatever happens to its output.
std::vector<std::string> counting_spewer(const std::string& counter) {
  return {"/bin/sh", "-c",
          "i=0; while :; do i=$((i+1)); echo \"line $i of a service that writes as fast as it can\"; "
          "echo $i > '" +
              counter + "'; done"};
}

class logs : public fault_fixture {
 protected:
  // The service's line count (0 while the file is being rewritten).
  long count() const {
    auto text = read_file(counter).value_or("");
    return to_long(text.substr(0, text.find('\n')), 0);
  }
  // Waits until the service has written n more lines than now.
  bool progresses_by(long n, milliseconds timeout = 20s) const {
    long from = count();
    return wait_until([&] { return count() >= from + n; }, timeout, events().changes_in(counter));
  }

  // Runs `daemonkit ARGS` and checks it answered within k_prompt.
  command_result dk_prompt(const std::vector<std::string>& args) {
    auto t0 = steady::now();
    auto r = dk(args, {}, 30s);
    auto took = std::chrono::duration_cast<milliseconds>(steady::now() - t0);
    EXPECT_LT(took, k_prompt) << "daemonkit " << join(args) << " took " << took.count() << "ms";
    return r;
  }

  std::string counter = tmp.file("counter");
};

// --------------------------------------------------------------------------
// A full file system under the log directory.

class full_disk : public logs {
 protected:
  void SetUp() override {
    logs::SetUp();
    if (::mount("tmpfs", log_dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=256k") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs on " << log_dir << ": " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    logs::TearDown();  // every process is gone first: nothing writes into it any more
    if (mounted_) {
      EXPECT_EQ(::umount2(log_dir.c_str(), MNT_DETACH), 0) << std::strerror(errno);
    }
  }

  bool disk_full() const {
    struct statvfs v {};
    return ::statvfs(log_dir.c_str(), &v) == 0 && v.f_bavail == 0;
  }

 private:
  bool mounted_ = false;
};

TEST_F(full_disk, the_service_keeps_running_the_monitor_answers_and_the_loss_is_logged) {
  // Ballast leaves the log about 64 KiB; removing it later frees the space.
  const std::string ballast = log_dir + "/ballast";
  write_file(ballast, std::string(192 * 1024, 'b'));
  pid_t pid = start("s", counting_spewer(counter));
  fd_guard service_fd(open_pidfd(pid));

  ASSERT_TRUE(wait_until([&] { return disk_full(); }, 20s, events().changes_in(log_dir))) << "the disk never filled";
  // Full, and the service goes on: thousands of lines more than fit.
  EXPECT_TRUE(progresses_by(3000)) << "the service stalled on a full disk at line " << count();
  EXPECT_FALSE(has_exited(service_fd.get()));

  auto st = dk_prompt({"status", "s"});
  EXPECT_EQ(st.exit_code(), 0) << describe(st);
  EXPECT_EQ(st.out.rfind("s: running (pid " + std::to_string(pid) + ")", 0), 0U) << describe(st);

  // Space again: the next write starts with the marker of what was lost.
  ASSERT_EQ(::unlink(ballast.c_str()), 0);
  const std::string marker = "daemonkit: dropped ";
  ASSERT_TRUE(wait_until([&] { return contains(read_file(logfile("s")).value_or(""), marker); }, 20s,
                         events().changes_in(log_dir)))
      << "no '" << marker << "' line in the log after space was freed";
  auto text = read_file(logfile("s")).value_or("");
  auto at = text.find(marker);
  EXPECT_TRUE(at == 0 || text[at - 1] == '\n') << "the marker does not start a line";
  auto line = text.substr(at, text.find('\n', at) - at);
  EXPECT_GT(to_long(line.substr(marker.size(), line.find(' ', marker.size()) - marker.size()), 0), 0) << line;
  EXPECT_TRUE(contains(line, " bytes of output (No space left on device)")) << line;
  EXPECT_TRUE(progresses_by(100)) << "the service stalled after space was freed";

  auto stop = dk_prompt({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_TRUE(has_exited(service_fd.get()));
}

// --------------------------------------------------------------------------
// A log reader that does not keep up: the log is a FIFO the test holds open
// and does not read, until it chooses to.

TEST_F(logs, a_reader_that_does_not_keep_up_never_wedges_the_service_or_the_monitor) {
  const std::string fifo = tmp.file("log.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fd_guard reader(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(reader.valid()) << std::strerror(errno);
  pid_t pid = start("s", counting_spewer(counter), {"--log-file", fifo});
  fd_guard service_fd(open_pidfd(pid));

  // Far more than the FIFO holds (64 KiB), with nobody reading.
  EXPECT_TRUE(progresses_by(5000)) << "the service stalled behind a full log at line " << count();
  int queued = 0;
  ASSERT_EQ(::ioctl(reader.get(), FIONREAD, &queued), 0);
  // Full, at the pipe's granularity: 16 page-sized slots, and a write that
  // does not fit the last slot's free tail takes a slot of its own, so a
  // full FIFO can hold a few KiB less than 64 (60,267 bytes was seen).
  EXPECT_GE(queued, 56 * 1024) << "the log FIFO is not full: the test proves nothing";

  auto st = dk_prompt({"status", "s"});
  EXPECT_EQ(st.exit_code(), 0) << describe(st);
  auto sig = dk_prompt({"signal", "s", "CONT"});
  EXPECT_EQ(sig.exit_code(), 0) << describe(sig);

  // Reading again: the lost bytes are announced in the stream.
  const std::string marker = "daemonkit: dropped ";
  std::string window;  // the stream's tail, from the marker once it is seen
  auto marker_line_read = [&] {
    auto at = window.find(marker);
    return at != std::string::npos && window.find('\n', at) != std::string::npos;
  };
  bool seen = wait_until(
      [&] {
        char buf[65536];
        ssize_t n;
        while (!marker_line_read() && (n = ::read(reader.get(), buf, sizeof buf)) > 0) {
          window.append(buf, static_cast<size_t>(n));
          auto at = window.find(marker);
          window.erase(0, at != std::string::npos ? at : window.size() > 256 ? window.size() - 256 : 0);
        }
        return marker_line_read();
      },
      20s, events().readable(reader.get()).changes_in(counter));
  ASSERT_TRUE(seen) << "no '" << marker << "' line in the log stream";
  auto line = window.substr(0, window.find('\n'));
  EXPECT_TRUE(contains(line, " bytes of output (Resource temporarily unavailable)")) << line;

  auto stop = dk_prompt({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_TRUE(has_exited(service_fd.get()));
}

// --------------------------------------------------------------------------
// A service writing faster than the disk takes it (rotating a small log all
// the time): back-pressure only, the monitor still answers at once.

TEST_F(logs, a_writer_faster_than_the_disk_leaves_the_monitor_responsive) {
  pid_t pid = start("s", {"/usr/bin/yes", std::string(100, 'y')}, {"--log-max-size", "1M", "--log-keep", "1"});
  fd_guard service_fd(open_pidfd(pid));
  // Writing flat out: the log has been rotated at least once.
  ASSERT_TRUE(wait_until([&] { return exists(logfile("s") + ".1"); }, 20s, events().changes_in(log_dir)));

  for (int i = 0; i < 3; ++i) {
    auto st = dk_prompt({"status", "s"});
    EXPECT_EQ(st.exit_code(), 0) << describe(st);
  }
  auto sig = dk_prompt({"reopen", "s"});
  EXPECT_EQ(sig.exit_code(), 0) << describe(sig);
  auto stop = dk_prompt({"stop", "s"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_TRUE(has_exited(service_fd.get()));
  // Every line is whole: rotation only ever happens between lines. (The
  // monitor's own lines are whole too; the service's last line may have
  // been cut by its death.)
  const std::string full(100, 'y');
  for (const auto& f : {logfile("s") + ".1", logfile("s")}) {
    auto text = read_file(f).value_or("");
    std::istringstream in(text);
    std::vector<std::string> bad;
    for (std::string line; std::getline(in, line);) {
      if (line != full && line.rfind("daemonkit: ", 0) != 0) bad.push_back(line);
    }
    if (f == logfile("s") && !bad.empty() && full.rfind(bad.back(), 0) == 0) bad.pop_back();
    EXPECT_TRUE(bad.empty()) << f << " has " << bad.size() << " torn lines, the first: '" << bad.front() << "'";
  }
}

}  // namespace
