// guard/dedup through the built shared library (AXION_PLUGIN_SO) and the SDK fakes.
#include <catch2/catch.hpp>

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

const std::string kDuplicate = "Duplicate signal within 300.0s window";

// A valid signal stamped at the host's current engine time.
Signal make(const FakeHost& host, const std::string& ticker = "AAPL",
            const std::string& type = "cloud_flip_bullish", const std::string& direction = "long") {
  return make_signal({.ticker = ticker,
                      .direction = direction,
                      .signal_type = type,
                      .ts_us = host.clock.now_us(),
                      .strategy = "ema_cloud"});
}

// What the orchestrator does for a signal that passes every stage.
void pass_and_complete(PluginHarness& g, const Signal& s) {
  REQUIRE(g.check(s).pass);
  g.on_outcome(s, "completed");
}

bool is_duplicate(PluginHarness& g, const Signal& s) {
  auto v = g.check(s);
  if (!v.pass) CHECK(v.reason == kDuplicate);
  return !v.pass;
}

std::string config_error_key(const json& config) {
  return axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, config);
}

}  // namespace

TEST_CASE("manifest and schema") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(g.manifest().kind == AXION_KIND_GUARD);
  CHECK(std::string(g.manifest().name) == "dedup");
  auto schema = g.schema();
  REQUIRE(schema.size() == 1);
  CHECK(schema[0]["key"] == "window_seconds");
  CHECK(schema[0]["type"] == "double");
  CHECK(schema[0]["default"].get<double>() == 300.0);
}

TEST_CASE("the same key 10 s after a completed signal is a duplicate (acceptance example 3)") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  pass_and_complete(g, make(host));
  host.clock.advance_seconds(10);
  auto v = g.check(make(host));
  CHECK_FALSE(v.pass);
  CHECK(v.reason == kDuplicate);
}

TEST_CASE("changing any one of ticker, signal_type, direction is not a duplicate") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  pass_and_complete(g, make(host, "AAPL", "cloud_flip_bullish", "long"));
  host.clock.advance_seconds(10);
  CHECK(g.check(make(host, "MSFT", "cloud_flip_bullish", "long")).pass);
  CHECK(g.check(make(host, "AAPL", "trend_aligned_long", "long")).pass);
  CHECK(g.check(make(host, "AAPL", "cloud_flip_bullish", "short")).pass);
  // Each of those now holds its own key.
  host.clock.advance_seconds(1);
  CHECK(is_duplicate(g, make(host, "MSFT", "cloud_flip_bullish", "long")));
  CHECK(is_duplicate(g, make(host, "AAPL", "trend_aligned_long", "long")));
  CHECK(is_duplicate(g, make(host, "AAPL", "cloud_flip_bullish", "short")));
  CHECK(is_duplicate(g, make(host, "AAPL", "cloud_flip_bullish", "long")));
}

TEST_CASE("timeframe, conviction, prices and strategy are not part of the key") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  pass_and_complete(g, make(host));
  host.clock.advance_seconds(10);
  Signal s = make(host);
  s.timeframe = "1h";
  CHECK(is_duplicate(g, s));
  s = make(host);
  s.conviction = 95;
  s.entry_price = 120.0;
  s.stop_loss = 110.0;
  s.target_price = 140.0;
  CHECK(is_duplicate(g, s));
  s = make(host);
  s.strategy = "vwap_bounce";
  CHECK(is_duplicate(g, s));
}

TEST_CASE("window boundary: 299.9 s is a duplicate, 300 s is accepted and restarts the window") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  const auto t0 = host.clock.now_us();
  pass_and_complete(g, make(host));

  host.clock.set_us(t0 + 299'900'000);
  CHECK(is_duplicate(g, make(host)));
  host.clock.set_us(t0 + 299'999'999);
  CHECK(is_duplicate(g, make(host)));

  host.clock.set_us(t0 + 300'000'000);
  Signal again = make(host);
  CHECK(g.check(again).pass);
  g.on_outcome(again, "completed");

  host.clock.set_us(t0 + 599'900'000);
  CHECK(is_duplicate(g, make(host)));
  host.clock.set_us(t0 + 600'000'000);
  CHECK(g.check(make(host)).pass);
}

TEST_CASE("a duplicate does not refresh the stored time") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  pass_and_complete(g, make(host));
  host.clock.advance_seconds(200);
  CHECK(is_duplicate(g, make(host)));
  host.clock.advance_seconds(100);  // 300 s after the original, 100 s after the duplicate
  CHECK(g.check(make(host)).pass);
}

