// SPDX-License-Identifier: MIT
// The worked example of docs/services.md with the real programs: PostgreSQL
// 15 (ready = "notify", stopped with INT to the postmaster alone), a psql
// migration that must complete before the web servers start, and two
// instances of Python's http.server, each on its own port. One daemonkit.toml,
// brought up, left alone, edited, brought down; and a migration that fails.
//
// Everything is the test's own: the cluster (initdb in the temporary
// directory), its port, its socket directory (runtime_dir, a name under /run
// unique to the test), the web servers' ports, the state and log directories.
// As in the docs, web's ready and health checks are cmd: checks of PORT +
// DAEMONKIT_INSTANCE: instances share every setting, so a tcp:PORT or
// http:// check would name one port for both.
#include <gtest/gtest.h>

#include <algorithm>

#include <pwd.h>
#include <sys/stat.h>

#include <cstring>
#include <set>
#include <tuple>

#include "programs_support.hpp"

namespace {

using namespace dk_programs;

// down stops the instances of a service together: their lines come in the
// order they finish. This puts each run of consecutive lines of one
// service's instances (NAME@...) in order, and leaves the rest as it is.
std::string instances_sorted(const std::string& out) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < out.size()) {
    auto nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    lines.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  auto service_of = [](const std::string& l) { return l.substr(0, l.find_first_of("@:")); };
  for (std::size_t i = 0; i < lines.size();) {
    std::size_t j = i;
    while (j < lines.size() && service_of(lines[j]) == service_of(lines[i]) &&
           lines[j].find('@') < lines[j].find(':')) {
      ++j;
    }
    std::sort(lines.begin() + static_cast<long>(i), lines.begin() + static_cast<long>(j));
    i = j > i ? j : i + 1;
  }
  std::string sorted;
  for (const auto& l : lines) sorted += l + "\n";
  return sorted;
}

const std::string bin = "/usr/lib/postgresql/15/bin/";
const std::string postgres = bin + "postgres";
const std::string initdb = bin + "initdb";
const std::string psql = bin + "psql";
const std::string runuser = "/usr/sbin/runuser";
const std::string python = "/usr/bin/python3";
const std::string curl = "/usr/bin/curl";

// The docs' example with this test's paths and ports. The commands name
// their programs by path: the test's PATH may hold directories the service
// users cannot enter (a pyenv under /root).
const std::string example = R"toml([defaults]                        # every service's, unless it sets its own
respawn = "on-failure"
env = { LANG = "C.UTF-8" }        # tables merge per entry: web gets LANG and PORT

[services.db]
command = ["@BIN@postgres", "-D", "@DATA@", "-k", "/run/@RUNDIR@", "-p", "@PGPORT@",
           "-c", "listen_addresses=127.0.0.1"]
user = "postgres"
ready = "notify"                  # postgres sends READY=1 once it accepts connections
stop_signal = "INT"               # postgres's "fast" shutdown, to the postmaster alone,
kill_mode = "mixed"               # which ends its own backends
runtime_dir = "@RUNDIR@"          # /run/@RUNDIR@, where its socket goes

[services.migrate]
command = "@BIN@psql -v ON_ERROR_STOP=1 -f migrate.sql"   # a string runs with /bin/sh -c
user = "postgres"
chdir = "."                       # the file's directory
oneshot = true                    # runs to completion, is never respawned
depends_on = ["db"]               # starts once db is ready
env = { PGHOST = "/run/@RUNDIR@", PGPORT = "@PGPORT@" }

[services.web]
command = 'exec @PYTHON@ -m http.server "$((PORT + DAEMONKIT_INSTANCE))" --bind 127.0.0.1'
user = "www-data"
chdir = "public"
depends_on = { db = "ready", migrate = "completed" }
ready = "cmd:@CURL@ -fso /dev/null 127.0.0.1:$((PORT + DAEMONKIT_INSTANCE))"
health = "cmd:@CURL@ -fso /dev/null 127.0.0.1:$((PORT + DAEMONKIT_INSTANCE))"
instances = 2                     # web@1 on PORT + 1, web@2 on PORT + 2
env = { PORT = "@PORT@" }
)toml";

