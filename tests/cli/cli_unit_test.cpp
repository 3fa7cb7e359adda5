// SPDX-License-Identifier: MIT
// `daemonkit unit` end to end: for a table of option sets, the unit the tool
// prints is read by systemd itself — `systemd-analyze verify` and the
// manager's own loader (`systemd --test`, which runs here without systemd
// as PID 1 and prints every setting as it parsed it) — with no warning, and
// a unit that runs `daemonkit run` gives back, from its ExecStart, the same
// unit. Also: stored services, hostile values, --install, usage errors.
//
// systemd-analyze and /lib/systemd/systemd come with Debian's systemd
// package (scripts/install-deps.sh); without them these tests skip, except
// under CI, where they fail.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;

const char* const analyze = "/usr/bin/systemd-analyze";
const char* const manager = "/lib/systemd/systemd";

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string_view(ci) != "false" && std::string_view(ci) != "0";
}

// systemd's reading of one command-line word list (systemd.syntax(7)):
// whitespace-separated, double quotes, C escapes; then %% and $$ as one.
std::vector<std::string> systemd_words(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    std::string w;
    bool quoted = false;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (!quoted && c == ' ') break;
      if (c == '"') {
        quoted = !quoted;
        continue;
      }
      if (c == '\\' && i + 1 < line.size()) {
        char e = line[++i];
        switch (e) {
          case 'n': w += '\n'; break;
          case 't': w += '\t'; break;
          case 'r': w += '\r'; break;
          case 'x':
            w += static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16));
            i += 2;
            break;
          default: w += e;
        }
        continue;
      }
      w += c;
    }
    std::string unescaped;
    for (size_t k = 0; k < w.size(); ++k) {
      unescaped += w[k];
      if ((w[k] == '%' || w[k] == '$') && k + 1 < w.size() && w[k + 1] == w[k]) ++k;
    }
    out.push_back(unescaped);
  }
  return out;
}

// The value of the first line "KEY=..." of a unit, or nullopt.
std::optional<std::string> directive(const std::string& unit, const std::string& key) {
  for (const auto& l : split_lines(unit)) {
    if (l.rfind(key + "=", 0) == 0) return l.substr(key.size() + 1);
  }
  return std::nullopt;
}

class cli_unit : public cli_fixture {
 protected:
  void SetUp() override {
    cli_fixture::SetUp();
    for (const char* p : {analyze, manager}) {
      if (!exists(p)) {
        if (in_ci()) FAIL() << p << " is missing under CI (scripts/install-deps.sh installs systemd)";
        GTEST_SKIP() << p << " is not installed (apt-get install systemd)";
      }
    }
    env_file = tmp.file("app.env");
    write_file(env_file, "# the service's settings\nLEVEL=debug\nGREETING=\"hello world\"\n");
  }

  struct systemd_reading {
    command_result verify;
    std::string loaded;    // the manager's dump of the unit's settings
    std::string problems;  // what the manager said about the unit
  };

  // Writes text as x.service into a directory of its own and has systemd read it.
  systemd_reading read_by_systemd(const std::string& text, const std::string& unit = "x.service") {
    temp_dir dir;
    std::string file = dir.file(unit);
    write_file(file, text);
    ::chmod(dir.path().c_str(), 0755);
    ::chmod(file.c_str(), 0644);
    systemd_reading r;
    r.verify = run_command({analyze, "verify", "--man=no", file});
    // The manager's test mode refuses to run as root: as daemon then.
    std::vector<std::string> argv;
    if (::geteuid() == 0) argv = {"/usr/bin/setpriv", "--reuid=daemon", "--regid=daemon", "--clear-groups"};
    argv.insert(argv.end(), {"/usr/bin/env", "SYSTEMD_LOG_TARGET=console", "SYSTEMD_UNIT_PATH=" + dir.path() + ":",
                             manager, "--test", "--system", "--unit=" + unit, "--no-pager"});
    auto dump = run_command(argv);
    EXPECT_EQ(dump.exit_code(), 0) << describe(dump);
    // The dump (stdout) and the log (stderr) read apart: the dump lists its
    // units in hash order, and when ours came last, a log read after it as
    // one text was taken for more of our unit's dump (1 run in ~40).
    for (const auto* said : {&dump.out, &dump.err}) {
      bool in_unit = false;
      for (const auto& l : split_lines(*said)) {
        if (l.rfind("\t-> Unit ", 0) == 0) in_unit = l == "\t-> Unit " + unit + ":";
        if (in_unit) r.loaded += l + "\n";
        else if (contains(l, dir.path()) || l.rfind(unit + ":", 0) == 0) r.problems += l + "\n";
      }
    }
    return r;
  }

