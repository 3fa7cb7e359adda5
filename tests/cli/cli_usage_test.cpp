// SPDX-License-Identifier: MIT
// Usage errors: exit 2, nothing on stdout, a message naming the option, and
// nothing created or started. Also the accepted spellings of durations,
// sizes and signals, checked in the options start stores.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_support.hpp"
#include "daemonkit/version.hpp"

namespace {

using namespace dk_cli;

class cli_usage : public cli_fixture {
 protected:
  // Runs `daemonkit ARGS`, which must be a usage error mentioning `mention`
  // and change nothing.
  void expect_usage_error(const std::vector<std::string>& args, const std::string& mention) {
    SCOPED_TRACE(::testing::PrintToString(args));
    auto r = dk(args);
    EXPECT_EQ(r.exit_code(), 2) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("daemonkit: ", 0), 0u) << r.err;
    EXPECT_TRUE(contains(r.err, mention)) << "the message must name '" << mention << "':\n" << r.err;
    EXPECT_FALSE(exists(state_dir)) << "a usage error created the state directory";
    EXPECT_TRUE(std::filesystem::is_empty(log_dir)) << "a usage error wrote a log";
    EXPECT_TRUE(descendants_of(::getpid()).empty()) << "a usage error started something";
  }

  // Starts with OPTIONS and returns the stored options (NAME.json).
  nlohmann::json stored_options(const std::vector<std::string>& options) {
    start_child("opts", {"pause"}, options);
    auto text = read_file(configfile("opts"));
    EXPECT_TRUE(text);
    auto j = nlohmann::json::parse(text.value_or("{}"));
    EXPECT_EQ(dk({"stop", "opts"}).exit_code(), 0);
    return j;
  }

  std::vector<std::string> start_with(std::vector<std::string> options) {
    std::vector<std::string> args{"start"};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {"--", test_child_path, "pause"});
    return args;
  }
};

TEST_F(cli_usage, invalid_service_names) {
  for (const std::string& bad :
       std::vector<std::string>{"a/b", "..", ".x", "", "sp ace", "semi;colon", std::string(65, 'a')}) {
    expect_usage_error(start_with({"--name", bad}), "--name");
  }
  expect_usage_error({"start", "--", "/bin/.hidden"}, "--name");  // the default name is the basename
  for (const std::string& bad : std::vector<std::string>{"a/b", "..", ".x", std::string(65, 'a')}) {
    expect_usage_error({"stop", bad}, "invalid service name");
    expect_usage_error({"status", bad}, "invalid service name");
    expect_usage_error({"logs", bad}, "invalid service name");
    expect_usage_error({"restart", bad}, "invalid service name");
  }
}

TEST_F(cli_usage, valid_names_of_every_allowed_character) {
  std::string longest(64, 'z');
  start_child(longest, {"pause"});
  start_child("A-z_0.9@x", {"pause"});
}

TEST_F(cli_usage, bad_durations_name_their_option) {
  for (std::string opt :
       {"--ready-timeout", "--stop-timeout", "--respawn-max-delay", "--respawn-min-uptime", "--respawn-window"}) {
    for (std::string bad : {"5x", "-1", "", "ms", "1.2.3s"}) expect_usage_error(start_with({opt, bad}), opt);
  }
  expect_usage_error({"stop", "--timeout", "soon", "x"}, "--timeout");
}

TEST_F(cli_usage, bad_sizes_signals_and_numbers_name_their_option) {
  expect_usage_error(start_with({"--log-max-size", "12Q"}), "--log-max-size");
  expect_usage_error(start_with({"--log-max-size", "100"}), "--log-max-size");
  expect_usage_error(start_with({"--log-keep", "many"}), "--log-keep");
  expect_usage_error(start_with({"--stop-signal", "FOO"}), "--stop-signal");
  expect_usage_error(start_with({"--stop-signal", "99"}), "--stop-signal");
  expect_usage_error(start_with({"--reload-signal", "SIGNOPE"}), "--reload-signal");
  expect_usage_error(start_with({"--umask", "999"}), "--umask");
  expect_usage_error(start_with({"--umask", "abc"}), "--umask");
  expect_usage_error(start_with({"--nice", "100"}), "--nice");
  expect_usage_error(start_with({"--rlimit", "bogus=3"}), "--rlimit");
  expect_usage_error(start_with({"--rlimit", "nofile=abc"}), "--rlimit");
  expect_usage_error(start_with({"--respawn-limit", "0"}), "--respawn-limit");
  expect_usage_error(start_with({"--respawn=sometimes"}), "--respawn");
  expect_usage_error(start_with({"--kill-mode", "all"}), "--kill-mode");
  expect_usage_error(start_with({"--ready", "bogus"}), "--ready");
  expect_usage_error(start_with({"--ready", "fd:2"}), "--ready");
  expect_usage_error(start_with({"--ready", "fd:x"}), "--ready");
  // The stored names of modes that take an argument are no mode alone.
  expect_usage_error(start_with({"--ready", "fd"}), "--ready");
  expect_usage_error(start_with({"--ready", "pidfile"}), "--ready");
  expect_usage_error(start_with({"--ready", "check"}), "--ready");
  expect_usage_error(start_with({"--env", "NOEQUALS"}), "--env");
  expect_usage_error(start_with({"--env", "=x"}), "--env");
  expect_usage_error(start_with({"--env-file", tmp.file("missing")}), "--env-file");
  expect_usage_error({"signal", "x", "NOPE"}, "NOPE");
}

