// SPDX-License-Identifier: MIT
// A small daemon on daemonkit::Daemon, built the way a project that uses
// daemonkit builds it: tests/consumers/ROUTE/ builds this file against
// daemonkit one way each, and scripts/test-consumers.sh runs it.
//
//   consumer PIDFILE LOG start|stop|restart|status|reload|run
//
// Its log says "consumer ROUTE: running, daemonkit VERSION" once run()
// started, and "consumer ROUTE: stopping" when it was asked to stop.
#include <daemonkit/daemonkit.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#ifndef DK_CONSUMER_ROUTE
#error "define DK_CONSUMER_ROUTE as the route's name"
#endif

// The version the package manager found (find_package, pkg-config) is the
// version of the headers it gave.
#ifdef DK_PACKAGE_VERSION
static_assert(std::string_view(DK_PACKAGE_VERSION) == DAEMONKIT_VERSION_STRING);
#endif

namespace {

class consumer final : public daemonkit::Daemon {
 public:
  consumer(const std::string& pidfile, const std::string& log, std::chrono::milliseconds tick)
      : Daemon(pidfile, "/dev/null", log, log), tick_(tick) {}

 private:
  void run() override {
    std::printf("consumer %s: running, daemonkit %s\n", DK_CONSUMER_ROUTE, DAEMONKIT_VERSION_STRING);
    std::fflush(stdout);
    while (!wait_for(tick_)) {}
    std::printf("consumer %s: stopping\n", DK_CONSUMER_ROUTE);
    std::fflush(stdout);
  }

  std::chrono::milliseconds tick_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s PIDFILE LOG start|stop|restart|status|reload|run\n", argv[0]);
    return 2;
  }
  // Free functions and an error's message: what a shared libdaemonkit must
  // export besides the Daemon class.
  auto tick = daemonkit::parse_duration("1h");
  auto bad = daemonkit::parse_duration("soon");
  if (!tick || bad || bad.err().message().empty()) {
    std::fprintf(stderr, "consumer: daemonkit::parse_duration does not work\n");
    return 1;
  }
  consumer d(argv[1], argv[2], *tick);
  d.set_name("consumer");
  char* args[] = {argv[0], argv[3], nullptr};
  return d.main(2, args);
}