  // `daemonkit unit OPTIONS -- COMMAND`, which must succeed; the unit.
  std::string unit_for(const std::vector<std::string>& options, const std::vector<std::string>& command) {
    std::vector<std::string> args{"unit"};
    args.insert(args.end(), options.begin(), options.end());
    args.emplace_back("--");
    args.insert(args.end(), command.begin(), command.end());
    auto r = dk(args);
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    EXPECT_EQ(r.err, "") << describe(r);
    return r.out;
  }

  // Checks the unit for OPTIONS the way systemd reads it.
  void expect_valid_unit(const std::vector<std::string>& options) {
    SCOPED_TRACE(::testing::PrintToString(options));
    const std::vector<std::string> command{"/bin/sleep", "1000"};
    std::string unit = unit_for(options, command);
    ASSERT_FALSE(unit.empty());
    auto r = read_by_systemd(unit);
    EXPECT_EQ(r.verify.exit_code(), 0) << describe(r.verify) << unit;
    EXPECT_EQ(r.verify.out + r.verify.err, "") << "systemd-analyze verify warned:\n" << describe(r.verify) << unit;
    EXPECT_EQ(r.problems, "") << "systemd's loader complained:\n" << r.problems << unit;
    EXPECT_NE(r.loaded.find("\t\tUnit Load State: loaded\n"), std::string::npos) << r.loaded;

    auto exec = directive(unit, "ExecStart");
    ASSERT_TRUE(exec) << unit;
    auto words = systemd_words(*exec);
    if (words.size() > 1 && words[1] == "run") {
      // daemonkit run with the same options gives back the same unit.
      EXPECT_EQ(words[0], tool_path);
      auto dash = std::find(words.begin(), words.end(), "--");
      ASSERT_NE(dash, words.end()) << *exec;
      std::vector<std::string> again(words.begin() + 2, dash);
      EXPECT_EQ(std::vector<std::string>(dash + 1, words.end()), command);
      if (std::find(options.begin(), options.end(), "--user-unit") != options.end()) again.emplace_back("--user-unit");
      EXPECT_EQ(unit_for(again, command), unit) << "run's options do not give back the same unit";
    } else {
      EXPECT_EQ(words, command) << "the service's own command line, as systemd runs it";
    }
  }

  std::string env_file;
};

// The checks above catch what they are for: a unit with a setting systemd
// ignores, and one its loader rejects (verify alone lets that one pass).
TEST_F(cli_unit, the_systemd_checks_see_bad_units) {
  auto r = read_by_systemd("[Service]\nExecStart=/bin/sleep 1\nNoSuchSetting=1\n");
  EXPECT_TRUE(contains(r.verify.out + r.verify.err, "NoSuchSetting")) << describe(r.verify);
  r = read_by_systemd("[Service]\nExecStart=/bin/sleep 1\nWorkingDirectory=/tmp/../tmp\n");
  EXPECT_TRUE(contains(r.problems, "WorkingDirectory=")) << r.problems;
  EXPECT_TRUE(contains(r.problems, "x.service: Unit configuration has fatal error")) << r.problems;
}

