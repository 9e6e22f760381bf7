// Request budgets over a rolling window (e.g. Alpaca's 200 requests per minute per account),
// shared by name between the plugins of one account: at most `capacity` requests in any
// `window_us`. Urgent requests (orders, cancels) may use the whole budget; normal ones (data,
// polling) leave a tenth of it for them. Thread-safe, never blocks: a refusal says how long to
// wait. The engine's host service and the SDK's FakeHost both use these.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace axion::sdk {

class RateWindow {
 public:
  RateWindow(std::uint32_t capacity, std::int64_t window_us)
      : capacity_(capacity), window_us_(window_us), reserve_(capacity / 10) {}

  std::uint32_t capacity() const { return capacity_; }
  std::int64_t window_us() const { return window_us_; }

  struct Take {
    bool taken = false;
    std::int64_t retry_after_us = 0;  // when not taken: the wait until `cost` would fit
    bool never = false;               // `cost` exceeds the limit at this priority: no wait helps
  };

  Take take(std::uint32_t cost, bool urgent, std::int64_t now_us) {
    std::lock_guard lock(mu_);
    forget(now_us);
    const std::uint32_t limit = urgent ? capacity_ : capacity_ - reserve_;
    if (cost > limit) return {false, 0, true};
    const std::size_t used = taken_.size();
    if (used + cost <= limit) {
      for (std::uint32_t i = 0; i < cost; ++i) taken_.push_back(now_us);
      return {true, 0};
    }
    // The oldest requests leave first: wait until enough of them have.
    const std::size_t must_leave = used + cost - limit;
    const std::int64_t frees_at = taken_[must_leave - 1] + window_us_;
    return {false, std::max<std::int64_t>(1, frees_at - now_us)};
  }

  // What an urgent request could still take now.
  std::int64_t remaining(std::int64_t now_us) {
    std::lock_guard lock(mu_);
    forget(now_us);
    return static_cast<std::int64_t>(capacity_) - static_cast<std::int64_t>(taken_.size());
  }

 private:
  void forget(std::int64_t now_us) {
    while (!taken_.empty() && taken_.front() + window_us_ <= now_us) taken_.pop_front();
  }

  const std::uint32_t capacity_;
  const std::int64_t window_us_;
  const std::uint32_t reserve_;
  std::mutex mu_;
  std::deque<std::int64_t> taken_;  // when each request in the window was taken, oldest first
};

// The budgets of one host, by name. The first declaration decides a budget's numbers; a
// plugin joining it with other numbers is refused, naming both (two plugins of one account must
// agree on what the broker allows).
class RateBudgets {
 public:
  // "" when declared or joined; else why not.
  std::string declare(const std::string& name, std::uint32_t capacity, std::int64_t window_us) {
    if (name.empty()) return "a rate budget needs a name";
    if (capacity == 0 || window_us <= 0) {
      return "rate budget '" + name + "': capacity and window must be positive";
    }
    std::lock_guard lock(mu_);
    auto it = budgets_.find(name);
    if (it == budgets_.end()) {
      budgets_.emplace(name, std::make_unique<RateWindow>(capacity, window_us));
      return {};
    }
    const RateWindow& w = *it->second;
    if (w.capacity() == capacity && w.window_us() == window_us) return {};
    return "rate budget '" + name + "' is already " + std::to_string(w.capacity()) + " per " +
           std::to_string(w.window_us()) + " us; asked for " + std::to_string(capacity) + " per " +
           std::to_string(window_us) + " us";
  }
  // nullptr when `name` was never declared. The window lives as long as this object.
  RateWindow* find(const std::string& name) {
    std::lock_guard lock(mu_);
    auto it = budgets_.find(name);
    return it == budgets_.end() ? nullptr : it->second.get();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<RateWindow>> budgets_;
};

}  // namespace axion::sdk
