// SPDX-License-Identifier: MIT
#include "supervisor/runtime_dir.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "sys/sys.hpp"

namespace daemonkit::supervisor {

namespace {

constexpr int k_dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Removes every entry of the directory open as dir, depth first, staying on
// device dev. Best effort: what cannot be removed stays.
void remove_entries(int dir, dev_t dev, int depth) {
  if (depth > 64) return;
  int copy = sys::dup_cloexec(dir);
  if (copy < 0) return;
  DIR* d = ::fdopendir(copy);
  if (d == nullptr) {
    sys::close(copy);
    return;
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  for (const auto& n : names) {
    struct stat st {};
    if (::fstatat(dir, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
      unique_fd sub(sys::openat(dir, n.c_str(), k_dir_flags));
      if (sub) remove_entries(sub.get(), dev, depth + 1);
      ::unlinkat(dir, n.c_str(), AT_REMOVEDIR);
    } else if (!S_ISDIR(st.st_mode)) {
      ::unlinkat(dir, n.c_str(), 0);
    }
  }
}

}  // namespace

result<void> runtime_dir::make(const std::string& path, uid_t uid, gid_t gid) {
  auto slash = path.rfind('/');
  if (path.empty() || path[0] != '/' || slash == std::string::npos || slash + 1 == path.size()) {
    return make_error(errc::invalid_argument, "invalid runtime directory " + path);
  }
  std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  std::string name = path.substr(slash + 1);
  unique_fd p(sys::open(parent.c_str(), k_dir_flags));
  if (!p) return system_error("cannot open " + parent);
  if (::mkdirat(p.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
    return system_error("cannot create runtime directory " + path);
  }
  unique_fd d(sys::openat(p.get(), name.c_str(), k_dir_flags));
  if (!d) return system_error("cannot open runtime directory " + path + " (not a directory?)");
  if (::fchown(d.get(), uid, gid) != 0) return system_error("cannot give runtime directory " + path + " to its user");
  if (::fchmod(d.get(), 0755) != 0) return system_error("cannot set the mode of runtime directory " + path);
  path_ = path;
  parent_ = std::move(p);
  name_ = std::move(name);
  return {};
}

void runtime_dir::remove() {
  if (!parent_) return;
  unique_fd d(sys::openat(parent_.get(), name_.c_str(), k_dir_flags));
  if (d) {
    struct stat st {};
    if (::fstat(d.get(), &st) == 0) remove_entries(d.get(), st.st_dev, 0);
  }
  ::unlinkat(parent_.get(), name_.c_str(), AT_REMOVEDIR);
  parent_.reset();
  path_.clear();
}

}  // namespace daemonkit::supervisor
