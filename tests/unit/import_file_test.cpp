// SPDX-License-Identifier: MIT
// `daemonkit import` (tools/daemonkit/import_file.cpp, cmd_import.cpp): every
// file it prints is read back with toml++, and the values are checked against
// what supervisord (or foreman) would have run, and against daemonkit's own
// parsers for durations, sizes, signals, umasks and names.
#include "import_file.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <sys/wait.h>
#include <toml++/toml.h>
#include <unistd.h>
#include <utility>

#include "cli.hpp"
#include "daemonkit/service_dir.hpp"
#include "daemonkit/signal_name.hpp"
#include "daemonkit/units.hpp"
#include "test_support.hpp"

// The tool's complain() is in cli.cpp, which brings the whole tool with it:
// cmd_import's messages are collected here instead.
namespace {
std::vector<std::string> complaints;
}  // namespace
void dk::complain(const std::string& name, const std::string& text) {
  complaints.push_back("daemonkit: " + name + ": " + text);
}

namespace {

using dk::import_context;
using dk::import_result;
using dk::import_services;

constexpr const char* conf_path = "/etc/supervisor/conf.d/app.conf";

import_context context(std::map<std::string, std::string> env = {}, std::string here = "/etc/supervisor/conf.d") {
  import_context c;
  c.here = std::move(here);
  c.getenv = [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return c;
}

struct imported {
  import_result result;
  toml::table table;
  std::string text() const { return result.toml; }
  toml::node_view<const toml::node> service(const std::string& name) const { return table["services"][name]; }
  std::string warnings() const {
    std::string all;
    for (const auto& w : result.warnings) all += w + "\n";
    return all;
  }
};

// The import of text, read back as TOML (a test fails when it is not).
imported import_ok(std::string_view text, const std::string& path = conf_path, const import_context& ctx = context()) {
  imported out;
  auto r = import_services(path, text, ctx);
  if (!r) {
    ADD_FAILURE() << "import failed: " << r.err().message();
    return out;
  }
  out.result = *r;
  try {
    out.table = toml::parse(out.result.toml);
  } catch (const toml::parse_error& e) {
    ADD_FAILURE() << "not TOML: " << e.description() << " at line " << e.source().begin.line << ":\n"
                  << out.result.toml;
  }
  return out;
}

std::string import_error(std::string_view text, const std::string& path = conf_path) {
  auto r = import_services(path, text, context());
  EXPECT_FALSE(r) << "expected an error, got:\n" << (r ? r->toml : "");
  return r ? std::string() : r.err().message();
}

std::vector<std::string> strings(toml::node_view<const toml::node> n) {
  std::vector<std::string> out;
  const auto* a = n.as_array();
  if (a == nullptr) {
    ADD_FAILURE() << "not an array";
    return out;
  }
  for (const auto& e : *a) {
    auto s = e.value<std::string>();
    EXPECT_TRUE(s) << "an element is not a string";
    out.push_back(s.value_or(""));
  }
  return out;
}

std::string str(toml::node_view<const toml::node> n) {
  auto s = n.value<std::string>();
  EXPECT_TRUE(s) << "not a string";
  return s.value_or("");
}

std::vector<std::string> keys_of(toml::node_view<const toml::node> n) {
  std::vector<std::string> out;
  if (const auto* t = n.as_table()) {
    for (const auto& [k, v] : *t) out.emplace_back(k.str());
  }
  return out;
}

std::vector<std::string> service_names(const imported& i) {
  std::vector<std::string> names;
  if (const auto* t = i.table["services"].as_table()) {
    for (const auto& [k, v] : *t) names.emplace_back(k.str());
  }
  return names;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The TOML lines of [services.NAME], up to the next table.
std::string table_text(const imported& i, const std::string& header) {
  auto at = i.result.toml.find("[services." + header + "]\n");
  if (at == std::string::npos) return {};
  auto end = i.result.toml.find("\n[", at + 1);
  return i.result.toml.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// ------------------------------------------------------------ supervisord: keys

TEST(import_file, supervisord_program_maps_each_key) {
  auto i = import_ok(
      "[program:web]\n"
      "command = /usr/bin/gunicorn --bind 0.0.0.0:8000 \"app:create_app()\"\n"
      "directory = /srv/app\n"
      "user = www-data\n"
      "environment = APP_ENV=\"production\",WORKERS=4\n"
      "autorestart = true\n"
      "startsecs = 5\n"
      "stopsignal = QUIT\n"
      "stopwaitsecs = 30\n"
      "umask = 027\n");
  auto web = i.service("web");
  EXPECT_EQ(strings(web["command"]),
            (std::vector<std::string>{"/usr/bin/gunicorn", "--bind", "0.0.0.0:8000", "app:create_app()"}));
  EXPECT_EQ(str(web["chdir"]), "/srv/app");
  EXPECT_EQ(str(web["user"]), "www-data");
  EXPECT_EQ(str(web["env"]["APP_ENV"]), "production");
  EXPECT_EQ(str(web["env"]["WORKERS"]), "4");
  EXPECT_EQ(str(web["respawn"]), "always");
  EXPECT_EQ(str(web["respawn_min_uptime"]), "5s");
  EXPECT_EQ(str(web["stop_signal"]), "QUIT");
  EXPECT_EQ(str(web["stop_timeout"]), "30s");
  EXPECT_EQ(str(web["umask"]), "027");
  // Each value is one daemonkit's own parsers take.
  EXPECT_EQ(daemonkit::parse_duration(str(web["respawn_min_uptime"])).value(), std::chrono::seconds(5));
  EXPECT_EQ(daemonkit::parse_duration(str(web["stop_timeout"])).value(), std::chrono::seconds(30));
  EXPECT_EQ(daemonkit::parse_signal(str(web["stop_signal"])).value(), SIGQUIT);
  EXPECT_EQ(daemonkit::parse_umask(str(web["umask"])).value(), 027U);
  EXPECT_FALSE(contains(i.text(), "# not carried over:")) << i.text();
  EXPECT_TRUE(i.result.warnings.empty()) << i.warnings();
  EXPECT_TRUE(contains(i.text(), "# daemonkit.toml, imported by `daemonkit import` from the supervisord config " +
                                     std::string(conf_path)))
      << i.text();
}

TEST(import_file, autorestart_becomes_respawn) {
  auto i = import_ok(
      "[program:a]\ncommand=a\nautorestart=true\n"
      "[program:b]\ncommand=b\nautorestart=false\n"
      "[program:c]\ncommand=c\nautorestart=unexpected\n"
      "[program:d]\ncommand=d\n"
      "[program:e]\ncommand=e\nautorestart=sometimes\n"
      "[program:f]\ncommand=f\nautorestart=Yes\n");
  EXPECT_EQ(str(i.service("a")["respawn"]), "always");
  EXPECT_EQ(str(i.service("b")["respawn"]), "no");
  EXPECT_EQ(str(i.service("c")["respawn"]), "on-failure");
  // supervisord's default is unexpected: daemonkit's default is no respawn.
  EXPECT_EQ(str(i.service("d")["respawn"]), "on-failure");
  EXPECT_FALSE(i.service("e")["respawn"]);
  EXPECT_TRUE(
      contains(table_text(i, "e"), "# not carried over: autorestart = sometimes (not true, false or unexpected)"))
      << i.text();
  EXPECT_EQ(str(i.service("f")["respawn"]), "always");
}

TEST(import_file, stop_signals_and_kill_modes) {
  auto i = import_ok(
      "[program:a]\ncommand=a\nstopsignal=int\nstopasgroup=true\n"
      "[program:b]\ncommand=b\nstopsignal=SIGUSR2\nkillasgroup=true\n"
      "[program:c]\ncommand=c\nstopsignal=15\n"
      "[program:d]\ncommand=d\nstopsignal=NOSUCH\nstopwaitsecs=soon\n");
  EXPECT_EQ(str(i.service("a")["stop_signal"]), "INT");
  EXPECT_EQ(str(i.service("a")["kill_mode"]), "group");
  EXPECT_EQ(str(i.service("b")["stop_signal"]), "USR2");
  EXPECT_EQ(str(i.service("b")["kill_mode"]), "mixed");
  EXPECT_EQ(str(i.service("c")["stop_signal"]), "TERM");
  EXPECT_FALSE(i.service("c")["kill_mode"]);
  EXPECT_FALSE(i.service("d")["stop_signal"]);
  EXPECT_FALSE(i.service("d")["stop_timeout"]);
  EXPECT_TRUE(contains(table_text(i, "d"), "# not carried over: stopsignal = NOSUCH (not a signal)"));
  EXPECT_TRUE(contains(table_text(i, "d"), "# not carried over: stopwaitsecs = soon (not a number of seconds)"));
}

TEST(import_file, settings_without_an_equivalent_become_comments_and_warnings) {
  auto i = import_ok(
      "[program:web]\n"
      "command=web\n"
      "startretries=5\n"
      "exitcodes=0,2\n"
      "autostart=false\n"
      "serverurl=AUTO\n"
      "stdout_events_enabled=true\n"
      "color=blue\n");
  std::string t = table_text(i, "web");
  EXPECT_TRUE(contains(t, "# not carried over: startretries = 5 (supervisord gives up after that many failed starts"))
      << t;
  EXPECT_TRUE(
      contains(t, "# not carried over: exitcodes = 0,2 (respawn = \"on-failure\" restarts after any exit but 0)"))
      << t;
  EXPECT_TRUE(contains(t, "# not carried over: autostart = false (daemonkit up starts every service in the file")) << t;
  EXPECT_TRUE(contains(t, "# not carried over: serverurl = AUTO (daemonkit has no control server)")) << t;
  EXPECT_TRUE(contains(t, "# not carried over: stdout_events_enabled = true (daemonkit has no event notifications)"))
      << t;
  EXPECT_TRUE(contains(t, "# not carried over: color = blue (not a supervisord program setting)")) << t;
  // One warning each, naming the file and the line.
  EXPECT_EQ(i.result.warnings.size(), 6U) << i.warnings();
  EXPECT_TRUE(contains(i.warnings(), std::string(conf_path) + ":3: web: not carried over: startretries = 5"))
      << i.warnings();
  EXPECT_TRUE(contains(i.warnings(), std::string(conf_path) + ":8: web: not carried over: color = blue"))
      << i.warnings();
  // The service itself carries over, valid.
  EXPECT_EQ(strings(i.service("web")["command"]), std::vector<std::string>{"web"});
}

// ------------------------------------------------------------ supervisord: command

TEST(import_file, command_is_split_as_shlex_does) {
  auto i = import_ok(
      "[program:a]\n"
      "command=/bin/sh -c 'echo \"$HOME\" | tr a b' \"x\\\"y\" \"back\\slash\" plain\\ space '' end\n");
  EXPECT_EQ(strings(i.service("a")["command"]),
            (std::vector<std::string>{"/bin/sh", "-c", "echo \"$HOME\" | tr a b", "x\"y", "back\\slash", "plain space",
                                      "", "end"}));
}

TEST(import_file, a_command_that_cannot_be_split_is_left_out_with_its_reason) {
  auto i = import_ok(
      "[program:good]\ncommand=good\n"
      "[program:bad]\ncommand=bad 'unclosed\n"
      "[program:none]\nuser=nobody\n");
  EXPECT_EQ(service_names(i), std::vector<std::string>{"good"});
  EXPECT_TRUE(contains(i.text(),
                       "# not carried over: [program:bad] (its command cannot be split into words: No closing "
                       "quotation)"))
      << i.text();
  EXPECT_TRUE(contains(i.text(), "# not carried over: [program:none] (it has no command)")) << i.text();
  EXPECT_TRUE(contains(i.warnings(), std::string(conf_path) + ":4: not carried over: [program:bad]")) << i.warnings();
}

TEST(import_file, expansions_are_done_or_kept_with_a_note) {
  auto i = import_ok(
      "[program:api]\n"
      "command=%(here)s/bin/%(program_name)s --home %(ENV_HOME)s --x %(ENV_NOT_SET)s --pct 50%% --host "
      "%(host_node_name)s\n"
      "directory=%(here)s/../app\n",
      conf_path, context({{"HOME", "/root"}}));
  EXPECT_EQ(strings(i.service("api")["command"]),
            (std::vector<std::string>{"/etc/supervisor/conf.d/bin/api", "--home", "/root", "--x", "%(ENV_NOT_SET)s",
                                      "--pct", "50%", "--host", "%(host_node_name)s"}));
  EXPECT_EQ(str(i.service("api")["chdir"]), "/etc/supervisor/conf.d/../app");
  std::string t = table_text(i, "api");
  EXPECT_TRUE(contains(t, "# command: %(ENV_HOME)s became '/root', from daemonkit import's environment")) << t;
  EXPECT_TRUE(contains(t, "# command: %(ENV_NOT_SET)s is kept as written (NOT_SET is not set")) << t;
  EXPECT_TRUE(contains(t, "# command: %(host_node_name)s is kept as written")) << t;
  EXPECT_TRUE(contains(i.warnings(), "app.conf:2: api: command: %(ENV_HOME)s became '/root'")) << i.warnings();
}

TEST(import_file, group_name_and_numprocs_expand) {
  auto i = import_ok(
      "[group:site]\nprograms=web,worker\npriority=5\n"
      "[program:web]\ncommand=web --group %(group_name)s --of %(numprocs)d --num %(process_num)03d\n"
      "[program:worker]\ncommand=worker %(group_name)s\n");
  EXPECT_EQ(strings(i.service("web")["command"]),
            (std::vector<std::string>{"web", "--group", "site", "--of", "1", "--num", "000"}));
  EXPECT_EQ(strings(i.service("worker")["command"]), (std::vector<std::string>{"worker", "site"}));
  EXPECT_TRUE(contains(i.text(),
                       "# [group:site] (line 1): daemonkit has no groups: its programs are services, ordered by the "
                       "group's priority first; `daemonkit up web worker` starts them"))
      << i.text();
}

// Runs sh -c command with DAEMONKIT_INSTANCE=instance and nothing else in
// its environment; returns its stdout.
std::string run_instance(const std::string& command, int instance) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    std::string env = "DAEMONKIT_INSTANCE=" + std::to_string(instance);
    char* envp[] = {env.data(), const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    ::execve("/bin/sh", const_cast<char**>(argv), envp);
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
  return out;
}

TEST(import_file, numprocs_become_instances_whose_command_computes_process_num) {
  auto i = import_ok(
      "[program:worker]\n"
      "command=printf '[%%s]' 'q %(process_num)s' --port=80%(process_num)02d %(program_name)s\n"
      "numprocs=3\n"
      "numprocs_start=5\n"
      "process_name=%(program_name)s_%(process_num)02d\n");
  auto w = i.service("worker");
  EXPECT_EQ(w["instances"].value<int64_t>(), 3);
  // A string: /bin/sh computes supervisord's process_num from the instance.
  std::string command = str(w["command"]);
  ASSERT_EQ(command.rfind("exec printf ", 0), 0U) << command;
  EXPECT_EQ(run_instance(command, 1), "[q 5][--port=8005][worker]");
  EXPECT_EQ(run_instance(command, 3), "[q 7][--port=8007][worker]");
  std::string t = table_text(i, "worker");
  EXPECT_TRUE(contains(t,
                       "# process_name = %(program_name)s_%(process_num)02d: daemonkit names the instances "
                       "worker@1 ... worker@3"))
      << t;

  // supervisord splits words after expanding: padding splits a word where
  // the number was not quoted, not where it was.
  auto p = import_ok(
      "[program:p]\ncommand=printf [%%s] a%(process_num)4d \"b%(process_num)-3d|\"\nnumprocs=2\n"
      "process_name=p%(process_num)d\n");
  EXPECT_EQ(run_instance(str(p.service("p")["command"]), 2), "[a][1][b1  |]");

  // From 0 (supervisord's default start): instance 1 is process 0.
  auto j = import_ok("[program:w]\ncommand=echo %(process_num)d\nnumprocs=2\nprocess_name=w%(process_num)d\n");
  EXPECT_EQ(run_instance(str(j.service("w")["command"]), 1), "0\n");
  EXPECT_EQ(run_instance(str(j.service("w")["command"]), 2), "1\n");
}

TEST(import_file, per_instance_settings_other_than_the_command_are_not_carried) {
  auto i = import_ok(
      "[program:w]\ncommand=w\nnumprocs=2\nprocess_name=w%(process_num)d\n"
      "stdout_logfile=/var/log/w-%(process_num)d.log\n"
      "environment=SLOT=%(process_num)d,MODE=fast\n");
  auto w = i.service("w");
  EXPECT_FALSE(w["log_file"]);
  EXPECT_EQ(keys_of(w["env"]), std::vector<std::string>{"MODE"});
  std::string t = table_text(i, "w");
  EXPECT_TRUE(contains(t,
                       "# not carried over: stdout_logfile = /var/log/w-%(process_num)d.log (it differs per "
                       "instance"))
      << t;
  EXPECT_TRUE(contains(t, "# not carried over: environment SLOT=")) << t;
}

TEST(import_file, numprocs_zero_starts_nothing) {
  auto i = import_ok("[program:a]\ncommand=a\n[program:b]\ncommand=b\nnumprocs=0\n");
  EXPECT_EQ(service_names(i), std::vector<std::string>{"a"});
  EXPECT_TRUE(contains(i.text(), "# not carried over: [program:b] (numprocs = 0")) << i.text();
}

// ------------------------------------------------------------ supervisord: environment

TEST(import_file, environment_is_read_as_supervisord_reads_it) {
  auto i = import_ok(
      "[program:a]\ncommand=a\n"
      "environment=LIST=\"a,b,c\",  PATH=\"/opt/bin:/usr/bin\", QUOTED='it is',EMPTY=\"\",URL=http://x:1/y\n");
  auto env = i.service("a")["env"];
  EXPECT_EQ(str(env["LIST"]), "a,b,c");
  EXPECT_EQ(str(env["PATH"]), "/opt/bin:/usr/bin");
  EXPECT_EQ(str(env["QUOTED"]), "it is");
  EXPECT_EQ(str(env["EMPTY"]), "");
  EXPECT_EQ(str(env["URL"]), "http://x:1/y");
  EXPECT_EQ(keys_of(env), (std::vector<std::string>{"EMPTY", "LIST", "PATH", "QUOTED", "URL"}));

  // As in supervisord: '#' starts a comment, the token after a pair is
  // skipped whatever it is.
  auto k = import_ok(
      "[program:a]\ncommand=a\nenvironment=A=abc#def,B=1\n[program:b]\ncommand=b\n"
      "environment=A=1 B\n");
  EXPECT_EQ(keys_of(k.service("a")["env"]), std::vector<std::string>{"A"});
  EXPECT_EQ(str(k.service("a")["env"]["A"]), "abc");
  EXPECT_EQ(keys_of(k.service("b")["env"]), std::vector<std::string>{"A"});

  // What supervisord refuses is not carried, and said; a quote inside a
  // word is part of it, so the next word is no pair.
  auto j = import_ok(
      "[program:a]\ncommand=a\nenvironment=A=1,B\n[program:b]\ncommand=b\n"
      "environment=A=a\"b c\",B=2\n");
  EXPECT_FALSE(j.service("a")["env"]);
  EXPECT_FALSE(j.service("b")["env"]);
  EXPECT_TRUE(contains(j.text(),
                       "# not carried over: environment = A=1,B (not KEY=VALUE pairs as supervisord reads "
                       "them"))
      << j.text();
}

TEST(import_file, supervisord_environment_becomes_the_defaults) {
  auto i = import_ok(
      "[supervisord]\nlogfile=/var/log/supervisord.log\nenvironment=TZ=UTC,LANG=\"C.UTF-8\"\nnodaemon=true\n"
      "[program:a]\ncommand=a\nenvironment=TZ=\"Europe/Paris\"\n");
  EXPECT_EQ(str(std::as_const(i.table)["defaults"]["env"]["TZ"]), "UTC");
  EXPECT_EQ(str(std::as_const(i.table)["defaults"]["env"]["LANG"]), "C.UTF-8");
  EXPECT_EQ(str(i.service("a")["env"]["TZ"]), "Europe/Paris");
  EXPECT_TRUE(contains(i.text(),
                       "# not carried over: [supervisord] logfile, nodaemon (supervisord's own settings: "
                       "daemonkit has no central daemon)"))
      << i.text();
}

// ------------------------------------------------------------ supervisord: logs

TEST(import_file, logs_map_to_log_file_or_stdout_and_stderr) {
  auto i = import_ok(
      "[program:one]\ncommand=one\nstdout_logfile=/var/log/one.log\n"
      "[program:same]\ncommand=same\nstdout_logfile=/var/log/same.log\nstderr_logfile=/var/log/same.log\n"
      "[program:two]\ncommand=two\nstdout_logfile=/var/log/two.out\nstderr_logfile=/var/log/two.err\n"
      "[program:err]\ncommand=err\nstderr_logfile=/var/log/err.log\n"
      "[program:redir]\ncommand=redir\nredirect_stderr=true\nstdout_logfile=/var/log/r.log\n"
      "stderr_logfile=/var/log/ignored.log\n");
  EXPECT_EQ(str(i.service("one")["log_file"]), "/var/log/one.log");
  EXPECT_EQ(str(i.service("same")["log_file"]), "/var/log/same.log");
  EXPECT_FALSE(i.service("same")["stdout"]);
  EXPECT_EQ(str(i.service("two")["stdout"]), "/var/log/two.out");
  EXPECT_EQ(str(i.service("two")["stderr"]), "/var/log/two.err");
  EXPECT_FALSE(i.service("two")["log_file"]);
  EXPECT_EQ(str(i.service("err")["stderr"]), "/var/log/err.log");
  EXPECT_EQ(str(i.service("redir")["log_file"]), "/var/log/r.log");
  EXPECT_TRUE(contains(table_text(i, "redir"),
                       "# not carried over: stderr_logfile = /var/log/ignored.log "
                       "(redirect_stderr = true sends stderr to stdout's log)"));
  // supervisord's default rotation comes along with a log file.
  EXPECT_EQ(str(i.service("one")["log_max_size"]), "50M");
  EXPECT_EQ(i.service("one")["log_keep"].value<int64_t>(), 10);
  EXPECT_EQ(daemonkit::parse_size(str(i.service("one")["log_max_size"])).value(), 50U * 1024 * 1024);
}

TEST(import_file, log_rotation_and_the_logs_daemonkit_cannot_write) {
  auto i = import_ok(
      "[program:rot]\ncommand=rot\nstdout_logfile=/l/rot.log\nstdout_logfile_maxbytes=1MB\n"
      "stdout_logfile_backups=3\n"
      "[program:norot]\ncommand=norot\nstdout_logfile=/l/n.log\nstdout_logfile_maxbytes=0\n"
      "[program:auto]\ncommand=auto\nstdout_logfile=AUTO\nstderr_logfile=NONE\n"
      "[program:sys]\ncommand=sys\nstdout_logfile=syslog\nstderr_syslog=true\n"
      "[program:docker]\ncommand=docker\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n"
      "[program:tiny]\ncommand=tiny\nstdout_logfile=/l/t.log\nstdout_logfile_maxbytes=100\n"
      "[program:rel]\ncommand=rel\nstdout_logfile=logs/rel.log\n");
  EXPECT_EQ(str(i.service("rot")["log_max_size"]), "1M");
  EXPECT_EQ(i.service("rot")["log_keep"].value<int64_t>(), 3);
  EXPECT_FALSE(i.service("norot")["log_max_size"]);
  EXPECT_FALSE(i.service("norot")["log_keep"]);
  for (const char* s : {"auto", "sys", "docker"}) {
    EXPECT_FALSE(i.service(s)["log_file"]) << s;
    EXPECT_FALSE(i.service(s)["stdout"]) << s;
    EXPECT_FALSE(i.service(s)["stderr"]) << s;
  }
  EXPECT_TRUE(contains(table_text(i, "auto"), "# not carried over: stdout_logfile = AUTO (daemonkit's default log"));
  EXPECT_TRUE(contains(table_text(i, "auto"), "# not carried over: stderr_logfile = NONE (daemonkit always keeps"));
  EXPECT_TRUE(contains(table_text(i, "sys"),
                       "# not carried over: stdout_logfile = syslog (daemonkit writes logs to "
                       "files)"));
  EXPECT_TRUE(contains(table_text(i, "sys"), "# not carried over: stderr_syslog = true"));
  EXPECT_TRUE(contains(table_text(i, "docker"),
                       "# not carried over: stdout_logfile = /dev/stdout (that is "
                       "supervisord's own output"));
  EXPECT_FALSE(i.service("tiny")["log_max_size"]);
  EXPECT_TRUE(contains(table_text(i, "tiny"),
                       "# not carried over: stdout_logfile_maxbytes = 100 (daemonkit rotates "
                       "at 1K at the least)"));
  EXPECT_EQ(str(i.service("rel")["log_file"]), "logs/rel.log");
  EXPECT_TRUE(contains(table_text(i, "rel"), "# stdout_logfile: a relative path"));
}

// ------------------------------------------------------------ supervisord: priority

TEST(import_file, priorities_become_started_dependencies_on_the_next_lower_level) {
  auto i = import_ok(
      "[program:db]\ncommand=db\npriority=10\n"
      "[program:cache]\ncommand=cache\npriority=10\n"
      "[program:web]\ncommand=web\npriority=20\n"
      "[program:worker]\ncommand=worker\npriority=30\n"
      "[program:misc]\ncommand=misc\n"
      "[program:manual]\ncommand=manual\npriority=25\nautostart=false\n");
  EXPECT_FALSE(i.service("db")["depends_on"]);
  EXPECT_FALSE(i.service("cache")["depends_on"]);
  EXPECT_EQ(keys_of(i.service("web")["depends_on"]), (std::vector<std::string>{"cache", "db"}));
  EXPECT_EQ(str(i.service("web")["depends_on"]["db"]), "started");
  // A program that does not start with the others is nobody's dependency.
  EXPECT_EQ(keys_of(i.service("worker")["depends_on"]), std::vector<std::string>{"web"});
  EXPECT_EQ(keys_of(i.service("manual")["depends_on"]), std::vector<std::string>{"web"});
  // Default priority 999: after everything else.
  EXPECT_EQ(keys_of(i.service("misc")["depends_on"]), std::vector<std::string>{"worker"});
  EXPECT_TRUE(contains(i.text(), "# priority became depends_on with the \"started\" condition")) << i.text();

  // One priority for all: no order at all.
  auto j = import_ok(
      "[program:a]\ncommand=a\npriority=5\n[program:b]\ncommand=b\npriority=5\n[program:c]\ncommand=c\n"
      "priority=5\n");
  for (const char* s : {"a", "b", "c"}) EXPECT_FALSE(j.service(s)["depends_on"]) << s;
  EXPECT_FALSE(contains(j.text(), "depends_on")) << j.text();
}

TEST(import_file, a_group_priority_orders_its_programs_first) {
  auto i = import_ok(
      "[group:late]\nprograms=x\npriority=900\n"
      "[program:x]\ncommand=x\npriority=1\n"
      "[program:y]\ncommand=y\npriority=500\n");
  EXPECT_EQ(keys_of(i.service("x")["depends_on"]), std::vector<std::string>{"y"});
  EXPECT_FALSE(i.service("y")["depends_on"]);
}

// ------------------------------------------------------------ names and escaping

TEST(import_file, names_become_daemonkit_names) {
  std::string long_name(70, 'n');
  auto i = import_ok(
      "[program:my app]\ncommand=a\n"
      "[program:my-app]\ncommand=b\n"
      "[program:web@2]\ncommand=c\n"
      "[program:.hidden]\ncommand=d\n"
      "[program:web.v2]\ncommand=e\n"
      "[program:caf\xc3\xa9]\ncommand=f\n"
      "[program:" +
      long_name + "]\ncommand=g\n");
  auto names = service_names(i);
  std::vector<std::string> expected = {"my-app", "my-app-2",          "web-2", "-hidden", "web.v2",
                                       "caf-",   std::string(64, 'n')};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
  for (const auto& n : names) {
    EXPECT_TRUE(daemonkit::valid_service_name(n)) << n;
    EXPECT_EQ(n.find('@'), std::string::npos) << n;
  }
  EXPECT_EQ(strings(i.service("my-app-2")["command"]), std::vector<std::string>{"b"});
  EXPECT_EQ(strings(i.service("web.v2")["command"]), std::vector<std::string>{"e"});
  EXPECT_TRUE(contains(i.text(), "[services.\"web.v2\"]")) << i.text();
  EXPECT_TRUE(contains(i.text(), "# renamed from 'my app': a daemonkit name is 1-64 of A-Za-z0-9._- (no '@')"));
  EXPECT_TRUE(contains(i.text(), "# named my-app-2: another service is named my-app"));
  EXPECT_TRUE(contains(i.warnings(), "[program:web@2] renamed from 'web@2'")) << i.warnings();
}

TEST(import_file, dependencies_use_the_new_names) {
  auto i = import_ok("[program:a.b c]\ncommand=a\npriority=1\n[program:d]\ncommand=d\npriority=2\n");
  EXPECT_EQ(keys_of(i.service("d")["depends_on"]), std::vector<std::string>{"a.b-c"});
}

TEST(import_file, strings_are_escaped_and_read_back_exactly) {
  // The command's single-quoted word holds what TOML must escape, or a
  // terminal would act on; a continuation line puts a newline into the
  // environment value.
  std::string hostile = "q\"uote back\\slash tab\tdel\x7f esc\x1b[31m rlo\xe2\x80\xae c1\xc2\x85 \"\"\"";
  auto i = import_ok("[program:x]\ncommand=x '" + hostile + "' \"'''\"\nenvironment=V=\"line1\n  line2\"\n");
  EXPECT_EQ(strings(i.service("x")["command"]), (std::vector<std::string>{"x", hostile, "'''"}));
  EXPECT_EQ(str(i.service("x")["env"]["V"]), "line1\nline2");
  // Nothing in the text a terminal would act on: TOML escapes for them.
  std::string t = i.text();
  for (char c : t) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int(c);
  EXPECT_EQ(t.find("\x7f"), std::string::npos);
  EXPECT_EQ(t.find("\xe2\x80\xae"), std::string::npos);
  EXPECT_EQ(t.find("\xc2\x85"), std::string::npos);
  EXPECT_TRUE(contains(t, "\\u001B[31m")) << t;
  EXPECT_TRUE(contains(t, "\\u202E")) << t;
  EXPECT_TRUE(contains(t, "\"line1\\nline2\"")) << t;
}

TEST(import_file, comments_hold_hostile_text_safely) {
  // An unknown key whose value would end the comment and start a table.
  auto i = import_ok(std::string("[program:x]\ncommand=x\nodd=v\x1b]52;c;AAAA\x07\x0d[services.evil]\n"),
                     "/tmp/odd\nname.conf");
  EXPECT_EQ(service_names(i), std::vector<std::string>{"x"});
  EXPECT_FALSE(i.table["services"]["evil"]);
  std::string t = i.text();
  for (char c : t) EXPECT_TRUE(c == '\n' || static_cast<unsigned char>(c) >= 0x20) << int(c);
  EXPECT_TRUE(contains(t, "supervisord config /tmp/odd\\nname.conf")) << t;
}

TEST(import_file, text_that_is_not_utf8_is_left_out) {
  auto i = import_ok(
      "[program:ok]\ncommand=ok\n[program:bin]\ncommand=/bin/\xff\xfe\n"
      "[program:env]\ncommand=env\nenvironment=A=\"\xff\",B=b\n");
  EXPECT_EQ(service_names(i), (std::vector<std::string>{"env", "ok"}));
  EXPECT_TRUE(contains(i.text(), "# not carried over: [program:bin] (its command is not UTF-8 text")) << i.text();
  EXPECT_EQ(keys_of(i.service("env")["env"]), std::vector<std::string>{"B"});
  EXPECT_TRUE(contains(i.text(), "# not carried over: environment A=\\xff (not a variable")) << i.text();
}

// ------------------------------------------------------------ supervisord: the file

TEST(import_file, configparser_details) {
  auto i = import_ok(
      "; a comment\n"
      "# another\n"
      "[DEFAULT]\n"
      "user = fallback\n"
      "[program:a]\n"
      "Command = /bin/prog --x=1;keep ;kept-by-configparser #gone\n"
      "    --continued#also-kept  # gone\n"
      "\n"
      "    --after-blank\n"
      "directory: /first\n"
      "directory = /second\n"
      "[program:b]\n"
      "command=b\n"
      "user=own\n"
      "[program:a]\n"
      "stopwaitsecs=7\n");
  EXPECT_EQ(strings(i.service("a")["command"]),
            (std::vector<std::string>{"/bin/prog", "--x=1;keep", ";kept-by-configparser", "--continued#also-kept",
                                      "--after-blank"}));
  EXPECT_EQ(str(i.service("a")["chdir"]), "/second");
  EXPECT_EQ(str(i.service("a")["user"]), "fallback");
  EXPECT_EQ(str(i.service("b")["user"]), "own");
  // A section given twice is one (strict=False), in its first place.
  EXPECT_EQ(str(i.service("a")["stop_timeout"]), "7s");
  EXPECT_LT(i.text().find("[services.a]"), i.text().find("[services.b]"));
}

TEST(import_file, other_sections_are_said_and_skipped) {
  auto i = import_ok(
      "[unix_http_server]\nfile=/run/supervisor.sock\n"
      "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = x\n"
      "[supervisorctl]\nserverurl=unix:///run/supervisor.sock\n"
      "[include]\nfiles = conf.d/*.conf\n"
      "[eventlistener:mon]\ncommand=mon\nevents=PROCESS_STATE\n"
      "[fcgi-program:php]\ncommand=php-cgi\nsocket=tcp://127.0.0.1:9000\n"
      "[mystery]\nx=1\n"
      "[program:a]\ncommand=a\n");
  EXPECT_EQ(service_names(i), std::vector<std::string>{"a"});
  std::string t = i.text();
  EXPECT_TRUE(contains(t, "# not carried over: [unix_http_server] (daemonkit has no control server")) << t;
  EXPECT_TRUE(contains(t, "# not carried over: [rpcinterface:supervisor] (daemonkit has no control server")) << t;
  EXPECT_TRUE(contains(t,
                       "# not carried over: [include] files = conf.d/*.conf (not read: import each of those files "
                       "too)"))
      << t;
  EXPECT_TRUE(contains(t,
                       "# not carried over: [eventlistener:mon] (an event listener speaks supervisord's event "
                       "protocol)"))
      << t;
  EXPECT_TRUE(contains(t, "# not carried over: [fcgi-program:php] (daemonkit opens no FastCGI socket")) << t;
  EXPECT_TRUE(contains(t, "# not carried over: [mystery] (not a supervisord section)")) << t;
  EXPECT_EQ(i.result.warnings.size(), 7U) << i.warnings();
}

// ------------------------------------------------------------ Procfile

TEST(import_file, procfile_processes_become_shell_commands) {
  auto i = import_ok(
      "# the app\n"
      "web: bundle exec puma -p $PORT -C config/puma.rb\r\n"
      "\n"
      "worker:   bundle exec sidekiq -q \"default\" 2>&1 | tee log\n"
      "release_task-1: ./bin/release\n"
      "web: duplicate\n",
      "/srv/app/Procfile", context({}, "/srv/app"));
  EXPECT_EQ(service_names(i), (std::vector<std::string>{"release_task-1", "web", "web-2", "worker"}));
  EXPECT_EQ(str(i.service("web")["command"]), "bundle exec puma -p $PORT -C config/puma.rb");
  EXPECT_EQ(str(i.service("worker")["command"]), "bundle exec sidekiq -q \"default\" 2>&1 | tee log");
  EXPECT_EQ(str(i.service("release_task-1")["command"]), "./bin/release");
  EXPECT_EQ(str(i.service("web-2")["command"]), "duplicate");
  EXPECT_EQ(str(std::as_const(i.table)["defaults"]["chdir"]), "/srv/app");
  std::string t = i.text();
  EXPECT_TRUE(contains(t, "# daemonkit.toml, imported by `daemonkit import` from the Procfile /srv/app/Procfile")) << t;
  EXPECT_TRUE(contains(t, "foreman and honcho set PORT")) << t;
  EXPECT_TRUE(contains(t, "daemonkit does not")) << t;
  EXPECT_TRUE(contains(i.warnings(), "/srv/app/Procfile:6: web: named web-2: another process is named web"))
      << i.warnings();
  // Order is the file's.
  EXPECT_LT(t.find("[services.web]"), t.find("[services.worker]"));
  EXPECT_LT(t.find("[services.worker]"), t.find("[services.release_task-1]"));
}

// ------------------------------------------------------------ errors

TEST(import_file, neither_format_is_an_error_naming_the_file) {
  EXPECT_EQ(import_error("", "Procfile"),
            "Procfile: not a supervisord config (no [program:NAME] section) nor a Procfile (no NAME: COMMAND line)");
  EXPECT_EQ(import_error("just some words\n", "notes.txt"),
            "notes.txt: not a supervisord config (no [program:NAME] section) nor a Procfile (no NAME: COMMAND line)");
  // docker-compose's YAML has a NAME: VALUE line, and many others.
  EXPECT_EQ(import_error("version: '3'\nservices:\n  web:\n    image: nginx\n", "compose.yml"),
            "compose.yml: not a supervisord config (no [program:NAME] section) nor a Procfile (line 2 is not NAME: "
            "COMMAND)");
  EXPECT_EQ(import_error("[server]\nport=1\n", "x.ini"),
            "x.ini: not a supervisord config (no [program:NAME] section) nor a Procfile (no NAME: COMMAND line)");
}

TEST(import_file, a_supervisord_config_without_programs_says_where_they_are) {
  EXPECT_EQ(import_error("[unix_http_server]\nfile=/run/s.sock\n[supervisord]\nlogfile=/x\n[include]\nfiles = "
                         "/etc/supervisor/conf.d/*.conf\n",
                         "/etc/supervisor/supervisord.conf"),
            "/etc/supervisor/supervisord.conf: a supervisord config without a [program:NAME] section (it includes "
            "/etc/supervisor/conf.d/*.conf: import those files)");
  EXPECT_EQ(import_error("[program:a]\nuser=x\n", "a.conf"),
            "a.conf: none of its programs can be carried over; [program:a] it has no command");
}

TEST(import_file, a_line_supervisord_refuses_is_an_error_with_its_line) {
  EXPECT_EQ(import_error("[program:a]\ncommand=a\nthis is no key\n", "a.conf"),
            "a.conf:3: not a KEY = VALUE line (supervisord refuses the file too)");
  EXPECT_EQ(import_error("command=a\n[program:a]\ncommand=a\n", "a.conf"),
            "a.conf:1: a line before the first [section] (supervisord refuses the file too)");
}

// ------------------------------------------------------------ cmd_import

struct captured {
  int code = -1;
  std::string out;
  std::vector<std::string> err;
};

captured run_cmd_import(const std::string& path) {
  captured c;
  complaints.clear();
  std::fflush(stdout);
  char name[] = "/tmp/dk-import-out-XXXXXX";
  int tmp = ::mkstemp(name);
  EXPECT_GE(tmp, 0);
  ::unlink(name);
  int saved = ::dup(1);
  ::dup2(tmp, 1);
  c.code = dk::cmd_import(path);
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  ::lseek(tmp, 0, SEEK_SET);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(tmp, buf, sizeof buf)) > 0) c.out.append(buf, static_cast<size_t>(n));
  ::close(tmp);
  c.err = complaints;
  return c;
}

void write_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

TEST(import_file, cmd_import_prints_the_toml_and_the_warnings) {
  dk_test::temp_dir dir;
  std::string conf = dir.path() + "/app.conf";
  write_file(conf, "[program:web]\ncommand=%(here)s/web\nstartretries=9\n");
  auto c = run_cmd_import(conf);
  EXPECT_EQ(c.code, 0);
  auto t = toml::parse(c.out);
  EXPECT_EQ(t["services"]["web"]["command"][0].value<std::string>(), dir.path() + "/web");
  ASSERT_EQ(c.err.size(), 1U);
  EXPECT_EQ(c.err[0].rfind("daemonkit: import: " + conf + ":3: web: not carried over: startretries = 9", 0), 0U)
      << c.err[0];

  // A symbolic link to the config is followed; %(here)s is the link's directory, as for supervisord.
  std::string link = dir.path() + "/linked.conf";
  ASSERT_EQ(::symlink(conf.c_str(), link.c_str()), 0);
  EXPECT_EQ(run_cmd_import(link).code, 0);
}

TEST(import_file, cmd_import_refuses_what_it_cannot_read) {
  dk_test::temp_dir dir;
  auto missing = run_cmd_import(dir.path() + "/nope");
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.out, "");
  ASSERT_EQ(missing.err.size(), 1U);
  EXPECT_EQ(missing.err[0], "daemonkit: import: cannot read " + dir.path() + "/nope: No such file or directory");

  auto directory = run_cmd_import(dir.path());
  EXPECT_EQ(directory.code, 1);
  ASSERT_EQ(directory.err.size(), 1U);
  EXPECT_EQ(directory.err[0], "daemonkit: import: cannot read " + dir.path() + ": it is a directory");

  // A FIFO nobody writes to: refused at once, not waited on.
  std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto f = run_cmd_import(fifo);
  EXPECT_EQ(f.code, 1);
  ASSERT_EQ(f.err.size(), 1U);
  EXPECT_EQ(f.err[0], "daemonkit: import: cannot read " + fifo + ": not a regular file");

  std::string big = dir.path() + "/big";
  write_file(big, "[program:a]\ncommand=a\n" + std::string(1 << 20, ';'));
  auto b = run_cmd_import(big);
  EXPECT_EQ(b.code, 1);
  EXPECT_EQ(b.out, "");
  ASSERT_EQ(b.err.size(), 1U);
  EXPECT_EQ(b.err[0], "daemonkit: import: cannot read " + big + ": larger than 1 MiB");

  std::string yaml = dir.path() + "/compose.yml";
  write_file(yaml, "name: x\nservices:\n  web:\n    image: nginx\n");
  auto y = run_cmd_import(yaml);
  EXPECT_EQ(y.code, 1);
  EXPECT_EQ(y.out, "");
  ASSERT_EQ(y.err.size(), 1U);
  EXPECT_EQ(y.err[0], "daemonkit: import: " + yaml +
                          ": not a supervisord config (no [program:NAME] section) nor a Procfile (line 2 is not NAME: "
                          "COMMAND)");
}

}  // namespace
