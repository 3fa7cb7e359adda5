#include "supervisor/service_logs.hpp"

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
  (void)service_user;
  log_options lo;
  lo.path = path;
  lo.max_size = cfg.log_max_size;
  lo.keep = cfg.log_keep;
  lo.timestamps = cfg.timestamps;
  return log_file::open(lo);
}

}  // namespace daemonkit
