// result<T> and the message grammar: "what failed, on what: why", one line.
#include "daemonkit/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

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
  EXPECT_THROW((void)bad.value(), std::bad_variant_access);
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
}

}  // namespace
