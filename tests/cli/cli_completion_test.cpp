// SPDX-License-Identifier: MIT
// Shell completion (completion/): bash's function driven the way bash
// drives it, fish's `complete -C`, and zsh's completion system on a
// pseudo-terminal, each with the built daemonkit first in PATH and real
// services in this test's state directory. What every shell offers is held
// against the tool itself: each command of `daemonkit --help`, each option
// of `daemonkit COMMAND --help`. The services file's commands (check, up,
// down, import, -f on status and list) are also held against their
// documented options, and the names up and down complete are read from a
// real services file, so those tests need no services of the tool. The
// installed files are checked where each shell looks for them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "cli_support.hpp"

namespace {

using namespace dk_cli;
using names = std::set<std::string>;

// Debian's shells (scripts/install-deps.sh installs zsh and fish).
const char* const bash_path = "/bin/bash";
const char* const zsh_path = "/usr/bin/zsh";
const char* const fish_path = "/usr/bin/fish";

const std::string source_dir = DK_SOURCE_DIR;
const std::string completion_dir = source_dir + "/completion";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// COMP_WORDS as bash makes them from a line typed as it is: split at blanks,
// with every run of COMP_WORDBREAKS' ':', '=' and '@' a word of its own
// ("--ready=tcp:80" is --ready = tcp : 80), and an empty word last when the
// line ends in a blank (checked against bash 5.2 on a terminal).
std::vector<std::string> comp_words(const std::string& line) {
  std::vector<std::string> words;
  auto is_break = [](char c) { return c == ':' || c == '=' || c == '@'; };
  bool in_word = false;
  for (char c : line) {
    if (c == ' ') {
      in_word = false;
      continue;
    }
    if (!in_word || is_break(c) != is_break(words.back().back())) words.emplace_back();
    words.back() += c;
    in_word = true;
  }
  if (line.empty() || line.back() == ' ') words.emplace_back();
  return words;
}

// A command's words in `daemonkit --help` style output: the first word of
// each line indented by two spaces in the section whose title is `section`.
std::vector<std::string> help_section(const std::string& help, const std::string& section) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& line : split_lines(help)) {
    if (!line.empty() && line[0] != ' ') {
      in = line.rfind(section, 0) == 0;
      continue;
    }
    if (in && line.size() > 2 && line.compare(0, 2, "  ") == 0 && line[2] != ' ') {
      out.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return out;
}

class cli_completion : public cli_fixture {
 protected:
  // The shells' environment: the built tool first in PATH (or bin), this
  // test's directories, and a home of its own (fish keeps files there).
  command_options shell_env(std::string bin = {}) const {
    command_options o;
    if (bin.empty()) {
      bin = tool_path;
      bin.erase(bin.rfind('/'));
    }
    const char* path = std::getenv("PATH");
    o.set_env.push_back("PATH=" + bin + ":" + (path != nullptr ? path : "/usr/bin:/bin"));
    o.set_env.push_back("HOME=" + home);
    o.set_env.push_back("XDG_CONFIG_HOME=" + home + "/.config");
    o.set_env.push_back("XDG_DATA_HOME=" + home + "/.local/share");
    o.unset_env.push_back("XDG_DATA_DIRS");
    o.cwd = shell_cwd;
    return env(o);
  }

  void SetUp() override {
    cli_fixture::SetUp();
    ASSERT_EQ(::mkdir(home.c_str(), 0700), 0);
  }

  // Runs a shell, which must succeed quietly; its output lines.
  std::vector<std::string> shell(const std::vector<std::string>& argv, const command_options& o) const {
    auto r = run_command(argv, o);
    EXPECT_EQ(r.exit_code(), 0) << ::testing::PrintToString(argv) << "\n" << describe(r);
    EXPECT_EQ(r.err, "") << ::testing::PrintToString(argv) << "\n" << describe(r);
    return split_lines(r.out);
  }

  // What bash offers for `line` (the cursor at its end): _daemonkit run as
  // bash runs it on TAB, with COMP_WORDS, COMP_CWORD, COMP_LINE and
  // COMP_POINT set, in a bash without bash-completion (--norc).
  names bash(const std::string& line, const std::string& prelude = "") const {
    auto words = comp_words(line);
    std::string script = prelude + "source " + shell_quote(completion_dir + "/daemonkit.bash") + "\nCOMP_WORDS=(";
    for (const auto& w : words) script += shell_quote(w) + " ";
    script += ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) + "\nCOMP_LINE=" + shell_quote(line) +
              "\nCOMP_POINT=" + std::to_string(line.size()) +
              "\n_daemonkit\nfor r in \"${COMPREPLY[@]}\"; do printf '%s\\n' \"$r\"; done\n";
    auto out = shell({bash_path, "--norc", "--noprofile", "-c", script}, shell_env());
    return {out.begin(), out.end()};
  }

  // What fish offers for each line (`complete -C`), without a description.
  std::vector<names> fish(const std::vector<std::string>& lines) const {
    std::string script = "source " + shell_quote(completion_dir + "/daemonkit.fish") + "\n";
    for (const auto& l : lines) script += "complete -C " + shell_quote(l) + " | string replace -r '\\t.*' ''; echo\n";
    return blocks(shell({fish_path, "--no-config", "-c", script}, shell_env()), lines.size());
  }
  names fish(const std::string& line) const { return fish(std::vector<std::string>{line}).at(0); }

  // What zsh's completion system offers for each line: a real zsh on a
  // pseudo-terminal, TAB typed (tests/helpers/zsh_complete.zsh).
  std::vector<names> zsh(const std::vector<std::string>& lines) const {
    std::vector<std::string> argv{zsh_path, "-f", source_dir + "/tests/helpers/zsh_complete.zsh", completion_dir};
    argv.insert(argv.end(), lines.begin(), lines.end());
    return blocks(shell(argv, shell_env()), lines.size());
  }
  names zsh(const std::string& line) const { return zsh(std::vector<std::string>{line}).at(0); }

  // Output in blocks, each ended by an empty line.
  static std::vector<names> blocks(const std::vector<std::string>& out, size_t count) {
    std::vector<names> b(1);
    for (const auto& l : out) {
      if (l.empty()) b.emplace_back();
      else b.back().insert(l);
    }
    b.pop_back();
    EXPECT_EQ(b.size(), count) << "one block of matches per line asked";
    b.resize(count);
    return b;
  }

  // The commands `daemonkit --help` lists.
  std::vector<std::string> tool_commands() const {
    auto r = dk({"--help"});
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    auto c = help_section(r.out, "Subcommands:");
    EXPECT_GE(c.size(), 11u) << "no commands found in daemonkit --help:\n" << r.out;
    return c;
  }

  // The options `daemonkit COMMAND --help` lists ("-n,--lines" is two).
  names tool_options(const std::string& command) const {
    auto r = dk({command, "--help"});
    EXPECT_EQ(r.exit_code(), 0) << describe(r);
    names o;
    for (const auto& spec : help_section(r.out, "Options:")) {
      std::istringstream parts(spec);
      for (std::string p; std::getline(parts, p, ',');) o.insert(p);
    }
    EXPECT_FALSE(o.empty()) << "no options found in daemonkit " << command << " --help:\n" << r.out;
    return o;
  }

  // Starts the helper as service name in state directory dir (not this
  // test's), stopped at the end.
  void start_elsewhere(const std::string& dir, const std::string& name) {
    auto r = dk({"start", "--state-dir", dir, "--name", name, "--", test_child_path, "pause"});
    ASSERT_EQ(r.exit_code(), 0) << describe(r);
    on_teardown([this, dir, name] { EXPECT_EQ(dk({"stop", "--state-dir", dir, name}).exit_code(), 0); });
  }

  std::string home = tmp.file("home");
  std::string shell_cwd;  // the shells' working directory, when set
};

