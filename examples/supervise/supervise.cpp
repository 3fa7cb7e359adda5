// SPDX-License-Identifier: MIT
// A supervisor of one's own, with the daemonkit library alone: the same
// monitor, state directory and stop as the daemonkit tool, in ~100 lines.
//
//   supervise start DIR NAME -- CMD [ARG...]   start CMD as service NAME
//   supervise status DIR NAME                   one line; exit code per LSB
//   supervise stop DIR NAME                     returns once it is all gone
//
// DIR is the state directory (created 0700 if missing): DIR/NAME.pid is the
// monitor's locked pidfile, DIR/NAME.state what it publishes, DIR/NAME.json
// the options (service_codec.hpp), DIR/NAME.log the service's output. start daemonizes a monitor
// (monitor.hpp) holding the lock, which spawns CMD, restarts nothing, and
// tells start once CMD runs; status and stop find it through what the monitor
// recorded (supervised.hpp). The daemonkit tool reads the same files, so
// `daemonkit --state-dir DIR status NAME` works too.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "daemonkit/daemonize.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/supervised.hpp"

extern char** environ;

namespace {

int fail(const std::string& name, const std::string& why) {
  std::fprintf(stderr, "supervise: %s: %s\n", name.c_str(), why.c_str());
  return 1;
}

int start(const std::string& dir, const std::string& name, std::vector<std::string> argv) {
  daemonkit::service_config c;
  c.name = name;
  c.argv = std::move(argv);
  for (char** e = environ; *e != nullptr; ++e) c.env.emplace_back(*e);
  c.log_file = dir + "/" + name + ".log";
  const auto paths = daemonkit::service_paths_for(dir, name);

  daemonkit::daemonize_options d;
  d.pidfile = paths.pidfile;  // taken by the daemon: already_running if held
  auto launched = daemonkit::daemonize(d);
  if (!launched) return fail(name, launched.err().message());
  if (launched->is_daemon()) {
    // The monitor: it rewrites the pidfile to the service's pid, publishes
    // NAME.state and answers wait_ready() below once the service runs.
    daemonkit::monitor_options mo;
    mo.service = c;
    mo.state_path = paths.state;
    // Stored once the lock is ours: status and stop read the command and the
    // stop timeout and signal from here.
    mo.on_locked = [&c, &paths] { return daemonkit::write_service_config(paths.config, c); };
    int code = daemonkit::run_monitor(mo, std::move(launched->held_pidfile()), &*launched);
    std::fflush(nullptr);
    ::_exit(code);
  }
  auto pid = launched->wait_ready();
  if (!pid) return fail(name, pid.err().message());
  std::printf("%s: started (pid %d)\n", name.c_str(), static_cast<int>(*pid));
  return 0;
}

int status(const std::string& dir, const std::string& name) {
  auto v = daemonkit::inspect_service(dir, name);
  std::printf("%s: %s\n", name.c_str(), v.describe().c_str());  // raw: escape text you did not choose
  return static_cast<int>(v.lsb_code());
}

int stop(const std::string& dir, const std::string& name) {
  auto v = daemonkit::inspect_service(dir, name);
  if (v.what == daemonkit::service_view::kind::error) return fail(name, v.error);
  auto r = daemonkit::stop_service(v);
  if (!r) return fail(name, r.err().message());
  if (r->remaining > 0) return fail(name, daemonkit::describe_remaining(r->remaining, r->remaining_pids));
  if (!r->was_running) std::printf("%s: not running\n", name.c_str());
  else std::printf("%s: stopped (pid %d)\n", name.c_str(), static_cast<int>(r->pid));
  return 0;
}

}  // namespace

static int supervise(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 3 || !daemonkit::valid_service_name(args[2]) ||
      (args[0] == "start" && (args.size() < 5 || args[3] != "--"))) {
    std::fprintf(stderr, "usage: supervise {start DIR NAME -- CMD [ARG...] | status DIR NAME | stop DIR NAME}\n");
    return 2;
  }
  const std::string& dir = args[1];
  const std::string& name = args[2];
  if (auto r = daemonkit::ensure_state_dir(dir, args[0] == "start"); !r) return fail(name, r.err().message());
  if (args[0] == "start") return start(dir, name, {args.begin() + 4, args.end()});
  if (args[0] == "status") return status(dir, name);
  if (args[0] == "stop") return stop(dir, name);
  std::fprintf(stderr, "supervise: unknown command '%s'\n", args[0].c_str());
  return 2;
}

int main(int argc, char** argv) {
  try {
    return supervise(argc, argv);
  } catch (const std::exception& e) {  // std::bad_alloc: one line, not an abort
    std::fprintf(stderr, "supervise: %s\n", e.what());
    return 1;
  }
}
