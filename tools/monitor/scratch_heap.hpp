// SPDX-License-Identifier: MIT
// The monitor program's scratch heap: while it is taking, operator new
// allocates from a private mapping instead of malloc's heap, and the
// mapping is unmapped as soon as everything allocated from it is deleted.
// The program reads its options into it (supervisor::options_scratch): the
// JSON text and parse tree are gone without a trace, and the options it
// keeps sit together in a few heap pages instead of between the parse's
// holes, for the monitor's whole life (a service's memory, measured in
// bench/). Single-threaded, like the monitor.
#pragma once

namespace daemonkit::monitor_program {

// Maps the scratch; from here on, allocations come from it (when it is full
// or cannot be mapped, from malloc as always). Once per process.
void scratch_begin() noexcept;

// No more allocations from the scratch; it is unmapped once the last one is
// deleted. One that is never deleted keeps it mapped: memory, not a fault.
void scratch_end() noexcept;

}  // namespace daemonkit::monitor_program