const names ready_modes{"exec", "notify", "fd:", "pidfile:", "tcp:", "http://", "cmd:"};
const names re_options{"--ready",         "--ready-timeout",      "--reload-signal",     "--reload-timeout",
                       "--respawn",       "--respawn-min-uptime", "--respawn-max-delay", "--respawn-limit",
                       "--respawn-window"};

bool has_all(const names& have, const names& want) {
  return std::includes(have.begin(), have.end(), want.begin(), want.end());
}

// A services file with each form of header the completions read: bare,
// quoted (a name with a dot must be), a service's sub-table, one indented
// with blanks inside and a comment after; and tables that are not services
// (an array of tables is not a service either).
const char* const services_toml = R"([defaults]
respawn = "on-failure"

[services.db]
command = ["postgres"]

[services.db.env]
PGDATA = "/srv/pg"

  [ services . "api.v2" ]  # quoted: a dot would split the key
command = "api"

[services.'web-1']
command = "web"
depends_on = ["db"]

[servicesx.nope]
[[services.array]]
)";
const names file_services{"api.v2", "db", "web-1"};

// The options of the services file's commands (docs/man/daemonkit.1.scd),
// so that the completions are checked before, and whatever, the tool on
// PATH knows of them.
names with_common(names n) {
  n.insert({"-h", "--help", "--state-dir", "--log-dir"});
  return n;
}
const std::vector<std::pair<std::string, names>> services_file_options{
    {"check", with_common({"-f", "--file"})},
    {"up", with_common({"-f", "--file", "--dry-run", "--remove-orphans"})},
    {"down", with_common({"-f", "--file"})},
    {"import", with_common({})},
    {"status", with_common({"-f", "--file", "--json"})},
    {"list", with_common({"-f", "--file", "--json", "--names"})},
};

