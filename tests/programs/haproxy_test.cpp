// SPDX-License-Identifier: MIT
// haproxy in master-worker mode with sd_notify (-Ws), as Debian's unit runs
// it (Type=notify, KillMode=mixed, ExecReload: `haproxy -c` then USR2 to the
// master). A reload with a broken config is refused before the master hears
// of it, so the running worker keeps serving the old config.
#include <gtest/gtest.h>

#include "programs_support.hpp"

namespace {

using namespace dk_programs;

const std::string haproxy = "/usr/sbin/haproxy";

class haproxy_test : public program_fixture {
 protected:
  haproxy_test() : program_fixture({haproxy}) {}

  void SetUp() override {
    program_fixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    port = free_port();
    write_config("v1");
  }

  // Answers every request with `answer`; logs to stderr (the service's log).
  void write_config(const std::string& answer) const {
    write_file(cfg, fill(R"(global
  log stderr format raw local0
defaults
  mode http
  log global
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:@PORT@
  http-request return status 200 content-type text/plain string "@ANSWER@"
)",
                         {{"PORT", std::to_string(port)}, {"ANSWER", answer}}));
  }

  // The master's children: its workers.
  std::vector<pid_t> workers_of(pid_t master) const {
    std::vector<pid_t> out;
    for (pid_t p : children_of(master)) {
      if (is_alive(p) && comm_of(p) == "haproxy") out.push_back(p);
    }
    return out;
  }

  int port = 0;
  std::string cfg = tmp.file("haproxy.cfg");
};

TEST_F(haproxy_test, reload_with_a_broken_config_is_refused_and_the_old_worker_keeps_serving) {
  pid_t master = start("lb", {haproxy, "-Ws", "-f", cfg},
                       {"--ready", "notify", "--kill-mode", "mixed", "--reload-signal", "USR2", "--check-config",
                        haproxy + " -c -f " + cfg});
  ASSERT_GT(master, 0);
  EXPECT_EQ(comm_of(master), "haproxy");
  auto workers = workers_of(master);
  ASSERT_EQ(workers.size(), 1u) << describe_processes(descendants_of(master));
  const pid_t worker = workers[0];
  EXPECT_EQ(http_get(port, "/").body, "v1");

  write_file(cfg, read_file(cfg).value_or("") + "frontend\n");
  auto r = dk({"reload", "lb"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.out + r.err, "Error(s) found in configuration file : " + cfg)) << describe(r);
  EXPECT_FALSE(contains(log_text("lb"), "Reloading HAProxy")) << "the master got the reload signal:\n"
                                                              << log_text("lb");
  EXPECT_TRUE(is_alive(master));
  EXPECT_EQ(pidfile_pid("lb"), master);
  EXPECT_EQ(workers_of(master), std::vector<pid_t>{worker});
  EXPECT_EQ(http_get(port, "/").body, "v1");

  // A good config passes the check; the master starts a new worker with it
  // and the old one leaves once idle.
  write_config("v2");
  auto ok = dk({"reload", "lb"});
  EXPECT_EQ(ok.exit_code(), 0) << describe(ok);
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/").body == "v2" && !is_alive(worker); }, 10s,
                         events().changes_in(logfile("lb"))))
      << log_text("lb");
  EXPECT_EQ(pidfile_pid("lb"), master);
  EXPECT_TRUE(is_alive(master));

  auto stop = dk({"stop", "lb"});
  EXPECT_EQ(stop.exit_code(), 0) << describe(stop);
  EXPECT_EQ(stop.err, "") << describe(stop);
  EXPECT_TRUE(our_processes("haproxy").empty()) << describe_processes(our_processes("haproxy"));
  EXPECT_TRUE(leftovers("haproxy").empty()) << describe_processes(leftovers("haproxy"));
}

}  // namespace