TEST_F(cli_unit, every_option_gives_a_unit_systemd_reads_without_a_warning) {
  const bool root = ::geteuid() == 0;
  std::vector<std::vector<std::string>> table = {
      {},
      {"--name", "web"},
      {"--kill-mode", "group"},
      {"--kill-mode", "process"},
      {"--kill-mode", "mixed"},
      {"--respawn"},
      {"--respawn", "on-failure"},
      {"--respawn", "always", "--respawn-limit", "5", "--respawn-window", "30s"},
      {"--respawn", "on-failure", "--respawn-min-uptime", "5s", "--respawn-max-delay", "1m"},
      {"--env", "A=1", "--env", "B=two words", "--env", "C=100% $HOME \"q\" \\ x\ny"},
      {"--env-file", env_file},
      {"--env-file", env_file, "--env", "LEVEL=info"},  // --env over a file: daemonkit run
      {"--clear-env", "--env", "PATH=/usr/bin:/bin"},
      {"--rlimit", "nofile=1024:4096", "--rlimit", "core=unlimited", "--rlimit", "cpu=60", "--rlimit", "nice=10"},
      {"--umask", "077"},
      {"--nice", "5"},
      {"--nice", "-5"},
      {"--chdir", "/tmp"},
      {"--reload-signal", "USR1"},
      {"--reload-signal", "none"},
      {"--reload-signal", "RTMIN+2"},
      {"--check-config", "test -r /etc/hostname"},
      {"--stop-signal", "QUIT", "--stop-timeout", "30s"},
      {"--stop-signal", "INT", "--stop-timeout", "0"},
      {"--log-file", "/var/log/x.log"},
      {"--stdout", "/var/log/x.out"},
      {"--stdout", "/var/log/x.out", "--stderr", "/var/log/x.err"},
      {"--log-file", "/var/log/x.log", "--log-max-size", "10M", "--log-keep", "3"},
      {"--log-file", "/var/log/x.log", "--timestamps"},
      {"--health", "tcp:8080"},
      {"--health", "cmd:true", "--health-interval", "30s", "--health-retries", "5", "--respawn"},
      {"--runtime-dir", "x"},
      {"--user-unit"},
      {"--user-unit", "--ready", "tcp:8080", "--respawn"},
      // Several together, as real services have them.
      {"--ready", "notify", "--kill-mode", "mixed", "--stop-signal", "INT", "--respawn", "--respawn-limit", "3",
       "--check-config", "true", "--log-file", "/var/log/db.log", "--rlimit", "nofile=65536", "--env", "TZ=UTC"},
      {"--ready", "pidfile:/run/x.pid", "--kill-mode", "mixed", "--stop-signal", "QUIT", "--check-config",
       "test -r /etc/hostname", "--stop-timeout", "5s"},
      {"--ready", "tcp:127.0.0.1:8080", "--health", "http://127.0.0.1:8080/", "--env-file", env_file, "--log-file",
       "/var/log/x.log", "--log-max-size", "1M", "--runtime-dir", "x", "--respawn", "on-failure"},
      {"--ready", "fd:3", "--kill-mode", "process", "--reload-signal", "none", "--chdir", "/tmp", "--umask", "027"},
  };
  if (root) {
    table.push_back({"--user", "daemon"});
    table.push_back({"--user", "daemon:daemon", "--ready", "notify", "--runtime-dir", "x", "--nice", "3"});
    table.push_back({"--user", "daemon", "--ready", "cmd:test -e /run/x.ready", "--env", "A=1"});
  }
  // Each readiness mode with each kill mode, and a respawn mode in turn.
  const std::vector<std::string> ready = {"exec",
                                          "notify",
                                          "fd:3",
                                          "pidfile:/run/x.pid",
                                          "tcp:8080",
                                          "http://127.0.0.1:8080/health",
                                          "cmd:test -e /run/x.ready"};
  const std::vector<std::string> kill = {"group", "process", "mixed"};
  const std::vector<std::vector<std::string>> respawn = {{}, {"--respawn", "always"}, {"--respawn", "on-failure"}};
  for (size_t r = 0; r < ready.size(); ++r) {
    for (size_t k = 0; k < kill.size(); ++k) {
      std::vector<std::string> row{"--ready", ready[r], "--kill-mode", kill[k]};
      const auto& more = respawn[(r + k) % respawn.size()];
      row.insert(row.end(), more.begin(), more.end());
      table.push_back(row);
    }
  }
  for (const auto& row : table) expect_valid_unit(row);
}

