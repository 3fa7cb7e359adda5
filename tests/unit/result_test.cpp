// SPDX-License-Identifier: MIT
// result<T> and the message grammar: "what failed, on what: why", one line.
#include "daemonkit/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace {

using daemonkit::errc;

TEST(error_message, system_errors_join_context_and_reason) {
  auto e = daemonkit::system_error("cannot open log /var/log/x.log", EACCES);
  EXPECT_EQ(e.code, std::error_code(EACCES, std::system_category()));
  EXPECT_EQ(e.message(), "cannot open log /var/log/x.log: Permission denied");
}

TEST(error_message, system_errors_default_to_errno) {
  errno = ENOENT;
  auto e = daemonkit::system_error("cannot open pidfile /x");
  EXPECT_EQ(e.message(), "cannot open pidfile /x: No such file or directory");
}

TEST(error_message, a_system_error_without_context_is_just_the_reason) {
  EXPECT_EQ(daemonkit::system_error("", ENOSPC).message(), "No space left on device");
}

TEST(error_message, our_errors_with_context_are_the_whole_sentence) {
  auto e = daemonkit::make_error(errc::already_running, "already running (pid 7)");
  EXPECT_EQ(e.code, errc::already_running);
  EXPECT_EQ(e.code.category(), daemonkit::daemonkit_category());
  EXPECT_EQ(e.message(), "already running (pid 7)");
}

TEST(error_message, our_errors_without_context_use_the_category_text) {
  struct expectation {
    errc code;
    const char* text;
  };
  for (const auto& [code, text] : std::initializer_list<expectation>{
           {errc::already_running, "already running"},
           {errc::not_running, "not running"},
           {errc::bad_pidfile, "invalid pidfile"},
           {errc::timed_out, "timed out"},
           {errc::daemon_failed, "daemon failed to start"},
           {errc::invalid_argument, "invalid argument"},
           {errc::not_lock_owner, "process does not hold the pidfile lock"},
           {errc::unsupported, "not supported"},
       }) {
    EXPECT_EQ(daemonkit::make_error(code, "").message(), text);
    EXPECT_EQ(daemonkit::make_error_code(code).message(), text);
  }
  EXPECT_STREQ(daemonkit::daemonkit_category().name(), "daemonkit");
  EXPECT_EQ(daemonkit::daemonkit_category().message(999), "unknown daemonkit error");
}

TEST(error_message, our_codes_compare_with_errc_and_not_with_errno_values) {
  std::error_code ec = errc::timed_out;
  EXPECT_EQ(ec, errc::timed_out);
  EXPECT_NE(ec, std::error_code(static_cast<int>(errc::timed_out), std::system_category()));
  EXPECT_NE(ec, std::errc::timed_out);
}

TEST(result, holds_a_value_or_an_error) {
  daemonkit::result<int> ok = 42;
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok.has_value());
  EXPECT_EQ(ok.value(), 42);
  EXPECT_EQ(*ok, 42);

  daemonkit::result<int> bad = daemonkit::make_error(errc::not_running, "not running");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.err().code, errc::not_running);
  EXPECT_THROW((void)bad.value(), daemonkit::bad_result_access);
}

