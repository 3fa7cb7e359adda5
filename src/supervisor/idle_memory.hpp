// SPDX-License-Identifier: MIT
// What a monitor gives back to the kernel once a transition is published:
// one monitor runs per service and then sits in poll() for days, so memory
// that set-up or a transition used and freed should not stay resident.
#pragma once

namespace daemonkit::supervisor {

// Returns the heap's free pages (malloc_trim) and the stack pages below the
// current frame: only calls that have returned used them, so they are dead
// (they come back zeroed when touched again). Costs microseconds.
void release_idle_memory() noexcept;

}  // namespace daemonkit::supervisor
