// strategy/rsi_divergence: the built plugin driven through its C ABI with FakeHost, checked
// against the golden vectors of strategies.md §16.5, a direct array recomputation of §10.3 at
// every GOLD window and hand-built divergences.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <utility>
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

// ---- direct recomputation of §10.3 over the window 0..t -----------------------------------------

struct Params {
  std::size_t period = 14, lookback = 10;
  double oversold = 35, overbought = 65, min_change = 1.0, risk_reward = 2.0;
  bool volume_confirmation = true;
};

struct Expected {
  std::string direction;
  int conviction = 0;
  double entry = 0, stop = 0, target = 0;
  double raw_conviction = 0;
};

// §2.4 RSI-divergence series over closes[0..n−1]: element k uses the changes C[j+1] − C[j] for
// j = k … k+p−1 and is the RSI as of close k+p; length n − p.
std::vector<double> rsi_series(const std::vector<double>& c, std::size_t n, std::size_t p) {
  std::vector<double> out;
  for (std::size_t k = 0; k + p < n; ++k) {
    double g = 0, lo = 0;
    for (std::size_t j = k; j < k + p; ++j) {
      const double d = c[j + 1] - c[j];
      if (d > 0) g += d;
      if (d < 0) lo += -d;
    }
    g /= static_cast<double>(p), lo /= static_cast<double>(p);
    out.push_back(lo < 1e-10 ? (g > 0 ? 100.0 : 50.0) : 100.0 - 100.0 / (1.0 + g / lo));
  }
  return out;
}

std::optional<Expected> reference(const Series& s, std::size_t t, const Params& p = {}) {
  const std::size_t n = t + 1, lb = p.lookback;
  if (n < p.period + 2 * lb) return std::nullopt;
  const std::vector<double> r = rsi_series(s.close, n, p.period);  // r.back() is bar t
  if (p.volume_confirmation && n >= 20) {
    double vs = 0;
    for (std::size_t i = n - 20; i < n; ++i) vs += s.volume[i];
    if (s.volume[t] < vs / 20.0) return std::nullopt;
  }
  auto min_of = [](const std::vector<double>& v, std::size_t a, std::size_t b) {
    return *std::min_element(v.begin() + static_cast<long>(a), v.begin() + static_cast<long>(b));
  };
  auto max_of = [](const std::vector<double>& v, std::size_t a, std::size_t b) {
    return *std::max_element(v.begin() + static_cast<long>(a), v.begin() + static_cast<long>(b));
  };
  const std::size_t m = r.size();
  const double cur_low = min_of(s.low, n - lb, n), prev_low = min_of(s.low, n - 2 * lb, n - lb);
  const double cur_rsi_low = min_of(r, m - lb, m), prev_rsi_low = min_of(r, m - 2 * lb, m - lb);
  const double c = s.close[t];
  Expected e;
  e.entry = c;
  if (cur_low < prev_low && cur_rsi_low > prev_rsi_low) {
    const double change = std::fabs(cur_low - prev_low) / std::max(prev_low, 0.01) * 100;
    if (change >= p.min_change && cur_rsi_low < p.oversold) {
      e.direction = "long";
      e.stop = cur_low * 0.98;
      e.target = c + p.risk_reward * (c - e.stop);
      e.raw_conviction = 55 + 3 * change + 0.5 * (cur_rsi_low - prev_rsi_low);
      e.conviction = static_cast<int>(std::min(85.0, e.raw_conviction));
      return e;
    }
  }
  const double cur_high = max_of(s.high, n - lb, n), prev_high = max_of(s.high, n - 2 * lb, n - lb);
  const double cur_rsi_high = max_of(r, m - lb, m), prev_rsi_high = max_of(r, m - 2 * lb, m - lb);
  if (cur_high > prev_high && cur_rsi_high < prev_rsi_high) {
    const double change = std::fabs(cur_high - prev_high) / std::max(prev_high, 0.01) * 100;
    if (change >= p.min_change && cur_rsi_high > p.overbought) {
      e.direction = "short";
      e.stop = cur_high * 1.02;
      e.target = c - p.risk_reward * (e.stop - c);
      e.raw_conviction = 55 + 3 * change + 0.5 * (prev_rsi_high - cur_rsi_high);
      e.conviction = static_cast<int>(std::min(85.0, e.raw_conviction));
      return e;
    }
  }
  return std::nullopt;
}

