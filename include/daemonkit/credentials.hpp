// SPDX-License-Identifier: MIT
/// \file
/// Users and groups to run as, resolved before any fork.
///
/// getpwnam() and getgrouplist() are not async-signal-safe, so they run here,
/// in the parent; the child only calls setgroups/setgid/setuid on the result.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "daemonkit/export.hpp"
#include "daemonkit/result.hpp"

DAEMONKIT_API_BEGIN
namespace daemonkit {

/// A user and group looked up (resolve_credentials), ready for a child to
/// switch to without another lookup.
struct credentials {
  uid_t uid = 0;              ///< the user id
  gid_t gid = 0;              ///< the primary group id (or the group asked for)
  std::vector<gid_t> groups;  ///< supplementary groups (initgroups semantics)
  std::string name;           ///< user name (for USER/LOGNAME)
  std::string home;           ///< home directory (for HOME)
  std::string shell;          ///< login shell (empty without a passwd entry)
};

/// Whom to run as, as given ("USER[:GROUP]"), before any lookup: the lookup
/// (resolve_credentials) belongs at start time, since the passwd and group
/// entries may change between starts.
struct user_spec {
  std::string user;   ///< a name or a numeric uid; never empty
  std::string group;  ///< a name or a numeric gid; empty: the user's primary group

  /// Equal when user and group are.
  bool operator==(const user_spec&) const = default;
};

/// "USER" or "USER:GROUP"; each part a name or a numeric id. Returns the two
/// parts; errc::invalid_argument for an empty user, an empty group after ':',
/// or more than one ':'.
result<user_spec> parse_user_spec(std::string_view spec);

/// The text parse_user_spec reads back as the same spec: "USER" or
/// "USER:GROUP" (for a parsed spec, exactly the text it was parsed from).
std::string format_user_spec(const user_spec& spec);

/// Looks up user (name or uid) and optional group (name or gid; default the
/// user's primary group), with the user's supplementary groups. Errors name
/// the user or group that does not exist. A numeric uid or gid is taken as it
/// is even without a passwd or group entry (containers), but a uid without a
/// passwd entry has no primary group, so it needs an explicit group: without
/// one it is an error (never the gid of the same number); it then gets no
/// supplementary groups. 4294967295 ((uid_t)-1) is no id and always an error.
result<credentials> resolve_credentials(const std::string& user, const std::string& group = {});

}  // namespace daemonkit
DAEMONKIT_API_END
