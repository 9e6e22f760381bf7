// Shared objects that come back when their last owner lets go: events and result texts are
// handed to the journal's writer thread, the replay buffer and subscribers, and the engine thread
// cannot know which of them drops its reference last. A Recycler hands out shared_ptr<T> whose
// deleter returns the object (its buffers' capacity intact) and whose control block comes from a
// free list, both under one mutex, so in a steady state a take() allocates nothing and the thread
// that reuses an object is ordered after the one that released it (no use_count() guessing).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace axion::core {

// A recycled string made ready for `need` bytes: emptied, with capacity rounded up to 512 bytes
// (it fits the next use of a similar size without growing, at most 511 bytes over). A buffer
// more than twice that and over 4 KiB is let go rather than kept: one large event must not
// make every object of a 10,000-slot ring carry its size for good.
inline void reuse_buffer(std::string& s, std::size_t need) {
  const std::size_t want = (need + 511) & ~std::size_t{511};
  if (s.capacity() > 2 * want && s.capacity() > 4096) std::string().swap(s);
  s.clear();
  s.reserve(want);
}

template <class T>
class Recycler {
  struct Pool {
    std::mutex mu;
    std::size_t max_spare;
    std::vector<T*> objects;
    std::vector<void*> blocks;  // control blocks, all of block_size bytes
    std::size_t block_size = 0;
    // Room for every idle object and block up front: giving one back happens inside
    // shared_ptr's noexcept release, where a growing vector could only terminate.
    explicit Pool(std::size_t max) : max_spare(max) {
      objects.reserve(max);
      blocks.reserve(max);
    }
    ~Pool() {
      for (T* p : objects) delete p;
      for (void* b : blocks) ::operator delete(b);
    }
  };

  struct GiveBack {
    std::shared_ptr<Pool> pool;
    void operator()(T* p) const {
      {
        std::lock_guard lock(pool->mu);
        if (pool->objects.size() < pool->max_spare) {
          pool->objects.push_back(p);
          return;
        }
      }
      delete p;
    }
  };

  template <class U>
  struct BlockAlloc {
    using value_type = U;
    std::shared_ptr<Pool> pool;
    explicit BlockAlloc(std::shared_ptr<Pool> p) : pool(std::move(p)) {}
    template <class V>
    BlockAlloc(const BlockAlloc<V>& o) : pool(o.pool) {}  // NOLINT: rebinding, as allocators do
    U* allocate(std::size_t n) {
      const std::size_t bytes = n * sizeof(U);
      {
        std::lock_guard lock(pool->mu);
        if (bytes == pool->block_size && !pool->blocks.empty()) {
          void* b = pool->blocks.back();
          pool->blocks.pop_back();
          return static_cast<U*>(b);
        }
      }
      return static_cast<U*>(::operator new(bytes));
    }
    void deallocate(U* p, std::size_t n) {
      const std::size_t bytes = n * sizeof(U);
      {
        std::lock_guard lock(pool->mu);
        if (pool->block_size == 0) pool->block_size = bytes;  // one shared_ptr type: one size
        if (bytes == pool->block_size && pool->blocks.size() < pool->max_spare) {
          pool->blocks.push_back(p);
          return;
        }
      }
      ::operator delete(p);
    }
    template <class V>
    bool operator==(const BlockAlloc<V>& o) const { return pool == o.pool; }
  };

 public:
  // Keeps at most max_spare idle objects (and as many control blocks); more are freed.
  explicit Recycler(std::size_t max_spare) : pool_(std::make_shared<Pool>(max_spare)) {}

  // An idle object as its last owner left it (the caller resets what it reuses), or a new T.
  std::shared_ptr<T> take() {
    T* p = nullptr;
    {
      std::lock_guard lock(pool_->mu);
      if (!pool_->objects.empty()) {
        p = pool_->objects.back();
        pool_->objects.pop_back();
      }
    }
    if (!p) p = new T();
    // When the control block cannot be had, this constructor gives p back itself.
    return std::shared_ptr<T>(p, GiveBack{pool_}, BlockAlloc<T>(pool_));
  }

  std::size_t idle() const {
    std::lock_guard lock(pool_->mu);
    return pool_->objects.size();
  }

 private:
  std::shared_ptr<Pool> pool_;  // shared with every deleter and control block it handed out
};

}  // namespace axion::core
