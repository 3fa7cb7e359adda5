// SPDX-License-Identifier: MIT
// NAME.json through the library's one codec: what is written reads back as
// the same service, files the tool wrote before keep reading, and a bad file
// is refused with the field it got wrong.
#include "daemonkit/service_codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <sys/stat.h>

#include "daemonkit/detail/file_io.hpp"
#include "test_support.hpp"

namespace {

using daemonkit::errc;
using daemonkit::read_service_config;
using daemonkit::service_config;
using daemonkit::service_config_from_json;
using daemonkit::service_config_to_json;
using daemonkit::write_service_config;
using dk_test::temp_dir;
using namespace std::chrono_literals;

service_config sample() {
  service_config c;
  c.name = "web";
  c.argv = {"/usr/bin/web", "--port", std::string("80\xff", 3)};
  c.env = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
  c.working_directory = "/srv/web";
  c.umask = 027;
  c.user = daemonkit::user_spec{"www-data", "adm"};
  c.rlimits = {daemonkit::parse_rlimit("nofile=1024:4096").value(), daemonkit::parse_rlimit("core=unlimited").value()};
  c.chroot = "/srv/jail";
  c.nice = 5;
  c.ready = daemonkit::ready_mode::fd;
  c.ready_fd = 7;
  c.ready_timeout = 3s;
  c.stop_signal = SIGINT;
  c.stop_timeout = 1500ms;
  c.kill = daemonkit::kill_mode::process;
  c.reload_signal = SIGUSR1;
  c.respawn.mode = daemonkit::respawn_mode::on_failure;
  c.respawn.max_delay = 20s;
  c.respawn.min_uptime = 2500ms;
  c.respawn.limit = 4;
  c.respawn.window = 90s;
  c.log_file = "/var/log/web.log";
  c.log_max_size = 1 << 20;
  c.log_keep = 3;
  c.timestamps = true;
  c.ready_check = daemonkit::parse_check("http://localhost:8080/health").value();
  c.health = daemonkit::parse_check("cmd:test -e /srv/\xff").value();
  c.health_interval = 2s;
  c.health_timeout = 700ms;
  c.health_retries = 5;
  c.check_config = "web -t /etc/\xfe";
  c.reload_timeout = 3s;
  c.runtime_dir = "web";
  c.source_file = "/srv/app/daemonkit.toml";
  c.source_settings = R"({"command":["web"],"env":{"PORT":"8080"}})";
  return c;
}

// The fields NAME.json stores (passthrough is not one: it is per invocation).
void expect_same(const service_config& a, const service_config& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.argv, b.argv);
  EXPECT_EQ(a.env, b.env);
  EXPECT_EQ(a.working_directory, b.working_directory);
  EXPECT_EQ(a.umask, b.umask);
  EXPECT_EQ(a.user, b.user);
  EXPECT_EQ(a.rlimits, b.rlimits);
  EXPECT_EQ(a.chroot, b.chroot);
  EXPECT_EQ(a.nice, b.nice);
  EXPECT_EQ(a.ready, b.ready);
  EXPECT_EQ(a.ready_fd, b.ready_fd);
  EXPECT_EQ(a.ready_timeout, b.ready_timeout);
  EXPECT_EQ(a.stop_signal, b.stop_signal);
  EXPECT_EQ(a.stop_timeout, b.stop_timeout);
  EXPECT_EQ(a.kill, b.kill);
  EXPECT_EQ(a.reload_signal, b.reload_signal);
  EXPECT_EQ(a.respawn.mode, b.respawn.mode);
  EXPECT_EQ(a.respawn.max_delay, b.respawn.max_delay);
  EXPECT_EQ(a.respawn.min_uptime, b.respawn.min_uptime);
  EXPECT_EQ(a.respawn.limit, b.respawn.limit);
  EXPECT_EQ(a.respawn.window, b.respawn.window);
  EXPECT_EQ(a.log_file, b.log_file);
  EXPECT_EQ(a.stdout_file, b.stdout_file);
  EXPECT_EQ(a.stderr_file, b.stderr_file);
  EXPECT_EQ(a.log_max_size, b.log_max_size);
  EXPECT_EQ(a.log_keep, b.log_keep);
  EXPECT_EQ(a.timestamps, b.timestamps);
  EXPECT_EQ(a.ready_check, b.ready_check);
  EXPECT_EQ(a.ready_pidfile, b.ready_pidfile);
  EXPECT_EQ(a.health, b.health);
  EXPECT_EQ(a.health_interval, b.health_interval);
  EXPECT_EQ(a.health_timeout, b.health_timeout);
  EXPECT_EQ(a.health_retries, b.health_retries);
  EXPECT_EQ(a.check_config, b.check_config);
  EXPECT_EQ(a.reload_timeout, b.reload_timeout);
  EXPECT_EQ(a.runtime_dir, b.runtime_dir);
  EXPECT_EQ(a.source_file, b.source_file);
  EXPECT_EQ(a.source_settings, b.source_settings);
}

