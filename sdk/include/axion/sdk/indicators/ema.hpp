// EMAs and simple averages (strategies.md §2.1–§2.3).
#pragma once

#include <cstddef>
#include <vector>

namespace axion::sdk::ind {

// §2.1 recursive EMA seeded with the first value: EMA[0] = x[0]; no warm-up. Runs over the
// instrument's whole history (never re-seeded on a trailing window).
class Ema {
 public:
  explicit Ema(int period = 1) : alpha_(2.0 / (period + 1.0)) {}
  double update(double x) {
    value_ = count_ == 0 ? x : alpha_ * x + (1.0 - alpha_) * value_;
    ++count_;
    return value_;
  }
  double value() const { return value_; }
  std::size_t count() const { return count_; }

 private:
  double alpha_;
  double value_ = 0;
  std::size_t count_ = 0;
};

// §2.2 `compute_ema`: SMA-seeded, front-padded with the seed; empty if fewer than p values.
inline std::vector<double> compute_ema(const std::vector<double>& x, int p) {
  std::vector<double> out;
  if (p <= 0 || x.size() < static_cast<std::size_t>(p)) return out;
  double seed = 0;
  for (int i = 0; i < p; ++i) seed += x[static_cast<std::size_t>(i)];
  seed /= p;
  out.assign(static_cast<std::size_t>(p), seed);
  double alpha = 2.0 / (p + 1.0), v = seed;
  for (std::size_t i = static_cast<std::size_t>(p); i < x.size(); ++i) {
    v = alpha * x[i] + (1.0 - alpha) * v;
    out.push_back(v);
  }
  return out;
}

// §2.3 `compute_sma`: the mean of each full window; length n−p+1; empty if n < p.
inline std::vector<double> compute_sma(const std::vector<double>& x, int p) {
  std::vector<double> out;
  if (p <= 0 || x.size() < static_cast<std::size_t>(p)) return out;
  for (std::size_t end = static_cast<std::size_t>(p); end <= x.size(); ++end) {
    double s = 0;
    for (std::size_t i = end - static_cast<std::size_t>(p); i < end; ++i) s += x[i];
    out.push_back(s / p);
  }
  return out;
}

}  // namespace axion::sdk::ind
