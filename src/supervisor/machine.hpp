// SPDX-License-Identifier: MIT
// The monitor's state machine: plain data and one pure function.
//
// transition(state, event) returns the next state and the actions the poll
// loop (monitor.cpp) is to perform, in order. It reads no clock, opens no file
// and signals nothing: every fact from the world comes in an event (with the
// time it was seen), every effect goes out as an action. So every state ×
// event pair is unit-tested without a process (tests/unit/machine_test.cpp).
//
// Like runit, the machine keeps what is wanted apart from where the service
// is: `phase` says where the service is, `stop_reason` what the stop is for.
// Actions that look at the world answer with an event (spawn → spawned or
// spawn_failed, check_tree → tree_checked, signal_tree with report → swept),
// which the loop feeds back before it waits again.
#pragma once

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <sys/types.h>
#include <variant>
#include <vector>

#include "daemonkit/exit_status.hpp"
#include "daemonkit/monitor.hpp"
#include "daemonkit/respawn.hpp"
#include "daemonkit/service_phase.hpp"

namespace daemonkit::supervisor {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Where the service is. stopped, exited and failed are final: the loop ends.
enum class phase {
  starting,  // an instance is being spawned, or waits for readiness
  running,   // ready
  backoff,   // exited; the next instance starts at the deadline
  stopping,  // the tree is being stopped, for stop_reason
  stopped,   // stopped on request
  exited,    // exited on its own, not restarted
  failed,    // did not start, or gave up restarting
};

// What a stop is for (meaningful in phase stopping).
enum class stop_reason {
  requested,     // a user asked: the monitor ends, stopped
  restart,       // leftovers of an exited instance, or a ready timeout: then respawn_delay decides
  failed_start,  // the start failed: the monitor ends, failed
};

// Where a stop is (meaningful in phase stopping). signalled: the stop signal
// went out, the tree has until the stop timeout. killing: SIGKILL went out,
// and goes out again to whatever the tree still holds each time one of its
// processes dies (a process forked during a sweep escapes it; one sent
// SIGKILL cannot fork), until the tree is empty or the kill wait passes.
// reporting: the kill wait passed, one more sweep counts what is left.
// overdue: processes SIGKILL does not end (uninterruptible sleep, or not ours
// to signal) are published as remaining, killed again as others die, and the
// monitor ends when the last is gone.
enum class stop_step { signalled, killing, reporting, overdue };

struct machine_config {
  bool group = true;            // kill_mode group or mixed: the stop waits for the whole tree and KILLs all of it
  bool stop_main_only = false;  // kill_mode mixed: the stop signal goes to the main process alone
  bool foreground = false;      // `daemonkit run`: each stop signal is forwarded to the main process
  // How readiness is decided: at exec; by READY=1 or a line on the readiness
  // fd (the loop sends `ready`); by tries of a check (act::ready_try answered
  // by `probed`); or pidfile: the first process exits 0, then tries read the
  // pidfile and adopt the process it names.
  enum class readiness { exec, notified, check, pidfile };
  readiness ready = readiness::exec;
  milliseconds first_try_gap{10};  // readiness tries: the gap after the first, doubling up to max_try_gap
  milliseconds max_try_gap{250};
  bool health = false;       // --health: checks every health_interval once ready (act::health_try answered by `probed`)
  std::string health_check;  // as given, for messages
  milliseconds health_interval{10000};
  unsigned health_retries = 3;
  milliseconds ready_timeout{60000};
  milliseconds stop_timeout{10000};
  milliseconds kill_wait = monitor_kill_wait;
  int stop_signal = SIGTERM;
  respawn_policy respawn;
};

// A failed start, reported once what it started is gone.
struct start_failure {
  std::string why;
  bool with_output = false;  // append the service's last lines of output
};

enum class health_state { none, starting, healthy, unhealthy };

struct machine_state {
  explicit machine_state(const respawn_policy& p) : tracker(p) {}

