// SPDX-License-Identifier: MIT
#include "daemonkit/detail/trusted_path.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <grp.h>
#include <memory>
#include <optional>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "daemonkit/text_escape.hpp"
#include "sys/sys.hpp"

namespace daemonkit {

namespace {

// As many symlinks as the kernel follows in one lookup (MAXSYMLINKS).
constexpr int max_links = 40;

// Names in messages come from /etc/passwd and /etc/group, read as files:
// the monitor program is linked static and makes no NSS lookup (a static
// program cannot load NSS modules safely). A user known only to LDAP, sssd
// or systemd is shown by number.
template <typename Entry, typename Id>
std::string label(const char* file, const char* kind, Id id,
                  int (*next)(std::FILE*, Entry*, char*, std::size_t, Entry**), Id Entry::*id_of,
                  char* Entry::*name_of) {
  std::string s = std::string(kind) + " " + std::to_string(id);
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file, "re"), &std::fclose);
  if (!f) return s;
  Entry e{};
  Entry* found = nullptr;
  // An entry longer than the buffer (a group with many members) is ERANGE:
  // read again with more room, from where it began.
  std::vector<char> buf(4096);
  for (;;) {
    const long at = std::ftell(f.get());
    const int rc = next(f.get(), &e, buf.data(), buf.size(), &found);
    if (rc == ERANGE && buf.size() < 1024 * 1024 && at >= 0 && std::fseek(f.get(), at, SEEK_SET) == 0) {
      buf.resize(buf.size() * 4);
      continue;
    }
    if (rc != 0 || found == nullptr) return s;
    if (e.*id_of == id) return s + " (" + e.*name_of + ")";
  }
}

std::string user_label(uid_t uid) {
  return label<passwd, uid_t>("/etc/passwd", "uid", uid, ::fgetpwent_r, &passwd::pw_uid, &passwd::pw_name);
}

std::string group_label(gid_t gid) {
  return label<group, gid_t>("/etc/group", "group", gid, ::fgetgrent_r, &group::gr_gid, &group::gr_name);
}

void split_into(std::deque<std::string>& out, const std::string& path) {
  std::deque<std::string> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  out.insert(out.begin(), parts.begin(), parts.end());
}

class walker {
 public:
  explicit walker(const path_trust& t) : trust_(t), me_(::geteuid()) {}

