// Users and groups to run as, resolved before any fork.
//
// getpwnam() and getgrouplist() are not async-signal-safe, so they run here,
// in the parent; the child only calls setgroups/setgid/setuid on the result.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "daemonkit/result.hpp"

namespace daemonkit {

struct credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (initgroups semantics)
  std::string name;           // user name (for USER/LOGNAME)
  std::string home;           // home directory (for HOME)
  std::string shell;
};

// "USER" or "USER:GROUP"; each part a name or a numeric id. Returns the two
// parts; errc::invalid_argument for an empty user, an empty group after ':',
// or more than one ':'.
result<std::pair<std::string, std::string>> parse_user_spec(std::string_view spec);

// Looks up user (name or uid) and optional group (name or gid; default the
// user's primary group), with the user's supplementary groups. Errors name
// the user or group that does not exist. A numeric uid or gid is taken as it
// is even without a passwd or group entry (containers), but a uid without a
// passwd entry has no primary group, so it needs an explicit group: without
// one it is an error (never the gid of the same number); it then gets no
// supplementary groups. 4294967295 ((uid_t)-1) is no id and always an error.
result<credentials> resolve_credentials(const std::string& user, const std::string& group = {});

}  // namespace daemonkit
