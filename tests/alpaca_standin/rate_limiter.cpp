#include "rate_limiter.hpp"

namespace axion::testing::alpaca {

namespace chr = std::chrono;

namespace {

std::int64_t epoch_seconds_ceil(RateLimiter::Clock::time_point at,
                                RateLimiter::Clock::time_point now) {
  const auto wall =
      chr::system_clock::now() + chr::duration_cast<chr::system_clock::duration>(at - now);
  return chr::ceil<chr::seconds>(wall.time_since_epoch()).count();
}

}  // namespace

std::deque<RateLimiter::Clock::time_point>& RateLimiter::window_of(const std::string& key,
                                                                   Clock::time_point now) {
  auto& w = log_[key];
  while (!w.empty() && w.front() + window_ <= now) w.pop_front();
  return w;
}

RateHeaders RateLimiter::headers(const std::deque<Clock::time_point>& w,
                                 Clock::time_point now) const {
  RateHeaders h;
  h.limit = limit_;
  h.remaining = limit_ - static_cast<int>(w.size());
  if (h.remaining < 0) h.remaining = 0;
  // An empty window is already free: reset is now.
  h.reset_epoch_s = epoch_seconds_ceil(w.empty() ? now : w.front() + window_, now);
  return h;
}

bool RateLimiter::take(const std::string& key, Clock::time_point now, RateHeaders& out) {
  auto& w = window_of(key, now);
  const bool ok = static_cast<int>(w.size()) < limit_;
  if (ok) w.push_back(now);
  out = headers(w, now);
  return ok;
}

RateHeaders RateLimiter::peek(const std::string& key, Clock::time_point now) {
  return headers(window_of(key, now), now);
}

RateHeaders RateLimiter::exhausted(Clock::time_point now) const {
  return RateHeaders{limit_, 0, epoch_seconds_ceil(now + chr::seconds(1), now)};
}

}  // namespace axion::testing::alpaca
