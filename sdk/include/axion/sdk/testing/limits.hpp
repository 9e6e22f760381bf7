// Effective limits for stage-plugin tests: the worked examples of pipeline.md §6.5 (sideways
// regime at confidence 0.5 over the §1.7 defaults), every field a risk, routing or sizing stage
// reads set here rather than left to Limits' defaults, so the examples stay put if those move.
#pragma once

#include <string>

#include "axion/sdk/context.hpp"

namespace axion::sdk::testing {

inline Limits pipeline_6_5_limits(const std::string& instrument_mode = "both") {
  Limits l;
  l.instrument_mode = instrument_mode;
  l.max_risk_per_trade = 0.04;
  l.max_single_stock_exposure = 0.15;
  l.position_size_multiplier = 0.8;
  l.stop_loss_mult = 0.9;
  l.high_conviction_order_type = "market";
  l.medium_conviction_order_type = "limit";
  l.scale_in_enabled = true;
  l.scale_in_initial_pct = 0.5;
  l.prefer_3x_for_day_trades = true;
  l.min_etf_daily_volume = 10'000'000.0;
  l.etf_sector_mapping = true;
  l.default_time_in_force = "day";
  l.regime = "sideways";
  l.regime_confidence = 0.5;
  return l;
}

}  // namespace axion::sdk::testing
