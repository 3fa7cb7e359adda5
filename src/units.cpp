// SPDX-License-Identifier: MIT
#include "daemonkit/units.hpp"

#include <charconv>
#include <cstdint>
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

// "12.5ms" as 12, 5 (one fraction digit) and "ms". Digits only: no sign, no
// exponent; at least one digit, at most one point.
struct decimal {
  std::uint64_t whole = 0;
  std::uint64_t fraction = 0;        // the first max_fraction_digits digits after the point
  std::uint64_t fraction_scale = 1;  // 10^(digits kept)
  std::string_view unit;
};
// Beyond 10 digits a fraction is below a nanosecond of any unit we know.
constexpr int max_fraction_digits = 10;

bool split_number(std::string_view t, decimal& d) {
  size_t i = 0;
  bool digits = false;
  for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, digits = true) {
    if (d.whole > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return false;
    d.whole = d.whole * 10 + static_cast<std::uint64_t>(t[i] - '0');
  }
  if (i < t.size() && t[i] == '.') {
    int kept = 0;
    for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i, digits = true) {
      if (kept == max_fraction_digits) continue;
      d.fraction = d.fraction * 10 + static_cast<std::uint64_t>(t[i] - '0');
      d.fraction_scale *= 10;
      ++kept;
    }
  }
  if (!digits) return false;
  d.unit = t.substr(i);
  return true;
}
}  // namespace

// Exact integer arithmetic, rounded half up to the millisecond: no floating
// point (whose parsing would also make every program of ours load libm).
result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto bad = [&] {
    return make_error(errc::invalid_argument,
                      "invalid duration '" + std::string(text) + "' (expected e.g. 500ms, 10s, 2m, 1h)");
  };
  decimal d;
  if (!split_number(text, d)) return bad();
  std::uint64_t scale = 0;
  if (d.unit.empty() || iequals(d.unit, "s") || iequals(d.unit, "sec")) scale = 1000;
  else if (iequals(d.unit, "ms")) scale = 1;
  else if (iequals(d.unit, "m") || iequals(d.unit, "min")) scale = 60'000;
  else if (iequals(d.unit, "h")) scale = 3'600'000;
  else if (iequals(d.unit, "d")) scale = 86'400'000;
  else return bad();
  // Cap at ~292 years worth of ms; anything larger is a typo, not a wish.
  constexpr std::uint64_t cap = 9'200'000'000'000'000ULL;
  if (d.whole > cap / scale) return bad();
  // fraction < 10^10 and scale < 10^8: the product fits in 64 bits.
  const std::uint64_t part = d.fraction * scale;
  std::uint64_t ms = d.whole * scale + part / d.fraction_scale;
  if ((part % d.fraction_scale) * 2 >= d.fraction_scale) ++ms;
  if (ms > cap) return bad();
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
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
