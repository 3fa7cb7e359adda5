// SPDX-License-Identifier: MIT
// The services file's reader (tools/daemonkit/services_file.cpp): what
// parse_services_file makes of daemonkit.toml — [defaults], paths, oneshots,
// instances, numbers, dependencies and their order — every error it reports
// with its line and column, and changed_settings, which decides what `up`
// restarts. (tests/cli/cli_services_file_test.cpp and
// tests/programs/services_file_test.cpp run the files.) Named after the
// function: tests/programs/ has a services_file_test of its own.
#include "services_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.hpp"

namespace {

using dk::changed_settings;
using dk::dependency_condition;
using dk::file_service;
using dk::parse_services_file;
using dk::services_file;
using json = nlohmann::json;
using strings = std::vector<std::string>;

const std::string file_path = "/srv/app/daemonkit.toml";

// A file that must be valid.
services_file valid(const std::string& text, const std::string& path = file_path) {
  services_file f = parse_services_file(text, path);
  for (const auto& e : f.errors) ADD_FAILURE() << f.describe(e);
  return f;
}

// Every error of text, as `check` prints them.
strings errors_of(const std::string& text) {
  services_file f = parse_services_file(text, file_path);
  strings out;
  for (const auto& e : f.errors) out.push_back(f.describe(e));
  EXPECT_FALSE(out.empty()) << "expected errors in:\n" << text;
  return out;
}

std::string error_of(const std::string& text) {
  strings e = errors_of(text);
  EXPECT_EQ(e.size(), 1U) << ::testing::PrintToString(e);
  return e.empty() ? std::string() : e.front();
}

const file_service& service(const services_file& f, const std::string& name) {
  static const file_service none;
  const file_service* s = f.find(name);
  EXPECT_NE(s, nullptr) << name;
  return s != nullptr ? *s : none;
}

strings names_in_order(const services_file& f) {
  strings out;
  for (const auto& s : f.services) out.push_back(s.name);
  return out;
}

// The start request `up` makes for name.
daemonkit::service_config config_of(const services_file& f, const file_service& s, const std::string& name) {
  auto req = dk::service_request(f, s, name, dk::common_options{});
  EXPECT_TRUE(req) << (req ? std::string() : req.err().message());
  return req ? req->config : daemonkit::service_config{};
}

bool has_env(const daemonkit::service_config& c, const std::string& kv) {
  return std::find(c.env.begin(), c.env.end(), kv) != c.env.end();
}

TEST(parse_services_file, the_designs_example_is_valid_and_ordered_by_its_dependencies) {
  auto f = valid(R"([defaults]
respawn = "on-failure"

[services.web]
command = ["python3", "-m", "http.server", "8080"]
depends_on = { db = "ready", migrate = "completed" }
ready = "tcp:8080"
health = "http://127.0.0.1:8080/"
instances = 2
env = { PORT = "8080" }

[services.migrate]
command = "psql -h 127.0.0.1 -f /srv/app/migrate.sql"
oneshot = true
depends_on = ["db"]

[services.db]
command = ["postgres", "-D", "/var/lib/postgresql/15/main"]
ready = "notify"
stop_signal = "INT"
kill_mode = "mixed"
)");
  EXPECT_EQ(f.path, file_path);
  EXPECT_EQ(names_in_order(f), (strings{"db", "migrate", "web"}));
  const auto& web = service(f, "web");
  EXPECT_EQ(web.command, (strings{"python3", "-m", "http.server", "8080"}));
  EXPECT_EQ(web.service_names(), (strings{"web@1", "web@2"}));
  ASSERT_EQ(web.depends_on.size(), 2U);
  EXPECT_EQ(web.depends_on[0].service, "db");
  EXPECT_EQ(web.depends_on[0].condition, dependency_condition::ready);
  EXPECT_EQ(web.depends_on[1].service, "migrate");
  EXPECT_EQ(web.depends_on[1].condition, dependency_condition::completed);
  EXPECT_EQ(web.args.respawn, "on-failure");
  const auto& migrate = service(f, "migrate");
  EXPECT_EQ(migrate.command, (strings{"/bin/sh", "-c", "psql -h 127.0.0.1 -f /srv/app/migrate.sql"}));
  EXPECT_TRUE(migrate.oneshot);
  ASSERT_EQ(migrate.depends_on.size(), 1U);
  EXPECT_EQ(migrate.depends_on[0].condition, dependency_condition::ready);

  // Each name's start request is what the command line would make.
  auto c = config_of(f, web, "web@2");
  EXPECT_EQ(c.name, "web@2");
  EXPECT_TRUE(has_env(c, "PORT=8080"));
  EXPECT_TRUE(has_env(c, "DAEMONKIT_INSTANCE=2"));
  EXPECT_EQ(c.ready, daemonkit::ready_mode::check);
  EXPECT_EQ(c.respawn.mode, daemonkit::respawn_mode::on_failure);
  EXPECT_EQ(c.source_file, file_path);
  EXPECT_EQ(json::parse(c.source_settings), web.settings);
  auto d = config_of(f, service(f, "db"), "db");
  EXPECT_EQ(d.stop_signal, SIGINT);
  EXPECT_EQ(d.kill, daemonkit::kill_mode::mixed);
  EXPECT_EQ(d.ready, daemonkit::ready_mode::notify);
}

TEST(parse_services_file, defaults_replace_plain_keys_and_merge_env_and_rlimit_per_entry) {
  auto f = valid(R"([defaults]
stop_timeout = "5s"
timestamps = true
env = { A = "1", B = "2" }
rlimit = { nofile = "1024", core = "0" }

[services.own]
command = "own"
stop_timeout = "30s"
env = { B = "3", C = "4" }
rlimit = { nofile = "4096" }

[services.plain]
command = "plain"
)");
  const auto& own = service(f, "own");
  EXPECT_EQ(own.args.stop_timeout, "30s");
  EXPECT_TRUE(own.args.timestamps);
  EXPECT_EQ(own.settings["env"], (json{{"A", "1"}, {"B", "3"}, {"C", "4"}}));
  EXPECT_EQ(own.settings["rlimit"], (json{{"nofile", "4096"}, {"core", "0"}}));
  auto c = config_of(f, own, "own");
  EXPECT_TRUE(has_env(c, "A=1") && has_env(c, "B=3") && has_env(c, "C=4"));
  EXPECT_FALSE(has_env(c, "B=2"));
  ASSERT_EQ(c.rlimits.size(), 2U);
  for (const auto& l : c.rlimits) {
    EXPECT_EQ(l.value.rlim_cur, l.resource == RLIMIT_NOFILE ? 4096U : 0U) << l.resource;
  }

  const auto& plain = service(f, "plain");
  EXPECT_EQ(plain.args.stop_timeout, "5s");
  EXPECT_EQ(plain.settings["env"], (json{{"A", "1"}, {"B", "2"}}));
  EXPECT_EQ(plain.settings["rlimit"], (json{{"nofile", "1024"}, {"core", "0"}}));
}

TEST(parse_services_file, relative_paths_are_made_absolute_against_the_files_directory) {
  dk_test::temp_dir tmp;
  dk_test::write_file(tmp.file("app.env"), "FROM_FILE=yes\n");
  const std::string path = tmp.file("daemonkit.toml");
  auto f = valid(R"([defaults]
chdir = "."

[services.p]
command = "p"
log_file = "./logs//p.log"
stdout = "logs/out/"
stderr = "/var/log/p.err"
env_file = "app.env"

[services.q]
command = "q"
chdir = "work/./q"
env_file = ["./app.env", ")" +
                     tmp.file("app.env") + R"("]
)",
                 path);
  const auto& p = service(f, "p");
  EXPECT_EQ(p.args.chdir, tmp.path());
  EXPECT_EQ(p.args.log_file, tmp.path() + "/logs/p.log");
  EXPECT_EQ(p.args.stdout_file, tmp.path() + "/logs/out");
  EXPECT_EQ(p.args.stderr_file, "/var/log/p.err");
  EXPECT_EQ(p.args.env_files, (strings{tmp.file("app.env")}));
  EXPECT_EQ(service(f, "q").args.chdir, tmp.path() + "/work/q");
  EXPECT_EQ(service(f, "q").args.env_files, (strings{tmp.file("app.env"), tmp.file("app.env")}));
  auto c = config_of(f, p, "p");
  EXPECT_EQ(c.working_directory, tmp.path());
  EXPECT_TRUE(has_env(c, "FROM_FILE=yes"));