const std::string migration = R"sql(create table accounts (
    id serial primary key,
    name text not null
);
insert into accounts (name) values ('alice');
)sql";

// Run twice: the second create fails, as in the docs' failing example.
const std::string failing_migration = "create table accounts (id int);\ncreate table accounts (id int);\n";

const std::string index_html = "<p>daemonkit services file example</p>\n";

// Whether 127.0.0.1:port is free for TCP right now (nothing bound to it).
bool tcp_port_free(int port) {
  fd_guard s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_in sa {};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::bind(s.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) == 0;
}

// A PORT for instances listening on PORT + DAEMONKIT_INSTANCE: PORT + 1 and
// PORT + 2 are free right now (with free_port's caveat).
int free_instance_ports_base() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    int first = free_port();
    if (first < 65535 && tcp_port_free(first + 1)) return first - 1;
  }
  throw std::runtime_error("no two consecutive free ports on 127.0.0.1");
}

// The NUL-separated entries of /proc/PID/environ.
std::set<std::string> environ_of(pid_t pid) {
  std::set<std::string> out;
  auto text = read_file("/proc/" + std::to_string(pid) + "/environ").value_or("");
  for (size_t at = 0; at < text.size();) {
    auto end = text.find('\0', at);
    if (end == std::string::npos) end = text.size();
    out.insert(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

std::string uid_of(pid_t pid) {
  auto line = status_field(pid, "Uid").value_or("");
  return line.substr(0, line.find('\t'));
}

class services_file_test : public program_fixture {
 protected:
  services_file_test() : program_fixture({postgres, initdb, psql, runuser, python, curl}) {}

  void SetUp() override {
    program_fixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    pg_port = free_port();
    web_port = free_instance_ports_base();
    // The test directory's own name (dk-test.XXXXXX) names its runtime
    // directory: unique, and a valid runtime_dir name.
    rundir = tmp.path().substr(tmp.path().rfind('/') + 1);
    socket_dir = "/run/" + rundir;
    ASSERT_FALSE(exists(socket_dir)) << socket_dir;

    struct passwd* pg = ::getpwnam("postgres");
    ASSERT_NE(pg, nullptr) << "no user postgres (the postgresql package creates it)";
    postgres_uid = std::to_string(pg->pw_uid);
    ASSERT_EQ(::mkdir(pg_dir.c_str(), 0700), 0);
    ASSERT_EQ(::chown(pg_dir.c_str(), pg->pw_uid, pg->pw_gid), 0);
    struct passwd* www = ::getpwnam("www-data");  // (the same static struct as pg's)
    ASSERT_NE(www, nullptr) << "no user www-data (base-passwd has it)";
    www_uid = std::to_string(www->pw_uid);
    command_options o;
    o.cwd = pg_dir;
    auto r = run_command({runuser, "-u", "postgres", "--", initdb, "-D", data, "--auth=trust", "-U", "postgres",
                          "--no-sync", "--no-instructions"},
                         o, 120s);
    ASSERT_EQ(r.exit_code(), 0) << describe(r);

    ASSERT_EQ(::mkdir(public_dir.c_str(), 0755), 0);
    write_file(public_dir + "/index.html", index_html);
    write_file(tmp.file("migrate.sql"), migration);
    write_example(web_port);
  }

  void write_example(int port) const {
    write_file(file, fill(example, {{"BIN", bin},
                                    {"DATA", data},
                                    {"RUNDIR", rundir},
                                    {"PGPORT", std::to_string(pg_port)},
                                    {"PYTHON", python},
                                    {"CURL", curl},
                                    {"PORT", std::to_string(port)}}));
  }

  // `daemonkit ARGS[0] -f FILE ARGS[1...]`, run from the root directory:
  // the file's paths must not depend on where daemonkit runs.
  command_result in_file(std::vector<std::string> args, milliseconds timeout = 120s) const {
    args.insert(args.begin() + 1, {"-f", file});
    command_options o;
    o.cwd = "/";
    return dk(args, o, timeout);
  }

  // psql as postgres on the test's cluster, through its socket directory.
  command_result query(const std::string& sql) const {
    return run_command(
        {psql, "-h", socket_dir, "-p", std::to_string(pg_port), "-U", "postgres", "-d", "postgres", "-Atc", sql});
  }

  static std::string started(const std::string& name, pid_t pid) {
    return name + ": started (pid " + std::to_string(pid) + ")";
  }

  int pg_port = 0;
  int web_port = 0;  // web@N listens on web_port + N
  std::string rundir, socket_dir, postgres_uid, www_uid;
  std::string file = tmp.file("daemonkit.toml");
  std::string pg_dir = tmp.file("pg");
  std::string data = tmp.file("pg/data");
  std::string public_dir = tmp.file("public");
};

TEST_F(services_file_test, the_worked_example_comes_up_in_order_is_left_alone_updated_and_brought_down) {
  auto check = in_file({"check"});
  EXPECT_EQ(check.exit_code(), 0) << describe(check);
  EXPECT_EQ(check.out, file + ": 3 services (4 with instances), valid\n") << describe(check);

  auto plan = in_file({"up", "--dry-run"});
  EXPECT_EQ(plan.exit_code(), 0) << describe(plan);
  EXPECT_EQ(plan.out, "start db\nstart migrate\nstart web@1\nstart web@2\n") << describe(plan);
  EXPECT_TRUE(service_names().empty()) << "--dry-run started something";

  // up: db ready (READY=1), then the migration to completion, then both web
  // servers together (so in either order), each ready on its own port.
  auto up = in_file({"up"});
  ASSERT_EQ(up.exit_code(), 0) << describe(up);
  EXPECT_EQ(up.err, "") << describe(up);
  const pid_t db = pidfile_pid("db");
  const pid_t web1 = pidfile_pid("web@1");
  const pid_t web2 = pidfile_pid("web@2");
  auto lines = split_lines(up.out);
  ASSERT_EQ(lines.size(), 4u) << up.out;
  EXPECT_EQ(lines[0], started("db", db)) << up.out;
  EXPECT_EQ(lines[1], "migrate: completed") << up.out;
  EXPECT_EQ((std::set<std::string>{lines[2], lines[3]}),
            (std::set<std::string>{started("web@1", web1), started("web@2", web2)}))
      << up.out;

  // db: the postmaster, as postgres, its socket in its runtime directory.
  EXPECT_EQ(comm_of(db), "postgres");
  EXPECT_EQ(uid_of(db), postgres_uid) << "db runs as postgres";
  struct stat st {};
  ASSERT_EQ(::stat(socket_dir.c_str(), &st), 0) << socket_dir << ": " << std::strerror(errno);
  EXPECT_EQ(std::to_string(st.st_uid), postgres_uid) << socket_dir << " belongs to the service's user";
  EXPECT_TRUE(exists(socket_dir + "/.s.PGSQL." + std::to_string(pg_port)));

  // migrate ran (once, to completion): its table and row are there.
  auto rows = query("select id, name from accounts");
  EXPECT_EQ(rows.exit_code(), 0) << describe(rows);
  EXPECT_EQ(rows.out, "1|alice\n") << describe(rows);

  // web@1 and web@2: www-data, in public/ (relative to the file, though up
  // ran from /), each with its instance number and the merged env, serving
  // on PORT + DAEMONKIT_INSTANCE.
  for (auto [n, pid] : {std::pair{1, web1}, std::pair{2, web2}}) {
    SCOPED_TRACE("web@" + std::to_string(n));
    ASSERT_GT(pid, 0);
    EXPECT_EQ(uid_of(pid), www_uid) << "web runs as www-data";
    EXPECT_EQ(cwd_of(pid), public_dir);
    auto env = environ_of(pid);
    EXPECT_EQ(env.count("DAEMONKIT_INSTANCE=" + std::to_string(n)), 1u);
    EXPECT_EQ(env.count("PORT=" + std::to_string(web_port)), 1u) << "the service's own env";
    EXPECT_EQ(env.count("LANG=C.UTF-8"), 1u) << "[defaults] env merged in";
    EXPECT_TRUE(contains(cmdline_of(pid), "http.server " + std::to_string(web_port + n))) << cmdline_of(pid);
    auto page = http_get(web_port + n, "/");
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.body, index_html);
  }

  // status -f: everything fine, in dependency order, once the first health
  // checks (run right after readiness) have passed.
  ASSERT_TRUE(wait_state_dir(
      [&] {
        return json_string(status_json("web@1"), "health") == "healthy" &&
               json_string(status_json("web@2"), "health") == "healthy";
      },
      30s))
      << status_json("web@1").dump() << status_json("web@2").dump();
  auto status = in_file({"status"});
  EXPECT_EQ(status.exit_code(), 0) << describe(status);
  lines = split_lines(status.out);
  ASSERT_EQ(lines.size(), 4u) << status.out;
  EXPECT_EQ(lines[0].rfind("db: running (pid " + std::to_string(db) + ")", 0), 0u) << status.out;
  EXPECT_EQ(lines[1], "migrate: completed") << status.out;
  EXPECT_EQ(lines[2].rfind("web@1: running (pid " + std::to_string(web1) + ")", 0), 0u) << status.out;
  EXPECT_TRUE(contains(lines[2], ", healthy")) << status.out;
  EXPECT_EQ(lines[3].rfind("web@2: running (pid " + std::to_string(web2) + ")", 0), 0u) << status.out;
  EXPECT_TRUE(contains(lines[3], ", healthy")) << status.out;

  // up again: nothing to do, nothing done (the migration is not run again).
  auto again = in_file({"up"});
  EXPECT_EQ(again.exit_code(), 0) << describe(again);
  lines = split_lines(again.out);
  ASSERT_EQ(lines.size(), 4u) << again.out;
  EXPECT_EQ(lines[0], "db: unchanged") << again.out;
  EXPECT_EQ(lines[1], "migrate: unchanged") << again.out;
  EXPECT_EQ((std::set<std::string>{lines[2], lines[3]}),
            (std::set<std::string>{"web@1: unchanged", "web@2: unchanged"}))
      << again.out;
  EXPECT_EQ(pidfile_pid("db"), db);
  EXPECT_EQ(pidfile_pid("web@1"), web1);
  EXPECT_EQ(pidfile_pid("web@2"), web2);
  for (pid_t p : {db, web1, web2}) EXPECT_TRUE(is_alive(p)) << p;
  EXPECT_EQ(query("select count(*) from accounts").out, "1\n") << "the completed migration ran again";

  // An edited PORT: the plan names both web instances, and only they are
  // restarted, on the new ports.
  const int new_port = free_instance_ports_base();
  write_example(new_port);
  auto edit_plan = in_file({"up", "--dry-run"});
  EXPECT_EQ(edit_plan.exit_code(), 0) << describe(edit_plan);
  EXPECT_EQ(edit_plan.out, "restart web@1 (changed: env.PORT)\nrestart web@2 (changed: env.PORT)\n")
      << describe(edit_plan);
  EXPECT_EQ(pidfile_pid("web@1"), web1) << "--dry-run restarted web@1";

  auto edit = in_file({"up"});
  EXPECT_EQ(edit.exit_code(), 0) << describe(edit);
  lines = split_lines(edit.out);
  ASSERT_EQ(lines.size(), 4u) << edit.out;
  EXPECT_EQ(lines[0], "db: unchanged") << edit.out;
  EXPECT_EQ(lines[1], "migrate: unchanged") << edit.out;
  EXPECT_EQ((std::set<std::string>{lines[2], lines[3]}),
            (std::set<std::string>{"web@1: restarted (changed: env.PORT)", "web@2: restarted (changed: env.PORT)"}))
      << edit.out;
  EXPECT_EQ(pidfile_pid("db"), db) << "db was restarted but did not change";
  EXPECT_TRUE(is_alive(db));
  const pid_t new_web1 = pidfile_pid("web@1");
  const pid_t new_web2 = pidfile_pid("web@2");
  for (auto [n, old_pid, pid] : {std::tuple{1, web1, new_web1}, std::tuple{2, web2, new_web2}}) {
    SCOPED_TRACE("web@" + std::to_string(n));
    EXPECT_GT(pid, 0);
    EXPECT_NE(pid, old_pid);
    EXPECT_FALSE(is_alive(old_pid)) << "the old instance is still there";
    EXPECT_EQ(http_get(new_port + n, "/").status, 200);
    EXPECT_FALSE(tcp_connect(web_port + n).valid()) << "the old port still answers";
  }

  // down: dependants first; postgres shut down by INT (fast shutdown), and
  // nothing of it left: not a backend, not its socket directory.
  const pid_t db_monitor = monitor_of("db");
  ASSERT_GT(db_monitor, 0);
  const size_t db_log_before = log_text("db").size();
  auto down = in_file({"down"});
  EXPECT_EQ(down.exit_code(), 0) << describe(down);
  EXPECT_EQ(instances_sorted(down.out), "web@1: stopped (pid " + std::to_string(new_web1) + ")\nweb@2: stopped (pid " +
                                            std::to_string(new_web2) + ")\nmigrate: not running\ndb: stopped (pid " +
                                            std::to_string(db) + ")\n")
      << describe(down);
  EXPECT_EQ(down.err, "") << describe(down);
  for (pid_t p : {db, new_web1, new_web2}) EXPECT_FALSE(is_alive(p)) << p << " still runs after down";
  EXPECT_TRUE(our_processes("postgres").empty()) << describe_processes(our_processes("postgres"));
  EXPECT_TRUE(leftovers("postgres").empty()) << describe_processes(leftovers("postgres"));
  EXPECT_TRUE(our_processes("python3").empty()) << describe_processes(our_processes("python3"));
  auto shutdown_log = log_text("db", db_log_before);
  EXPECT_TRUE(contains(shutdown_log, "received fast shutdown request")) << shutdown_log;
  EXPECT_TRUE(contains(shutdown_log, "database system is shut down")) << shutdown_log;
  EXPECT_TRUE(wait_monitor_exit(db_monitor, 10s));
  EXPECT_FALSE(exists(socket_dir)) << "the runtime directory outlived its service";
}

TEST_F(services_file_test, a_failing_migration_stops_up_before_the_web_servers) {
  write_file(tmp.file("migrate.sql"), failing_migration);
  auto up = in_file({"up"});
  EXPECT_EQ(up.exit_code(), 1) << describe(up);
  const pid_t db = pidfile_pid("db");
  EXPECT_EQ(up.out, started("db", db) + "\nweb@1: not started: migrate failed\nweb@2: not started: migrate failed\n")
      << describe(up);
  // psql's ON_ERROR_STOP exit status and its error, from migrate's output.
  EXPECT_TRUE(contains(up.err, "daemonkit: migrate: ")) << describe(up);
  EXPECT_TRUE(contains(up.err, "exited with status 3")) << describe(up);
  EXPECT_TRUE(contains(up.err, "psql:migrate.sql:2: ERROR:  relation \"accounts\" already exists")) << describe(up);

  // db stays up; the web servers were never started; the oneshot was not
  // respawned (though [defaults] says respawn = "on-failure").
  EXPECT_TRUE(is_alive(db));
  EXPECT_EQ(query("select 1").out, "1\n");
  EXPECT_EQ(pidfile_pid("web@1"), 0);
  EXPECT_EQ(pidfile_pid("web@2"), 0);
  EXPECT_TRUE(our_processes("python3").empty()) << describe_processes(our_processes("python3"));
  auto migrate = status_json("migrate");
  EXPECT_EQ(json_int(migrate, "last_exit_code"), 3) << migrate.dump();
  EXPECT_EQ(json_int(migrate, "restarts"), 0) << migrate.dump();
  auto status = in_file({"status"});
  EXPECT_NE(status.exit_code(), 0) << describe(status);

  auto down = in_file({"down"});
  EXPECT_EQ(down.exit_code(), 0) << describe(down);
  EXPECT_EQ(
      instances_sorted(down.out),
      "web@1: not running\nweb@2: not running\nmigrate: not running\ndb: stopped (pid " + std::to_string(db) + ")\n")
      << describe(down);
  EXPECT_TRUE(our_processes("postgres").empty()) << describe_processes(our_processes("postgres"));
  EXPECT_TRUE(leftovers("postgres").empty()) << describe_processes(leftovers("postgres"));
}

}  // namespace
