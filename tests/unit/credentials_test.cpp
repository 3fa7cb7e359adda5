// SPDX-License-Identifier: MIT
// parse_user_spec and resolve_credentials against this system's passwd/group.
#include "daemonkit/credentials.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <grp.h>
#include <pwd.h>
#include <string>

namespace {

using daemonkit::errc;

TEST(parse_user_spec, splits_user_and_group) {
  auto r = daemonkit::parse_user_spec("www-data");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user, "www-data");
  EXPECT_EQ(r->group, "");
  r = daemonkit::parse_user_spec("www-data:adm");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user, "www-data");
  EXPECT_EQ(r->group, "adm");
  r = daemonkit::parse_user_spec("1000:1000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user, "1000");
  EXPECT_EQ(r->group, "1000");
}

TEST(format_user_spec, gives_back_the_text_parsed) {
  for (const char* text : {"www-data", "www-data:adm", "1000:1000", "0"}) {
    auto r = daemonkit::parse_user_spec(text);
    ASSERT_TRUE(r) << text;
    EXPECT_EQ(daemonkit::format_user_spec(*r), text);
  }
}

TEST(parse_user_spec, rejects_malformed_specs) {
  for (const char* bad : {"", ":", ":adm", "root:", "a:b:c", "root::", "ro/ot", "root:a/b", "ro\not"}) {
    auto r = daemonkit::parse_user_spec(bad);
    ASSERT_FALSE(r) << "'" << bad << "' parsed";
    EXPECT_EQ(r.err().code, errc::invalid_argument);
    EXPECT_EQ(r.err().message(), "invalid user '" + std::string(bad) + "' (expected USER or USER:GROUP)");
  }
  EXPECT_FALSE(daemonkit::parse_user_spec(std::string("ro\0ot", 5)));
}

TEST(resolve_credentials, root_by_name_and_by_uid) {
  for (const char* who : {"root", "0"}) {
    auto c = daemonkit::resolve_credentials(who);
    ASSERT_TRUE(c) << c.err().message();
    EXPECT_EQ(c->uid, 0u);
    EXPECT_EQ(c->gid, 0u);
    EXPECT_EQ(c->name, "root");
    EXPECT_EQ(c->home, "/root");
    EXPECT_NE(std::find(c->groups.begin(), c->groups.end(), 0u), c->groups.end());
  }
}

TEST(resolve_credentials, nobody_gets_its_entry_and_groups) {
  struct passwd* pw = ::getpwnam("nobody");
  ASSERT_NE(pw, nullptr) << "this system has no user nobody";
  auto c = daemonkit::resolve_credentials("nobody");
  ASSERT_TRUE(c) << c.err().message();
  EXPECT_EQ(c->uid, pw->pw_uid);
  EXPECT_EQ(c->gid, pw->pw_gid);
  EXPECT_EQ(c->name, "nobody");
  EXPECT_EQ(c->home, pw->pw_dir);
  EXPECT_EQ(c->shell, pw->pw_shell);
  EXPECT_FALSE(c->groups.empty());
  EXPECT_NE(std::find(c->groups.begin(), c->groups.end(), pw->pw_gid), c->groups.end());
  EXPECT_EQ(std::find(c->groups.begin(), c->groups.end(), 0u), c->groups.end()) << "nobody is not in group root";
}

TEST(resolve_credentials, an_explicit_group_replaces_the_primary_group) {
  struct group* gr = ::getgrnam("nogroup");
  ASSERT_NE(gr, nullptr) << "this system has no group nogroup";
  auto c = daemonkit::resolve_credentials("root", "nogroup");
  ASSERT_TRUE(c) << c.err().message();
  EXPECT_EQ(c->uid, 0u);
  EXPECT_EQ(c->gid, gr->gr_gid);
  c = daemonkit::resolve_credentials("root", "12345");
  ASSERT_TRUE(c) << c.err().message();
  EXPECT_EQ(c->gid, 12345u);
}

TEST(resolve_credentials, a_bare_uid_without_an_entry_needs_an_explicit_group) {
  ASSERT_EQ(::getpwuid(54321), nullptr);
  auto c = daemonkit::resolve_credentials("54321");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().code, errc::invalid_argument);
  EXPECT_NE(c.err().message().find("54321:GROUP"), std::string::npos) << c.err().message();
  c = daemonkit::resolve_credentials("54321", "54321");
  ASSERT_TRUE(c) << c.err().message();
  EXPECT_EQ(c->uid, 54321u);
  EXPECT_EQ(c->gid, 54321u);
  EXPECT_EQ(c->groups, std::vector<gid_t>{54321});
}

TEST(resolve_credentials, names_the_user_or_group_that_does_not_exist) {
  auto c = daemonkit::resolve_credentials("dk-no-such-user");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().code, errc::invalid_argument);
  EXPECT_EQ(c.err().message(), "no such user 'dk-no-such-user'");
  c = daemonkit::resolve_credentials("root", "dk-no-such-group");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.err().message(), "no such group 'dk-no-such-group'");
}

}  // namespace
