// SPDX-License-Identifier: MIT
// trusted_path: the walk root does before acting on a path another user may
// have shaped (open_checked_dir, locate_checked_file), and the file-system
// identity it then acts with (fs_identity_scope).
//
// Played on real directories as root: other users are uids that need not
// exist (chown accepts any number): 4242 is "somebody else", 4343 the
// service's user. Where a path is trusted, the kernel's own lookup of the
// same string is the oracle: the walk must reach the very directory stat()
// reaches. fs_identity_scope changes the process's credentials, so those
// tests run in a forked child that reports what it saw.
//
// Skipped when not root (chown and fsuid need it).
#include "daemonkit/detail/trusted_path.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <grp.h>
#include <stdexcept>
#include <string>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace dk_test;
using daemonkit::checked_dir;
using daemonkit::checked_location;
using daemonkit::credentials;
using daemonkit::errc;
using daemonkit::fs_identity_scope;
using daemonkit::locate_checked_file;
using daemonkit::open_checked_dir;
using daemonkit::path_trust;
using daemonkit::result;

constexpr uid_t other_uid = 4242;    // a user root must not trust
constexpr uid_t service_uid = 4343;  // the service's user
constexpr gid_t other_gid = 4242;
constexpr gid_t service_gid = 4343;

// Tests of product bugs not fixed yet are skipped unless DK_RUN_KNOWN_BUGS is
// set (as in the fault suite), so they reproduce on demand.

