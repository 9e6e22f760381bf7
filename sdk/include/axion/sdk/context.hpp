// The typed records of a stage call (ABI v2) as C++ values: the effective limits, the routing
// decision, the context a risk, routing or sizing stage reads, and what a risk check hands on.
// The C structs are in plugin_api.h; from_c/to_c here convert both ways. StageRecords holds the
// C form of a Context (views into it) for the host side and the SDK's test harness.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "axion/plugin_api.h"
#include "axion/sdk/error.hpp"
#include "axion/sdk/types.hpp"

namespace axion::sdk {

// The effective trading limits of one signal (axion_limits): [executor] and [lifecycle]
// (pipeline.md §1.7) as adapted by the regime stage. Defaults are the spec's defaults.
struct Limits {
  // [executor]
  std::string instrument_mode = "both";
  double max_risk_per_trade = 0.05;
  int max_concurrent_positions = 10;
  double daily_loss_limit = 0.10;
  double max_single_stock_exposure = 0.15;
  double max_sector_exposure = 0.30;
  double min_account_equity = 25000.0;
  std::string default_time_in_force = "day";
  std::string high_conviction_order_type = "market";
  std::string medium_conviction_order_type = "limit";
  bool scale_in_enabled = true;
  double scale_in_initial_pct = 0.5;
  bool prefer_3x_for_day_trades = true;
  double min_etf_daily_volume = 10'000'000.0;
  bool etf_sector_mapping = true;
  int consecutive_loss_threshold = 3;
  double consecutive_loss_pct = 0.03;
  double api_timeout_seconds = 60.0;
  // [lifecycle]
  double reward_to_risk_target = 2.0;
  int time_stop_minutes = 120;
  std::string eod_close_time = "15:55";
  std::string trailing_stop_cloud = "pullback";
  int max_etf_hold_days_3x = 5;
  int max_etf_hold_days_2x = 10;
  bool close_on_shutdown = true;
  // regime adaptation (1.0 / none without a regime stage)
  double position_size_multiplier = 1.0;
  double stop_loss_mult = 1.0;
  std::optional<int> min_conviction;
  std::string regime;  // "" = no regime stage
  double regime_confidence = 0.0;
  std::vector<std::string> avoid_signal_types;
  std::vector<std::string> preferred_signal_types;

  bool operator==(const Limits&) const = default;
};

// A limit a stage uses as a number, checked: the engine never sends NaN or infinity, and a
// non-finite value would pass every comparison silently (§0.1). Throws naming the field.
inline double finite_limit(double value, const char* field) {
  if (!std::isfinite(value)) {
    throw Error("effective config '" + std::string(field) + "' is not a finite number");
  }
  return value;
}

// The routing decision (axion_route, pipeline.md §6.1).
struct Route {
  std::string instrument_type = "stock";
  std::string ticker;
  std::string original_signal_ticker;
  double leverage = 1.0;
  bool is_inverse = false;
  double reference_price = 0;
  std::string fallback_from;  // "" or the instrument type the route fell back from
  std::string etf_tracks;     // leveraged ETF routes: the tracked sector
  double etf_avg_daily_volume = 0;
  std::string option_right;   // option routes: "call" | "put"

