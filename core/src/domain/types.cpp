#include "axion/core/domain/types.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "axion/sdk/format.hpp"
#include "axion/sdk/json_text.hpp"
#include "axion/sdk/time.hpp"

namespace axion::core {

double round_dp(double x, int n) { return sdk::format::round_dp(x, n); }

std::string trade_type_for(const std::string& tf) {
  if (tf == "1m" || tf == "5m") return "scalp";
  if (tf == "10m") return "day";
  return "swing";
}

json to_json(const ExecutorConfig& c) {
  return {{"instrument_mode", c.instrument_mode},
          {"max_risk_per_trade", c.max_risk_per_trade},
          {"max_concurrent_positions", c.max_concurrent_positions},
          {"daily_loss_limit", c.daily_loss_limit},
          {"max_single_stock_exposure", c.max_single_stock_exposure},
          {"max_sector_exposure", c.max_sector_exposure},
          {"min_account_equity", c.min_account_equity},
          {"default_time_in_force", c.default_time_in_force},
          {"high_conviction_order_type", c.high_conviction_order_type},
          {"medium_conviction_order_type", c.medium_conviction_order_type},
          {"scale_in_enabled", c.scale_in_enabled},
          {"scale_in_initial_pct", c.scale_in_initial_pct},
          {"prefer_3x_for_day_trades", c.prefer_3x_for_day_trades},
          {"min_etf_daily_volume", c.min_etf_daily_volume},
          {"etf_sector_mapping", c.etf_sector_mapping},
          {"consecutive_loss_threshold", c.consecutive_loss_threshold},
          {"consecutive_loss_pct", c.consecutive_loss_pct},
          {"api_timeout_seconds", c.api_timeout_seconds}};
}

json to_json(const LifecycleConfig& c) {
  return {{"reward_to_risk_target", c.reward_to_risk_target},
          {"time_stop_minutes", c.time_stop_minutes},
          {"eod_close_time", c.eod_close_time},
          {"trailing_stop_cloud", c.trailing_stop_cloud},
          {"max_etf_hold_days_3x", c.max_etf_hold_days_3x},
          {"max_etf_hold_days_2x", c.max_etf_hold_days_2x},
          {"close_on_shutdown", c.close_on_shutdown}};
}

json to_dict(const Position& p) {
  json j = json::object();
  j["ticker"] = p.ticker;
  j["direction"] = to_string(p.direction);
  j["entry_price"] = p.entry_price;
  j["current_price"] = p.current_price;
  j["stop_loss"] = round_dp(p.stop_loss, 4);
  j["target_price"] = p.target_price > 0 ? json(round_dp(p.target_price, 4)) : json(nullptr);
  j["shares"] = p.shares;
  j["unrealized_pnl"] = round_dp(p.unrealized_pnl(), 2);
  j["unrealized_pnl_pct"] = round_dp(p.unrealized_pnl_pct(), 4);
  j["trade_type"] = p.trade_type;
  j["instrument_type"] = p.instrument_type;
  j["leverage"] = p.leverage;
  return j;
}

axion_position_view position_view(const Position& p) {
  return {sizeof(axion_position_view), sdk::make_str(p.ticker), sdk::make_str(p.underlying),
          sdk::make_str(to_string(p.direction)), sdk::make_str(p.strategy), p.shares, p.entry_price, p.current_price,
          p.entry_time_us, p.is_inverse ? 1 : 0};
}

Position position_from_storage(const json& j) {
  Position p;
  p.ticker = j.at("ticker").get<std::string>();
  p.underlying = j.value("underlying", p.ticker);
  // A stored position facing no known way is damaged: the journal's reader reports it.
  const auto direction = parse_direction(j.value("direction", "long"));
  if (!direction) {
    throw std::runtime_error("invalid direction " +
                             j.value("direction", json()).dump(-1, ' ', false, json::error_handler_t::replace));
  }
  p.direction = *direction;
  p.is_inverse = j.value("is_inverse", false);
  p.entry_price = j.value("entry_price", 0.0);
  p.current_price = j.value("current_price", p.entry_price);
  p.shares = j.value("shares", std::int64_t{0});
  p.stop_loss = j.value("stop_loss", 0.0);
  p.initial_stop = j.value("initial_stop", p.stop_loss);
  p.target_price = j.value("target_price", 0.0);
  p.entry_time_us = j.value("entry_time_us", std::int64_t{0});
  p.signal_id = j.value("signal_id", "");
  p.signal_type = j.value("signal_type", "");
  p.conviction = j.value("conviction", 0);
  p.order_id = j.value("order_id", "");
  p.trade_type = j.value("trade_type", "day");
  p.instrument_type = j.value("instrument_type", "stock");
  p.leverage = j.value("leverage", 1.0);
  p.signal_source = j.value("signal_source", "");
  p.strategy = j.value("strategy", "");
  p.timeframe = j.value("timeframe", "");
  p.scaled_out = j.value("scaled_out", false);
  p.entry_commission = j.value("entry_commission", 0.0);
  p.entry_shares = j.value("entry_shares", p.shares);
  p.broker = j.value("broker", "");
  return p;
}

json signal_to_dict(const Signal& s) {
  return {{"signal_type", s.signal_type},
          {"direction", s.direction},
          {"ticker", s.ticker},
          {"timeframe", s.timeframe},
          {"conviction", s.conviction},
          {"entry_price", round_dp(s.entry_price, 4)},
          {"stop_loss", round_dp(s.stop_loss, 4)},
          {"target_price", s.target_price > 0 ? json(round_dp(s.target_price, 4)) : json(nullptr)},
          {"cloud_states", sdk::cloud_states_json(s)},
          {"timestamp", sdk::time::to_iso(s.ts_us)},
          {"metadata", sdk::metadata_json(s)}};
}

json order_to_dict(const Order& o) {
  return {{"ticker", o.ticker},
          {"side", o.side},
          {"qty", o.qty},
          {"order_type", o.order_type},
          {"limit_price", o.limit_price > 0 ? json(o.limit_price) : json(nullptr)},
          {"stop_price", o.stop_price > 0 ? json(o.stop_price) : json(nullptr)},
          {"time_in_force", o.time_in_force},
          {"signal_id", o.signal_id},
          {"client_order_id", o.client_order_id}};
}

Order order_from_dict(const json& j) {
  Order o;
  o.ticker = j.at("ticker").get<std::string>();
  o.side = j.at("side").get<std::string>();
  o.qty = j.at("qty").get<std::int64_t>();
  o.order_type = j.value("order_type", "market");
  if (j.contains("limit_price") && j["limit_price"].is_number()) o.limit_price = j["limit_price"].get<double>();
  if (j.contains("stop_price") && j["stop_price"].is_number()) o.stop_price = j["stop_price"].get<double>();
  o.time_in_force = j.value("time_in_force", "day");
  o.signal_id = j.value("signal_id", "");
  o.client_order_id = j.at("client_order_id").get<std::string>();
  o.reference_price = j.value("reference_price", 0.0);
  o.instrument_type = j.value("instrument_type", "stock");
  if (auto it = j.find("purpose"); it != j.end() && it->is_string()) {
    o.purpose = sdk::parse_order_purpose(it->get<std::string>()).value_or(sdk::OrderPurpose::Entry);
  }
  if (auto it = j.find("strategy"); it != j.end() && it->is_string()) o.strategy = it->get<std::string>();
  return o;
}

sdk::Limits base_limits(const ExecutorConfig& e, const LifecycleConfig& l) {
  sdk::Limits b;
  b.instrument_mode = e.instrument_mode;
  b.max_risk_per_trade = e.max_risk_per_trade;
  b.max_concurrent_positions = e.max_concurrent_positions;
  b.daily_loss_limit = e.daily_loss_limit;
  b.max_single_stock_exposure = e.max_single_stock_exposure;
  b.max_sector_exposure = e.max_sector_exposure;
  b.min_account_equity = e.min_account_equity;
  b.default_time_in_force = e.default_time_in_force;
  b.high_conviction_order_type = e.high_conviction_order_type;
  b.medium_conviction_order_type = e.medium_conviction_order_type;
  b.scale_in_enabled = e.scale_in_enabled;
  b.scale_in_initial_pct = e.scale_in_initial_pct;
  b.prefer_3x_for_day_trades = e.prefer_3x_for_day_trades;
  b.min_etf_daily_volume = e.min_etf_daily_volume;
  b.etf_sector_mapping = e.etf_sector_mapping;
  b.consecutive_loss_threshold = e.consecutive_loss_threshold;
  b.consecutive_loss_pct = e.consecutive_loss_pct;
  b.api_timeout_seconds = e.api_timeout_seconds;
  b.reward_to_risk_target = l.reward_to_risk_target;
  b.time_stop_minutes = l.time_stop_minutes;
  b.eod_close_time = l.eod_close_time;
  b.trailing_stop_cloud = l.trailing_stop_cloud;
  b.max_etf_hold_days_3x = l.max_etf_hold_days_3x;
  b.max_etf_hold_days_2x = l.max_etf_hold_days_2x;
  b.close_on_shutdown = l.close_on_shutdown;
  return b;
}

json to_dict(const PipelineResult& r) {
  return {{"success", r.success},
          {"ticker", r.signal.ticker},
          {"direction", r.signal.direction},
          {"conviction", r.signal.conviction},
          {"pipeline_stage", r.pipeline_stage()},
          {"rejection_reason", r.rejection_reason.empty() ? json(nullptr) : json(r.rejection_reason)},
          {"signal_id", r.signal_id.empty() ? json(nullptr) : json(r.signal_id)},
          {"decision_id", r.decision_id.empty() ? json(nullptr) : json(r.decision_id)},
          {"execution_id", r.execution_id.empty() ? json(nullptr) : json(r.execution_id)},
          {"order_id", r.order_result ? json(r.order_result->order_id) : json(nullptr)},
          {"timestamp", sdk::time::to_iso(r.timestamp_us)},
          {"instrument_type", r.instrument_type.empty() ? json(nullptr) : json(r.instrument_type)},
          {"fallback_from", r.fallback_from.empty() ? json(nullptr) : json(r.fallback_from)}};
}

namespace {
// `"key":v` rounded to `decimals` (none when < 0) when v > 0, else `"key":null` (an unset price).
void append_price_or_null(std::string& out, std::string_view key, double v, int decimals) {
  sdk::json_text::append_field(out, key);
  if (v > 0) {
    sdk::json_text::append_number(out, decimals < 0 ? v : round_dp(v, decimals));
  } else {
    out += "null";
  }
}

void append_timestamp(std::string& out, std::int64_t us) {
  sdk::json_text::append_field(out, "timestamp");
  out += '"';
  sdk::time::append_iso(out, us);
  out += '"';
}

// sdk::to_json(CloudState) as text: keys sorted as nlohmann writes them, the same rounding.
void append_cloud_states_text(std::string& out, const std::vector<sdk::CloudState>& states) {
  namespace jt = sdk::json_text;
  auto dp = [](double x, double scale) { return std::round(x * scale) / scale; };
  out += '[';
  for (std::size_t i = 0; i < states.size(); ++i) {
    const sdk::CloudState& c = states[i];
    if (i > 0) out += ',';
    out += '{';
    jt::append_field(out, "cloud_name", c.cloud_name);
    jt::append_field(out, "is_bullish", c.is_bullish);
    jt::append_field(out, "long_ema", dp(c.long_ema, 1e4));
    jt::append_field(out, "price_above", c.price_above);
    jt::append_field(out, "price_below", c.price_below);
    jt::append_field(out, "price_inside", c.price_inside);
    jt::append_field(out, "short_ema", dp(c.short_ema, 1e4));
    jt::append_field(out, "slope", dp(c.slope, 1e6));
    jt::append_field(out, "slope_direction", c.slope_direction);
    jt::append_field(out, "thickness", dp(c.thickness, 1e6));
    out += '}';
  }
  out += ']';
}

void append_field_value(std::string& out, const sdk::Field& f) {
  namespace jt = sdk::json_text;
  switch (f.kind) {
    case sdk::FieldKind::Number: jt::append_number(out, f.number); break;
    case sdk::FieldKind::Integer: jt::append_int(out, static_cast<std::int64_t>(f.number)); break;
    case sdk::FieldKind::Bool: jt::append_bool(out, f.number != 0); break;
    case sdk::FieldKind::Text:
    case sdk::FieldKind::TextItem: jt::append_string(out, f.text); break;
  }
}

// sdk::metadata_json(s) as text. Keys sorted as nlohmann writes them; "a.b" nests; text items
// gather into a list. Metadata outside that simple shape (a name set twice, a plain key that is
// also a prefix, more fields than the sort buffer) takes the JSON tree, so the bytes never differ.
void append_metadata_text(std::string& out, const Signal& s) {
  namespace jt = sdk::json_text;
  struct Entry {
    std::string_view top, sub;  // sub empty: a top-level field
    const sdk::Field* field;    // nullptr: the attribution text in `attribution`
    std::string_view attribution;
  };
  constexpr std::size_t kMax = 64;
  std::array<Entry, kMax> entries;
  std::size_t n = 0;
  bool simple = s.metadata.size() + 2 <= kMax;
  if (simple) {
    if (!s.strategy.empty()) entries[n++] = {"strategy", {}, nullptr, s.strategy};
    if (!s.source.empty()) entries[n++] = {"signal_source", {}, nullptr, s.source};
    for (const sdk::Field& f : s.metadata) {
      std::string_view name = f.name;
      std::string_view top = name, sub;
      if (auto dot = name.find('.'); dot != std::string_view::npos && dot > 0 && dot + 1 < name.size()) {
        top = name.substr(0, dot);
        sub = name.substr(dot + 1);
      }
      entries[n++] = {top, sub, &f, {}};
    }
    std::stable_sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(n),
                     [](const Entry& a, const Entry& b) {
                       return a.top != b.top ? a.top < b.top : a.sub < b.sub;
                     });
    for (std::size_t i = 1; i < n && simple; ++i) {
      const Entry& a = entries[i - 1];
      const Entry& b = entries[i];
      if (a.top != b.top) continue;
      const bool items = a.field && b.field && a.sub == b.sub && a.field->kind == sdk::FieldKind::TextItem &&
                         b.field->kind == sdk::FieldKind::TextItem;
      // Same top key: fine only when both nest under it with different names, or are list items.
      if (!items && (a.sub.empty() || b.sub.empty() || a.sub == b.sub)) simple = false;
    }
  }
  if (!simple) {
    out += sdk::metadata_json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  // Metadata names are the producer's text: escaped like any string.
  auto key = [&](std::string_view k) {
    if (out.back() != '{') out += ',';
    jt::append_string(out, k);
    out += ':';
  };
  // The list items of one key, in emission order (the sort is stable).
  auto items = [&](std::size_t& i, std::string_view top, std::string_view sub) {
    out += '[';
    for (bool first = true; i < n && entries[i].top == top && entries[i].sub == sub; ++i, first = false) {
      if (!first) out += ',';
      jt::append_string(out, entries[i].field->text);
    }
    out += ']';
  };
  out += '{';
  for (std::size_t i = 0; i < n;) {
    const Entry& e = entries[i];
    key(e.top);
    if (!e.field) {
      jt::append_string(out, e.attribution);
      ++i;
    } else if (e.sub.empty() && e.field->kind == sdk::FieldKind::TextItem) {
      items(i, e.top, {});
    } else if (e.sub.empty()) {
      append_field_value(out, *e.field);
      ++i;
    } else {
      const std::string_view top = e.top;
      out += '{';
      while (i < n && entries[i].top == top) {
        const Entry& in = entries[i];
        key(in.sub);
        if (in.field->kind == sdk::FieldKind::TextItem) {
          items(i, top, in.sub);
        } else {
          append_field_value(out, *in.field);
          ++i;
        }
      }
      out += '}';
    }
  }
  out += '}';
}

}  // namespace

// The keys in nlohmann's order (sorted), so the text equals the dict's dump byte for byte.
void append_dict_text(std::string& out, const PipelineResult& r) {
  namespace jt = sdk::json_text;
  auto text_or_null = [&](std::string_view key, const std::string& v) {
    jt::append_field(out, key);
    if (v.empty()) {
      out += "null";
    } else {
      jt::append_string(out, v);
    }
  };
  out += '{';
  jt::append_field(out, "conviction", r.signal.conviction);
  text_or_null("decision_id", r.decision_id);
  jt::append_field(out, "direction", r.signal.direction);
  text_or_null("execution_id", r.execution_id);
  text_or_null("fallback_from", r.fallback_from);
  text_or_null("instrument_type", r.instrument_type);
  jt::append_field(out, "order_id");
  if (r.order_result) {
    jt::append_string(out, r.order_result->order_id);
  } else {
    out += "null";
  }
  jt::append_field(out, "pipeline_stage", r.pipeline_stage());
  text_or_null("rejection_reason", r.rejection_reason);
  text_or_null("signal_id", r.signal_id);
  jt::append_field(out, "success", r.success);
  jt::append_field(out, "ticker", r.signal.ticker);
  append_timestamp(out, r.timestamp_us);
  out += '}';
}

void append_dict_text(std::string& out, const Signal& s) {
  namespace jt = sdk::json_text;
  out += '{';
  jt::append_field(out, "cloud_states");
  if (s.cloud_states.empty()) {
    out += "[]";
  } else {
    append_cloud_states_text(out, s.cloud_states);
  }
  jt::append_field(out, "conviction", s.conviction);
  jt::append_field(out, "direction", s.direction);
  jt::append_field(out, "entry_price", round_dp(s.entry_price, 4));
  jt::append_field(out, "metadata");
  if (s.metadata.empty()) {  // only the attribution: no tree needed
    out += '{';
    if (!s.source.empty()) jt::append_field(out, "signal_source", s.source);
    if (!s.strategy.empty()) jt::append_field(out, "strategy", s.strategy);
    out += '}';
  } else {
    append_metadata_text(out, s);
  }
  jt::append_field(out, "signal_type", s.signal_type);
  jt::append_field(out, "stop_loss", round_dp(s.stop_loss, 4));
  append_price_or_null(out, "target_price", s.target_price, 4);
  jt::append_field(out, "ticker", s.ticker);
  jt::append_field(out, "timeframe", s.timeframe);
  append_timestamp(out, s.ts_us);
  out += '}';
}

void append_dict_text(std::string& out, const Order& o) {
  namespace jt = sdk::json_text;
  out += '{';
  jt::append_field(out, "client_order_id", o.client_order_id);
  append_price_or_null(out, "limit_price", o.limit_price, -1);
  jt::append_field(out, "order_type", o.order_type);
  jt::append_field(out, "qty", o.qty);
  jt::append_field(out, "side", o.side);
  jt::append_field(out, "signal_id", o.signal_id);
  append_price_or_null(out, "stop_price", o.stop_price, -1);
  jt::append_field(out, "ticker", o.ticker);
  jt::append_field(out, "time_in_force", o.time_in_force);
  out += '}';
}

void append_trade_executed_text(std::string& out, const Position& p, std::string_view order_id) {
  namespace jt = sdk::json_text;
  out += '{';
  jt::append_field(out, "current_price", p.current_price);
  jt::append_field(out, "direction", to_string(p.direction));
  jt::append_field(out, "entry_price", p.entry_price);
  jt::append_field(out, "instrument_type", p.instrument_type);
  jt::append_field(out, "leverage", p.leverage);
  jt::append_field(out, "order_id", order_id);
  jt::append_field(out, "shares", p.shares);
  jt::append_field(out, "signal_id", p.signal_id);
  jt::append_field(out, "stop_loss", round_dp(p.stop_loss, 4));
  append_price_or_null(out, "target_price", p.target_price, 4);
  jt::append_field(out, "ticker", p.ticker);
  jt::append_field(out, "trade_type", p.trade_type);
  jt::append_field(out, "unrealized_pnl", round_dp(p.unrealized_pnl(), 2));
  jt::append_field(out, "unrealized_pnl_pct", round_dp(p.unrealized_pnl_pct(), 4));
  out += '}';
}

EntryPlan EntryPlan::from_json(const json& j, std::string_view order_side) {
  EntryPlan p;
  p.direction = order_side == "sell" ? Direction::Short : Direction::Long;
  if (!j.is_object()) return p;
  p.underlying = j.value("underlying", "");
  if (auto it = j.find("direction"); it != j.end() && it->is_string()) {
    if (auto known = parse_direction(it->get_ref<const std::string&>())) p.direction = *known;
  }
  p.instrument_type = j.value("instrument_type", "stock");
  p.is_inverse = j.value("is_inverse", false);
  p.leverage = j.value("leverage", 1.0);
  p.signal_entry = j.value("signal_entry", 0.0);
  p.adj_stop = j.value("adj_stop", 0.0);
  p.signal_target = j.value("signal_target", 0.0);
  p.signal_type = j.value("signal_type", "");
  p.conviction = j.value("conviction", 0);
  p.timeframe = j.value("timeframe", "");
  p.source = j.value("source", "");
  p.strategy = j.value("strategy", "");
  return p;
}

void append_intent_text(std::string& out, const Order& o, const IntentDetails& d) {
  namespace jt = sdk::json_text;
  out += '{';
  if (d.broker) jt::append_field(out, "broker", *d.broker);
  jt::append_field(out, "client_order_id", o.client_order_id);
  if (d.held) {
    jt::append_field(out, "held");
    append_storage_text(out, *d.held);
  }
  jt::append_field(out, "instrument_type", o.instrument_type);
  append_price_or_null(out, "limit_price", o.limit_price, -1);
  jt::append_field(out, "order_type", o.order_type);
  if (d.plan) {
    const EntryPlan& p = *d.plan;
    jt::append_field(out, "plan");
    out += '{';
    jt::append_field(out, "adj_stop", p.adj_stop);
    jt::append_field(out, "conviction", p.conviction);
    jt::append_field(out, "direction", to_string(p.direction));
    jt::append_field(out, "instrument_type", p.instrument_type);
    jt::append_field(out, "is_inverse", p.is_inverse);
    jt::append_field(out, "leverage", p.leverage);
    jt::append_field(out, "signal_entry", p.signal_entry);
    jt::append_field(out, "signal_target", p.signal_target);
    jt::append_field(out, "signal_type", p.signal_type);
    jt::append_field(out, "source", p.source);
    jt::append_field(out, "strategy", p.strategy);
    jt::append_field(out, "timeframe", p.timeframe);
    jt::append_field(out, "underlying", p.underlying);
    out += '}';
  }
  jt::append_field(out, "purpose", std::string_view(sdk::to_string(o.purpose)));
  jt::append_field(out, "qty", o.qty);
  if (d.reason) jt::append_field(out, "reason", *d.reason);
  jt::append_field(out, "reference_price", o.reference_price);
  jt::append_field(out, "side", o.side);
  jt::append_field(out, "signal_id", o.signal_id);
  append_price_or_null(out, "stop_price", o.stop_price, -1);
  jt::append_field(out, "strategy", o.strategy);
  jt::append_field(out, "ticker", o.ticker);
  jt::append_field(out, "time_in_force", o.time_in_force);
  out += '}';
}

// The four below: keys in nlohmann's (sorted) order, values as its dump writes them.
void append_dict_text(std::string& out, const OrderResult& r) {
  namespace jt = sdk::json_text;
  out += '{';
  jt::append_field(out, "broker", r.broker);
  jt::append_field(out, "commission", r.commission);
  jt::append_field(out, "filled_price", round_dp(r.filled_price, 4));
  jt::append_field(out, "filled_qty", r.filled_qty);
  jt::append_field(out, "order_id", r.order_id);
  jt::append_field(out, "status", std::string_view(sdk::to_string(r.status)));
  append_timestamp(out, r.ts_us);
  out += '}';
}

void append_storage_text(std::string& out, const Position& p) {
  namespace jt = sdk::json_text;
  out += '{';
  jt::append_field(out, "broker", p.broker);
  jt::append_field(out, "conviction", p.conviction);
  jt::append_field(out, "current_price", p.current_price);
  jt::append_field(out, "direction", to_string(p.direction));
  jt::append_field(out, "entry_commission", p.entry_commission);
  jt::append_field(out, "entry_price", p.entry_price);
  jt::append_field(out, "entry_shares", p.entry_shares);
  jt::append_field(out, "entry_time_us", p.entry_time_us);
  jt::append_field(out, "initial_stop", p.initial_stop);
  jt::append_field(out, "instrument_type", p.instrument_type);
  jt::append_field(out, "is_inverse", p.is_inverse);
  jt::append_field(out, "leverage", p.leverage);
  jt::append_field(out, "order_id", p.order_id);
  jt::append_field(out, "scaled_out", p.scaled_out);
  jt::append_field(out, "shares", p.shares);
  jt::append_field(out, "signal_id", p.signal_id);
  jt::append_field(out, "signal_source", p.signal_source);
  jt::append_field(out, "signal_type", p.signal_type);
  jt::append_field(out, "stop_loss", p.stop_loss);
  jt::append_field(out, "strategy", p.strategy);
  jt::append_field(out, "target_price", p.target_price);
  jt::append_field(out, "ticker", p.ticker);
  jt::append_field(out, "timeframe", p.timeframe);
  jt::append_field(out, "trade_type", p.trade_type);
  jt::append_field(out, "underlying", p.underlying);
  out += '}';
}

void append_dict_text(std::string& out, const ClosedTrade& t) {
  namespace jt = sdk::json_text;
  auto iso = [&](std::string_view key, std::int64_t us) {
    jt::append_field(out, key);
    out += '"';
    sdk::time::append_iso(out, us);
    out += '"';
  };
  out += '{';
  jt::append_field(out, "broker", t.broker);
  jt::append_field(out, "conviction", t.conviction);
  jt::append_field(out, "direction", to_string(t.direction));
  jt::append_field(out, "entry_price", t.entry_price);
  iso("entry_time", t.entry_time_us);
  jt::append_field(out, "exit_price", t.exit_price);
  jt::append_field(out, "exit_reason", t.exit_reason);
  iso("exit_time", t.exit_time_us);
  jt::append_field(out, "instrument_type", t.instrument_type);
  jt::append_field(out, "leverage", t.leverage);
  jt::append_field(out, "order_id", t.order_id);
  jt::append_field(out, "partial", t.partial);
  jt::append_field(out, "pnl", t.pnl);
  jt::append_field(out, "pnl_pct", t.pnl_pct);
  jt::append_field(out, "ret", t.ret);
  jt::append_field(out, "shares", t.shares);
  jt::append_field(out, "signal_id", t.signal_id);
  jt::append_field(out, "signal_source", t.signal_source);
  jt::append_field(out, "signal_type", t.signal_type);
  jt::append_field(out, "strategy", t.strategy);
  jt::append_field(out, "ticker", t.ticker);
  jt::append_field(out, "timeframe", t.timeframe);
  jt::append_field(out, "trade_type", t.trade_type);
  out += '}';
}

void append_dict_text(std::string& out, const Execution& e) {
  namespace jt = sdk::json_text;
  out += '{';
  jt::append_field(out, "broker", e.broker);
  jt::append_field(out, "conviction", e.conviction);
  jt::append_field(out, "decision_id", e.decision_id);
  jt::append_field(out, "fill_price", e.fill_price);
  jt::append_field(out, "order_type", e.order_type);
  jt::append_field(out, "qty", e.qty);
  jt::append_field(out, "requested_price", e.requested_price);
  jt::append_field(out, "signal_id", e.signal_id);
  jt::append_field(out, "signal_type", e.signal_type);
  jt::append_field(out, "status", std::string_view(sdk::to_string(e.status)));
  jt::append_field(out, "ticker", e.ticker);
  jt::append_field(out, "timeframe", e.timeframe);
  jt::append_field(out, "underlying", e.underlying);
  out += '}';
}

// pipeline.md §2.5: a `strategy_name` text field overrides the producer's name.
std::string strategy_of(const Signal& s) {
  if (auto named = s.metadata.text_of("strategy_name"); named && !named->empty()) return std::string(*named);
  return s.strategy.empty() ? "ema_cloud" : s.strategy;
}

std::string signal_source_of(const Signal& s) { return s.source.empty() ? strategy_of(s) : s.source; }

}  // namespace axion::core

#include <random>

namespace axion::core {

std::string new_uuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xffff), static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string hex_text(const unsigned char* p, std::size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0xF];
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (bytes > 0 && RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("secure random generator unavailable");
  }
  return hex_text(buf.data(), bytes);
}

std::string float_text(double x) { return sdk::format::shortest_float(x); }

}  // namespace axion::core