  // A path at the root: "." is "/" itself.
  auto root = valid("[services.r]\ncommand = \"r\"\nchdir = \".\"\nlog_file = \"r.log\"\n", "/daemonkit.toml");
  EXPECT_EQ(service(root, "r").args.chdir, "/");
  EXPECT_EQ(service(root, "r").args.log_file, "/r.log");

  // An env file that is not there: the key that named it, where it was written.
  EXPECT_EQ(errors_of("[services.m]\ncommand = \"m\"\nenv_file = \"missing.env\"\n")[0].rfind(
                file_path + ":3:1: services.m.env_file: cannot read env file /srv/app/missing.env", 0),
            0U);
}

TEST(parse_services_file, a_oneshot_ignores_the_default_respawn_but_refuses_its_own) {
  auto f = valid(R"([defaults]
respawn = "always"

[services.init]
command = "mkdir -p data"
oneshot = true

[services.never]
command = "x"
oneshot = true
respawn = "no"

[services.app]
command = "app"
)");
  EXPECT_EQ(service(f, "init").args.respawn, "never");
  EXPECT_EQ(service(f, "never").args.respawn, "never");
  EXPECT_EQ(service(f, "app").args.respawn, "always");
  EXPECT_EQ(config_of(f, service(f, "init"), "init").respawn.mode, daemonkit::respawn_mode::never);
  EXPECT_EQ(service(f, "init").settings.count("respawn"), 0U);

  EXPECT_EQ(error_of("[services.bad]\ncommand = \"x\"\noneshot = true\nrespawn = \"always\"\n"),
            file_path + ":4:1: services.bad.respawn: a oneshot service is never respawned");
  EXPECT_EQ(error_of("[defaults]\noneshot = true\n\n[services.bad]\ncommand = \"x\"\nrespawn = \"on-failure\"\n"),
            file_path + ":6:1: services.bad.respawn: a oneshot service is never respawned");
}

