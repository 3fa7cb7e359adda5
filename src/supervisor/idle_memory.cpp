// SPDX-License-Identifier: MIT
#include "supervisor/idle_memory.hpp"

#include <cstdint>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

namespace daemonkit::supervisor {

namespace {

// How far below the caller's frame dead stack pages are looked for: deeper
// than any call the monitor makes, and well inside the kernel's guard gap
// below the stack (1 MiB), so the range never reaches another mapping.
constexpr std::uintptr_t dead_stack_span = 256 * 1024;

// [[gnu::noinline]] keeps this frame below the caller's: everything from
// one page under it downwards is dead.
[[gnu::noinline]] void release_dead_stack() noexcept {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  // One whole page of margin below this frame: the libc call below and the
  // red zone live there.
  const std::uintptr_t end = (here & ~(page - 1)) - page;
  const std::uintptr_t start = end - dead_stack_span;
  // The part of the range below the stack's lowest page is unmapped:
  // madvise then fails with ENOMEM after dropping the mapped part. Either
  // way there is nothing to do about it.
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  (void)::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
}

}  // namespace

void release_idle_memory() noexcept {
  (void)::malloc_trim(0);
  release_dead_stack();
}

}  // namespace daemonkit::supervisor
