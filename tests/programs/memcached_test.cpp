// SPDX-License-Identifier: MIT
// memcached speaks no readiness protocol: it only listens. With
// `--ready tcp:PORT`, start returns once a connection succeeds, so a client
// connecting right after start is never refused (issue 10: refused in 8 of 30
// tries with the default readiness).
#include <gtest/gtest.h>

#include "programs_support.hpp"

namespace {

using namespace dk_programs;

const std::string memcached = "/usr/bin/memcached";

class memcached_test : public program_fixture {
 protected:
  memcached_test() : program_fixture({memcached}) {}
};

TEST_F(memcached_test, a_connection_right_after_start_always_succeeds) {
  const int port = free_port();
  const std::vector<std::string> command{memcached, "-l", "127.0.0.1", "-p",      std::to_string(port),
                                         "-U",      "0",  "-u",        "memcache"};
  const std::vector<std::string> options{"--ready", "tcp:" + std::to_string(port)};
  constexpr int max_rounds = 50;
  const auto budget = 20s;  // the rounds that fit in it (fewer under a sanitizer)
  const auto begin = steady::now();
  int rounds = 0;
  std::vector<std::string> failures;
  while (rounds < max_rounds && steady::now() - begin < budget) {
    ++rounds;
    pid_t pid = start("cache", command, options);
    if (HasFailure()) break;
    // One try, at once: start said it is ready.
    fd_guard c = tcp_connect(port);
    std::string answer;
    if (!c.valid()) {
      answer = std::string("connect: ") + std::strerror(errno);
    } else if (send_all(c.get(), "version\r\n")) {
      line_reader in(c.get());
      answer = in.next(5s).value_or("no answer");
    }
    if (answer.rfind("VERSION ", 0) != 0) failures.push_back("round " + std::to_string(rounds) + ": " + answer);
    c.reset();
    auto r = dk({"stop", "cache"});
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    ASSERT_FALSE(is_alive(pid));
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << rounds << " rounds failed:\n"
                                << ::testing::PrintToString(failures);
  EXPECT_GE(rounds, 10) << "too few rounds to mean anything";
  std::cout << rounds << " start/connect/stop rounds\n";
}

}  // namespace
