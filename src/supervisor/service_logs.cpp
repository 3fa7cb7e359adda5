// SPDX-License-Identifier: MIT
#include "supervisor/service_logs.hpp"

#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <unistd.h>
#include <vector>

#include "daemonkit/detail/trusted_path.hpp"
#include "sys/sys.hpp"

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

void drain_to_logs(int out_fd, const std::string& out_path, int err_fd, const std::string& err_path,
                   const service_config& cfg, const credentials* service_user) {
  std::optional<log_file> out, err;
  auto open_log = [&](const std::string& path, std::optional<log_file>& into) {
    if (auto l = open_service_log(cfg, path, service_user)) into.emplace(std::move(*l));
  };
  if (out_fd >= 0) open_log(out_path, out);
  if (err_fd >= 0) open_log(err_path, err);
  for (int fd : {out_fd, err_fd}) {
    if (fd >= 0) ::fcntl(fd, F_SETFL, 0);  // blocking reads from here on
  }
  struct pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_pipes = (out_fd >= 0 ? 1 : 0) + (err_fd >= 0 ? 1 : 0);
  // On the heap: this runs once, and the pipe's whole capacity per read
  // keeps up with a service writing as fast as it can.
  std::vector<char> buf(65536);
  while (open_pipes > 0 && sys::poll(p, 2, sys::deadline::never()) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || p[i].revents == 0) continue;
      ssize_t n = sys::read(p[i].fd, buf.data(), buf.size());
      if (n <= 0) {
        p[i].fd = -1;
        --open_pipes;
        continue;
      }
      auto& log = i == 0 ? out : err;
      if (log) (void)log->write(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
  }
  if (out) (void)out->flush();
  if (err) (void)err->flush();
}

}  // namespace daemonkit