void must(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

// mkdir with exactly this mode (no umask) and owner.
void make_dir(const std::string& path, mode_t mode, uid_t uid = 0, gid_t gid = 0) {
  must(::mkdir(path.c_str(), 0700) == 0, "mkdir " + path);
  must(::chown(path.c_str(), uid, gid) == 0, "chown " + path);
  must(::chmod(path.c_str(), mode) == 0, "chmod " + path);
}

void make_file(const std::string& path, mode_t mode, uid_t uid = 0, gid_t gid = 0) {
  write_file(path, "KEY=value\n");
  must(::chown(path.c_str(), uid, gid) == 0, "chown " + path);
  must(::chmod(path.c_str(), mode) == 0, "chmod " + path);
}

void make_link(const std::string& target, const std::string& path, uid_t uid = 0) {
  must(::symlink(target.c_str(), path.c_str()) == 0, "symlink " + path);
  must(::lchown(path.c_str(), uid, static_cast<gid_t>(-1)) == 0, "lchown " + path);
}

// The service's user as the walk needs it (a uid that need not exist; the
// walk acts with its credentials past what it owns).
const daemonkit::credentials* service_creds(uid_t uid) {
  static daemonkit::credentials svc;
  static daemonkit::credentials other;
  daemonkit::credentials& c = uid == service_uid ? svc : other;
  c.uid = uid;
  c.gid = uid;
  c.name = "u" + std::to_string(uid);
  return &c;
}

path_trust trust_service(uid_t uid = service_uid) {
  path_trust t;
  t.service_user = service_creds(uid);
  return t;
}

// The fd and the path (as the kernel resolves it) are the same directory.
bool same_dir(int fd, const std::string& path) {
  struct stat a {};
  struct stat b {};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

template <class T>
std::string message(const result<T>& r) {
  return r ? std::string("(no error)") : r.err().message();
}

template <class T>
bool failed_with(const result<T>& r, int err) {
  return !r && r.err().code == std::error_code(err, std::system_category());
}

template <class T>
bool untrusted(const result<T>& r) {
  return !r && r.err().code == errc::untrusted_path;
}

class trusted_path_test : public process_fixture {
 protected:
  void SetUp() override {
    process_fixture::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown to other uids, fsuid)";
    // Searchable by everybody, so that in an fs_identity_scope only the
    // files' own modes decide; still root's and writable by root only.
    ASSERT_EQ(::chmod(base.c_str(), 0755), 0);
    make_dir(base + "/a", 0755);
    make_dir(base + "/a/b", 0755);
    make_dir(base + "/a/c", 0755);
    make_file(base + "/a/f", 0644);
  }

  // In a forked child: body returns "" when everything held, else what did not.
  static void expect_in_child(const std::function<std::string()>& body) {
    auto r = run_function([&] {
      std::string failure = body();
      std::fputs(failure.c_str(), stdout);
      return failure.empty() ? 0 : 1;
    });
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    EXPECT_EQ(r.out, "") << describe(r);
  }

  const std::string& base = tmp.path();
};

// --- trusted paths ----------------------------------------------------------

TEST_F(trusted_path_test, a_path_of_roots_directories_is_opened) {
  auto r = open_checked_dir(base + "/a/b", {});
  ASSERT_TRUE(r) << message(r);
  EXPECT_TRUE(same_dir(r->fd.get(), base + "/a/b"));
  EXPECT_FALSE(r->service_owned);
  EXPECT_FALSE(r->shared);
  EXPECT_NE(::fcntl(r->fd.get(), F_GETFD) & FD_CLOEXEC, 0) << "the directory fd must be close-on-exec";
  EXPECT_EQ(::fcntl(r->fd.get(), F_GETFL) & O_ACCMODE, O_RDONLY);

  auto root = open_checked_dir("/", {});
  ASSERT_TRUE(root) << message(root);
  EXPECT_TRUE(same_dir(root->fd.get(), "/"));
}

TEST_F(trusted_path_test, the_walk_reaches_the_directory_the_kernel_reaches) {
  make_link(base + "/a/b", base + "/abs");  // absolute target
  make_link("a/b", base + "/rel");          // relative target
  make_link("../c", base + "/a/b/up");      // relative, with ..
  make_link("chain2", base + "/chain1");    // a chain of three
  make_link(base + "/chain3", base + "/chain2");
  make_link("a/b", base + "/chain3");
  make_link("a", base + "/mid");                                                // a link in the middle of a path
  make_link("../../../../../../" + base.substr(1) + "/a", base + "/a/c/deep");  // up past / and down again
  for (const std::string& path : {
           base + "/a/b",
           base + "/a/b/../c",
           base + "/a/b/../../a/./c",
           base + "//a///b/",
           base + "/abs",
           base + "/rel",
           base + "/a/b/up",
           base + "/abs/../c",  // .. of a link's target is the target's parent, as in the kernel
           base + "/rel/up/../b",
           base + "/chain1",
           base + "/chain1/up",
           base + "/mid/b",
           base + "/mid/b/up/../c",
           base + "/a/c/deep/b",
           "/../.." + base + "/a/./b",
       }) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, {});
    ASSERT_TRUE(r) << message(r);
    EXPECT_TRUE(same_dir(r->fd.get(), path));
    EXPECT_FALSE(r->service_owned);
    EXPECT_FALSE(r->shared);
  }
}

