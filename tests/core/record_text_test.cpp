// append_dict_text writes exactly what to_dict(...).dump() / signal_to_dict(...).dump() write:
// the journal and the event stream see the same bytes as before the hot path stopped building
// JSON trees.
#include <catch2/catch.hpp>

#include <limits>

#include "axion/core/domain/types.hpp"
#include "record_trees.hpp"

using namespace axion::core;
using namespace axion::core::reference;

namespace {

Signal plain_signal() {
  Signal s;
  s.ticker = "AAPL";
  s.signal_type = "ema_cloud_bullish_cross";
  s.direction = "long";
  s.timeframe = "1h";
  s.conviction = 73;
  s.entry_price = 187.123456789;
  s.stop_loss = 185.00005;
  s.target_price = 0;
  s.ts_us = 1'700'000'000'123'456;
  return s;
}

std::string text_of(const Signal& s) {
  std::string out;
  append_dict_text(out, s);
  return out;
}

std::string text_of(const PipelineResult& r) {
  std::string out;
  append_dict_text(out, r);
  return out;
}

}  // namespace

TEST_CASE("A signal's text equals its dict's dump") {
  Signal s = plain_signal();
  CHECK(text_of(s) == signal_to_dict(s).dump());
  s.target_price = 190.25;
  s.strategy = "vwap_reversion";
  s.source = "fusion";
  CHECK(text_of(s) == signal_to_dict(s).dump());
  s.ticker = "O\"DD\\\n\x01";
  s.signal_type = "caf\xc3\xa9";
  s.entry_price = 0.0001;
  s.stop_loss = 1e16;
  CHECK(text_of(s) == signal_to_dict(s).dump());

  SECTION("with typed metadata and cloud states") {
    s.metadata.num("rsi", 28.5).integer("bars", 14).boolean("mtf.confirmed", true).text("note", "x\"y")
        .text_item("confirmed_timeframes", "5m").text_item("confirmed_timeframes", "1h");
    axion::sdk::CloudState c;
    c.cloud_name = "pullback";
    c.short_ema = 101.123456;
    c.long_ema = 100.5;
    c.is_bullish = true;
    c.thickness = 0.0061234567;
    c.slope = -0.0000123;
    c.slope_direction = "falling";
    s.cloud_states = {c, c};
    CHECK(text_of(s) == signal_to_dict(s).dump());
  }
}

TEST_CASE("A pipeline result's text equals its dict's dump, nulls included") {
  PipelineResult r;
  r.signal = plain_signal();
  r.stage = Stage::KillSwitch;
  r.rejection_reason = "Kill switch active: \"manual\" stop";
  r.timestamp_us = 1'700'000'000'000'001;
  CHECK(text_of(r) == to_dict(r).dump());
  r.success = true;
  r.stage = Stage::Completed;
  r.rejection_reason.clear();
  r.signal_id = "0f8e2c1a-0000-4000-8000-000000000001";
  r.decision_id = "d";
  r.execution_id = "e";
  r.instrument_type = "leveraged_etf";
  r.fallback_from = "option";
  r.order_result = OrderResult{};
  r.order_result->order_id = "PAPER-0a1b2c3d";
  CHECK(text_of(r) == to_dict(r).dump());
  r.signal.ticker = "BAD\xff\xfe";  // invalid UTF-8 still yields JSON that parses
  CHECK_NOTHROW(json::parse(text_of(r)));
}

