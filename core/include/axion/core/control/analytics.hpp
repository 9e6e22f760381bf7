// BotPerformanceTracker and PerformanceSnapshot (control.md §5.3–5.4), on the unified
// convention of metrics.hpp. Fed by every close; rebuilt from the journal at start-up.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "axion/core/domain/types.hpp"

namespace axion::core {

struct ClosedTradeRecord {
  std::string ticker, direction, signal_type = "unknown", strategy = "unknown", exit_reason;
  double pnl = 0, entry_price = 0, exit_price = 0, ret = 0;
  std::int64_t shares = 0;
  std::int64_t closed_us = 0;
};

struct Breakdown {
  int trades = 0, wins = 0;
  double win_rate = 0, total_pnl = 0, avg_pnl = 0, sharpe = 0;
};

struct PerformanceSnapshot {
  int total_trades = 0, winning_trades = 0, losing_trades = 0;
  double win_rate = 0, total_pnl = 0, avg_pnl = 0, profit_factor = 0, sharpe = 0, sortino = 0, calmar = 0;
  double max_drawdown = 0, current_drawdown = 0;
  std::map<std::string, Breakdown> by_signal, by_strategy;
  std::vector<double> equity_curve;
  std::int64_t ts_us = 0;
  // Keys in the spec's order; profit_factor null when infinite; equity_curve_len, not the curve.
  json to_json() const;
};

class BotPerformanceTracker {
 public:
  using Clock = std::function<std::int64_t()>;
  BotPerformanceTracker(double starting_equity = 100000.0, std::size_t max_history = 10000,
                        Clock now = nullptr);
  void record_trade(const ClosedTradeRecord& t);  // r = pnl / equity before; closed_us set from clock if 0
  PerformanceSnapshot snapshot() const;
  double equity() const { return equity_; }
  std::size_t trade_count() const { return trades_.size(); }
  json recent_trades(std::size_t limit = 20) const;
  const std::deque<double>& curve() const { return curve_; }

 private:
  PerformanceSnapshot compute_snapshot() const;
  mutable std::optional<PerformanceSnapshot> cached_;  // until the next trade
  std::size_t max_history_;
  Clock now_;
  double starting_, equity_, peak_;
  std::deque<ClosedTradeRecord> trades_;
  std::deque<double> curve_;
};

}  // namespace axion::core
