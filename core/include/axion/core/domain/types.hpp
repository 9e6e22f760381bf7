// Engine domain types (pipeline.md §1). Records that cross the plugin boundary reuse the SDK's
// value types so there is one definition of a Signal, an Order and an OrderResult.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/core/domain/direction.hpp"
#include "axion/core/domain/stage.hpp"
#include "axion/sdk/context.hpp"
#include "axion/sdk/types.hpp"

namespace axion::core {

using json = nlohmann::json;
using sdk::Order;
using sdk::OrderResult;
using sdk::OrderStatus;
using sdk::Signal;

// The user's base trading limits: [executor] (pipeline.md §1.7).
struct ExecutorConfig {
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
};

// Exit rules: [lifecycle] (pipeline.md §1.7, §8).
struct LifecycleConfig {
  double reward_to_risk_target = 2.0;
  int time_stop_minutes = 120;
  std::string eod_close_time = "15:55";
  std::string trailing_stop_cloud = "pullback";
  int max_etf_hold_days_3x = 5;
  int max_etf_hold_days_2x = 10;
  bool close_on_shutdown = true;
};

json to_json(const ExecutorConfig& c);
json to_json(const LifecycleConfig& c);
// The base limits regime adaptation starts from: [executor] + [lifecycle], neutral multipliers.
sdk::Limits base_limits(const ExecutorConfig& e, const LifecycleConfig& l);

struct Position {
  std::string ticker;
  std::string underlying;
  Direction direction = Direction::Long;
  bool is_inverse = false;
  double entry_price = 0;
  double current_price = 0;
  std::int64_t shares = 0;
  double stop_loss = 0;
  double initial_stop = 0;
  double target_price = 0;  // <= 0: none
  std::int64_t entry_time_us = 0;
  std::string signal_id;
  std::string signal_type;
  int conviction = 0;
  std::string order_id;
  std::string trade_type = "day";
  std::string instrument_type = "stock";
  double leverage = 1.0;
  std::string signal_source;
  std::string strategy;
  std::string timeframe;
  bool scaled_out = false;
  double entry_commission = 0;  // of the entry order, for pro-rata P&L (§8.3)
  std::int64_t entry_shares = 0;
  // Which broker holds it: "" = the primary, "fallback" = the fallback broker. Closes go only
  // to the broker that holds the position.
  std::string broker;

  double mult() const { return direction == Direction::Short ? -1.0 : 1.0; }
  double unrealized_pnl() const { return mult() * (current_price - entry_price) * shares; }
  double unrealized_pnl_pct() const {
    return entry_price > 0 ? mult() * (current_price - entry_price) / entry_price : 0.0;
  }
  double initial_risk() const { return std::abs(entry_price - initial_stop); }
};

json to_dict(const Position& p);          // pipeline.md §1.4 key order
// The position as plugins see it (stage contexts, host().positions()): views into `p`.
axion_position_view position_view(const Position& p);
Position position_from_storage(const json& j);

struct FillValidation {
  bool is_valid = false;
  std::int64_t adjusted_qty = 0;
  double fill_price = 0;
  std::string reason;
  std::vector<std::string> warnings;
};

struct PipelineResult {
  bool success = false;
  Signal signal;
  std::optional<Position> position;
  std::optional<OrderResult> order_result;
  std::optional<FillValidation> fill_validation;
  std::string rejection_reason;
  std::string signal_id;
  std::string decision_id;
  std::string execution_id;
  std::optional<Stage> stage;  // where it ended: set when the pipeline finishes it
  std::string instrument_type;
  std::string fallback_from;
  json risk_assessment;  // what risk/unified reported, when configured
  std::int64_t timestamp_us = 0;

  // Its label (§1.1); "" until the pipeline has finished it.
  std::string_view pipeline_stage() const { return stage ? to_string(*stage) : std::string_view(); }
};

// A close as the journal's trades table keeps it (pipeline.md §2.4 step 7.4). Built on the engine
// thread as values; the journal's writer writes it as text (append_dict_text).
struct ClosedTrade {
  std::string ticker;
  Direction direction = Direction::Long;
  std::string instrument_type;
  double entry_price = 0, exit_price = 0;
  std::int64_t shares = 0;
  double pnl = 0;      // rounded to cents, as recorded
  double pnl_pct = 0;  // rounded to 4 decimals
  std::int64_t entry_time_us = 0, exit_time_us = 0;
  std::string exit_reason;
  int conviction = 0;
  std::string signal_type, timeframe, broker, order_id, trade_type;
  double leverage = 1.0;
  std::string strategy, signal_source;
  double ret = 0;
  std::string signal_id;
  bool partial = false;
};

// What an entry order opens, kept in its durable intent: a fill found at start-up without a
// recorded position is adopted with the stop and target the live path would have set.
struct EntryPlan {
  std::string underlying;
  Direction direction = Direction::Long;
  std::string instrument_type = "stock";
  bool is_inverse = false;
  double leverage = 1.0;
  double signal_entry = 0;  // the signal's entry price (the ETF mapping's reference)
  double adj_stop = 0;      // the signal's stop after the regime's stop_loss_mult
  double signal_target = 0;
  std::string signal_type;
  int conviction = 0;
  std::string timeframe;
  std::string source;
  std::string strategy;

