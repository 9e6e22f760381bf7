// append_dict_text writes exactly what to_dict(...).dump() / signal_to_dict(...).dump() write:
// the journal and the event stream see the same bytes as before the hot path stopped building
// JSON trees.
#include <catch2/catch.hpp>

#include "axion/core/domain/types.hpp"

using namespace axion::core;

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
