// SPDX-License-Identifier: MIT
// logs: the last lines of a service's log, optionally following it.
#include <cerrno>
#include <cstdio>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.hpp"
#include "daemonkit/detail/trusted_path.hpp"
#include "daemonkit/log_tail.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/supervised.hpp"
#include "paths.hpp"

namespace dk {

int cmd_logs(const common_options& o, const std::string& name, long lines, bool follow) {
  if (!daemonkit::valid_service_name(name)) return usage_error("invalid service name '" + name + "'");
  auto dir = state_dir(o, false);
  if (!dir) {
    complain(name, dir.err().message());
    return exit_failure;
  }
  auto v = daemonkit::inspect_service(*dir, name);
  if (!v.config) {
    auto config = daemonkit::read_service_config(v.paths.config);  // says why: missing, or which field is bad
    std::string why = v.what == daemonkit::service_view::kind::error                ? v.error
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
  // Reading as root through a directory the service's user controls could
  // print any file (a symlink or hard link it planted): check the way as the
  // monitor does before writing, and read as that user where it owns it.
  std::optional<daemonkit::credentials> user;
  if (c.user) {
    if (auto creds = daemonkit::resolve_credentials(c.user->user, c.user->group)) user = std::move(*creds);
  }
  daemonkit::path_trust trust;
  if (user && user->uid != ::geteuid()) trust.service_user = &*user;
  auto slash = path.rfind('/');
  std::string log_dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  auto checked = daemonkit::open_checked_dir(log_dir, trust);
  if (!checked && !(checked.err().code == std::error_code(ENOENT, std::system_category()))) {
    complain(name, "cannot read log " + path + ": " + checked.err().message());
    return exit_failure;
  }
  std::optional<daemonkit::fs_identity_scope> as;
  if (checked && checked->service_owned) {
    auto scope = daemonkit::fs_identity_scope::enter(&*user);
    if (!scope) {
      complain(name, scope.err().message());
      return exit_failure;
    }
    as.emplace(std::move(*scope));
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
