// SPDX-License-Identifier: MIT
// daemonkit::service_config_from_json (service_codec.hpp): NAME.json, the
// stored options of a service, read back by restart/status/logs.
//
// An input is a NAME.json to read, or, when it starts with a NUL byte (never
// valid JSON), the bytes to build a service_config from: every text field
// with any bytes but NUL (argv, the environment and paths are bytes, not
// UTF-8). Its NAME.json is valid UTF-8 JSON and reads back as the same
// config, byte for byte:
// service_config_from_json(service_config_to_json(c)) == c.
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/resource.h>

#include <fuzzer/FuzzedDataProvider.h>
#include <nlohmann/json.hpp>

#include "daemonkit/service_codec.hpp"
#include "fuzz_check.hpp"

namespace {
bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

using daemonkit::service_config;
using std::chrono::milliseconds;

// Every field NAME.json stores.
bool same(const service_config& a, const service_config& b) {
  return a.name == b.name && a.argv == b.argv && a.env == b.env && a.working_directory == b.working_directory &&
         a.umask == b.umask && a.user == b.user && a.chroot == b.chroot && a.nice == b.nice && a.rlimits == b.rlimits &&
         a.ready == b.ready && a.ready_fd == b.ready_fd && a.ready_timeout == b.ready_timeout &&
         a.stop_signal == b.stop_signal && a.stop_timeout == b.stop_timeout && a.kill == b.kill &&
         a.reload_signal == b.reload_signal && a.respawn.mode == b.respawn.mode &&
         a.respawn.max_delay == b.respawn.max_delay && a.respawn.min_uptime == b.respawn.min_uptime &&
         a.respawn.limit == b.respawn.limit && a.respawn.window == b.respawn.window && a.log_file == b.log_file &&
         a.stdout_file == b.stdout_file && a.stderr_file == b.stderr_file && a.log_max_size == b.log_max_size &&
         a.log_keep == b.log_keep && a.timestamps == b.timestamps && a.ready_check == b.ready_check &&
         a.ready_pidfile == b.ready_pidfile && a.health == b.health && a.health_interval == b.health_interval &&
         a.health_timeout == b.health_timeout && a.health_retries == b.health_retries &&
         a.check_config == b.check_config && a.reload_timeout == b.reload_timeout && a.runtime_dir == b.runtime_dir;
}

// Any bytes but NUL (which no C string, hence no argv, can hold).
std::string bytes_from(FuzzedDataProvider& in) {
  std::string s = in.ConsumeRandomLengthString(40);
  for (char& c : s) {
    if (c == '\0') c = '\x01';
  }
  return s;
}

std::vector<std::string> list_from(FuzzedDataProvider& in, size_t min) {
  std::vector<std::string> v(in.ConsumeIntegralInRange<size_t>(min, 6));
  for (auto& s : v) s = bytes_from(in);
  return v;
}

// USER[:GROUP] parts: any bytes but the separators and what
// parse_user_spec refuses (NUL, newline, '/').
std::string name_from(FuzzedDataProvider& in) {
  std::string s = bytes_from(in);
  for (char& c : s) {
    if (c == ':' || c == '\n' || c == '/') c = '_';
  }
  return s;
}

std::optional<daemonkit::user_spec> user_from(FuzzedDataProvider& in) {
  if (!in.ConsumeBool()) return std::nullopt;
  daemonkit::user_spec u{name_from(in), in.ConsumeBool() ? name_from(in) : std::string()};
  if (u.user.empty()) u.user = "u";
  return u;
}

// A limit parse_rlimit accepts: soft at most hard, either may be unlimited
// (soft only when hard is).
std::vector<daemonkit::rlimit_setting> rlimits_from(FuzzedDataProvider& in) {
  std::vector<daemonkit::rlimit_setting> v(in.ConsumeIntegralInRange<size_t>(0, 4));
  for (auto& l : v) {
    l.resource = in.PickValueInArray({RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_LOCKS,
                                      RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC,
                                      RLIMIT_RSS, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK});
    l.value.rlim_max = in.ConsumeBool() ? RLIM_INFINITY : in.ConsumeIntegral<rlim_t>();
    l.value.rlim_cur = in.ConsumeBool() && l.value.rlim_max == RLIM_INFINITY
                           ? RLIM_INFINITY
                           : in.ConsumeIntegralInRange<rlim_t>(
                                 0, l.value.rlim_max == RLIM_INFINITY ? RLIM_INFINITY - 1 : l.value.rlim_max);
  }
  return v;
}

// A check parse_check accepts, or none.
std::optional<daemonkit::check_spec> check_from(FuzzedDataProvider& in) {
  if (!in.ConsumeBool()) return std::nullopt;
  static constexpr const char* schemes[] = {"tcp:", "http://", "cmd:"};
  auto spec = daemonkit::parse_check(std::string(in.PickValueInArray(schemes)) + bytes_from(in));
  if (!spec) return std::nullopt;
  return *spec;
}

milliseconds duration_from(FuzzedDataProvider& in) {
  return milliseconds(in.ConsumeIntegralInRange<long long>(0, 9'000'000'000'000'000LL));
}

void check_round_trip(FuzzedDataProvider& in) {
  service_config c;
  c.name = bytes_from(in);
  c.argv = list_from(in, 1);
  if (c.argv[0].empty()) c.argv[0] = "x";
  c.env = list_from(in, 0);
  c.working_directory = bytes_from(in);
  c.umask = in.ConsumeIntegralInRange<int>(0, 0777);
  c.user = user_from(in);
  c.chroot = bytes_from(in);
  c.nice = in.ConsumeIntegralInRange<int>(-40, 40);
  c.rlimits = rlimits_from(in);
  c.ready = in.PickValueInArray({daemonkit::ready_mode::exec, daemonkit::ready_mode::notify, daemonkit::ready_mode::fd,
                                 daemonkit::ready_mode::check, daemonkit::ready_mode::pidfile});
  c.ready_fd = c.ready == daemonkit::ready_mode::fd ? in.ConsumeIntegralInRange<int>(3, 1023) : -1;
  c.ready_check = check_from(in);
  if (c.ready == daemonkit::ready_mode::check && !c.ready_check)
    c.ready_check = daemonkit::check_spec{daemonkit::check_spec::kind::tcp, "127.0.0.1", 80, {}, {}};
  c.ready_pidfile = c.ready == daemonkit::ready_mode::pidfile ? "/" + bytes_from(in) : std::string();
  c.health = check_from(in);
  c.health_interval = duration_from(in);
  c.health_timeout = duration_from(in);
  c.health_retries = in.ConsumeIntegralInRange<unsigned>(1, 1'000'000);
  c.check_config = bytes_from(in);
  c.reload_timeout = duration_from(in);
  c.runtime_dir = in.ConsumeBool() ? "run.dir-" + std::to_string(in.ConsumeIntegral<std::uint16_t>()) : std::string();
  c.ready_timeout = duration_from(in);
  c.stop_signal = in.ConsumeIntegralInRange<int>(1, NSIG - 1);
  c.stop_timeout = duration_from(in);
  c.kill =
      in.PickValueInArray({daemonkit::kill_mode::group, daemonkit::kill_mode::process, daemonkit::kill_mode::mixed});
  c.reload_signal = in.ConsumeIntegralInRange<int>(0, NSIG - 1);
  c.respawn.mode = in.PickValueInArray(
      {daemonkit::respawn_mode::never, daemonkit::respawn_mode::always, daemonkit::respawn_mode::on_failure});
  c.respawn.max_delay = duration_from(in);
  c.respawn.min_uptime = duration_from(in);
  c.respawn.limit = in.ConsumeIntegralInRange<unsigned>(0, 1'000'000'000);
  c.respawn.window = duration_from(in);
  c.log_file = bytes_from(in);
  c.stdout_file = bytes_from(in);
  c.stderr_file = bytes_from(in);
  c.log_max_size = in.ConsumeIntegralInRange<std::uint64_t>(0, 9'000'000'000'000'000'000ULL);
  c.log_keep = in.ConsumeIntegralInRange<unsigned>(0, 1000);
  c.timestamps = in.ConsumeBool();

  const std::string written = daemonkit::service_config_to_json(c);
  // Valid JSON, which for nlohmann includes valid UTF-8.
  DAEMONKIT_FUZZ_CHECK(nlohmann::json::accept(written));
  auto back = daemonkit::service_config_from_json(written);
  DAEMONKIT_FUZZ_CHECK(back.has_value());
  DAEMONKIT_FUZZ_CHECK(same(*back, c));
  DAEMONKIT_FUZZ_CHECK(daemonkit::service_config_to_json(*back) == written);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 0 && data[0] == 0) {
    FuzzedDataProvider in(data + 1, size - 1);
    check_round_trip(in);
    return 0;
  }
  const std::string_view text = daemonkit::fuzz::as_text(data, size);
  auto c = daemonkit::service_config_from_json(text);
  if (!c) {
    DAEMONKIT_FUZZ_CHECK(c.err().code == daemonkit::errc::invalid_argument);
    return 0;
  }
  // What the monitor will act on is sane.
  DAEMONKIT_FUZZ_CHECK(!c->argv.empty() && !c->argv[0].empty());
  DAEMONKIT_FUZZ_CHECK(c->stop_signal > 0 && c->stop_signal < NSIG);
  DAEMONKIT_FUZZ_CHECK(c->reload_signal >= 0 && c->reload_signal < NSIG);  // 0: no reload
  DAEMONKIT_FUZZ_CHECK(c->umask >= 0 && c->umask <= 0777);
  DAEMONKIT_FUZZ_CHECK(c->ready_timeout.count() >= 0 && c->stop_timeout.count() >= 0);
  DAEMONKIT_FUZZ_CHECK(c->respawn.max_delay.count() >= 0 && c->respawn.window.count() >= 0 &&
                       c->respawn.min_uptime.count() >= 0);
  if (c->ready == daemonkit::ready_mode::fd) DAEMONKIT_FUZZ_CHECK(c->ready_fd >= 3 && c->ready_fd <= 1023);

  // Strings reach execve, open and getpwnam as C strings: a NUL would cut
  // them short there, so none may get through.
  for (const auto& a : c->argv) DAEMONKIT_FUZZ_CHECK(!has_nul(a));
  for (const auto& e : c->env) DAEMONKIT_FUZZ_CHECK(!has_nul(e));
  for (const std::string* f :
       {&c->name, &c->working_directory, &c->chroot, &c->log_file, &c->stdout_file, &c->stderr_file}) {
    DAEMONKIT_FUZZ_CHECK(!has_nul(*f));
  }
  if (c->user) DAEMONKIT_FUZZ_CHECK(!c->user->user.empty() && !has_nul(c->user->user) && !has_nul(c->user->group));
  // Limits the child's setrlimit accepts: soft at most hard.
  for (const auto& l : c->rlimits) {
    DAEMONKIT_FUZZ_CHECK(l.value.rlim_max == RLIM_INFINITY ||
                         (l.value.rlim_cur != RLIM_INFINITY && l.value.rlim_cur <= l.value.rlim_max));
  }
  // Numbers are taken exactly as stored, never truncated or rounded: a
  // corrupt "stop_signal": 4294967305 must not become 9 (KILL).
  const auto j = nlohmann::json::parse(text);
  auto stored_exactly = [&](const char* key, long long parsed) {
    if (!j.contains(key)) return true;
    return j.at(key).is_number_integer() && j.at(key).get<long long>() == parsed;
  };
  DAEMONKIT_FUZZ_CHECK(stored_exactly("umask", c->umask));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("stop_signal", c->stop_signal));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("reload_signal", c->reload_signal));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("nice", c->nice));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("stop_timeout_ms", c->stop_timeout.count()));
  DAEMONKIT_FUZZ_CHECK(stored_exactly("respawn_min_uptime_ms", c->respawn.min_uptime.count()));

  // What the tool writes reads back as the same options.
  const std::string written = daemonkit::service_config_to_json(*c);
  auto again = daemonkit::service_config_from_json(written);
  DAEMONKIT_FUZZ_CHECK(again.has_value());
  DAEMONKIT_FUZZ_CHECK(daemonkit::service_config_to_json(*again) == written);
  return 0;
}