TEST_CASE("a held key counts before its outcome is known") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(g.check(make(host)).pass);  // parked in a later stage, no outcome yet
  host.clock.advance_seconds(1);
  CHECK(is_duplicate(g, make(host)));
}

TEST_CASE("a signal rejected at a later stage does not block its retry 10 s later") {
  const char* stage =
      GENERATE("risk_assessment", "regime", "routing", "sizing", "pretrade", "fill_validation",
               "basic_risk_check", "risk_assessment_error", "order_submission_error");
  CAPTURE(stage);
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal first = make(host);
  REQUIRE(g.check(first).pass);
  g.on_outcome(first, stage);
  host.clock.advance_seconds(10);
  Signal retry = make(host);
  CHECK(g.check(retry).pass);
  // The retry holds the key again.
  g.on_outcome(retry, "completed");
  host.clock.advance_seconds(10);
  CHECK(is_duplicate(g, make(host)));
}

TEST_CASE("an identical resubmission after a later-stage rejection is accepted") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = make(host);
  REQUIRE(g.check(s).pass);
  g.on_outcome(s, "risk_assessment");
  CHECK(g.check(s).pass);
}

TEST_CASE("metadata annotated by later stages does not hide the signal's identity") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = make(host);
  REQUIRE(g.check(s).pass);
  Signal reported = s;
  reported.metadata.text("signal_id", "0d9f6a4e-5b1c-4f55-9a43-2f7f1c3e8b10");
  g.on_outcome(reported, "risk_assessment");
  host.clock.advance_seconds(10);
  CHECK(g.check(make(host)).pass);
}

TEST_CASE("a completed signal blocks its retry 10 s later") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal first = make(host);
  pass_and_complete(g, first);
  host.clock.advance_seconds(10);
  CHECK(is_duplicate(g, make(host)));
  // A repeated rejection report about the completed signal does not release it either.
  g.on_outcome(first, "risk_assessment");
  CHECK(is_duplicate(g, make(host)));
}

TEST_CASE("a duplicate's own outcome does not release the original's entry") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal original = make(host);

  SECTION("original completed, duplicate with other fields") {
    pass_and_complete(g, original);
    host.clock.advance_seconds(10);
    Signal dup = make(host);
    dup.timeframe = "1h";
    CHECK(is_duplicate(g, dup));
    g.on_outcome(dup, "signal_guard");
    host.clock.advance_seconds(10);
    CHECK(is_duplicate(g, make(host)));
  }
  SECTION("original still pending, identical duplicate") {
    REQUIRE(g.check(original).pass);
    CHECK(is_duplicate(g, original));
    g.on_outcome(original, "signal_guard");  // the duplicate's outcome
    CHECK(is_duplicate(g, make(host)));
    // The original's own outcome still governs its entry.
    g.on_outcome(original, "completed");
    CHECK(is_duplicate(g, make(host)));
  }
  SECTION("original still pending, then rejected later: the release still works") {
    REQUIRE(g.check(original).pass);
    host.clock.advance_seconds(5);
    Signal dup = make(host);
    CHECK(is_duplicate(g, dup));
    g.on_outcome(dup, "signal_guard");
    CHECK(is_duplicate(g, make(host)));
    g.on_outcome(original, "risk_assessment");
    host.clock.advance_seconds(5);
    CHECK(g.check(make(host)).pass);
  }
  SECTION("a duplicate reported with a later stage name cannot release it either") {
    pass_and_complete(g, original);
    host.clock.advance_seconds(10);
    Signal dup = make(host);
    CHECK(is_duplicate(g, dup));
    g.on_outcome(dup, "risk_assessment");
    CHECK(is_duplicate(g, make(host)));
  }
}

TEST_CASE("a later guard's rejection of the signal that held the key releases it") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = make(host);
  REQUIRE(g.check(s).pass);
  g.on_outcome(s, "signal_guard");
  host.clock.advance_seconds(10);
  CHECK(g.check(make(host)).pass);

  // Also when the later guard failed with an error.
  Signal t = make(host, "MSFT");
  REQUIRE(g.check(t).pass);
  g.on_outcome(t, "signal_guard_error");
  CHECK(g.check(make(host, "MSFT")).pass);
}

