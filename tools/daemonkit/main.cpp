// SPDX-License-Identifier: MIT
// daemonkit: run any program as a supervised daemon.
//
// This file only parses the command line and dispatches; each cmd_*.cpp does
// one subcommand by calling the library.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"
#include "cmd_unit.hpp"
#include "daemonkit/service_codec.hpp"
#include "daemonkit/version.hpp"
#include "help_text.hpp"
#include "import_file.hpp"
#include "start_options.hpp"
#include "up_step.hpp"

namespace {

// `--respawn` takes an optional mode; CLI11 would swallow the service's
// command as that value, so spell it out before parsing.
std::vector<std::string> normalise_respawn(std::vector<std::string> args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      out.insert(out.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    if (args[i] == "--respawn") {
      // The next word is its value when it is a mode, or when a "--" comes
      // later (then the command starts there, and a word that is no mode
      // is a bad value, reported as --respawn's); else it is the command.
      bool dash_later = std::find(args.begin() + static_cast<long>(i) + 1, args.end(), "--") != args.end();
      if (i + 1 < args.size() && (daemonkit::parse_respawn_mode(args[i + 1]) ||
                                  (dash_later && args[i + 1] != "--" && args[i + 1].rfind('-', 0) != 0))) {
        out.push_back("--respawn=" + args[++i]);
      } else {
        out.emplace_back("--respawn=always");
      }
      continue;
    }
    out.push_back(args[i]);
  }
  return out;
}

}  // namespace

namespace {
int run_cli(int argc, char** argv);
}  // namespace

// Anything unexpected (std::bad_alloc, a library bug) becomes one line and
// exit 1, never std::terminate's abort.
int main(int argc, char** argv) {
  try {
    // up's and down's workers (up_worker.cpp, cmd_up.cpp): internal, never
    // parsed as commands.
    if (argc >= 2 && std::string_view(argv[1]) == "__up-step") return dk::up_step_main(argc - 2, argv + 2);
    if (argc >= 2 && std::string_view(argv[1]) == "__down-step") return dk::down_step_main(argc - 2, argv + 2);
    return run_cli(argc, argv);
  } catch (const std::exception& e) {
    dk::complain("", std::string("internal error: ") + e.what());
  } catch (...) {
    std::fprintf(stderr, "daemonkit: internal error\n");
  }
  return dk::exit_failure;
}

namespace {

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  args = normalise_respawn(std::move(args));
  // Everything after the first "--" is the service's command line, never
  // options of ours.
  std::vector<std::string> command;
  if (auto dash = std::find(args.begin(), args.end(), "--"); dash != args.end()) {
    command.assign(dash + 1, args.end());
    args.erase(dash, args.end());
    if (command.empty()) command.emplace_back();  // "--" with nothing after: reported as a missing command
  }