TEST(parse_services_file, instances_run_as_name_or_name_at_number) {
  auto f = valid(R"([services.one]
command = "one"
instances = 1

[services.three]
command = "three"
instances = 3

[services.plain]
command = "plain"
)");
  EXPECT_EQ(service(f, "one").service_names(), (strings{"one"}));
  EXPECT_EQ(service(f, "three").service_names(), (strings{"three@1", "three@2", "three@3"}));
  EXPECT_EQ(service(f, "plain").service_names(), (strings{"plain"}));
  EXPECT_FALSE(has_env(config_of(f, service(f, "one"), "one"), "DAEMONKIT_INSTANCE=1"));
  EXPECT_TRUE(has_env(config_of(f, service(f, "three"), "three@3"), "DAEMONKIT_INSTANCE=3"));
  // How many is not a setting of the process: not compared by up.
  EXPECT_EQ(service(f, "three").settings.count("instances"), 0U);

  EXPECT_EQ(error_of("[services.w]\ncommand = \"w\"\ninstances = 0\n"),
            file_path + ":3:1: services.w.instances: must be from 1 to 1000");
  EXPECT_EQ(error_of("[services.w]\ncommand = \"w\"\ninstances = 1001\n"),
            file_path + ":3:1: services.w.instances: must be from 1 to 1000");
  EXPECT_EQ(error_of("[services.w]\ncommand = \"w\"\ninstances = \"2\"\n"),
            file_path + ":3:1: services.w.instances: expected an integer");
  // NAME@N must still be a service name: 64 characters at most.
  EXPECT_EQ(error_of("[services." + std::string(62, 'n') + "]\ncommand = \"w\"\ninstances = 10\n"),
            file_path + ":1:11: services." + std::string(62, 'n') + ": invalid service name '" + std::string(62, 'n') +
                "@10' (1-64 of A-Za-z0-9._@-, not starting with '.')");
}