TEST(service_codec, reads_back_what_it_writes) {
  const service_config c = sample();
  const std::string text = service_config_to_json(c);
  auto back = service_config_from_json(text);
  ASSERT_TRUE(back) << back.err().message();
  expect_same(*back, c);
  EXPECT_EQ(service_config_to_json(*back), text);
}

TEST(service_codec, stores_modes_by_name) {
  const std::string text = service_config_to_json(sample());
  EXPECT_NE(text.find("\"ready\": \"fd\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"kill_mode\": \"process\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"respawn\": \"on-failure\""), std::string::npos) << text;
}

TEST(service_codec, absent_fields_keep_the_defaults) {
  auto c = service_config_from_json(R"({"argv": ["/bin/true"]})");
  ASSERT_TRUE(c) << c.err().message();
  expect_same(*c, [] {
    service_config d;
    d.argv = {"/bin/true"};
    return d;
  }());
}

// NAME.json files written before --respawn-min-uptime existed have no
// respawn_min_uptime_ms: they restart as a new start would, after 1s up.
TEST(service_codec, respawn_min_uptime_is_stored_and_absent_means_1s) {
  EXPECT_NE(service_config_to_json(sample()).find("\"respawn_min_uptime_ms\": 2500"), std::string::npos);
  auto old = service_config_from_json(R"({"argv": ["/bin/true"], "respawn": "always", "respawn_max_delay_ms": 5000})");
  ASSERT_TRUE(old) << old.err().message();
  EXPECT_EQ(old->respawn.min_uptime, 1s);
  EXPECT_EQ(old->respawn.max_delay, 5s);
  auto zero = service_config_from_json(R"({"argv": ["/bin/true"], "respawn_min_uptime_ms": 0})");
  ASSERT_TRUE(zero) << zero.err().message();
  EXPECT_EQ(zero->respawn.min_uptime, 0ms);
  for (const char* bad : {"-1", "1.5", "\"1s\"", "9000000000000000001"}) {
    auto c = service_config_from_json(std::string(R"({"argv": ["x"], "respawn_min_uptime_ms": )") + bad + "}");
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.err().message().rfind("field 'respawn_min_uptime_ms': ", 0), 0U) << c.err().message();
  }
}

TEST(service_codec, names_the_bad_field) {
  auto check = [](const char* text, const std::string& why) {
    auto c = service_config_from_json(text);
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.err().code, errc::invalid_argument) << text;
    EXPECT_EQ(c.err().message(), why) << text;
  };
  check("[", "not valid JSON");
  check("[1]", "not a JSON object");
  check(R"({"argv": []})", "field 'argv': no command");
  check(R"({"argv": ["x"], "stop_signal": 4294967305})", "field 'stop_signal': out of range");
  check(R"({"argv": ["x"], "umask": 1e300})", "field 'umask': not an integer");
  check(R"({"argv": ["x"], "ready": "later"})", "field 'ready': unknown mode 'later'");
  check(R"({"argv": ["x"], "kill_mode": "all"})", "field 'kill_mode': unknown mode 'all'");
  check(R"({"argv": ["x"], "respawn": "true"})", "field 'respawn': unknown mode 'true'");
  check(R"({"argv": ["x"], "ready": "fd", "ready_fd": 2})", "field 'ready_fd': out of range");
}

// user and rlimits are typed in memory but stored as the text the tool has
// always written, so NAME.json files from before read back the same.
TEST(service_codec, stores_user_and_limits_as_text) {
  const std::string text = service_config_to_json(sample());
  EXPECT_NE(text.find("\"user\": \"www-data:adm\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"nofile=1024:4096\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"core=unlimited\""), std::string::npos) << text;

  service_config none;
  none.argv = {"x"};
  EXPECT_NE(service_config_to_json(none).find("\"user\": \"\""), std::string::npos);
  EXPECT_NE(service_config_to_json(none).find("\"rlimits\": []"), std::string::npos);
}