TEST_F(cli_completion, bash_splits_words_as_bash_does) {
  EXPECT_EQ(comp_words("daemonkit start --ready=tcp:80"),
            (std::vector<std::string>{"daemonkit", "start", "--ready", "=", "tcp", ":", "80"}));
  EXPECT_EQ(comp_words("daemonkit stop "), (std::vector<std::string>{"daemonkit", "stop", ""}));
  EXPECT_EQ(comp_words("daemonkit stop a@"), (std::vector<std::string>{"daemonkit", "stop", "a", "@"}));
}

TEST_F(cli_completion, bash_completes_commands_and_options) {
  EXPECT_EQ(bash("daemonkit st"), (names{"start", "status", "stop"}));
  EXPECT_EQ(bash("daemonkit --v"), (names{"--version"}));
  EXPECT_EQ(bash("daemonkit start --re"), re_options);
  EXPECT_EQ(bash("daemonkit run --re"), re_options);
  EXPECT_EQ(bash("daemonkit logs --f"), (names{"--follow"}));
  EXPECT_EQ(bash("daemonkit help re"), (names{"reload", "remove", "reopen", "restart"}));
}

// A command or an option added to the tool without its completion fails here.
TEST_F(cli_completion, every_shell_offers_every_command_and_option_of_the_tool) {
  auto commands = tool_commands();
  names all(commands.begin(), commands.end());
  EXPECT_TRUE(has_all(bash("daemonkit "), all));
  EXPECT_TRUE(has_all(fish("daemonkit "), all));
  EXPECT_TRUE(has_all(zsh("daemonkit "), all));

  std::vector<std::string> lines;
  for (const auto& c : commands) lines.push_back("daemonkit " + c + " -");
  auto in_fish = fish(lines);
  auto in_zsh = zsh(lines);
  for (size_t i = 0; i < commands.size(); ++i) {
    SCOPED_TRACE(commands[i]);
    auto options = tool_options(commands[i]);
    EXPECT_EQ(bash(lines[i]), options) << "bash";
    EXPECT_EQ(in_fish[i], options) << "fish";
    EXPECT_EQ(in_zsh[i], options) << "zsh";
  }
}

TEST_F(cli_completion, bash_completes_the_services_in_the_state_directory) {
  start_child("web", {"pause"});
  start_child("getty@tty1", {"pause"});
  const names both{"getty@tty1", "web"};
  for (std::string c : {"stop", "restart", "reload", "reopen", "logs", "signal", "status", "remove"}) {
    EXPECT_EQ(bash("daemonkit " + c + " "), both) << c;
  }
  EXPECT_EQ(bash("daemonkit stop w"), (names{"web"}));
  EXPECT_EQ(bash("daemonkit stop --timeout 5s "), both);
  EXPECT_EQ(bash("daemonkit stop web "), names{}) << "stop takes one name";
  EXPECT_EQ(bash("daemonkit status web "), (names{"getty@tty1"})) << "each name once";
  // Readline replaces what follows the '@' (a word break): the replies too.
  EXPECT_EQ(bash("daemonkit stop getty@"), (names{"tty1"}));
  EXPECT_FALSE(bash("daemonkit start w").count("web")) << "start's word is a command";
  EXPECT_EQ(bash("daemonkit list "), names{});

  // --state-dir on the line is the directory asked.
  std::string other = tmp.file("other");
  start_elsewhere(other, "elsewhere");
  EXPECT_EQ(bash("daemonkit stop --state-dir " + other + " "), (names{"elsewhere"}));
  EXPECT_EQ(bash("daemonkit signal --state-dir=" + other + " "), (names{"elsewhere"}));
  EXPECT_EQ(bash("daemonkit stop "), both);

  // Without the tool in PATH: nothing, and no error.
  EXPECT_EQ(bash("daemonkit stop ", "PATH=/nonexistent\n"), names{});
}