TEST(parse_services_file, durations_and_sizes_may_be_plain_numbers_of_seconds_and_bytes) {
  auto f = valid(R"([services.n]
command = "n"
stop_timeout = 3
ready_timeout = 2.5
respawn_max_delay = "1m"
log_max_size = 1048576
health_retries = 4
nice = 5
stop_signal = 9
)");
  auto c = config_of(f, service(f, "n"), "n");
  EXPECT_EQ(c.stop_timeout, std::chrono::seconds(3));
  EXPECT_EQ(c.ready_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.respawn.max_delay, std::chrono::minutes(1));
  EXPECT_EQ(c.log_max_size, 1048576U);
  EXPECT_EQ(c.health_retries, 4U);
  EXPECT_EQ(c.nice, 5);
  EXPECT_EQ(c.stop_signal, SIGKILL);

  EXPECT_EQ(error_of("[services.n]\ncommand = \"n\"\nstop_timeout = -1\n"),
            file_path + ":3:1: services.n.stop_timeout: must not be negative");
  EXPECT_EQ(error_of("[services.n]\ncommand = \"n\"\nlog_max_size = -1.5\n"),
            file_path + ":3:1: services.n.log_max_size: must not be negative");
  EXPECT_EQ(error_of("[services.n]\ncommand = \"n\"\nstop_timeout = \"soon\"\n"),
            file_path + ":3:1: services.n.stop_timeout: invalid duration 'soon' (expected e.g. 500ms, 10s, 2m, 1h)");
  EXPECT_EQ(error_of("[services.n]\ncommand = \"n\"\nstop_timeout = true\n"),
            file_path + ":3:1: services.n.stop_timeout: expected a string such as \"10s\" or a number of seconds");
  EXPECT_EQ(error_of("[services.n]\ncommand = \"n\"\nlog_max_size = 100\n"),
            file_path + ":3:1: services.n.log_max_size: must be at least 1K");
}

