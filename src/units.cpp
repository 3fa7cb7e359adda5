#include "daemonkit/units.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace daemonkit {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

// Splits "12.5ms" into a non-negative decimal number and its unit suffix.
bool split_number(std::string_view t, double& value, std::string_view& unit) {
  size_t i = 0;
  while (i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.')) ++i;
  if (i == 0) return false;
  auto [p, ec] = std::from_chars(t.data(), t.data() + i, value);
  if (ec != std::errc() || p != t.data() + i || !std::isfinite(value) || value < 0) return false;
  unit = t.substr(i);
  return true;
}
}  // namespace

result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid_argument,
                      "invalid duration '" + std::string(text) + "' (expected e.g. 500ms, 10s, 2m, 1h)");
  };
  double v = 0;
  std::string_view unit;
  if (!split_number(text, v, unit)) return bad();
  double scale = 0;
  if (unit.empty() || iequals(unit, "s") || iequals(unit, "sec")) scale = 1000;
  else if (iequals(unit, "ms")) scale = 1;
  else if (iequals(unit, "m") || iequals(unit, "min")) scale = 60'000;
  else if (iequals(unit, "h")) scale = 3'600'000;
  else if (iequals(unit, "d")) scale = 86'400'000;
  else return bad();
  double ms = v * scale;
  // Cap at ~292 years worth of ms; anything larger is a typo, not a wish.
  if (ms > 9.2e15) return bad();
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

result<std::uint64_t> parse_size(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid_argument, "invalid size '" + std::string(text) + "' (expected e.g. 512K, 10M, 1G)");
  };
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p == text.data()) return bad();
  std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  std::uint64_t scale = 0;
  if (unit.empty() || iequals(unit, "b")) scale = 1;
  else if (iequals(unit, "k") || iequals(unit, "kb") || iequals(unit, "kib")) scale = 1ULL << 10;
  else if (iequals(unit, "m") || iequals(unit, "mb") || iequals(unit, "mib")) scale = 1ULL << 20;
  else if (iequals(unit, "g") || iequals(unit, "gb") || iequals(unit, "gib")) scale = 1ULL << 30;
  else if (iequals(unit, "t") || iequals(unit, "tb") || iequals(unit, "tib")) scale = 1ULL << 40;
  else return bad();
  if (v > std::numeric_limits<std::uint64_t>::max() / scale) return bad();
  return v * scale;
}

result<mode_t> parse_umask(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid_argument, "invalid umask '" + std::string(text) + "' (expected octal, e.g. 022)");
  };
  if (text.empty() || text.size() > 4) return bad();
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 8);
  if (ec != std::errc() || p != text.data() + text.size() || v > 0777) return bad();
  return static_cast<mode_t>(v);
}

std::string format_duration(std::chrono::milliseconds d) {
  auto total = d.count();
  if (total < 0) total = 0;
  if (total < 1000) return std::to_string(total) + "ms";
  auto s = total / 1000;
  const std::pair<long long, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  int shown = 0;
  for (const auto& [len, name] : units) {
    long long n = s / len;
    if (n == 0 && shown == 0) continue;
    if (shown == 1 && n == 0) break;
    out += std::to_string(n) + name;
    s -= n * len;
    if (++shown == 2) break;
  }
  return out;
}

}  // namespace daemonkit
