// SPDX-License-Identifier: MIT
// status is honest (issue 10, item 6): exit 0 only while a process of the
// service is alive and, with --health, not unhealthy. A crash-looping service
// waiting in backoff is not running (exit 3, "running": false); an unhealthy
// one exits 1; the health checks' word is in the text and in JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;
using json = nlohmann::json;

class cli_status_health : public cli_fixture {
 protected:
  // `status --json NAME`: its one object, and the exit code it gave.
  std::pair<json, int> status_json(const std::string& name) {
    auto r = dk({"status", "--json", name});
    auto arr = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(arr.is_array() && arr.size() == 1) << describe(r);
    return {arr.is_array() && arr.size() == 1 ? arr[0] : json::object(), r.exit_code()};
  }

  // A health check the test turns: healthy while `flag` exists.
  std::vector<std::string> health_on(const std::string& flag, const std::string& retries = "1") const {
    return {
        "--health", "cmd:test -e " + flag, "--health-interval", "100ms", "--health-timeout", "2s", "--health-retries",
        retries};
  }

  bool wait_health(const std::string& name, const std::string& word) const {
    return wait_state(name, "health", word, 20s);
  }
};

TEST_F(cli_status_health, a_service_waiting_in_backoff_is_not_running) {
  // (Once it exited 0 with "running": true and "pid": null.)
  start_child("gap", {"exit", "1"}, {"--respawn", "--respawn-max-delay", "1m"});
  // Backoffs last 100, 200, 400, 800, 1600ms: catch one in which both status
  // calls fit (the state file is unchanged before and after them).
  bool seen = false;
  for (int restarts = 3; restarts <= 6 && !seen; ++restarts) {
    const std::string want = std::to_string(restarts);
    ASSERT_TRUE(
        wait_state_dir([&] { return state("gap")["restarts"] >= want && state("gap")["state"] == "backoff"; }, 20s));
    auto before = read_file(statefile("gap"));
    if (state("gap")["restarts"] != want) continue;
    auto text = dk({"status", "gap"});
    auto [j, code] = status_json("gap");
    if (read_file(statefile("gap")) != before) continue;  // the backoff ended meanwhile
    seen = true;
    EXPECT_EQ(text.exit_code(), 3) << describe(text);
    EXPECT_EQ(text.out.rfind("gap: backoff, " + want + " restarts, last exited with status 1", 0), 0u) << text.out;
    EXPECT_FALSE(contains(text.out, ", up ")) << "no process is up in backoff:\n" << text.out;
    EXPECT_EQ(code, 3) << j.dump();
    EXPECT_EQ(j["state"], "backoff");
    EXPECT_EQ(j["running"], false);
    EXPECT_EQ(j["supervised"], true);
    EXPECT_TRUE(j["pid"].is_null()) << j.dump();
    EXPECT_TRUE(j["uptime_seconds"].is_null()) << j.dump();
    EXPECT_EQ(j["exit_code"], 3);
  }
  EXPECT_TRUE(seen) << "no backoff long enough for the status calls";
}

TEST_F(cli_status_health, without_health_checks_health_is_null_and_not_shown) {
  pid_t pid = start_child("plain", {"pause"});
  auto r = dk({"status", "plain"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(std::regex_match(r.out, std::regex("^plain: running \\(pid " + std::to_string(pid) + "\\), up \\d+s\n$")))
      << r.out;
  auto [j, code] = status_json("plain");
  EXPECT_EQ(code, 0);
  ASSERT_TRUE(j.contains("health")) << j.dump();
  EXPECT_TRUE(j["health"].is_null()) << j.dump();
  EXPECT_EQ(j["running"], true);
}

TEST_F(cli_status_health, unhealthy_exits_1_and_says_so_healthy_again_exits_0) {
  const std::string flag = tmp.file("healthy");
  write_file(flag, "");
  pid_t pid = start_child("web", {"pause"}, health_on(flag));
  ASSERT_TRUE(wait_health("web", "healthy")) << read_file(statefile("web")).value_or("");
  auto ok = dk({"status", "web"});
  EXPECT_EQ(ok.exit_code(), 0) << describe(ok);
  EXPECT_TRUE(
      std::regex_match(ok.out, std::regex("^web: running \\(pid " + std::to_string(pid) + "\\), up \\d+s, healthy\n$")))
      << ok.out;
  auto [healthy, healthy_code] = status_json("web");
  EXPECT_EQ(healthy_code, 0);
  EXPECT_EQ(healthy["health"], "healthy");
  EXPECT_EQ(healthy["exit_code"], 0);

  ASSERT_EQ(::unlink(flag.c_str()), 0);
  ASSERT_TRUE(wait_health("web", "unhealthy")) << read_file(statefile("web")).value_or("");
  auto bad = dk({"status", "web"});
  EXPECT_EQ(bad.exit_code(), 1) << describe(bad);
  EXPECT_TRUE(std::regex_match(
      bad.out, std::regex("^web: running \\(pid " + std::to_string(pid) + "\\), up \\d+s, unhealthy\n$")))
      << bad.out;
  auto [sick, sick_code] = status_json("web");
  EXPECT_EQ(sick_code, 1);
  EXPECT_EQ(sick["health"], "unhealthy");
  EXPECT_EQ(sick["running"], true) << "unhealthy is still running (no --respawn: not restarted)";
  EXPECT_EQ(sick["pid"], pid);
  EXPECT_EQ(sick["exit_code"], 1);
  auto list = dk({"list"});
  EXPECT_EQ(list.exit_code(), 0) << describe(list);
  EXPECT_TRUE(contains(list.out, "running (unhealthy)")) << list.out;

  write_file(flag, "");
  ASSERT_TRUE(wait_health("web", "healthy")) << read_file(statefile("web")).value_or("");
  auto again = dk({"status", "web"});
  EXPECT_EQ(again.exit_code(), 0) << describe(again);
  EXPECT_TRUE(contains(again.out, ", healthy")) << again.out;
  EXPECT_EQ(pidfile_pid("web"), pid);
}

TEST_F(cli_status_health, health_is_starting_until_a_check_has_a_result) {
  // Three failures in a row, an hour apart, before it could be unhealthy: it
  // stays "starting" for this whole test.
  pid_t pid =
      start_child("slow", {"pause"}, {"--health", "cmd:false", "--health-interval", "1h", "--health-retries", "3"});
  auto r = dk({"status", "slow"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_TRUE(std::regex_match(
      r.out, std::regex("^slow: running \\(pid " + std::to_string(pid) + "\\), up \\d+s, health starting\n$")))
      << r.out;
  auto [j, code] = status_json("slow");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(j["health"], "starting");
}

TEST_F(cli_status_health, several_services_give_the_worst_code_unhealthy_counts_as_dead) {
  const std::string flag = tmp.file("never");
  start_child("up", {"pause"});
  start_child("sick", {"pause"}, health_on(flag));
  ASSERT_TRUE(wait_health("sick", "unhealthy")) << read_file(statefile("sick")).value_or("");
  auto both = dk({"status", "up", "sick"});
  EXPECT_EQ(both.exit_code(), 1) << describe(both);
  EXPECT_TRUE(contains(both.out, "up: running")) << both.out;
  EXPECT_TRUE(contains(both.out, ", unhealthy")) << both.out;
}

}  // namespace
