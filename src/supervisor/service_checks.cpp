// SPDX-License-Identifier: MIT
#include "supervisor/service_checks.hpp"

#include <utility>

namespace daemonkit::supervisor {

std::optional<event> service_checks::start(const check_spec& spec, const probe_context& ctx,
                                           std::chrono::milliseconds timeout) {
  cancel();
  if (timeout <= std::chrono::milliseconds(0)) timeout = std::chrono::milliseconds(1);
  auto p = probe::start(spec, ctx, timeout);
  if (!p) return ev::probed{clock::now(), false, false, p.err().message()};
  probe_.emplace(std::move(*p));
  return advance(false);
}

std::optional<event> service_checks::advance(bool fd_ready) {
  if (!probe_) return std::nullopt;
  auto due = probe_->deadline();
  if (!fd_ready && due && clock::now() < *due && !probe_->done()) return std::nullopt;
  auto verdict = probe_->advance();
  if (!verdict) return std::nullopt;
  probe_.reset();
  return ev::probed{clock::now(), verdict->ok, false, std::move(verdict->why)};
}

void service_checks::cancel() {
  if (!probe_) return;
  probe_->cancel();
  probe_.reset();
}

}  // namespace daemonkit::supervisor