TEST_F(cli_completion, bash_completes_option_values) {
  EXPECT_EQ(bash("daemonkit start --ready "), ready_modes);
  EXPECT_EQ(bash("daemonkit start --ready=no"), (names{"notify"}));
  EXPECT_EQ(bash("daemonkit run --health "), (names{"tcp:", "http://", "cmd:"}));
  EXPECT_EQ(bash("daemonkit start --kill-mode "), (names{"group", "process", "mixed"}));
  EXPECT_EQ(bash("daemonkit start --respawn "), (names{"always", "on-failure"}));
  EXPECT_TRUE(bash("daemonkit start --respawn sle").count("sleep")) << "or the command, when no mode fits";

  auto signals = bash("daemonkit signal web ");
  EXPECT_TRUE(has_all(signals, {"TERM", "HUP", "KILL", "USR1", "RTMIN"})) << ::testing::PrintToString(signals);
  EXPECT_FALSE(signals.count("web"));
  EXPECT_EQ(bash("daemonkit signal web SIGTE"), (names{"SIGTERM"}));
  EXPECT_EQ(bash("daemonkit start --stop-signal TE"), (names{"TERM"}));
  EXPECT_EQ(bash("daemonkit start --reload-signal no"), (names{"none"}));

  EXPECT_TRUE(bash("daemonkit start --user ro").count("root"));
  EXPECT_TRUE(bash("daemonkit start --user root:ro").count("root")) << "the group, after the ':'";
  EXPECT_EQ(bash("daemonkit start --rlimit nof"), (names{"nofile="}));

  // Files and directories, also after pidfile: (readline replaces the part
  // after the ':').
  std::string dir = tmp.file("files");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir + "/subdir").c_str(), 0755), 0);
  write_file(dir + "/some.log", "");
  EXPECT_EQ(bash("daemonkit start --log-file " + dir + "/s"), (names{dir + "/some.log", dir + "/subdir"}));
  EXPECT_EQ(bash("daemonkit start --chdir " + dir + "/s"), (names{dir + "/subdir"}));
  EXPECT_EQ(bash("daemonkit stop --state-dir=" + dir + "/s"), (names{dir + "/subdir"}));
  EXPECT_EQ(bash("daemonkit start --ready pidfile:" + dir + "/so"), (names{dir + "/some.log"}));
}

TEST_F(cli_completion, bash_completes_the_service_command_as_a_command) {
  EXPECT_TRUE(bash("daemonkit start -- sle").count("sleep"));
  EXPECT_TRUE(bash("daemonkit start sle").count("sleep"));
  EXPECT_TRUE(bash("daemonkit run --name x --timestamps sle").count("sleep"));
  // The command's own words are its, not options of ours.
  EXPECT_EQ(bash("daemonkit start -- sleep --re"), names{});
  EXPECT_EQ(bash("daemonkit start sleep 1 --re"), names{});
}

