// guard/sanity through the built shared library (AXION_PLUGIN_SO) and the SDK fakes.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "axion/sdk/testing/alloc_counter.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/signals.hpp"

using axion::sdk::Signal;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Signal long_signal() { return make_signal({.target_price = 104.0}); }

Signal short_signal() {
  return make_signal(
      {.direction = "short", .signal_type = "cloud_flip_bearish", .target_price = 96.0});
}

std::string reason_of(PluginHarness& g, const Signal& s) {
  auto v = g.check(s);
  REQUIRE_FALSE(v.pass);
  return v.reason;
}

}  // namespace

TEST_CASE("manifest names guard/sanity with an empty key table") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(g.manifest().kind == AXION_KIND_GUARD);
  CHECK(std::string(g.manifest().name) == "sanity");
  CHECK(g.schema() == json::array());
}

TEST_CASE("config: an empty table builds, any key is unknown") {
  FakeHost host;
  CHECK_NOTHROW(PluginHarness(AXION_PLUGIN_SO, host, json::object()));
  try {
    PluginHarness g(AXION_PLUGIN_SO, host, json{{"strict", true}});
    FAIL("an unknown key was accepted");
  } catch (const PluginCallError& e) {
    CHECK(e.key == "strict");
    CHECK(std::string(e.what()).find("strict") != std::string::npos);
  }
}

TEST_CASE("valid signals pass") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(g.check(long_signal()).pass);
  CHECK(g.check(short_signal()).pass);

  Signal no_target = long_signal();
  no_target.target_price = 0.0;  // <= 0: no target
  CHECK(g.check(no_target).pass);
  no_target.target_price = -5.0;
  CHECK(g.check(no_target).pass);
  Signal short_no_target = short_signal();
  short_no_target.target_price = 0.0;
  CHECK(g.check(short_no_target).pass);
}

TEST_CASE("timestamp without a time zone") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = long_signal();
  s.has_timezone = false;
  CHECK(reason_of(g, s) == "Invalid signal: timestamp has no time zone");
}

TEST_CASE("unknown direction, quoted as given") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = long_signal();
  s.direction = "up";
  CHECK(reason_of(g, s) == "Invalid signal: unknown direction 'up'");
  s.direction = "LONG";  // the vocabulary is exact
  CHECK(reason_of(g, s) == "Invalid signal: unknown direction 'LONG'");
  s.direction = "";
  CHECK(reason_of(g, s) == "Invalid signal: unknown direction ''");
}

TEST_CASE("entry_price must be positive and finite") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  for (double bad : {0.0, -1.0, kNaN, kInf, -kInf}) {
    CAPTURE(bad);
    Signal s = long_signal();
    s.entry_price = bad;
    CHECK(reason_of(g, s) == "Invalid signal: entry_price must be > 0");
  }
}

TEST_CASE("stop_loss must be positive and finite") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  for (double bad : {0.0, -2.5, kNaN, kInf, -kInf}) {
    CAPTURE(bad);
    Signal s = long_signal();
    s.stop_loss = bad;
    CHECK(reason_of(g, s) == "Invalid signal: stop_loss must be > 0");
    Signal t = short_signal();
    t.stop_loss = bad;
    CHECK(reason_of(g, t) == "Invalid signal: stop_loss must be > 0");
  }
}

TEST_CASE("long: stop must be below entry (acceptance example 4)") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = long_signal();
  s.stop_loss = 101.5;
  CHECK(reason_of(g, s) == "Invalid signal: stop 101.50 is not below entry 100.00");
  s.stop_loss = 100.0;  // equal is not below
  CHECK(reason_of(g, s) == "Invalid signal: stop 100.00 is not below entry 100.00");
  s.entry_price = 12.3456;
  s.stop_loss = 13.0;
  CHECK(reason_of(g, s) == "Invalid signal: stop 13.00 is not below entry 12.35");
  s.stop_loss = 12.34;  // just below: passes
  s.target_price = 0;
  CHECK(g.check(s).pass);
}

TEST_CASE("short: stop must be above entry") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = short_signal();
  s.stop_loss = 99.0;
  CHECK(reason_of(g, s) == "Invalid signal: stop 99.00 is not above entry 100.00");
  s.stop_loss = 100.0;
  CHECK(reason_of(g, s) == "Invalid signal: stop 100.00 is not above entry 100.00");
}

