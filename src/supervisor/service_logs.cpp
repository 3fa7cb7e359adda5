// SPDX-License-Identifier: MIT
#include "supervisor/service_logs.hpp"

#include <unistd.h>

#include "daemonkit/detail/trusted_path.hpp"

namespace daemonkit {

std::string stdout_log_path(const service_config& cfg) {
  if (cfg.passthrough) return {};
  return cfg.stdout_file.empty() ? cfg.log_file : cfg.stdout_file;
}

std::string stderr_log_path(const service_config& cfg) {
  if (cfg.passthrough) return {};
  return cfg.stderr_file.empty() ? cfg.log_file : cfg.stderr_file;
}

result<log_file> open_service_log(const service_config& cfg, const std::string& path, const credentials* service_user) {
  // The directory is walked and checked once here; log_file then does every
  // open, rename and unlink relative to it, as the service's user when that
  // user controls it (see trusted_path.hpp).
  path_trust trust;
  if (service_user != nullptr && service_user->uid != ::geteuid()) trust.service_user = service_user;
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  auto checked = open_checked_dir(dir, trust);
  if (!checked) {
    error e = std::move(checked).err();
    e.context = "cannot open log " + path + ": " + e.context;
    return e;
  }
  log_options lo;
  lo.path = path;
  lo.dir_fd = checked->fd.get();
  lo.shared_dir = checked->shared;
  if (checked->service_owned) lo.identity = *service_user;
  lo.max_size = cfg.log_max_size;
  lo.keep = cfg.log_keep;
  lo.timestamps = cfg.timestamps;
  return log_file::open(lo);
}

}  // namespace daemonkit