void check_against_reference(const std::vector<Fired>& fired, const Series& s,
                             const Params& p = {}) {
  std::size_t k = 0;
  for (std::size_t t = 0; t < s.size(); ++t) {
    INFO("bar " << t);
    const auto expected = reference(s, t, p);
    const bool emitted = k < fired.size() && fired[k].bar == t;
    REQUIRE(emitted == expected.has_value());
    if (!emitted) continue;
    const Signal& sig = fired[k++].sig;
    CHECK(sig.signal_type == "momentum_exhaustion");
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
  CHECK(s.signal_type == "momentum_exhaustion");
  CHECK(s.timeframe == "1d");
  CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "rsi_divergence"}});
  CHECK(s.conviction >= 0);
  CHECK(s.conviction <= 85);
  if (s.direction == "long") {
    CHECK(s.stop_loss < s.entry_price);
    CHECK(s.target_price > s.entry_price);
  } else {
    CHECK(s.direction == "short");
    CHECK(s.stop_loss > s.entry_price);
    CHECK((s.target_price <= 0 || s.target_price < s.entry_price));
  }
}

const std::vector<Fired>& gold_run() {
  static const std::vector<Fired> fired = [] {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    return run_series(h, host, gold_series(), 0, SIZE_MAX, "GOLD", "1d");
  }();
  return fired;
}

// A bullish divergence completing at bar 33 (n = 34). Closes: bars 0..13 alternate 100 / 100.3;
// bars 14..19 fall 2 each (to 88.3, RSI low 25/3 at bar 19); 20..23 rebound 1 each (92.3);
// 24..33 alternate −1.5 / +0.5 (low close 86.8 at bar 32, C[33] = 87.3). H = C + 0.2,
// L = C − 0.2, volume 1000. `mirror` reflects the closes around 100 (a bearish divergence).
Series divergence(bool mirror = false) {
  std::vector<double> c;
  for (int i = 0; i < 14; ++i) c.push_back(100 + 0.3 * (i % 2));
  for (int i = 0; i < 6; ++i) c.push_back(c.back() - 2);
  for (int i = 0; i < 4; ++i) c.push_back(c.back() + 1);
  for (int i = 0; i < 5; ++i) c.push_back(c.back() - 1.5), c.push_back(c.back() + 0.5);
  Series s;
  for (double x : c) {
    const double y = mirror ? 200 - x : x;
    s.push(y, y + 0.2, y - 0.2, y, 1000);
  }
  return s;
}

}  // namespace

// ---- golden vectors ---------------------------------------------------------------------------

TEST_CASE("GOLD windows firing and first firings of §16.5", "[golden]") {
  const auto& fired = gold_run();
  CHECK(fired.size() == 25);
  REQUIRE(fired.size() >= 3);
  struct Row {
    std::size_t bar;
    const char* direction;
    double entry, stop, target;
    int conviction;  // not printed in §16.5: pinned from the direct recomputation (intended sign)
  };
  const Row rows[] = {{79, "short", 112.7208, 115.4738, 107.2147, 66},
                      {80, "short", 111.5790, 115.5859, 103.5652, 61},
                      {107, "long", 98.9872, 93.3676, 110.2264, 62}};
  const Series s = gold_series();
  for (std::size_t i = 0; i < 3; ++i) {
    const Row& r = rows[i];
    INFO("bar " << r.bar);
    const Signal& sig = fired[i].sig;
    CHECK(fired[i].bar == r.bar);
    CHECK(sig.signal_type == "momentum_exhaustion");
    CHECK(sig.direction == r.direction);
    CHECK(sig.ticker == "GOLD");
    CHECK(sig.timeframe == "1d");
    CHECK(printed(sig.entry_price, r.entry, 4));
    CHECK(printed(sig.stop_loss, r.stop, 4));
    CHECK(printed(sig.target_price, r.target, 4));
    CHECK(sig.conviction == r.conviction);
    CHECK(sig.ts_us == kClock0 + static_cast<std::int64_t>(r.bar) * kClockStep5m);
    CHECK(axion::sdk::metadata_json(sig) == json{{"strategy", "rsi_divergence"}});
    // The intended sign: the RSI term adds to conviction.
    const auto e = reference(s, r.bar);
    REQUIRE(e.has_value());
    CHECK(e->raw_conviction > 55);
  }
}

TEST_CASE("GOLD: every window matches a direct recomputation of the rule", "[golden]") {
  check_against_reference(gold_run(), gold_series());
}

