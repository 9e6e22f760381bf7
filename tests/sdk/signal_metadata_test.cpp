// Typed signal metadata (plugin_api.h axion_field, axion_cloud_state): the SDK's Metadata and
// FieldArray, the C round trip, and the JSON a reader sees.
#include <catch2/catch.hpp>

#include <cstddef>
#include <stdexcept>

#include "axion/sdk/metadata.hpp"
#include "axion/sdk/types.hpp"

using axion::sdk::CloudState;
using axion::sdk::FieldArray;
using axion::sdk::FieldKind;
using axion::sdk::Metadata;
using axion::sdk::Signal;
using nlohmann::json;

TEST_CASE("metadata: setting a name again replaces it; list items append in order") {
  Metadata m;
  m.num("rsi", 28.5).text("trend", "up").num("rsi", 30.0).text_item("tfs", "1m").text_item("tfs", "5m");
  REQUIRE(m.size() == 4);
  CHECK(m.number_of("rsi") == 30.0);
  CHECK(m.text_of("trend") == "up");
  CHECK(!m.number_of("trend"));  // text is not a number
  CHECK(!m.text_of("missing"));
  m.integer("rsi", 7);  // a new kind replaces the old one
  CHECK(m.find("rsi")->kind == FieldKind::Integer);
}

TEST_CASE("metadata JSON: kinds, nesting by a dot, lists of text items") {
  Metadata m;
  m.num("body_ratio", 0.25)
      .integer("confirming_timeframes", 3)
      .boolean("all_bullish", false)
      .text("trigger", "bounce")
      .num("conviction_breakdown.volume", 7.5)
      .num("conviction_breakdown.candle", 4.0)
      .text_item("confirmed_tfs", "10m")
      .text_item("confirmed_tfs", "1m");
  const json j = axion::sdk::to_json(m);
  CHECK(j == json{{"body_ratio", 0.25},
                  {"confirming_timeframes", 3},
                  {"all_bullish", false},
                  {"trigger", "bounce"},
                  {"conviction_breakdown", {{"volume", 7.5}, {"candle", 4.0}}},
                  {"confirmed_tfs", {"10m", "1m"}}});
  CHECK(j.at("confirming_timeframes").is_number_integer());
  // A leading or trailing dot is not nesting: the name is kept as it is.
  Metadata odd;
  odd.num(".x", 1).num("y.", 2);
  CHECK(axion::sdk::to_json(odd) == json{{".x", 1.0}, {"y.", 2.0}});
}

TEST_CASE("signal metadata JSON carries strategy and signal_source when set") {
  Signal s;
  CHECK(axion::sdk::metadata_json(s) == json::object());
  s.strategy = "mean_reversion";
  s.metadata.num("rsi", 22.0);
  CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "mean_reversion"}, {"rsi", 22.0}});
  s.source = "webhook";
  CHECK(axion::sdk::metadata_json(s).at("signal_source") == "webhook");
}

TEST_CASE("a signal survives the C round trip: fields, strategy, source and cloud states") {
  Signal s;
  s.signal_type = "cloud_bounce_long";
  s.direction = "long";
  s.ticker = "AAPL";
  s.timeframe = "5m";
  s.conviction = 61;
  s.entry_price = 101.5;
  s.stop_loss = 99.25;
  s.ts_us = 1'700'000'000'000'000;
  s.strategy = "ema_cloud";
  s.source = "scanner";
  s.metadata.num("body_ratio", 0.5).text("cloud", "fast").boolean("all_bullish", true).text_item("tfs", "1h");
  CloudState c;
  c.cloud_name = "fast";
  c.short_ema = 101.123456;
  c.long_ema = 100.5;
  c.is_bullish = true;
  c.price_above = true;
  c.thickness = 0.0061234567;
  c.slope = -0.0001234567;
  c.slope_direction = "falling";
  s.cloud_states = {c};

  axion::sdk::SignalArrays arrays;
  const axion_signal cs = axion::sdk::to_c(s, arrays);
  REQUIRE(cs.field_count == 4);
  REQUIRE(cs.cloud_state_count == 1);
  CHECK(cs.cloud_states[0].flags == (AXION_CLOUD_BULLISH | AXION_CLOUD_PRICE_ABOVE));
  const Signal back = axion::sdk::from_c(cs);
  CHECK(back.strategy == "ema_cloud");
  CHECK(back.source == "scanner");
  CHECK(axion::sdk::metadata_json(back) == axion::sdk::metadata_json(s));
  REQUIRE(back.cloud_states.size() == 1);
  CHECK(back.cloud_states[0].short_ema == c.short_ema);  // full precision over the ABI
  CHECK(back.cloud_states[0].slope_direction == "falling");
  CHECK(back.cloud_states[0].is_bullish);
  CHECK(!back.cloud_states[0].price_inside);

  // CloudState.to_dict (strategies.md §1.3): EMAs to 4 dp, thickness and slope to 6 dp.
  const json states = axion::sdk::cloud_states_json(back);
  REQUIRE(states.size() == 1);
  CHECK(states[0].at("short_ema") == 101.1235);
  CHECK(states[0].at("thickness") == 0.006123);
  CHECK(states[0].at("slope") == -0.000123);
  CHECK(states[0].at("price_above") == true);
}

TEST_CASE("a field of an unknown kind arrives as text, not dropped") {
  axion_field f{{"future", 6}, 99, 1.5, {"v", 1}};
  axion_signal c{};
  c.size = sizeof c;
  c.fields = &f;
  c.field_count = 1;
  const Signal s = axion::sdk::from_c(c);
  CHECK(s.metadata.text_of("future") == "v");
}

TEST_CASE("a signal record shorter than the typed one is read only up to its size") {
  axion_field f{{"x", 1}, AXION_FIELD_NUMBER, 1.0, {}};
  axion_signal c{};
  c.size = offsetof(axion_signal, strategy) + 16;  // an earlier layout: JSON text where strategy is now
  c.ticker = {"AAPL", 4};
  c.strategy = {"{}", 2};
  c.fields = &f;
  c.field_count = 1;
  const Signal s = axion::sdk::from_c(c);
  CHECK(s.ticker == "AAPL");
  CHECK(s.strategy.empty());
  CHECK(s.metadata.empty());
}

TEST_CASE("FieldArray fills C fields from views and refuses more than its capacity") {
  FieldArray<3> f;
  f.num("a", 1.5).integer("b", 2).text("c", "x");
  axion_signal c{};
  f.attach(c);
  REQUIRE(c.field_count == 3);
  CHECK(c.fields[1].kind == AXION_FIELD_INTEGER);
  CHECK(c.fields[1].number == 2.0);
  CHECK(std::string_view(c.fields[2].text.data, c.fields[2].text.size) == "x");
  CHECK_THROWS_AS(f.boolean("d", true), std::length_error);
  f.clear();
  f.attach(c);
  CHECK(c.field_count == 0);
}
