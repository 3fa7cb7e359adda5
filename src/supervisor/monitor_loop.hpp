// SPDX-License-Identifier: MIT
// The monitor (monitor.hpp) as a class: its set-up, its loop and what the
// loop does for each action live in monitor.cpp; how it takes each input
// (signals, child exits, sd_notify, the readiness fd, the pidfile) in
// monitor_inputs.cpp. Private to the supervisor.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemonkit/credentials.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/process.hpp"
#include "daemonkit/spawn.hpp"
#include "supervisor/idle_memory.hpp"
#include "supervisor/machine.hpp"
#include "supervisor/monitor_signals.hpp"
#include "supervisor/notify_server.hpp"
#include "supervisor/runtime_dir.hpp"
#include "supervisor/service_checks.hpp"
#include "supervisor/service_output.hpp"
#include "supervisor/service_terminal.hpp"
#include "supervisor/service_tree.hpp"

namespace daemonkit::supervisor {

machine_config machine_config_of(const monitor_options& o);

// run_monitor() once the service's user is looked up (options.identity), or
// with why it could not be. The monitor program calls it directly, so that
// nothing in it can reach an NSS lookup (monitor_options::identity).
int run_looked_up_monitor(const monitor_options& options, pidfile lock, daemonized* launcher,
                          const error* lookup_error);
std::int64_t unix_now();

class monitor {
 public:
  // lookup_error: why the service's user could not be looked up (setup
  // then fails with it, publishing the failure as any set-up error does).
  monitor(const monitor_options& o, pidfile lock, daemonized* launcher, const error* lookup_error)
      : lookup_error_(lookup_error),
        opts_(o),
        cfg_(o.service),
        mcfg_(machine_config_of(o)),
        lock_(std::move(lock)),
        launcher_(launcher),
        state_(o.service.respawn),
        tree_(o.service.kill != kill_mode::process) {}

  int run();

 private:
  result<void> setup();
  result<spawn_options> build_spawn() const;
  const credentials* service_user() const { return change_identity_ ? &creds_ : nullptr; }

  // The machine.
  void dispatch(event e);
  std::optional<event> perform(const action& a);
  event spawn_instance();

  // Inputs.
  bool on_signals();
  void on_child_exit();
  void reap_and_sweep();
  void reap();
  void check_main_exit(bool pidfd_ready);
  void read_notify();
  void read_ready_fd();
  bool adopt_main(pid_t pid);
  void forward(int sig);
  event pidfile_try();
  probe_context check_context() const;

  // SIGKILLs the keeper and forgets it; the caller reaps it.
  std::optional<process> kill_keeper();
  void publish();
  void write_state() const;
  void say(const std::string& text) { output_.say(cfg_.name, text); }

  const error* lookup_error_;
  const monitor_options& opts_;
  const service_config& cfg_;
  const machine_config mcfg_;
  pidfile lock_;
  daemonized* launcher_;
  machine_state state_;

  monitor_signals signals_;
  service_tree tree_;
  service_output output_;
  std::optional<notify_server> notify_;
  unique_fd ready_rd_, ready_wr_;
  service_checks checks_;
  runtime_dir runtime_dir_;
  service_terminal terminal_;  // `run` at a terminal: shared with the service
  std::string parent_notify_;  // $NOTIFY_SOCKET of whoever started us (foreground)

  credentials creds_;
  bool change_identity_ = false;

  process main_;
  std::optional<exit_status> main_status_;  // main was reaped with the other children: its status
  std::uint64_t main_start_ticks_ = 0;
  std::int64_t main_started_at_ = 0;
  std::int64_t monitor_started_at_ = unix_now();
  std::string status_text_;
  bool published_ = false;  // since the loop last gave idle memory back
  idle_memory idle_;

  // While stopping, reaping and sweeping cost O(tree); done for each SIGCHLD
  // while thousands of processes die one by one, they cost O(N^2). So deaths
  // are taken in batches: no sooner than one sweep's cost after the last one
  // (sweep_allowed_at_), deaths wait for sweep_at_.
  clock::time_point sweep_allowed_at_{};
  std::optional<clock::time_point> sweep_at_;
};

}  // namespace daemonkit::supervisor
