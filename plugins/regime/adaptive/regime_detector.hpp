// The rule-based RegimeDetector (strategies.md §14.2), fed one observation at a time.
//
// The original classifies a price frame as of a date. Here the frame grows by one row per benchmark
// bar, and each classification only looks at fixed trailing windows (200 closes for the SMA, 21 for
// the 1-month momentum, 61 universe rows for the 60 returns of the correlation spike), so a bar
// costs bounded work however long the history is. No host or SDK dependencies.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace axion::regime {

// Fixed-capacity ring of the newest values; back(0) is the newest.
class Ring {
 public:
  explicit Ring(std::size_t capacity) : buf_(capacity) {}
  void push(double x) {
    buf_[head_] = x;
    head_ = (head_ + 1) % buf_.size();
    if (size_ < buf_.size()) ++size_;
  }
  std::size_t size() const { return size_; }
  // The value k steps before the newest (k < size()).
  double back(std::size_t k) const { return buf_[(head_ + buf_.size() - 1 - k) % buf_.size()]; }
  // Mean of the newest n values (n <= size()), summed oldest first as mean(X[t-n+1..t]).
  double mean_last(std::size_t n) const {
    double sum = 0.0;
    for (std::size_t k = n; k-- > 0;) sum += back(k);
    return sum / static_cast<double>(n);
  }

 private:
  std::vector<double> buf_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

struct Classification {
  std::string regime;  // bull | bear | sideways | crisis
  double confidence = 0.0;
};

// The features of one classification, exposed for logging and tests.
struct Features {
  std::size_t rows = 0;
  bool above_200 = false;
  double trend = 0.0;
  double momentum_1m = 0.0;
  double vix = 20.0;
  double breadth = 0.5;
  bool correlation_spike = false;
};

class RegimeDetector {
 public:
  static constexpr std::size_t kMinRows = 5;
  static constexpr std::size_t kSmaRows = 200;
  static constexpr std::size_t kMomentumLag = 20;
  static constexpr std::size_t kCorrRows = 60;
  static constexpr double kDefaultVix = 20.0;
  static constexpr double kDefaultBreadth = 0.5;
  // Universe timestamps still waiting for some symbol's bar; older ones are dropped first.
  static constexpr std::size_t kMaxPendingRows = 256;

  explicit RegimeDetector(std::size_t universe_size)
      : market_(kSmaRows), universe_size_(universe_size) {
    columns_.reserve(universe_size);
    for (std::size_t i = 0; i < universe_size; ++i) columns_.emplace_back(kSmaRows);
  }

  // One benchmark close at ts. False (ignored) when ts is not after the previous one.
  bool add_market(std::int64_t ts, double close) {
    if (market_rows_ > 0 && ts <= market_ts_) return false;
    market_ts_ = ts;
    market_.push(close);
    ++market_rows_;
    return true;
  }
  std::size_t market_rows() const { return market_rows_; }

  // The newest VIX value (the VIX "last value <= as-of": bars arrive in time order).
  void set_vix(std::int64_t ts, double value) {
    if (has_vix_ && ts < vix_ts_) return;
    vix_ts_ = ts;
    vix_ = value;
    has_vix_ = true;
  }

  // One universe close. A universe row is a timestamp at which every universe symbol has a bar
  // (the frame's inner join); it enters the frame once complete, whatever the arrival order.
  void add_universe(std::size_t column, std::int64_t ts, double close) {
    if (column >= universe_size_) return;
    if (universe_rows_ > 0 && ts <= last_row_ts_) return;  // too late for its row
    auto [it, fresh] = pending_.try_emplace(ts);
    Pending& p = it->second;
    if (fresh) {
      p.closes.assign(universe_size_, 0.0);
      p.have.assign(universe_size_, false);
    }
    p.closes[column] = close;  // a repeated bar of the same timestamp replaces the earlier one
    if (!p.have[column]) {
      p.have[column] = true;
      ++p.count;
    }
    if (p.count == universe_size_) {
      for (std::size_t c = 0; c < universe_size_; ++c) columns_[c].push(p.closes[c]);
      ++universe_rows_;
      last_row_ts_ = ts;
      pending_.erase(pending_.begin(), std::next(it));  // this row and every older, incomplete one
    }
    while (pending_.size() > kMaxPendingRows) pending_.erase(pending_.begin());
  }
  std::size_t universe_rows() const { return universe_rows_; }

