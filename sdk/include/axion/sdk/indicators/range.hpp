// True range, ATR variants, ADX/DX and ADR% (strategies.md §2.5, §2.6, §2.8).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "axion/sdk/indicators/ring.hpp"

namespace axion::sdk::ind {

inline double true_range(double high, double low, double prev_close) {
  return std::max({high - low, std::fabs(high - prev_close), std::fabs(low - prev_close)});
}

// Per-bar directional movement (§2.6 step 2).
struct DirectionalMove {
  double tr = 0, plus_dm = 0, minus_dm = 0;
};

inline DirectionalMove directional_move(double h, double l, double prev_h, double prev_l,
                                        double prev_c) {
  double up = h - prev_h, down = prev_l - l;
  return {true_range(h, l, prev_c), (up > down && up > 0) ? up : 0.0,
          (down > up && down > 0) ? down : 0.0};
}

// Trend-day ATR and Qullamaggie `compute_atr`: fewer than p+1 bars → 0; else the simple mean of
// the last p true ranges.
class MeanTrueRange {
 public:
  explicit MeanTrueRange(int period = 14) : p_(period), tr_(static_cast<std::size_t>(period)) {}
  void update(double h, double l, double c) {
    if (bars_ > 0) tr_.push(true_range(h, l, prev_c_));
    prev_c_ = c;
    ++bars_;
  }
  double value() const {
    if (bars_ < static_cast<std::size_t>(p_) + 1) return 0.0;
    return mean_last(tr_, static_cast<std::size_t>(p_));
  }

 private:
  int p_;
  Ring<double> tr_;
  double prev_c_ = 0;
  std::size_t bars_ = 0;
};

// Mean-reversion `_estimate_atr(closes, 14)`: fewer than 15 closes → |C[t]|·0.02; else the mean
// of the last 14 |C[i] − C[i−1]|.
class CloseChangeAtr {
 public:
  explicit CloseChangeAtr(int period = 14) : p_(period), d_(static_cast<std::size_t>(period)) {}
  void update(double c) {
    if (bars_ > 0) d_.push(std::fabs(c - last_));
    last_ = c;
    ++bars_;
  }
  double value() const {
    if (bars_ < static_cast<std::size_t>(p_) + 1) return std::fabs(last_) * 0.02;
    return mean_last(d_, static_cast<std::size_t>(p_));
  }

 private:
  int p_;
  Ring<double> d_;
  double last_ = 0;
  std::size_t bars_ = 0;
};

// §2.6 ADX, Wilder smoothing over the whole history; 0 until 2p+1 bars.
class WilderAdx {
 public:
  explicit WilderAdx(int period = 14) : p_(period) {}

  void update(double h, double l, double c) {
    if (bars_++ == 0) {
      prev_h_ = h, prev_l_ = l, prev_c_ = c;
      return;
    }
    DirectionalMove m = directional_move(h, l, prev_h_, prev_l_, prev_c_);
    prev_h_ = h, prev_l_ = l, prev_c_ = c;
    const std::size_t k = moves_++;  // index of this move (0-based)
    const double p = p_;
    if (k < static_cast<std::size_t>(p_)) {  // seed sums
      seed_tr_ += m.tr, seed_p_ += m.plus_dm, seed_m_ += m.minus_dm;
      if (k + 1 == static_cast<std::size_t>(p_)) {
        atr_ = seed_tr_ / p, sp_ = seed_p_ / p, sm_ = seed_m_ / p;
      }
      return;
    }
    atr_ = (atr_ * (p - 1) + m.tr) / p;
    sp_ = (sp_ * (p - 1) + m.plus_dm) / p;
    sm_ = (sm_ * (p - 1) + m.minus_dm) / p;
    double pdi = atr_ > 0 ? 100.0 * sp_ / atr_ : 0.0;
    double mdi = atr_ > 0 ? 100.0 * sm_ / atr_ : 0.0;
    double sum = pdi + mdi;
    double dx = sum > 0 ? 100.0 * std::fabs(pdi - mdi) / sum : 0.0;
    ++dx_count_;
    if (dx_count_ <= static_cast<std::size_t>(p_)) {
      dx_seed_ += dx;
      if (dx_count_ == static_cast<std::size_t>(p_)) adx_ = dx_seed_ / p;
    } else {
      adx_ = (adx_ * (p - 1) + dx) / p;
    }
  }
  double value() const { return dx_count_ >= static_cast<std::size_t>(p_) ? adx_ : 0.0; }
  std::size_t bars() const { return bars_; }

 private:
  int p_;
  std::size_t bars_ = 0, moves_ = 0, dx_count_ = 0;
  double prev_h_ = 0, prev_l_ = 0, prev_c_ = 0;
  double seed_tr_ = 0, seed_p_ = 0, seed_m_ = 0;
  double atr_ = 0, sp_ = 0, sm_ = 0;
  double dx_seed_ = 0, adx_ = 0;
};

// Qullamaggie `compute_dx`: the single DX of the last p moves (simple means).
class WindowDx {
 public:
  explicit WindowDx(int period = 14) : p_(period), moves_(static_cast<std::size_t>(period)) {}
  void update(double h, double l, double c) {
    if (bars_++ > 0) moves_.push(directional_move(h, l, prev_h_, prev_l_, prev_c_));
    prev_h_ = h, prev_l_ = l, prev_c_ = c;
  }
  double value() const {
    if (bars_ < static_cast<std::size_t>(p_) + 1) return 0.0;
    const std::size_t p = static_cast<std::size_t>(p_);
    double tr = mean_last(moves_, p, [](const DirectionalMove& m) { return m.tr; });
    if (tr < 1e-10) return 0.0;
    double pdi = 100.0 * mean_last(moves_, p, [](const DirectionalMove& m) { return m.plus_dm; }) / tr;
    double mdi = 100.0 * mean_last(moves_, p, [](const DirectionalMove& m) { return m.minus_dm; }) / tr;
    if (pdi + mdi < 1e-10) return 0.0;
    return 100.0 * std::fabs(pdi - mdi) / (pdi + mdi);
  }

 private:
  int p_;
  Ring<DirectionalMove> moves_;
  double prev_h_ = 0, prev_l_ = 0, prev_c_ = 0;
  std::size_t bars_ = 0;
};

// §2.8 ADR%: fewer than p bars → 0; else over the last p bars the mean of (H−L)/L·100 over the
// bars with L > 0 (divided by that count, at least 1).
class AdrPercent {
 public:
  explicit AdrPercent(int period = 20) : p_(period), bars_(static_cast<std::size_t>(period)) {}
  void update(double h, double l) { bars_.push({h, l}), ++count_; }
  double value() const {
    if (count_ < static_cast<std::size_t>(p_)) return 0.0;
    double s = 0;
    std::size_t k = 0;
    for (std::size_t i = bars_.size(); i-- > 0;) {
      const auto& b = bars_.back(i);
      if (b.low > 0) s += (b.high - b.low) / b.low * 100.0, ++k;
    }
    return s / static_cast<double>(std::max<std::size_t>(k, 1));
  }

 private:
  struct HighLow {
    double high = 0, low = 0;
  };
  int p_;
  Ring<HighLow> bars_;
  std::size_t count_ = 0;
};

}  // namespace axion::sdk::ind
