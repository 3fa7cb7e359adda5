// SPDX-License-Identifier: MIT
// What a monitor gives back to the kernel once a transition is published:
// one monitor runs per service and then sits in poll() for days, so memory
// that set-up or a transition used and freed should not stay resident.
#pragma once

#include <cstdint>

namespace daemonkit::supervisor {

class idle_memory {
 public:
  // Learns the bounds of the calling thread's stack (pthread_getattr_np):
  // release() must be called on this thread. Without them it releases heap
  // only.
  idle_memory() noexcept;

  // Returns the heap's free pages (malloc_trim) and the stack pages below
  // the current frame, down to the stack's lowest page: only calls that
  // have returned used them, so they are dead (they come back zeroed when
  // touched again). Call where the stack is shallow (the loop, before it
  // polls). Costs microseconds.
  void release() const noexcept;

 private:
  std::uintptr_t stack_low_ = 0;  // the lowest address of the stack; 0: unknown
};

}  // namespace daemonkit::supervisor