// A unit that runs `daemonkit run` does what systemd expects of Type=notify:
// its ExecStart, as systemd splits it, runs the service and sends READY=1
// with the main pid (its own) to the NOTIFY_SOCKET systemd gives it.
TEST_F(cli_unit, a_run_unit_tells_systemd_when_the_service_is_ready) {
  std::string marker = tmp.file("up");
  std::string unit =
      unit_for({"--name", "notified", "--ready", "cmd:test -e '" + marker + "'"}, {test_child_path, "pause"});
  auto exec = directive(unit, "ExecStart");
  ASSERT_TRUE(exec) << unit;
  auto argv = systemd_words(*exec);
  ASSERT_GE(argv.size(), 2u);
  ASSERT_EQ(argv[1], "run") << unit;

  fd_guard sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(sock.valid());
  std::string name = "dk-unit-test-" + std::to_string(::getpid());
  struct sockaddr_un sa {};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path + 1, name.data(), name.size());
  auto len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(::bind(sock.get(), reinterpret_cast<struct sockaddr*>(&sa), len), 0);
  command_options o;
  o.unset_env.clear();
  o.set_env.push_back("NOTIFY_SOCKET=@" + name);
  auto run = spawn_command(argv, env(o));
  // Not ready before the check passes.
  EXPECT_FALSE(fd_ready(sock.get(), 300ms)) << "READY=1 before the readiness check passed";
  write_file(marker, "");
  ASSERT_TRUE(fd_ready(sock.get(), 10s)) << "no READY=1 on the notify socket";
  char buf[512];
  ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  std::string msg(buf, static_cast<size_t>(n));
  EXPECT_TRUE(contains(msg, "READY=1")) << msg;
  EXPECT_TRUE(contains(msg, "MAINPID=" + std::to_string(run.pid))) << msg;
  // systemd's stop: KillSignal= to the main process.
  auto kill_signal = directive(unit, "KillSignal");
  ASSERT_EQ(kill_signal, "SIGTERM");
  ASSERT_EQ(send_signal_pidfd(run.pidfd.get(), SIGTERM), 0);
  auto r = finish(run, 20s);
  EXPECT_EQ(r.exit_code(), 143) << describe(r);
}

TEST_F(cli_unit, systemd_reads_hostile_values_back_exactly) {
  std::string unit =
      unit_for({"--name", "h", "--env", "EVIL=1\nExecStartPre=/bin/false", "--env", "P=100%n $HOME", "--chdir", "/tmp"},
               {"/bin/echo", "x\nExecStartPre=/bin/false", "%n", "$MAINPID", ";", "it's"});
  auto r = read_by_systemd(unit);
  EXPECT_EQ(r.problems, "") << r.problems << unit;
  EXPECT_NE(r.loaded.find("\t\tEnvironment: EVIL=1\nExecStartPre=/bin/false\n"), std::string::npos) << r.loaded;
  EXPECT_NE(r.loaded.find("\t\tEnvironment: P=100%n $HOME\n"), std::string::npos) << r.loaded;
  EXPECT_EQ(r.loaded.find("ExecStartPre:"), std::string::npos) << "a value became a directive:\n" << r.loaded;
  // One command of six words: the newline stayed inside its word.
  EXPECT_NE(r.loaded.find("\t\t\tCommand Line: /bin/echo \"x\\nExecStartPre=/bin/false\" "), std::string::npos)
      << r.loaded;
}

TEST_F(cli_unit, a_stored_service_gives_its_own_settings) {
  start_child(
      "stored", {"pause"},
      {"--respawn", "--kill-mode", "mixed", "--stop-signal", "INT", "--env", "MODE=test", "--rlimit", "nofile=2048"},
      [] {
        command_options o;
        o.set_env.push_back("PWD=/somewhere/else");
        return o;
      }());
  auto r = dk({"unit", "stored"});
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  EXPECT_EQ(r.err, "");
  const std::string& unit = r.out;
  EXPECT_EQ(directive(unit, "Restart"), "always") << unit;
  EXPECT_EQ(directive(unit, "KillMode"), "mixed") << unit;
  EXPECT_EQ(directive(unit, "KillSignal"), "SIGINT") << unit;
  EXPECT_EQ(directive(unit, "LimitNOFILE"), "2048") << unit;
  EXPECT_NE(unit.find("\nEnvironment=\"MODE=test\"\n"), std::string::npos) << unit;
  // What belonged to the shell that started it stays out.
  EXPECT_EQ(unit.find("\nEnvironment=\"PWD="), std::string::npos) << unit;
  // The log it had.
  EXPECT_EQ(directive(unit, "StandardOutput"), "append:" + logfile("stored")) << unit;
  auto exec = directive(unit, "ExecStart");
  ASSERT_TRUE(exec);
  EXPECT_EQ(systemd_words(*exec), (std::vector<std::string>{test_child_path, "pause"}));
  auto s = read_by_systemd(unit);
  EXPECT_EQ(s.verify.exit_code(), 0) << describe(s.verify);
  EXPECT_EQ(s.problems, "") << s.problems;

  auto none = dk({"unit", "nosuch"});
  EXPECT_EQ(none.exit_code(), 1) << describe(none);
  EXPECT_EQ(none.err, "daemonkit: nosuch: no such service\n");
}

