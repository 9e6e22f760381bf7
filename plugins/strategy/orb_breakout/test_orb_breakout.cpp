// strategy/orb_breakout: the built plugin driven through its C ABI with FakeHost, checked
// against the golden vectors of strategies.md §16.5, a direct array recomputation of §10.2 at
// every GOLD window, hand-built scenarios and the session clock.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/testing/alloc_counter.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/series.hpp"
#include "axion/sdk/testing/strategy_support.hpp"
#include "axion/sdk/time.hpp"

namespace {

using axion::sdk::BarView;
using axion::sdk::Signal;
using namespace axion::sdk::testing;
using nlohmann::json;

// ---- direct recomputation of §10.2 over the window 0..t -----------------------------------------

struct Params {
  std::size_t n_range = 3;
  double threshold_pct = 0.1, multiplier = 1.5, risk_reward = 2.0;
};

struct Expected {
  std::string type, direction;
  int conviction = 0;
  double entry = 0, stop = 0, target = 0;
};

// session[i] = the session bar i belongs to, −1 before the open (compatibility mode: all 0).
std::optional<Expected> reference(const Series& s, std::size_t t, const std::vector<int>& session,
                                  const Params& p = {}) {
  if (session[t] < 0) return std::nullopt;
  std::vector<std::size_t> bars;  // the session's bars so far
  for (std::size_t i = 0; i <= t; ++i) {
    if (session[i] == session[t]) bars.push_back(i);
  }
  if (bars.size() < p.n_range + 2) return std::nullopt;
  double rh = -1e300, rl = 1e300, vs = 0;
  for (std::size_t j = 0; j < p.n_range; ++j) {
    rh = std::max(rh, s.high[bars[j]]);
    rl = std::min(rl, s.low[bars[j]]);
    vs += s.volume[bars[j]];
  }
  const double w = rh - rl;
  if (w < 0.01) return std::nullopt;
  const double vol_ratio = s.volume[t] / std::max(vs / static_cast<double>(p.n_range), 1.0);
  if (vol_ratio < p.multiplier) return std::nullopt;
  const double margin = w * p.threshold_pct / 100.0;
  const double c = s.close[t];
  Expected e;
  e.entry = c;
  if (c > rh + margin) {
    e.type = "cloud_cross_bullish", e.direction = "long";
    e.target = c + p.risk_reward * w;
    e.stop = rl;
    e.conviction = static_cast<int>(std::min(90.0, 60 + 5 * vol_ratio + 20 * (c - rh) / w));
  } else if (c < rl - margin) {
    e.type = "cloud_cross_bearish", e.direction = "short";
    e.target = c - p.risk_reward * w;
    e.stop = rh;
    e.conviction = static_cast<int>(std::min(90.0, 60 + 5 * vol_ratio + 20 * (rl - c) / w));
  } else {
    return std::nullopt;
  }
  return e;
}

std::vector<int> one_session(std::size_t n) { return std::vector<int>(n, 0); }

void check_against_reference(const std::vector<Fired>& fired, const Series& s,
                             const std::vector<int>& session, const Params& p = {}) {
  std::size_t k = 0;
  for (std::size_t t = 0; t < s.size(); ++t) {
    INFO("bar " << t);
    const auto expected = reference(s, t, session, p);
    const bool emitted = k < fired.size() && fired[k].bar == t;
    REQUIRE(emitted == expected.has_value());
    if (!emitted) continue;
    const Signal& sig = fired[k++].sig;
    CHECK(sig.signal_type == expected->type);
    CHECK(sig.direction == expected->direction);
    CHECK(sig.conviction == expected->conviction);
    CHECK(rel_close(sig.entry_price, expected->entry));
    CHECK(rel_close(sig.stop_loss, expected->stop));
    CHECK(rel_close(sig.target_price, expected->target));
    REQUIRE((k >= fired.size() || fired[k].bar != t));  // at most one signal per bar
  }
  CHECK(k == fired.size());
  CHECK_FALSE(fired.empty());
}

// §0 and §10: label, metadata, protective sides, conviction range.
void check_well_formed(const Signal& s) {
  CHECK(s.timeframe == "5m");
  CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "orb_breakout"}});
  CHECK(s.conviction >= 60);
  CHECK(s.conviction <= 90);
  if (s.direction == "long") {
    CHECK(s.signal_type == "cloud_cross_bullish");
    CHECK(s.stop_loss < s.entry_price);
    CHECK(s.target_price > s.entry_price);
  } else {
    CHECK(s.direction == "short");
    CHECK(s.signal_type == "cloud_cross_bearish");
    CHECK(s.stop_loss > s.entry_price);
    CHECK((s.target_price <= 0 || s.target_price < s.entry_price));
  }
}

