// Internal to the orchestrator's files (core/src/orchestrator.cpp, core/src/pipeline/*.cpp):
// the context of one signal through the pipeline, an order flow, the durable entry plan and
// small helpers they share. Not a public header.
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "axion/core/pipeline/orchestrator.hpp"
#include "axion/sdk/time.hpp"

namespace axion::core {
namespace detail {

inline std::string fmt(const char* f, double a) {
  char buf[128];
  std::snprintf(buf, sizeof buf, f, a);
  return buf;
}

inline bool is_terminal(OrderStatus s) { return s != OrderStatus::Pending; }

inline std::string order_status_text(const OrderResult& r) { return sdk::to_string(r.status); }

// The position a fill of `plan` opens (§2.2 stage 7); one path for live fills and adoption.
inline Position position_for_fill(const EntryPlan& plan, const Order& order, double fill_price,
                           std::int64_t qty, double commission, const std::string& order_id,
                           std::int64_t now_us) {
  Position p;
  const bool etf = plan.instrument_type == "leveraged_etf";
  p.ticker = order.ticker;
  p.underlying = plan.underlying.empty() ? order.ticker : plan.underlying;
  p.direction = etf ? Direction::Long : plan.direction;
  p.is_inverse = plan.is_inverse;
  p.leverage = plan.leverage;
  p.entry_price = p.current_price = fill_price;
  p.shares = qty;
  p.entry_shares = qty;
  p.entry_commission = commission;
  if (etf && plan.signal_entry > 0) {
    double s = p.is_inverse ? -1.0 : 1.0;
    auto map_level = [&](double level_u) {
      return fill_price * (1 + s * p.leverage * (level_u - plan.signal_entry) / plan.signal_entry);
    };
    p.stop_loss = map_level(plan.adj_stop);
    p.target_price = plan.signal_target > 0 ? map_level(plan.signal_target) : 0.0;
  } else {
    p.stop_loss = plan.adj_stop;
    p.target_price = plan.signal_target > 0 ? plan.signal_target : 0.0;
  }
  p.initial_stop = p.stop_loss;
  p.entry_time_us = now_us;
  p.signal_id = order.signal_id;
  p.signal_type = plan.signal_type;
  p.conviction = plan.conviction;
  p.order_id = order_id;
  p.trade_type = trade_type_for(plan.timeframe);
  p.instrument_type = plan.instrument_type;
  p.signal_source = plan.source;
  p.strategy = plan.strategy;
  p.timeframe = plan.timeframe;
  return p;
}

inline bool is_close_purpose(const std::string& purpose) { return purpose.rfind("close", 0) == 0; }

// The order an intent recorded. Journals from before orders carried their purpose say it only
// in the intent's own purpose ("entry", "close-N", "unwind").
inline Order intent_order(const OrderIntent& intent) {
  Order o = order_from_dict(intent.order);
  if (!intent.order.contains("purpose")) {
    o.purpose = is_close_purpose(intent.purpose)            ? sdk::OrderPurpose::Close
                : intent.purpose.rfind("unwind", 0) == 0    ? sdk::OrderPurpose::Unwind
                                                            : sdk::OrderPurpose::Entry;
  }
  return o;
}

// Why effective limits from a regime plugin cannot be used, or nothing.
inline std::optional<std::string> invalid_limits(const sdk::Limits& l) {
  auto finite = [](double x) { return std::isfinite(x); };
  if (!finite(l.stop_loss_mult) || l.stop_loss_mult <= 0) return "stop_loss_mult must be a finite number > 0";
  if (!finite(l.position_size_multiplier) || l.position_size_multiplier < 0) {
    return "position_size_multiplier must be a finite number >= 0";
  }
  for (double x : {l.max_risk_per_trade, l.daily_loss_limit, l.max_single_stock_exposure,
                   l.max_sector_exposure, l.min_account_equity, l.scale_in_initial_pct,
                   l.min_etf_daily_volume, l.consecutive_loss_pct, l.api_timeout_seconds,
                   l.reward_to_risk_target, l.regime_confidence}) {
    if (!finite(x) || x < 0) return "every limit must be a finite number >= 0";
  }
  if (l.max_concurrent_positions < 0 || l.consecutive_loss_threshold < 0 || l.time_stop_minutes < 0) {
    return "counts must be >= 0";
  }
  const std::string& tif = l.default_time_in_force;
  if (tif != "day" && tif != "gtc" && tif != "ioc") return "default_time_in_force '" + tif + "' is not day|gtc|ioc";
  return std::nullopt;
}

// Why a routing decision cannot become an order, or nothing.
inline std::optional<std::string> invalid_route(const sdk::Route& r) {
  const std::string& t = r.instrument_type;
  if (t != "stock" && t != "option" && t != "leveraged_etf") {
    return "instrument_type '" + t + "' is not stock|option|leveraged_etf";
  }
  if (r.ticker.empty()) return "no ticker";
  if (!std::isfinite(r.reference_price) || r.reference_price <= 0) return "reference_price must be a finite number > 0";
  if (!std::isfinite(r.leverage) || r.leverage <= 0) return "leverage must be a finite number > 0";
  return std::nullopt;
}

// An order the engine ends without a fill of the broker's (dropped, or unknown to it).
inline OrderResult cancelled_result(const std::string& order_id, const std::string& reason, std::int64_t now_us) {
  OrderResult r;
  r.order_id = order_id;
  r.status = OrderStatus::Cancelled;
  r.ts_us = now_us;
  r.rejection_reason = reason;
  return r;
}

}  // namespace detail

struct Orchestrator::EntryContext {
  Signal signal;  // until finalize(), which moves it into the result
  PipelineResult result;
  std::string strategy;
  std::string source;
  sdk::SignalArrays signal_arrays;  // back csig's fields and cloud states
  std::string signal_text;   // signal_to_dict(signal) as text, once: the received event, then the audit
  std::size_t signal_text_size = 0;
  // A rejection's reason is written here and handed on to the result; the caller that gives the
  // result back (Orchestrator::recycle) returns the capacity, so rejections copy no text anew.
  std::string reason_buffer;
  axion_signal csig{};       // the signal's C form, converted once for every stage call
  // What risk, routing and sizing read: the effective limits (base, or the regime's), the
  // routing decision so far and the VaR cap (0: no budget left).
  sdk::Limits effective;
  sdk::Route decision;
  std::optional<double> var_cap;
  sdk::PositionSize size;
  Order order;
  EntryPlan plan;
  Direction direction = Direction::Long;  // the signal's, checked before any stage reads it
  std::string broker_name;  // "" = primary, "fallback"
  std::optional<PipelineResult>* sync_out = nullptr;
  bool guard_passed = false;        // a guard saw it: every guard learns its outcome
  bool have_stage_context = false;  // entry_view_ holds this signal's context

  // Back to a fresh context that keeps only buffer capacity, nothing of the last signal.
  void clear_for_reuse() {
    sdk::SignalArrays arrays = std::move(signal_arrays);
    std::string text = std::move(signal_text);
    std::string reason = std::move(reason_buffer);
    *this = EntryContext();
    arrays.fields.clear();
    arrays.cloud_states.clear();
    text.clear();
    reason.clear();
    signal_arrays = std::move(arrays);
    signal_text = std::move(text);
    reason_buffer = std::move(reason);
  }
};

struct Orchestrator::OrderFlow {
  Order order;
  bool is_entry = false;
  std::string strategy;
  std::string underlying;
  int attempt = 0;
  std::string last_error;
  std::int64_t next_at_us = 0;
  bool awaiting_fill = false;
  std::int64_t submitted_at_us = 0;
  bool used_fallback = false;
  PluginInstance* broker = nullptr;  // the broker that has (or gets) this order
  std::string broker_name;           // "" = primary, "fallback"
  bool cancel_alerted = false;
  std::function<void(const OrderResult&)> done;
};

}  // namespace axion::core
