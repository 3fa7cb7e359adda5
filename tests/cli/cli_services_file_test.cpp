// SPDX-License-Identifier: MIT
// Many services from one file (issue 14): daemonkit check, up, down, and
// status/list -f, driven through the real binary with real services.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

class cli_services_file : public cli_fixture {
 protected:
  std::string file = tmp.file("daemonkit.toml");
  std::string dir = tmp.path();

  void write(const std::string& text) { write_file(file, text); }

  command_result in_file(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"-f", file});
    return dk(args, {}, 60s);
  }

  // A TOML string of s (basic string: backslashes and quotes escaped).
  static std::string q(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '\\' || c == '"') out += '\\';
      out += c;
    }
    return out + "\"";
  }

  // A chain s0 <- s1 <- ... <- s9: s0 takes 1 s to say READY=1; each sK
  // notes whether its dependency was ready when it started (the marker its
  // dependency makes just before READY=1), then says READY=1 itself.
  std::string chain(const std::string& extra_env_of_s5 = {}) const {
    std::string t;
    for (int k = 0; k < 10; ++k) {
      std::string self = dir + "/s" + std::to_string(k);
      std::string script;
      if (k == 0) {
        script = "sleep 1; touch " + self + ".ready; exec \"$0\" notify READY=1 --pause";
      } else {
        std::string dep = dir + "/s" + std::to_string(k - 1);
        script = "if test -e " + dep + ".ready; then echo after > " + self + ".order; else echo before > " + self +
                 ".order; fi; touch " + self + ".ready; exec \"$0\" notify READY=1 --pause";
      }
      t += "[services.s" + std::to_string(k) + "]\n";
      t += "command = [\"/bin/sh\", \"-c\", " + q(script) + ", " + q(test_child_path) + "]\n";
      t += "ready = \"notify\"\n";
      if (k > 0) t += "depends_on = [\"s" + std::to_string(k - 1) + "\"]\n";
      if (k == 5 && !extra_env_of_s5.empty()) t += "env = { " + extra_env_of_s5 + " }\n";
      t += "\n";
    }
    return t;
  }

  std::string pause_service(const std::string& name, const std::string& more = {}) const {
    return "[services." + name + "]\ncommand = [" + q(test_child_path) + ", \"pause\"]\n" + more + "\n";
  }
};

TEST_F(cli_services_file, a_chain_comes_up_in_order_each_after_its_dependency_is_ready) {
  write(chain());
  auto r = in_file({"up"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.err, "");
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 10U) << r.out;
  for (int k = 0; k < 10; ++k) {
    std::string name = "s" + std::to_string(k);
    EXPECT_EQ(lines[static_cast<size_t>(k)], name + ": started (pid " + std::to_string(pidfile_pid(name)) + ")");
    if (k > 0) {
      EXPECT_EQ(read_file(dir + "/" + name + ".order").value_or("missing"), "after\n")
          << name << " was started before its dependency was ready";
    }
  }
}