const std::vector<Fired>& gold_run() {
  static const std::vector<Fired> fired = [] {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    return run_series(h, host, gold_series());
  }();
  return fired;
}

// Six bars: three range bars (H 101, L 99, C 100, V 1000), two quiet bars inside the range, then
// bar 5 closing at `close` on `volume`. W = 2, RH = 101, RL = 99, mean range volume 1000.
Series six_bars(double close, double volume, std::int64_t ts0 = 0) {
  Series s;
  auto ts = [&](std::int64_t i) { return ts0 > 0 ? ts0 + i * kClockStep5m : 0; };
  for (int i = 0; i < 3; ++i) s.push(100, 101, 99, 100, 1000, ts(i));
  s.push(100, 100.8, 99.6, 100.2, 1000, ts(3));
  s.push(100.2, 100.9, 99.8, 100.5, 5000, ts(4));  // inside the range: no breakout on volume alone
  s.push(100.5, std::max(100.5, close) + 0.5, std::min(100.5, close) - 0.5, close, volume, ts(5));
  return s;
}

}  // namespace

// ---- golden vectors ---------------------------------------------------------------------------

TEST_CASE("GOLD windows firing and first firings of §16.5", "[golden]") {
  const auto& fired = gold_run();
  CHECK(fired.size() == 6);
  REQUIRE(fired.size() >= 5);
  struct Row {
    std::size_t bar;
    const char* type;
    const char* direction;
    double entry, stop, target;
    int conviction;
  };
  const Row rows[] = {{55, "cloud_cross_bearish", "short", 97.5773, 103.8075, 88.7622, 76},
                      {120, "cloud_cross_bullish", "long", 107.1727, 99.4, 115.9878, 83},
                      {185, "cloud_cross_bullish", "long", 113.9008, 99.4, 122.7159, 90},
                      {225, "cloud_cross_bullish", "long", 104.4227, 99.4, 113.2378, 70},
                      {250, "cloud_cross_bullish", "long", 117.9658, 99.4, 126.7809, 90}};
  for (std::size_t i = 0; i < 5; ++i) {
    const Row& r = rows[i];
    INFO("bar " << r.bar);
    const Signal& s = fired[i].sig;
    CHECK(fired[i].bar == r.bar);
    CHECK(s.signal_type == r.type);
    CHECK(s.direction == r.direction);
    CHECK(s.ticker == "GOLD");
    CHECK(s.timeframe == "5m");
    CHECK(printed(s.entry_price, r.entry, 4));
    CHECK(printed(s.stop_loss, r.stop, 4));
    CHECK(printed(s.target_price, r.target, 4));
    CHECK(s.conviction == r.conviction);
    CHECK(s.ts_us == kClock0 + static_cast<std::int64_t>(r.bar) * kClockStep5m);
    CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "orb_breakout"}});
  }
}

TEST_CASE("GOLD: every window matches a direct recomputation of the rule", "[golden]") {
  const Series s = gold_series();
  check_against_reference(gold_run(), s, one_session(s.size()));
}

TEST_CASE("every emitted signal is well formed with protective stop and target", "[golden]") {
  for (const auto& f : gold_run()) {
    INFO("bar " << f.bar);
    check_well_formed(f.sig);
  }
}

// ---- hand-built scenarios (§17: 6-bar breakouts both ways) ------------------------------------

TEST_CASE("6-bar breakout up: every field", "[rule]") {
  // Close 102 on 1700: vol_ratio 1.7; conviction 60 + 8.5 + 20·(102 − 101)/2 = 78.5 → 78.
  const Series s = six_bars(102.0, 1700);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s, 0, SIZE_MAX, "ACME", "1m");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 5);
  const Signal& sig = fired[0].sig;
  CHECK(sig.signal_type == "cloud_cross_bullish");
  CHECK(sig.direction == "long");
  CHECK(sig.ticker == "ACME");
  CHECK(sig.timeframe == "5m");  // the spec's hard-coded label
  CHECK(sig.entry_price == 102.0);
  CHECK(sig.stop_loss == 99.0);
  CHECK(sig.target_price == Approx(106.0).epsilon(1e-12));
  CHECK(sig.conviction == 78);
  CHECK(sig.ts_us == kClock0 + 5 * kClockStep5m);
  CHECK(axion::sdk::metadata_json(sig) == json{{"strategy", "orb_breakout"}});
}

