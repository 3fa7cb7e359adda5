// SPDX-License-Identifier: MIT
// NAME.state: bounded however big its inputs, read back exactly, and refused
// (never read with fields missing) when it is oversized or cut short.
#include "daemonkit/service_state.hpp"

#include <gtest/gtest.h>

#include <string>

#include "daemonkit/text_escape.hpp"
#include "test_support.hpp"

namespace {

using daemonkit::errc;
using daemonkit::format_service_state;
using daemonkit::max_state_file_size;
using daemonkit::parse_service_state;
using daemonkit::service_state;

const std::string ellipsis = "\xe2\x80\xa6";

service_state sample() {
  service_state s;
  s.name = "web";
  s.phase = daemonkit::service_phase::stopping;
  s.monitor_pid = 41;
  s.keeper_pid = 43;
  s.escalated = true;
  s.health = daemonkit::service_health::unhealthy;
  s.pid = 42;
  s.pid_start_ticks = 123456;
  s.started_at = 1700000000;
  s.monitor_started_at = 1699999999;
  s.restarts = 2;
  s.last_exit = "exited with status 1";
  s.last_exit_code = 1;
  s.status_text = "caf\xe9 \x1b]52;c;aGk=\x07\r\nline two\\";
  s.command = std::string("/srv/web --flag \xff\x01", 19) + std::string(1, '\0') + "x";
  s.remaining = 3;
  s.written_ticks = 987654;
  return s;
}

void expect_same(const service_state& a, const service_state& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_EQ(a.keeper_pid, b.keeper_pid);
  EXPECT_EQ(a.escalated, b.escalated);
  EXPECT_EQ(a.health, b.health);
  EXPECT_EQ(a.monitor_pid, b.monitor_pid);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.pid_start_ticks, b.pid_start_ticks);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.monitor_started_at, b.monitor_started_at);
  EXPECT_EQ(a.restarts, b.restarts);
  EXPECT_EQ(a.last_exit, b.last_exit);
  EXPECT_EQ(a.last_exit_code, b.last_exit_code);
  EXPECT_EQ(a.status_text, b.status_text);
  EXPECT_EQ(a.command, b.command);
  EXPECT_EQ(a.remaining, b.remaining);
  EXPECT_EQ(a.written_ticks, b.written_ticks);
}

TEST(service_state, any_bytes_round_trip) {
  const service_state s = sample();
  auto back = parse_service_state(format_service_state(s));
  ASSERT_TRUE(back) << back.err().message();
  expect_same(*back, s);
}

TEST(service_state, huge_fields_are_cut_on_a_character_boundary_with_a_mark) {
  service_state s = sample();
  s.status_text = std::string(1023, 'x') + "\xc3\xa9";  // 1025 bytes: the é does not fit
  s.command.clear();
  for (int i = 0; i < 200000; ++i) s.command += "\xe2\x82\xac";  // 600 KB of €
  s.last_exit = std::string(100000, '\\');
  s.name = std::string(100000, '\n');
  const std::string text = format_service_state(s);
  EXPECT_LE(text.size(), max_state_file_size);
  auto back = parse_service_state(text);
  ASSERT_TRUE(back) << back.err().message();
  EXPECT_LE(back->status_text.size(), daemonkit::max_status_text_size);
  EXPECT_EQ(back->status_text, std::string(1021, 'x') + ellipsis);
  EXPECT_TRUE(daemonkit::is_valid_utf8(back->command));
  EXPECT_EQ(back->command.substr(back->command.size() - 6), "\xe2\x82\xac" + ellipsis);
  EXPECT_EQ(back->last_exit.substr(back->last_exit.size() - 3), ellipsis);
  EXPECT_EQ(back->remaining, 3U);
  // What was read back is what bounding gives, and bounding again changes
  // nothing.
  expect_same(*back, daemonkit::bound_service_state(s));
  EXPECT_EQ(format_service_state(*back), text);
}

TEST(service_state, a_state_within_the_limits_is_not_changed_by_bounding) {
  service_state s = sample();
  s.status_text = std::string(daemonkit::max_status_text_size, 'y');
  expect_same(daemonkit::bound_service_state(s), s);
}

TEST(service_state, the_format_version_comes_first_and_every_key_is_written) {
  const std::string text = format_service_state(sample());
  EXPECT_EQ(text.rfind("format=2\n", 0), 0U);
  EXPECT_NE(text.find("\nremaining=3\n"), std::string::npos);
}

TEST(service_state, a_file_cut_short_anywhere_is_an_error) {
  const std::string text = format_service_state(sample());
  for (size_t n = 1; n < text.size(); ++n) {
    auto s = parse_service_state(text.substr(0, n));
    EXPECT_FALSE(s) << "read " << n << " of " << text.size() << " bytes as complete";
    if (!s) {
      EXPECT_EQ(s.err().code, make_error_code(errc::invalid_argument));
    }
  }
}

TEST(service_state, an_oversized_file_is_an_error) {
  std::string text = format_service_state(sample());
  text += "x_future_key=" + std::string(max_state_file_size, 'p') + "\n";
  auto s = parse_service_state(text);
  ASSERT_FALSE(s);
  EXPECT_NE(s.err().message().find("too large"), std::string::npos) << s.err().message();
}

TEST(service_state, a_file_from_before_format_2_still_reads) {
  auto s = parse_service_state(
      "name=web\nstate=running\nmonitor_pid=41\npid=42\npid_start_ticks=7\nstarted_at=1\nmonitor_started_at=1\n"
      "restarts=0\nlast_exit=\nlast_exit_code=-1\nstatus_text=ok\ncommand=/srv/web\n");
  ASSERT_TRUE(s) << s.err().message();
  EXPECT_EQ(s->phase, daemonkit::service_phase::running);
  EXPECT_EQ(s->status_text, "ok");
  EXPECT_EQ(s->remaining, 0U);
}

TEST(service_state, a_newer_format_with_more_keys_reads) {
  auto s = parse_service_state(format_service_state(sample()) + "future_key=1\n");
  ASSERT_TRUE(s) << s.err().message();
  EXPECT_EQ(s->remaining, 3U);
}

// The monitor of `daemonkit run` as a container's PID 1 records itself as
// pid 1, as the container sees it; no other pid of the file may be 1.
TEST(service_state, only_the_monitor_may_be_pid_1) {
  auto s = sample();
  s.monitor_pid = 1;
  auto read = parse_service_state(format_service_state(s));
  ASSERT_TRUE(read) << read.err().message();
  EXPECT_EQ(read->monitor_pid, 1);
  for (auto field : {&daemonkit::service_state::pid, &daemonkit::service_state::keeper_pid}) {
    auto bad = sample();
    bad.*field = 1;
    auto r = parse_service_state(format_service_state(bad));
    ASSERT_FALSE(r);
    EXPECT_NE(r.err().message().find("pid 1"), std::string::npos) << r.err().message();
  }
}

TEST(service_state, reading_names_the_file) {
  dk_test::temp_dir tmp;
  const std::string path = tmp.file("web.state");
  dk_test::write_file(path, format_service_state(sample()).substr(0, 40));
  auto r = daemonkit::read_service_state(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message().find(path), std::string::npos) << r.err().message();
  dk_test::write_file(path, std::string(max_state_file_size + 1, '\n'));
  r = daemonkit::read_service_state(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.err().message().find(path), std::string::npos) << r.err().message();
  ASSERT_TRUE(daemonkit::write_service_state(path, sample()));
  r = daemonkit::read_service_state(path);
  ASSERT_TRUE(r && *r) << (r ? "missing" : r.err().message());
  expect_same(**r, sample());
}

}  // namespace
