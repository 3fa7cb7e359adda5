// SPDX-License-Identifier: MIT
// Paths a privileged process may act on without being led astray.
// Not API (include/daemonkit/detail/): a helper of the library and the daemonkit
// tool, exported but free to change in any release.
//
// Root writing a log in a directory another user can change, or reading a
// file through a symlink another user owns, can be made to write or read any
// file on the system. So before acting on a path, walk it from / one
// component at a time, resolving symlinks by hand, and look at who may
// change each step:
//  - a component (directory or symlink) owned by root or by the caller is
//    trusted;
//  - one owned by the service's user (path_trust::service_uid) is accepted,
//    but the result says so (service_owned): the caller must then act with
//    that user's credentials (fs_identity_scope), as runit runs svlogd as the
//    log user, so whatever the user redirects the path to, the kernel checks
//    the user's permissions, never root's;
//  - one owned by anybody else is refused;
//  - a directory writable by others than its owner is refused unless it is
//    sticky (like /tmp: then only the owner of an entry may move or remove
//    it, and the entry itself is checked next) or belongs to the service's
//    user. When the last directory is such a shared sticky one, the result
//    says so (shared): others may have planted names in it, so the caller
//    must refuse files there that belong to anybody else.
// The walk keeps an fd of each directory it checked, so nothing can be
// swapped between the check and the use: callers act relative to the fd
// with O_NOFOLLOW.
//
// Linux only; not thread-safe where it changes the file-system identity.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "daemonkit/credentials.hpp"
#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"
#include "daemonkit/unique_fd.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

struct path_trust {
  // The user a service runs as, when it is not the caller. What it owns is
  // accepted, and from the first component it owns on, the walk goes on with
  // its credentials (fs_identity_scope), so that what it redirects the path
  // to is looked up with its rights, never root's (a symlink to a file in a
  // directory it may not search fails as it would for the user).
  const credentials* service_user = nullptr;
  // Skip the ownership checks (symlinks are still resolved by hand): for a
  // caller that only reads what it could read anyway.
  bool check_owners = true;
  // Make missing directories on the way (mode 0755, the last one
  // last_dir_mode), relative to the checked parent, as whoever the walk is
  // acting as at that point.
  bool create_missing = false;
  mode_t last_dir_mode = 0750;
};

struct checked_dir {
  unique_fd fd;                // O_RDONLY | O_DIRECTORY | O_CLOEXEC
  bool service_owned = false;  // reached through something the service's user owns
  bool shared = false;         // sticky and writable by others: check who owns each file in it
};

// Opens directory path (relative paths start at the working directory)
// after the walk above. Errors name the component and the reason:
//   "/srv/x is owned by uid 1001 (bob), not by root, you or the service's user",
//   "/srv/x is writable by its group (it has an access ACL)",
//   "/srv/x is writable by group 50 (staff)", "/srv/x is writable by everyone"
//   (not sticky),
//   "cannot open /srv/x: No such file or directory" (system errors).
result<checked_dir> open_checked_dir(const std::string& path, const path_trust& trust);

// The directory holding file path, and the file's name in it, with every
// symlink on the way (the last component's too) resolved and checked as
// above. The file itself need not exist. Open it with openat(dir.fd, name,
// ... | O_NOFOLLOW), as the service's user when dir.service_owned, then
// check it with check_opened_file.
struct checked_location {
  checked_dir dir;
  std::string name;
};
result<checked_location> locate_checked_file(const std::string& path, const path_trust& trust);

// What a file opened in a checked directory must be: a regular file (or,
// with allow_special, a FIFO or character device); in a shared directory
// (checked_dir::shared) owned by root, the caller or `owner`,
// with no other hard link (another user may have linked a root file there
// where fs.protected_hardlinks is 0). what starts the error messages.
result<void> check_opened_file(int fd, bool shared_dir, uid_t owner, bool allow_special, const std::string& what);

// What a file that tells a root process what to run must be (a services
// file: its commands run as root): opened by the caller relative to a
// checked directory, a regular file owned by root or the caller, and
// writable by nobody else: not by everyone, not by a group other than
// root's, not through an access ACL. Checked only when the caller is root
// (another caller's file runs with that caller's rights anyway). Errors:
//   "WHAT: it belongs to uid 1001 (bob), not to root or you",
//   "WHAT: it is writable by group 50 (staff)", "... by everyone".
result<void> check_instructions_file(int fd, const std::string& what);

// While alive, file-system calls of this (single-threaded) process run with
// the user's credentials: fsuid, fsgid and supplementary groups; the
// process's real and effective ids do not change, so leaving the scope
// restores root's. Does nothing when `as` is null. If the old identity
// cannot be restored the process aborts: going on with another user's
// groups or ids would be worse.
class fs_identity_scope {
 public:
  // Errors: "cannot act as user NAME: Operation not permitted" (not root).
  static result<fs_identity_scope> enter(const credentials* as);
  fs_identity_scope(fs_identity_scope&& o) noexcept
      : active_(o.active_), uid_(o.uid_), gid_(o.gid_), groups_(std::move(o.groups_)) {
    o.active_ = false;
  }
  fs_identity_scope& operator=(fs_identity_scope&&) = delete;
  fs_identity_scope(const fs_identity_scope&) = delete;
  fs_identity_scope& operator=(const fs_identity_scope&) = delete;
  ~fs_identity_scope();

 private:
  fs_identity_scope() = default;
  bool active_ = false;
  // What to restore.
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::vector<gid_t> groups_;
};

}  // namespace daemonkit
DAEMONKIT_API_END
