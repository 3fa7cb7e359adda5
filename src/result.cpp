// SPDX-License-Identifier: MIT
#include "daemonkit/result.hpp"

#include "daemonkit/export.hpp"
#include "sys/sys.hpp"

// result.hpp gives its namespace default visibility, which clang does not
// carry from a free function's declaration to a definition made outside such
// a namespace block (export.hpp): so these are defined inside one.
DAEMONKIT_API_BEGIN
namespace daemonkit {

namespace {
class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "daemonkit"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::already_running: return "already running";
      case errc::not_running: return "not running";
      case errc::bad_pidfile: return "invalid pidfile";
      case errc::timed_out: return "timed out";
      case errc::daemon_failed: return "daemon failed to start";
      case errc::invalid_argument: return "invalid argument";
      case errc::not_lock_owner: return "process does not hold the pidfile lock";
      case errc::unsupported: return "not supported";
      case errc::untrusted_path: return "untrusted path";
    }
    return "unknown daemonkit error";
  }
};
}  // namespace

const std::error_category& daemonkit_category() noexcept {
  static const category c;
  return c;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), daemonkit_category()}; }

std::string error::message() const {
  // Our own contexts are whole sentences ("already running (pid 7)",
  // "pidfile /x is a symbolic link; refusing to use it"); the category's
  // generic text would only repeat them.
  if (code.category() == daemonkit_category() && !context.empty()) return context;
  std::string why = code.category() == std::system_category() ? sys::errno_text(code.value()) : code.message();
  if (context.empty()) return why;
  return context + ": " + why;
}

error system_error(std::string context, int err) {
  return error{std::error_code(err, std::system_category()), std::move(context)};
}

error make_error(errc e, std::string context) { return error{make_error_code(e), std::move(context)}; }

bad_result_access::bad_result_access(const error& e) : std::runtime_error(e.message()), code_(e.code), step_(e.step) {}

// Out of line: the class's vtable and type_info live in the library, once,
// so a catch in the program matches what the library threw.
bad_result_access::~bad_result_access() = default;

void detail::throw_bad_result_access(const error& e) { throw bad_result_access(e); }

}  // namespace daemonkit
DAEMONKIT_API_END
