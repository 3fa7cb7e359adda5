// SPDX-License-Identifier: MIT
#include "supervisor/monitor_signals.hpp"

#include <csignal>
#include <sys/signalfd.h>

#include "daemonkit/monitor.hpp"
#include "sys/sys.hpp"

namespace daemonkit::supervisor {

namespace {

// What `daemonkit run` does not take, whatever it is sent, and why (tini
// leaves the same ones out of its mask, and forwards all the others):
//  - SIGKILL, SIGSTOP: cannot be caught;
//  - SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS: a fault of the
//    monitor's own, which must end it (with a core, when that is allowed);
//  - SIGTTIN, SIGTTOU: ignored; the terminal sends them to the monitor
//    when it touches the terminal from the background, never to the service;
//  - SIGXFSZ: ignored (see install), raised by the monitor's own log writes;
//  - SIGPIPE: blocked, never read: raised by the monitor's own writes.
// glibc's sigfillset already leaves out its two internal real-time signals.
// The monitor acts itself on CHLD, TERM and INT (stop), HUP (reload) and
// the reopen-logs signal (monitor_inputs.cpp); everything else is forwarded.
constexpr int not_taken[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,  SIGFPE,  SIGILL,
                             SIGTRAP, SIGABRT, SIGSYS,  SIGTTIN, SIGTTOU, SIGXFSZ};

}  // namespace

result<void> monitor_signals::install(bool forward_all) {
  sigset_t set;
  sigemptyset(&set);
  if (forward_all) {
    sigfillset(&set);
    for (int s : not_taken) sigdelset(&set, s);
  } else {
    // A started monitor is signalled by the daemonkit tool alone: it takes
    // what the tool sends (monitor.hpp) and leaves the rest at their defaults.
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGPIPE}) sigaddset(&set, s);
    sigaddset(&set, reopen_logs_signal());
  }
  sigaddset(&set, SIGPIPE);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return system_error("cannot block signals");
  ::signal(SIGXFSZ, SIG_IGN);
  if (forward_all) {
    ::signal(SIGTTIN, SIG_IGN);
    ::signal(SIGTTOU, SIG_IGN);
  }
  sigdelset(&set, SIGPIPE);
  fd_.reset(sys::signalfd(-1, &set));
  if (!fd_) return system_error("cannot create a signalfd");
  return {};
}

std::vector<signal_request> monitor_signals::read(bool foreground, int stop_signal) const {
  using kind = signal_request::kind;
  std::vector<signal_request> out;
  struct signalfd_siginfo si[8];
  for (;;) {
    ssize_t n = sys::read(fd_.get(), si, sizeof si);
    if (n <= 0) return out;
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof si[0]; ++i) {
      int sig = static_cast<int>(si[i].ssi_signo);
      if (sig == SIGCHLD) {
        out.push_back({kind::child, sig, std::nullopt});
      } else if (sig == SIGTERM || sig == SIGINT) {
        // `daemonkit stop --timeout` sends TERM with sigqueue(), the timeout
        // in ms as its value.
        std::optional<std::chrono::milliseconds> timeout;
        if (si[i].ssi_code == SI_QUEUE && si[i].ssi_int > 0) timeout = std::chrono::milliseconds(si[i].ssi_int);
        int to_send = foreground ? sig : stop_signal;
        if (foreground && sig == SIGINT && stop_signal != SIGTERM) to_send = stop_signal;
        out.push_back({kind::stop, to_send, timeout});
      } else if (sig == reopen_logs_signal()) {
        out.push_back({kind::reopen_logs, sig, std::nullopt});
      } else if (sig == SIGHUP) {
        out.push_back({kind::reload, sig, std::nullopt});
      } else {
        out.push_back({kind::forward, sig, std::nullopt});
      }
    }
  }
}

}  // namespace daemonkit::supervisor