TEST_F(trusted_path_test, the_fd_keeps_the_directory_checked_when_the_path_changes_later) {
  auto r = open_checked_dir(base + "/a/b", {});
  ASSERT_TRUE(r) << message(r);
  auto loc = locate_checked_file(base + "/a/f", {});
  ASSERT_TRUE(loc) << message(loc);
  // Swapped after the walk: what the fds name does not move.
  ASSERT_EQ(::rename((base + "/a").c_str(), (base + "/moved").c_str()), 0);
  make_dir(base + "/a", 0755);
  make_dir(base + "/a/b", 0755);
  make_file(base + "/a/f", 0644);
  EXPECT_TRUE(same_dir(r->fd.get(), base + "/moved/b"));
  EXPECT_FALSE(same_dir(r->fd.get(), base + "/a/b"));
  fd_guard f(::openat(loc->dir.fd.get(), loc->name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  ASSERT_TRUE(f.valid());
  struct stat opened {};
  struct stat original {};
  ASSERT_EQ(::fstat(f.get(), &opened), 0);
  ASSERT_EQ(::stat((base + "/moved/f").c_str(), &original), 0);
  EXPECT_EQ(opened.st_ino, original.st_ino);
}

TEST_F(trusted_path_test, relative_paths_start_at_the_working_directory_which_is_checked_too) {
  make_dir(base + "/evil", 0755, other_uid, other_gid);
  make_dir(base + "/evil/sub", 0755);
  const std::string b = base;
  expect_in_child([b]() -> std::string {
    if (::chdir((b + "/a").c_str()) != 0) return "chdir failed";
    for (const std::string path : {"b", "./b", "./b/../c", ".", "b/..", "../a/b"}) {
      auto r = open_checked_dir(path, {});
      if (!r) return path + ": " + r.err().message() + "\n";
      if (!same_dir(r->fd.get(), path)) return path + ": not the directory the kernel reaches\n";
    }
    auto loc = locate_checked_file("b/../f", {});
    if (!loc) return "locate b/../f: " + loc.err().message() + "\n";
    if (loc->name != "f" || !same_dir(loc->dir.fd.get(), ".")) return "locate b/../f: wrong place\n";
    // "." under a directory of another user: the working directory's own
    // path is walked from /, so it is refused.
    if (::chdir((b + "/evil/sub").c_str()) != 0) return "chdir failed";
    auto bad = open_checked_dir(".", {});
    if (!untrusted(bad)) return "'.' under another user's directory: " + message(bad) + "\n";
    if (bad.err().message().find(b + "/evil is owned by uid 4242") == std::string::npos) {
      return "the refusal does not name the directory: " + bad.err().message() + "\n";
    }
    return "";
  });
}

// --- owners -----------------------------------------------------------------

TEST_F(trusted_path_test, a_directory_of_another_user_is_refused_with_its_name) {
  make_dir(base + "/a/x", 0755, other_uid, other_gid);
  make_dir(base + "/a/x/y", 0755);
  for (const std::string& path : {base + "/a/x", base + "/a/x/y"}) {
    for (const path_trust& trust : {path_trust{}, trust_service()}) {
      SCOPED_TRACE(path + (trust.service_user != nullptr ? " (with a service user)" : ""));
      auto r = open_checked_dir(path, trust);
      ASSERT_TRUE(untrusted(r)) << message(r);
      EXPECT_NE(r.err().message().find(base + "/a/x is owned by uid 4242"), std::string::npos) << message(r);
      EXPECT_NE(r.err().message().find("not by root, you or the service's user"), std::string::npos) << message(r);
    }
  }
  auto loc = locate_checked_file(base + "/a/x/y/env", trust_service());
  EXPECT_TRUE(untrusted(loc)) << message(loc);
}

TEST_F(trusted_path_test, a_symlink_of_another_user_is_refused_even_to_a_trusted_place) {
  make_link(base + "/a/b", base + "/theirs", other_uid);
  make_link("theirs", base + "/ours");  // root's link to theirs: the chain is as weak as its weakest link
  for (const std::string& path : {base + "/theirs", base + "/ours", base + "/theirs/.."}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, trust_service());
    ASSERT_TRUE(untrusted(r)) << message(r);
    EXPECT_NE(r.err().message().find(base + "/theirs is owned by uid 4242"), std::string::npos) << message(r);
  }
  // As the last component of a file's path too.
  make_link(base + "/a/f", base + "/a/b/env", other_uid);
  auto loc = locate_checked_file(base + "/a/b/env", trust_service());
  ASSERT_TRUE(untrusted(loc)) << message(loc);
  EXPECT_NE(loc.err().message().find(base + "/a/b/env is owned by uid 4242"), std::string::npos) << message(loc);
}

TEST_F(trusted_path_test, a_directory_of_the_service_user_is_accepted_and_marked) {
  make_dir(base + "/svc", 0700, service_uid, service_gid);
  make_dir(base + "/svc/inner", 0755);  // root's, below the service's
  for (const std::string& path : {base + "/svc", base + "/svc/inner", base + "/svc/inner/../.."}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, trust_service());
    ASSERT_TRUE(r) << message(r);
    EXPECT_TRUE(same_dir(r->fd.get(), path));
    // Once the path went through it, the user could have led it anywhere.
    EXPECT_TRUE(r->service_owned);
    EXPECT_FALSE(r->shared);
  }
  // Without a service user, the same directory is just another user's.
  auto plain = open_checked_dir(base + "/svc", {});
  EXPECT_TRUE(untrusted(plain)) << message(plain);
  // Nor is another uid taken for the service's.
  auto wrong = open_checked_dir(base + "/svc", trust_service(other_uid));
  EXPECT_TRUE(untrusted(wrong)) << message(wrong);
  // A path that does not pass through it is not marked.
  auto clean = open_checked_dir(base + "/a/b", trust_service());
  ASSERT_TRUE(clean) << message(clean);
  EXPECT_FALSE(clean->service_owned);
}

