// Process-wide allocation counting for "no allocation per bar" checks.
//
// Including this header REPLACES the global allocation functions (operator new/new[]/delete/
// delete[], plain, sized and nothrow) of the whole program, the dlopen'ed plugin included, with
// versions on malloc/free that count while an AllocationCounter is active.
//
// Include it in exactly ONE translation unit of a test executable. Replacement allocation functions
// must not be inline, so they are ordinary definitions here: a second translation unit including
// this header fails to link ("multiple definition of operator new"). Each plugin test is a single
// translation unit, so a plugin test includes it once, directly.
//
// Only the allocations of the thread that created the counter are counted (the thread that drives
// the plugin, or the engine thread in a benchmark): other threads' allocations, such as a journal
// writer's, are neither counted nor raced with. Counters do not nest: only one AllocationCounter
// may be counting at a time (a stopped one may stay in scope), and it is stopped on its thread.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace axion::sdk::testing {

namespace alloc_detail {
inline thread_local bool counting = false;  // constant-initialized: safe in operator new
inline std::size_t allocations = 0;         // written only by the one counting thread

inline void* counted_alloc(std::size_t n) noexcept {
  if (counting) ++allocations;
  return std::malloc(n ? n : 1);
}
}  // namespace alloc_detail

// Counts every allocation this thread makes from its construction until stop() or its
// destruction, whichever comes first.
//
//   AllocationCounter counter;
//   const auto out = h.on_bar(bar);
//   const std::size_t allocs = counter.stop();
class AllocationCounter {
 public:
  AllocationCounter() noexcept {
    alloc_detail::allocations = 0;
    alloc_detail::counting = true;
  }
  ~AllocationCounter() {
    if (active_) alloc_detail::counting = false;
  }
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;

  // Stops counting (later allocations are not counted) and returns the count.
  std::size_t stop() noexcept {
    if (active_) {
      alloc_detail::counting = false;
      active_ = false;
      stopped_at_ = alloc_detail::allocations;
    }
    return stopped_at_;
  }
  // The allocations counted so far (after stop(), the final count).
  std::size_t count() const noexcept { return active_ ? alloc_detail::allocations : stopped_at_; }

 private:
  bool active_ = true;
  std::size_t stopped_at_ = 0;
};

}  // namespace axion::sdk::testing

// All on malloc/free so they pair up under sanitizers too. noinline: once inlined, GCC pairs
// std::free with operator new and warns (-Wmismatched-new-delete).
__attribute__((noinline)) void* operator new(std::size_t n) {
  if (void* p = axion::sdk::testing::alloc_detail::counted_alloc(n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new[](std::size_t n) {
  if (void* p = axion::sdk::testing::alloc_detail::counted_alloc(n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return axion::sdk::testing::alloc_detail::counted_alloc(n);
}
__attribute__((noinline)) void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return axion::sdk::testing::alloc_detail::counted_alloc(n);
}
__attribute__((noinline)) void operator delete(void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
__attribute__((noinline)) void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