TEST_CASE("every emitted signal is well formed with protective stop and target", "[golden]") {
  std::size_t longs = 0, shorts = 0;
  for (const auto& f : gold_run()) {
    INFO("bar " << f.bar);
    check_well_formed(f.sig);
    (f.sig.direction == "long" ? longs : shorts) += 1;
  }
  CHECK(longs > 0);
  CHECK(shorts > 0);
}

// ---- hand-built scenarios ---------------------------------------------------------------------

TEST_CASE("bullish divergence: every field", "[rule]") {
  // Recent window 24..33: low 86.6 (bar 32), RSI low 100 − 100/1.32 = 24.2424… (bar 26, G 4.8,
  // Lo 15). Prior 14..23: low 88.1 (bar 19), RSI low 25/3 (bar 19, G 1.2, Lo 13.2).
  // |Δ%| = 1.5/88.1·100 = 1.7026…; conviction 55 + 5.1078 + 0.5·15.909 = 68.06 → 68.
  const Series s = divergence();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s, 0, SIZE_MAX, "ACME", "5m");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 33);
  const Signal& sig = fired[0].sig;
  const double stop = 86.6 * 0.98;
  const double conviction = 55 + 3 * (1.5 / 88.1 * 100) + 0.5 * ((100 - 100 / 1.32) - 25.0 / 3);
  CHECK(sig.signal_type == "momentum_exhaustion");
  CHECK(sig.direction == "long");
  CHECK(sig.ticker == "ACME");
  CHECK(sig.timeframe == "1d");  // the spec's hard-coded label, whatever the bar's timeframe
  CHECK(sig.entry_price == Approx(87.3).epsilon(1e-12));
  CHECK(sig.stop_loss == Approx(stop).epsilon(1e-9));
  CHECK(sig.stop_loss == Approx(84.868).epsilon(1e-9));
  CHECK(sig.target_price == Approx(87.3 + 2 * (87.3 - stop)).epsilon(1e-9));
  CHECK(sig.target_price == Approx(92.164).epsilon(1e-9));
  CHECK(sig.conviction == static_cast<int>(conviction));
  CHECK(sig.conviction == 68);
  CHECK(sig.ts_us == kClock0 + 33 * kClockStep5m);
  CHECK(axion::sdk::metadata_json(sig) == json{{"strategy", "rsi_divergence"}});
}

TEST_CASE("bearish divergence: every field", "[rule]") {
  // The mirror: recent high 113.4, prior high 111.9, RSI highs 75.7576 (recent) < 91.6667.
  // |Δ%| = 1.5/111.9·100 = 1.3405; conviction 55 + 4.0214 + 0.5·15.909 = 66.98 → 66.
  const Series s = divergence(true);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 33);
  const Signal& sig = fired[0].sig;
  const double stop = 113.4 * 1.02;
  const double conviction = 55 + 3 * (1.5 / 111.9 * 100) + 0.5 * ((100 - 25.0 / 3) - 100 / 1.32);
  CHECK(sig.signal_type == "momentum_exhaustion");
  CHECK(sig.direction == "short");
  CHECK(sig.ticker == "GOLD");
  CHECK(sig.timeframe == "1d");
  CHECK(sig.entry_price == Approx(112.7).epsilon(1e-12));
  CHECK(sig.stop_loss == Approx(115.668).epsilon(1e-9));
  CHECK(sig.target_price == Approx(112.7 - 2 * (stop - 112.7)).epsilon(1e-9));
  CHECK(sig.target_price == Approx(106.764).epsilon(1e-9));
  CHECK(sig.conviction == static_cast<int>(conviction));
  CHECK(sig.conviction == 66);
  CHECK(sig.ts_us == kClock0 + 33 * kClockStep5m);
  CHECK(axion::sdk::metadata_json(sig) == json{{"strategy", "rsi_divergence"}});
}

