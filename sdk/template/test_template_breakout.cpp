// The template strategy alone against the SDK's fakes: the built .so is loaded through the real
// C ABI (PluginHarness), fed bars, and its signals checked. Build and run:
//   cmake --build build && ctest --test-dir build
#include <catch2/catch.hpp>

#include <axion/sdk/testing/alloc_counter.hpp>  // in one file only: it replaces operator new
#include <axion/sdk/testing/fakes.hpp>

#include <string>
#include <vector>

using axion::sdk::Bar;
using axion::sdk::Signal;
using axion::sdk::testing::AllocationCounter;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;

namespace {

const std::string kSo = TEMPLATE_PLUGIN_SO;

Bar bar(const std::string& symbol, const std::string& tf, double high, double low, double close,
        bool warmup = false) {
  return {symbol, tf, 0, low + (high - low) / 2, high, low, close, 1000.0, warmup};
}

// Three quiet bars (high 101, low 99), then the close `c`; all of them warm-up bars or none.
std::vector<Signal> after_quiet_window(PluginHarness& p, const std::string& symbol, double c,
                                       bool warmup = false) {
  for (int i = 0; i < 3; ++i) p.on_bar(bar(symbol, "5m", 101, 99, 100, warmup).as_view());
  return p.on_bar(bar(symbol, "5m", c + 0.5, 100, c, warmup).as_view());
}

}  // namespace

TEST_CASE("template: a close above the window's high is a long breakout with its stop and target") {
  FakeHost host;
  PluginHarness p(kSo, host, {{"lookback", 3}, {"reward_to_risk", 2.0}});
  auto out = after_quiet_window(p, "AAPL", 102);
  REQUIRE(out.size() == 1);
  const Signal& s = out[0];
  CHECK(s.signal_type == "breakout_long");
  CHECK(s.direction == "long");
  CHECK(s.ticker == "AAPL");
  CHECK(s.timeframe == "5m");
  CHECK(s.conviction == 60);
  CHECK(s.entry_price == 102);
  CHECK(s.stop_loss == 99);                    // the window's lowest low
  CHECK(s.target_price == 102 + 2 * (102 - 99));
  CHECK(s.strategy == "template_breakout");
  CHECK(s.metadata.number_of("window_high") == 101.0);
  CHECK(s.metadata.number_of("lookback") == 3.0);
  // A close inside the window emits nothing.
  CHECK(p.on_bar(bar("AAPL", "5m", 103, 101, 101.5).as_view()).empty());
}

TEST_CASE("template: each symbol and timeframe keeps its own window") {
  FakeHost host;
  PluginHarness p(kSo, host, {{"lookback", 3}});
  for (int i = 0; i < 3; ++i) p.on_bar(bar("AAPL", "5m", 101, 99, 100).as_view());
  // MSFT and AAPL 1h have no full window yet: no signal.
  CHECK(p.on_bar(bar("MSFT", "5m", 200, 100, 150).as_view()).empty());
  CHECK(p.on_bar(bar("AAPL", "1h", 200, 100, 150).as_view()).empty());
  CHECK(p.on_bar(bar("AAPL", "5m", 103, 100, 102).as_view()).size() == 1);
}

TEST_CASE("template: warm-up bars fill the window but never emit") {
  FakeHost host;
  PluginHarness p(kSo, host, {{"lookback", 3}});
  CHECK(after_quiet_window(p, "AAPL", 102, /*warmup=*/true).empty());  // a breakout, but history
  // ... and the window they filled is used by the first live bar.
  CHECK(p.on_bar(bar("AAPL", "5m", 110, 100, 109).as_view()).size() == 1);
}

TEST_CASE("template: the timeframes key filters bars, and bad input is refused") {
  FakeHost host;
  PluginHarness p(kSo, host, {{"lookback", 2}, {"timeframes", {"1h"}}});
  for (int i = 0; i < 3; ++i) CHECK(p.on_bar(bar("AAPL", "5m", 101, 99, 150).as_view()).empty());
  // A bar with high < low is refused before it touches the window.
  CHECK_THROWS_AS(p.on_bar(bar("AAPL", "1h", 99, 101, 100).as_view()), PluginCallError);
  FakeHost h2;
  CHECK_THROWS_WITH(PluginHarness(kSo, h2, {{"timeframes", {"2m"}}}),
                    Catch::Contains("'2m' is not one of"));
  CHECK_THROWS_WITH(PluginHarness(kSo, h2, {{"lookback", 1}}), Catch::Contains("lookback"));
}

TEST_CASE("template: once its series exists, a bar that emits nothing allocates nothing") {
  FakeHost host;
  PluginHarness p(kSo, host, {{"lookback", 5}});
  const Bar first = bar("AAPL", "5m", 101, 99, 100);
  p.on_bar(first.as_view());  // creates the (AAPL, 5m) series
  std::size_t quiet = 0, fired = 0;
  for (int i = 0; i < 40; ++i) {
    // Every 10th bar breaks out; the others stay inside the window.
    const double c = i % 10 == 9 ? 150.0 + i : 100.0;
    const Bar b = bar("AAPL", "5m", c + 0.5, 99, c);
    AllocationCounter counter;
    const auto out = p.on_bar(b.as_view());
    const std::size_t allocs = counter.stop();
    (out.empty() ? quiet : fired) += allocs;
    CHECK(out.size() == (i % 10 == 9 ? 1u : 0u));
  }
  CHECK(quiet == 0);
  CHECK(fired > 0);  // the counter does see the plugin's allocations
}
