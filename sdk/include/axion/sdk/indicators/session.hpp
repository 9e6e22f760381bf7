// The trading session a bar belongs to, and session-reset VWAP (strategies.md §0, §2.7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "axion/sdk/time.hpp"

namespace axion::sdk::ind {

// Session = the bars of the current ET trading day from 09:30 ET; index k = session bars so far
// (the current one included). A bar without a timestamp (ts_us ≤ 0) puts the clock in
// compatibility mode: the whole series is one session and k = bars seen.
class SessionClock {
 public:
  static constexpr unsigned kOpenMinute = 9 * 60 + 30;

  // Returns true when this bar starts a new session (its first bar).
  bool update(std::int64_t ts_us) {
    if (ts_us <= 0) {
      compat_ = true;
      ++k_;
      in_session_ = true;
      return k_ == 1;
    }
    compat_ = false;
    time::LocalTime et = time::to_eastern(ts_us);
    if (et.day_number != day_) {
      day_ = et.day_number;
      k_ = 0;
    }
    in_session_ = et.minute_of_day() >= kOpenMinute;
    if (!in_session_) return false;
    return ++k_ == 1;
  }
  std::size_t index() const { return in_session_ ? k_ : 0; }  // 0 before the open
  bool in_session() const { return in_session_; }
  bool compat() const { return compat_; }

 private:
  std::int64_t day_ = std::numeric_limits<std::int64_t>::min();
  std::size_t k_ = 0;
  bool in_session_ = false;
  bool compat_ = false;
};

// Σ(typical·V)/ΣV over the session's bars; 0 with no bars or ΣV ≤ 0.
class SessionVwap {
 public:
  void reset() { pv_ = 0, vol_ = 0; }
  void add(double h, double l, double c, double v) {
    pv_ += (h + l + c) / 3.0 * v;
    vol_ += v;
  }
  double value() const { return vol_ > 0 ? pv_ / vol_ : 0.0; }

 private:
  double pv_ = 0, vol_ = 0;
};

}  // namespace axion::sdk::ind
