// result<T>: a value or an error that says what failed, on what, and why.
//
// The library never logs, never exits and never throws (except in the
// Daemon convenience class): every fallible call returns result<T>.
// An error carries a std::error_code (the "why": errno values in
// std::system_category(), ours in daemonkit_category()) and a context string
// (the "what failed, on what": "cannot create pidfile /run/x.pid").
// error::message() joins them into the house grammar:
//   "cannot create pidfile /run/x.pid: Permission denied".
#pragma once

#include <cerrno>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace daemonkit {

// Errors of our own, for conditions no errno describes.
enum class errc {
  already_running = 1,  // the pidfile's lock is held by another process
  not_running,          // nothing holds the pidfile's lock
  bad_pidfile,          // pidfile content is not a pid, or the file is not a regular file
  timed_out,            // a deadline passed (readiness, stop)
  daemon_failed,        // the daemon reported failure or died before it was ready
  invalid_argument,     // a value given by the caller cannot be used
  not_lock_owner,       // the pid in a pidfile is not the process holding its lock
  unsupported,          // a feature this kernel or build lacks
  untrusted_path,       // another user could redirect or change what the path leads to
};

const std::error_category& daemonkit_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

struct error {
  std::error_code code;
  std::string context;  // "cannot open log /var/log/x.log"; may be empty

  // "context: reason" for system errors; for daemonkit errors the context is
  // the whole sentence (or the category's text when there is no context).
  std::string message() const;
};

// An error from errno (or an explicit errno value) with its context.
error system_error(std::string context, int err = errno);
error make_error(errc e, std::string context);

template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  result(error e) : v_(std::in_place_index<1>, std::move(e)) {}      // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }

  const error& err() const& { return std::get<1>(v_); }
  error&& err() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const error& err() const& { return err_; }
  error&& err() && { return std::move(err_); }

 private:
  error err_;
  bool ok_ = true;
};

}  // namespace daemonkit

template <>
struct std::is_error_code_enum<daemonkit::errc> : std::true_type {};
