// SPDX-License-Identifier: MIT
// pidfile: created atomically and locked for the owner's whole life, refusing
// symlinks, content "PID\n", stale files replaced, removed only by the owner.
//
// A POSIX lock is dropped when its owner closes *any* fd on the file, so the
// pidfiles here are held by forked children while the test process probes
// them; the test process holds none itself.
#include "daemonkit/pidfile.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <functional>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "test_support.hpp"
#include "tool_processes.hpp"

namespace {

using namespace dk_test;
using daemonkit::errc;
using daemonkit::pidfile_state;

class pidfile_test : public process_fixture {
 protected:
  // A forked child that runs body() (which acquires), writes "held\n" when
  // body succeeded, then waits to be killed. Returns it once "held" arrived.
  running_command hold(const std::function<bool()>& body) {
    auto child = fork_function([&] {
      if (!body()) return 1;
      std::printf("held\n");
      std::fflush(stdout);
      for (;;) ::pause();
    });
    line_reader out(child.out.get());
    EXPECT_EQ(out.next(5s), "held");
    return child;
  }

  // Acquires `path` in a forked child and holds it.
  running_command hold_pidfile(const std::string& path) {
    return hold([path] {
      static daemonkit::pidfile held;  // lives until the child is killed
      auto p = daemonkit::pidfile::acquire(path);
      if (!p) {
        std::printf("%s\n", p.err().message().c_str());
        return false;
      }
      held = std::move(*p);
      return true;
    });
  }

  // Runs one acquire in a forked child; returns its error message or "ok".
  std::string try_acquire(const std::string& path) {
    auto r = run_function([&] {
      auto p = daemonkit::pidfile::acquire(path);
      std::printf("%s\n", p ? "ok" : p.err().message().c_str());
      return 0;
    });
    return r.out.empty() ? describe(r) : r.out.substr(0, r.out.size() - 1);
  }

  bool only_pidfile_in_dir() const {
    for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
      if (e.path().string() != pidfile) return false;
    }
    return true;
  }
};

