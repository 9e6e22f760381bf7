// Alpaca's request budget per key, as a rolling window: at most `limit` requests in any
// `window`. Remaining counts what is left in the window ending now; Reset is when the oldest
// counted request leaves the window (the next slot frees), in epoch seconds rounded up so that a
// client waiting until then is let through. Not thread-safe (called under the stand-in's lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace axion::testing::alpaca {

struct RateHeaders {
  int limit = 0;
  int remaining = 0;
  std::int64_t reset_epoch_s = 0;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter(int limit, std::chrono::milliseconds window) : limit_(limit), window_(window) {}

  // Counts a request of `key` if the budget allows: true and the headers after it, or false
  // (the request is refused and not counted) and the headers saying when to come back.
  bool take(const std::string& key, Clock::time_point now, RateHeaders& out);
  // The headers of `key` without counting anything (answers that are not charged).
  RateHeaders peek(const std::string& key, Clock::time_point now);
  // A 429 whatever the budget (a scripted burst): nothing left, reset at least a second ahead.
  RateHeaders exhausted(Clock::time_point now) const;

 private:
  std::deque<Clock::time_point>& window_of(const std::string& key, Clock::time_point now);
  RateHeaders headers(const std::deque<Clock::time_point>& w, Clock::time_point now) const;

  int limit_;
  std::chrono::milliseconds window_;
  std::map<std::string, std::deque<Clock::time_point>> log_;
};

}  // namespace axion::testing::alpaca
