// ExitMonitor (pipeline.md §8.2): evaluates every exit rule for one position and returns the
// highest-priority exit. Pure: it reads a position, a price, the underlying's fast indicators
// and the effective lifecycle settings; its only side effect is the breakeven stop move.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "axion/core/domain/types.hpp"
#include "axion/sdk/context.hpp"

namespace axion::core {

// The underlying's recent indicator rows, maintained incrementally by the engine's bar store.
struct IndicatorRows {
  int rows = 0;            // completed bars seen (0: no bar data for this underlying)
  double close[3] = {};    // oldest → newest of the last three
  double ema5[3] = {}, ema12[3] = {};
  double ema8 = 0, ema9 = 0;  // latest row
  bool fast_bullish() const { return rows > 0 && ema5[2] > ema12[2]; }
};

struct ExitRules {
  double reward_to_risk_target = 2.0;
  int time_stop_minutes = 120;
  unsigned eod_minute_of_day = 15 * 60 + 55;  // ET
  std::string eod_close_time = "15:55";
  std::string trailing_stop_cloud = "pullback";
  int max_etf_hold_days_3x = 5;
  int max_etf_hold_days_2x = 10;
  static ExitRules from(const sdk::Limits& effective);
};

struct ExitSignal {
  std::string ticker;
  std::string signal_id;
  std::string exit_type;  // stop_loss … scale_out
  int priority = 0;       // 1 = highest
  std::string reason;
  double new_stop = 0;       // trail_to_breakeven
  double trigger_price = 0;  // trail_to_breakeven
  std::int64_t scale_qty = 0;  // scale_out
};

int max_hold_days(double leverage, const ExitRules& rules);

// Evaluates all rules (the breakeven move happens even when another rule wins) and returns
// the one with the lowest priority number.
std::optional<ExitSignal> check_exit(Position& p, double price, const IndicatorRows* ind,
                                     const ExitRules& rules, std::int64_t now_us);

}  // namespace axion::core
