// SPDX-License-Identifier: MIT
// daemonkit-monitor: the per-service monitor as a program of its own. The
// CLI (`daemonkit start`, `run`, `restart`) execs it, once the service's
// pidfile is locked, with everything it needs handed over (monitor.hpp,
// exec_monitor). Nothing but the library is linked in, so what stays
// resident per service is small; its options are read in a scratch heap
// (scratch_heap.hpp).
#include "scratch_heap.hpp"
#include "supervisor/monitor_program.hpp"

int main(int argc, char** argv) {
  return daemonkit::supervisor::monitor_program_main(
      argc, argv, {daemonkit::monitor_program::scratch_begin, daemonkit::monitor_program::scratch_end});
}