TEST(result, value_on_an_error_throws_the_errors_message_code_and_step) {
  daemonkit::error e = daemonkit::system_error("cannot open log /var/log/x.log", EACCES);
  e.step = 3;
  daemonkit::result<int> bad = e;
  try {
    (void)bad.value();
    FAIL() << "value() on an error returned";
  } catch (const daemonkit::bad_result_access& x) {
    EXPECT_STREQ(x.what(), "cannot open log /var/log/x.log: Permission denied");
    EXPECT_EQ(x.code(), std::error_code(EACCES, std::system_category()));
    EXPECT_EQ(x.step(), 3);
  }
  // A std::runtime_error to code that knows nothing of daemonkit.
  try {
    (void)std::move(bad).value();
    FAIL() << "value() && on an error returned";
  } catch (const std::runtime_error& x) {
    EXPECT_STREQ(x.what(), "cannot open log /var/log/x.log: Permission denied");
  }
  const daemonkit::result<std::string> cbad = daemonkit::make_error(errc::not_running, "not running");
  EXPECT_THROW((void)cbad.value(), daemonkit::bad_result_access);
  EXPECT_THROW((void)*cbad, daemonkit::bad_result_access);
  EXPECT_THROW((void)cbad->size(), daemonkit::bad_result_access);
  // Copies of the exception keep all of it (and never throw).
  static_assert(std::is_nothrow_copy_constructible_v<daemonkit::bad_result_access>);
  daemonkit::bad_result_access copy(daemonkit::make_error(errc::timed_out, "timed out after 5s"));
  daemonkit::bad_result_access other = copy;
  EXPECT_STREQ(other.what(), "timed out after 5s");
  EXPECT_EQ(other.code(), errc::timed_out);
}

TEST(result, const_results_give_const_access) {
  const daemonkit::result<std::string> ok = std::string("pidfile");
  static_assert(std::is_same_v<decltype(*ok), const std::string&>);
  static_assert(std::is_same_v<decltype(ok.value()), const std::string&>);
  static_assert(std::is_same_v<decltype(ok.operator->()), const std::string*>);
  EXPECT_EQ(*ok, "pidfile");
  EXPECT_EQ(ok->size(), 7u);
  EXPECT_EQ(ok.value(), "pidfile");

  daemonkit::result<std::string> mut = std::string("a");
  *mut += "b";
  mut->append("c");
  EXPECT_EQ(*mut, "abc");
}

TEST(result, value_or_gives_the_value_or_the_fallback) {
  daemonkit::result<int> ok = 42;
  daemonkit::result<int> bad = daemonkit::make_error(errc::bad_pidfile, "empty pidfile");
  EXPECT_EQ(ok.value_or(7), 42);
  EXPECT_EQ(bad.value_or(7), 7);
  const daemonkit::result<std::string> cbad = daemonkit::system_error("cannot read /x", ENOENT);
  EXPECT_EQ(cbad.value_or("fallback"), "fallback");  // converted to T

  // From an rvalue, the value is moved out: move-only types work.
  daemonkit::result<std::unique_ptr<int>> p = std::make_unique<int>(5);
  std::unique_ptr<int> got = std::move(p).value_or(nullptr);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, 5);
  daemonkit::result<std::unique_ptr<int>> none = daemonkit::make_error(errc::not_running, "not running");
  EXPECT_EQ(std::move(none).value_or(nullptr), nullptr);
}

TEST(result, rvalue_access_moves_the_value_out) {
  daemonkit::result<std::unique_ptr<int>> r = std::make_unique<int>(9);
  static_assert(std::is_same_v<decltype(*std::move(r)), std::unique_ptr<int>&&>);
  std::unique_ptr<int> p = *std::move(r);
  EXPECT_EQ(*p, 9);
}

TEST(result, moves_move_only_values_and_errors_out) {
  daemonkit::result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 5);

  daemonkit::result<std::string> e = daemonkit::system_error("cannot write pidfile /p", ENOSPC);
  daemonkit::error moved = std::move(e).err();
  EXPECT_EQ(moved.message(), "cannot write pidfile /p: No space left on device");
}

TEST(result, void_results) {
  daemonkit::result<void> ok;
  EXPECT_TRUE(ok);
  daemonkit::result<void> bad = daemonkit::system_error("cannot fork", EAGAIN);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.err().message(), "cannot fork: Resource temporarily unavailable");
  EXPECT_NO_THROW(ok.value());
  try {
    bad.value();
    FAIL() << "value() on an error returned";
  } catch (const daemonkit::bad_result_access& x) {
    EXPECT_STREQ(x.what(), "cannot fork: Resource temporarily unavailable");
    EXPECT_EQ(x.code(), std::error_code(EAGAIN, std::system_category()));
  }
}

}  // namespace
