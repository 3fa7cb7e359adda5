// SPDX-License-Identifier: MIT
#include "daemonkit/service_phase.hpp"

#include <array>
#include <utility>

namespace daemonkit {

namespace {

// The one table of the words: to_string and parse_service_phase both read it.
constexpr std::array<std::pair<service_phase, std::string_view>, 8> words{{
    {service_phase::starting, "starting"},
    {service_phase::running, "running"},
    {service_phase::reloading, "reloading"},
    {service_phase::backoff, "backoff"},
    {service_phase::stopping, "stopping"},
    {service_phase::stopped, "stopped"},
    {service_phase::exited, "exited"},
    {service_phase::failed, "failed"},
}};

}  // namespace

std::string_view to_string(service_phase p) noexcept {
  for (const auto& [phase, word] : words) {
    if (phase == p) return word;
  }
  return "unknown";
}

std::optional<service_phase> parse_service_phase(std::string_view word) noexcept {
  for (const auto& [phase, w] : words) {
    if (w == word) return phase;
  }
  return std::nullopt;
}

bool is_live(service_phase p) noexcept {
  switch (p) {
    case service_phase::starting:
    case service_phase::running:
    case service_phase::reloading:
    case service_phase::backoff:
    case service_phase::stopping: return true;
    case service_phase::stopped:
    case service_phase::exited:
    case service_phase::failed: return false;
  }
  return false;
}

std::string_view to_string(service_health h) noexcept {
  switch (h) {
    case service_health::none: return "";
    case service_health::starting: return "starting";
    case service_health::healthy: return "healthy";
    case service_health::unhealthy: return "unhealthy";
  }
  return "";
}

std::optional<service_health> parse_service_health(std::string_view word) noexcept {
  for (auto h : {service_health::none, service_health::starting, service_health::healthy, service_health::unhealthy}) {
    if (to_string(h) == word) return h;
  }
  return std::nullopt;
}

}  // namespace daemonkit