TEST_F(cli_completion, fish_completes_commands_services_and_values) {
  auto check = run_command({fish_path, "--no-execute", completion_dir + "/daemonkit.fish"}, shell_env());
  EXPECT_EQ(check.exit_code(), 0) << describe(check);

  start_child("web", {"pause"});
  start_child("getty@tty1", {"pause"});
  std::string other = tmp.file("other");
  start_elsewhere(other, "elsewhere");
  auto got = fish({"daemonkit st", "daemonkit start --re", "daemonkit stop ", "daemonkit status web ",
                   "daemonkit stop --state-dir " + other + " ", "daemonkit start --ready ", "daemonkit signal web ",
                   "daemonkit signal web SIGTE", "daemonkit start --kill-mode ", "daemonkit start --respawn ",
                   "daemonkit start -- sle", "daemonkit start sleep 1 --re", "daemonkit list "});
  EXPECT_EQ(got[0], (names{"start", "status", "stop"}));
  EXPECT_EQ(got[1], re_options);
  EXPECT_EQ(got[2], (names{"getty@tty1", "web"}));
  EXPECT_EQ(got[3], (names{"getty@tty1"}));
  EXPECT_EQ(got[4], (names{"elsewhere"}));
  EXPECT_EQ(got[5], ready_modes);
  EXPECT_TRUE(has_all(got[6], {"TERM", "HUP", "KILL", "USR1", "RTMIN"})) << ::testing::PrintToString(got[6]);
  EXPECT_EQ(got[7], (names{"SIGTERM"}));
  EXPECT_EQ(got[8], (names{"group", "process", "mixed"}));
  EXPECT_TRUE(has_all(got[9], {"always", "on-failure"}));
  EXPECT_TRUE(got[10].count("sleep"));
  EXPECT_EQ(got[11], names{});
  EXPECT_EQ(got[12], names{});
}

TEST_F(cli_completion, zsh_completes_commands_services_and_values) {
  start_child("web", {"pause"});
  start_child("getty@tty1", {"pause"});
  std::string other = tmp.file("other");
  start_elsewhere(other, "elsewhere");
  auto got = zsh({"daemonkit st", "daemonkit start --re", "daemonkit stop ", "daemonkit status web ",
                  "daemonkit stop --state-dir " + other + " ", "daemonkit start --ready ", "daemonkit signal web ",
                  "daemonkit signal web SIGTE", "daemonkit start --kill-mode ", "daemonkit start --respawn ",
                  "daemonkit start -- sle", "daemonkit list "});
  EXPECT_EQ(got[0], (names{"start", "status", "stop"}));
  EXPECT_EQ(got[1], re_options);
  EXPECT_EQ(got[2], (names{"getty@tty1", "web"}));
  EXPECT_EQ(got[3], (names{"getty@tty1"}));
  EXPECT_EQ(got[4], (names{"elsewhere"}));
  EXPECT_EQ(got[5], ready_modes);
  EXPECT_TRUE(has_all(got[6], {"TERM", "HUP", "KILL", "USR1", "RTMIN"})) << ::testing::PrintToString(got[6]);
  EXPECT_EQ(got[7], (names{"SIGTERM"}));
  EXPECT_EQ(got[8], (names{"group", "process", "mixed"}));
  EXPECT_TRUE(has_all(got[9], {"always", "on-failure"}));
  EXPECT_TRUE(got[10].count("sleep"));
  // With nothing else to offer, zsh offers the options.
  EXPECT_TRUE(std::all_of(got[11].begin(), got[11].end(), [](const auto& m) { return m[0] == '-'; }))
      << ::testing::PrintToString(got[11]);
}

TEST_F(cli_completion, every_shell_offers_the_services_file_commands_and_their_options) {
  const names commands{"check", "up", "down", "import"};
  EXPECT_TRUE(has_all(bash("daemonkit "), commands));
  EXPECT_TRUE(has_all(fish("daemonkit "), commands));
  EXPECT_TRUE(has_all(zsh("daemonkit "), commands));
  EXPECT_EQ(bash("daemonkit u"), (names{"unit", "up"}));
  EXPECT_TRUE(has_all(bash("daemonkit help "), commands));
  EXPECT_TRUE(has_all(fish("daemonkit help "), commands));
  EXPECT_TRUE(has_all(zsh("daemonkit help "), commands));

  std::vector<std::string> lines;
  for (const auto& [command, options] : services_file_options) lines.push_back("daemonkit " + command + " -");
  auto in_fish = fish(lines);
  auto in_zsh = zsh(lines);
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    const auto& options = services_file_options[i].second;
    EXPECT_EQ(bash(lines[i]), options) << "bash";
    EXPECT_EQ(in_fish[i], options) << "fish";
    EXPECT_EQ(in_zsh[i], options) << "zsh";
  }
  EXPECT_EQ(bash("daemonkit up --r"), (names{"--remove-orphans"}));
  EXPECT_EQ(bash("daemonkit down --f"), (names{"--file"}));
}

