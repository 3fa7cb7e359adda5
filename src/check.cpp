// SPDX-License-Identifier: MIT
#include "daemonkit/check.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <optional>

#include "daemonkit/text_escape.hpp"

namespace daemonkit {

namespace {

constexpr std::string_view k_forms = "tcp:[HOST:]PORT, http://HOST[:PORT][/PATH] or cmd:COMMAND";
constexpr std::uint16_t k_http_port = 80;
constexpr const char* k_default_host = "127.0.0.1";
constexpr std::size_t k_max_host = 253;  // the longest DNS name

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ascii_lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_'; }

// What parse_check says is wrong; the caller adds the quoted text.
using problem = std::string;

std::string quoted(std::string_view s) { return "'" + escape_for_terminal(s) + "'"; }

// "8080" -> 8080; the problem otherwise.
std::optional<problem> parse_port(std::string_view text, std::uint16_t& out) {
  if (text.empty()) return problem("missing port");
  for (char c : text) {
    if (!is_digit(c)) return "invalid port " + quoted(text);
  }
  std::size_t first = text.find_first_not_of('0');
  std::string_view digits = first == std::string_view::npos ? std::string_view() : text.substr(first);
  unsigned long value = 0;
  if (digits.size() <= 5) {
    for (char c : digits) value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (digits.size() > 5 || value == 0 || value > 65535) {
    return "port " + escape_for_terminal(text) + " is out of range (1-65535)";
  }
  out = static_cast<std::uint16_t>(value);
  return std::nullopt;
}

// An IPv6 address as written between brackets: ADDRESS[%ZONE].
std::optional<problem> check_ipv6(std::string_view text) {
  auto bad = [&] { return "invalid IPv6 address " + quoted(text); };
  std::string_view addr = text.substr(0, text.find('%'));
  if (addr.size() < text.size()) {
    std::string_view zone = text.substr(addr.size() + 1);
    if (zone.empty() || zone.size() >= IF_NAMESIZE) return bad();
    for (char c : zone) {
      if (!is_name_char(c)) return bad();
    }
  }
  for (char c : addr) {
    // Checked here, not left to inet_pton: it would stop at a NUL byte.
    if (!is_digit(c) && !((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) && c != ':' && c != '.') return bad();
  }
  in6_addr a{};
  if (addr.empty() || addr.size() >= INET6_ADDRSTRLEN || ::inet_pton(AF_INET6, std::string(addr).c_str(), &a) != 1) {
    return bad();
  }
  return std::nullopt;
}

// A host outside brackets: a name, or a dotted IPv4 address.
std::optional<problem> check_host(std::string_view text) {
  if (text.empty()) return problem("missing host");
  if (text.size() > k_max_host) return problem("host name is too long (at most 253 bytes)");
  bool numeric = true;
  for (char c : text) {
    if (!is_name_char(c)) return "invalid character in host " + quoted(text);
    if (!is_digit(c) && c != '.') numeric = false;
  }
  // A numeric host is an address or a mistake; looked up as a name it would
  // reach DNS, and a resolver might answer anything.
  in_addr a{};
  if (numeric && ::inet_pton(AF_INET, std::string(text).c_str(), &a) != 1)
    return "invalid IPv4 address " + quoted(text);
  return std::nullopt;
}

struct host_and_port {
  std::string host;
  std::optional<std::string_view> port;  // the text after ':', when there is a ':'
};

// "HOST", "HOST:PORT", "[V6]", "[V6]:PORT".
std::optional<problem> split_host_port(std::string_view text, host_and_port& out) {
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return problem("missing ']' after the IPv6 address");
    std::string_view v6 = text.substr(1, close - 1);
    if (v6.empty()) return problem("missing host");
    if (auto p = check_ipv6(v6)) return p;
    out.host = std::string(v6);
    rest = text.substr(close + 1);
    if (rest.empty()) return std::nullopt;
    if (rest.front() != ':') return "unexpected " + quoted(rest) + " after the IPv6 address";
  } else {
    std::size_t colon = text.find(':');
    std::string_view host = text.substr(0, colon);
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return problem("an IPv6 address goes in brackets, as in [::1]");
    }
    if (auto p = check_host(host)) return p;
    out.host = std::string(host);
    if (colon == std::string_view::npos) return std::nullopt;
    rest = text.substr(colon);
  }
  out.port = rest.substr(1);
  return std::nullopt;
}

std::optional<problem> parse_tcp(std::string_view rest, check_spec& spec) {
  spec.what = check_spec::kind::tcp;
  // "tcp:PORT": only a port.
  if (rest.find_first_of(":[") == std::string_view::npos && !rest.empty() && is_digit(rest.front()) &&
      rest.find('.') == std::string_view::npos) {
    spec.host = k_default_host;
    return parse_port(rest, spec.port);
  }
  if (rest.empty()) return problem("missing port");
  host_and_port hp;
  if (auto p = split_host_port(rest, hp)) return p;
  if (!hp.port) return problem("missing port");
  spec.host = std::move(hp.host);
  return parse_port(*hp.port, spec.port);
}

std::optional<problem> parse_http(std::string_view rest, check_spec& spec) {
  spec.what = check_spec::kind::http;
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return problem("user names and passwords in the URL are not supported");
  }
  if (authority.empty()) return problem("missing host");
  host_and_port hp;
  if (auto p = split_host_port(authority, hp)) return p;
  spec.host = std::move(hp.host);
  spec.port = k_http_port;
  if (hp.port) {
    if (auto p = parse_port(*hp.port, spec.port)) return p;
  }
  // The fragment is the client's own business: never sent.
  target = target.substr(0, target.find('#'));
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return problem("invalid character in path (write spaces and non-ASCII bytes as %XX)");
  }
  spec.path = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  return std::nullopt;
}

