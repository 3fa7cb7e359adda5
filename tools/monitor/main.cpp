// SPDX-License-Identifier: MIT
// daemonkit-monitor: the per-service monitor as a program of its own. The
// CLI (`daemonkit start`, `run`, `restart`) execs it, once the service's
// pidfile is locked, with everything it needs handed over (monitor.hpp,
// exec_monitor). Nothing but the library is linked in, so what stays
// resident per service is small.
#include "daemonkit/monitor.hpp"

int main(int argc, char** argv) { return daemonkit::monitor_program_main(argc, argv); }
