// The JSON trees the journal's records were built as before its writer wrote them as text:
// the stored format, kept here as the reference record_text_test holds the text writers to
// (byte for byte) and journal tests compare stored rows with. Readers (position_from_storage,
// EntryPlan::from_json, order_from_dict) parse this format.
#pragma once

#include "axion/core/domain/types.hpp"
#include "axion/sdk/time.hpp"

namespace axion::core::reference {

inline json to_storage(const Position& p) {
  return {{"ticker", p.ticker},
          {"underlying", p.underlying},
          {"direction", to_string(p.direction)},
          {"is_inverse", p.is_inverse},
          {"entry_price", p.entry_price},
          {"current_price", p.current_price},
          {"shares", p.shares},
          {"stop_loss", p.stop_loss},
          {"initial_stop", p.initial_stop},
          {"target_price", p.target_price},
          {"entry_time_us", p.entry_time_us},
          {"signal_id", p.signal_id},
          {"signal_type", p.signal_type},
          {"conviction", p.conviction},
          {"order_id", p.order_id},
          {"trade_type", p.trade_type},
          {"instrument_type", p.instrument_type},
          {"leverage", p.leverage},
          {"signal_source", p.signal_source},
          {"strategy", p.strategy},
          {"timeframe", p.timeframe},
          {"scaled_out", p.scaled_out},
          {"entry_commission", p.entry_commission},
          {"entry_shares", p.entry_shares},
          {"broker", p.broker}};
}

inline json order_result_to_dict(const OrderResult& r) {
  return {{"order_id", r.order_id},
          {"status", sdk::to_string(r.status)},
          {"filled_qty", r.filled_qty},
          {"filled_price", round_dp(r.filled_price, 4)},
          {"commission", r.commission},
          {"broker", r.broker},
          {"timestamp", sdk::time::to_iso(r.ts_us)}};
}

inline json plan_tree(const EntryPlan& p) {
  return {{"underlying", p.underlying}, {"direction", to_string(p.direction)}, {"instrument_type", p.instrument_type},
          {"is_inverse", p.is_inverse}, {"leverage", p.leverage}, {"signal_entry", p.signal_entry},
          {"adj_stop", p.adj_stop}, {"signal_target", p.signal_target}, {"signal_type", p.signal_type},
          {"conviction", p.conviction}, {"timeframe", p.timeframe}, {"source", p.source},
          {"strategy", p.strategy}};
}

inline json intent_record(const Order& o, const IntentDetails& d) {
  json j = order_to_dict(o);
  j["reference_price"] = o.reference_price;
  j["instrument_type"] = o.instrument_type;
  j["purpose"] = sdk::to_string(o.purpose);
  j["strategy"] = o.strategy;
  if (d.plan) j["plan"] = plan_tree(*d.plan);
  if (d.reason) j["reason"] = *d.reason;
  if (d.broker) j["broker"] = *d.broker;
  if (d.held) j["held"] = to_storage(*d.held);
  return j;
}

inline json execution_tree(const Execution& e) {
  return {{"ticker", e.ticker},
          {"underlying", e.underlying},
          {"qty", e.qty},
          {"fill_price", e.fill_price},
          {"decision_id", e.decision_id},
          {"order_type", e.order_type},
          {"requested_price", e.requested_price},
          {"broker", e.broker},
          {"status", sdk::to_string(e.status)},
          {"signal_id", e.signal_id},
          {"timeframe", e.timeframe},
          {"signal_type", e.signal_type},
          {"conviction", e.conviction}};
}

inline json trade_tree(const ClosedTrade& t) {
  return {{"ticker", t.ticker},
          {"direction", to_string(t.direction)},
          {"instrument_type", t.instrument_type},
          {"entry_price", t.entry_price},
          {"exit_price", t.exit_price},
          {"shares", t.shares},
          {"pnl", t.pnl},
          {"pnl_pct", t.pnl_pct},
          {"entry_time", sdk::time::to_iso(t.entry_time_us)},
          {"exit_time", sdk::time::to_iso(t.exit_time_us)},
          {"exit_reason", t.exit_reason},
          {"conviction", t.conviction},
          {"signal_type", t.signal_type},
          {"timeframe", t.timeframe},
          {"broker", t.broker},
          {"order_id", t.order_id},
          {"trade_type", t.trade_type},
          {"leverage", t.leverage},
          {"strategy", t.strategy},
          {"signal_source", t.signal_source},
          {"ret", t.ret},
          {"signal_id", t.signal_id},
          {"partial", t.partial}};
}

}  // namespace axion::core::reference
