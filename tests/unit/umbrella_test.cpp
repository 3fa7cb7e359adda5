// SPDX-License-Identifier: MIT
// The umbrella header alone gives every public header: one name from each.
// Nothing else is included on purpose (gtest aside), so a header whose names
// daemonkit.hpp no longer reaches fails this file's build rather than some
// user's. (A header that another one includes stays reachable without its
// own line; the umbrella still lists it, so it does not depend on that.)
#include <daemonkit/daemonkit.hpp>

#include <gtest/gtest.h>

#ifndef DAEMONKIT_API_BEGIN  // export.hpp (macros only)
#error "daemonkit.hpp does not give export.hpp"
#endif

namespace {

using namespace std::chrono_literals;

TEST(umbrella, gives_every_public_header) {
  EXPECT_EQ(daemonkit::to_string(daemonkit::parse_check("tcp:80").value()), "tcp:80");           // check.hpp
  static_assert(std::is_enum_v<daemonkit::lsb_status>);                                          // control.hpp
  static_assert(std::is_class_v<daemonkit::credentials>);                                        // credentials.hpp
  static_assert(std::has_virtual_destructor_v<daemonkit::Daemon>);                               // daemon.hpp
  static_assert(std::is_class_v<daemonkit::daemonize_options>);                                  // daemonize.hpp
  static_assert(daemonkit::env_file_max_line > 0);                                               // env_file.hpp
  EXPECT_TRUE(daemonkit::exit_status{}.success());                                               // exit_status.hpp
  EXPECT_EQ(daemonkit::log_options{}.keep, 5U);                                                  // log_file.hpp
  static_assert(std::is_function_v<decltype(daemonkit::read_last_lines)>);                       // log_tail.hpp
  static_assert(std::is_class_v<daemonkit::monitor_options>);                                    // monitor.hpp
  static_assert(std::is_function_v<decltype(daemonkit::notify_status)>);                         // notify.hpp
  EXPECT_EQ(daemonkit::parse_pid("42\n").value(), 42);                                           // pidfile.hpp
  static_assert(std::is_class_v<daemonkit::process>);                                            // process.hpp
  EXPECT_EQ(daemonkit::respawn_policy{}.mode, daemonkit::respawn_mode::never);                   // respawn.hpp
  EXPECT_FALSE(daemonkit::result<int>(daemonkit::make_error(daemonkit::errc::timed_out, "x")));  // result.hpp
  EXPECT_EQ(daemonkit::service_config{}.kill, daemonkit::kill_mode::group);                      // service.hpp
  static_assert(std::is_function_v<decltype(daemonkit::read_service_config)>);                   // service_codec.hpp
  EXPECT_EQ(daemonkit::to_string(daemonkit::service_phase::backoff), "backoff");                 // service_phase.hpp
  EXPECT_TRUE(daemonkit::valid_service_name("web"));                                             // service_dir.hpp
  EXPECT_EQ(daemonkit::max_state_file_size, 8U * 1024);                                          // service_state.hpp
  EXPECT_EQ(daemonkit::signal_name(SIGTERM), "TERM");                                            // signal_name.hpp
  static_assert(std::is_class_v<daemonkit::spawn_failure>);                                      // spawn.hpp
  EXPECT_EQ(daemonkit::stop_policy{}.steps.size(), 2U);                                          // stop_policy.hpp
  EXPECT_FALSE(daemonkit::stop_result{}.was_running);                                            // supervised.hpp
  EXPECT_EQ(daemonkit::escape_for_terminal("ok"), "ok");                                         // text_escape.hpp
  EXPECT_FALSE(daemonkit::unique_fd{}.valid());                                                  // unique_fd.hpp
  EXPECT_EQ(daemonkit::parse_duration("2s").value(), 2s);                                        // units.hpp
  EXPECT_EQ(std::string(DAEMONKIT_VERSION_STRING), std::to_string(DAEMONKIT_VERSION / 10000) + "." +
                                                       std::to_string(DAEMONKIT_VERSION / 100 % 100) + "." +
                                                       std::to_string(DAEMONKIT_VERSION_PATCH));  // version.hpp
}

}  // namespace