std::optional<problem> parse_cmd(std::string_view rest, check_spec& spec) {
  spec.what = check_spec::kind::cmd;
  if (rest.find('\0') != std::string_view::npos) return problem("the command contains a NUL byte");
  if (rest.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos) return problem("empty command");
  spec.command = std::string(rest);
  return std::nullopt;
}

// Neither tcp:, http:// nor cmd:, so what was meant?
problem unknown_form(std::string_view text) {
  std::size_t colon = text.find(':');
  std::string_view scheme = text.substr(0, colon);
  bool looks_like_scheme = colon != std::string_view::npos && !scheme.empty() && is_alpha(scheme.front());
  for (char c : scheme) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') looks_like_scheme = false;
  }
  if (!looks_like_scheme) return "expected " + std::string(k_forms);
  if (starts_with_ci(text, "http:")) return problem("expected http://HOST[:PORT][/PATH]");
  return "unknown scheme " + quoted(scheme) + " (expected " + std::string(k_forms) + ")";
}

std::string bracketed(const std::string& host) { return host.find(':') == std::string::npos ? host : "[" + host + "]"; }

}  // namespace

result<check_spec> parse_check(std::string_view text) {
  check_spec spec;
  std::optional<problem> p;
  if (starts_with_ci(text, "tcp:")) {
    p = parse_tcp(text.substr(4), spec);
  } else if (starts_with_ci(text, "http://")) {
    p = parse_http(text.substr(7), spec);
  } else if (starts_with_ci(text, "https:")) {
    p = "https is not supported; use tcp:HOST:443 or cmd:curl ...";
  } else if (starts_with_ci(text, "cmd:")) {
    p = parse_cmd(text.substr(4), spec);
  } else {
    p = unknown_form(text);
  }
  if (p) return make_error(errc::invalid_argument, "invalid check " + quoted(text) + ": " + *p);
  return spec;
}

std::string to_string(const check_spec& spec) {
  switch (spec.what) {
    case check_spec::kind::tcp:
      if (spec.host == k_default_host) return "tcp:" + std::to_string(spec.port);
      return "tcp:" + bracketed(spec.host) + ":" + std::to_string(spec.port);
    case check_spec::kind::http:
      return "http://" + bracketed(spec.host) + (spec.port == k_http_port ? "" : ":" + std::to_string(spec.port)) +
             spec.path;
    case check_spec::kind::cmd: return "cmd:" + spec.command;
  }
  return {};
}

}  // namespace daemonkit
