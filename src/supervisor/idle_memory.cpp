// SPDX-License-Identifier: MIT
#include "supervisor/idle_memory.hpp"

#include <algorithm>
#include <malloc.h>
#include <pthread.h>

#include "sys/sys.hpp"

namespace daemonkit::supervisor {

namespace {

// How far below the caller's frame dead stack pages are looked for: deeper
// than any call the monitor makes.
constexpr std::uintptr_t dead_stack_span = 256 * 1024;

// [[gnu::noinline]]: this frame lies below the caller's, so everything from
// a margin under it (rounded down to a page) downwards is dead.
[[gnu::noinline]] void release_dead_stack(std::uintptr_t low) noexcept {
  const std::uintptr_t page = sys::page_size();
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  // Margin below this frame for the call below it (discard_pages and the
  // syscall's wrapper, a few hundred bytes at most) and the red zone: the
  // pages released must lie wholly below every frame still in use.
  constexpr std::uintptr_t margin = 2048;
  const std::uintptr_t end = (here - margin) & ~(page - 1);
  const std::uintptr_t start = std::max((low + page - 1) & ~(page - 1), end - dead_stack_span);
  if (start >= end) return;
  // For the main thread the bounds run below the stack's lowest page so far
  // (it grows down into them): that part is unmapped, and discard_pages
  // fails with ENOMEM after dropping the mapped part. Either way there is
  // nothing to do about it.
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  (void)sys::discard_pages(reinterpret_cast<void*>(start), end - start);
}

}  // namespace

idle_memory::idle_memory() noexcept {
  pthread_attr_t attr;
  if (::pthread_getattr_np(::pthread_self(), &attr) != 0) return;
  void* addr = nullptr;
  std::size_t size = 0;
  std::size_t guard = 0;
  if (::pthread_attr_getstack(&attr, &addr, &size) == 0 && ::pthread_attr_getguardsize(&attr, &guard) == 0) {
    // Above the guard of a thread's stack; for the main thread, where the
    // stack may grow to (glibc bounds it by the mapping below).
    stack_low_ = reinterpret_cast<std::uintptr_t>(addr) + guard;
  }
  ::pthread_attr_destroy(&attr);
}

void idle_memory::release() const noexcept {
  (void)::malloc_trim(0);
  if (stack_low_ != 0) release_dead_stack(stack_low_);
}

}  // namespace daemonkit::supervisor
