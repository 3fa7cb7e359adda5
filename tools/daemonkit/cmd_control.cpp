// SPDX-License-Identifier: MIT
// stop, reload, signal, reopen, remove: parse, call daemonkit/supervised.hpp, print.
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "daemonkit/signal_name.hpp"
#include "daemonkit/supervised.hpp"
#include "daemonkit/units.hpp"

namespace dk {

namespace {

using daemonkit::service_view;

// Looks a service up for a control command; nullopt after printing why not.
std::optional<service_view> find(const common_options& o, const std::string& name, int& rc) {
  if (!daemonkit::valid_service_name(name)) {
    rc = usage_error("invalid service name '" + name + "'");
    return std::nullopt;
  }
  auto dir = state_dir(o, false);
  if (!dir) {
    complain(name, dir.err().message());
    rc = exit_failure;
    return std::nullopt;
  }
  auto v = daemonkit::inspect_service(*dir, name);
  if (v.what == service_view::kind::error) {
    complain(name, v.error);
    rc = exit_failure;
    return std::nullopt;
  }
  return v;
}

}  // namespace

int cmd_stop(const common_options& o, const std::string& name, const std::string& timeout_text) {
  int rc = exit_ok;
  auto v = find(o, name, rc);
  if (!v) return rc;
  std::optional<std::chrono::milliseconds> timeout;
  if (!timeout_text.empty()) {
    auto d = daemonkit::parse_duration(timeout_text);
    if (!d) return usage_error("--timeout: " + d.err().message());
    timeout = *d;
  }
  auto r = daemonkit::stop_service(*v, timeout);
  if (!r) {
    complain(name, r.err().message());
    return exit_failure;
  }
  if (r->remaining > 0) {
    complain(name, daemonkit::describe_remaining(r->remaining, r->remaining_pids) +
                       (r->unsupervised ? " in its session" : "; still stopping"));
    return exit_failure;
  }
  if (!r->was_running) std::printf("%s: not running\n", name.c_str());
  else if (r->unsupervised)
    std::printf("%s: stopped (pid %d, was unsupervised)\n", name.c_str(), static_cast<int>(r->pid));
  else if (r->pid > 0) std::printf("%s: stopped (pid %d)\n", name.c_str(), static_cast<int>(r->pid));
  else std::printf("%s: stopped\n", name.c_str());
  // Stopped all the same (exit 0), but not the way it was asked to: a
  // database killed mid-write is worth a line of its own.
  if (r->escalated) {
    std::string what = r->pid > 0 ? "stopped (pid " + std::to_string(r->pid) + ") " : "stopped ";
    std::fflush(stdout);
    complain(name, what + "with SIGKILL: still running " + daemonkit::format_duration(r->timeout) + " after " +
                       daemonkit::signal_name(r->stop_signal));
  }
  return exit_ok;
}

std::string config_check_failure(const daemonkit::config_check_result& check) {
  // The command's own lines, each shown (escaped by complain) on a line of
  // its own: nginx -t and sshd -t say what is wrong over several lines.
  std::string text = "config check failed (" + check.why + ")";
  std::string_view output = check.output;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.remove_suffix(1);
  bool first = true;
  while (!output.empty()) {
    auto nl = output.find('\n');
    text += (first ? ": " : "\n    ") + std::string(output.substr(0, nl));
    first = false;
    if (nl == std::string_view::npos) break;
    output.remove_prefix(nl + 1);
  }
  return text;
}

int cmd_reload(const common_options& o, const std::string& name) {
  int rc = exit_ok;
  auto v = find(o, name, rc);
  if (!v) return rc;
  auto r = daemonkit::reload_service(*v);
  if (!r) {
    complain(name, r.err().message());
    return exit_failure;
  }
  using outcome = daemonkit::reload_result::outcome;
  const std::string pid = std::to_string(r->pid);
  const std::string sig = "SIG" + daemonkit::signal_name(r->signal);
  switch (r->what) {
    case outcome::reloaded:
      std::printf("%s: reloaded (pid %d)\n", name.c_str(), static_cast<int>(r->pid));
      return exit_ok;
    case outcome::no_reload: complain(name, "has no reload (--reload-signal none)"); return exit_failure;
    case outcome::check_failed: complain(name, config_check_failure(r->check)); return exit_failure;
    case outcome::exited:
      complain(name, "reload failed: pid " + pid + " exited " +
                         (r->announced ? "while reloading, after " + sig
                                       : "within " + daemonkit::format_duration(r->reload_timeout) + " of " + sig));
      return exit_failure;
    case outcome::timed_out:
      complain(name, "reload failed: pid " + pid + " said RELOADING=1 but not READY=1 within " +
                         daemonkit::format_duration(r->ready_timeout));
      return exit_failure;
    case outcome::refused:
      // Its own words ("reload failed: WHY"), escaped by complain; the
      // service runs on with what it had.
      complain(name, r->status_text + " (pid " + pid + " runs on with its previous configuration)");
      return exit_failure;
  }
  return exit_failure;
}

int cmd_signal(const common_options& o, const std::string& name, const std::string& signal_text) {
  auto sig = daemonkit::parse_signal(signal_text);
  if (!sig) return usage_error(sig.err().message());
  int rc = exit_ok;
  auto v = find(o, name, rc);
  if (!v) return rc;
  auto pid = daemonkit::signal_service(*v, *sig);
  if (!pid) {
    complain(name, pid.err().message());
    return exit_failure;
  }
  std::printf("%s: sent SIG%s to pid %d\n", name.c_str(), daemonkit::signal_name(*sig).c_str(), static_cast<int>(*pid));
  return exit_ok;
}

int cmd_reopen(const common_options& o, const std::string& name) {
  int rc = exit_ok;
  auto v = find(o, name, rc);
  if (!v) return rc;
  if (auto r = daemonkit::reopen_service_logs(*v); !r) {
    complain(name, r.err().message());
    return exit_failure;
  }
  std::printf("%s: reopening logs\n", name.c_str());
  return exit_ok;
}

int cmd_remove(const common_options& o, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (!daemonkit::valid_service_name(n)) return usage_error("invalid service name '" + n + "'");
  }
  auto dir = state_dir(o, false);
  if (!dir) {
    complain("", dir.err().message());
    return exit_failure;
  }
  int rc = exit_ok;
  for (const auto& n : names) {
    if (auto r = daemonkit::remove_service(*dir, n); !r) {
      complain(n, r.err().message());
      rc = exit_failure;
    } else {
      std::printf("%s: removed\n", n.c_str());
    }
  }
  return rc;
}

}  // namespace dk
