// SPDX-License-Identifier: MIT
/// \file
/// result<T>: a value or an error that says what failed, on what, and why.
///
/// The library never logs, never exits and never throws (except in the
/// Daemon convenience class): every fallible call returns result<T>.
/// An error carries a std::error_code (the "why": errno values in
/// std::system_category(), ours in daemonkit_category()) and a context string
/// (the "what failed, on what": "cannot create pidfile /run/x.pid").
/// error::message() joins them into the house grammar:
/// "cannot create pidfile /run/x.pid: Permission denied".
///
/// \code{.cpp}
/// daemonkit::result<daemonkit::pidfile> pf = daemonkit::pidfile::acquire(path);
/// if (!pf) return fail(pf.err().message());    // test, then read the error
/// use(*pf);                                      // or the value
/// int n = parse(text).value_or(0);               // a fallback instead of the error
/// auto fd = open_thing().value();                // throws bad_result_access on an error
/// \endcode
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

#include "daemonkit/export.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// Errors of our own, for conditions no errno describes (in
/// daemonkit_category(); a std::error_code compares equal to them).
enum class errc {
  already_running = 1,  ///< the pidfile's lock is held by another process
  not_running,          ///< nothing holds the pidfile's lock
  bad_pidfile,          ///< pidfile content is not a pid, or the file is not a regular file
  timed_out,            ///< a deadline passed (readiness, stop)
  daemon_failed,        ///< the daemon reported failure or died before it was ready
  invalid_argument,     ///< a value given by the caller cannot be used
  not_lock_owner,       ///< the pid in a pidfile is not the process holding its lock
  unsupported,          ///< a feature this kernel or build lacks
  untrusted_path,       ///< another user could redirect or change what the path leads to
};

/// The error category of errc; its name() is "daemonkit".
const std::error_category& daemonkit_category() noexcept;
/// e in daemonkit_category(); found by argument-dependent lookup, so an errc
/// converts to a std::error_code implicitly.
std::error_code make_error_code(errc e) noexcept;

/// A failure: what failed, on what (context), and why (code).
struct error {
  /// Why: an errno value in std::system_category(), or an errc.
  std::error_code code;
  std::string context;  ///< "cannot open log /var/log/x.log"; may be empty
  /// Which step of a multi-step call failed, as that call numbers its steps
  /// (spawn: a spawn_stage, read with spawn_failure_of); 0 when it does not
  /// say. Lets a caller act on the step without reading the context.
  int step = 0;

  /// "context: reason" for system errors; for daemonkit errors the context is
  /// the whole sentence (or the category's text when there is no context).
  std::string message() const;
};

/// An error from errno (or an explicit errno value) with its context.
error system_error(std::string context, int err = errno);
/// An error of our own (errc) with its context, which is then the whole
/// message (see error::message()).
error make_error(errc e, std::string context);

/// Thrown by result<T>::value() (and operator*, operator->) on a result that
/// holds an error: what() is the error's message() ("cannot open log /x:
/// Permission denied"), code() and step() its code and step. Copying never
/// throws, as an exception's copy must not.
class bad_result_access : public std::runtime_error {
 public:
  /// Takes e's message(), code and step.
  explicit bad_result_access(const error& e);
  /// Copies without throwing.
  bad_result_access(const bad_result_access&) noexcept = default;
  /// Copies without throwing.
  bad_result_access& operator=(const bad_result_access&) noexcept = default;
  /// Out of line, so the class's vtable and type_info live in the library
  /// once and a catch in the program matches what the library threw.
  ~bad_result_access() override;

  /// The error's code.
  std::error_code code() const noexcept { return code_; }
  /// The error's step (error::step).
  int step() const noexcept { return step_; }

 private:
  std::error_code code_;
  int step_ = 0;
};

namespace detail {
[[noreturn]] void throw_bad_result_access(const error& e);
}  // namespace detail

/// A T or an error. Test it (operator bool, has_value()) before reading it:
/// value(), operator* and operator-> on an error throw bad_result_access
/// (never undefined behaviour); err() on a value throws
/// std::bad_variant_access. value_or() never throws for the error.
template <class T>
class [[nodiscard]] result {
 public:
  /// A result holding value.
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  /// A result holding the error e.
  result(error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT(google-explicit-constructor)

  /// True when this holds a value.
  bool has_value() const noexcept { return v_.index() == 0; }
  /// has_value().
  explicit operator bool() const noexcept { return has_value(); }

  ///@{
  /// The value.
  /// \throws bad_result_access when this holds an error.
  T& value() & {
    check();
    return *std::get_if<0>(&v_);
  }
  const T& value() const& {
    check();
    return *std::get_if<0>(&v_);
  }
  T&& value() && {
    check();
    return std::move(*std::get_if<0>(&v_));
  }
  const T&& value() const&& {
    check();
    return std::move(*std::get_if<0>(&v_));
  }
  ///@}
  ///@{
  /// value(): the value.
  /// \throws bad_result_access when this holds an error.
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T&& operator*() const&& { return std::move(*this).value(); }
  ///@}
  ///@{
  /// The value's members.
  /// \throws bad_result_access when this holds an error.
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  ///@}

  ///@{
  /// The value, or fallback converted to T when this holds an error.
  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  T value_or(U&& fallback) && {
    return has_value() ? std::move(*std::get_if<0>(&v_)) : static_cast<T>(std::forward<U>(fallback));
  }
  ///@}

  ///@{
  /// The error.
  /// \throws std::bad_variant_access when this holds a value.
  const error& err() const& { return std::get<1>(v_); }
  error&& err() && { return std::get<1>(std::move(v_)); }
  ///@}

 private:
  void check() const {
    if (!has_value()) detail::throw_bad_result_access(*std::get_if<1>(&v_));
  }

  std::variant<T, error> v_;
};

/// Success or an error, for calls that return nothing.
template <>
class [[nodiscard]] result<void> {
 public:
  /// Success.
  result() = default;
  /// The error e.
  result(error e) : err_(std::move(e)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  /// True on success.
  bool has_value() const noexcept { return ok_; }
  /// has_value().
  explicit operator bool() const noexcept { return ok_; }
  /// Nothing on success.
  /// \throws bad_result_access on an error.
  void value() const {
    if (!ok_) detail::throw_bad_result_access(err_);
  }
  ///@{
  /// The error; on a success an empty error (no code, no context).
  const error& err() const& { return err_; }
  error&& err() && { return std::move(err_); }
  ///@}

 private:
  error err_;
  bool ok_ = true;
};

}  // namespace daemonkit
DAEMONKIT_API_END

/// Makes daemonkit::errc a std::error_code enum: an errc compares equal to,
/// and converts to, a std::error_code.
template <>
struct std::is_error_code_enum<daemonkit::errc> : std::true_type {};