TEST_F(trusted_path_test, a_symlink_of_the_service_user_is_followed_and_marked) {
  make_link(base + "/a/b", base + "/svc_abs", service_uid);
  make_link("a/c", base + "/svc_rel", service_uid);
  for (const std::string& path : {base + "/svc_abs", base + "/svc_rel", base + "/svc_abs/../c"}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, trust_service());
    ASSERT_TRUE(r) << message(r);
    EXPECT_TRUE(same_dir(r->fd.get(), path));
    EXPECT_TRUE(r->service_owned);
  }
  // The last component of a file's path: followed to the target's directory.
  make_link(base + "/a/f", base + "/a/b/env", service_uid);
  auto loc = locate_checked_file(base + "/a/b/env", trust_service());
  ASSERT_TRUE(loc) << message(loc);
  EXPECT_EQ(loc->name, "f");
  EXPECT_TRUE(same_dir(loc->dir.fd.get(), base + "/a"));
  EXPECT_TRUE(loc->dir.service_owned);
  // Not marked without the link.
  auto direct = locate_checked_file(base + "/a/f", trust_service());
  ASSERT_TRUE(direct) << message(direct);
  EXPECT_FALSE(direct->dir.service_owned);
}

// --- modes ------------------------------------------------------------------

TEST_F(trusted_path_test, a_directory_anybody_may_write_without_the_sticky_bit_is_refused) {
  make_dir(base + "/ww", 0777);
  make_dir(base + "/ww/sub", 0755);
  make_dir(base + "/svcww", 0777, service_uid, service_gid);  // the service's own, but open to all
  for (const std::string& path : {base + "/ww", base + "/ww/sub", base + "/svcww"}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, trust_service());
    ASSERT_TRUE(untrusted(r)) << message(r);
    std::string dir = path == base + "/svcww" ? path : base + "/ww";
    EXPECT_NE(r.err().message().find(dir + " is writable by everyone"), std::string::npos) << message(r);
  }
  auto loc = locate_checked_file(base + "/ww/env", {});
  EXPECT_TRUE(untrusted(loc)) << message(loc);
}

TEST_F(trusted_path_test, a_directory_a_group_may_write_is_refused_unless_it_is_roots_group_or_the_services_dir) {
  make_dir(base + "/gw", 0775, 0, other_gid);
  make_dir(base + "/gw/sub", 0755);
  for (const std::string& path : {base + "/gw", base + "/gw/sub"}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, trust_service());
    ASSERT_TRUE(untrusted(r)) << message(r);
    EXPECT_NE(r.err().message().find(base + "/gw is writable by group 4242"), std::string::npos) << message(r);
  }
  // Root's group: its members are administrators (a documented limit).
  make_dir(base + "/g0", 0775, 0, 0);
  auto g0 = open_checked_dir(base + "/g0", {});
  ASSERT_TRUE(g0) << message(g0);
  EXPECT_FALSE(g0->shared);
  // The service user's directory, writable by a group: written as the user anyway.
  make_dir(base + "/svcgw", 0770, service_uid, other_gid);
  auto svc = open_checked_dir(base + "/svcgw", trust_service());
  ASSERT_TRUE(svc) << message(svc);
  EXPECT_TRUE(svc->service_owned);
}