TEST_F(cli_unit, usage_errors_name_the_option_and_print_nothing) {
  struct bad {
    std::vector<std::string> args;
    int code;
    std::string mention;
  };
  const std::vector<bad> cases = {
      {{"unit"}, 2, "NAME"},
      {{"unit", "--"}, 2, "COMMAND"},
      {{"unit", "web", "--respawn"}, 2, "--respawn"},
      {{"unit", "web", "--", "/bin/sleep", "1"}, 2, "'web'"},
      {{"unit", "--unit-name", "x", "--", "/bin/sleep", "1"}, 2, "--install"},
      {{"unit", "--ready", "bogus", "--", "/bin/sleep", "1"}, 2, "--ready"},
      {{"unit", "--env", "A B=1", "--", "/bin/sleep", "1"}, 2, "--env"},
      {{"unit", "--chdir", "/tmp/a\nExecStartPre=/bin/false", "--", "/bin/sleep", "1"}, 2, "--chdir"},
      {{"unit", "--log-file", "/var/log/../x.log", "--", "/bin/sleep", "1"}, 2, "--log-file"},
      {{"unit", "--install", "--unit-name", "a@.service", "--", "/bin/sleep", "1"}, 2, "--unit-name"},
      {{"unit", "--", "no-such-program-here"}, 1, "cannot find 'no-such-program-here' in PATH"},
      {{"unit", "--", "/nonexistent/prog"}, 1, "/nonexistent/prog"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.args));
    auto r = dk(c.args);
    EXPECT_EQ(r.exit_code(), c.code) << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("daemonkit: ", 0), 0u) << r.err;
    EXPECT_TRUE(contains(r.err, c.mention)) << r.err;
  }
  if (::geteuid() == 0) {
    auto r = dk({"unit", "--user-unit", "--user", "daemon", "--", "/bin/sleep", "1"});
    EXPECT_EQ(r.exit_code(), 2) << describe(r);
    EXPECT_TRUE(contains(r.err, "--user-unit")) << r.err;
  }
  EXPECT_FALSE(exists(state_dir)) << "a usage error created the state directory";
}

TEST_F(cli_unit, install_writes_atomically_and_never_over_another_file) {
  std::string dir = tmp.file("units");
  const std::vector<std::string> service{"--name", "web", "--", "/bin/sleep", "1000"};
  auto install = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"unit", "--install", "--unit-dir", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), service.begin(), service.end());
    return dk(args);
  };
  std::string printed = unit_for({"--name", "web"}, {"/bin/sleep", "1000"});
  const bool systemd_here = exists("/run/systemd/system");

  // The directory is made; the unit is the printed one, readable by all.
  auto r = install({});
  ASSERT_EQ(r.exit_code(), systemd_here ? r.exit_code() : 0) << describe(r);
  EXPECT_EQ(read_file(dir + "/web.service"), printed);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/web.service").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  if (!systemd_here) {
    EXPECT_EQ(r.out, "web: wrote " + dir +
                         "/web.service; systemd is not running here (no /run/systemd/system): it reads the unit when "
                         "it starts\n");
  }
  // Ours is replaced; nothing else is left in the directory.
  write_file(dir + "/web.service", "# Generated by daemonkit unit (an older one)\n");
  r = install({});
  EXPECT_EQ(read_file(dir + "/web.service"), printed) << describe(r);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);

  // Somebody else's web.service: the default name steps aside...
  write_file(dir + "/web.service", "[Service]\nExecStart=/bin/true\n");
  r = install({});
  EXPECT_EQ(r.exit_code(), systemd_here ? r.exit_code() : 0) << describe(r);
  EXPECT_EQ(read_file(dir + "/web.service"), "[Service]\nExecStart=/bin/true\n");
  EXPECT_EQ(read_file(dir + "/daemonkit-web.service"), printed);
  // ...and an explicit name does not write over it.
  r = install({"--unit-name", "web"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "not generated by daemonkit unit")) << r.err;
  EXPECT_EQ(read_file(dir + "/web.service"), "[Service]\nExecStart=/bin/true\n");

  // A symlink there is refused, and what it points to is untouched.
  std::string victim = tmp.file("victim");
  write_file(victim, "keep\n");
  ASSERT_EQ(::symlink(victim.c_str(), (dir + "/linked.service").c_str()), 0);
  r = install({"--unit-name", "linked.service"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "symbolic link")) << r.err;
  EXPECT_EQ(read_file(victim), "keep\n");

  // A directory others may write is no place for units.
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  r = install({"--unit-name", "other"});
  EXPECT_EQ(r.exit_code(), 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "writable by everyone")) << r.err;
  EXPECT_FALSE(exists(dir + "/other.service"));
}

