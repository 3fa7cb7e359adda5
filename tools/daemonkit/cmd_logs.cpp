// logs: the last lines of a service's log, optionally following it.
#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.hpp"
#include "config_json.hpp"
#include "daemonkit/log_tail.hpp"
#include "service_view.hpp"

namespace dk {

int cmd_logs(const common_options& o, const std::string& name, long lines, bool follow) {
  if (!valid_service_name(name)) return usage_error("invalid service name '" + name + "'");
  auto dir = state_dir(o, false);
  if (!dir) {
    complain(name, dir.err().message());
    return exit_failure;
  }
  auto v = inspect_service(*dir, name);
  if (!v.config) {
    auto config = read_config(v.paths.config);  // says why: missing, or which field is bad
    std::string why = v.what == service_view::kind::error                           ? v.error
                      : config || config.err().code == daemonkit::errc::not_running ? "no such service"
                                                                                    : config.err().message();
    complain(name, why);
    return exit_failure;
  }
  const auto& c = *v.config;
  std::string path = !c.log_file.empty() ? c.log_file : !c.stdout_file.empty() ? c.stdout_file : c.stderr_file;
  if (path.empty()) {
    complain(name, "has no log file (its output went to the terminal of 'daemonkit run')");
    return exit_failure;
  }
  struct stat st {};
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists) {
    auto text = daemonkit::read_last_lines(path, static_cast<size_t>(lines));
    if (!text) {
      complain(name, text.err().message());
      return exit_failure;
    }
    std::fwrite(text->data(), 1, text->size(), stdout);
    std::fflush(stdout);
  } else if (!follow) {
    complain(name, "no log yet at " + path);
    return exit_failure;
  }
  if (!follow) return exit_ok;
  auto r = daemonkit::follow_file(
      path, exists ? static_cast<std::uint64_t>(st.st_size) : 0,
      [](std::string_view data) {
        std::fwrite(data.data(), 1, data.size(), stdout);
        std::fflush(stdout);
        return !std::ferror(stdout);
      },
      exists ? static_cast<std::uint64_t>(st.st_ino) : 0);
  if (!r) {
    complain(name, r.err().message());
    return exit_failure;
  }
  return exit_ok;
}

}  // namespace dk