TEST_F(trusted_path_test, a_sticky_shared_last_directory_is_marked_shared) {
  make_dir(base + "/st", 01777);
  make_dir(base + "/st/own", 0755);                            // root's, inside the shared one
  make_dir(base + "/st/evil", 0755, other_uid, other_gid);     // somebody else's, inside it
  make_dir(base + "/stg", 01775, 0, other_gid);                // sticky, a group may write
  make_dir(base + "/st_private", 01755);                       // sticky, nobody else may write
  make_dir(base + "/st_theirs", 01777, other_uid, other_gid);  // sticky, but somebody else's
  make_link("st", base + "/to_st");

  for (const std::string& path : {base + "/st", base + "/stg", base + "/to_st", base + "/st/own/.."}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, {});
    ASSERT_TRUE(r) << message(r);
    EXPECT_TRUE(same_dir(r->fd.get(), path));
    EXPECT_TRUE(r->shared);
    EXPECT_FALSE(r->service_owned);
  }
  for (const std::string& path : {base + "/st/own", base + "/st_private"}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, {});
    ASSERT_TRUE(r) << message(r);
    EXPECT_FALSE(r->shared);
  }
  auto evil = open_checked_dir(base + "/st/evil", trust_service());
  ASSERT_TRUE(untrusted(evil)) << message(evil);
  EXPECT_NE(evil.err().message().find(base + "/st/evil is owned by uid 4242"), std::string::npos) << message(evil);
  auto theirs = open_checked_dir(base + "/st_theirs", {});
  EXPECT_TRUE(untrusted(theirs)) << message(theirs);
}

TEST_F(trusted_path_test, a_sticky_shared_directory_spelled_with_a_trailing_dot_is_still_shared) {
  make_dir(base + "/st", 01777);
  auto r = open_checked_dir(base + "/st/.", {});
  ASSERT_TRUE(r) << message(r);
  EXPECT_TRUE(r->shared);
}

TEST_F(trusted_path_test, a_files_sticky_shared_directory_is_marked_shared) {
  make_dir(base + "/st", 01777);
  auto r = locate_checked_file(base + "/st/env", {});
  ASSERT_TRUE(r) << message(r);
  EXPECT_TRUE(r->dir.shared);
}

TEST_F(trusted_path_test, a_root_directory_another_user_may_write_through_an_acl_is_not_trusted) {
  make_dir(base + "/acl", 0755);
  // system.posix_acl_access, version 2: user::rwx user:4242:rwx group::r-x mask::rwx other::r-x
  struct entry {
    std::uint16_t tag, perm;
    std::uint32_t id;
  };
  const entry entries[] = {{0x01, 7, ~0U}, {0x02, 7, other_uid}, {0x04, 5, ~0U}, {0x10, 7, ~0U}, {0x20, 5, ~0U}};
  std::string acl(4, '\0');
  acl[0] = 2;
  for (const auto& e : entries) acl.append(reinterpret_cast<const char*>(&e), sizeof e);
  if (::setxattr((base + "/acl").c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0) != 0) {
    GTEST_SKIP() << "no POSIX ACLs here: " << std::strerror(errno);
  }
  auto r = open_checked_dir(base + "/acl", {});
  EXPECT_TRUE(!r || r->shared) << "uid 4242 may write in it, yet it is trusted as root's own";
}

// --- symlinks resolved by hand ----------------------------------------------

TEST_F(trusted_path_test, a_symlink_loop_is_too_many_levels_of_links) {
  make_link("loop2", base + "/loop1");
  make_link("loop1", base + "/loop2");
  make_link("self", base + "/self");
  make_link(base + "/self/x", base + "/into_self");
  for (const std::string& path : {base + "/loop1", base + "/self", base + "/into_self", base + "/loop2/sub"}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, {});
    EXPECT_TRUE(failed_with(r, ELOOP)) << message(r);
    auto loc = locate_checked_file(path, {});
    EXPECT_TRUE(failed_with(loc, ELOOP)) << message(loc);
  }
}

