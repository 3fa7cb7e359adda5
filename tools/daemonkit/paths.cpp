// SPDX-License-Identifier: MIT
#include "paths.hpp"

#include "daemonkit/detail/trusted_path.hpp"
#include "daemonkit/service_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace dk {

using daemonkit::system_error;

std::string absolute_path(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return p;
  return std::string(cwd) + "/" + p;
}

// Where the install put the monitor: relative to this binary's directory, or
// absolute (tools/daemonkit/CMakeLists.txt, from GNUInstallDirs).
#ifndef DAEMONKIT_INSTALLED_MONITOR
#define DAEMONKIT_INSTALLED_MONITOR "../libexec/daemonkit/daemonkit-monitor"
#endif

std::string monitor_program() {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return {};
  std::string dir(self, static_cast<size_t>(n));
  dir.erase(dir.rfind('/') + 1);
  const std::string installed = DAEMONKIT_INSTALLED_MONITOR;
  for (const std::string& p : {dir + "daemonkit-monitor", installed[0] == '/' ? installed : dir + installed}) {
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

std::string default_state_dir() {
  if (const char* e = std::getenv("DAEMONKIT_STATE_DIR"); e != nullptr && *e != '\0') return e;
  if (::geteuid() == 0) return "/run/daemonkit";
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x != nullptr && *x == '/') return std::string(x) + "/daemonkit";
  return "/tmp/daemonkit-" + std::to_string(::geteuid());
}

std::string default_log_dir() {
  if (const char* e = std::getenv("DAEMONKIT_LOG_DIR"); e != nullptr && *e != '\0') return e;
  if (::geteuid() == 0) return "/var/log/daemonkit";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x != nullptr && *x == '/')
    return std::string(x) + "/daemonkit/log";
  // No /tmp fallback: another user could make that directory first and
  // plant symlinks in it. Without a home of our own the caller uses the
  // private state directory's log/.
  const char* home = std::getenv("HOME");
  struct stat st {};
  if (home == nullptr || *home != '/' || ::stat(home, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    return {};
  return std::string(home) + "/.local/state/daemonkit/log";
}

daemonkit::result<void> ensure_private_dir(const std::string& dir, bool create) {
  auto r = daemonkit::ensure_state_dir(dir, create);
  // The last-resort default lives in /tmp, where anybody may have made it
  // first: say how to get a directory nobody else can take.
  if (!r && std::getenv("DAEMONKIT_STATE_DIR") == nullptr && dir == default_state_dir() && dir.rfind("/tmp/", 0) == 0) {
    daemonkit::error e = std::move(r).err();
    e.context += " (set XDG_RUNTIME_DIR, or DAEMONKIT_STATE_DIR, to a directory only you can write)";
    return e;
  }
  return r;
}

daemonkit::result<void> ensure_log_dir(const std::string& dir, bool ours, const daemonkit::credentials* service_user) {
  // Logs may hold secrets (a root service's DB_PASSWORD=...): root's are
  // readable by its group at most, a user's by nobody else. Missing parts
  // are made by the same checked walk the monitor does before writing, so a
  // symlink the service's user planted on the way leads nowhere it could not
  // create a directory itself.
  const mode_t mode = ::geteuid() == 0 ? 0750 : 0700;
  daemonkit::path_trust trust;
  if (service_user != nullptr && service_user->uid != ::geteuid()) trust.service_user = service_user;
  trust.create_missing = true;
  trust.last_dir_mode = mode;
  auto d = daemonkit::open_checked_dir(dir, trust);
  if (!d) {
    daemonkit::error e = std::move(d).err();
    e.context = "cannot use log directory " + dir + ": " + e.context;
    return e;
  }
  // Our default directory, made looser by an older daemonkit: tighten it.
  struct stat st {};
  if (ours && ::fstat(d->fd.get(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 07777 & ~mode) != 0) {
    if (::fchmod(d->fd.get(), mode) != 0) return system_error("cannot restrict log directory " + dir);
  }
  return {};
}

}  // namespace dk