TEST(parse_services_file, depends_on_is_an_array_of_names_or_a_table_of_conditions) {
  auto f = valid(R"([services.c]
command = "c"
depends_on = { a = "started", b = "healthy" }

[services.b]
command = "b"
health = "tcp:127.0.0.1:80"
depends_on = ["a"]

[services.a]
command = "a"
)");
  EXPECT_EQ(names_in_order(f), (strings{"a", "b", "c"}));
  const auto& c = service(f, "c");
  ASSERT_EQ(c.depends_on.size(), 2U);
  EXPECT_EQ(c.depends_on[0].condition, dependency_condition::started);
  EXPECT_EQ(c.depends_on[1].condition, dependency_condition::healthy);
  EXPECT_EQ(c.depends_at.line, 3U);
  EXPECT_EQ(service(f, "b").depends_on[0].condition, dependency_condition::ready);
  // Where a service starts is not a setting of its process.
  EXPECT_EQ(c.settings.count("depends_on"), 0U);

  // The same, as a sub-table.
  auto g =
      valid("[services.a]\ncommand = \"a\"\n[services.b]\ncommand = \"b\"\n[services.b.depends_on]\na = \"ready\"\n");
  EXPECT_EQ(service(g, "b").depends_on.size(), 1U);

  EXPECT_EQ(
      error_of("[services.a]\ncommand = \"a\"\n[services.b]\ncommand = \"b\"\ndepends_on = { a = \"up\" }\n"),
      file_path + ":5:16: services.b.depends_on.a: expected \"started\", \"ready\", \"healthy\" or \"completed\"");
  EXPECT_EQ(
      error_of("[services.a]\ncommand = \"a\"\n[services.b]\ncommand = \"b\"\ndepends_on = { a = 1 }\n"),
      file_path + ":5:16: services.b.depends_on.a: expected \"started\", \"ready\", \"healthy\" or \"completed\"");
  EXPECT_EQ(
      error_of("[services.b]\ncommand = \"b\"\ndepends_on = \"a\"\n"),
      file_path + ":3:1: services.b.depends_on: expected an array of service names or a table of NAME = \"CONDITION\"");
  EXPECT_EQ(
      error_of("[services.b]\ncommand = \"b\"\ndepends_on = [\"a\", 2]\n"),
      file_path + ":3:1: services.b.depends_on: expected an array of service names or a table of NAME = \"CONDITION\"");
  EXPECT_EQ(error_of("[services.b]\ncommand = \"b\"\ndepends_on = [\"nowhere\"]\n"),
            file_path + ":3:1: services.b.depends_on: unknown service 'nowhere'");
  EXPECT_EQ(
      error_of("[services.a]\ncommand = \"a\"\n[services.b]\ncommand = \"b\"\ndepends_on = { a = \"completed\" }\n"),
      file_path + ":5:1: services.b.depends_on: 'a' is not a oneshot service: it never completes");
}

TEST(parse_services_file, healthy_needs_a_health_check_of_the_dependency) {
  EXPECT_EQ(error_of("[services.a]\ncommand = \"a\"\nready = \"tcp:80\"\n\n[services.b]\ncommand = \"b\"\n"
                     "depends_on = { a = \"healthy\" }\n"),
            file_path + ":7:1: services.b.depends_on: 'a' has no health check: it is never healthy");
  // From [defaults] counts too.
  auto f = valid(
      "[defaults]\nhealth = \"tcp:80\"\n[services.a]\ncommand = \"a\"\n[services.b]\ncommand = \"b\"\n"
      "depends_on = { a = \"healthy\" }\n");
  EXPECT_EQ(names_in_order(f), (strings{"a", "b"}));
}

TEST(parse_services_file, defaults_take_only_service_keys_and_no_depends_on) {
  EXPECT_EQ(errors_of("[defaults]\nrespwan = \"always\"\ndepends_on = [\"a\"]\n\n[services.a]\ncommand = \"a\"\n"),
            (strings{file_path + ":2:1: defaults.respwan: unknown key",
                     file_path + ":3:1: defaults.depends_on: not allowed in [defaults]"}));
  EXPECT_EQ(error_of("[services.a]\ncommand = \"a\"\nstop-timeout = \"1s\"\n"),
            file_path + ":3:1: services.a.stop-timeout: unknown key");
  EXPECT_EQ(error_of("defaults = 1\n[services.a]\ncommand = \"a\"\n"),
            file_path + ":1:1: defaults: expected a table ([defaults])");
  EXPECT_EQ(error_of("[service.a]\ncommand = \"a\"\n"),
            file_path + ":1:2: service: unknown key (expected [defaults] or [services.NAME])");
  EXPECT_EQ(error_of("[defaults]\nrespawn = \"always\"\n"),
            file_path + ": no services (expected [services.NAME] tables)");
  EXPECT_EQ(error_of(""), file_path + ": no services (expected [services.NAME] tables)");
  EXPECT_EQ(error_of("[services.a]\nready = \"notify\"\n"), file_path + ":1:11: services.a.command: missing");
}