TEST_F(trusted_path_test, forty_links_are_followed_like_the_kernel_does_and_the_forty_first_is_refused) {
  make_link("a/b", base + "/l0");
  for (int i = 1; i <= 40; ++i) make_link("l" + std::to_string(i - 1), base + "/l" + std::to_string(i));
  // The kernel's own limit, for reference: l39 takes 40 links, l40 takes 41.
  struct stat st {};
  ASSERT_EQ(::stat((base + "/l39").c_str(), &st), 0);
  ASSERT_NE(::stat((base + "/l40").c_str(), &st), 0);
  ASSERT_EQ(errno, ELOOP);

  auto ok = open_checked_dir(base + "/l39", {});
  ASSERT_TRUE(ok) << message(ok);
  EXPECT_TRUE(same_dir(ok->fd.get(), base + "/a/b"));
  auto too_many = open_checked_dir(base + "/l40", {});
  EXPECT_TRUE(failed_with(too_many, ELOOP)) << message(too_many);
}

TEST_F(trusted_path_test, without_owner_checks_symlinks_are_still_resolved_by_hand) {
  make_dir(base + "/x", 0777, other_uid, other_gid);
  make_dir(base + "/x/y", 0755, other_uid, other_gid);
  make_link("y", base + "/x/theirs", other_uid);
  make_link("loop", base + "/x/loop", other_uid);
  path_trust blind;
  blind.check_owners = false;
  blind.service_user = service_creds(other_uid);
  for (const std::string& path : {base + "/x", base + "/x/y", base + "/x/theirs", base + "/x/theirs/../y"}) {
    SCOPED_TRACE(path);
    auto r = open_checked_dir(path, blind);
    ASSERT_TRUE(r) << message(r);
    EXPECT_TRUE(same_dir(r->fd.get(), path));
    EXPECT_FALSE(r->shared);
  }
  auto loop = open_checked_dir(base + "/x/loop", blind);
  EXPECT_TRUE(failed_with(loop, ELOOP)) << message(loop);
  auto loc = locate_checked_file(base + "/x/theirs/env", blind);
  ASSERT_TRUE(loc) << message(loc);
  EXPECT_EQ(loc->name, "env");
  EXPECT_TRUE(same_dir(loc->dir.fd.get(), base + "/x/y"));
  // The same paths with the checks on: refused.
  EXPECT_TRUE(untrusted(open_checked_dir(base + "/x/y", {})));
}

// --- locate_checked_file ----------------------------------------------------

TEST_F(trusted_path_test, a_file_is_located_in_its_checked_directory) {
  auto r = locate_checked_file(base + "/a/f", {});
  ASSERT_TRUE(r) << message(r);
  EXPECT_EQ(r->name, "f");
  EXPECT_TRUE(same_dir(r->dir.fd.get(), base + "/a"));
  EXPECT_FALSE(r->dir.service_owned);
  EXPECT_NE(::fcntl(r->dir.fd.get(), F_GETFD) & FD_CLOEXEC, 0);

  // The file need not exist.
  auto missing = locate_checked_file(base + "/a/b/missing.env", {});
  ASSERT_TRUE(missing) << message(missing);
  EXPECT_EQ(missing->name, "missing.env");
  EXPECT_TRUE(same_dir(missing->dir.fd.get(), base + "/a/b"));

  // A symlink as the last component is followed to where it leads, relative
  // targets and .. included; a dangling one names the file to be.
  make_link("../f", base + "/a/b/up_env");
  make_link(base + "/a/c/new.env", base + "/a/b/dangling");
  make_link("up_env", base + "/a/b/chained");
  struct expectation {
    std::string path, dir, name;
  };
  for (const auto& e : std::vector<expectation>{{base + "/a/b/up_env", base + "/a", "f"},
                                                {base + "/a/b/chained", base + "/a", "f"},
                                                {base + "/a/b/dangling", base + "/a/c", "new.env"},
                                                {base + "/a/b/../f", base + "/a", "f"}}) {
    SCOPED_TRACE(e.path);
    auto loc = locate_checked_file(e.path, {});
    ASSERT_TRUE(loc) << message(loc);
    EXPECT_EQ(loc->name, e.name);
    EXPECT_TRUE(same_dir(loc->dir.fd.get(), e.dir));
  }
}

