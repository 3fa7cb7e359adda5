// SPDX-License-Identifier: MIT
// Support for the `programs` tests: real Debian servers (nginx, postgres,
// memcached, ...) run through the daemonkit binary the way an operator runs
// them, each on 127.0.0.1 on a port of its own, with its configuration and
// data in the test's temporary directory.
//
// The servers come from scripts/install-programs.sh. A test whose program is
// missing skips with that advice, except under CI (CI set and not "false"),
// where it fails: CI installs them, so a missing one is a broken setup, not a
// reason to pass. The tests need root (servers run as their own users, sshd
// needs /run/sshd) and skip otherwise.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cli_support.hpp"

namespace dk_programs {

using namespace dk_cli;

// A port on 127.0.0.1 that is free for TCP and UDP right now: bound to port 0,
// then closed. Another process could take it before the server binds it, but
// the kernel hands out ephemeral ports in a rotating order, so that is rare.
inline int free_port() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    fd_guard tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(tcp.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) continue;
    socklen_t len = sizeof sa;
    if (::getsockname(tcp.get(), reinterpret_cast<struct sockaddr*>(&sa), &len) != 0) continue;
    fd_guard udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (::bind(udp.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) continue;
    return ntohs(sa.sin_port);
  }
  throw std::runtime_error("no free port on 127.0.0.1");
}

// A TCP connection to 127.0.0.1:port (one try, no retry), or an invalid fd
// with errno saying why.
inline fd_guard tcp_connect(int port) {
  fd_guard s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  struct sockaddr_in sa {};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.get(), reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    s.reset();
    errno = e;  // for the caller's message
  }
  return s;
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Everything the peer sends until it closes, or what came before the deadline.
inline std::string read_to_eof(int fd, milliseconds timeout) {
  std::string out;
  const auto until = steady::now() + timeout;
  for (;;) {
    auto left = std::chrono::ceil<milliseconds>(until - steady::now());
    if (left <= 0ms || !fd_ready(fd, left)) return out;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

struct http_response {
  int status = 0;  // 0: no connection or no answer
  std::string body;
};

// GET http://127.0.0.1:port/path over HTTP/1.0 (the server closes after the answer).
inline http_response http_get(int port, const std::string& path, milliseconds timeout = 5s) {
  fd_guard s = tcp_connect(port);
  if (!s.valid()) return {};
  if (!send_all(s.get(), "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")) return {};
  std::string text = read_to_eof(s.get(), timeout);
  http_response r;
  if (text.rfind("HTTP/1.", 0) != 0 || text.size() < 12) return r;
  r.status = std::atoi(text.c_str() + 9);
  auto end = text.find("\r\n\r\n");
  if (end != std::string::npos) r.body = text.substr(end + 4);
  return r;
}

// text with every @KEY@ replaced by its value: config files as templates.
inline std::string fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string marker = "@" + key + "@";
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + value.size())) {
      text.replace(at, marker.size(), value);
    }
  }
  return text;
}

// Every process on the machine for which pred(pid) holds.
inline std::vector<pid_t> processes_where(const std::function<bool(pid_t)>& pred) {
  std::vector<pid_t> out;
  for (const auto& p : all_processes()) {
    if (p.state != 'Z' && p.state != 'X' && pred(p.pid)) out.push_back(p.pid);
  }
  return out;
}

// The fixture: root, the programs present (else skip, or fail under CI), a
// temporary directory the servers' own users can enter.
class program_fixture : public cli_fixture {
 protected:
  explicit program_fixture(std::vector<std::string> programs) : programs_(std::move(programs)) {}

  void SetUp() override {
    cli_fixture::SetUp();
    if (HasFatalFailure()) return;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the servers run as their own users";
    std::string missing;
    for (const auto& p : programs_) {
      if (::access(p.c_str(), X_OK) != 0) missing += " " + p;
    }
    if (!missing.empty()) {
      if (in_ci()) FAIL() << "not installed under CI:" << missing << " (scripts/install-programs.sh installs them)";
      GTEST_SKIP() << "not installed:" << missing << " (scripts/install-programs.sh installs them)";
    }
    // The servers' workers (www-data, nobody, postgres, memcache) read their
    // files below it.
    ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  }

  // `status --json NAME` as one JSON object.
  nlohmann::json status_json(const std::string& name) const {
    auto r = dk({"status", "--json", name});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_array() && j.size() == 1) return j[0];
    return nlohmann::json::object();
  }

  // A field of a JSON object when it has that type; the fallback otherwise
  // (missing, null, or another type).
  static long long json_int(const nlohmann::json& j, const std::string& key, long long fallback = -1) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<long long>() : fallback;
  }
  static std::string json_string(const nlohmann::json& j, const std::string& key, const std::string& fallback = "") {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
  }

  // Processes anywhere whose comm is `comm` and whose command line mentions
  // this test's directory: what a server of this test left, whoever its parent.
  std::vector<pid_t> leftovers(const std::string& comm) const {
    return processes_where([&](pid_t p) { return comm_of(p) == comm && contains(cmdline_of(p), tmp.path()); });
  }

  // Live processes below the test process whose comm is `comm`.
  static std::vector<pid_t> our_processes(const std::string& comm) {
    std::vector<pid_t> out;
    for (pid_t p : descendants_of(::getpid())) {
      if (comm_of(p) == comm) out.push_back(p);
    }
    return out;
  }

  // The service's log, or what is in it after `from` bytes.
  std::string log_text(const std::string& name, size_t from = 0) const {
    auto text = read_file(logfile(name)).value_or("");
    return from < text.size() ? text.substr(from) : std::string();
  }

 private:
  std::vector<std::string> programs_;
};

}  // namespace dk_programs