// Issue 10, item 9: `--log-max-size ''` started the service, and
// `--respawn sometimes -- CMD` said "unexpected 'sometimes' before '--'"
// without naming --respawn.
TEST_F(cli_usage, empty_values_and_bad_respawn_modes_name_their_option) {
  expect_usage_error(start_with({"--log-max-size", ""}), "--log-max-size");
  expect_usage_error(start_with({"--log-keep", ""}), "--log-keep");
  expect_usage_error(start_with({"--respawn", "sometimes"}), "--respawn");
  expect_usage_error(start_with({"--respawn", "sometimes", "--name", "x"}), "--respawn");
}

TEST_F(cli_usage, bad_readiness_checks_health_and_runtime_dirs_name_their_option) {
  for (std::string bad :
       {"tcp:", "tcp:0", "tcp:70000", "tcp:[::1", "https://127.0.0.1/", "ftp://x/", "cmd:", "http://", "pidfile:"}) {
    expect_usage_error(start_with({"--ready", bad}), "--ready");
  }
  expect_usage_error(start_with({"--health", "https://127.0.0.1/"}), "--health");
  expect_usage_error(start_with({"--health", "bogus"}), "--health");
  expect_usage_error(start_with({"--health", "tcp:80", "--health-retries", "0"}), "--health-retries");
  expect_usage_error(start_with({"--health", "tcp:80", "--health-interval", "0s"}), "--health-interval");
  expect_usage_error(start_with({"--health", "tcp:80", "--health-timeout", "soon"}), "--health-timeout");
  for (std::string bad : {"..", ".", "a/b", "", "x y"})
    expect_usage_error(start_with({"--runtime-dir", bad}), "--runtime-dir");
  expect_usage_error(start_with({"--reload-signal", "never"}), "--reload-signal");
  expect_usage_error(start_with({"--reload-timeout", "1x"}), "--reload-timeout");
  expect_usage_error(start_with({"--check-config", ""}), "--check-config");
  expect_usage_error(start_with({"--kill-mode", "mix"}), "--kill-mode");
}

TEST_F(cli_usage, the_new_options_are_stored_so_restart_keeps_them) {
  auto j = stored_options({"--health", "http://127.0.0.1:8080/ok", "--health-interval", "2s", "--health-timeout",
                           "500ms", "--health-retries", "4", "--kill-mode", "mixed", "--reload-signal", "none",
                           "--reload-timeout", "3s", "--check-config", "true"});
  EXPECT_EQ(j["health"], "http://127.0.0.1:8080/ok");
  EXPECT_EQ(j["health_interval_ms"], 2000);
  EXPECT_EQ(j["health_timeout_ms"], 500);
  EXPECT_EQ(j["health_retries"], 4);
  EXPECT_EQ(j["kill_mode"], "mixed");
  EXPECT_EQ(j["reload_signal"], 0);
  EXPECT_EQ(j["reload_timeout_ms"], 3000);
  EXPECT_EQ(j["check_config"], "true");
}

TEST_F(cli_usage, a_nonexistent_user_or_group_is_a_usage_error) {
  expect_usage_error(start_with({"--user", "no-such-user-dk"}), "--user");
  expect_usage_error(start_with({"--user", "nobody:no-such-group-dk"}), "--user");
}

TEST_F(cli_usage, missing_command_and_misplaced_arguments) {
  expect_usage_error({"start"}, "COMMAND");
  expect_usage_error({"start", "--"}, "COMMAND");
  expect_usage_error({"run", "--name", "x"}, "COMMAND");
  expect_usage_error({"start", "--bogus", "--", test_child_path}, "--bogus");
  // Without "--", a mistyped option must not be taken for the program.
  expect_usage_error({"start", "--bogus", test_child_path, "pause"}, "--bogus");
  expect_usage_error({"stop", "x", "--", "y"}, "--");
}