TEST_CASE("An order's text and the trade_executed text equal their dicts' dumps") {
  Order o;
  o.ticker = "TQQQ";
  o.side = "buy";
  o.qty = 12;
  o.order_type = "limit";
  o.limit_price = 61.235;
  o.time_in_force = "day";
  o.signal_id = "sig";
  o.client_order_id = "ax-sig-entry";
  std::string out;
  append_dict_text(out, o);
  CHECK(out == order_to_dict(o).dump());
  o.limit_price = 0;
  o.stop_price = 59.5;
  out.clear();
  append_dict_text(out, o);
  CHECK(out == order_to_dict(o).dump());

  Position p;
  p.ticker = "TQQQ";
  p.direction = Direction::Long;
  p.entry_price = 61.2350001;
  p.current_price = 62.5;
  p.stop_loss = 58.123456;
  p.target_price = 0;
  p.shares = 12;
  p.trade_type = "swing";
  p.instrument_type = "leveraged_etf";
  p.leverage = 3.0;
  p.signal_id = "sig";
  for (double target : {0.0, 70.987654}) {
    p.target_price = target;
    json te = to_dict(p);
    te["order_id"] = "PAPER-1";
    te["signal_id"] = p.signal_id;
    out.clear();
    append_trade_executed_text(out, p, "PAPER-1");
    CHECK(out == te.dump());
  }
}

TEST_CASE("Metadata and cloud states are written as their JSON trees dump, odd shapes included") {
  auto check = [](const Signal& s) {
    std::string out;
    append_dict_text(out, s);
    CHECK(out == signal_to_dict(s).dump());
  };
  Signal s = plain_signal();
  s.strategy = "ema_cloud";
  s.source = "fusion";
  s.metadata.num("conviction_breakdown.cloud_alignment", 25).num("conviction_breakdown.mtf_confluence", 12.5)
      .text("conviction_level", "high").integer("aligned_clouds", 4).boolean("mtf.confirmed", false)
      .text_item("confirmed_timeframes", "5m").text_item("confirmed_timeframes", "1h")
      .text_item("nested.list", "a").text_item("nested.list", "b").num("nested.zeta", 1e-7)
      .text("na\"me", "va\\lue").num(".leading_dot", 1).num("trailing_dot.", 2).num("a.b.c", 3);
  axion::sdk::CloudState c;
  c.cloud_name = "pullback";
  c.short_ema = 101.123456789;
  c.long_ema = -0.00004;
  c.thickness = 0.0000015;
  c.slope = 12345.6789012;
  c.price_inside = true;
  s.cloud_states = {c, c};
  check(s);

  SECTION("shapes the text writer leaves to the tree") {
    Signal odd = s;
    odd.metadata.num("strategy", 1);  // a field named like the attribution: it wins
    check(odd);
    odd = s;
    odd.metadata.num("conviction_breakdown", 7);  // a plain key that is also a prefix
    check(odd);
    odd = s;
    axion_field again{};
    again.name = axion::sdk::make_str("aligned_clouds");
    again.kind = AXION_FIELD_INTEGER;
    again.number = 5;
    odd.metadata.add(again);  // a name set twice over the ABI: the last wins
    check(odd);
    odd = s;
    odd.metadata.text("confirmed_timeframes", "text among items");
    check(odd);
  }
  SECTION("more fields than the text writer sorts in place") {
    Signal many = s;
    for (int i = 0; i < 80; ++i) many.metadata.num("f" + std::to_string(i), i);
    check(many);
  }
}

