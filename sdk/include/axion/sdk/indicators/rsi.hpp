// Simple-average (Cutler) RSI over the last p close-to-close changes (strategies.md §2.4).
#pragma once

#include <cstddef>

#include "axion/sdk/indicators/ring.hpp"

namespace axion::sdk::ind {

class CutlerRsi {
 public:
  explicit CutlerRsi(int period = 14)
      : p_(period), changes_(static_cast<std::size_t>(period > 0 ? period : 1)) {}

  void update(double close) {
    if (closes_ > 0) changes_.push(close - last_);
    last_ = close;
    ++closes_;
  }
  // At least p+1 closes seen (p changes).
  bool ready() const { return closes_ >= static_cast<std::size_t>(p_) + 1; }
  // G and Lo: sums of gains and of |losses| over the last p changes, divided by p.
  double avg_gain() const { return sums().gain / p_; }
  double avg_loss() const { return sums().loss / p_; }

  // VWAP, mean-reversion and Qullamaggie variants: n < p+1 → 50; Lo < 1e-10 → 100.
  double value() const {
    if (!ready()) return 50.0;
    const Sums s = sums();
    const double g = s.gain / p_, lo = s.loss / p_;
    if (lo < 1e-10) return 100.0;
    return 100.0 - 100.0 / (1.0 + g / lo);
  }
  // RSI-divergence series element: Lo < 1e-10 → 100 if G > 0 else 50 (only when ready()).
  double series_value() const {
    const Sums s = sums();
    const double g = s.gain / p_, lo = s.loss / p_;
    if (lo < 1e-10) return g > 0 ? 100.0 : 50.0;
    return 100.0 - 100.0 / (1.0 + g / lo);
  }
  std::size_t closes() const { return closes_; }

 private:
  struct Sums {
    double gain = 0, loss = 0;
  };
  // One pass, oldest to newest (the order of a direct computation: the sums agree bit for bit).
  Sums sums() const {
    Sums s;
    changes_.for_each_last(changes_.size(), [&](double d) {
      if (d > 0) s.gain += d;
      if (d < 0) s.loss += -d;
    });
    return s;
  }
  int p_;
  Ring<double> changes_;
  double last_ = 0;
  std::size_t closes_ = 0;
};

}  // namespace axion::sdk::ind