TEST_F(cli_usage, missing_or_unknown_subcommand) {
  for (const auto& args : std::vector<std::vector<std::string>>{{}, {"bogus"}, {"stop"}, {"signal", "x"}}) {
    SCOPED_TRACE(::testing::PrintToString(args));
    auto r = dk(args);
    EXPECT_EQ(r.exit_code(), 2) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("daemonkit: ", 0), 0u) << r.err;
  }
}

TEST_F(cli_usage, version_and_help_succeed) {
  auto v = dk({"--version"});
  EXPECT_EQ(v.exit_code(), 0) << describe(v);
  EXPECT_EQ(v.out, "daemonkit " DAEMONKIT_VERSION_STRING "\n");
  auto h = dk({"--help"});
  EXPECT_EQ(h.exit_code(), 0) << describe(h);
  for (const char* sub : {"start", "run", "stop", "restart", "reload", "signal", "reopen", "status", "list", "logs"}) {
    EXPECT_TRUE(contains(h.out, sub)) << sub;
  }
  auto sh = dk({"start", "--help"});
  EXPECT_EQ(sh.exit_code(), 0) << describe(sh);
  EXPECT_TRUE(contains(sh.out, "--respawn-max-delay")) << sh.out;
  EXPECT_TRUE(contains(sh.out, "--respawn-min-uptime")) << sh.out;
}

// The CLI builds start's, run's and unit's options only for the command
// named (main.cpp): each still has all of its own, and the others' are no
// longer accepted where they never were.
TEST_F(cli_usage, each_command_has_its_own_options_and_only_those) {
  auto run = dk({"run", "--help"});
  EXPECT_EQ(run.exit_code(), 0) << describe(run);
  EXPECT_TRUE(contains(run.out, "--signal-group")) << run.out;
  EXPECT_TRUE(contains(run.out, "--respawn-min-uptime")) << run.out;
  auto unit = dk({"unit", "--help"});
  EXPECT_EQ(unit.exit_code(), 0) << describe(unit);
  EXPECT_TRUE(contains(unit.out, "--unit-dir")) << unit.out;
  EXPECT_TRUE(contains(unit.out, "--respawn-min-uptime")) << unit.out;
  auto start = dk({"start", "--help"});
  EXPECT_FALSE(contains(start.out, "--signal-group")) << "run's option, not start's: " << start.out;
  auto stop = dk({"stop", "--respawn", "x"});
  EXPECT_EQ(stop.exit_code(), 2) << describe(stop);
  auto stop_run = dk({"stop", "--signal-group", "x"});
  EXPECT_EQ(stop_run.exit_code(), 2) << describe(stop_run);
  EXPECT_TRUE(contains(stop_run.err, "--signal-group")) << stop_run.err;
}

TEST_F(cli_usage, durations_sizes_and_signals_in_every_documented_spelling) {
  auto a = stored_options({"--stop-timeout", "500ms", "--ready-timeout", "2m", "--respawn-max-delay", "1h",
                           "--respawn-window", "7", "--log-max-size", "512K", "--stop-signal", "SIGINT",
                           "--reload-signal", "10"});
  EXPECT_EQ(a["stop_timeout_ms"], 500);
  EXPECT_EQ(a["ready_timeout_ms"], 120000);
  EXPECT_EQ(a["respawn_max_delay_ms"], 3600000);
  EXPECT_EQ(a["respawn_window_ms"], 7000);
  EXPECT_EQ(a["respawn_min_uptime_ms"], 1000) << "the default";
  EXPECT_EQ(a["log_max_size"], 512 * 1024);
  EXPECT_EQ(a["stop_signal"], SIGINT);
  EXPECT_EQ(a["reload_signal"], SIGUSR1);
  auto b = stored_options(
      {"--stop-timeout", "10s", "--log-max-size", "10M", "--stop-signal", "QUIT", "--respawn-min-uptime", "1500ms"});
  EXPECT_EQ(b["respawn_min_uptime_ms"], 1500);
  EXPECT_EQ(b["stop_timeout_ms"], 10000);
  EXPECT_EQ(b["log_max_size"], 10 * 1024 * 1024);
  EXPECT_EQ(b["stop_signal"], SIGQUIT);
  auto c = stored_options({"--log-max-size", "1G", "--log-keep", "3", "--respawn", "on-failure"});
  EXPECT_EQ(c["log_max_size"], 1024LL * 1024 * 1024);
  EXPECT_EQ(c["log_keep"], 3);
  EXPECT_EQ(c["respawn"], "on-failure");
  auto d = stored_options({"--log-max-size", "4096", "--respawn", "--respawn-min-uptime", "0"});
  EXPECT_EQ(d["respawn_min_uptime_ms"], 0);
  EXPECT_EQ(d["log_max_size"], 4096);
  EXPECT_EQ(d["respawn"], "always");
}

}  // namespace
