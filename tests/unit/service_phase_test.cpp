// SPDX-License-Identifier: MIT
// The one vocabulary of a service's state: every phase has a word, every word
// reads back as its phase, and nothing else reads as a phase.
#include "daemonkit/service_phase.hpp"

#include <gtest/gtest.h>
#include <set>
#include <string>

#include "daemonkit/service_state.hpp"

namespace {

using daemonkit::service_phase;

constexpr service_phase all[] = {service_phase::starting, service_phase::running,  service_phase::reloading,
                                 service_phase::backoff,  service_phase::stopping, service_phase::stopped,
                                 service_phase::exited,   service_phase::failed};

TEST(service_phase, every_phase_has_its_own_word_and_reads_back) {
  std::set<std::string> seen;
  for (auto p : all) {
    std::string word(to_string(p));
    EXPECT_TRUE(seen.insert(word).second) << word << " names two phases";
    EXPECT_EQ(daemonkit::parse_service_phase(word), p) << word;
  }
  EXPECT_EQ(seen, (std::set<std::string>{"starting", "running", "reloading", "backoff", "stopping", "stopped", "exited",
                                         "failed"}));
}

TEST(service_phase, other_words_are_not_phases) {
  for (const char* w : {"", "Running", "running ", "stop", "unknown", "unsupervised", "runn"}) {
    EXPECT_FALSE(daemonkit::parse_service_phase(w).has_value()) << w;
  }
}

TEST(service_phase, live_phases_are_those_a_monitor_supervises) {
  for (auto p : all) {
    bool final_phase = p == service_phase::stopped || p == service_phase::exited || p == service_phase::failed;
    EXPECT_EQ(daemonkit::is_live(p), !final_phase) << to_string(p);
  }
}

TEST(service_phase, a_state_file_with_an_unknown_state_word_is_an_error) {
  auto s = daemonkit::parse_service_state("name=web\nstate=sleeping\npid=42\n");
  ASSERT_FALSE(s);
  EXPECT_NE(s.err().message().find("state"), std::string::npos) << s.err().message();
  auto ok = daemonkit::parse_service_state("name=web\nstate=reloading\npid=42\n");
  ASSERT_TRUE(ok) << ok.err().message();
  EXPECT_EQ(ok->phase, service_phase::reloading);
}

}  // namespace
