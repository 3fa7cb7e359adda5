// SPDX-License-Identifier: MIT
// resolve_credentials(), apart from the rest of credentials.hpp: it is the
// library's one user of NSS (getpwnam_r, getgrouplist), and the monitor
// program, linked static, must not link it in (monitor_options::identity).
#include <charconv>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "daemonkit/credentials.hpp"

namespace daemonkit {

namespace {
bool parse_id(std::string_view s, unsigned& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// (uid_t)-1 and (gid_t)-1 are not ids: to setresuid/setresgid they mean
// "leave this one unchanged", which would keep root's.
constexpr unsigned unchanged_id = static_cast<unsigned>(-1);
}  // namespace

result<credentials> resolve_credentials(const std::string& user, const std::string& group) {
  credentials c;
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  unsigned id = 0;
  int rc = 0;
  if (parse_id(user, id)) {
    rc = ::getpwuid_r(static_cast<uid_t>(id), &pw, buf.data(), buf.size(), &found);
  } else {
    rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  }
  if (rc != 0) return system_error("cannot look up user '" + user + "'", rc);
  if (found == nullptr) {
    if (!parse_id(user, id)) return make_error(errc::invalid_argument, "no such user '" + user + "'");
    if (id == unchanged_id) return make_error(errc::invalid_argument, "invalid uid " + user);
    // A bare uid with no passwd entry is allowed (containers), but its group
    // must be named: taking the gid equal to the uid would hand the service
    // whatever group has that number here (43 is utmp, 15 kmem on Debian).
    if (group.empty()) {
      return make_error(errc::invalid_argument, "user " + user +
                                                    " has no passwd entry, so it has no group of its own; name one "
                                                    "explicitly (" +
                                                    user + ":GROUP)");
    }
    c.uid = static_cast<uid_t>(id);
    c.name = user;
    c.home = "/";
  } else {
    c.uid = pw.pw_uid;
    c.gid = pw.pw_gid;
    c.name = pw.pw_name;
    c.home = pw.pw_dir ? pw.pw_dir : "/";
    c.shell = pw.pw_shell ? pw.pw_shell : "";
  }

  if (!group.empty()) {
    struct group gr {};
    struct group* gfound = nullptr;
    std::vector<char> gbuf(16384);
    if (parse_id(group, id)) {
      // Explicit, so taken as it is even without a group entry.
      if (id == unchanged_id) return make_error(errc::invalid_argument, "invalid gid " + group);
      c.gid = static_cast<gid_t>(id);
    } else {
      rc = ::getgrnam_r(group.c_str(), &gr, gbuf.data(), gbuf.size(), &gfound);
      if (rc != 0) return system_error("cannot look up group '" + group + "'", rc);
      if (gfound == nullptr) return make_error(errc::invalid_argument, "no such group '" + group + "'");
      c.gid = gr.gr_gid;
    }
  }

  if (found != nullptr) {
    int n = 64;
    for (;;) {
      c.groups.resize(static_cast<size_t>(n));
      int want = n;
      if (::getgrouplist(c.name.c_str(), c.gid, c.groups.data(), &want) >= 0) {
        c.groups.resize(static_cast<size_t>(want));
        break;
      }
      if (want <= n) want = n * 2;
      n = want;
    }
  } else {
    c.groups = {c.gid};
  }
  return c;
}

}  // namespace daemonkit