TEST_CASE("6-bar breakout down: every field", "[rule]") {
  // Close 98 on 3000: vol_ratio 3; conviction 60 + 15 + 20·(99 − 98)/2 = 85.
  const Series s = six_bars(98.0, 3000);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 5);
  const Signal& sig = fired[0].sig;
  CHECK(sig.signal_type == "cloud_cross_bearish");
  CHECK(sig.direction == "short");
  CHECK(sig.ticker == "GOLD");
  CHECK(sig.timeframe == "5m");
  CHECK(sig.entry_price == 98.0);
  CHECK(sig.stop_loss == 101.0);
  CHECK(sig.target_price == Approx(94.0).epsilon(1e-12));
  CHECK(sig.conviction == 85);
  CHECK(sig.ts_us == kClock0 + 5 * kClockStep5m);
  CHECK(axion::sdk::metadata_json(sig) == json{{"strategy", "orb_breakout"}});
}

TEST_CASE("volume_multiplier 5 on normal volume: no signal", "[rule]") {
  for (double close : {102.0, 98.0}) {
    const Series s = six_bars(close, 2000);  // ratio 2
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"volume_multiplier", 5.0}});
    CHECK(run_series(h, host, s).empty());
    FakeHost host2;
    PluginHarness h2(AXION_PLUGIN_SO, host2);
    CHECK(run_series(h2, host2, s).size() == 1);  // the default 1.5 lets it through
  }
}

TEST_CASE("gates: margin, range width, cap, risk_reward, opening_range_bars", "[rule]") {
  SECTION("margin is a fraction of the range width, strictly exceeded") {
    // threshold 10 %: margin = 0.2. Close 101.2 is not above 101.2 (= RH + margin); 101.25 is.
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"breakout_threshold_pct", 10.0}});
    CHECK(run_series(h, host, six_bars(101.2, 2000)).empty());
    FakeHost host2;
    PluginHarness h2(AXION_PLUGIN_SO, host2, json{{"breakout_threshold_pct", 10.0}});
    CHECK(run_series(h2, host2, six_bars(101.25, 2000)).size() == 1);
  }
  SECTION("a range narrower than 0.01 gives nothing") {
    Series s;
    for (int i = 0; i < 3; ++i) s.push(100, 100.005, 100, 100, 1000);
    s.push(100, 100, 100, 100, 1000);
    s.push(100, 100, 100, 100, 1000);
    s.push(100, 103, 100, 102, 5000);
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run_series(h, host, s).empty());
  }
  SECTION("conviction capped at 90") {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const auto fired = run_series(h, host, six_bars(104.0, 4000));  // 60 + 20 + 30
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].sig.conviction == 90);
  }
  SECTION("risk_reward sets the target distance in range widths") {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"risk_reward", 3.0}});
    const auto fired = run_series(h, host, six_bars(102.0, 1700));
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].sig.target_price == Approx(108.0).epsilon(1e-12));
  }
  SECTION("opening_range_bars 4 widens the range to bar 3") {
    // Range bars 0..3: RH 101, RL 99, mean volume 1000; a signal needs 6 session bars.
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"opening_range_bars", 4}});
    const auto fired = run_series(h, host, six_bars(102.0, 1700));
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].sig.conviction == 78);
  }
  SECTION("zero volumes, constant prices, a single bar") {
    Series zero = six_bars(102.0, 0);
    for (auto& v : zero.volume) v = 0;
    Series flat;
    for (int i = 0; i < 20; ++i) flat.push(100, 100, 100, 100, 1000);
    Series one;
    one.push(100, 101, 99, 100, 1000);
    for (const Series* s : {&zero, &flat, &one}) {
      FakeHost host;
      PluginHarness h(AXION_PLUGIN_SO, host);
      CHECK(run_series(h, host, *s).empty());
    }
  }
}

// ---- minimum bars and warm-up -----------------------------------------------------------------

TEST_CASE("the session needs N+2 = 5 bars: one bar short gives nothing", "[warmup]") {
  Series s = six_bars(102.0, 1700);
  Series four;  // range + the breakout bar as the 4th session bar
  for (std::size_t i : {0, 1, 2, 5})
    four.push(s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
  Series five;  // … as the 5th
  for (std::size_t i : {0, 1, 2, 3, 5})
    five.push(s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run_series(h, host, four).empty());
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, five);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 4);
}

