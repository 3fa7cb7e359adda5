// SPDX-License-Identifier: MIT
// status and list: what people and scripts see, with the LSB exit codes
// (0 running, 1 dead/failed, 3 not running, 4 unknown).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;
using json = nlohmann::json;

class cli_status : public cli_fixture {
 protected:
  json status_json(const std::vector<std::string>& names, int expect_code) {
    std::vector<std::string> args{"status", "--json"};
    args.insert(args.end(), names.begin(), names.end());
    auto r = dk(args);
    EXPECT_EQ(r.exit_code(), expect_code) << describe(r);
    try {
      return json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out;
      return json::array();
    }
  }

  // Starts NAME running the helper in MODE and waits until its monitor is done.
  void run_to_end(const std::string& name, std::vector<std::string> mode) {
    auto r = dk([&] {
      std::vector<std::string> a{"start", "--name", name, "--", test_child_path};
      a.insert(a.end(), mode.begin(), mode.end());
      return a;
    }());
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    auto m = state(name)["monitor_pid"];
    ASSERT_FALSE(m.empty());
    ASSERT_TRUE(wait_monitor_exit(std::stoi(m)));
  }
};

TEST_F(cli_status, a_running_service_exits_0_and_shows_its_pid) {
  pid_t pid = start_child("web", {"pause"});
  auto r = dk({"status", "web"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.err, "");
  static const std::regex re(R"(^web: running \(pid (\d+)\), up \d+s\n$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(r.out, m, re)) << r.out;
  EXPECT_EQ(std::stoi(m[1]), pid);
}

TEST_F(cli_status, json_has_the_documented_fields) {
  pid_t pid = start_child("web", {"pause"});
  pid_t monitor = monitor_of("web");
  auto arr = status_json({"web"}, 0);
  ASSERT_TRUE(arr.is_array());
  ASSERT_EQ(arr.size(), 1u);
  const auto& j = arr[0];
  EXPECT_EQ(j["name"], "web");
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["running"], true);
  EXPECT_EQ(j["supervised"], true);
  EXPECT_EQ(j["pid"], pid);
  EXPECT_EQ(j["monitor_pid"], monitor);
  EXPECT_TRUE(j["uptime_seconds"].is_number_integer()) << j.dump();
  EXPECT_TRUE(j["started_at"].is_string()) << j.dump();
  EXPECT_TRUE(std::regex_match(j["started_at"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << j["started_at"];
  EXPECT_EQ(j["restarts"], 0);
  EXPECT_TRUE(j["last_exit"].is_null());
  EXPECT_TRUE(j["last_exit_code"].is_null());
  EXPECT_TRUE(j["status_text"].is_null());
  EXPECT_EQ(j["command"], json::array({test_child_path, "pause"}));
  EXPECT_EQ(j["log_file"], logfile("web"));
  EXPECT_EQ(j["exit_code"], 0);
}

TEST_F(cli_status, an_unknown_service_is_not_running) {
  auto r = dk({"status", "ghost"});
  EXPECT_EQ(r.exit_code(), 3) << describe(r);
  EXPECT_EQ(r.out, "ghost: not running\n");
  EXPECT_FALSE(exists(state_dir)) << "status must not create the state directory";
}

TEST_F(cli_status, a_clean_exit_is_not_running_and_a_failure_is_dead) {
  run_to_end("ok", {"exit", "0"});
  run_to_end("bad", {"exit", "3"});
  run_to_end("killed", {"kill-self", "9"});
  auto ok = dk({"status", "ok"});
  EXPECT_EQ(ok.exit_code(), 3) << describe(ok);
  EXPECT_EQ(ok.out, "ok: not running (exited with status 0)\n");
  auto bad = dk({"status", "bad"});
  EXPECT_EQ(bad.exit_code(), 1) << describe(bad);
  EXPECT_EQ(bad.out, "bad: failed: exited with status 3\n");
  auto killed = status_json({"killed"}, 1);
  ASSERT_EQ(killed.size(), 1u);
  EXPECT_EQ(killed[0]["last_exit"], "killed by signal KILL");
  EXPECT_EQ(killed[0]["last_exit_code"], 137);
  EXPECT_EQ(killed[0]["running"], false);
  EXPECT_TRUE(killed[0]["pid"].is_null());
}

TEST_F(cli_status, a_stopped_service_is_not_running) {
  start_child("s", {"pause"});
  ASSERT_EQ(dk({"stop", "s"}).exit_code(), 0);
  auto r = dk({"status", "s"});
  EXPECT_EQ(r.exit_code(), 3) << describe(r);
  EXPECT_EQ(r.out, "s: not running (stopped)\n");
}

TEST_F(cli_status, several_services_give_the_worst_code) {
  start_child("up", {"pause"});
  run_to_end("down", {"exit", "2"});
  auto both = dk({"status", "up", "down"});
  EXPECT_EQ(both.exit_code(), 1) << describe(both);
  EXPECT_EQ(split_lines(both.out).size(), 2u) << both.out;
  auto all = dk({"status"});
  EXPECT_EQ(all.exit_code(), 1) << describe(all);
  EXPECT_TRUE(contains(all.out, "up: running")) << all.out;
  EXPECT_TRUE(contains(all.out, "down: failed")) << all.out;
  auto arr = status_json({}, 1);
  EXPECT_EQ(arr.size(), 2u);
}

TEST_F(cli_status, a_corrupt_state_file_is_unknown_with_a_message) {
  ASSERT_EQ(::mkdir(state_dir.c_str(), 0700), 0);
  write_file(statefile("bad"), "this is not a state file");
  auto r = dk({"status", "bad"});
  EXPECT_EQ(r.exit_code(), 4) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "daemonkit: bad: ")) << r.err;
  EXPECT_TRUE(contains(r.err, statefile("bad"))) << r.err;
  // And stop does not act on it.
  auto s = dk({"stop", "bad"});
  EXPECT_NE(s.exit_code(), 0) << describe(s);
  ::unlink(statefile("bad").c_str());
}

TEST_F(cli_status, an_invalid_name_is_a_usage_error) {
  auto r = dk({"status", "../etc"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "invalid service name '../etc'")) << r.err;
}

TEST_F(cli_status, list_shows_a_table_and_json) {
  auto empty = dk({"list"});
  EXPECT_EQ(empty.exit_code(), 0) << describe(empty);
  EXPECT_EQ(empty.out, "no services in " + state_dir + "\n");

  pid_t pid = start_child("alpha", {"pause"});
  run_to_end("beta", {"exit", "1"});
  auto r = dk({"list"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0].rfind("NAME", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("alpha", 0), 0u) << lines[1];
  EXPECT_TRUE(contains(lines[1], " running ")) << lines[1];
  EXPECT_TRUE(contains(lines[1], std::to_string(pid))) << lines[1];
  EXPECT_EQ(lines[2].rfind("beta", 0), 0u) << lines[2];
  EXPECT_TRUE(contains(lines[2], " failed ")) << lines[2];

  auto j = dk({"list", "--json"});
  EXPECT_EQ(j.exit_code(), 0) << describe(j);
  auto arr = json::parse(j.out);
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[0]["name"], "alpha");
  EXPECT_EQ(arr[1]["name"], "beta");
  EXPECT_EQ(arr[1]["exit_code"], 1);
}

// What shell completion reads: the names alone, running or not, and only
// names a service can have, whatever else the directory holds.
TEST_F(cli_status, list_names_prints_one_name_a_line) {
  auto missing = dk({"list", "--names"});
  EXPECT_EQ(missing.exit_code(), 0) << describe(missing);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err, "");
  EXPECT_FALSE(exists(state_dir)) << "listing names created the state directory";

  start_child("web", {"pause"});
  run_to_end("getty@tty1", {"exit", "0"});
  const std::vector<std::string> junk{".hidden.json",    "a b.json", "tab\tc.pid",
                                      "new\nline.state", "x.txt",    "web.json.tmp"};
  for (const auto& f : junk) write_file(state_dir + "/" + f, "");
  auto r = dk({"list", "--names"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "getty@tty1\nweb\n");
  EXPECT_EQ(r.err, "");
  // (Not services: the teardown, which stops every NAME.* it finds, must not see them.)
  for (const auto& f : junk) ASSERT_EQ(::unlink((state_dir + "/" + f).c_str()), 0) << f;

  // --state-dir names another directory, as for every command.
  std::string other = tmp.file("other");
  ASSERT_EQ(::mkdir(other.c_str(), 0700), 0);
  write_file(other + "/elsewhere.state", "");
  auto o = dk({"list", "--names", "--state-dir", other});
  EXPECT_EQ(o.exit_code(), 0) << describe(o);
  EXPECT_EQ(o.out, "elsewhere\n");

  auto both = dk({"list", "--names", "--json"});
  EXPECT_EQ(both.exit_code(), 2) << describe(both);
  EXPECT_EQ(both.out, "");
  EXPECT_TRUE(contains(both.err, "--names")) << both.err;
}

}  // namespace
