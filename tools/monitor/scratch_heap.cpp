// SPDX-License-Identifier: MIT
#include "scratch_heap.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "sys/sys.hpp"

namespace daemonkit::monitor_program {

namespace {

// Room for the options of a service with a large environment; a bigger parse
// spills over into malloc. Reserved, not committed: only the pages touched
// count, and only until the scratch is unmapped.
constexpr std::size_t scratch_size = 1024 * 1024;

struct scratch {
  char* base = nullptr;
  std::size_t used = 0;
  std::size_t live = 0;  // allocations not yet deleted
  bool taking = false;
  bool spent = false;  // begun and ended: never mapped again

  [[nodiscard]] bool owns(const void* p) const noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    const auto b = reinterpret_cast<std::uintptr_t>(base);
    return base != nullptr && a >= b && a < b + scratch_size;
  }

  void* take(std::size_t n) noexcept {
    constexpr std::size_t align = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
    const std::size_t size = (n + align - 1) & ~(align - 1);
    if (base == nullptr || size == 0 || size > scratch_size - used) return nullptr;
    void* p = base + used;
    used += size;
    ++live;
    return p;
  }

  void give_back() noexcept {
    --live;
    if (live == 0 && !taking) unmap();
  }

  void unmap() noexcept {
    (void)daemonkit::sys::unmap(base, scratch_size);
    base = nullptr;
  }
};

// constinit: operator new runs in static constructors too, before any
// dynamic initialisation could have run.
constinit scratch the_scratch;

}  // namespace

void scratch_begin() noexcept {
  scratch& s = the_scratch;
  if (s.spent || s.taking) return;
  void* p = daemonkit::sys::map_anonymous(scratch_size, "daemonkit-options");
  if (p == nullptr) return;
  s.base = static_cast<char*>(p);
  s.taking = true;
}

void scratch_end() noexcept {
  scratch& s = the_scratch;
  if (!s.taking) return;
  s.taking = false;
  s.spent = true;
  if (s.live == 0) s.unmap();
}

}  // namespace daemonkit::monitor_program

// The replaceable allocation functions ([new.delete]), every form but the
// aligned ones: libstdc++'s array and nothrow forms would call the two core
// ones, but a sanitizer's runtime supplies its own that do not, so each form
// is here and all go through the core pair. Aligned forms are left to the
// library: the scratch never serves them, and their delete goes to free().
void* operator new(std::size_t n) {
  using daemonkit::monitor_program::the_scratch;
  if (the_scratch.taking) {
    if (void* p = the_scratch.take(n)) return p;
  }
  for (;;) {
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void operator delete(void* p) noexcept {
  using daemonkit::monitor_program::the_scratch;
  if (the_scratch.owns(p)) {
    the_scratch.give_back();
    return;
  }
  std::free(p);
}

void* operator new[](std::size_t n) { return operator new(n); }

void* operator new(std::size_t n, const std::nothrow_t& /*tag*/) noexcept {
  try {
    return operator new(n);
  } catch (...) {
    return nullptr;
  }
}

void* operator new[](std::size_t n, const std::nothrow_t& /*tag*/) noexcept {
  try {
    return operator new(n);
  } catch (...) {
    return nullptr;
  }
}

void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t /*size*/) noexcept { operator delete(p); }
void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept { operator delete(p); }
void operator delete[](void* p, const std::nothrow_t& /*tag*/) noexcept { operator delete(p); }
