// Window statistics over the newest closes (strategies.md §2.9).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "axion/sdk/indicators/ring.hpp"

namespace axion::sdk::ind {

// Population mean and standard deviation of the newest m values (m ≤ size).
struct MeanStd {
  double mean = 0, std = 0;
};

inline MeanStd mean_std_last(const Ring<double>& r, std::size_t m) {
  MeanStd out;
  if (m == 0 || m > r.size()) return out;
  out.mean = mean_last(r, m);
  double var = 0;
  r.for_each_last(m, [&](double v) {
    const double d = v - out.mean;
    var += d * d;
  });
  out.std = std::sqrt(var / static_cast<double>(m));
  return out;
}

// Z-score of the newest value over the last `period` values; fewer → 0. σ = 1e-10 when var = 0.
inline double zscore_last(const Ring<double>& closes, std::size_t period) {
  if (closes.size() < period || period == 0) return 0.0;
  MeanStd ms = mean_std_last(closes, period);
  double sigma = ms.std > 0 ? ms.std : 1e-10;
  return (closes.back() - ms.mean) / sigma;
}

struct Bollinger {
  double position = 0.5, mid = 0, upper = 0, lower = 0;
};

// Position of the newest close within mid ± k·σ of the last `period` closes, clamped to [0, 1].
inline Bollinger bollinger_last(const Ring<double>& closes, std::size_t period, double k) {
  Bollinger b;
  if (closes.empty()) return b;
  double c = closes.back();
  if (closes.size() < period || period == 0) return {0.5, c, c, c};
  MeanStd ms = mean_std_last(closes, period);
  b.mid = ms.mean;
  b.upper = ms.mean + k * ms.std;
  b.lower = ms.mean - k * ms.std;
  double width = b.upper - b.lower;
  b.position = width < 1e-10 ? 0.5 : std::clamp((c - b.lower) / width, 0.0, 1.0);
  return b;
}

}  // namespace axion::sdk::ind