  CLI::App app{"daemonkit: run any program as a supervised daemon", "daemonkit"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "daemonkit " DAEMONKIT_VERSION_STRING);
  dk::common_options common;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--state-dir", common.state_dir,
                    "State directory (default: $DAEMONKIT_STATE_DIR, /run/daemonkit as root, else "
                    "$XDG_RUNTIME_DIR/daemonkit or /tmp/daemonkit-UID)");
    sub->add_option(
        "--log-dir", common.log_dir,
        "Log directory (default: $DAEMONKIT_LOG_DIR, /var/log/daemonkit as root, else ~/.local/state/daemonkit/log)");
  };

  // CLI11 builds every option before it parses. start, run and unit have
  // most of them (their options twice over and a unit's): building them for
  // every command cost 0.5-0.9 ms of each run, stop and start included. So
  // when a command is named, of those three only it is built; with none
  // (--help, --version, a mistake) all are, for the help and the messages.
  const bool named = !args.empty() && !args.front().empty() && args.front()[0] != '-';
  auto wanted = [&](const char* sub) { return !named || args.front() == sub; };

  dk::start_args start_args;
  CLI::App* start = wanted("start") ? app.add_subcommand("start", "Start COMMAND as a supervised daemon") : nullptr;
  CLI::App* run = wanted("run") ? app.add_subcommand(
                                      "run", "Supervise COMMAND in the foreground (for systemd units and containers)")
                                : nullptr;
  for (auto* sub : {start, run}) {
    if (sub == nullptr) continue;
    add_common(sub);
    dk::add_start_options(sub, start_args);
    sub->prefix_command();
    sub->allow_extras();
    sub->footer("Usage: daemonkit " + sub->get_name() + " [OPTIONS] [--name NAME] -- COMMAND [ARG...]");
  }
  if (run != nullptr) dk::add_run_options(run, start_args);

  dk::unit_args unit_args;
  CLI::App* unit = nullptr;
  if (wanted("unit")) {
    unit = dk::add_unit_command(app, start_args, unit_args);
    add_common(unit);
  }

  std::string name, timeout, signal;
  auto* stop = app.add_subcommand("stop", "Stop a service and wait until every process of it is gone");
  stop->add_option("name", name, "Service name")->required();
  stop->add_option("--timeout", timeout,
                   "Time to wait after the stop signal before SIGKILL (default: the service's --stop-timeout)");
  auto* restart = app.add_subcommand("restart", "Stop a service fully, then start it again with its stored options");
  restart->add_option("name", name, "Service name")->required();
  auto* reload = app.add_subcommand("reload", "Send a service its reload signal (default HUP)");
  reload->add_option("name", name, "Service name")->required();
  auto* sig = app.add_subcommand("signal", "Send a signal to a service's main process");
  sig->add_option("name", name, "Service name")->required();
  sig->add_option("signal", signal, "TERM, SIGTERM or 15")->required();
  auto* reopen =
      app.add_subcommand("reopen", "Make a service's monitor reopen its log files (for logrotate's postrotate)");
  reopen->add_option("name", name, "Service name")->required();

  std::vector<std::string> names;
  bool json = false;
  auto* status = app.add_subcommand(
      "status",
      "Show services (LSB exit codes: 0 a process of it is alive (and, with --health, not unhealthy), 1 dead/failed "
      "or unhealthy, 3 not running (stopped, exited, or in backoff waiting to respawn), 4 unknown)");
  status->add_option("name", names, "Service names (default: all)");
  status->add_flag("--json", json, "Machine-readable output");
  auto* list = app.add_subcommand("list", "List every service in the state directory");
  std::vector<std::string> remove_names;
  auto* remove = app.add_subcommand(
      "remove", "Forget services that are not running: their state files (NAME.state, NAME.json, NAME.pid), not logs");
  remove->add_option("name", remove_names, "Service names")->required();
  auto* list_json = list->add_flag("--json", json, "Machine-readable output");
  bool names_only = false;
  list->add_flag("--names", names_only, "Only the names, one a line (for scripts and shell completion)")
      ->excludes(list_json);
  long lines = 10;
  bool follow = false;
  auto* logs = app.add_subcommand("logs", "Show a service's log");
  logs->add_option("name", name, "Service name")->required();
  logs->add_option("-n,--lines", lines, "Number of lines from the end (default 10)")->check(CLI::NonNegativeNumber);
  logs->add_flag("-f,--follow", follow, "Keep printing new lines (follows rotation)");
  // The services file: check, up, down, and -f for status and list.
  std::string file;
  dk::up_options up_opts;
  const char* file_help = "The services file (default: ./daemonkit.toml)";
  auto* check = app.add_subcommand("check", "Check a services file: syntax, keys, values, dependencies");
  check->add_option("-f,--file", file, file_help);
  auto* up = app.add_subcommand(
      "up", "Start the services of a file in dependency order; restart those whose settings changed");
  up->add_option("-f,--file", file, file_help);
  up->add_flag("--dry-run", up_opts.dry_run, "Print what up would do, and do nothing");
  up->add_flag("--remove-orphans", up_opts.remove_orphans,
               "Stop and remove services started from the file that it no longer has");
  up->add_option("name", up_opts.names, "Services of the file (default: all), with what they depend on");
  auto* down = app.add_subcommand("down", "Stop the services of a file, dependants first");
  down->add_option("-f,--file", file, file_help);
  down->add_option("name", names, "Services of the file (default: all), with what depends on them");
  std::string import_path;
  auto* import =
      app.add_subcommand("import", "Print a daemonkit.toml equivalent to a supervisord config or a Procfile");
  import->add_option("file", import_path, "The supervisord config or Procfile")->required();
  auto* status_file = status->add_option("-f,--file", file, "Only the services of this services file");
  status_file->excludes(status->get_option("name"));
  list->add_option("-f,--file", file, "Only the services of this services file");
  for (auto* sub : {stop, restart, reload, sig, reopen, status, list, remove, logs, check, up, down, import}) {
    add_common(sub);
  }
  std::string help_command;
  auto* help = app.add_subcommand("help", "Show daemonkit(1)'s section about COMMAND (without COMMAND: the synopsis)");
  help->add_option("command", help_command, "A command of daemonkit");

  auto known = [&](const std::string& n) {
    for (const auto* sub : app.get_subcommands({})) {
      if (sub->get_name() == n) return true;
    }
    return false;
  };
  if (!args.empty() && !args.front().empty() && args.front()[0] != '-' && !known(args.front())) {
    dk::usage_error("unknown command '" + args.front() + "'");
    std::fprintf(stderr, "Try 'daemonkit --help'.\n");
    return dk::exit_usage;
  }
  try {
    std::reverse(args.begin(), args.end());
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's message quotes what was typed: escaped like every other.
    dk::usage_error(e.what());
    std::fprintf(stderr, "Try 'daemonkit --help' or 'daemonkit SUBCOMMAND --help'.\n");
    return dk::exit_usage;
  }

  const bool starting = start != nullptr && *start;
  if (starting || (run != nullptr && *run)) {
    auto* sub = starting ? start : run;
    bool foreground = !starting;
    std::vector<std::string> cmdline = sub->remaining();
    if (!command.empty()) {
      if (!cmdline.empty()) return dk::usage_error("unexpected '" + cmdline.front() + "' before '--'");
      cmdline = command;
      if (cmdline.size() == 1 && cmdline[0].empty()) cmdline.clear();
    } else if (!cmdline.empty() && cmdline.front().size() > 1 && cmdline.front()[0] == '-') {
      // Without "--", a leading word like "--nmae" is a mistyped option of
      // ours, not a program to run.
      return dk::usage_error("unknown option '" + cmdline.front() + "' (put the command after '--')");
    }
    auto req = dk::make_start_request(start_args, std::move(cmdline), common, foreground);
    if (!req) return dk::usage_error(req.err().message());
    return starting ? dk::cmd_start(common, std::move(*req)) : dk::cmd_run(common, std::move(*req));
  }
  if (unit != nullptr && *unit) return dk::cmd_unit(common, start_args, unit_args, command);
  if (!command.empty()) return dk::usage_error("'--' is only for start, run and unit");
  if (*stop) return dk::cmd_stop(common, name, timeout);
  if (*restart) return dk::cmd_restart(common, name);
  if (*reload) return dk::cmd_reload(common, name);
  if (*sig) return dk::cmd_signal(common, name, signal);
  if (*reopen) return dk::cmd_reopen(common, name);
  if (*status) {
    return status->count("--file") > 0 ? dk::cmd_status_file(common, file, json) : dk::cmd_status(common, names, json);
  }
  if (*list) {
    if (list->count("--file") > 0) return dk::cmd_list_file(common, file, json);
    return names_only ? dk::cmd_list_names(common) : dk::cmd_list(common, json);
  }
  if (*check) return dk::cmd_check(file);
  if (*up) {
    up_opts.file = file;
    return dk::cmd_up(common, up_opts);
  }
  if (*down) return dk::cmd_down(common, file, names);
  if (*import) return dk::cmd_import(import_path);
  if (*remove) return dk::cmd_remove(common, remove_names);
  if (*logs) return dk::cmd_logs(common, name, lines, follow);
  if (*help) return dk::cmd_help(help->count("command") > 0 ? &help_command : nullptr);
  return dk::exit_usage;
}

}  // namespace
