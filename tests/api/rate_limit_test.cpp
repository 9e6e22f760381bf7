// The REST API's per-key rate limiter (control.md §2.4).
#include <catch2/catch.hpp>

#include "api/rate_limit.hpp"

using namespace axion::api;

namespace {
constexpr std::int64_t kSec = 1'000'000;
constexpr std::int64_t kDay = 86'400 * kSec;
// 2026-02-09T14:30:00Z
constexpr std::int64_t kT0 = 20493 * kDay + (14 * 3600 + 30 * 60) * kSec;
}  // namespace

TEST_CASE("Rate limits per tier") {
  auto f = RateLimits::for_tier("free");
  CHECK(f.per_minute == 10);
  CHECK(f.per_day == 100);
  auto p = RateLimits::for_tier("pro");
  CHECK(p.per_minute == 60);
  CHECK(p.per_day == 1000);
  auto e = RateLimits::for_tier("enterprise");
  CHECK(e.per_minute == 600);
  CHECK(e.per_day == 0);
}

TEST_CASE("Rate limiter: free key, 11 reads in a minute, headers and Retry-After") {
  std::int64_t now = kT0;
  RateLimiter rl([&] { return now; });
  for (int i = 0; i < 10; ++i) {
    auto d = rl.check("k1", "free");
    CHECK(d.allowed);
    CHECK(d.limit == 10);
    CHECK(d.remaining == 9 - i);
    CHECK(d.daily_remaining == std::to_string(99 - i));
    now += kSec;
  }
  auto d = rl.check("k1", "free");  // at t0 + 10 s
  CHECK_FALSE(d.allowed);
  CHECK(d.reason == "per_minute");
  CHECK(d.limit == 10);
  CHECK(d.remaining == 0);
  CHECK(d.retry_after_seconds == 50);  // oldest (t0) + 60 − now
  // Rejections are not counted: the daily remaining is unchanged.
  CHECK(d.daily_remaining == "90");
  // Another bucket is independent.
  CHECK(rl.check("k2", "free").allowed);
  // The window slides: at t0 + 60 s the first request has left it.
  now = kT0 + 60 * kSec;
  auto ok = rl.check("k1", "free");
  CHECK(ok.allowed);
  CHECK(ok.remaining == 0);  // 9 still in the window before this one
  CHECK(ok.daily_remaining == "89");
  now += kSec / 2;
  auto no = rl.check("k1", "free");
  CHECK_FALSE(no.allowed);
  CHECK(no.retry_after_seconds == 1);  // max(1, ceil(0.5))
}

TEST_CASE("Rate limiter: daily limit, UTC-date reset, Retry-After until midnight") {
  std::int64_t now = kT0;  // 14:30 UTC
  RateLimiter rl([&] { return now; });
  for (int i = 0; i < 100; ++i) {
    REQUIRE(rl.check("k", "free").allowed);
    now += 7 * kSec;  // 100 requests over 700 s: never 10 in a minute
  }
  auto d = rl.check("k", "free");
  CHECK_FALSE(d.allowed);
  CHECK(d.reason == "daily");
  CHECK(d.limit == 100);
  CHECK(d.remaining == 0);
  const std::int64_t midnight = (kT0 / kDay + 1) * kDay;
  CHECK(d.retry_after_seconds == (midnight - now + kSec - 1) / kSec);
  now = midnight;  // a new UTC date
  auto next = rl.check("k", "free");
  CHECK(next.allowed);
  CHECK(next.daily_remaining == "99");
}

TEST_CASE("Rate limiter: enterprise is 600 per minute with unlimited days") {
  std::int64_t now = kT0;
  RateLimiter rl([&] { return now; });
  RateDecision d;
  for (int i = 0; i < 600; ++i) d = rl.check("dev", "enterprise");
  CHECK(d.allowed);
  CHECK(d.limit == 600);
  CHECK(d.remaining == 0);
  CHECK(d.daily_remaining == "unlimited");
  auto no = rl.check("dev", "enterprise");
  CHECK_FALSE(no.allowed);
  CHECK(no.reason == "per_minute");
  CHECK(no.retry_after_seconds == 60);
}
