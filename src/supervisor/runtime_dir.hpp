// SPDX-License-Identifier: MIT
// --runtime-dir NAME: a directory of the service's own (systemd's
// RuntimeDirectory=), made before it starts and removed after it stops.
//
// Root makes it in /run, a directory only root writes; the service's user
// owns what is inside, so everything here goes through directory fds with
// O_NOFOLLOW: a symlink the service plants is removed as a link, never
// followed, and removal never leaves the directory's file system.
#pragma once

#include <string>
#include <sys/types.h>

#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

namespace daemonkit::supervisor {

class runtime_dir {
 public:
  // Makes path (an existing directory is reused: one that is not a real
  // directory is refused) and gives it to uid:gid, mode 0755.
  result<void> make(const std::string& path, uid_t uid, gid_t gid);
  const std::string& path() const { return path_; }
  // Removes it with everything in it; nothing when make() was not called.
  void remove();

 private:
  std::string path_;
  unique_fd parent_;
  std::string name_;
};

}  // namespace daemonkit::supervisor
