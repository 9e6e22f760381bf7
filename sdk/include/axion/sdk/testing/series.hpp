// Deterministic bar series for strategy tests (strategies.md §16.1 "GOLD") and helpers that turn
// parallel arrays into bars.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <type_traits>
#include <vector>

#include "axion/sdk/types.hpp"

namespace axion::sdk::testing {

// Five parallel arrays, oldest first, plus optional timestamps (empty = compatibility mode).
struct Series {
  std::vector<double> open, high, low, close, volume;
  std::vector<std::int64_t> ts_us;
  std::size_t size() const { return close.size(); }
  // Bars 0..end (inclusive) — "the window ending at bar end".
  Series window(std::size_t end) const {
    Series s;
    auto cut = [end](const auto& v) {
      return std::decay_t<decltype(v)>(v.begin(), v.begin() + static_cast<long>(end) + 1);
    };
    s.open = cut(open), s.high = cut(high), s.low = cut(low), s.close = cut(close), s.volume = cut(volume);
    if (!ts_us.empty()) s.ts_us = cut(ts_us);
    return s;
  }
  Bar bar(std::size_t i, const std::string& symbol, const std::string& timeframe) const {
    Bar b;
    b.symbol = symbol, b.timeframe = timeframe;
    b.ts_us = ts_us.empty() ? 0 : ts_us[i];
    b.open = open[i], b.high = high[i], b.low = low[i], b.close = close[i], b.volume = volume[i];
    return b;
  }
  void push(double o, double h, double l, double c, double v, std::int64_t ts = 0) {
    open.push_back(o), high.push_back(h), low.push_back(l), close.push_back(c), volume.push_back(v);
    if (ts > 0) ts_us.push_back(ts);
  }
};

// §16.1: C[t] = 100 + 8·sin(2πt/60) + 0.05·t + 1.5·sin(2πt/7); O[t] = C[t−1] (O[0] = 100);
// H = max(O, C) + 0.4 + 0.2·|sin t|; L = min(O, C) − 0.4 − 0.2·|cos t|;
// V = 1e6·(1 + 0.5·sin(2πt/13)) + 800,000 when t mod 5 = 0.
inline Series gold_series(std::size_t n = 300) {
  Series s;
  const double pi = std::numbers::pi;
  double prev_c = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i);
    double c = 100 + 8 * std::sin(2 * pi * t / 60) + 0.05 * t + 1.5 * std::sin(2 * pi * t / 7);
    double o = i == 0 ? 100.0 : prev_c;
    double h = std::max(o, c) + 0.4 + 0.2 * std::fabs(std::sin(t));
    double l = std::min(o, c) - 0.4 - 0.2 * std::fabs(std::cos(t));
    double v = 1'000'000.0 * (1 + 0.5 * std::sin(2 * pi * t / 13)) + (i % 5 == 0 ? 800'000.0 : 0.0);
    s.push(o, h, l, c, v);
    prev_c = c;
  }
  return s;
}

}  // namespace axion::sdk::testing