TEST(parse_services_file, names_are_service_names_without_at) {
  EXPECT_EQ(error_of("[services.\"web@1\"]\ncommand = \"x\"\n"),
            file_path +
                ":1:11: services.web@1: invalid service name 'web@1' (1-64 of A-Za-z0-9._-, not starting with '.'; "
                "'@' is for instances)");
  EXPECT_EQ(errors_of("[services.\".x\"]\ncommand = \"x\"\n[services.\"\"]\ncommand = \"x\"\n").size(), 2U);
  EXPECT_EQ(error_of("[services]\na = 1\n"), file_path + ":2:1: services.a: expected a table ([services.a])");
}

TEST(parse_services_file, a_cycle_is_named_at_the_depends_on_of_its_first_member_in_the_file) {
  EXPECT_EQ(error_of(R"([services.a]
command = "a"
depends_on = ["c"]

[services.b]
command = "b"
depends_on = ["a"]

[services.c]
command = "c"
depends_on = { b = "started" }
)"),
            file_path + ":3:1: services.a.depends_on: dependency cycle: a -> c -> b -> a");
  EXPECT_EQ(error_of("[services.x]\ncommand = \"x\"\n\n[services.self]\ncommand = \"s\"\ndepends_on = [\"self\"]\n"),
            file_path + ":6:1: services.self.depends_on: dependency cycle: self -> self");
  // Reached from a service outside it, the cycle is still named from its
  // first member.
  EXPECT_EQ(error_of("[services.top]\ncommand = \"t\"\ndepends_on = [\"b\"]\n[services.a]\ncommand = \"a\"\n"
                     "depends_on = [\"b\"]\n[services.b]\ncommand = \"b\"\ndepends_on = [\"a\"]\n"),
            file_path + ":6:1: services.a.depends_on: dependency cycle: a -> b -> a");
}

TEST(parse_services_file, every_error_of_a_service_is_at_its_key) {
  EXPECT_EQ(errors_of(R"([services.web]
command = []
nice = "high"
env = { PORT = 8080 }
timestamps = "yes"
unknown = 1
)"),
            (strings{file_path + ":2:1: services.web.command: empty command",
                     file_path + ":3:1: services.web.nice: expected an integer",
                     file_path + ":4:9: services.web.env.PORT: expected a string",
                     file_path + ":5:1: services.web.timestamps: expected true or false",
                     file_path + ":6:1: services.web.unknown: unknown key"}));
  EXPECT_EQ(error_of("[services.web]\ncommand = \"x\"\nready = \"fd:2\"\n"),
            file_path + ":3:1: services.web.ready: invalid fd in 'fd:2' (expected fd:N with N from 3 to 1023)");
  EXPECT_EQ(error_of("[services.web]\ncommand = \"x\"\numask = \"999\"\n"),
            file_path + ":3:1: services.web.umask: invalid umask '999' (expected octal, e.g. 022)");
  // A variable's name is all of its key: it cannot set another one.
  EXPECT_EQ(error_of("[services.web]\ncommand = \"x\"\nenv = { \"\" = \"x\" }\n"),
            file_path + ":3:9: services.web.env: invalid variable name '' (expected a name without '=')");
  EXPECT_EQ(error_of("[services.web]\ncommand = \"x\"\nenv = { \"PATH=/tmp:\" = \"x\" }\n"),
            file_path + ":3:9: services.web.env: invalid variable name 'PATH=/tmp:' (expected a name without '=')");
  EXPECT_EQ(error_of("[services.web]\ncommand = \"x\"\nenv = { \"A\\u0000B\" = \"x\" }\n"),
            file_path + ":3:9: services.web.env: invalid variable name 'A" + std::string(1, '\0') +
                "B' (expected a name without '=')");
  EXPECT_EQ(error_of("[services.web]\ncommand = [\"\", \"x\"]\n"),
            file_path + ":2:1: services.web.command: empty command");
  EXPECT_EQ(error_of("[services.web]\ncommand = \"a\\u0000b\"\n"),
            file_path + ":2:1: services.web.command: contains a NUL character");
}

