// SPDX-License-Identifier: MIT
// The workers of `daemonkit up`: each is this program executed again as
// `daemonkit __up-step ...`, not a bare fork of the scheduler, so that
// nothing but async-signal-safe code runs between fork and exec (spawn.hpp
// does the fork). The scheduler hands every worker the same bytes of the
// file it planned from, in a sealed memfd, so a file edited while `up` runs
// cannot give a worker other settings than the plan's.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "cli.hpp"
#include "daemonkit/spawn.hpp"
#include "daemonkit/unique_fd.hpp"
#include "up_step.hpp"

extern char** environ;

namespace dk {

namespace {

// The fd number the file's memfd has in a worker.
constexpr int worker_file_fd = 3;

const char* action_word(up_step::action a) {
  switch (a) {
    case up_step::action::start: return "start";
    case up_step::action::restart: return "restart";
    case up_step::action::keep: return "keep";
    case up_step::action::refuse: return "refuse";
  }
  return "refuse";
}

bool parse_action(std::string_view w, up_step::action& out) {
  for (auto a : {up_step::action::start, up_step::action::restart, up_step::action::keep}) {
    if (w == action_word(a)) {
      out = a;
      return true;
    }
  }
  return false;
}

}  // namespace

daemonkit::result<daemonkit::unique_fd> services_file_memfd(const services_file& f) {
  daemonkit::unique_fd fd(::memfd_create("daemonkit-services", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return daemonkit::system_error("cannot make a memfd for the workers");
  std::size_t done = 0;
  while (done < f.text.size()) {
    ssize_t n = ::write(fd.get(), f.text.data() + done, f.text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return daemonkit::system_error("cannot write the memfd for the workers");
    done += static_cast<std::size_t>(n);
  }
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return daemonkit::system_error("cannot seal the memfd for the workers");
  }
  return fd;
}

daemonkit::result<daemonkit::process> spawn_self(std::vector<std::string> args, int output_fd, int file_fd) {
  daemonkit::spawn_options s;
  // /proc/self/exe in the child is the child's own program: this one, even
  // if a package upgrade replaced the file meanwhile.
  s.argv = {"/proc/self/exe"};
  s.argv.insert(s.argv.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) s.env.emplace_back(*e);
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return daemonkit::system_error("cannot get the working directory");
  s.working_directory = cwd;
  s.umask = -1;
  s.new_session = false;  // a Ctrl-C at the terminal reaches the workers too
  // ... unless ignored: `nohup daemonkit up` must not lose a worker (between
  // a restart's stop and its start) to the terminal's hangup.
  s.keep_ignored_signals = true;
  s.stdout_fd = output_fd;
  s.stderr_fd = output_fd;
  if (file_fd >= 0) s.extra_fds = {{file_fd, worker_file_fd}};
  return daemonkit::spawn(s);
}

daemonkit::result<daemonkit::process> spawn_worker(const common_options& o, const services_file& f, int file_fd,
                                                   const std::string& dir, const up_step& u, bool healthy,
                                                   int output_fd) {
  std::vector<std::string> args = {
      "__up-step", f.path,      u.name,   action_word(u.what), u.completed ? "1" : "0", healthy ? "1" : "0",
      dir,         o.state_dir, o.log_dir};
  args.insert(args.end(), u.changed.begin(), u.changed.end());
  return spawn_self(std::move(args), output_fd, file_fd);
}

int up_step_main(int argc, char** argv) {
  // FILE NAME ACTION COMPLETED HEALTHY DIR STATE_DIR LOG_DIR [CHANGED...]
  // Its stdout is a pipe: line by line, so that its lines and its
  // complaints (stderr, unbuffered) reach the scheduler in the order made.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 8) {
    complain("", "__up-step: internal command of `daemonkit up`, not for use by hand");
    return exit_usage;
  }
  std::vector<std::string> a(argv, argv + argc);
  up_step u;
  u.name = a[1];
  if (!parse_action(a[2], u.what)) {
    complain(u.name, "__up-step: unknown action '" + a[2] + "'");
    return exit_usage;
  }
  u.completed = a[3] == "1";
  bool healthy = a[4] == "1";
  const std::string& dir = a[5];
  common_options o{a[6], a[7]};
  u.changed.assign(a.begin() + 8, a.end());

  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::pread(worker_file_fd, buf, sizeof buf, static_cast<off_t>(text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      complain(u.name, std::string("__up-step: cannot read the services file's memfd: ") + std::strerror(errno));
      return exit_failure;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(worker_file_fd);
  services_file f = parse_services_file(text, a[0]);
  std::string base = u.name.substr(0, u.name.find('@'));
  u.service = f.find(base);
  if (!f.errors.empty()) {
    complain(u.name, "__up-step: the text of " + a[0] + " handed over does not parse: " + f.describe(f.errors.front()));
    return exit_failure;
  }
  if (u.service == nullptr) {
    complain(u.name, "__up-step: the text of " + a[0] + " handed over has no service '" + base + "'");
    return exit_failure;
  }
  int rc = run_step(o, f, dir, u, healthy);
  std::fflush(nullptr);
  return rc;
}

}  // namespace dk
