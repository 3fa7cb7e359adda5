#include "paths.hpp"

#include "daemonkit/trusted_path.hpp"

#include <cerrno>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace dk {

using daemonkit::errc;
using daemonkit::make_error;
using daemonkit::system_error;

bool valid_service_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string absolute_path(const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return p;
  return std::string(cwd) + "/" + p;
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

namespace {
daemonkit::result<void> make_parents(const std::string& dir, mode_t mode) {
  for (size_t i = 1; i < dir.size(); ++i) {
    if (dir[i] != '/') continue;
    std::string part = dir.substr(0, i);
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return system_error("cannot create directory " + part);
  }
  return {};
}

daemonkit::result<void> check_private_dir(const std::string& dir, bool create) {
  if (dir.empty()) return make_error(errc::invalid_argument, "state directory is empty");
  if (create) {
    if (auto r = make_parents(dir, 0755); !r) return r;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return system_error("cannot create state directory " + dir);
  }
  // lstat("link/") follows the link: check the name without trailing slashes.
  std::string name = dir;
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  struct stat st {};
  if (::lstat(name.c_str(), &st) != 0) return system_error("cannot use state directory " + dir);
  if (S_ISLNK(st.st_mode)) {
    return make_error(errc::invalid_argument, "state directory " + dir + " is a symbolic link; refusing to use it");
  }
  if (!S_ISDIR(st.st_mode)) return make_error(errc::invalid_argument, "state directory " + dir + " is not a directory");
  if (st.st_uid != ::geteuid()) {
    return make_error(errc::invalid_argument, "state directory " + dir + " is owned by uid " +
                                                  std::to_string(st.st_uid) + ", not by you (uid " +
                                                  std::to_string(::geteuid()) + "); refusing to use it");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return make_error(errc::invalid_argument, "state directory " + dir + " is writable by others; refusing to use it");
  }
  return {};
}
}  // namespace

daemonkit::result<void> ensure_private_dir(const std::string& dir, bool create) {
  auto r = check_private_dir(dir, create);
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

service_paths paths_for(const std::string& state_dir, const std::string& name) {
  std::string base = state_dir + "/" + name;
  return {base + ".pid", base + ".state", base + ".json"};
}

}  // namespace dk