TEST(parse_services_file, an_unknown_dependency_is_named_with_the_services_other_errors) {
  EXPECT_EQ(errors_of("[services.b]\ncommand = \"b\"\nnice = \"x\"\ndepends_on = [\"nowhere\"]\n"),
            (strings{file_path + ":3:1: services.b.nice: expected an integer",
                     file_path + ":4:1: services.b.depends_on: unknown service 'nowhere'"}));
  EXPECT_EQ(
      errors_of("[services.b]\ncommand = \"b\"\nstop_timeout = \"soon\"\ndepends_on = [\"nowhere\"]\n"),
      (strings{file_path + ":3:1: services.b.stop_timeout: invalid duration 'soon' (expected e.g. 500ms, 10s, 2m, 1h)",
               file_path + ":4:1: services.b.depends_on: unknown service 'nowhere'"}));
  EXPECT_EQ(errors_of("[services.b]\ndepends_on = [\"nowhere\"]\n"),
            (strings{file_path + ":1:11: services.b.command: missing",
                     file_path + ":2:1: services.b.depends_on: unknown service 'nowhere'"}));
  // A dependency with an error of its own: only that error, not a guess at
  // what it would have been (here: a oneshot without its command).
  EXPECT_EQ(
      errors_of("[services.a]\noneshot = true\n[services.b]\ncommand = \"b\"\ndepends_on = { a = \"completed\" }\n"),
      (strings{file_path + ":1:11: services.a.command: missing"}));
}

TEST(parse_services_file, toml_syntax_errors_are_at_their_line_and_column) {
  EXPECT_EQ(error_of("[services.web\ncommand = \"x\"\n"),
            file_path + ":1:14: Error while parsing table header: expected ']', saw '\\n'");
  EXPECT_EQ(error_of("[services.web]\ncommand = = \"x\"\n"),
            file_path + ":2:11: Error while parsing value: could not determine value type");
  EXPECT_EQ(error_of("[services.web]\ncommand = \"x\"\ncommand = \"y\"\n"),
            file_path + ":3:11: Error while parsing key-value pair: cannot redefine existing string 'command'");
  EXPECT_EQ(error_of("[services.web]\ncommand = \"x\"\n[services.web]\n"),
            file_path + ":3:1: Error while parsing table header: cannot redefine existing table 'services.web'");
  EXPECT_EQ(error_of("[services.web]\nenv = { A = \"é\" } x\n"),
            file_path + ":2:19: Error while parsing key-value pair: expected a comment or whitespace, saw 'x'");
  // Not a key where a table header needs one (toml++ asserted on these).
  EXPECT_EQ(error_of("[*a]\n"),
            file_path +
                ":1:2: Error while parsing key: expected bare key starting character or string delimiter, "
                "saw '*'");
  EXPECT_EQ(error_of("[[[1]]]\n").rfind(file_path + ":1:3: ", 0), 0U);
  // What ends too soon ends at the end of the file, also after a newline.
  EXPECT_EQ(error_of("[services.web]\ncommand = [\"x\",\n"),
            file_path + ":3:1: Error while parsing array: encountered end-of-file");
  EXPECT_EQ(error_of("[services.web]\ncommand = [\"x\","),
            file_path + ":2:16: Error while parsing array: encountered end-of-file");
  EXPECT_EQ(error_of("[services.web]\ncommand = \"\"\"x\n\n"),
            file_path + ":4:1: Error while parsing string: encountered end-of-file");
}