TEST_F(trusted_path_test, a_file_whose_directory_is_missing_or_not_a_directory_is_an_error_naming_it) {
  auto nodir = locate_checked_file(base + "/a/nodir/env", {});
  ASSERT_TRUE(failed_with(nodir, ENOENT)) << message(nodir);
  EXPECT_NE(nodir.err().message().find(base + "/a/nodir"), std::string::npos) << message(nodir);

  auto notdir = locate_checked_file(base + "/a/f/env", {});
  ASSERT_TRUE(failed_with(notdir, ENOTDIR)) << message(notdir);
  EXPECT_NE(notdir.err().message().find(base + "/a/f"), std::string::npos) << message(notdir);

  auto dir_missing = open_checked_dir(base + "/a/nodir", {});
  ASSERT_TRUE(failed_with(dir_missing, ENOENT)) << message(dir_missing);
  EXPECT_NE(dir_missing.err().message().find(base + "/a/nodir"), std::string::npos) << message(dir_missing);
  auto file_as_dir = open_checked_dir(base + "/a/f", {});
  EXPECT_TRUE(failed_with(file_as_dir, ENOTDIR)) << message(file_as_dir);
}

TEST_F(trusted_path_test, a_path_that_names_no_file_is_an_invalid_argument) {
  for (const std::string& path : {std::string("/"), base + "/a/.", std::string("")}) {
    SCOPED_TRACE(path);
    auto r = locate_checked_file(path, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, errc::invalid_argument) << message(r);
  }
  auto empty = open_checked_dir("", {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.err().code, errc::invalid_argument) << message(empty);
}

// --- fs_identity_scope ------------------------------------------------------

credentials service_credentials() {
  credentials c;
  c.uid = service_uid;
  c.gid = service_gid;
  c.groups = {service_gid, other_gid};
  c.name = "svc";
  return c;
}

std::vector<gid_t> groups_now() {
  std::vector<gid_t> g(static_cast<size_t>(std::max(::getgroups(0, nullptr), 0)));
  g.resize(static_cast<size_t>(std::max(::getgroups(static_cast<int>(g.size()), g.data()), 0)));
  std::sort(g.begin(), g.end());
  return g;
}

bool can_open(const std::string& path, int flags = O_RDONLY) {
  fd_guard f(::open(path.c_str(), flags | O_CLOEXEC, 0640));
  return f.valid();
}

TEST_F(trusted_path_test, fs_identity_scope_makes_the_kernel_check_the_users_rights_and_restores_roots) {
  make_file(base + "/root_only", 0600);                  // root's secret
  make_file(base + "/roots_group", 0060, 0, 7777);       // for a group of root's, not the user's
  make_file(base + "/users_group", 0040, 0, other_gid);  // for one of the user's groups
  make_file(base + "/users_own", 0600, service_uid, service_gid);
  make_dir(base + "/users_dir", 0700, service_uid, service_gid);
  const std::string b = base;
  expect_in_child([b]() -> std::string {
    // Root with a supplementary group the user does not have.
    const std::vector<gid_t> roots = {0, 7777};
    if (::setgroups(roots.size(), roots.data()) != 0) return "setgroups failed";
    if (!can_open(b + "/root_only") || !can_open(b + "/roots_group")) return "root cannot open its own files\n";
    std::string failures;
    auto check = [&](bool ok, const std::string& what) {
      if (!ok) failures += what + "\n";
    };
    credentials svc = service_credentials();
    {
      auto as = fs_identity_scope::enter(&svc);
      if (!as) return "enter: " + as.err().message() + "\n";
      check(static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) == service_uid, "fsuid is not the user's");
      check(static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) == service_gid, "fsgid is not the user's");
      check(groups_now() == std::vector<gid_t>{other_gid, service_gid}, "groups are not exactly the user's");
      check(::getuid() == 0 && ::geteuid() == 0, "real or effective uid changed");
      // Root's rights are gone (CAP_DAC_OVERRIDE with them) ...
      check(!can_open(b + "/root_only") && errno == EACCES, "a 0600 file of root's opens as the user");
      // ... and so are root's groups.
      check(!can_open(b + "/roots_group") && errno == EACCES, "root's supplementary group leaked into the user's");
      // The user's own rights and groups apply.
      check(can_open(b + "/users_group"), "the user's supplementary group does not apply");
      check(can_open(b + "/users_own", O_RDWR), "the user cannot open its own file");
      check(can_open(b + "/users_dir/new", O_WRONLY | O_CREAT | O_EXCL), "the user cannot create in its directory");
      check(!can_open(b + "/made_by_user", O_WRONLY | O_CREAT | O_EXCL) && errno == EACCES,
            "the user creates files in root's directory");
    }
    check(static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) == 0, "fsuid not restored");
    check(static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) == 0, "fsgid not restored");
    check(groups_now() == roots, "root's groups not restored");
    check(can_open(b + "/root_only"), "root cannot open its file after the scope");
    struct stat st {};
    check(::stat((b + "/users_dir/new").c_str(), &st) == 0 && st.st_uid == service_uid && st.st_gid == service_gid,
          "a file made in the scope is not the user's");
    return failures;
  });
}