// up and down complete the services of the -f file on the line, else of
// ./daemonkit.toml, each once; nothing (and no error) without a file.
TEST_F(cli_completion, every_shell_completes_the_services_of_the_file_for_up_and_down) {
  std::string app = tmp.file("app"), other_dir = tmp.file("other-dir"), elsewhere = tmp.file("elsewhere");
  for (const auto& d : {app, other_dir, elsewhere}) ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
  write_file(app + "/daemonkit.toml", services_toml);
  std::string other = other_dir + "/other.toml";
  write_file(other, "[services.only]\ncommand = \"sleep 1\"\n");

  shell_cwd = app;
  EXPECT_EQ(bash("daemonkit up "), file_services);
  EXPECT_EQ(bash("daemonkit down "), file_services);
  EXPECT_EQ(bash("daemonkit up d"), (names{"db"}));
  EXPECT_EQ(bash("daemonkit up db "), (names{"api.v2", "web-1"})) << "each name once";
  EXPECT_EQ(bash("daemonkit down db api.v2 "), (names{"web-1"}));
  EXPECT_EQ(bash("daemonkit up -f " + other + " "), (names{"only"}));
  EXPECT_EQ(bash("daemonkit up --file " + other + " "), (names{"only"}));
  EXPECT_EQ(bash("daemonkit down --file=" + other + " "), (names{"only"}));
  EXPECT_EQ(bash("daemonkit up --state-dir " + app + " -f " + other + " --dry-run "), (names{"only"}));
  EXPECT_EQ(bash("daemonkit up -f " + app + "/nonexistent.toml "), names{});
  EXPECT_EQ(bash("daemonkit check "), names{}) << "check takes no name";
  EXPECT_FALSE(bash("daemonkit stop ").count("db")) << "stop's names are the state directory's";

  std::vector<std::string> lines{"daemonkit up ",
                                 "daemonkit down ",
                                 "daemonkit up db ",
                                 "daemonkit up -f " + other + " ",
                                 "daemonkit down --file=" + other + " ",
                                 "daemonkit up --dry-run --file " + other + " ",
                                 "daemonkit up -f " + app + "/nonexistent.toml "};
  const std::vector<names> expected{file_services, file_services, {"api.v2", "web-1"}, {"only"}, names{"only"},
                                    names{"only"}, names{}};
  auto in_fish = fish(lines);
  auto in_zsh = zsh(lines);
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i]);
    EXPECT_EQ(in_fish[i], expected[i]) << "fish";
    if (expected[i].empty()) {
      // With no name to offer, zsh offers the options.
      EXPECT_TRUE(std::all_of(in_zsh[i].begin(), in_zsh[i].end(), [](const auto& m) { return m[0] == '-'; }))
          << ::testing::PrintToString(in_zsh[i]);
    } else {
      EXPECT_EQ(in_zsh[i], expected[i]) << "zsh";
    }
  }

  // Where there is no ./daemonkit.toml, no names.
  shell_cwd = elsewhere;
  EXPECT_EQ(bash("daemonkit up "), names{});
  EXPECT_EQ(fish("daemonkit up "), names{});
  auto zsh_elsewhere = zsh("daemonkit down ");
  EXPECT_TRUE(std::all_of(zsh_elsewhere.begin(), zsh_elsewhere.end(), [](const auto& m) { return m[0] == '-'; }))
      << ::testing::PrintToString(zsh_elsewhere);
}