  Features features() const {
    Features f;
    f.rows = market_rows_;
    if (market_rows_ >= kSmaRows) {
      const double sma = market_.mean_last(kSmaRows);
      const double c = market_.back(0);
      f.above_200 = c > sma;
      f.trend = c / sma - 1.0;
    }
    if (market_rows_ >= kMomentumLag + 1)
      f.momentum_1m = market_.back(0) / market_.back(kMomentumLag) - 1.0;
    f.vix = has_vix_ ? vix_ : kDefaultVix;
    if (universe_size_ > 0 && universe_rows_ >= kSmaRows) {
      std::size_t above = 0;
      for (const auto& col : columns_) above += col.back(0) > col.mean_last(kSmaRows) ? 1 : 0;
      f.breadth = static_cast<double>(above) / static_cast<double>(universe_size_);
    }
    f.correlation_spike = correlation_spike();
    return f;
  }

  // strategies.md §14.2, in its order: too few rows; VIX crisis; spike crisis; bull/bear points.
  Classification classify() const {
    if (market_rows_ < kMinRows) return {"sideways", 0.0};
    const Features f = features();
    if (f.vix > 35.0) return {"crisis", std::fmin(1.0, (f.vix - 35.0) / 15.0 + 0.7)};
    if (f.correlation_spike && f.momentum_1m < -0.10) return {"crisis", 0.75};

    double bull = 0.0, bear = 0.0;
    int bull_n = 0, bear_n = 0;
    auto point = [](bool cond, double pts, double& score, int& n) {
      if (cond) {
        score += pts;
        ++n;
      }
    };
    point(f.above_200, 0.25, bull, bull_n);
    point(f.trend > 0.05, 0.20, bull, bull_n);
    point(f.vix < 15.0, 0.15, bull, bull_n);
    point(f.breadth > 0.55, 0.20, bull, bull_n);
    point(f.momentum_1m > 0.02, 0.10, bull, bull_n);

    point(!f.above_200, 0.25, bear, bear_n);
    point(f.trend < -0.05, 0.20, bear, bear_n);
    point(f.vix > 25.0, 0.20, bear, bear_n);
    point(f.breadth < 0.45, 0.20, bear, bear_n);
    point(f.momentum_1m < -0.02, 0.10, bear, bear_n);

    if (bull_n >= 3 && bull > bear) return {"bull", std::fmin(0.95, bull)};
    if (bear_n >= 3 && bear > bull) return {"bear", std::fmin(0.95, bear)};
    return {"sideways", std::fmax(0.5, 1.0 - std::fmax(bull, bear))};
  }

 private:
  struct Pending {
    std::vector<double> closes;
    std::vector<bool> have;
    std::size_t count = 0;
  };

  // Mean pairwise Pearson correlation of the universe's last 60 row-to-row returns > 0.6, with at
  // least 60 rows and two symbols. A pair with a constant return series has no correlation and is
  // left out of the mean; no defined pair means no spike.
  bool correlation_spike() const {
    if (universe_size_ < 2 || universe_rows_ < kCorrRows) return false;
    const std::size_t prices = std::min<std::size_t>(columns_[0].size(), kCorrRows + 1);
    const std::size_t n = prices - 1;
    std::vector<std::vector<double>> rets(universe_size_, std::vector<double>(n));
    for (std::size_t c = 0; c < universe_size_; ++c) {
      for (std::size_t i = 0; i < n; ++i) {
        // oldest first: return i runs from the close n-i steps back to the one n-1-i back
        const double prev = columns_[c].back(n - i);
        const double cur = columns_[c].back(n - 1 - i);
        rets[c][i] = cur / prev - 1.0;
      }
    }
    double sum = 0.0;
    std::size_t pairs = 0;
    for (std::size_t a = 0; a < universe_size_; ++a) {
      for (std::size_t b = a + 1; b < universe_size_; ++b) {
        const double r = pearson(rets[a], rets[b]);
        if (std::isfinite(r)) {
          sum += r;
          ++pairs;
        }
      }
    }
    return pairs > 0 && sum / static_cast<double>(pairs) > 0.6;
  }

  static double pearson(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t n = x.size();
    if (n < 2) return std::numeric_limits<double>::quiet_NaN();
    double mx = 0.0, my = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      mx += x[i];
      my += y[i];
    }
    mx /= static_cast<double>(n);
    my /= static_cast<double>(n);
    double sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double dx = x[i] - mx, dy = y[i] - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    if (sxx <= 0.0 || syy <= 0.0) return std::numeric_limits<double>::quiet_NaN();
    return sxy / std::sqrt(sxx * syy);
  }

  Ring market_;
  std::size_t market_rows_ = 0;
  std::int64_t market_ts_ = 0;

  double vix_ = kDefaultVix;
  std::int64_t vix_ts_ = 0;
  bool has_vix_ = false;

  std::size_t universe_size_;
  std::vector<Ring> columns_;
  std::size_t universe_rows_ = 0;
  std::int64_t last_row_ts_ = 0;
  std::map<std::int64_t, Pending> pending_;
};

}  // namespace axion::regime
