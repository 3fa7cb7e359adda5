// SPDX-License-Identifier: MIT
// nginx in its default mode, as Debian's unit runs it (Type=forking,
// PIDFile=): the command forks the master and exits; the master, named in
// nginx's own pidfile, is the service. Its config is checked with `nginx -t`
// before every reload, as the unit's ExecReload does.
#include <gtest/gtest.h>

#include "programs_support.hpp"

namespace {

using namespace dk_programs;

const std::string nginx = "/usr/sbin/nginx";

class nginx_test : public program_fixture {
 protected:
  nginx_test() : program_fixture({nginx}) {}

  void SetUp() override {
    program_fixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    port = free_port();
    for (const char* site : {"www1", "www2"}) {
      std::string dir = tmp.file(site);
      ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
      write_file(dir + "/index.html", std::string("served from ") + site + "\n");
    }
    write_config("www1");
  }

  // A complete config: the pidfile, logs and temporary files in the test's
  // directory, notice-level error log (it records every signal nginx gets).
  void write_config(const std::string& site) const {
    write_file(conf, fill(R"(pid @TMP@/nginx.pid;
error_log @TMP@/error.log notice;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path @TMP@/client_body;
  proxy_temp_path @TMP@/proxy;
  fastcgi_temp_path @TMP@/fastcgi;
  uwsgi_temp_path @TMP@/uwsgi;
  scgi_temp_path @TMP@/scgi;
  server {
    listen 127.0.0.1:@PORT@;
    root @TMP@/@SITE@;
  }
}
)",
                          {{"TMP", tmp.path()}, {"PORT", std::to_string(port)}, {"SITE", site}}));
  }

  // Starts nginx; returns the master once it is fully up. nginx writes its
  // pidfile (start's readiness) before the master renames itself and forks
  // its worker; the error log records both.
  pid_t start_nginx() {
    pid_t master = start("web", {nginx, "-c", conf},
                         {"--ready", "pidfile:" + pid_path, "--check-config", nginx + " -t -c " + conf});
    if (master <= 0) return master;
    EXPECT_TRUE(wait_until(
        [&] { return cmdline_of(master).rfind("nginx: master process", 0) == 0 && !workers_of(master).empty(); }, 10s,
        events().changes_in(error_log)))
        << cmdline_of(master) << "\n"
        << read_file(error_log).value_or("");
    return master;
  }

  static std::vector<pid_t> workers_of(pid_t master) {
    std::vector<pid_t> out;
    for (pid_t p : children_of(master)) {
      if (is_alive(p) && comm_of(p) == "nginx") out.push_back(p);
    }
    return out;
  }

  std::string pid_in_nginx_pidfile() const {
    auto text = read_file(pid_path).value_or("");
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }

  int port = 0;
  std::string conf = tmp.file("nginx.conf");
  std::string pid_path = tmp.file("nginx.pid");
  std::string error_log = tmp.file("error.log");
};

TEST_F(nginx_test, forking_master_is_the_service_and_serves) {
  pid_t master = start_nginx();
  ASSERT_GT(master, 0);
  // start printed the master: the pid nginx wrote, the "nginx: master" process.
  EXPECT_EQ(pid_in_nginx_pidfile(), std::to_string(master));
  EXPECT_EQ(cmdline_of(master).rfind("nginx: master process", 0), 0u) << cmdline_of(master);
  EXPECT_EQ(monitor_of("web"), read_stat(master).value_or(proc_stat{}).ppid)
      << "the monitor (the subreaper) adopted the forked master";

  auto page = http_get(port, "/index.html");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "served from www1\n");

  auto s = dk({"status", "web"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
  EXPECT_TRUE(contains(s.out, "web: running (pid " + std::to_string(master) + ")")) << s.out;
  auto j = status_json("web");
  EXPECT_EQ(json_int(j, "pid"), master) << j.dump();
  EXPECT_EQ(j.value("running", nlohmann::json()), true) << j.dump();
}

TEST_F(nginx_test, reload_with_a_broken_config_is_refused_and_a_good_one_applied) {
  pid_t master = start_nginx();
  ASSERT_GT(master, 0);
  ASSERT_EQ(http_get(port, "/index.html").body, "served from www1\n");

  write_file(conf, "this is not nginx;\n");
  auto r = dk({"reload", "web"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.out + r.err, "configuration file " + conf + " test failed")) << describe(r);
  EXPECT_TRUE(contains(r.out + r.err, "unknown directive \"this\"")) << describe(r);
  // Untouched: no signal reached nginx, the same master serves.
  EXPECT_FALSE(contains(read_file(error_log).value_or(""), "SIGHUP")) << "nginx got the reload signal:\n"
                                                                      << read_file(error_log).value_or("");
  EXPECT_TRUE(is_alive(master));
  EXPECT_EQ(pidfile_pid("web"), master);
  EXPECT_EQ(pid_in_nginx_pidfile(), std::to_string(master));
  EXPECT_EQ(http_get(port, "/index.html").body, "served from www1\n");

  // A good config passes the check and is applied by the same master.
  write_config("www2");
  auto ok = dk({"reload", "web"});
  EXPECT_EQ(ok.exit_code(), 0) << describe(ok);
  // nginx logs each step of the reload; the last (the old worker's exit) comes
  // after the new worker serves.
  EXPECT_TRUE(wait_until([&] { return http_get(port, "/index.html").body == "served from www2\n"; }, 10s,
                         events().changes_in(error_log)))
      << read_file(error_log).value_or("");
  EXPECT_TRUE(contains(read_file(error_log).value_or(""), "SIGHUP"));
  EXPECT_EQ(pidfile_pid("web"), master);
}

TEST_F(nginx_test, stop_leaves_no_nginx_process) {
  pid_t master = start_nginx();
  ASSERT_GT(master, 0);
  auto workers = workers_of(master);
  EXPECT_EQ(workers.size(), 1u) << describe_processes(our_processes("nginx"));
  ASSERT_EQ(http_get(port, "/index.html").status, 200);

  auto r = dk({"stop", "web"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "web: stopped (pid " + std::to_string(master) + ")\n") << describe(r);
  EXPECT_EQ(r.err, "") << "nginx stops on TERM, no SIGKILL needed: " << describe(r);
  // stop returns once the last process is gone: nothing to wait for.
  EXPECT_FALSE(is_alive(master));
  for (pid_t w : workers) EXPECT_FALSE(is_alive(w)) << "worker " << w;
  EXPECT_TRUE(our_processes("nginx").empty()) << describe_processes(our_processes("nginx"));
  EXPECT_TRUE(leftovers("nginx").empty()) << describe_processes(leftovers("nginx"));
  EXPECT_FALSE(exists(pid_path)) << "nginx removes its pidfile when it exits cleanly";
  EXPECT_EQ(http_get(port, "/index.html").status, 0) << "something still serves on the port";
  auto s = dk({"status", "web"});
  EXPECT_EQ(s.exit_code(), 3) << describe(s);
}

}  // namespace