TEST_CASE("warm-up bars update the state but emit nothing", "[warmup]") {
  const Series s = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  // Bars 0..55 are warm-up: the range bars and the first firing (bar 55).
  const std::vector<Fired> fired = run_series(h, host, s, 0, SIZE_MAX, "GOLD", "5m", {}, 56);
  const auto& clean = gold_run();
  REQUIRE(fired.size() == clean.size() - 1);
  for (std::size_t i = 0; i < fired.size(); ++i) {
    CHECK(fired[i].bar == clean[i + 1].bar);
    CHECK(fired[i].sig.stop_loss == clean[i + 1].sig.stop_loss);
    CHECK(fired[i].sig.conviction == clean[i + 1].sig.conviction);
  }
}

// ---- sessions by the clock --------------------------------------------------------------------

TEST_CASE("timestamps: the opening range is the first N session bars of each ET day", "[session]") {
  // GOLD over five trading days: each day 3 pre-market bars (08:45–08:55), then 57 session bars
  // from 09:30 every 5 minutes.
  Series s = gold_series();
  std::vector<int> session(s.size());
  s.ts_us.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned day = 9 + static_cast<unsigned>(i / 60);
    const unsigned slot = static_cast<unsigned>(i % 60);
    const bool pre = slot < 3;
    const unsigned minute = pre ? 8 * 60 + 45 + 5 * slot : 9 * 60 + 30 + 5 * (slot - 3);
    s.ts_us[i] = et_us(day, minute);
    session[i] = pre ? -1 : static_cast<int>(day);
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s);
  check_against_reference(fired, s, session);
  for (const auto& f : fired) CHECK(session[f.bar] >= 0);
  CHECK(fired.size() != gold_run().size());
}

TEST_CASE("timestamps: a new day has a new range; pre-market bars are not in it", "[session]") {
  // Day 1 (Feb 9): the six-bar breakout up fires. Day 2 (Feb 10): two pre-market bars with a
  // wide range and a breakout-looking close, then the six-bar breakdown at 09:30.
  const std::int64_t day1 = et_us(9, 9 * 60 + 30), day2 = et_us(10, 9 * 60 + 30);
  Series s = six_bars(102.0, 1700, day1);
  s.push(100, 130, 70, 90, 9000, et_us(10, 7 * 60));
  s.push(90, 95, 85, 80, 9000, et_us(10, 7 * 60 + 5));
  const Series d2 = six_bars(98.0, 3000, day2);
  for (std::size_t i = 0; i < d2.size(); ++i) {
    s.push(d2.open[i], d2.high[i], d2.low[i], d2.close[i], d2.volume[i], d2.ts_us[i]);
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s);
  REQUIRE(fired.size() == 2);
  CHECK(fired[0].bar == 5);
  CHECK(fired[0].sig.direction == "long");
  CHECK(fired[1].bar == 13);
  CHECK(fired[1].sig.direction == "short");
  CHECK(fired[1].sig.stop_loss == 101.0);  // day 2's range only
  CHECK(fired[1].sig.target_price == Approx(94.0).epsilon(1e-12));
  CHECK(fired[1].sig.conviction == 85);
}

// ---- config -----------------------------------------------------------------------------------

TEST_CASE("config: schema, defaults and rejected tables", "[config]") {
  FakeHost host;
  {
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(std::string(h.manifest().name) == "orb_breakout");
    CHECK(std::string(h.manifest().description) == "Opening range breakout");
    CHECK(h.manifest().kind == AXION_KIND_STRATEGY);
    const json defaults = schema_defaults(h);
    CHECK(defaults == json{{"opening_range_bars", 3},
                           {"breakout_threshold_pct", 0.1},
                           {"volume_multiplier", 1.5},
                           {"time_stop_bars", 24},
                           {"risk_reward", 2.0},
                           {"timeframes", json::array()}});
  }
  CHECK_NOTHROW(PluginHarness(
      AXION_PLUGIN_SO, host,
      json{{"opening_range_bars", 6}, {"time_stop_bars", 12}, {"timeframes", {"5m", "1m"}}}));
  struct Bad {
    json table;
    std::string key;
  };
  const std::vector<Bad> bad{
      {{{"bogus", 1}}, "bogus"},
      {{{"opening_range_bars", 0}}, "opening_range_bars"},
      {{{"opening_range_bars", 2.5}}, "opening_range_bars"},
      {{{"breakout_threshold_pct", -0.1}}, "breakout_threshold_pct"},
      {{{"volume_multiplier", -1.0}}, "volume_multiplier"},
      {{{"time_stop_bars", 0}}, "time_stop_bars"},
      {{{"risk_reward", 0.0}}, "risk_reward"},
      {{{"risk_reward", "2"}}, "risk_reward"},
      {{{"timeframes", {"5m", "2h"}}}, "timeframes"},
  };
  for (const auto& c : bad) {
    INFO(c.table.dump());
    CHECK(axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, c.table) == c.key);
  }
}

