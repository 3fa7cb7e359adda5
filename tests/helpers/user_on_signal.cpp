// SPDX-License-Identifier: MIT
// A program that defines its own on_signal and release_at_exit, the names
// libdaemonkit once exported from daemon.cpp (extern "C", global): linked
// against the static library it failed with "multiple definition", and with
// the shared one its on_signal replaced the Daemon's SIGTERM handler. It must
// link, and its Daemon must stop on SIGTERM while SIGUSR1 reaches its own
// handler.
//
//   dk_user_on_signal PIDFILE {run|start|stop|...}
//
// Prints "running" once run() started, "user on_signal N" for each SIGUSR1
// and "stopped" when run() returns.
#include <csignal>
#include <cstdio>
#include <unistd.h>

#include "daemonkit/daemon.hpp"

extern "C" void on_signal(int sig) {
  char line[] = "user on_signal NN\n";
  line[15] = static_cast<char>('0' + sig / 10);
  line[16] = static_cast<char>('0' + sig % 10);
  (void)!::write(STDOUT_FILENO, line, sizeof line - 1);
}

extern "C" void release_at_exit() {}

namespace {

class user_daemon final : public daemonkit::Daemon {
 public:
  using Daemon::Daemon;

 private:
  void setup() override {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR1, &sa, nullptr);
  }
  void run() override {
    std::printf("running\n");
    std::fflush(stdout);
    while (!wait_for(std::chrono::hours(1))) {}
    std::printf("stopped\n");
    std::fflush(stdout);
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: dk_user_on_signal PIDFILE COMMAND\n");
    return 2;
  }
  release_at_exit();
  user_daemon d(argv[1]);
  d.set_name("user-daemon");
  char* args[] = {argv[0], argv[2], nullptr};
  return d.main(2, args);
}