TEST_CASE("outcomes of signals this guard never saw release nothing") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal held = make(host);
  REQUIRE(g.check(held).pass);  // pending in a later stage
  Signal other = make(host, "MSFT");
  CHECK(g.check(other).pass);  // the last check is now another signal

  // An identical copy of `held` rejected by an earlier guard, or by the kill switch.
  g.on_outcome(held, "signal_guard");
  g.on_outcome(held, "kill_switch");
  CHECK(is_duplicate(g, make(host)));
}

TEST_CASE("a late outcome of an expired entry's signal does not release a newer entry") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal old_signal = make(host);
  REQUIRE(g.check(old_signal).pass);  // parked; its outcome comes very late
  host.clock.advance_seconds(310);
  Signal newer = make(host);
  REQUIRE(g.check(newer).pass);  // the old entry expired; a new one is held
  g.on_outcome(old_signal, "order_submission_error");
  host.clock.advance_seconds(10);
  CHECK(is_duplicate(g, make(host)));
}

TEST_CASE("interleaved outcomes release only their own keys") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal a = make(host, "AAPL");
  Signal m = make(host, "MSFT");
  REQUIRE(g.check(a).pass);
  REQUIRE(g.check(m).pass);
  g.on_outcome(a, "risk_assessment");
  g.on_outcome(m, "completed");
  host.clock.advance_seconds(10);
  CHECK(g.check(make(host, "AAPL")).pass);
  CHECK(is_duplicate(g, make(host, "MSFT")));
}

TEST_CASE("the dedup clock never runs backwards") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  const auto t0 = host.clock.now_us();
  pass_and_complete(g, make(host, "AAPL"));
  host.clock.set_us(t0 - 100'000'000);       // the engine clock steps back 100 s
  pass_and_complete(g, make(host, "MSFT"));  // held at t0 on the monotonic reading
  host.clock.set_us(t0 + 250'000'000);
  CHECK(is_duplicate(g, make(host, "MSFT")));  // 250 s old, not 350 s
  host.clock.set_us(t0 + 300'000'000);
  CHECK(g.check(make(host, "MSFT")).pass);
  CHECK(g.check(make(host, "AAPL")).pass);
}

TEST_CASE("a configured window, with its shortest-float reason") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host, json{{"window_seconds", 60}});
  const auto t0 = host.clock.now_us();
  pass_and_complete(g, make(host));
  host.clock.set_us(t0 + 59'999'999);
  auto v = g.check(make(host));
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Duplicate signal within 60.0s window");
  host.clock.set_us(t0 + 60'000'000);
  CHECK(g.check(make(host)).pass);

  FakeHost host2;
  PluginHarness h(AXION_PLUGIN_SO, host2, json{{"window_seconds", 0.5}});
  pass_and_complete(h, make(host2));
  CHECK(h.check(make(host2)).reason == "Duplicate signal within 0.5s window");
}

TEST_CASE("config errors name the key") {
  CHECK(config_error_key(json{{"window_seconds", -1}}) == "window_seconds");
  CHECK(config_error_key(json{{"window_seconds", 0}}) == "window_seconds");
  CHECK(config_error_key(json{{"window_seconds", "300"}}) == "window_seconds");
  CHECK(config_error_key(json{{"window_seconds", json::array()}}) == "window_seconds");
  CHECK(config_error_key(json{{"dedup_window_seconds", 300.0}}) == "dedup_window_seconds");
  CHECK(config_error_key(json{{"window_seconds", 1}}) == "<accepted>");
}

// A burst of duplicates is this guard's busiest case: each is answered from views of the
// signal, with the fingerprint written into a kept buffer, so once warm neither the check nor
// the engine's outcome call for it allocates.
TEST_CASE("a duplicate's check and outcome allocate nothing once warm") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal first = make(host, "AAPL", "ema_cloud_trend_continuation_bullish");
  pass_and_complete(g, first);
  Signal dup = first;
  dup.ts_us += 1'000'000;
  axion::sdk::SignalArrays arrays;
  const axion_signal c = axion::sdk::to_c(dup, arrays);
  REQUIRE_FALSE(g.check_passes(c));  // warm
  g.on_outcome(c, "signal_guard");
  axion::sdk::testing::AllocationCounter count;
  bool any_passed = false;
  for (int i = 0; i < 100; ++i) {
    any_passed = g.check_passes(c) || any_passed;
    g.on_outcome(c, "signal_guard");
  }
  CHECK(count.stop() == 0);
  CHECK_FALSE(any_passed);
  // The entry is still the first signal's: a duplicate's outcome never released it.
  CHECK(is_duplicate(g, first));
}