TEST_F(trusted_path_test, fs_identity_scope_nests_moves_and_does_nothing_for_no_user) {
  make_file(base + "/root_only", 0600);
  const std::string b = base;
  expect_in_child([b]() -> std::string {
    std::string failures;
    auto check = [&](bool ok, const std::string& what) {
      if (!ok) failures += what + "\n";
    };
    auto fsuid = [] { return static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))); };
    {
      auto none = fs_identity_scope::enter(nullptr);
      check(static_cast<bool>(none), "enter(nullptr) failed");
      check(fsuid() == 0 && can_open(b + "/root_only"), "enter(nullptr) changed the identity");
    }
    credentials svc = service_credentials();
    credentials other = svc;
    other.uid = other_uid;
    other.gid = other_gid;
    other.groups = {other_gid};
    {
      auto outer = fs_identity_scope::enter(&svc);
      check(static_cast<bool>(outer), "enter failed");
      {
        auto inner = fs_identity_scope::enter(&other);
        check(static_cast<bool>(inner) && fsuid() == other_uid, "the inner scope is not the other user");
        // Moved: only the new owner restores, once.
        auto moved = std::move(*inner);
        check(fsuid() == other_uid, "a move restored");
      }
      check(fsuid() == service_uid && groups_now() == std::vector<gid_t>{other_gid, service_gid},
            "leaving the inner scope did not return to the outer user");
      check(!can_open(b + "/root_only"), "root's rights came back inside the outer scope");
    }
    check(fsuid() == 0 && can_open(b + "/root_only"), "root's identity not restored after nested scopes");
    return failures;
  });
}

TEST_F(trusted_path_test, fs_identity_scope_without_privilege_is_an_error_and_changes_nothing) {
  expect_in_child([]() -> std::string {
    const std::vector<gid_t> mine = {other_gid};
    if (::setgroups(mine.size(), mine.data()) != 0 || ::setgid(other_gid) != 0 || ::setuid(other_uid) != 0) {
      return "cannot become uid 4242";
    }
    credentials svc = service_credentials();
    auto as = fs_identity_scope::enter(&svc);
    if (as) return "a user without privilege acted as another user\n";
    std::string failures;
    if (as.err().code != std::error_code(EPERM, std::system_category()))
      failures += "not EPERM: " + as.err().message() + "\n";
    if (as.err().message().find("cannot act as user svc") == std::string::npos)
      failures += "message does not name the user: " + as.err().message() + "\n";
    if (static_cast<uid_t>(::setfsuid(static_cast<uid_t>(-1))) != other_uid ||
        static_cast<gid_t>(::setfsgid(static_cast<gid_t>(-1))) != other_gid || groups_now() != mine) {
      failures += "the failed attempt changed the identity\n";
    }
    return failures;
  });
}

}  // namespace
