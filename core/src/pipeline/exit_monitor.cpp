#include "axion/core/pipeline/exit_monitor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "axion/sdk/time.hpp"

namespace axion::core {

namespace {
std::string money(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "$%.2f", x);
  return buf;
}
}  // namespace

ExitRules ExitRules::from(const sdk::Limits& e) {
  ExitRules r;
  r.reward_to_risk_target = e.reward_to_risk_target;
  r.time_stop_minutes = e.time_stop_minutes;
  r.eod_close_time = e.eod_close_time;
  unsigned hh = 15, mm = 55;
  if (std::sscanf(r.eod_close_time.c_str(), "%u:%u", &hh, &mm) == 2) r.eod_minute_of_day = hh * 60 + mm;
  r.trailing_stop_cloud = e.trailing_stop_cloud;
  r.max_etf_hold_days_3x = e.max_etf_hold_days_3x;
  r.max_etf_hold_days_2x = e.max_etf_hold_days_2x;
  return r;
}

int max_hold_days(double leverage, const ExitRules& rules) {
  if (leverage >= 3) return rules.max_etf_hold_days_3x;
  if (leverage >= 2) return rules.max_etf_hold_days_2x;
  return 15;
}

std::optional<ExitSignal> check_exit(Position& p, double price, const IndicatorRows* ind,
                                     const ExitRules& rules, std::int64_t now_us) {
  std::vector<ExitSignal> hits;
  auto hit = [&](const char* type, int priority, std::string reason) -> ExitSignal& {
    hits.push_back({p.ticker, p.signal_id, type, priority, std::move(reason)});
    return hits.back();
  };
  const bool is_long = p.direction == Direction::Long;
  // EMA rules follow the underlying's direction (an inverse ETF held long is short the index).
  const bool under_long = p.is_inverse ? !is_long : is_long;
  const double R = p.initial_risk();
  const bool bars = ind && ind->rows >= 1;

  // 1 stop loss
  if (p.stop_loss > 0 && (is_long ? price <= p.stop_loss : price >= p.stop_loss)) {
    hit("stop_loss", 1, "Stop loss hit: " + money(price) + (is_long ? " <= " : " >= ") + money(p.stop_loss));
  }
  // 2 momentum exhaustion on the fast cloud (needs three rows)
  if (ind && ind->rows >= 3) {
    bool above = true, below = true;
    for (int i = 0; i < 3; ++i) {
      above = above && ind->close[i] > std::max(ind->ema5[i], ind->ema12[i]);
      below = below && ind->close[i] < std::min(ind->ema5[i], ind->ema12[i]);
    }
    if (under_long && above) {
      hit("exhaustion", 2, "3 consecutive candles above fast cloud (momentum exhaustion)");
    } else if (!under_long && below) {
      hit("exhaustion", 2, "3 consecutive candles below fast cloud (momentum exhaustion)");
    }
  }
  // 3 fast cloud flipped against the position
  if (bars) {
    if (under_long && !ind->fast_bullish()) hit("cloud_flip", 3, "Fast cloud flipped bearish (5/12 EMA)");
    if (!under_long && ind->fast_bullish()) hit("cloud_flip", 3, "Fast cloud flipped bullish (5/12 EMA)");
  }
  // 4 profit target (the signal's, else R × reward_to_risk_target)
  double target = p.target_price;
  if (!(target > 0) && R > 0) {
    target = is_long ? p.entry_price + R * rules.reward_to_risk_target
                     : p.entry_price - R * rules.reward_to_risk_target;
  }
  if (target > 0 && (is_long ? price >= target : price <= target)) {
    hit("target", 4, "Profit target hit: " + money(price) + (is_long ? " >= " : " <= ") + money(target));
  }
  // 5 time stop: day trades without progress; leveraged ETFs past their hold limit
  const double held_min = static_cast<double>(now_us - p.entry_time_us) / 60e6;
  if (p.trade_type == "day" && held_min >= rules.time_stop_minutes) {
    double pct = p.entry_price > 0 ? p.mult() * (price - p.entry_price) / p.entry_price : 0.0;
    if (pct <= 0.005) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "Time stop: held %.0fmin with no progress", held_min);
      hit("time_stop", 5, buf);
    }
  }
  if (p.instrument_type == "leveraged_etf") {
    auto days = (sdk::time::to_eastern(now_us).day_number - sdk::time::to_eastern(p.entry_time_us).day_number);
    int limit = max_hold_days(p.leverage, rules);
    if (days > limit) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "Leveraged ETF (%sx) held %lld days exceeds recommended max of %d days (decay risk)",
                    float_text(p.leverage).c_str(), static_cast<long long>(days), limit);
      hit("time_stop", 5, buf);
    }
  }
  // 6 end of day for day trades (also any day trade carried overnight)
  if (p.trade_type == "day") {
    auto et = sdk::time::to_eastern(now_us);
    bool overnight = sdk::time::to_eastern(p.entry_time_us).day_number < et.day_number;
    if (et.minute_of_day() >= rules.eod_minute_of_day || overnight) {
      hit("eod", 6, "EOD close: past " + rules.eod_close_time + " ET");
    }
  }
  // 7 trailing stop on the configured cloud, swing trades with bars
  if (p.trade_type == "swing" && bars) {
    bool fast = rules.trailing_stop_cloud == "fast";
    double a = fast ? ind->ema5[2] : ind->ema8, b = fast ? ind->ema12[2] : ind->ema9;
    double c = ind->close[2];
    if (under_long && c < std::min(a, b)) {
      hit("trailing", 7, "Trailing stop: price " + money(c) + " below " + rules.trailing_stop_cloud +
                             " cloud " + money(std::min(a, b)));
    } else if (!under_long && c > std::max(a, b)) {
      hit("trailing", 7, "Trailing stop: price " + money(c) + " above " + rules.trailing_stop_cloud +
                             " cloud " + money(std::max(a, b)));
    }
  }
  // 8 move the stop to breakeven+ once 1R is reached (a stop adjustment, fires once)
  if (R > 0) {
    double buffer = 0.001 * p.entry_price;
    double trig = is_long ? p.entry_price + R : p.entry_price - R;
    bool reached = is_long ? price >= trig : price <= trig;
    bool not_yet = is_long ? p.stop_loss < p.entry_price + buffer : p.stop_loss > p.entry_price - buffer;
    if (reached && not_yet) {
      double ns = is_long ? p.entry_price + buffer : p.entry_price - buffer;
      p.stop_loss = ns;
      auto& e = hit("trail_to_breakeven", 8,
                    "Stop moved to breakeven+: " + money(ns) + " (1R reached at " + money(trig) + ")");
      e.new_stop = ns;
      e.trigger_price = trig;
    }
  }
  // 9 scale out half at 1R, once
  if (p.shares > 1 && !p.scaled_out && R > 0) {
    double trig = is_long ? p.entry_price + R : p.entry_price - R;
    if (is_long ? price >= trig : price <= trig) {
      std::int64_t q = p.shares / 2;
      if (q > 0) {
        auto& e = hit("scale_out", 9, "Scale out " + std::to_string(q) + " shares at 1R: " + money(price) +
                                          (is_long ? " >= " : " <= ") + money(trig));
        e.scale_qty = q;
      }
    }
  }
  if (hits.empty()) return std::nullopt;
  return *std::min_element(hits.begin(), hits.end(),
                           [](const ExitSignal& a, const ExitSignal& b) { return a.priority < b.priority; });
}

}  // namespace axion::core
