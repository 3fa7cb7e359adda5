// SPDX-License-Identifier: MIT
#include "daemonkit/signal_name.hpp"

#include <array>
#include <charconv>
#include <csignal>
#include <cstring>
#include <utility>

namespace daemonkit {

namespace {
constexpr std::array<std::pair<const char*, int>, 31> k_signals{{
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"SYS", SIGSYS},
}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'a' && a[i] <= 'z' ? static_cast<char>(a[i] - 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

result<int> parse_number(std::string_view t) {
  int v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) return make_error(errc::invalid_argument, "");
  return v;
}
}  // namespace

result<int> parse_signal(std::string_view text) {
  auto bad = [&] { return make_error(errc::invalid_argument, "unknown signal '" + std::string(text) + "'"); };
  std::string_view t = text;
  if (t.empty()) return bad();
  if (t[0] >= '0' && t[0] <= '9') {
    auto n = parse_number(t);
    if (!n || *n <= 0 || *n >= NSIG) return bad();
    return *n;
  }
  if (t.size() > 3 && iequals(t.substr(0, 3), "SIG")) t.remove_prefix(3);
  for (const auto& [name, num] : k_signals) {
    if (iequals(t, name)) return num;
  }
  // RTMIN, RTMIN+N, RTMAX, RTMAX-N
  if (t.size() >= 5 && (iequals(t.substr(0, 5), "RTMIN") || iequals(t.substr(0, 5), "RTMAX"))) {
    bool min = iequals(t.substr(0, 5), "RTMIN");
    std::string_view rest = t.substr(5);
    int off = 0;
    if (!rest.empty()) {
      if (rest[0] != (min ? '+' : '-')) return bad();
      auto n = parse_number(rest.substr(1));
      // Checked before the addition below, which could otherwise overflow.
      if (!n || *n < 0 || *n > SIGRTMAX - SIGRTMIN) return bad();
      off = *n;
    }
    int sig = min ? SIGRTMIN + off : SIGRTMAX - off;
    if (sig < SIGRTMIN || sig > SIGRTMAX) return bad();
    return sig;
  }
  return bad();
}

std::string signal_name(int sig) {
  for (const auto& [name, num] : k_signals) {
    if (num == sig && std::strcmp(name, "IOT") != 0) return name;
  }
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    return sig == SIGRTMIN ? "RTMIN" : "RTMIN+" + std::to_string(sig - SIGRTMIN);
  }
  return std::to_string(sig);
}

}  // namespace daemonkit