TEST_F(pidfile_test, acquire_writes_pid_newline_mode_0644_and_holds_the_lock) {
  auto child = hold([&] {
    ::umask(077);  // the file's mode must not depend on the caller's umask
    static daemonkit::pidfile held;
    auto p = daemonkit::pidfile::acquire(pidfile);
    if (!p) return false;
    held = std::move(*p);
    return held.owned() && held.path() == pidfile && held.fd() > 2;
  });
  EXPECT_EQ(read_file(pidfile), std::to_string(child.pid) + "\n");
  EXPECT_EQ(lock_holder(pidfile), child.pid);
  struct stat st {};
  ASSERT_EQ(::stat(pidfile.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_TRUE(only_pidfile_in_dir()) << "a temporary file was left behind";
  // The held fd shows the pidfile's own name (renameat2 moved the locked dentry).
  bool found = false;
  for (const auto& [fd, target] : fds_of(child.pid)) found = found || target == pidfile;
  EXPECT_TRUE(found);

  send_signal_pidfd(child.pidfd.get(), SIGKILL);
  finish(child);
  EXPECT_EQ(lock_holder(pidfile), 0) << "the lock dies with its owner";
  EXPECT_TRUE(exists(pidfile));
}

TEST_F(pidfile_test, a_second_acquire_fails_naming_the_holder) {
  auto child = hold_pidfile(pidfile);
  EXPECT_EQ(try_acquire(pidfile), "already running (pid " + std::to_string(child.pid) + ")");
  EXPECT_EQ(read_file(pidfile), std::to_string(child.pid) + "\n");
  EXPECT_EQ(lock_holder(pidfile), child.pid);
  EXPECT_TRUE(only_pidfile_in_dir());
  send_signal_pidfd(child.pidfd.get(), SIGKILL);
  finish(child);
}

TEST_F(pidfile_test, a_stale_pidfile_is_replaced) {
  for (const std::string& content : std::vector<std::string>{"12345\n", "", "garbage", std::string(100000, '9')}) {
    write_file(pidfile, content);
    auto child = hold_pidfile(pidfile);
    EXPECT_EQ(read_file(pidfile), std::to_string(child.pid) + "\n");
    EXPECT_EQ(lock_holder(pidfile), child.pid);
    send_signal_pidfd(child.pidfd.get(), SIGKILL);
    finish(child);
  }
  EXPECT_TRUE(only_pidfile_in_dir());
}

TEST_F(pidfile_test, symlinks_and_non_regular_files_are_refused_and_left_alone) {
  const std::string target = tmp.file("target");
  write_file(target, "precious\n");
  ASSERT_EQ(::symlink(target.c_str(), pidfile.c_str()), 0);
  EXPECT_EQ(try_acquire(pidfile), "pidfile " + pidfile + " is a symbolic link; refusing to use it");
  EXPECT_EQ(read_file(target), "precious\n");
  EXPECT_EQ(read_link(pidfile), target);

  ::unlink(pidfile.c_str());
  ASSERT_EQ(::symlink(tmp.file("dangling").c_str(), pidfile.c_str()), 0);
  EXPECT_EQ(try_acquire(pidfile), "pidfile " + pidfile + " is a symbolic link; refusing to use it");
  EXPECT_FALSE(exists(tmp.file("dangling")));
  ::unlink(pidfile.c_str());

  ASSERT_EQ(::mkdir(pidfile.c_str(), 0755), 0);
  EXPECT_EQ(try_acquire(pidfile), "cannot open pidfile " + pidfile + ": Is a directory");
  ::rmdir(pidfile.c_str());

  ASSERT_EQ(::mkfifo(pidfile.c_str(), 0644), 0);
  EXPECT_EQ(try_acquire(pidfile), "pidfile " + pidfile + " is not a regular file");
  ::unlink(pidfile.c_str());

  EXPECT_EQ(try_acquire(tmp.file("missing/x.pid")),
            "cannot create pidfile " + tmp.file("missing/x.pid") + ": No such file or directory");
  EXPECT_EQ(try_acquire(""), "pidfile path is empty");
  // Nothing but what the test made itself is left in the directory.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()), {}), 1);
}

TEST_F(pidfile_test, release_removes_the_file_and_a_forked_copy_never_does) {
  auto r = run_function([&] {
    auto p = daemonkit::pidfile::acquire(pidfile);
    if (!p) return 2;
    std::fflush(nullptr);
    pid_t child = ::fork();
    if (child == 0) {
      // The forked copy releases (e.g. a worker exiting): not the owner.
      p->release();
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    struct stat st {};
    bool still_there = ::stat(pidfile.c_str(), &st) == 0;
    // Probe the lock from yet another process: the parent's lock survived.
    pid_t prober = ::fork();
    if (prober == 0) {
      auto s = daemonkit::probe_pidfile(pidfile);
      ::_exit(s && s->state == pidfile_state::kind::running && s->pid == ::getppid() ? 0 : 1);
    }
    ::waitpid(prober, &status, 0);
    bool still_locked = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    p->release();
    bool gone = ::stat(pidfile.c_str(), &st) != 0;
    p->release();  // twice is fine
    std::printf("%d %d %d\n", still_there, still_locked, gone);
    return 0;
  });
  EXPECT_EQ(r.out, "1 1 1\n") << describe(r);
  EXPECT_FALSE(exists(pidfile));
}

TEST_F(pidfile_test, release_leaves_a_replacement_alone) {
  // The owner's file was replaced behind its back (an admin, another start
  // after a forced unlink): release must not remove the new one.
  auto r = run_function([&] {
    auto p = daemonkit::pidfile::acquire(pidfile);
    if (!p) return 2;
    ::unlink(pidfile.c_str());
    FILE* f = std::fopen(pidfile.c_str(), "w");
    std::fputs("999\n", f);
    std::fclose(f);
    p->release();
    return 0;
  });
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(read_file(pidfile), "999\n");
}

TEST_F(pidfile_test, rewrite_changes_the_content_and_keeps_the_lock) {
  auto child = hold([&] {
    static daemonkit::pidfile held;
    auto p = daemonkit::pidfile::acquire(pidfile, 4194304);
    if (!p) return false;
    held = std::move(*p);
    return static_cast<bool>(held.rewrite(77));
  });
  EXPECT_EQ(read_file(pidfile), "77\n");
  EXPECT_EQ(lock_holder(pidfile), child.pid);
  send_signal_pidfd(child.pidfd.get(), SIGKILL);
  finish(child);
  daemonkit::pidfile none;
  auto r = none.rewrite(5);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().message(), "pidfile is not held");
}

TEST_F(pidfile_test, probe_reports_absent_stale_and_running) {
  auto s = daemonkit::probe_pidfile(pidfile);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, pidfile_state::kind::absent);

  write_file(pidfile, "4321\n");
  s = daemonkit::probe_pidfile(pidfile);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, pidfile_state::kind::stale);
  EXPECT_TRUE(s->content_ok);
  EXPECT_EQ(s->file_pid, 4321);
  EXPECT_EQ(s->pid, 4321);

  write_file(pidfile, "1\n");
  s = daemonkit::probe_pidfile(pidfile);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, pidfile_state::kind::stale);
  EXPECT_FALSE(s->content_ok);
  EXPECT_EQ(s->pid, 0);
  EXPECT_EQ(s->file_pid, 0);

  // More than a pidfile can hold is invalid content, whatever it starts with.
  write_file(pidfile, "4321\n" + std::string(10 * 1024 * 1024, ' '));
  s = daemonkit::probe_pidfile(pidfile);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->content_ok);

  ::unlink(pidfile.c_str());
  auto child = hold_pidfile(pidfile);
  s = daemonkit::probe_pidfile(pidfile);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, pidfile_state::kind::running);
  EXPECT_EQ(s->pid, child.pid);
  EXPECT_EQ(s->file_pid, child.pid);
  EXPECT_TRUE(s->content_ok);
  EXPECT_EQ(lock_holder(pidfile), child.pid) << "probing must not disturb the lock";
  send_signal_pidfd(child.pidfd.get(), SIGKILL);
  finish(child);
}

