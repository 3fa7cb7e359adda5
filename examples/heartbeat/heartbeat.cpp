// SPDX-License-Identifier: MIT
// The classic example daemon, written with daemonkit::Daemon.
//
//   heartbeat [--pidfile FILE] [--log FILE] [--interval SECONDS] {start|stop|restart|status|reload|run}
//
// start daemonizes with pidfile /tmp/daemon-example.pid and log
// /tmp/daemon-example.log, writes "Daemon started with pid N", then
// "Daemon Alive! <ctime>" every 5 seconds until stopped. stop returns once the
// daemon is gone, because wait_for() wakes at once on SIGTERM.
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "daemonkit/daemon.hpp"
#include "daemonkit/units.hpp"

namespace {

class heartbeat final : public daemonkit::Daemon {
 public:
  heartbeat(const std::string& pidfile, const std::string& log, std::chrono::milliseconds interval)
      : Daemon(pidfile, "/dev/null", log, log), interval_(interval) {}

 private:
  void run() override {
    std::printf("Daemon started with pid %d\n", static_cast<int>(::getpid()));
    std::fflush(stdout);
    do {
      std::time_t now = std::time(nullptr);
      std::printf("Daemon Alive! %s", std::ctime(&now));  // ctime ends in '\n'
      std::fflush(stdout);
    } while (!wait_for(interval_));
  }

  void on_reload() override {
    std::printf("Daemon reloading\n");
    std::fflush(stdout);
  }

  std::chrono::milliseconds interval_;
};

int usage(const char* prog) {
  std::fprintf(stderr,
               "Usage: %s [--pidfile FILE] [--log FILE] [--interval DURATION] {start|stop|restart|status|reload|run}\n",
               prog);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string pidfile = "/tmp/daemon-example.pid";
  std::string log = "/tmp/daemon-example.log";
  std::chrono::milliseconds interval = std::chrono::seconds(5);
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view opt) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "heartbeat: option %.*s needs a value\n", static_cast<int>(opt.size()), opt.data());
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--pidfile") {
      const char* v = value(a);
      if (v == nullptr) return usage(argv[0]);
      pidfile = v;
    } else if (a == "--log") {
      const char* v = value(a);
      if (v == nullptr) return usage(argv[0]);
      log = v;
    } else if (a == "--interval") {
      const char* v = value(a);
      if (v == nullptr) return usage(argv[0]);
      auto d = daemonkit::parse_duration(v);
      if (!d || d->count() <= 0) {
        std::fprintf(stderr, "heartbeat: --interval: invalid duration '%s'\n", v);
        return 2;
      }
      interval = *d;
    } else if (a.size() > 1 && a[0] == '-' && a != "-h" && a != "--help") {
      std::fprintf(stderr, "heartbeat: unknown option '%s'\n", argv[i]);
      return usage(argv[0]);
    } else {
      rest.push_back(argv[i]);
    }
  }
  heartbeat d(pidfile, log, interval);
  d.set_name("heartbeat");
  return d.main(static_cast<int>(rest.size()), rest.data());
}