TEST_CASE("target on the wrong side of entry") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = long_signal();
  s.target_price = 95.0;
  CHECK(reason_of(g, s) == "Invalid signal: target 95.00 is on the wrong side of entry 100.00");
  s.target_price = 100.0;  // equal counts as wrong side
  CHECK(reason_of(g, s) == "Invalid signal: target 100.00 is on the wrong side of entry 100.00");

  Signal t = short_signal();
  t.target_price = 100.25;
  CHECK(reason_of(g, t) == "Invalid signal: target 100.25 is on the wrong side of entry 100.00");
  t.target_price = 100.0;
  CHECK(reason_of(g, t) == "Invalid signal: target 100.00 is on the wrong side of entry 100.00");
}

TEST_CASE("a non-finite target is rejected with the target reason") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = long_signal();
  s.target_price = kNaN;
  CHECK(reason_of(g, s) == "Invalid signal: target nan is on the wrong side of entry 100.00");
  s.target_price = kInf;
  CHECK(reason_of(g, s) == "Invalid signal: target inf is on the wrong side of entry 100.00");
  Signal t = short_signal();
  t.target_price = -kInf;
  CHECK(reason_of(g, t) == "Invalid signal: target -inf is on the wrong side of entry 100.00");
}

TEST_CASE("the first matching row wins") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = long_signal();
  s.has_timezone = false;
  s.direction = "sideways";
  s.entry_price = 0;
  CHECK(reason_of(g, s) == "Invalid signal: timestamp has no time zone");
  s.has_timezone = true;
  CHECK(reason_of(g, s) == "Invalid signal: unknown direction 'sideways'");
  s.direction = "long";
  s.stop_loss = 0;
  CHECK(reason_of(g, s) == "Invalid signal: entry_price must be > 0");
  s.entry_price = 100;
  s.target_price = 50;
  CHECK(reason_of(g, s) == "Invalid signal: stop_loss must be > 0");
  s.stop_loss = 120;
  CHECK(reason_of(g, s) == "Invalid signal: stop 120.00 is not below entry 100.00");
  s.stop_loss = 90;
  CHECK(reason_of(g, s) == "Invalid signal: target 50.00 is on the wrong side of entry 100.00");
}

TEST_CASE("the verdict does not depend on the clock or on earlier signals") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal bad = long_signal();
  bad.stop_loss = 150;
  CHECK_FALSE(g.check(bad).pass);
  host.clock.advance_seconds(86400 * 3);
  CHECK(g.check(long_signal()).pass);
  CHECK_FALSE(g.check(bad).pass);
}

// The SDK converts each stage call's signal into the plugin instance's own Signal, reusing its
// strings and arrays: a passing check of an ema_cloud-sized signal (typed metadata with long
// names, five cloud states) allocates nothing once warm.
TEST_CASE("a passing check allocates nothing per call once warm, metadata and cloud states included") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = long_signal();
  s.signal_type = "ema_cloud_trend_continuation_bullish";
  s.strategy = "ema_cloud_multi_timeframe";
  s.source = "ema_cloud_multi_timeframe";
  for (int i = 0; i < 15; ++i) s.metadata.num("conviction_breakdown.component_" + std::to_string(i), i * 1.5);
  s.metadata.text("conviction_level_description", "medium conviction, rising slope");
  s.metadata.text_item("confirmed_timeframes", "5m").text_item("confirmed_timeframes", "1h");
  for (const char* name : {"trend_line_cloud", "pullback_cloud", "momentum_cloud", "trend_confirmation", "long_term_trend"}) {
    axion::sdk::CloudState c;
    c.cloud_name = name;
    c.slope_direction = "rising_strongly_today";
    s.cloud_states.push_back(c);
  }
  axion::sdk::SignalArrays arrays;
  const axion_signal c = axion::sdk::to_c(s, arrays);
  REQUIRE(g.check_passes(c));  // warm: the instance's signal grows its buffers once
  axion::sdk::testing::AllocationCounter count;
  bool all_passed = true;
  for (int i = 0; i < 100; ++i) all_passed = g.check_passes(c) && all_passed;
  CHECK(count.stop() == 0);
  CHECK(all_passed);
}