  phase at = phase::starting;
  stop_reason reason = stop_reason::requested;
  stop_step step = stop_step::signalled;
  bool start_pending = true;                  // the start was reported neither ready nor failed yet
  bool main_alive = false;                    // a main process exists (spawned or adopted, not yet seen exiting)
  bool reloading = false;                     // RELOADING=1 said, READY=1 not yet
  bool stopping_announced = false;            // STOPPING=1 said by this instance
  std::optional<milliseconds> respawn_delay;  // reason restart: nullopt = do not restart
  clock::time_point respawn_from{};  // reason restart: the exit (or the restart's decision) the delay counts from
  std::optional<clock::time_point> deadline;  // when `deadline` is due
  std::vector<pid_t> remaining;               // overdue: processes SIGKILL has not ended
  std::optional<exit_status> last_exit;
  int start_failure_code = 1;            // run's exit code when the service never started (126/127)
  std::optional<start_failure> failure;  // failed_start: to report when the tree is empty
  bool escalated = false;                // the last requested stop had to send SIGKILL at its timeout
  // Readiness tries (starting) and health checks (running); never both.
  std::optional<clock::time_point> try_at;  // when the next try is due (`try_due`)
  bool trying = false;                      // a try is running: `probed` answers it
  clock::time_point try_started{};
  milliseconds try_gap{10};
  bool awaiting_pidfile = false;  // pidfile: the first process exited 0; a try adopts the main process
  health_state health = health_state::none;
  unsigned health_failures = 0;
  std::string last_exit_note;  // shown instead of last_exit (a health-triggered restart)
  respawn_tracker tracker;
};

// Events: what the loop saw.
namespace ev {
struct begin {};  // set-up is done: start the first instance
struct setup_failed {
  std::string why;
};
struct spawned {
  clock::time_point now;
  pid_t pid = 0;
};
struct spawn_failed {
  clock::time_point now;
  std::string why;
  int code = 127;  // 127: the program could not be executed; 126: setting up its process failed
  bool tree_empty = true;
};
struct ready {  // READY=1, or a line on the readiness fd
  clock::time_point now{};
};
struct main_exited {
  clock::time_point now;
  exit_status status;
  bool tree_empty = true;  // after the main process was reaped
};
struct stop {  // TERM/INT to the monitor
  clock::time_point now;
  int sig = SIGTERM;  // what to send the service
  std::optional<milliseconds> timeout;
};
struct deadline {
  clock::time_point now;
};
struct child_exited {};  // some process of the tree died (SIGCHLD)
struct tree_checked {    // the answer to check_tree
  bool empty = true;
};
struct swept {  // the answer to signal_tree with report
  clock::time_point now;
  std::vector<pid_t> live;
};
struct announced {  // sd_notify RELOADING=1 / STOPPING=1 / READY=1
  bool reloading = false;
  bool stopping = false;
  bool ready = false;
  clock::time_point now{};
};
struct extend_timeout {  // EXTEND_TIMEOUT_USEC=
  clock::time_point until;
};
struct try_due {  // try_at passed
  clock::time_point now;
};
struct probed {  // the verdict of a readiness try or health check
  clock::time_point now;
  bool ok = false;
  bool fatal = false;  // pidfile: it names a live process outside the service; no use trying again
  std::string why;
};
}  // namespace ev

using event = std::variant<ev::begin, ev::setup_failed, ev::spawned, ev::spawn_failed, ev::ready, ev::main_exited,
                           ev::stop, ev::deadline, ev::child_exited, ev::tree_checked, ev::swept, ev::announced,
                           ev::extend_timeout, ev::try_due, ev::probed>;

// Actions: what the loop is to do.
enum class act {
  publish,           // write NAME.state from the state as it is after the transition
  spawn,             // start an instance; answers spawned or spawn_failed
  signal_tree,       // sig to the main process and (group) every other process of the tree; report: answers swept
  signal_main,       // sig to the main process alone
  check_tree,        // answers tree_checked
  say,               // text, as a line of the service's log
  collect_output,    // read what the service wrote on its way out
  report_ready,      // tell whoever started the monitor the service is ready
  report_failure,    // tell whoever started the monitor the start failed: text (+ the last output)
  notify_ready,      // READY=1 to the NOTIFY_SOCKET the monitor was given (run under systemd)
  notify_stopping,   // STOPPING=1 to it
  ready_try,         // one readiness try (a check, or reading the pidfile); answers probed, now or later
  health_try,        // one health check; answers probed later
  announce_restart,  // "started again (pid N)" in the log, N the main process now
};

struct action {
  act what = act::publish;
  int sig = 0;
  bool report = false;       // signal_tree: answer with swept
  std::string text;          // say, report_failure
  bool with_output = false;  // report_failure: append the service's last lines of output
  friend bool operator==(const action&, const action&) = default;
};

struct step {
  machine_state next;
  std::vector<action> actions;
};

step transition(machine_state state, const event& e, const machine_config& config);

// What NAME.state says: the phase, with what the service announced over it.
service_phase published_phase(const machine_state& s) noexcept;
bool is_final(phase p) noexcept;

// The monitor's exit code once the phase is final: in the foreground the
// service's (128+signal when killed, 126/127 when it never started), else 0,
// or 1 when the service failed.
int exit_code(const machine_state& s, bool foreground) noexcept;

// "3 processes remain after SIGKILL (pids 101, 102, 103)"
std::string describe_remaining(const std::vector<pid_t>& pids);

}  // namespace daemonkit::supervisor