TEST(service_codec, reads_user_and_limits_written_before_they_were_typed) {
  auto c = service_config_from_json(
      R"({"argv": ["x"], "user": "1000", "rlimits": ["nofile=65536", "nproc=100:200", "core=infinity"]})");
  ASSERT_TRUE(c) << c.err().message();
  ASSERT_TRUE(c->user);
  EXPECT_EQ(c->user->user, "1000");
  EXPECT_EQ(c->user->group, "");
  ASSERT_EQ(c->rlimits.size(), 3U);
  EXPECT_EQ(c->rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(c->rlimits[0].value.rlim_cur, 65536U);
  EXPECT_EQ(c->rlimits[0].value.rlim_max, 65536U);
  EXPECT_EQ(c->rlimits[1].resource, RLIMIT_NPROC);
  EXPECT_EQ(c->rlimits[1].value.rlim_cur, 100U);
  EXPECT_EQ(c->rlimits[1].value.rlim_max, 200U);
  EXPECT_EQ(c->rlimits[2].value.rlim_cur, RLIM_INFINITY);

  auto none = service_config_from_json(R"({"argv": ["x"], "user": ""})");
  ASSERT_TRUE(none) << none.err().message();
  EXPECT_FALSE(none->user);
}

TEST(service_codec, refuses_a_bad_user_or_limit_when_read) {
  auto user = service_config_from_json(R"({"argv": ["x"], "user": "a:b:c"})");
  ASSERT_FALSE(user);
  EXPECT_EQ(user.err().code, errc::invalid_argument);
  EXPECT_EQ(user.err().message(), "field 'user': invalid user 'a:b:c' (expected USER or USER:GROUP)");
  auto limit = service_config_from_json(R"({"argv": ["x"], "rlimits": ["nofile=2:1"]})");
  ASSERT_FALSE(limit);
  EXPECT_EQ(limit.err().code, errc::invalid_argument);
  EXPECT_EQ(limit.err().message(),
            "field 'rlimits': invalid resource limit 'nofile=2:1' (expected NAME=VALUE[:HARD], e.g. nofile=65536)");
}

TEST(service_codec, one_name_per_mode_both_ways) {
  using daemonkit::kill_mode;
  using daemonkit::ready_mode;
  using daemonkit::respawn_mode;
  for (auto m : {ready_mode::exec, ready_mode::notify, ready_mode::fd}) {
    EXPECT_EQ(daemonkit::parse_ready_mode(daemonkit::to_string(m)), m);
  }
  for (auto m : {kill_mode::group, kill_mode::process}) {
    EXPECT_EQ(daemonkit::parse_kill_mode(daemonkit::to_string(m)), m);
  }
  for (auto m : {respawn_mode::never, respawn_mode::always, respawn_mode::on_failure}) {
    EXPECT_EQ(daemonkit::parse_respawn_mode(daemonkit::to_string(m)), m);
  }
  EXPECT_EQ(daemonkit::to_string(respawn_mode::on_failure), "on-failure");
  EXPECT_EQ(daemonkit::to_string(ready_mode::fd), "fd");
  for (std::string_view bad : {"", "Exec", "fd:3", "on_failure", "true", "group "}) {
    EXPECT_FALSE(daemonkit::parse_ready_mode(bad)) << bad;
    EXPECT_FALSE(daemonkit::parse_kill_mode(bad)) << bad;
    EXPECT_FALSE(daemonkit::parse_respawn_mode(bad)) << bad;
  }
}

TEST(service_codec, files_are_written_and_read_by_path) {
  temp_dir tmp;
  const std::string path = tmp.file("web.json");
  ASSERT_TRUE(write_service_config(path, sample()));
  auto back = read_service_config(path);
  ASSERT_TRUE(back) << back.err().message();
  expect_same(*back, sample());
}

// The same options again (a restart) leave the file alone; other options
// replace it.
TEST(service_codec, the_same_options_again_leave_the_file_alone) {
  temp_dir tmp;
  const std::string path = tmp.file("web.json");
  ASSERT_TRUE(write_service_config(path, sample()));
  struct stat first {};
  ASSERT_EQ(::stat(path.c_str(), &first), 0);
  ASSERT_TRUE(write_service_config(path, sample()));
  struct stat again {};
  ASSERT_EQ(::stat(path.c_str(), &again), 0);
  EXPECT_EQ(again.st_ino, first.st_ino) << "rewritten although nothing changed";
  auto other = sample();
  other.nice = 7;
  ASSERT_TRUE(write_service_config(path, other));
  struct stat changed {};
  ASSERT_EQ(::stat(path.c_str(), &changed), 0);
  EXPECT_NE(changed.st_ino, first.st_ino);
  auto back = read_service_config(path);
  ASSERT_TRUE(back) << back.err().message();
  EXPECT_EQ(back->nice, 7);
}

TEST(service_codec, a_missing_file_is_no_such_service) {
  temp_dir tmp;
  const std::string path = tmp.file("ghost.json");
  auto c = read_service_config(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().code, errc::not_running);
  EXPECT_EQ(c.err().message(), "no such service (no " + path + ")");
}

TEST(service_codec, a_bad_file_names_the_file_and_the_field) {
  temp_dir tmp;
  const std::string path = tmp.file("bad.json");
  ASSERT_TRUE(daemonkit::write_file_atomic(path, R"({"argv": ["x"], "nice": "high"})"));
  auto c = read_service_config(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().code, errc::invalid_argument);
  EXPECT_EQ(c.err().message(), "invalid " + path + ": field 'nice': not an integer");
}

}  // namespace

// A service started on its own has no source keys at all: its NAME.json reads
// as older versions wrote it.
TEST(service_codec, a_service_not_from_a_file_stores_no_source) {
  service_config c;
  c.name = "web";
  c.argv = {"web"};
  const std::string text = service_config_to_json(c);
  EXPECT_EQ(text.find("source_"), std::string::npos);
  auto back = service_config_from_json(text);
  ASSERT_TRUE(back) << back.err().message();
  EXPECT_TRUE(back->source_file.empty());
  EXPECT_TRUE(back->source_settings.empty());
}