TEST_CASE("gates: volume, thresholds, risk_reward, lookback", "[rule]") {
  SECTION("last volume below the 20-bar mean; volume_confirmation false lifts the gate") {
    Series s = divergence();
    s.volume.back() = 990;
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run_series(h, host, s).empty());
    FakeHost host2;
    PluginHarness h2(AXION_PLUGIN_SO, host2, json{{"volume_confirmation", false}});
    CHECK(run_series(h2, host2, s).size() == 1);
  }
  SECTION("min_price_change_pct above |Δ%|") {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"min_price_change_pct", 1.8}});
    CHECK(run_series(h, host, divergence()).empty());
    FakeHost host2;
    PluginHarness h2(AXION_PLUGIN_SO, host2, json{{"min_price_change_pct", 1.7}});
    CHECK(run_series(h2, host2, divergence()).size() == 1);
  }
  SECTION("recent RSI low not oversold / high not overbought") {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"rsi_oversold", 24.0}});
    CHECK(run_series(h, host, divergence()).empty());
    FakeHost host2;
    PluginHarness h2(AXION_PLUGIN_SO, host2, json{{"rsi_overbought", 76.0}});
    CHECK(run_series(h2, host2, divergence(true)).empty());
  }
  SECTION("risk_reward sets the target") {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"risk_reward", 3.0}});
    const auto fired = run_series(h, host, divergence());
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].sig.target_price == Approx(87.3 + 3 * (87.3 - 86.6 * 0.98)).epsilon(1e-9));
  }
  SECTION("other lookback and period values follow the direct recomputation") {
    const Series s = gold_series();
    for (const auto& [period, lookback] : {std::pair{7, 5}, std::pair{14, 15}, std::pair{3, 4}}) {
      INFO("period " << period << " lookback " << lookback);
      Params p;
      p.period = static_cast<std::size_t>(period), p.lookback = static_cast<std::size_t>(lookback);
      FakeHost host;
      PluginHarness h(AXION_PLUGIN_SO, host,
                      json{{"rsi_period", period}, {"lookback_bars", lookback}});
      check_against_reference(run_series(h, host, s), s, p);
    }
  }
  SECTION("zero volumes, constant prices, a single bar") {
    Series flat;
    for (int i = 0; i < 60; ++i) flat.push(100, 100, 100, 100, 1000);
    Series zero = divergence();
    for (auto& v : zero.volume) v = 0;
    Series one;
    one.push(100, 101, 99, 100, 1000);
    for (const Series* s : {&flat, &one}) {
      FakeHost host;
      PluginHarness h(AXION_PLUGIN_SO, host);
      CHECK(run_series(h, host, *s).empty());
    }
    // Zero volumes pass the volume gate (0 is not below a mean of 0); the rule is price-based.
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run_series(h, host, zero).size() == 1);
  }
}

// ---- minimum bars and warm-up -----------------------------------------------------------------

TEST_CASE("minimum 34 bars: one bar short gives nothing", "[warmup]") {
  const Series full = divergence();
  Series short_by_one;
  for (std::size_t i = 1; i < full.size(); ++i) {
    short_by_one.push(full.open[i], full.high[i], full.low[i], full.close[i], full.volume[i]);
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  CHECK(run_series(h, host, short_by_one).empty());
  // Feeding one more bar in front (the full scenario) fires on its 34th bar.
  FakeHost host2;
  PluginHarness h2(AXION_PLUGIN_SO, host2);
  CHECK(run_series(h2, host2, full).size() == 1);
}

TEST_CASE("warm-up bars update the state but emit nothing", "[warmup]") {
  const Series s = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  // Bars 0..80 are warm-up: the first two firings (79, 80) fall in it.
  const std::vector<Fired> fired = run_series(h, host, s, 0, SIZE_MAX, "GOLD", "1d", {}, 81);
  const auto& clean = gold_run();
  REQUIRE(fired.size() == clean.size() - 2);
  for (std::size_t i = 0; i < fired.size(); ++i) {
    CHECK(fired[i].bar == clean[i + 2].bar);
    CHECK(fired[i].sig.stop_loss == clean[i + 2].sig.stop_loss);
    CHECK(fired[i].sig.conviction == clean[i + 2].sig.conviction);
  }
}

TEST_CASE("timestamps: daily bars (16:00 ET) give the same signals as compatibility mode",
          "[session]") {
  Series s = gold_series();
  s.ts_us.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    s.ts_us[i] = et_us(1, 16 * 60) + static_cast<std::int64_t>(i) * 86'400'000'000;
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s, 0, SIZE_MAX, "GOLD", "1d");
  const auto& clean = gold_run();
  REQUIRE(fired.size() == clean.size());
  for (std::size_t i = 0; i < fired.size(); ++i) {
    CHECK(fired[i].bar == clean[i].bar);
    CHECK(fired[i].sig.direction == clean[i].sig.direction);
    CHECK(fired[i].sig.stop_loss == clean[i].sig.stop_loss);
    CHECK(fired[i].sig.conviction == clean[i].sig.conviction);
  }
}

// ---- config -----------------------------------------------------------------------------------

