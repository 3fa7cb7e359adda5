// SPDX-License-Identifier: MIT
// One try of a readiness or health check (check.hpp), run asynchronously by
// the monitor's poll loop.
//
// A probe is one fd to poll and one deadline: the loop polls fd() for
// events() alongside its other fds, takes deadline() into its single
// deadline, and calls advance() when the fd is ready or the deadline has
// passed (calling it at other times is harmless). No threads, no sleeps, no
// blocking call, and no resolver in this process (no libc name lookup, no
// NSS: a static program must not load NSS modules). Single-threaded use only.
//
//   tcp   a non-blocking connect to each address of HOST in turn; ok once one
//         connects. A numeric HOST (127.0.0.1, ::1, fe80::1%eth0) is parsed
//         here. A name is resolved first by `getent ahosts -- NAME` (the
//         system's NSS configuration: /etc/hosts, DNS, mDNS...), a child
//         spawned like cmd's sh but as the caller, with a fixed environment
//         (PATH=/usr/bin:/bin) and stdin from /dev/null; its STREAM
//         addresses are tried in its order. Exit status 2 (not found) is
//         "cannot resolve 'NAME': Name or service not known". The timeout
//         covers resolving and connecting: a getent still running at it is
//         killed as a cmd check is.
//   http  the same, then "GET PATH HTTP/1.1" with Host: and Connection: close;
//         only the status line is read. ok for 2xx.
//   cmd   /bin/sh -c COMMAND, spawned (spawn.hpp) in a session of its own, as
//         the context's user, with its environment and working directory,
//         stdin from /dev/null, stdout and stderr into a pipe whose last line
//         goes into `why` on failure. ok when sh exits 0.
//         When sh exits, and at the timeout, every other live process of its
//         session is SIGKILLed: those below sh, and those orphaned into the
//         caller (a child subreaper, as the monitor is) with their
//         descendants, each pinned by a pidfd and confirmed by its sid. This
//         is safe only while sh is unreaped (its pid is the session id), so it
//         happens before the probe reaps sh. A process that left the session
//         (setsid) is not found. The killed ones' zombies that were
//         reparented to the caller are the caller's to reap.
//
// Every fd is close-on-exec and owned here. While a child (sh, getent) runs,
// fd() is an epoll fd watching its pidfd and its output pipe (so a command
// that writes a lot never blocks on a full pipe); the loop only polls it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "daemonkit/check.hpp"
#include "daemonkit/credentials.hpp"
#include "daemonkit/result.hpp"

namespace daemonkit::supervisor {

// The verdict of one try.
struct probe_result {
  bool ok = false;
  // Why, in a few words for the log and `status`: "connected", "HTTP 200",
  // "exited with status 0" when ok; "connection refused", "HTTP 503",
  // "exited with status 1: LAST OUTPUT LINE", "killed by signal SEGV",
  // "exited (status unknown)", "timed out after 5s", "cannot resolve
  // 'db.example': Name or service not known", "cannot change directory to
  // /srv: Permission denied" otherwise. Escaped for a terminal.
  std::string why;
};

// How a cmd check runs: as the service does (the monitor passes the
// service's user, environment and working directory). Unused by tcp and http.
struct probe_context {
  const credentials* user = nullptr;  // run as this user; nullptr: as the caller
  std::vector<std::string> env;       // the command's whole environment, KEY=VALUE
  std::string working_directory = "/";
};

class probe {
 public:
  // Starts one try; its verdict is due by `timeout` from now. Errors only
  // for a spec parse_check would not produce or a timeout <= 0
  // (errc::invalid_argument). Everything that can go wrong at run time (no
  // fds left, a command or getent that cannot be spawned, a name that does
  // not resolve) is a failed try instead; when it is known in start(), its
  // verdict is ready at once, with fd() -1 and a deadline() that has passed,
  // so the caller needs one path.
  static result<probe> start(const check_spec& spec, const probe_context& ctx, std::chrono::milliseconds timeout);

  probe(probe&&) noexcept;
  probe& operator=(probe&&) noexcept;
  probe(const probe&) = delete;
  probe& operator=(const probe&) = delete;
  ~probe();  // cancel()

  // The fd to poll for events(), or -1 when there is none right now (a
  // verdict is waiting; a moved-from or finished probe). Changes between
  // calls to advance() (address to address, phase to phase): read it again
  // before each poll.
  int fd() const noexcept;
  short events() const noexcept;
  // When advance() is due if fd() stays quiet: the try's timeout (for a cmd
  // or a getent killed at it, then the end of a short grace to die); a
  // passed time when a verdict is waiting; nullopt once the verdict was
  // returned (or after cancel()).
  std::optional<std::chrono::steady_clock::time_point> deadline() const noexcept;

  // Makes what progress it can without blocking; returns the verdict once
  // there is one (and the same verdict on every later call). A verdict is
  // never given before the work behind it is over: a timed-out cmd's
  // session (or getent) is killed and reaped first (within a 1 s grace; a
  // process that does not die in it is left to the caller's reaper, see
  // child_pid).
  std::optional<probe_result> advance();

  // Ends the try now: closes its sockets; SIGKILLs a running child's session
  // (sh, getent) and reaps the child if it dies within 100 ms (otherwise
  // leaves it to the caller's reaper). A verdict not given yet becomes {false, "cancelled"}. Never
  // throws; idempotent.
  void cancel() noexcept;

  // The pid of the try's child (a cmd's sh, or getent resolving a name) while
  // this probe owns it unreaped, else 0. The caller's catch-all reaper
  // (waitpid(-1) in a child subreaper) must leave this pid alone: the probe
  // reaps it through its pidfd. If someone else reaps it anyway, the try fails
  // ("exited (status unknown)"; "cannot resolve 'NAME': getent exited (status
  // unknown)") and its leftover processes cannot be told apart safely, so
  // they are not killed.
  pid_t child_pid() const noexcept;

  // True once the verdict exists (given or waiting to be).
  bool done() const noexcept;

 private:
  struct state;
  explicit probe(std::unique_ptr<state> s) noexcept;
  std::unique_ptr<state> s_;
};

}  // namespace daemonkit::supervisor