// The journal's writer writes these records as text: the rows must read as the trees did.
TEST_CASE("The journal's order results, positions, trades and executions equal their trees' dumps") {
  const std::string odd = "O\"DD\\\n\x01 caf\xc3\xa9 bad\xff";
  auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };

  OrderResult r;
  r.order_id = "paper-0001";
  r.status = axion::sdk::OrderStatus::Partial;
  r.filled_qty = 37;
  r.filled_price = 187.123456789;
  r.commission = 0.35;
  r.broker = odd;
  r.ts_us = 1'700'000'000'123'456;
  std::string t;
  append_dict_text(t, r);
  CHECK(t == dump(order_result_to_dict(r)));

  Position p;
  p.ticker = "AAPL";
  p.underlying = odd;
  p.direction = Direction::Short;
  p.is_inverse = true;
  p.entry_price = 187.25;
  p.current_price = 1e16;
  p.shares = 150;
  p.stop_loss = 0.0001;
  p.initial_stop = 191;
  p.target_price = -1;
  p.entry_time_us = 1'700'000'000'000'001;
  p.signal_id = "sig-1";
  p.conviction = 88;
  p.leverage = 3;
  p.scaled_out = true;
  p.entry_commission = std::numeric_limits<double>::quiet_NaN();
  p.entry_shares = 300;
  p.broker = "fallback";
  t.clear();
  append_storage_text(t, p);
  CHECK(t == dump(to_storage(p)));
  t.clear();
  append_storage_text(t, Position{});
  CHECK(t == dump(to_storage(Position{})));

  ClosedTrade c;
  c.ticker = odd;
  c.direction = Direction::Short;
  c.instrument_type = "leveraged_etf";
  c.entry_price = 100.5;
  c.exit_price = 99.123456;
  c.shares = 40;
  c.pnl = -12.34;
  c.pnl_pct = -0.0123;
  c.entry_time_us = 1'700'000'000'000'000;
  c.exit_time_us = 1'700'000'360'000'000;
  c.exit_reason = "stop_loss";
  c.conviction = 71;
  c.leverage = 2;
  c.ret = -0.012345678901;
  c.partial = true;
  t.clear();
  append_dict_text(t, c);
  CHECK(t == dump(trade_tree(c)));

  Execution x;
  x.ticker = "MSFT";
  x.underlying = odd;
  x.qty = 12;
  x.fill_price = 410.00000001;
  x.decision_id = "d-1";
  x.order_type = "limit";
  x.requested_price = 410;
  x.broker = "paper";
  x.status = axion::sdk::OrderStatus::Filled;
  x.signal_id = "sig-2";
  x.timeframe = "1h";
  x.signal_type = "cloud_bounce_long";
  x.conviction = 64;
  t.clear();
  append_dict_text(t, x);
  CHECK(t == dump(execution_tree(x)));
}

TEST_CASE("An intent's text equals its tree's dump for an entry, a close and an unwind") {
  auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  Order o;
  o.ticker = "TQQQ";
  o.side = "buy";
  o.qty = 25;
  o.order_type = "limit";
  o.limit_price = 61.123456789;
  o.time_in_force = "day";
  o.signal_id = "sig-\xff";
  o.client_order_id = "ax-sig-entry";
  o.reference_price = 61.1;
  o.instrument_type = "leveraged_etf";
  o.purpose = axion::sdk::OrderPurpose::Entry;
  o.strategy = "ema_cloud";

  EntryPlan plan;
  plan.underlying = "QQQ";
  plan.direction = Direction::Short;
  plan.instrument_type = "leveraged_etf";
  plan.is_inverse = true;
  plan.leverage = 3;
  plan.signal_entry = 400.25;
  plan.adj_stop = 404.0000001;
  plan.signal_target = 0;
  plan.signal_type = "cloud_flip_bearish";
  plan.conviction = 77;
  plan.timeframe = "5m";
  plan.source = "fusion";
  plan.strategy = "caf\xc3\xa9";
  std::string t;
  append_intent_text(t, o, IntentDetails{.plan = plan});
  CHECK(t == dump(intent_record(o, IntentDetails{.plan = plan})));

  o.purpose = axion::sdk::OrderPurpose::Close;
  o.limit_price = 0;
  o.stop_price = 60.5;
  t.clear();
  const IntentDetails close{.reason = "stop \"hit\"", .broker = "fallback"};
  append_intent_text(t, o, close);
  CHECK(t == dump(intent_record(o, close)));

  o.purpose = axion::sdk::OrderPurpose::Unwind;
  Position held;
  held.ticker = "TQQQ";
  held.shares = 25;
  held.entry_price = 61.2;
  t.clear();
  const IntentDetails unwind{.broker = "", .held = held};
  append_intent_text(t, o, unwind);
  CHECK(t == dump(intent_record(o, unwind)));
}