TEST_CASE("time_stop_bars is reserved and timeframes selects the series", "[config]") {
  const Series s = gold_series();
  const auto& raw = gold_run();
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"time_stop_bars", 1}});
    const auto fired = run_series(h, host, s);
    REQUIRE(fired.size() == raw.size());
    for (std::size_t i = 0; i < fired.size(); ++i) {
      CHECK(fired[i].bar == raw[i].bar);
      CHECK(fired[i].sig.target_price == raw[i].sig.target_price);
    }
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"timeframes", {"1h"}}});
    CHECK(run_series(h, host, s, 0, SIZE_MAX, "GOLD", "5m").empty());
    CHECK(run_series(h, host, s, 0, SIZE_MAX, "GOLD", "1h").size() == raw.size());
  }
}

// ---- state ------------------------------------------------------------------------------------

TEST_CASE("interleaved series keep separate ranges", "[state]") {
  const Series a = gold_series();
  const Series b = six_bars(98.0, 3000);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::vector<Fired> mixed_a, mixed_b;
  for (std::size_t t = 0; t < a.size(); ++t) {
    for (auto& f : run_series(h, host, a, t, t + 1, "GOLD")) mixed_a.push_back(std::move(f));
    if (t < b.size()) {
      for (auto& f : run_series(h, host, b, t, t + 1, "GOLD", "1m"))
        mixed_b.push_back(std::move(f));
    }
  }
  const auto& alone_a = gold_run();
  REQUIRE(mixed_a.size() == alone_a.size());
  for (std::size_t i = 0; i < mixed_a.size(); ++i) {
    CHECK(mixed_a[i].bar == alone_a[i].bar);
    CHECK(mixed_a[i].sig.conviction == alone_a[i].sig.conviction);
  }
  REQUIRE(mixed_b.size() == 1);
  CHECK(mixed_b[0].sig.stop_loss == 101.0);
}

TEST_CASE("invalid and out-of-order bars are rejected without touching the series", "[state]") {
  Series s = gold_series();
  s.ts_us.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    s.ts_us[i] = et_us(9, 9 * 60 + 30) + static_cast<std::int64_t>(i) * 60'000'000;
  }
  std::vector<Fired> clean;
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    clean = run_series(h, host, s);
  }
  REQUIRE_FALSE(clean.empty());
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  auto fired = run_series(h, host, s, 0, 2);  // inside the opening range
  axion::sdk::Bar bad = s.bar(2, "GOLD", "5m");
  bad.high = 1e6, bad.close = std::nan("");
  CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
  bad = s.bar(2, "GOLD", "5m");
  bad.low = -1;
  CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
  CHECK_THROWS_AS(h.on_bar(s.bar(0, "GOLD", "5m").as_view()), PluginCallError);
  for (auto& f : run_series(h, host, s, 2)) fired.push_back(std::move(f));
  REQUIRE(fired.size() == clean.size());
  for (std::size_t i = 0; i < fired.size(); ++i) {
    CHECK(fired[i].bar == clean[i].bar);
    CHECK(fired[i].sig.stop_loss == clean[i].sig.stop_loss);
  }
}

TEST_CASE("no allocation on bars that do not fire", "[perf]") {
  const Series s = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  run_series(h, host, s, 0, 5, "GOLD");  // the series exists and its key buffer is sized
  std::size_t quiet_bars = 0, quiet_allocs = 0;
  for (std::size_t t = 5; t < s.size(); ++t) {
    const axion::sdk::Bar b = s.bar(t, "GOLD", "5m");
    AllocationCounter counter;
    const auto out = h.on_bar(b.as_view());
    const std::size_t allocs = counter.stop();
    if (out.empty()) ++quiet_bars, quiet_allocs += allocs;
  }
  CHECK(quiet_bars > 200);
  CHECK(quiet_allocs == 0);
}