  // `order_side` is the entry order's: a plan without a known direction (none journaled, or
  // damaged) takes the direction that side opens, never a guess of long.
  static EntryPlan from_json(const json& j, std::string_view order_side);
};

// What an order's durable intent carries besides the order: what recovery needs to finish it.
struct IntentDetails {
  std::optional<EntryPlan> plan = std::nullopt;      // an entry's
  std::optional<std::string> reason = std::nullopt;  // a close's
  std::optional<std::string> broker = std::nullopt;  // a close's or an unwind's: its broker
  std::optional<Position> held = std::nullopt;       // an unwind's: the position it unwinds
};

// The intent record: order_to_dict(o) with its reference price, instrument type, purpose and
// strategy, and the details (keys sorted, as every stored record).
void append_intent_text(std::string& out, const Order& o, const IntentDetails& details);

// An entry's fill as the executions table keeps it ([8] records).
struct Execution {
  std::string ticker, underlying;
  std::int64_t qty = 0;
  double fill_price = 0;
  std::string decision_id, order_type;
  double requested_price = 0;
  std::string broker;
  OrderStatus status = OrderStatus::Filled;
  std::string signal_id, timeframe, signal_type;
  int conviction = 0;
};

json to_dict(const PipelineResult& r);  // pipeline.md §1.9
json signal_to_dict(const Signal& s);   // strategies.md §1.2
json order_to_dict(const Order& o);
Order order_from_dict(const json& j);  // inverse of order_to_dict; throws json errors
// The same JSON as to_dict(r).dump() and signal_to_dict(s).dump(), byte for byte, written as
// text into `out`: what the hot path journals and publishes (no JSON tree per signal).
void append_dict_text(std::string& out, const PipelineResult& r);
void append_dict_text(std::string& out, const Signal& s);
void append_dict_text(std::string& out, const Order& o);  // order_to_dict
// The journal's records, written by its writer thread as text. Their format is what the
// trees they replaced dumped (keys sorted); tests/core/record_trees.hpp keeps those trees
// and record_text_test holds the text to them byte for byte.
void append_dict_text(std::string& out, const OrderResult& r);
void append_storage_text(std::string& out, const Position& p);
void append_dict_text(std::string& out, const ClosedTrade& t);
void append_dict_text(std::string& out, const Execution& e);
// The trade_executed event: to_dict(p) with the entry's order_id and p's signal_id.
void append_trade_executed_text(std::string& out, const Position& p, std::string_view order_id);

// Attribution (pipeline.md §2.5).
std::string strategy_of(const Signal& s);
std::string signal_source_of(const Signal& s);

// "Rounded to n decimals": printf rounding of the binary double (pipeline.md §0).
double round_dp(double x, int n);

// trade_type from timeframe: 1m/5m scalp, 10m day, else swing (pipeline.md §1.1).
std::string trade_type_for(const std::string& timeframe);

}  // namespace axion::core

namespace axion::core {

// Who an API token belongs to, as the host's key store answers (core keeps no keys: auth is
// the host API's, ARCHITECTURE §2).
struct TokenIdentity {
  std::string key_id;
  std::string user_id;
  std::string tier;
  std::vector<std::string> scopes;
};

// Random UUIDv4 text (audit, decision and execution ids).
std::string new_uuid4();
// Lower-case hex of n bytes.
std::string hex_text(const unsigned char* p, std::size_t n);
// `bytes` bytes of cryptographic randomness (OpenSSL) as lower-case hex; throws when the
// generator is unavailable (keys and ids must be unguessable: no weaker fallback).
std::string random_hex(std::size_t bytes);
// Shortest round-trip float text with at least one decimal: 120 -> "120.0" (pipeline.md §0).
std::string float_text(double x);
}  // namespace axion::core