TEST_CASE("config: schema, defaults and rejected tables", "[config]") {
  FakeHost host;
  {
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(std::string(h.manifest().name) == "rsi_divergence");
    CHECK(std::string(h.manifest().description) == "RSI divergence detection");
    CHECK(h.manifest().kind == AXION_KIND_STRATEGY);
    const json defaults = schema_defaults(h);
    CHECK(defaults == json{{"rsi_period", 14},
                           {"lookback_bars", 10},
                           {"rsi_oversold", 35.0},
                           {"rsi_overbought", 65.0},
                           {"min_price_change_pct", 1.0},
                           {"volume_confirmation", true},
                           {"risk_reward", 2.0},
                           {"timeframes", json::array()}});
  }
  CHECK_NOTHROW(PluginHarness(
      AXION_PLUGIN_SO, host,
      json{{"lookback_bars", 5}, {"volume_confirmation", false}, {"timeframes", {"1d"}}}));
  struct Bad {
    json table;
    std::string key;
  };
  const std::vector<Bad> bad{
      {{{"bogus", 1}}, "bogus"},
      {{{"rsi_period", 0}}, "rsi_period"},
      {{{"lookback_bars", 0}}, "lookback_bars"},
      {{{"lookback_bars", 5000}}, "lookback_bars"},
      {{{"rsi_oversold", -5.0}}, "rsi_oversold"},
      {{{"rsi_overbought", 100.5}}, "rsi_overbought"},
      {{{"min_price_change_pct", -1.0}}, "min_price_change_pct"},
      {{{"volume_confirmation", 1}}, "volume_confirmation"},
      {{{"risk_reward", 0.0}}, "risk_reward"},
      {{{"rsi_oversold", 65.0}}, "rsi_oversold"},  // not below rsi_overbought (65)
      {{{"rsi_oversold", 50.0}, {"rsi_overbought", 40.0}}, "rsi_oversold"},
      {{{"timeframes", {"1w"}}}, "timeframes"},
  };
  for (const auto& c : bad) {
    INFO(c.table.dump());
    CHECK(axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, c.table) == c.key);
  }
}

TEST_CASE("timeframes selects the series", "[config]") {
  const Series s = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"timeframes", {"1h"}}});
  CHECK(run_series(h, host, s, 0, SIZE_MAX, "GOLD", "1d").empty());
  CHECK(run_series(h, host, s, 0, SIZE_MAX, "GOLD", "1h").size() == gold_run().size());
}

// ---- state ------------------------------------------------------------------------------------

TEST_CASE("interleaved series keep separate state", "[state]") {
  const Series a = gold_series();
  const Series b = divergence(true);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::vector<Fired> mixed_a, mixed_b;
  for (std::size_t t = 0; t < a.size(); ++t) {
    for (auto& f : run_series(h, host, a, t, t + 1, "GOLD", "1d")) mixed_a.push_back(std::move(f));
    if (t < b.size()) {
      for (auto& f : run_series(h, host, b, t, t + 1, "ACME", "1d"))
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
  CHECK(mixed_b[0].sig.conviction == 66);
  CHECK(mixed_b[0].sig.ticker == "ACME");
}

TEST_CASE("invalid and out-of-order bars are rejected without touching the series", "[state]") {
  Series s = gold_series();
  s.ts_us.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    s.ts_us[i] = et_us(1, 16 * 60) + static_cast<std::int64_t>(i) * 86'400'000'000;
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  auto fired = run_series(h, host, s, 0, 79, "GOLD", "1d");
  axion::sdk::Bar bad = s.bar(79, "GOLD", "1d");
  bad.open = 0;
  CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
  bad = s.bar(79, "GOLD", "1d");
  bad.volume = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
  CHECK_THROWS_AS(h.on_bar(s.bar(78 - 10, "GOLD", "1d").as_view()), PluginCallError);
  for (auto& f : run_series(h, host, s, 79, SIZE_MAX, "GOLD", "1d")) fired.push_back(std::move(f));
  const auto& clean = gold_run();
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
  run_series(h, host, s, 0, 5, "GOLD", "1d");  // the series exists and its key buffer is sized
  std::size_t quiet_bars = 0, quiet_allocs = 0;
  for (std::size_t t = 5; t < s.size(); ++t) {
    const axion::sdk::Bar b = s.bar(t, "GOLD", "1d");
    AllocationCounter counter;
    const auto out = h.on_bar(b.as_view());
    const std::size_t allocs = counter.stop();
    if (out.empty()) ++quiet_bars, quiet_allocs += allocs;
  }
  CHECK(quiet_bars > 200);
  CHECK(quiet_allocs == 0);
}
