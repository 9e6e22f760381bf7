#include "api/rate_limit.hpp"

#include <algorithm>

#include "axion/sdk/time.hpp"

namespace axion::api {

using sdk::time::kUsPerDay;
using sdk::time::kUsPerSec;

RateLimits RateLimits::for_tier(const std::string& tier) {
  if (tier == "enterprise") return {600, 0};
  if (tier == "pro") return {60, 1000};
  return {10, 100};
}

RateLimiter::RateLimiter(Clock now) : now_(std::move(now)) {}

RateDecision RateLimiter::check(const std::string& bucket, const std::string& tier) {
  const RateLimits lim = RateLimits::for_tier(tier);
  const std::int64_t now = now_();
  std::lock_guard lock(mu_);
  Bucket& b = buckets_[bucket];
  while (!b.window.empty() && b.window.front() <= now - 60 * kUsPerSec) b.window.pop_front();
  RateDecision d;
  auto daily_remaining = [&](int daily) {
    return lim.per_day == 0 ? std::string("unlimited") : std::to_string(std::max(0, lim.per_day - daily));
  };
  const int in_window = static_cast<int>(b.window.size());
  if (in_window >= lim.per_minute) {
    d.allowed = false;
    d.reason = "per_minute";
    d.limit = lim.per_minute;
    d.remaining = 0;
    const std::int64_t wait_us = b.window.front() + 60 * kUsPerSec - now;
    d.retry_after_seconds = std::max<std::int64_t>(1, (wait_us + kUsPerSec - 1) / kUsPerSec);
    d.daily_remaining = daily_remaining(b.daily);
    return d;
  }
  const std::int64_t day = now >= 0 ? now / kUsPerDay : (now - kUsPerDay + 1) / kUsPerDay;
  if (day != b.day) {
    b.day = day;
    b.daily = 0;
  }
  if (lim.per_day > 0 && b.daily >= lim.per_day) {
    d.allowed = false;
    d.reason = "daily";
    d.limit = lim.per_day;
    d.remaining = 0;
    const std::int64_t wait_us = (day + 1) * kUsPerDay - now;
    d.retry_after_seconds = std::max<std::int64_t>(1, (wait_us + kUsPerSec - 1) / kUsPerSec);
    d.daily_remaining = "0";
    return d;
  }
  b.window.push_back(now);
  ++b.daily;
  d.allowed = true;
  d.limit = lim.per_minute;
  d.remaining = lim.per_minute - in_window - 1;
  d.daily_remaining = daily_remaining(b.daily);
  return d;
}

}  // namespace axion::api