TEST(parse_services_file, invalid_utf8_is_an_error_at_its_first_byte) {
  const std::string invalid = ": invalid UTF-8 (a TOML file is UTF-8 text)";
  EXPECT_EQ(error_of("[services.web]\ncommand = \"\xff\"\n"), file_path + ":2:12" + invalid);
  // toml++ alone says 1:6 here, the newline before it.
  EXPECT_EQ(error_of("[services.web]\n\xff\n"), file_path + ":2:1" + invalid);
  EXPECT_EQ(error_of("# caf\xc3\xa9 \xc3\n"), file_path + ":1:8" + invalid);             // cut short
  EXPECT_EQ(error_of("a = \"\xc0\x80\"\n"), file_path + ":1:6" + invalid);               // overlong NUL
  EXPECT_EQ(error_of("a = \"\xed\xa0\x80\"\n"), file_path + ":1:6" + invalid);           // a surrogate
  EXPECT_EQ(error_of("a = \"\xf4\x90\x80\x80\"\n"), file_path + ":1:6" + invalid);       // past U+10FFFF
  EXPECT_EQ(error_of("a = \"\xf0\x9f\x98\x80\" \x80\n"), file_path + ":1:9" + invalid);  // a lone continuation
  // Every other character is the file's to have: in strings and comments.
  auto f = valid(
      "# \xc2\xa7 \xe2\x80\x80 \xf0\x9f\x98\x80\n[services.web]\ncommand = [\"echo\", "
      "\"\xc2\xa1\xd2\x97\xe3\x80\x80\xef\xbf\xbf\"]\n"
      "env = { S = \"\"\"\\\n  \xc2\xa7\"\"\" }\n");
  EXPECT_EQ(service(f, "web").command[1], "\xc2\xa1\xd2\x97\xe3\x80\x80\xef\xbf\xbf");
  EXPECT_EQ(service(f, "web").settings["env"]["S"], "\xc2\xa7");
}

TEST(parse_services_file, settings_are_what_up_compares) {
  auto f = valid("[defaults]\nenv = { A = \"1\" }\n[services.s]\ncommand = [\"s\", \"-v\"]\nstop_timeout = 3\n");
  EXPECT_EQ(service(f, "s").settings, (json{{"command", {"s", "-v"}}, {"env", {{"A", "1"}}}, {"stop_timeout", "3"}}));
}

TEST(parse_services_file, changed_settings_names_each_key_that_differs) {
  const json before = {{"command", {"web", "--port", "80"}},
                       {"env", {{"PORT", "80"}, {"MODE", "prod"}}},
                       {"rlimit", {{"nofile", "1024"}}},
                       {"stop_timeout", "10s"}};
  EXPECT_EQ(changed_settings(before, before), strings{});

  json after = before;
  after["env"]["PORT"] = "8080";
  EXPECT_EQ(changed_settings(before, after), strings{"env.PORT"});

  after = before;
  after["command"] = json{"web", "--port", "8080"};
  EXPECT_EQ(changed_settings(before, after), strings{"command"});

  after = before;
  after.erase("stop_timeout");
  after["ready"] = "notify";
  EXPECT_EQ(changed_settings(before, after), (strings{"ready", "stop_timeout"}));

  after = before;
  after["env"].erase("MODE");
  after["env"]["DEBUG"] = "1";
  after["rlimit"]["core"] = "0";
  EXPECT_EQ(changed_settings(before, after), (strings{"env.DEBUG", "env.MODE", "rlimit.core"}));

  after = before;
  after.erase("env");
  EXPECT_EQ(changed_settings(before, after), (strings{"env.MODE", "env.PORT"}));
  EXPECT_EQ(changed_settings(after, before), (strings{"env.MODE", "env.PORT"}));

  // Nothing stored (a service from before the file): everything differs.
  EXPECT_EQ(changed_settings(json(), json{{"command", "x"}}), strings{"command"});
}

TEST(parse_services_file, changed_settings_of_two_readings_of_an_edited_file) {
  const std::string text = "[services.web]\ncommand = \"web\"\nenv = { PORT = \"80\" }\ninstances = 2\n";
  auto a = valid(text);
  auto b = valid("[services.web]\ncommand = \"web\"\nenv = { PORT = \"8080\" }\ninstances = 3\n");
  EXPECT_EQ(changed_settings(a.services[0].settings, valid(text).services[0].settings), strings{});
  // The number of instances is not a change of the running ones.
  EXPECT_EQ(changed_settings(a.services[0].settings, b.services[0].settings), strings{"env.PORT"});
}

}  // namespace
