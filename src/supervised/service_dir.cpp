// SPDX-License-Identifier: MIT
#include "daemonkit/service_dir.hpp"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace daemonkit {

bool valid_service_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

service_paths service_paths_for(const std::string& state_dir, const std::string& name) {
  std::string base = state_dir + "/" + name;
  return {base + ".pid", base + ".state", base + ".json"};
}

std::vector<std::string> list_service_names(const std::string& state_dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(state_dir.c_str())) {
    while (struct dirent* e = ::readdir(d)) {
      std::string_view f = e->d_name;
      for (std::string_view ext : {".json", ".state", ".pid"}) {
        if (f.size() > ext.size() && f.substr(f.size() - ext.size()) == ext) {
          std::string_view n = f.substr(0, f.size() - ext.size());
          if (valid_service_name(n)) names.emplace_back(n);
        }
      }
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

namespace {
result<void> make_parents(const std::string& dir, mode_t mode) {
  for (size_t i = 1; i < dir.size(); ++i) {
    if (dir[i] != '/') continue;
    std::string part = dir.substr(0, i);
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return system_error("cannot create directory " + part);
  }
  return {};
}
}  // namespace

result<void> ensure_state_dir(const std::string& dir, bool create) {
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

}  // namespace daemonkit
