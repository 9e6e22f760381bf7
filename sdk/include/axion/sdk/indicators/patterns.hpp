// Qullamaggie pattern helpers (strategies.md §2.11) and the bounded-window pieces the Qullamaggie
// strategies (§10.7–§10.9) build on.
//
// The plain array functions (`detect_consolidation`, `detect_higher_lows`, `volume_contraction`,
// `largest_run_up`, `count_up_days`) are the spec's rules over the arrays they are given, for
// tests and analyze-style callers. The incremental pieces (`RunningPeak`, `UpDayStreak`, the
// callable-indexed forms) let a strategy evaluate the same rules per bar without recomputing over
// the history and without allocating.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>

#include "axion/sdk/indicators/ring.hpp"

namespace axion::sdk::ind {

inline constexpr std::size_t kAllValues = std::numeric_limits<std::size_t>::max();

// ---- detect_higher_lows -------------------------------------------------------------------------

// `get(i)` is value i of `count`, oldest first. Over the last `lookback` values (all when fewer):
// fewer than 3 → false. Swing lows are the interior points ≤ both neighbours (non-strict); true
// when there are at least 2 and each is strictly greater than the previous one.
template <class Get>
inline bool detect_higher_lows_by(std::size_t count, std::size_t lookback, Get get) {
  const std::size_t k = std::min(count, lookback);
  if (k < 3) return false;
  const std::size_t first = count - k;
  std::size_t swings = 0;
  double prev_swing = 0;
  for (std::size_t i = first + 1; i + 1 < count; ++i) {
    const double x = get(i);
    if (x <= get(i - 1) && x <= get(i + 1)) {
      if (swings > 0 && !(x > prev_swing)) return false;
      prev_swing = x;
      ++swings;
    }
  }
  return swings >= 2;
}

// §2.11: 15,10,15,12,16,14,18 → true; 15,10,15,12,16,11,18 → false; flat → false.
inline bool detect_higher_lows(std::span<const double> lows, std::size_t lookback = kAllValues) {
  return detect_higher_lows_by(lows.size(), lookback, [&](std::size_t i) { return lows[i]; });
}

// ---- volume_contraction -------------------------------------------------------------------------

// §2.11: fewer than `lookback` values → 1.0; else mean(last 5) / mean(last `lookback`), 1.0 when
// the long mean is < 1e-10.
inline double volume_contraction(std::span<const double> volumes, std::size_t lookback = 20) {
  const std::size_t n = volumes.size();
  if (n < lookback || lookback == 0) return 1.0;
  auto mean_last_n = [&](std::size_t m) {
    double s = 0;
    for (std::size_t i = n - m; i < n; ++i) s += volumes[i];
    return s / static_cast<double>(m);
  };
  const double long_mean = mean_last_n(lookback);
  if (long_mean < 1e-10) return 1.0;
  return mean_last_n(std::min<std::size_t>(5, n)) / long_mean;
}

// ---- largest run-up (low before high) -----------------------------------------------------------

struct RunUp {
  double pct = 0;             // (high − low) / low · 100 of the best pair; 0 when none
  std::size_t low_index = 0;  // positions within the values examined, oldest = 0
  std::size_t high_index = 0;
};

// The largest run-up over `count` values (`get(i)`, oldest first) with the low preceding (or at)
// the high: max over j of (x[j] − min(x[0..j])) / min(x[0..j]) · 100. A running minimum ≤ 0 makes
// the result 0 (§10.7 step 4). O(count), no allocation.
template <class Get>
inline RunUp largest_run_up_by(std::size_t count, Get get) {
  RunUp best;
  if (count == 0) return best;
  double low = get(0);
  std::size_t low_i = 0;
  for (std::size_t j = 0; j < count; ++j) {
    const double x = get(j);
    if (x < low) low = x, low_i = j;
    if (low <= 0) return RunUp{};
    const double pct = (x - low) / low * 100.0;
    if (pct > best.pct) best = {pct, low_i, j};
  }
  return best;
}

inline RunUp largest_run_up(std::span<const double> values) {
  return largest_run_up_by(values.size(), [&](std::size_t i) { return values[i]; });
}

// Over the newest min(m, size) values of a ring (indices relative to the oldest of those).
inline RunUp largest_run_up_last(const Ring<double>& r, std::size_t m) {
  const std::size_t k = std::min(m, r.size());
  return largest_run_up_by(k, [&](std::size_t i) { return r.back(k - 1 - i); });
}

// ---- up-day counter -----------------------------------------------------------------------------

// Consecutive bars counted back from t−1 with C[i] > C[i−1] (§10.9 step 3; the latest bar t is
// not counted). 10,11,12,13,14,15,14.5 → 5.
inline std::size_t count_up_days(std::span<const double> closes) {
  const std::size_t n = closes.size();
  if (n < 2) return 0;
  std::size_t up = 0;
  for (std::size_t i = n - 1; i-- > 1;) {
    if (!(closes[i] > closes[i - 1])) break;
    ++up;
  }
  return up;
}

// Incremental form: after update(C[t]), `before_latest()` equals count_up_days(C[0..t]) and
// `ending_latest()` the streak that includes bar t.
class UpDayStreak {
 public:
  void update(double close) {
    prev_streak_ = streak_;
    streak_ = (count_ > 0 && close > last_) ? streak_ + 1 : 0;
    last_ = close;
    ++count_;
  }
  std::size_t before_latest() const { return prev_streak_; }
  std::size_t ending_latest() const { return streak_; }