TEST_F(cli_services_file, up_twice_changes_nothing_and_an_edit_restarts_only_that_service) {
  write(chain());
  ASSERT_EQ(in_file({"up"}).exit_code(), 0);
  std::map<std::string, pid_t> pids;
  for (int k = 0; k < 10; ++k) pids["s" + std::to_string(k)] = pidfile_pid("s" + std::to_string(k));

  auto again = in_file({"up"});
  EXPECT_EQ(again.exit_code(), 0) << describe(again);
  std::string expected;
  for (int k = 0; k < 10; ++k) expected += "s" + std::to_string(k) + ": unchanged\n";
  EXPECT_EQ(again.out, expected);
  for (const auto& [name, pid] : pids) EXPECT_EQ(pidfile_pid(name), pid) << name;

  write(chain("MODE = \"fast\""));
  auto plan = in_file({"up", "--dry-run"});
  EXPECT_EQ(plan.exit_code(), 0) << describe(plan);
  EXPECT_NE(plan.out.find("restart s5 (changed: env.MODE)\n"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("restart s4"), std::string::npos) << plan.out;
  for (const auto& line : split_lines(plan.out)) {
    EXPECT_EQ(line.rfind("start ", 0), std::string::npos) << "--dry-run would start " << line;
  }
  for (const auto& [name, pid] : pids) EXPECT_EQ(pidfile_pid(name), pid) << "--dry-run changed " << name;

  auto edit = in_file({"up"});
  EXPECT_EQ(edit.exit_code(), 0) << describe(edit);
  EXPECT_NE(edit.out.find("s5: restarted (changed: env.MODE)\n"), std::string::npos) << edit.out;
  for (const auto& [name, pid] : pids) {
    if (name == "s5") EXPECT_NE(pidfile_pid(name), pid);
    else EXPECT_EQ(pidfile_pid(name), pid) << name << " was restarted but did not change";
  }
}

// An env file is part of a service's settings: editing what it says
// restarts that service (and only it); rewriting the same variables does not.
TEST_F(cli_services_file, editing_an_env_file_restarts_the_services_that_read_it) {
  const std::string env = dir + "/app.env";
  write_file(env, "MODE=slow\n");
  write(pause_service("reads", "env_file = \"app.env\"\n") + pause_service("other"));
  ASSERT_EQ(in_file({"up"}).exit_code(), 0);
  pid_t reads = pidfile_pid("reads"), other = pidfile_pid("other");

  write_file(env, "# the same variables\nMODE=slow\n");
  // Independent services: their lines come in the order they finish.
  auto sorted_lines = [](const std::string& out) {
    auto lines = split_lines(out);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto same = in_file({"up"});
  EXPECT_EQ(sorted_lines(same.out), (std::vector<std::string>{"other: unchanged", "reads: unchanged"}))
      << describe(same);

  write_file(env, "MODE=fast\n");
  auto plan = in_file({"up", "--dry-run"});
  EXPECT_EQ(plan.out, "restart reads (changed: env_file contents)\n") << describe(plan);
  auto edit = in_file({"up"});
  EXPECT_EQ(edit.exit_code(), 0) << describe(edit);
  EXPECT_EQ(sorted_lines(edit.out),
            (std::vector<std::string>{"other: unchanged", "reads: restarted (changed: env_file contents)"}));
  EXPECT_NE(pidfile_pid("reads"), reads);
  EXPECT_EQ(pidfile_pid("other"), other);
  auto env_of = read_file("/proc/" + std::to_string(pidfile_pid("reads")) + "/environ").value_or("");
  EXPECT_NE(env_of.find(std::string("MODE=fast\0", 10)), std::string::npos);
}

// depends_on = { a = "started" }: b starts once a has been spawned, without
// waiting for a to be ready. Here a cannot be ready before b has started (it
// waits to read from a FIFO b writes to), so the old "ready" meaning would
// end in a's ready timeout; c, which waits for a to be ready, comes after.
TEST_F(cli_services_file, started_means_spawned_not_ready) {
  const std::string fifo = dir + "/go.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string t;
  t += "[services.a]\ncommand = [\"/bin/sh\", \"-c\", " +
       q("read line < " + fifo + "; touch " + dir + "/a.ready; exec \"$0\" notify READY=1 --pause") + ", " +
       q(test_child_path) + "]\nready = \"notify\"\nready_timeout = \"20s\"\n\n";
  t += "[services.b]\ncommand = [\"/bin/sh\", \"-c\", " + q("echo go > " + fifo + "; exec \"$0\" pause") + ", " +
       q(test_child_path) + "]\ndepends_on = { a = \"started\" }\n\n";
  t += "[services.c]\ncommand = [\"/bin/sh\", \"-c\", " +
       q("if test -e " + dir + "/a.ready; then echo after; else echo before; fi > " + dir +
         "/c.order; exec \"$0\" pause") +
       ", " + q(test_child_path) + "]\ndepends_on = [\"a\"]\n";
  write(t);
  auto r = in_file({"up"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  for (const char* n : {"a", "b", "c"}) EXPECT_GT(pidfile_pid(n), 1) << n;
  EXPECT_TRUE(wait_until([&] { return exists(dir + "/c.order"); }, 10s, events().changes_in(dir)));
  EXPECT_EQ(read_file(dir + "/c.order").value_or("missing"), "after\n");
}

TEST_F(cli_services_file, down_stops_dependants_first_and_down_name_leaves_dependencies) {
  write(chain());
  ASSERT_EQ(in_file({"up"}).exit_code(), 0);
  pid_t s6 = pidfile_pid("s6");
  auto part = in_file({"down", "s7"});
  EXPECT_EQ(part.exit_code(), 0) << describe(part);
  auto lines = split_lines(part.out);
  ASSERT_EQ(lines.size(), 3U) << part.out;
  EXPECT_EQ(lines[0].rfind("s9: stopped", 0), 0U) << part.out;
  EXPECT_EQ(lines[1].rfind("s8: stopped", 0), 0U) << part.out;
  EXPECT_EQ(lines[2].rfind("s7: stopped", 0), 0U) << part.out;
  EXPECT_TRUE(is_alive(s6)) << "down s7 stopped its dependency s6";

  auto all = in_file({"down"});
  EXPECT_EQ(all.exit_code(), 0) << describe(all);
  lines = split_lines(all.out);
  ASSERT_EQ(lines.size(), 10U) << all.out;
  for (int k = 9, i = 0; k >= 0; --k, ++i) {
    std::string name = "s" + std::to_string(k);
    const std::string& line = lines[static_cast<size_t>(i)];
    if (k >= 7) EXPECT_EQ(line, name + ": not running") << all.out;
    else EXPECT_EQ(line.rfind(name + ": stopped (pid ", 0), 0U) << all.out;
  }
  EXPECT_FALSE(is_alive(s6));
}

TEST_F(cli_services_file, a_cycle_is_rejected_with_the_cycle_named_and_nothing_started) {
  write(pause_service("a", "depends_on = [\"b\"]") + pause_service("b", "depends_on = [\"a\"]") + pause_service("c"));
  auto check = in_file({"check"});
  EXPECT_EQ(check.exit_code(), 2) << describe(check);
  EXPECT_EQ(check.out, "");
  EXPECT_EQ(check.err, file + ":3:1: services.a.depends_on: dependency cycle: a -> b -> a\n");
  auto up = in_file({"up"});
  EXPECT_EQ(up.exit_code(), 2) << describe(up);
  EXPECT_EQ(up.err, check.err);
  EXPECT_TRUE(service_names().empty()) << "an invalid file started something";
}

TEST_F(cli_services_file, a_failed_oneshot_stops_its_dependants_and_leaves_the_rest) {
  write("[services.migrate]\ncommand = [" + q(test_child_path) + ", \"exit\", \"1\"]\noneshot = true\n\n" +
        pause_service("web", "depends_on = { migrate = \"completed\" }") + pause_service("other"));
  auto r = in_file({"up"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.out.find("web: not started: migrate failed\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("other: started (pid "), std::string::npos) << r.out;
  EXPECT_EQ(r.err.rfind("daemonkit: migrate: exited with status 1", 0), 0U) << r.err;
  EXPECT_FALSE(exists(pidfile("web")) && pidfile_pid("web") > 0);
  auto st = dk({"status", "web"});
  EXPECT_EQ(st.exit_code(), 3) << describe(st);
  EXPECT_TRUE(is_alive(pidfile_pid("other")));
}

TEST_F(cli_services_file, a_oneshot_completes_before_its_dependant_and_is_not_run_again) {
  std::string stamps = dir + "/migrate.stamps";
  write("[services.migrate]\ncommand = [" + q(test_child_path) + ", \"stamp\", " + q(stamps) +
        ", \"0.2\", \"0\"]\noneshot = true\n\n" + "[services.web]\ncommand = [\"/bin/sh\", \"-c\", " +
        q("grep -c exit " + stamps + " > " + dir + "/web.saw; exec \"$0\" pause") + ", " + q(test_child_path) +
        "]\ndepends_on = { migrate = \"completed\" }\n");
  auto r = in_file({"up"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(split_lines(r.out).at(0), "migrate: completed");
  ASSERT_TRUE(wait_until(
      [&] {
        auto t = read_file(dir + "/web.saw");
        return t && !t->empty() && t->back() == '\n';
      },
      10s, events().changes_in(dir)));
  EXPECT_EQ(read_file(dir + "/web.saw").value_or(""), "1\n") << "web started before migrate completed";
  auto again = in_file({"up"});
  EXPECT_EQ(again.exit_code(), 0) << describe(again);
  EXPECT_EQ(again.out, "migrate: unchanged\nweb: unchanged\n");
  auto runs = split_lines(read_file(stamps).value_or(""));
  EXPECT_EQ(std::count_if(runs.begin(), runs.end(), [](const std::string& l) { return l.rfind("start ", 0) == 0; }), 1)
      << "up ran a completed oneshot again";
  auto st = in_file({"status"});
  EXPECT_EQ(st.exit_code(), 0) << describe(st);
  EXPECT_EQ(split_lines(st.out).at(0), "migrate: completed");
}

TEST_F(cli_services_file, a_running_service_not_from_the_file_is_refused_and_left_alone) {
  pid_t pid = start_ready("db", {"pause"});
  write(pause_service("db") + pause_service("web", "depends_on = [\"db\"]"));
  auto r = in_file({"up"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_NE(r.err.find("daemonkit: db: running, but not started from " + file), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("web: not started: db failed"), std::string::npos) << r.out;
  EXPECT_EQ(pidfile_pid("db"), pid);
  EXPECT_TRUE(is_alive(pid));
  auto down = in_file({"down"});
  EXPECT_EQ(down.exit_code(), 1) << describe(down);
  EXPECT_TRUE(is_alive(pid)) << "down stopped a service that was not started from the file";
}

TEST_F(cli_services_file, instances_run_under_their_own_names_with_their_number) {
  write("[services.web]\ncommand = \"echo instance=$DAEMONKIT_INSTANCE; exec " + std::string(test_child_path) +
        " pause\"\ninstances = 2\n");
  auto r = in_file({"up"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_NE(r.out.find("web@1: started (pid "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("web@2: started (pid "), std::string::npos) << r.out;
  EXPECT_TRUE(wait_lines(logfile("web@1"), "instance=1"));
  EXPECT_TRUE(wait_lines(logfile("web@2"), "instance=2"));
  auto list = in_file({"list", "--json"});
  ASSERT_EQ(list.exit_code(), 0) << describe(list);
  auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j.size(), 2U);
  EXPECT_EQ(j[0]["name"], "web@1");
  EXPECT_EQ(j[1]["name"], "web@2");
}

TEST_F(cli_services_file, relative_paths_are_relative_to_the_file) {
  write_file(dir + "/app.env", "GREETING=hello\n");
  write("[services.app]\ncommand = \"echo $GREETING > where; pwd >> where; exec " + std::string(test_child_path) +
        " pause\"\nchdir = \".\"\nenv_file = \"app.env\"\n");
  // Run from elsewhere: the paths are the file's, not the caller's.
  command_options o;
  o.cwd = "/";
  auto r = dk({"up", "-f", file}, o);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  ASSERT_TRUE(wait_until([&] { return count_exact_lines(dir + "/where", dir) == 1; }, 10s, events().changes_in(dir)));
  EXPECT_EQ(read_file(dir + "/where").value_or(""), "hello\n" + dir + "\n");
}

TEST_F(cli_services_file, remove_orphans_stops_and_forgets_what_the_file_no_longer_has) {
  write(pause_service("a") + pause_service("b"));
  ASSERT_EQ(in_file({"up"}).exit_code(), 0);
  pid_t b = pidfile_pid("b");
  write(pause_service("a"));
  auto plan = in_file({"up", "--dry-run", "--remove-orphans"});
  EXPECT_EQ(plan.out, "stop b (not in the file)\n");
  auto keep = in_file({"up"});
  EXPECT_EQ(keep.exit_code(), 0) << describe(keep);
  EXPECT_TRUE(is_alive(b)) << "up without --remove-orphans stopped an orphan";
  auto r = in_file({"up", "--remove-orphans"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, "b: stopped and removed (not in the file)\na: unchanged\n");
  EXPECT_FALSE(is_alive(b));
  EXPECT_FALSE(exists(configfile("b")));
}

TEST_F(cli_services_file, up_names_start_what_they_depend_on_only) {
  write(pause_service("db") + pause_service("web", "depends_on = [\"db\"]") + pause_service("other"));
  auto r = in_file({"up", "web"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(split_lines(r.out).size(), 2U) << r.out;
  EXPECT_GT(pidfile_pid("db"), 0);
  EXPECT_GT(pidfile_pid("web"), 0);
  EXPECT_FALSE(exists(configfile("other")));
  auto bad = in_file({"up", "nosuch"});
  EXPECT_EQ(bad.exit_code(), 2) << describe(bad);
  EXPECT_EQ(bad.err, "daemonkit: no service 'nosuch' in " + file + "\n");
}

TEST_F(cli_services_file, status_of_the_file_is_in_dependency_order_with_the_worst_code) {
  write(pause_service("web", "depends_on = [\"db\"]") + pause_service("db"));
  auto before = in_file({"status"});
  EXPECT_EQ(before.exit_code(), 3) << describe(before);
  EXPECT_EQ(before.out, "db: not running\nweb: not running\n");
  ASSERT_EQ(in_file({"up"}).exit_code(), 0);
  auto st = in_file({"status", "--json"});
  EXPECT_EQ(st.exit_code(), 0) << describe(st);
  auto j = nlohmann::json::parse(st.out);
  ASSERT_EQ(j.size(), 2U);
  EXPECT_EQ(j[0]["name"], "db");
  EXPECT_EQ(j[1]["name"], "web");
  ASSERT_EQ(dk({"stop", "db"}).exit_code(), 0);
  EXPECT_EQ(in_file({"status"}).exit_code(), 3);
}

// check: every error with its line and column, naming the key; nothing valid
// is reported as wrong.
TEST_F(cli_services_file, check_names_each_error_at_its_line_and_column) {
  write(
      "[defaults]\nrespawn = \"sometimes\"\n\n[services.web]\ncommand = \"x\"\nstop_timeout = \"soon\"\nfoo = 1\n"
      "depends_on = { db = \"ready\", cron = \"completed\" }\n\n[services.cron]\ncommand = [\"cron\"]\n\n"
      "[services.\"a@b\"]\ncommand = \"y\"\n");
  auto r = in_file({"check"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, file + ":2:1: defaults.respawn: unknown mode 'sometimes' (expected always or on-failure)\n" + file +
                       ":7:1: services.web.foo: unknown key\n" + file +
                       ":8:1: services.web.depends_on: unknown service 'db'\n" + file +
                       ":13:11: services.a@b: invalid service name 'a@b' (1-64 of A-Za-z0-9._-, not starting with "
                       "'.'; '@' is for instances)\n");

  write("[services.web]\ncommand = \"x\"\nstop_timeout = \"soon\"\n");
  r = in_file({"check"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.err.rfind(file + ":3:1: services.web.stop_timeout: ", 0), 0U) << r.err;

  write("[services.web]\ncommand = \"x\"\ndepends_on = { db = \"ready\" }\n");
  r = in_file({"check"});
  EXPECT_EQ(r.err, file + ":3:1: services.web.depends_on: unknown service 'db'\n");

  write("[services.cron]\ncommand = \"x\"\n[services.web]\ncommand = \"x\"\ndepends_on = { cron = \"completed\" }\n");
  r = in_file({"check"});
  EXPECT_EQ(r.err, file + ":5:1: services.web.depends_on: 'cron' is not a oneshot service: it never completes\n");

  write("[services.web]\ncommand = \"x\"\nnice = \"high\"\n");
  r = in_file({"check"});
  EXPECT_EQ(r.err, file + ":3:1: services.web.nice: expected an integer\n");

  write("[services.web\ncommand = \"x\"\n");
  r = in_file({"check"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.err.rfind(file + ":1:", 0), 0U) << r.err;

  write(
      "[defaults]\nrespawn = \"on-failure\"\n\n[services.web]\ncommand = [\"web\", \"--port\", \"80\"]\n"
      "[services.job]\ncommand = \"true\"\noneshot = true\n");
  r = in_file({"check"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.out, file + ": 2 services, valid\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(cli_services_file, a_missing_file_is_an_error_naming_it) {
  auto r = in_file({"up"});
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.err, file + ": cannot open: No such file or directory\n");
}

// The file says what root runs: as root, a file (or a directory on its
// path) another user can change is refused, and nothing it names is run.
TEST_F(cli_services_file, as_root_a_file_another_user_can_change_is_refused_and_nothing_runs) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  struct passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  const std::string marker = dir + "/ran";
  write("[services.a]\ncommand = [\"/bin/sh\", \"-c\", " + q("touch " + marker + "; exec sleep 100") + "]\n");
  ASSERT_EQ(in_file({"check"}).exit_code(), 0);

  auto refused = [&](const std::string& why) {
    SCOPED_TRACE(why);
    for (const char* cmd : {"check", "up"}) {
      auto r = in_file({cmd});
      EXPECT_EQ(r.exit_code(), 2) << describe(r);
      EXPECT_EQ(r.err, file + ": not trusted: " + why + "\n");
    }
    EXPECT_FALSE(exists(marker)) << "a refused file's command ran";
    EXPECT_FALSE(exists(pidfile("a")));
  };
  ASSERT_EQ(::chmod(file.c_str(), 0666), 0);
  refused("it is writable by everyone");
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  ASSERT_EQ(::chown(file.c_str(), nobody->pw_uid, 0), 0);
  refused("it belongs to uid " + std::to_string(nobody->pw_uid) + " (nobody), not to root or you");
  ASSERT_EQ(::chown(file.c_str(), 0, 0), 0);

  // Through a directory anyone may write (not sticky): it could be swapped.
  const std::string open_dir = dir + "/open";
  ASSERT_EQ(::mkdir(open_dir.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
  const std::string inside = open_dir + "/daemonkit.toml";
  write_file(inside, read_file(file).value_or(""));
  auto r = dk({"up", "-f", inside}, {}, 60s);
  EXPECT_EQ(r.exit_code(), 2) << describe(r);
  EXPECT_EQ(r.err, inside + ": not trusted: " + open_dir + " is writable by everyone\n");
  EXPECT_FALSE(exists(marker));

  // Root's own file, not writable by others: it runs.
  ASSERT_EQ(in_file({"up"}).exit_code(), 0);
  EXPECT_TRUE(wait_until([&] { return exists(marker); }, 10s, events().changes_in(dir)));
}

// unit -f: a systemd unit per service, its depends_on as Requires=/Wants=
// and After=, a oneshot as Type=oneshot that stays active once it exited 0.
TEST_F(cli_services_file, unit_prints_a_unit_per_service_with_its_dependencies) {
  write(
      "[services.db]\ncommand = [\"/bin/cat\"]\nready = \"notify\"\n\n[services.migrate]\ncommand = \"true\"\n"
      "oneshot = true\ndepends_on = [\"db\"]\n\n[services.web]\ncommand = [\"/bin/cat\"]\ninstances = 2\n"
      "depends_on = { migrate = \"completed\", db = \"started\" }\n");
  auto r = in_file({"unit"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.err, "");
  auto unit_of = [&](const std::string& name) {
    auto at = r.out.find("# Generated by daemonkit unit for the service " + name + ".\n");
    if (at == std::string::npos) return std::string();
    auto end = r.out.find("# Generated by daemonkit unit", at + 1);
    return r.out.substr(at, end == std::string::npos ? std::string::npos : end - at);
  };
  std::string db = unit_of("db"), migrate = unit_of("migrate"), web2 = unit_of("web@2");
  ASSERT_FALSE(db.empty()) << r.out;
  ASSERT_FALSE(migrate.empty()) << r.out;
  ASSERT_FALSE(web2.empty()) << r.out;
  EXPECT_LT(r.out.find("service db."), r.out.find("service migrate.")) << "not in dependency order";
  EXPECT_LT(r.out.find("service migrate."), r.out.find("service web@1."));
  EXPECT_NE(db.find("Type=notify\n"), std::string::npos) << db;
  EXPECT_NE(migrate.find("Requires=db.service\nAfter=db.service\n"), std::string::npos) << migrate;
  EXPECT_NE(migrate.find("Type=oneshot\nRemainAfterExit=yes\n"), std::string::npos) << migrate;
  EXPECT_EQ(migrate.find("ExecReload"), std::string::npos) << migrate;
  EXPECT_NE(web2.find("Requires=migrate.service\nAfter=migrate.service\n"), std::string::npos) << web2;
  EXPECT_NE(web2.find("Wants=db.service\nAfter=db.service\n"), std::string::npos) << web2;
  EXPECT_NE(web2.find("Environment=\"DAEMONKIT_INSTANCE=2\"\n"), std::string::npos) << web2;

  auto one = in_file({"unit", "web@1"});
  EXPECT_EQ(one.exit_code(), 0) << describe(one);
  EXPECT_EQ(one.out.find("service web@2."), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("service web@1."), std::string::npos) << one.out;
  auto bad = in_file({"unit", "--respawn", "always"});
  EXPECT_EQ(bad.exit_code(), 2) << describe(bad);
  EXPECT_EQ(bad.err, "daemonkit: --respawn: -f takes every setting from the file\n");
}

// import: a supervisord config becomes a file that check accepts and up
// runs, its priorities as dependencies.
TEST_F(cli_services_file, import_turns_a_supervisord_config_into_a_file_up_runs) {
  const std::string conf = dir + "/supervisord.conf";
  write_file(conf, "[supervisord]\nnodaemon=true\n\n[program:db]\ncommand=" + std::string(test_child_path) +
                       " pause\npriority=10\nstopsignal=INT\n\n[program:web]\ncommand=" + test_child_path +
                       " pause\npriority=20\nenvironment=PORT=\"8080\"\nautorestart=false\n");
  auto r = dk({"import", conf});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  write(r.out);
  auto check = in_file({"check"});
  EXPECT_EQ(check.exit_code(), 0) << describe(check) << r.out;
  auto up = in_file({"up"});
  ASSERT_EQ(up.exit_code(), 0) << describe(up) << r.out;
  auto lines = split_lines(up.out);
  ASSERT_EQ(lines.size(), 2U) << up.out;
  EXPECT_EQ(lines[0].rfind("db: started (pid ", 0), 0U) << up.out;
  EXPECT_EQ(lines[1].rfind("web: started (pid ", 0), 0U) << up.out;
  auto web = read_file(configfile("web")).value_or("");
  EXPECT_NE(web.find("\"PORT=8080\""), std::string::npos) << web;

  auto missing = dk({"import", dir + "/nosuch.conf"});
  EXPECT_EQ(missing.exit_code(), 1) << describe(missing);
  EXPECT_EQ(missing.err.rfind("daemonkit: import: cannot read " + dir + "/nosuch.conf: ", 0), 0U) << missing.err;
  EXPECT_EQ(dk({"import"}).exit_code(), 2);
}

}  // namespace
