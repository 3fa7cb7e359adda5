// SPDX-License-Identifier: MIT
// Signal names both ways.
#include "daemonkit/signal_name.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace {

using daemonkit::errc;

TEST(parse_signal, accepts_names_with_and_without_sig_in_any_case) {
  EXPECT_EQ(daemonkit::parse_signal("TERM").value(), SIGTERM);
  EXPECT_EQ(daemonkit::parse_signal("SIGTERM").value(), SIGTERM);
  EXPECT_EQ(daemonkit::parse_signal("term").value(), SIGTERM);
  EXPECT_EQ(daemonkit::parse_signal("sigterm").value(), SIGTERM);
  EXPECT_EQ(daemonkit::parse_signal("SigHup").value(), SIGHUP);
  EXPECT_EQ(daemonkit::parse_signal("KILL").value(), SIGKILL);
  EXPECT_EQ(daemonkit::parse_signal("USR1").value(), SIGUSR1);
  EXPECT_EQ(daemonkit::parse_signal("IOT").value(), SIGABRT);
  EXPECT_EQ(daemonkit::parse_signal("WINCH").value(), SIGWINCH);
}

TEST(parse_signal, accepts_numbers) {
  EXPECT_EQ(daemonkit::parse_signal("15").value(), 15);
  EXPECT_EQ(daemonkit::parse_signal("9").value(), 9);
  EXPECT_EQ(daemonkit::parse_signal("1").value(), 1);
  EXPECT_EQ(daemonkit::parse_signal(std::to_string(SIGRTMAX)).value(), SIGRTMAX);
}

TEST(parse_signal, accepts_realtime_signals) {
  EXPECT_EQ(daemonkit::parse_signal("RTMIN").value(), SIGRTMIN);
  EXPECT_EQ(daemonkit::parse_signal("SIGRTMIN+3").value(), SIGRTMIN + 3);
  EXPECT_EQ(daemonkit::parse_signal("rtmax").value(), SIGRTMAX);
  EXPECT_EQ(daemonkit::parse_signal("RTMAX-2").value(), SIGRTMAX - 2);
  EXPECT_EQ(daemonkit::parse_signal("RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN)).value(), SIGRTMAX);
}

TEST(parse_signal, rejects_what_is_not_a_signal) {
  for (const char* bad :
       {"",        "0",          "-1",       "-15",      "+15",      "65",  "1000", "99999999999999999999",
        "SIG",     "SIGSIGTERM", "TERMX",    " TERM",    "TERM ",    "15 ", "1.5",  "RTMIN+",
        "RTMIN-1", "RTMAX+1",    "RTMIN+-1", "RTMIN+99", "RTMAX-99", "FOO"}) {
    auto r = daemonkit::parse_signal(bad);
    ASSERT_FALSE(r) << "'" << bad << "' parsed as " << (r ? *r : 0);
    EXPECT_EQ(r.err().code, errc::invalid_argument);
    EXPECT_EQ(r.err().message(), "unknown signal '" + std::string(bad) + "'");
  }
  EXPECT_FALSE(daemonkit::parse_signal(std::to_string(NSIG)));
}

TEST(signal_name, names_standard_signals_without_sig_prefix) {
  EXPECT_EQ(daemonkit::signal_name(SIGTERM), "TERM");
  EXPECT_EQ(daemonkit::signal_name(SIGKILL), "KILL");
  EXPECT_EQ(daemonkit::signal_name(SIGHUP), "HUP");
  EXPECT_EQ(daemonkit::signal_name(SIGABRT), "ABRT");  // not its alias IOT
  EXPECT_EQ(daemonkit::signal_name(SIGSEGV), "SEGV");
}

TEST(signal_name, names_realtime_signals_relative_to_rtmin) {
  EXPECT_EQ(daemonkit::signal_name(SIGRTMIN), "RTMIN");
  EXPECT_EQ(daemonkit::signal_name(SIGRTMIN + 3), "RTMIN+3");
}

TEST(signal_name, falls_back_to_the_number) {
  EXPECT_EQ(daemonkit::signal_name(0), "0");
  EXPECT_EQ(daemonkit::signal_name(-3), "-3");
  EXPECT_EQ(daemonkit::signal_name(200), "200");
}

TEST(signal_name, round_trips_through_parse_signal) {
  for (int sig = 1; sig <= SIGRTMAX; ++sig) {
    if (sig > SIGSYS && sig < SIGRTMIN) continue;  // glibc's internal signals have no name
    auto name = daemonkit::signal_name(sig);
    auto back = daemonkit::parse_signal(name);
    ASSERT_TRUE(back) << name;
    EXPECT_EQ(*back, sig) << name;
  }
}

}  // namespace
