// SPDX-License-Identifier: MIT
/// \file
/// Readiness and health checks as text: `--ready CHECK`, `--health CHECK`.
///
/// \verbatim
/// tcp:[HOST:]PORT            a TCP connection to HOST:PORT succeeds
///                            (HOST 127.0.0.1 by default; IPv6 as tcp:[::1]:PORT;
///                            a name such as localhost is resolved when the check runs)
/// http://HOST[:PORT][/PATH]  a GET of PATH answers 2xx (PORT 80, PATH / by default)
/// cmd:COMMAND                `/bin/sh -c COMMAND` exits 0
/// \endverbatim
///
/// Pure parsing and printing: nothing here resolves, connects or runs
/// anything (src/supervisor/probe.hpp runs a check). to_string writes a spec
/// back as text that parse_check reads as the same spec, so a spec is stored
/// as that text (NAME.json).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// A parsed check: what to try, and where.
struct check_spec {
  /// The scheme: `tcp:`, `http://` or `cmd:`.
  enum class kind {
    tcp,   ///< `tcp:[HOST:]PORT`
    http,  ///< `http://HOST[:PORT][/PATH]`
    cmd    ///< `cmd:COMMAND`
  };
  kind what = kind::tcp;  ///< the scheme
  /// tcp, http: a host name ([A-Za-z0-9._-]), a dotted IPv4 address, or an
  /// IPv6 address without its brackets (with an optional `%zone`). Empty for cmd.
  std::string host;
  std::uint16_t port = 0;  ///< tcp, http: 1-65535; 0 for cmd
  /// http: what the request line asks for; starts with '/', printable ASCII
  /// only (anything else arrives percent-encoded), query included, fragment
  /// dropped. Empty for tcp and cmd.
  std::string path;
  std::string command;  ///< cmd: the shell command, as given (never empty); empty otherwise

  /// Equal when every field is.
  friend bool operator==(const check_spec&, const check_spec&) = default;
};

/// Parses CHECK. The scheme is case-blind ("TCP:80", "HTTP://x"); everything
/// after it is kept as written. Errors (errc::invalid_argument) quote the text
/// and say what is wrong: "invalid check 'tcp:': missing port", "... port
/// 70000 is out of range (1-65535)", "... empty command", "... unknown scheme
/// 'ftp' ...", "... https is not supported; use tcp:HOST:443 or cmd:curl ...".
/// A numeric host must be a valid address (never looked up as a name).
result<check_spec> parse_check(std::string_view text);

/// The spec as check text, shortest form: "tcp:8080" (host 127.0.0.1),
/// "tcp:[::1]:8080", "http://localhost:8080/health" (":80" left out),
/// "cmd:pg_isready". parse_check(to_string(s)) == s for every parsed s.
std::string to_string(const check_spec& spec);

}  // namespace daemonkit
DAEMONKIT_API_END
