// Per-key rate limits of the REST API (control.md §2.4): a sliding one-minute window plus a
// UTC-date daily counter per bucket (key id), in memory. An HTTP concept: it lives with the API.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace axion::api {

struct RateLimits {
  int per_minute = 10;
  int per_day = 100;  // 0 = unlimited
  static RateLimits for_tier(const std::string& tier);
};

struct RateDecision {
  bool allowed = true;
  std::string reason;  // "per_minute" | "daily" when refused
  int limit = 0;       // X-RateLimit-Limit
  int remaining = 0;   // X-RateLimit-Remaining
  std::string daily_remaining;  // X-RateLimit-Daily-Remaining: a number or "unlimited"
  std::int64_t retry_after_seconds = 0;
};

// Sliding one-minute window plus a UTC-date daily counter per bucket (key id). Thread-safe.
class RateLimiter {
 public:
  using Clock = std::function<std::int64_t()>;
  explicit RateLimiter(Clock now);
  RateDecision check(const std::string& bucket, const std::string& tier);

 private:
  struct Bucket {
    std::deque<std::int64_t> window;
    std::int64_t day = -1;
    int daily = 0;
  };
  std::mutex mu_;
  Clock now_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace axion::api