// examples/deploy: what the docs show operators is what the tool makes, and
// what systemd, the tool and yamllint accept.
const std::string deploy_dir = std::string(DK_SOURCE_DIR) + "/examples/deploy";

// Why a program the examples need is missing, or nullopt.
std::optional<std::string> missing(const std::string& path, const std::string& how) {
  if (exists(path)) return std::nullopt;
  return path + " is not installed (" + how + ")";
}

TEST_F(cli_unit, the_nginx_example_is_what_the_tool_prints_and_systemd_accepts_it) {
  if (auto why = missing("/usr/sbin/nginx", "scripts/install-programs.sh")) {
    if (in_ci()) FAIL() << *why;
    GTEST_SKIP() << *why;
  }
  auto file = read_file(deploy_dir + "/daemonkit-nginx.service");
  ASSERT_TRUE(file);
  // The example's own comment (the command) comes before the generated text.
  auto at = file->find("# Generated by daemonkit unit");
  ASSERT_NE(at, std::string::npos);
  std::string unit = unit_for({"--name", "nginx", "--ready", "pidfile:/run/nginx.pid", "--check-config",
                               "/usr/sbin/nginx -t -q -g \"daemon on; master_process on;\"", "--kill-mode", "mixed",
                               "--stop-signal", "QUIT", "--stop-timeout", "5s"},
                              {"/usr/sbin/nginx", "-g", "daemon on; master_process on;"});
  EXPECT_EQ(file->substr(at), unit) << "examples/deploy/daemonkit-nginx.service is not what the tool prints now";
  auto r = read_by_systemd(*file, "daemonkit-nginx.service");
  EXPECT_EQ(r.verify.exit_code(), 0) << describe(r.verify);
  EXPECT_EQ(r.verify.out + r.verify.err, "") << describe(r.verify);
  EXPECT_EQ(r.problems, "") << r.problems;
}

TEST_F(cli_unit, the_docker_entrypoint_is_a_valid_daemonkit_run) {
  if (auto why = missing("/usr/sbin/nginx", "scripts/install-programs.sh")) {
    if (in_ci()) FAIL() << *why;
    GTEST_SKIP() << *why;
  }
  auto dockerfile = read_file(deploy_dir + "/Dockerfile");
  ASSERT_TRUE(dockerfile);
  std::vector<std::string> entry;
  for (const auto& l : split_lines(*dockerfile)) {
    if (l.rfind("ENTRYPOINT ", 0) == 0) entry = nlohmann::json::parse(l.substr(11)).get<std::vector<std::string>>();
  }
  ASSERT_GE(entry.size(), 3u) << "no ENTRYPOINT [...] line";
  EXPECT_EQ(entry[0], "/usr/local/bin/daemonkit");
  EXPECT_EQ(entry[1], "run");
  // The same options, through the same parser: `unit` takes what `run` takes.
  std::vector<std::string> args{"unit"};
  args.insert(args.end(), entry.begin() + 2, entry.end());
  auto r = dk(args);
  ASSERT_EQ(r.exit_code(), 0) << describe(r);
  auto s = read_by_systemd(r.out);
  EXPECT_EQ(s.verify.exit_code(), 0) << describe(s.verify);
  EXPECT_EQ(s.problems, "") << s.problems;
  // Both stages are Debian 12's.
  EXPECT_TRUE(contains(*dockerfile, "\nFROM debian:12 AS build\n")) << *dockerfile;
  EXPECT_TRUE(contains(*dockerfile, "\nFROM debian:12-slim\n")) << *dockerfile;
}

TEST_F(cli_unit, the_kubernetes_manifest_passes_yamllint) {
  if (auto why = missing("/usr/bin/yamllint", "scripts/install-deps.sh installs it")) {
    if (in_ci()) FAIL() << *why;
    GTEST_SKIP() << *why;
  }
  auto r = run_command({"/usr/bin/yamllint", "--strict", deploy_dir + "/pod.yaml"});
  EXPECT_EQ(r.exit_code(), 0) << describe(r);
  auto pod = read_file(deploy_dir + "/pod.yaml");
  ASSERT_TRUE(pod);
  EXPECT_TRUE(contains(*pod, "image: daemonkit-nginx:latest")) << "the image the Dockerfile's comment builds";
}

}  // namespace