// -f FILE offers *.toml files (and directories), import any file; logs's
// -f stays --follow, which takes no file.
TEST_F(cli_completion, every_shell_completes_toml_files_after_dash_f) {
  std::string dir = tmp.file("files");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir + "/sub").c_str(), 0755), 0);
  write_file(dir + "/app.toml", "");
  write_file(dir + "/notes.txt", "");
  write_file(dir + "/Procfile", "");

  for (std::string c : {"check", "up", "down", "status", "list"}) {
    EXPECT_EQ(bash("daemonkit " + c + " -f " + dir + "/"), (names{dir + "/app.toml", dir + "/sub"})) << c;
  }
  EXPECT_EQ(bash("daemonkit up --file=" + dir + "/a"), (names{dir + "/app.toml"}));
  EXPECT_EQ(bash("daemonkit import " + dir + "/"),
            (names{dir + "/app.toml", dir + "/notes.txt", dir + "/Procfile", dir + "/sub"}));
  shell_cwd = dir;
  EXPECT_EQ(bash("daemonkit logs -f "), names{}) << "no service in the state directory, and no file";

  auto got = fish({"daemonkit up -f " + dir + "/", "daemonkit check --file=" + dir + "/a",
                   "daemonkit import " + dir + "/P", "daemonkit logs -f "});
  EXPECT_EQ(got[0], (names{dir + "/app.toml", dir + "/sub/"}));
  EXPECT_EQ(got[1], (names{"--file=" + dir + "/app.toml"}));
  EXPECT_EQ(got[2], (names{dir + "/Procfile"}));
  EXPECT_EQ(got[3], names{});

  // zsh hands compadd each path component on its own.
  auto in_zsh = zsh({"daemonkit up -f " + dir + "/", "daemonkit import " + dir + "/P", "daemonkit logs -f "});
  EXPECT_TRUE(has_all(in_zsh[0], {"app.toml", "sub"})) << ::testing::PrintToString(in_zsh[0]);
  EXPECT_FALSE(in_zsh[0].count("notes.txt")) << ::testing::PrintToString(in_zsh[0]);
  EXPECT_FALSE(in_zsh[0].count("Procfile")) << ::testing::PrintToString(in_zsh[0]);
  EXPECT_TRUE(in_zsh[1].count("Procfile")) << ::testing::PrintToString(in_zsh[1]);
  EXPECT_FALSE(in_zsh[2].count("app.toml")) << ::testing::PrintToString(in_zsh[2]);
}

// `cmake --install` puts each file where its shell looks by itself (for a
// prefix in XDG_DATA_DIRS, as /usr/local and /usr are by default): bash with
// bash-completion loads it on first use, zsh's compinit finds it in $fpath,
// fish in vendor_completions.d.
TEST_F(cli_completion, installed_completions_are_found_by_each_shell) {
  std::string prefix = tmp.file("prefix");
  auto inst = run_command({DK_CMAKE, "--install", DK_BINARY_DIR, "--prefix", prefix, "--component", "runtime"});
  ASSERT_EQ(inst.exit_code(), 0) << describe(inst);
  start_child("web", {"pause"});

  auto o = shell_env(prefix + "/bin");
  o.set_env.push_back("XDG_DATA_DIRS=" + prefix + "/share:/usr/share");
  const char* loader = "/usr/share/bash-completion/bash_completion";
  if (exists(loader)) {
    auto got = shell({bash_path, "--norc", "--noprofile", "-c",
                      std::string("source ") + loader +
                          "\n__load_completion daemonkit && complete -p daemonkit\n"
                          "COMP_WORDS=(daemonkit stop ''); COMP_CWORD=2; COMP_LINE='daemonkit stop '; COMP_POINT=15\n"
                          "_daemonkit; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
                          // The service's command through bash-completion's own (ls's options);
                          // compopt complains outside a real TAB.
                          "COMP_WORDS=(daemonkit start -- ls --almost-al); COMP_CWORD=4\n"
                          "COMP_LINE='daemonkit start -- ls --almost-al'; COMP_POINT=${#COMP_LINE}\n"
                          "_daemonkit 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\""},
                     o);
    EXPECT_EQ(got, (std::vector<std::string>{"complete -F _daemonkit daemonkit", "web", "--almost-all"}));
  } else {
    ADD_FAILURE() << "bash-completion is not installed (scripts/install-deps.sh installs it)";
  }

  auto zsh_found = shell({zsh_path, "-fc",
                          "fpath=(" + prefix +
                              "/share/zsh/vendor-completions $fpath); autoload -Uz compinit; "
                              "compinit -u -D; print -r -- $_comps[daemonkit]"},
                         o);
  EXPECT_EQ(zsh_found, (std::vector<std::string>{"_daemonkit"}));

  auto fish_found = shell({fish_path, "-c", "complete -C 'daemonkit sto' | string replace -r '\\t.*' ''"}, o);
  EXPECT_EQ(fish_found, (std::vector<std::string>{"stop"}));
}

}  // namespace
