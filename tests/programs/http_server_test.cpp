// SPDX-License-Identifier: MIT
// A hung server: Python's http.server stopped with SIGSTOP still holds its
// port (connections are queued by the kernel) but answers nothing. Its
// process is alive, so only a health check sees it: after the retries it is
// unhealthy and, with --respawn, replaced by a new instance that serves.
#include <gtest/gtest.h>

#include "programs_support.hpp"

namespace {

using namespace dk_programs;

const std::string python = "/usr/bin/python3";

class http_server_test : public program_fixture {
 protected:
  http_server_test() : program_fixture({python}) {}
};

TEST_F(http_server_test, a_stopped_server_is_found_unhealthy_and_restarted) {
  const int port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  const std::string www = tmp.file("www");
  ASSERT_EQ(::mkdir(www.c_str(), 0755), 0);
  write_file(www + "/hello.txt", "hello\n");

  pid_t first = start("py", {python, "-m", "http.server", std::to_string(port), "--bind", "127.0.0.1"},
                      {"--ready", url, "--chdir", www, "--health", url, "--health-interval", "200ms",
                       "--health-timeout", "200ms", "--health-retries", "2", "--respawn", "always"});
  ASSERT_GT(first, 0);
  auto page = http_get(port, "/hello.txt");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "hello\n");
  ASSERT_TRUE(wait_state_dir([&] { return json_string(status_json("py"), "health") == "healthy"; }))
      << status_json("py").dump();

  fd_guard pidfd(open_pidfd(first));
  ASSERT_TRUE(pidfd.valid());
  ASSERT_EQ(send_signal_pidfd(pidfd.get(), SIGSTOP), 0);

  // Two failed checks (about 0.4 s apart at most 0.2 s each), then a restart.
  nlohmann::json j;
  ASSERT_TRUE(wait_state_dir(
      [&] {
        j = status_json("py");
        return json_int(j, "restarts") >= 1 && json_int(j, "pid") > 0 && json_int(j, "pid") != first;
      },
      20s))
      << j.dump();
  EXPECT_EQ(json_string(j, "last_exit").rfind("unhealthy:", 0), 0u) << j.dump();
  EXPECT_TRUE(wait_exit(pidfd.get(), 10s)) << "the hung instance is still there";

  // The new instance: ready again, healthy again, serving.
  const auto second = static_cast<pid_t>(json_int(j, "pid"));
  EXPECT_EQ(comm_of(second).rfind("python", 0), 0u) << comm_of(second);
  ASSERT_TRUE(wait_state_dir([&] {
    j = status_json("py");
    return json_string(j, "health") == "healthy" && json_int(j, "pid") == second;
  })) << j.dump();
  page = http_get(port, "/hello.txt");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "hello\n");
  auto s = dk({"status", "py"});
  EXPECT_EQ(s.exit_code(), 0) << describe(s);
}

}  // namespace
