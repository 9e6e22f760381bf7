// The StrategySelector (strategies.md §11): an ADX gate between trending and ranging markets, the
// Qullamaggie and Ripster refinements, regime override and forcing; and the A/B table (§11.5).
//
// The selector does not run strategies: every enabled strategy plugin has already seen the bar,
// and the selector chooses among the signals they produced for it (a disabled or absent
// strategy counts as one that returned nothing).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "axion/core/domain/types.hpp"

namespace axion::core {

struct SelectorConfig {
  double strong_threshold = 40.0, moderate_threshold = 25.0, weak_threshold = 15.0;
  std::string trend_strategy = "ema_cloud", range_strategy = "mean_reversion";
  std::string force_strategy;  // empty = none
  std::map<std::string, std::string> regime_override = {{"crisis", "mean_reversion"}};
};

const char* classify_trend(double adx, const SelectorConfig& cfg);

// What each strategy emitted for this bar, by registry name (first signal of each is used,
// except the trend strategy whose signals all pass).
using SignalsByStrategy = std::map<std::string, std::vector<Signal>>;

struct StrategyChoice {
  std::string ticker, selected_strategy, trend_strength = "no_trend", regime, reasoning;
  double adx_value = 0, confidence = 0;
  std::int64_t ts_us = 0;
  std::vector<Signal> signals;  // the chosen strategy's signals for this bar (may be empty)
  json to_json() const;
};

StrategyChoice select_strategy(const std::string& ticker, double adx, const std::string& regime,
                               const SignalsByStrategy& signals, const SelectorConfig& cfg,
                               std::int64_t now_us);

// A/B statistics per strategy (§11.5). One table serves the engine and the REST layer.
class AbStats {
 public:
  AbStats();
  void record_signal(const std::string& strategy, std::int64_t n = 1);
  void record_outcome(const std::string& strategy, double pnl);
  json stats() const;  // name → {signals, trades, wins, win_rate, total_pnl, avg_pnl}
  json stats(const std::string& strategy) const;

 private:
  struct Row {
    std::int64_t signals = 0, trades = 0, wins = 0;
    double total_pnl = 0;
  };
  std::vector<std::string> order_;
  std::map<std::string, Row> rows_;
  Row& row(const std::string& s);
};

}  // namespace axion::core