TEST_F(pidfile_test, remove_stale_pidfile_removes_only_an_unlocked_file_naming_that_pid) {
  write_file(pidfile, "4321\n");
  EXPECT_FALSE(daemonkit::remove_stale_pidfile(pidfile, 4322));
  EXPECT_TRUE(exists(pidfile));
  EXPECT_TRUE(daemonkit::remove_stale_pidfile(pidfile, 4321));
  EXPECT_FALSE(exists(pidfile));
  EXPECT_FALSE(daemonkit::remove_stale_pidfile(pidfile, 4321));

  auto child = hold_pidfile(pidfile);
  EXPECT_FALSE(daemonkit::remove_stale_pidfile(pidfile, child.pid)) << "removed a live daemon's pidfile";
  EXPECT_TRUE(exists(pidfile));
  EXPECT_EQ(lock_holder(pidfile), child.pid);
  send_signal_pidfd(child.pidfd.get(), SIGKILL);
  finish(child);

  const std::string target = tmp.file("target");
  write_file(target, "4321\n");
  ::unlink(pidfile.c_str());
  ASSERT_EQ(::symlink(target.c_str(), pidfile.c_str()), 0);
  EXPECT_FALSE(daemonkit::remove_stale_pidfile(pidfile, 4321));
  EXPECT_TRUE(exists(target));
}

TEST_F(pidfile_test, twenty_racing_acquires_have_exactly_one_winner) {
  write_file(pidfile, "99999\n");  // stale, to race through the replace path too
  std::vector<running_command> racers;
  for (int i = 0; i < 20; ++i) {
    racers.push_back(fork_function([&] {
      auto p = daemonkit::pidfile::acquire(pidfile);
      std::printf("%s\n", p ? "won" : p.err().message().c_str());
      std::fflush(stdout);
      if (!p) return 1;
      for (;;) ::pause();
    }));
  }
  std::vector<std::string> first_lines;
  for (auto& r : racers) {
    line_reader out(r.out.get());
    first_lines.push_back(out.next(10s).value_or("(nothing)"));
  }
  pid_t winner = 0;
  for (size_t i = 0; i < racers.size(); ++i) {
    if (first_lines[i] == "won") {
      EXPECT_EQ(winner, 0) << "two winners";
      winner = racers[i].pid;
    }
  }
  ASSERT_NE(winner, 0);
  for (size_t i = 0; i < racers.size(); ++i) {
    if (racers[i].pid != winner) {
      EXPECT_EQ(first_lines[i], "already running (pid " + std::to_string(winner) + ")");
    }
  }
  EXPECT_EQ(read_file(pidfile), std::to_string(winner) + "\n");
  EXPECT_EQ(lock_holder(pidfile), winner);
  EXPECT_TRUE(only_pidfile_in_dir());
  for (auto& r : racers) {
    send_signal_pidfd(r.pidfd.get(), SIGKILL);
    finish(r);
  }
}

// adopt: how a program exec'd by the holder (daemonkit-monitor) takes up the
// pidfile whose fcntl lock survived the exec. Only the file at the path, and
// only a lock nobody else holds, is taken up.
TEST_F(pidfile_test, adopt_takes_up_a_held_lock_and_nothing_else) {
  auto r = run_function([&] {
    auto held = daemonkit::pidfile::acquire(pidfile);
    if (!held) return 2;
    // The same file through another fd of ours, as across an exec (a second
    // fd closing would drop the lock, so the original one is handed on).
    const int fd = held->fd();
    daemonkit::unique_fd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    auto other = daemonkit::pidfile::adopt(std::move(dup), tmp.file("elsewhere.pid"));
    std::printf("%s\n", other ? "adopted elsewhere" : other.err().message().c_str());
    return 0;
  });
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "cannot take up pidfile " + tmp.file("elsewhere.pid") + ": not the file held")) << r.out;

  // Held by another process: refused, and that holder keeps it.
  auto holder = hold_pidfile(pidfile);
  auto refused = run_function([&] {
    daemonkit::unique_fd fd(::open(pidfile.c_str(), O_RDWR | O_CLOEXEC));
    auto p = daemonkit::pidfile::adopt(std::move(fd), pidfile);
    std::printf("%s\n", p ? "adopted" : p.err().message().c_str());
    return 0;
  });
  EXPECT_TRUE(contains(refused.out, "locked by another process")) << refused.out;
  auto st = daemonkit::probe_pidfile(pidfile);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, pidfile_state::kind::running);
  EXPECT_EQ(st->pid, holder.pid);
  ::kill(holder.pid, SIGKILL);
  finish(holder);

  // Ours: taken up, and released like an acquired one (the file goes).
  auto ours = run_function([&] {
    daemonkit::unique_fd fd(::open(pidfile.c_str(), O_RDWR | O_CLOEXEC));
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_SETLK, &fl) != 0) return 2;
    auto p = daemonkit::pidfile::adopt(std::move(fd), pidfile);
    if (!p || !p->owned()) return 3;
    p->release();
    struct stat s {};
    return ::stat(pidfile.c_str(), &s) != 0 ? 0 : 4;
  });
  EXPECT_EQ(ours.exit_code(), 0) << describe(ours);
}

}  // namespace