 private:
  double last_ = 0;
  std::size_t streak_ = 0, prev_streak_ = 0, count_ = 0;
};

// ---- running peak (consolidation anchor)
// ----------------------------------------------------------

// The strict running maximum of a prefix with the index of its FIRST occurrence: values are pushed
// in order (index 0, 1, …); an equal later value does not move the peak (§2.11 step 2).
class RunningPeak {
 public:
  void push(double x) {
    if (count_ == 0 || x > value_) value_ = x, index_ = count_;
    ++count_;
  }
  bool empty() const { return count_ == 0; }
  double value() const { return value_; }
  std::size_t index() const { return index_; }
  std::size_t count() const { return count_; }

 private:
  double value_ = 0;
  std::size_t index_ = 0, count_ = 0;
};

// ---- detect_consolidation -----------------------------------------------------------------------

struct ConsolidationParams {
  std::size_t min_bars = 10;       // consolidation_min_bars (m)
  std::size_t max_bars = 60;       // consolidation_max_bars (M)
  double pullback_max_pct = 25.0;  // pullback_max_pct
};

struct Consolidation {
  std::size_t peak_index = 0;  // index of the peak bar in the arrays given
  double peak_high = 0;
  std::size_t first = 0, last = 0;  // the consolidation bars: peak+1 … n−1
  std::size_t duration = 0;         // n − 1 − peak
  double high = 0, low = 0;         // max H, min L over the consolidation
  double range_pct = 0;             // (high − low) / low · 100
  double pullback_pct = 0;          // (peak_high − low) / peak_high · 100
  bool has_higher_lows = false;     // detect_higher_lows(consolidation lows, all)
  double volume_ratio = 1.0;        // always 1.0 (§2.11 step 6)
};

// The consolidation after a known peak, for `n` bars whose highs and lows are `high(i)`, `low(i)`
// (i = 0 … n−1, oldest first; only i > peak_index is read). Steps 3–6 of §2.11.
template <class High, class Low>
inline std::optional<Consolidation> consolidation_after_peak(std::size_t n, std::size_t peak_index,
                                                             double peak_high,
                                                             const ConsolidationParams& p,
                                                             High high, Low low) {
  if (peak_index + 1 >= n) return std::nullopt;
  const std::size_t duration = n - 1 - peak_index;
  if (duration < p.min_bars || duration > p.max_bars) return std::nullopt;
  Consolidation c;
  c.peak_index = peak_index, c.peak_high = peak_high;
  c.first = peak_index + 1, c.last = n - 1, c.duration = duration;
  c.high = high(c.first), c.low = low(c.first);
  for (std::size_t i = c.first + 1; i <= c.last; ++i) {
    c.high = std::max(c.high, high(i));
    c.low = std::min(c.low, low(i));
  }
  if (c.low <= 0) return std::nullopt;
  c.range_pct = (c.high - c.low) / c.low * 100.0;
  c.pullback_pct = (peak_high - c.low) / peak_high * 100.0;
  if (c.pullback_pct > p.pullback_max_pct) return std::nullopt;
  c.has_higher_lows =
      detect_higher_lows_by(duration, kAllValues, [&](std::size_t i) { return low(c.first + i); });
  c.volume_ratio = 1.0;
  return c;
}

// §2.11 `detect_consolidation(H, L, C, cfg)` over the arrays given (n = the shortest length):
// n < m+5 → none; the peak is the first index of the strict maximum of H[0 … n−m−1] (the whole
// supplied history before the last m bars); then `consolidation_after_peak`.
inline std::optional<Consolidation> detect_consolidation(std::span<const double> highs,
                                                         std::span<const double> lows,
                                                         std::span<const double> closes,
                                                         const ConsolidationParams& p = {}) {
  const std::size_t n = std::min({highs.size(), lows.size(), closes.size()});
  if (n < p.min_bars + 5 || n <= p.min_bars) return std::nullopt;
  const std::size_t search_end = n - p.min_bars;
  RunningPeak peak;
  for (std::size_t i = 0; i < search_end; ++i) peak.push(highs[i]);
  return consolidation_after_peak(
      n, peak.index(), peak.value(), p, [&](std::size_t i) { return highs[i]; },
      [&](std::size_t i) { return lows[i]; });
}

}  // namespace axion::sdk::ind