  // Walks every component; stops before the last one when keep_last is set
  // (its name is returned, symlinks resolved).
  result<checked_location> walk(const std::string& path, bool keep_last) {
    if (path.empty()) return make_error(errc::invalid_argument, "empty path");
    std::deque<std::string> todo;
    split_into(todo, path);
    if (path[0] != '/') {
      char cwd[4096];
      if (::getcwd(cwd, sizeof cwd) == nullptr) return system_error("cannot resolve " + shown(path));
      split_into(todo, cwd);
    }
    if (auto r = enter_root(); !r) return std::move(r).err();
    int links = 0;
    while (!todo.empty()) {
      std::string comp = std::move(todo.front());
      todo.pop_front();
      if (comp == ".") continue;
      bool last = todo.empty();
      std::string here = join(comp);
      struct stat st {};
      if (::fstatat(cur_.fd.get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int err = errno;
        if (last && keep_last && err == ENOENT) return finish(std::move(comp));
        if (err != ENOENT || !trust_.create_missing || keep_last || comp == "..") {
          return system_error("cannot use " + shown(here), err);
        }
        if (::mkdirat(cur_.fd.get(), comp.c_str(), last ? trust_.last_dir_mode : 0755) != 0 && errno != EEXIST) {
          return system_error("cannot create directory " + shown(here));
        }
        todo.push_front(std::move(comp));  // now look at what is there
        continue;
      }
      if (S_ISLNK(st.st_mode)) {
        if (auto r = check_owner(st, here); !r) return std::move(r).err();
        if (++links > max_links) return system_error("cannot use " + shown(path), ELOOP);
        char target[4096];
        ssize_t n = ::readlinkat(cur_.fd.get(), comp.c_str(), target, sizeof target - 1);
        if (n < 0) return system_error("cannot read link " + shown(here));
        std::string t(target, static_cast<std::size_t>(n));
        split_into(todo, t);
        if (!t.empty() && t[0] == '/') {
          if (auto r = enter_root(); !r) return std::move(r).err();
        }
        continue;
      }
      if (last && keep_last) return finish(std::move(comp));
      if (comp == "..") {
        // Up from a checked directory: its parent is checked like any other.
        auto slash = shown_.rfind('/', shown_.size() > 1 ? shown_.size() - 2 : 0);
        here = slash == std::string::npos || slash == 0 ? "/" : shown_.substr(0, slash);
      }
      unique_fd next(sys::openat(cur_.fd.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY));
      if (!next) return system_error("cannot open " + shown(here));
      if (auto r = check_dir(next.get(), here); !r) return std::move(r).err();
      cur_.fd = std::move(next);
      shown_ = here;
    }
    if (keep_last) return make_error(errc::invalid_argument, shown(path) + " names a directory, not a file");
    return finish({});
  }

 private:
  std::string join(const std::string& comp) const { return shown_ == "/" ? "/" + comp : shown_ + "/" + comp; }
  // Names in messages may come from another user's symlinks: never raw.
  static std::string shown(const std::string& p) { return escape_for_terminal(p); }

  // Whether the directory we ended in is shared is decided on the directory
  // itself, whatever the path's last component was ("/tmp/.", a link).
  result<checked_location> finish(std::string name) {
    struct stat st {};
    if (::fstat(cur_.fd.get(), &st) != 0) return system_error("cannot use " + shown(shown_));
    cur_.shared = trust_.check_owners && (st.st_mode & S_ISVTX) != 0 && writable_by_others(st, cur_.fd.get());
    as_.reset();
    return checked_location{std::move(cur_), std::move(name)};
  }

  result<void> enter_root() {
    unique_fd root(sys::open("/", O_RDONLY | O_DIRECTORY | O_NOCTTY));
    if (!root) return system_error("cannot open /");
    shown_ = "/";
    if (auto r = check_dir(root.get(), "/"); !r) return r;
    cur_.fd = std::move(root);
    return {};
  }

  bool is_service_user(uid_t uid) const { return trust_.service_user != nullptr && uid == trust_.service_user->uid; }

  result<void> check_owner(const struct stat& st, const std::string& here) {
    if (!trust_.check_owners || st.st_uid == 0 || st.st_uid == me_) return {};
    if (is_service_user(st.st_uid)) {
      if (!cur_.service_owned) {
        // From here on the user could redirect us anywhere: look things up
        // with its rights only.
        auto as = fs_identity_scope::enter(trust_.service_user);
        if (!as) return std::move(as).err();
        as_.emplace(std::move(*as));
        cur_.service_owned = true;
      }
      return {};
    }
    return make_error(errc::untrusted_path, shown(here) + " is owned by " + user_label(st.st_uid) +
                                                ", not by root, you or the service's user");
  }

  // Group bits of a directory with an access ACL are the mask over named
  // users and groups: root's group is then no promise.
  bool writable_by_others(const struct stat& st, int fd) const {
    if ((st.st_mode & S_IWOTH) != 0) return true;
    if ((st.st_mode & S_IWGRP) == 0 || is_service_user(st.st_uid)) return false;
    return st.st_gid != 0 || sys::has_access_acl(fd);
  }

  result<void> check_dir(int fd, const std::string& here) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return system_error("cannot use " + shown(here));
    if (auto r = check_owner(st, here); !r) return r;
    if (!trust_.check_owners) return {};
    // In a sticky directory only an entry's owner may move or remove it, so
    // what we find there next (or create there) is checked on its own; if
    // it is the last one, finish() marks it shared.
    if ((st.st_mode & S_ISVTX) != 0 || !writable_by_others(st, fd)) return {};
    if ((st.st_mode & S_IWOTH) != 0) return make_error(errc::untrusted_path, shown(here) + " is writable by everyone");
    if (st.st_gid == 0) {
      return make_error(errc::untrusted_path, shown(here) + " is writable by its group (it has an access ACL)");
    }
    return make_error(errc::untrusted_path, shown(here) + " is writable by " + group_label(st.st_gid));
  }

