#include "daemonkit/trusted_path.hpp"

#include <cerrno>
#include <deque>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/sys.hpp"

namespace daemonkit {

namespace {

// As many symlinks as the kernel follows in one lookup (MAXSYMLINKS).
constexpr int max_links = 40;

std::string user_label(uid_t uid) {
  std::string s = "uid " + std::to_string(uid);
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[1024];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr)
    s += std::string(" (") + pw.pw_name + ")";
  return s;
}

std::string group_label(gid_t gid) {
  std::string s = "group " + std::to_string(gid);
  struct group gr {};
  struct group* found = nullptr;
  char buf[4096];
  if (::getgrgid_r(gid, &gr, buf, sizeof buf, &found) == 0 && found != nullptr)
    s += std::string(" (") + gr.gr_name + ")";
  return s;
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
      if (::getcwd(cwd, sizeof cwd) == nullptr) return system_error("cannot resolve " + path);
      split_into(todo, cwd);
    }
    if (auto r = enter_root(); !r) return std::move(r).err();
    int links = 0;
    while (!todo.empty()) {
      std::string comp = std::move(todo.front());
      todo.pop_front();
      if (comp == ".") continue;
      bool last = todo.empty();
      std::string shown = join(comp);
      struct stat st {};
      if (::fstatat(cur_.fd.get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (last && keep_last && errno == ENOENT) return checked_location{std::move(cur_), comp};
        return system_error("cannot use " + shown);
      }
      if (S_ISLNK(st.st_mode)) {
        if (auto r = check_owner(st, shown); !r) return std::move(r).err();
        if (++links > max_links) return system_error("cannot use " + path, ELOOP);
        char target[4096];
        ssize_t n = ::readlinkat(cur_.fd.get(), comp.c_str(), target, sizeof target - 1);
        if (n < 0) return system_error("cannot read link " + shown);
        std::string t(target, static_cast<std::size_t>(n));
        split_into(todo, t);
        if (!t.empty() && t[0] == '/') {
          if (auto r = enter_root(); !r) return std::move(r).err();
        }
        continue;
      }
      if (last && keep_last) return checked_location{std::move(cur_), comp};
      if (comp == "..") {
        // Up from a checked directory: its parent is checked like any other.
        auto slash = shown_.rfind('/', shown_.size() > 1 ? shown_.size() - 2 : 0);
        shown = slash == std::string::npos || slash == 0 ? "/" : shown_.substr(0, slash);
      }
      unique_fd next(sys::openat(cur_.fd.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOCTTY));
      if (!next) return system_error("cannot open " + shown);
      if (auto r = check_dir(next.get(), shown, last); !r) return std::move(r).err();
      cur_.fd = std::move(next);
      shown_ = shown;
    }
    if (keep_last) return make_error(errc::invalid_argument, path + " names a directory, not a file");
    return checked_location{std::move(cur_), {}};
  }

 private:
  std::string join(const std::string& comp) const { return shown_ == "/" ? "/" + comp : shown_ + "/" + comp; }

  result<void> enter_root() {
    unique_fd root(sys::open("/", O_RDONLY | O_DIRECTORY | O_NOCTTY));
    if (!root) return system_error("cannot open /");
    if (auto r = check_dir(root.get(), "/", false); !r) return r;
    cur_.fd = std::move(root);
    shown_ = "/";
    return {};
  }

  result<void> check_owner(const struct stat& st, const std::string& shown) {
    if (!trust_.check_owners || st.st_uid == 0 || st.st_uid == me_) return {};
    if (trust_.service_uid && st.st_uid == *trust_.service_uid) {
      cur_.service_owned = true;
      return {};
    }
    return make_error(errc::untrusted_path,
                      shown + " is owned by " + user_label(st.st_uid) + ", not by root, you or the service's user");
  }

  result<void> check_dir(int fd, const std::string& shown, bool last) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return system_error("cannot use " + shown);
    if (auto r = check_owner(st, shown); !r) return r;
    if (!trust_.check_owners) return {};
    bool sticky = (st.st_mode & S_ISVTX) != 0;
    bool service_dir = trust_.service_uid && st.st_uid == *trust_.service_uid;
    bool others_write = (st.st_mode & S_IWOTH) != 0;
    bool group_writes = (st.st_mode & S_IWGRP) != 0 && !service_dir && st.st_gid != 0;
    // In a sticky directory only an entry's owner may move or remove it, so
    // what we find there next (or create there) is checked on its own.
    if (sticky) {
      if (last) cur_.shared = others_write || group_writes;
      return {};
    }
    if (others_write) return make_error(errc::untrusted_path, shown + " is writable by everyone");
    if (group_writes) return make_error(errc::untrusted_path, shown + " is writable by " + group_label(st.st_gid));
    return {};
  }

  const path_trust& trust_;
  uid_t me_;
  checked_dir cur_;
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
  if (active_) (void)sys::set_fs_ids(sys::fs_ids{uid_, gid_, groups_});
}

}  // namespace daemonkit
