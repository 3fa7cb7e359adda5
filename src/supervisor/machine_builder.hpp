// SPDX-License-Identifier: MIT
// The builder behind transition() (machine.hpp), shared by the files that
// hold its handlers: machine.cpp (starting, readiness, exits), machine_stop.cpp
// (stopping and sweeps) and machine_checks.cpp (readiness checks, pidfile,
// health). Private to the supervisor.
#pragma once

#include <string>
#include <utility>

#include "daemonkit/units.hpp"
#include "supervisor/machine.hpp"

namespace daemonkit::supervisor {

// One transition being built: the state it changes and the actions it adds.
class builder {
 public:
  builder(machine_state s, const machine_config& c) : out_{std::move(s), {}}, s_(out_.next), c_(c) {}

  step done() && { return std::move(out_); }

  void on(const ev::begin& e);
  void on(const ev::setup_failed& e);
  void on(const ev::spawned& e);
  void on(const ev::spawn_failed& e);
  void on(const ev::ready& e);
  void on(const ev::main_exited& e);
  void on(const ev::stop& e);
  void on(const ev::deadline& e);
  void on(const ev::child_exited& e);
  void on(const ev::tree_checked& e);
  void on(const ev::swept& e);
  void on(const ev::announced& e);
  void on(const ev::extend_timeout& e);
  void on(const ev::try_due& e);
  void on(const ev::probed& e);

 private:
  void add(act what) { out_.actions.push_back(action{what, 0, false, {}, false}); }
  void say(std::string text) { out_.actions.push_back(action{act::say, 0, false, std::move(text), false}); }
  void signal_tree(int sig, bool report) { out_.actions.push_back(action{act::signal_tree, sig, report, {}, false}); }

  void start_instance();
  void become_ready(clock::time_point now);
  void stop_trying();
  void start_try(act what, clock::time_point now);
  void readiness_verdict(const ev::probed& e);
  void health_verdict(const ev::probed& e);
  void restart_unhealthy(clock::time_point now);
  void send_stop(int sig);
  void restart_not_ready(const std::string& why, clock::time_point now);
  void fail_start(std::string why, bool with_output, bool tree_empty, clock::time_point now);
  void report_failure();
  void exited_on_its_own(const exit_status& st, bool tree_empty, clock::time_point now);
  void decide_respawn(const exit_status& st, clock::time_point now);
  void apply_respawn();
  void kill(clock::time_point now);
  void tree_done();
  void finish(phase end);
  std::string not_ready_within() const { return "did not become ready within " + format_duration(c_.ready_timeout); }

  step out_;
  machine_state& s_;
  const machine_config& c_;
  bool after_failed_spawn_ = false;  // this transition handles spawn_failed
};

}  // namespace daemonkit::supervisor