  const path_trust& trust_;
  uid_t me_;
  checked_dir cur_;
  std::optional<fs_identity_scope> as_;  // while acting as the service's user
  std::string shown_ = "/";
};

}  // namespace

result<checked_dir> open_checked_dir(const std::string& path, const path_trust& trust) {
  auto r = walker(trust).walk(path, false);
  if (!r) return std::move(r).err();
  return std::move(r->dir);
}

result<checked_location> locate_checked_file(const std::string& path, const path_trust& trust) {
  return walker(trust).walk(path, true);
}

result<void> check_opened_file(int fd, bool shared_dir, uid_t owner, bool allow_special, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return system_error(what);
  if (!S_ISREG(st.st_mode) && !(allow_special && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))) {
    return make_error(errc::invalid_argument, what + ": not a regular file");
  }
  if (!shared_dir) return {};
  if (st.st_uid != 0 && st.st_uid != ::geteuid() && st.st_uid != owner) {
    return make_error(errc::untrusted_path, what + ": it belongs to " + user_label(st.st_uid) +
                                                ", in a directory others may write; refusing it");
  }
  if (S_ISREG(st.st_mode) && st.st_nlink != 1) {
    return make_error(errc::untrusted_path,
                      what + ": it has other hard links, in a directory others may write; refusing it");
  }
  return {};
}

result<void> check_instructions_file(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return system_error(what);
  if (!S_ISREG(st.st_mode)) return make_error(errc::invalid_argument, what + ": not a regular file");
  uid_t me = ::geteuid();
  if (me != 0) return {};
  if (st.st_uid != 0 && st.st_uid != me) {
    return make_error(errc::untrusted_path, what + ": it belongs to " + user_label(st.st_uid) + ", not to root or you");
  }
  if ((st.st_mode & S_IWOTH) != 0) return make_error(errc::untrusted_path, what + ": it is writable by everyone");
  if ((st.st_mode & S_IWGRP) != 0 && st.st_gid != 0) {
    return make_error(errc::untrusted_path, what + ": it is writable by " + group_label(st.st_gid));
  }
  // Group bits of a file with an access ACL are the mask over named users
  // and groups: root's group is then no promise.
  if ((st.st_mode & S_IWGRP) != 0 && sys::has_access_acl(fd)) {
    return make_error(errc::untrusted_path, what + ": it is writable by its group (it has an access ACL)");
  }
  return {};
}

result<fs_identity_scope> fs_identity_scope::enter(const credentials* as) {
  fs_identity_scope scope;
  if (as == nullptr) return scope;
  auto saved = sys::current_fs_ids();
  sys::fs_ids ids{as->uid, as->gid, as->groups};
  if (sys::set_fs_ids(ids) != 0) {
    int err = errno;
    (void)sys::set_fs_ids(saved);
    return system_error("cannot act as user " + (as->name.empty() ? std::to_string(as->uid) : as->name), err);
  }
  scope.active_ = true;
  scope.uid_ = saved.uid;
  scope.gid_ = saved.gid;
  scope.groups_ = std::move(saved.groups);
  return scope;
}

fs_identity_scope::~fs_identity_scope() {
  if (active_ && sys::set_fs_ids(sys::fs_ids{uid_, gid_, groups_}) != 0) {
    static constexpr char msg[] = "daemonkit: cannot restore the file-system identity; aborting\n";
    (void)sys::write(2, msg, sizeof msg - 1);
    std::abort();
  }
}

}  // namespace daemonkit