  // The engine's default: a stock route of the signal's ticker at its entry price.
  static Route stock(const Signal& s) {
    Route r;
    r.ticker = s.ticker;
    r.original_signal_ticker = s.ticker;
    r.reference_price = s.entry_price;
    return r;
  }
};

struct ContextPosition {
  std::string ticker;      // traded ticker (an ETF for ETF routes)
  std::string underlying;  // the signal's ticker
  std::string direction;   // in the traded instrument: "long" | "short"
  std::int64_t shares = 0;
  double entry_price = 0;
  double current_price = 0;
  std::string strategy;
  std::int64_t entry_time_us = 0;
  bool is_inverse = false;
  double market_value() const { return static_cast<double>(shares) * current_price; }
};

// What a risk, routing or sizing stage reads besides the signal (axion_stage_context).
struct Context {
  Account account;
  std::vector<ContextPosition> positions;
  double daily_pnl = 0;        // state manager, rollover-aware
  int daily_trade_count = 0;   // closes today
  int entries_today = 0;       // entries opened on the current trading date
  bool kill_switch_active = false;
  std::string circuit_breaker_status = "closed";
  Limits limits;               // the effective limits of this signal
  Route route;                 // the routing decision so far (default: stock)
  std::optional<double> var_cap;  // dollars, when a risk stage produced one
  bool broker_can_trade_options = false;
  std::int64_t now_us = 0;     // engine clock
};

// What a passing risk signal check hands later stages (axion_risk_outputs).
struct RiskOutputs {
  std::optional<double> var_cap;  // limits sizing to this many dollars
  std::string assessment_json;    // optional JSON object recorded with the pipeline result
};

// ---- C conversions ------------------------------------------------------------------------

inline void from_c(const axion_limits& c, Limits& out) {
  auto str = [](axion_str s, std::string& dst) { dst.assign(s.data ? s.data : "", s.size); };
  auto list = [](const axion_str* p, std::uint32_t n, std::vector<std::string>& dst) {
    dst.clear();
    for (std::uint32_t i = 0; p && i < n; ++i) dst.emplace_back(view(p[i]));
  };
  str(c.instrument_mode, out.instrument_mode);
  out.max_risk_per_trade = c.max_risk_per_trade;
  out.max_concurrent_positions = c.max_concurrent_positions;
  out.daily_loss_limit = c.daily_loss_limit;
  out.max_single_stock_exposure = c.max_single_stock_exposure;
  out.max_sector_exposure = c.max_sector_exposure;
  out.min_account_equity = c.min_account_equity;
  str(c.default_time_in_force, out.default_time_in_force);
  str(c.high_conviction_order_type, out.high_conviction_order_type);
  str(c.medium_conviction_order_type, out.medium_conviction_order_type);
  out.scale_in_enabled = c.scale_in_enabled != 0;
  out.scale_in_initial_pct = c.scale_in_initial_pct;
  out.prefer_3x_for_day_trades = c.prefer_3x_for_day_trades != 0;
  out.min_etf_daily_volume = c.min_etf_daily_volume;
  out.etf_sector_mapping = c.etf_sector_mapping != 0;
  out.consecutive_loss_threshold = c.consecutive_loss_threshold;
  out.consecutive_loss_pct = c.consecutive_loss_pct;
  out.api_timeout_seconds = c.api_timeout_seconds;
  out.reward_to_risk_target = c.reward_to_risk_target;
  out.time_stop_minutes = c.time_stop_minutes;
  str(c.eod_close_time, out.eod_close_time);
  str(c.trailing_stop_cloud, out.trailing_stop_cloud);
  out.max_etf_hold_days_3x = c.max_etf_hold_days_3x;
  out.max_etf_hold_days_2x = c.max_etf_hold_days_2x;
  out.close_on_shutdown = c.close_on_shutdown != 0;
  out.position_size_multiplier = c.position_size_multiplier;
  out.stop_loss_mult = c.stop_loss_mult;
  out.min_conviction = c.has_min_conviction ? std::optional<int>(c.min_conviction) : std::nullopt;
  str(c.regime, out.regime);
  out.regime_confidence = c.regime_confidence;
  list(c.avoid_signal_types, c.avoid_signal_type_count, out.avoid_signal_types);
  list(c.preferred_signal_types, c.preferred_signal_type_count, out.preferred_signal_types);
}

inline Limits from_c(const axion_limits& c) {
  Limits out;
  from_c(c, out);
  return out;
}

// The C form of a Limits: views into `l` and into `lists`, which must outlive the result.
struct LimitsLists {
  std::vector<axion_str> avoid, preferred;
};
inline axion_limits to_c(const Limits& l, LimitsLists& lists) {
  lists.avoid.clear();
  for (const auto& s : l.avoid_signal_types) lists.avoid.push_back(make_str(s));
  lists.preferred.clear();
  for (const auto& s : l.preferred_signal_types) lists.preferred.push_back(make_str(s));
  axion_limits c{};
  c.size = sizeof(axion_limits);
  c.instrument_mode = make_str(l.instrument_mode);
  c.max_risk_per_trade = l.max_risk_per_trade;
  c.max_concurrent_positions = l.max_concurrent_positions;
  c.daily_loss_limit = l.daily_loss_limit;
  c.max_single_stock_exposure = l.max_single_stock_exposure;
  c.max_sector_exposure = l.max_sector_exposure;
  c.min_account_equity = l.min_account_equity;
  c.default_time_in_force = make_str(l.default_time_in_force);
  c.high_conviction_order_type = make_str(l.high_conviction_order_type);
  c.medium_conviction_order_type = make_str(l.medium_conviction_order_type);
  c.scale_in_enabled = l.scale_in_enabled ? 1 : 0;
  c.scale_in_initial_pct = l.scale_in_initial_pct;
  c.prefer_3x_for_day_trades = l.prefer_3x_for_day_trades ? 1 : 0;
  c.min_etf_daily_volume = l.min_etf_daily_volume;
  c.etf_sector_mapping = l.etf_sector_mapping ? 1 : 0;
  c.consecutive_loss_threshold = l.consecutive_loss_threshold;
  c.consecutive_loss_pct = l.consecutive_loss_pct;
  c.api_timeout_seconds = l.api_timeout_seconds;
  c.reward_to_risk_target = l.reward_to_risk_target;
  c.time_stop_minutes = l.time_stop_minutes;
  c.eod_close_time = make_str(l.eod_close_time);
  c.trailing_stop_cloud = make_str(l.trailing_stop_cloud);
  c.max_etf_hold_days_3x = l.max_etf_hold_days_3x;
  c.max_etf_hold_days_2x = l.max_etf_hold_days_2x;
  c.close_on_shutdown = l.close_on_shutdown ? 1 : 0;
  c.position_size_multiplier = l.position_size_multiplier;
  c.stop_loss_mult = l.stop_loss_mult;
  c.has_min_conviction = l.min_conviction ? 1 : 0;
  c.min_conviction = l.min_conviction.value_or(0);
  c.regime = make_str(l.regime);
  c.regime_confidence = l.regime_confidence;
  c.avoid_signal_types = lists.avoid.data();
  c.avoid_signal_type_count = static_cast<std::uint32_t>(lists.avoid.size());
  c.preferred_signal_types = lists.preferred.data();
  c.preferred_signal_type_count = static_cast<std::uint32_t>(lists.preferred.size());
  return c;
}

inline void from_c(const axion_route& c, Route& out) {
  auto str = [](axion_str s, std::string& dst) { dst.assign(s.data ? s.data : "", s.size); };
  str(c.instrument_type, out.instrument_type);
  str(c.ticker, out.ticker);
  str(c.original_signal_ticker, out.original_signal_ticker);
  out.leverage = c.leverage;
  out.is_inverse = c.is_inverse != 0;
  out.reference_price = c.reference_price;
  str(c.fallback_from, out.fallback_from);
  str(c.etf_tracks, out.etf_tracks);
  out.etf_avg_daily_volume = c.etf_avg_daily_volume;
  str(c.option_right, out.option_right);
}

// Views into `r`.
inline axion_route to_c(const Route& r) {
  axion_route c{};
  c.size = sizeof(axion_route);
  c.instrument_type = make_str(r.instrument_type);
  c.ticker = make_str(r.ticker);
  c.original_signal_ticker = make_str(r.original_signal_ticker);
  c.leverage = r.leverage;
  c.is_inverse = r.is_inverse ? 1 : 0;
  c.reference_price = r.reference_price;
  c.fallback_from = make_str(r.fallback_from);
  c.etf_tracks = make_str(r.etf_tracks);
  c.etf_avg_daily_volume = r.etf_avg_daily_volume;
  c.option_right = make_str(r.option_right);
  return c;
}

// Fills `out` from a C context; reuses out's buffers (no allocation once they have grown).
inline void from_c(const axion_stage_context& c, Context& out) {
  out.account = {c.account.equity, c.account.cash, c.account.buying_power,
                 c.account.starting_equity};
  out.positions.resize(c.position_count);
  for (std::uint32_t i = 0; i < c.position_count; ++i) {
    const axion_position_view& p = c.positions[i];
    ContextPosition& d = out.positions[i];
    d.ticker.assign(view(p.ticker));
    d.underlying.assign(view(p.underlying));
    d.direction.assign(view(p.direction));
    d.shares = p.shares;
    d.entry_price = p.entry_price;
    d.current_price = p.current_price;
    d.strategy.assign(view(p.strategy));
    d.entry_time_us = p.entry_time_us;
    d.is_inverse = p.is_inverse != 0;
  }
  out.daily_pnl = c.daily_pnl;
  out.daily_trade_count = c.daily_trade_count;
  out.entries_today = c.entries_today;
  out.kill_switch_active = c.kill_switch_active != 0;
  out.circuit_breaker_status.assign(view(c.circuit_breaker_status));
  if (c.limits) from_c(*c.limits, out.limits);
  if (c.route) from_c(*c.route, out.route);
  out.var_cap = c.has_var_cap ? std::optional<double>(c.var_cap) : std::nullopt;
  out.broker_can_trade_options = c.broker_can_trade_options != 0;
  out.now_us = c.now_us;
}

// The C form of a Context, for a calling side that holds one (the SDK's test harness; the
// engine builds its views from its own positions): fill() makes views into the Context, which
// must outlive the call. Buffers are reused across calls.
class StageRecords {
 public:
  const axion_stage_context* fill(const Context& ctx) {
    positions_.resize(ctx.positions.size());
    for (std::size_t i = 0; i < ctx.positions.size(); ++i) {
      const ContextPosition& p = ctx.positions[i];
      positions_[i] = {sizeof(axion_position_view), make_str(p.ticker), make_str(p.underlying),
                       make_str(p.direction),       make_str(p.strategy), p.shares,
                       p.entry_price,               p.current_price,      p.entry_time_us,
                       p.is_inverse ? 1 : 0};
    }
    limits_ = to_c(ctx.limits, lists_);
    route_ = to_c(ctx.route);
    c_ = {};
    c_.size = sizeof(axion_stage_context);
    c_.account = {sizeof(axion_account), ctx.account.equity, ctx.account.cash,
                  ctx.account.buying_power, ctx.account.starting_equity};
    c_.positions = positions_.data();
    c_.position_count = static_cast<std::uint32_t>(positions_.size());
    c_.daily_pnl = ctx.daily_pnl;
    c_.daily_trade_count = ctx.daily_trade_count;
    c_.entries_today = ctx.entries_today;
    c_.kill_switch_active = ctx.kill_switch_active ? 1 : 0;
    c_.circuit_breaker_status = make_str(ctx.circuit_breaker_status);
    c_.limits = &limits_;
    c_.route = &route_;
    c_.has_var_cap = ctx.var_cap ? 1 : 0;
    c_.var_cap = ctx.var_cap.value_or(0.0);
    c_.broker_can_trade_options = ctx.broker_can_trade_options ? 1 : 0;
    c_.now_us = ctx.now_us;
    return &c_;
  }

 private:
  std::vector<axion_position_view> positions_;
  LimitsLists lists_;
  axion_limits limits_{};
  axion_route route_{};
  axion_stage_context c_{};
};

}  // namespace axion::sdk
