// strategy/qullamaggie_ep: the built plugin driven through its C ABI with FakeHost, checked against
// a direct array recomputation of strategies.md §10.8 on every window, the GOLD vector (§16.5:
// never fires) and the §16.6 EP scenario (§17: gap + spike fires, uniform volume does not).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

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

// ---- the rule, straight over the arrays of the window 0 … n−1 ----------------------------------

struct Cfg {
  double gap_min = 10.0, vol_mult_min = 2.0;
  std::size_t flat_bars = 60;
  double range_max = 30.0, adr_min = 3.5;
  json to_json() const {
    return json{{"gap_min_pct", gap_min},
                {"volume_mult_min", vol_mult_min},
                {"prior_flat_bars", flat_bars},
                {"prior_flat_max_range_pct", range_max},
                {"adr_min_pct", adr_min}};
  }
};

struct Ref {
  double entry, stop, target;
  int conviction;
  double gap, vol_mult, range, adr;
};

std::optional<Ref> reference(const Series& s, std::size_t n, const Cfg& c) {
  const auto& O = s.open;
  const auto& H = s.high;
  const auto& L = s.low;
  const auto& C = s.close;
  const auto& V = s.volume;
  if (n < c.flat_bars + 2) return std::nullopt;
  const std::size_t t = n - 1;
  const double gap = C[t - 1] <= 0 ? 0.0 : (O[t] - C[t - 1]) / C[t - 1] * 100.0;
  if (gap < c.gap_min) return std::nullopt;
  const std::size_t first = t >= 20 ? t - 20 : 0;
  double prev = 0;
  for (std::size_t i = first; i < t; ++i) prev += V[i];
  prev /= static_cast<double>(t - first);
  const double vm = V[t] / std::max(prev, 1.0);
  if (vm < c.vol_mult_min) return std::nullopt;
  double hi = C[t - c.flat_bars], lo = hi;
  for (std::size_t i = t - c.flat_bars; i < t; ++i)
    hi = std::max(hi, C[i]), lo = std::min(lo, C[i]);
  if (lo <= 0) return std::nullopt;
  const double range = (hi - lo) / lo * 100.0;
  if (range > c.range_max) return std::nullopt;
  double adr = 0;
  if (n >= 20) {
    double sum = 0;
    std::size_t k = 0;
    for (std::size_t i = n - 20; i < n; ++i) {
      if (L[i] > 0) sum += (H[i] - L[i]) / L[i] * 100.0, ++k;
    }
    adr = sum / static_cast<double>(std::max<std::size_t>(k, 1));
  }
  if (adr < c.adr_min) return std::nullopt;
  Ref r{};
  r.entry = C[t], r.stop = L[t];
  const double risk = r.entry - r.stop;
  r.target = risk > 0 ? r.entry + 2 * risk : r.entry * 1.10;
  int conv = 55;
  conv += std::max(0, std::min(15, 5 * static_cast<int>((gap - c.gap_min) / 5)));
  conv += std::max(0, std::min(10, 5 * static_cast<int>(vm - c.vol_mult_min)));
  conv += range < 15 ? 5 : range < 20 ? 3 : 0;
  conv += adr > 6 ? 5 : 0;
  r.conviction = std::min(conv, 90);
  r.gap = gap, r.vol_mult = vm, r.range = range, r.adr = adr;
  return r;
}

// ---- driving the plugin ---------------------------------------------------------------------

// All of `s` as `sym`/`tf`; the engine clock stands at 1.8e15 µs + the bar index.
std::vector<Fired> run(PluginHarness& h, FakeHost& host, const Series& s,
                       const std::string& sym = "TEST", const std::string& tf = "1d",
                       std::size_t warmup_until = 0) {
  return run_series(h, host, s, 0, SIZE_MAX, sym, tf, {1'800'000'000'000'000, 1}, warmup_until);
}

// §16.6 EP: 63 quiet bars, a flat bar 63, then the gap day 64. `skip` drops leading bars.
Series ep_scenario(std::size_t skip = 0, bool uniform_volume = false) {
  Series s;
  for (int t = 0; t < 63; ++t) {
    const double c = 30 + 0.4 * std::sin(t);
    const double o = c - 0.05;
    if (static_cast<std::size_t>(t) < skip) continue;
    s.push(o, std::max(o, c) + 0.6, std::min(o, c) - 0.6, c,
           uniform_volume ? 1e6 : 300'000.0 + 1000.0 * t);
  }
  s.push(29.95, 30.6, 29.35, 30.0, uniform_volume ? 1e6 : 363'000.0);
  s.push(34.5, 35.3, 34.2, 35.0, uniform_volume ? 1e6 : 1'500'000.0);
  return s;
}

// A random walk with occasional gap-ups and volume spikes.
Series random_series(std::uint64_t seed, std::size_t n = 400) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Series s;
  double c = 40;
  for (std::size_t i = 0; i < n; ++i) {
    const bool gap = u(rng) < 0.08;
    const double o = gap ? c * (1.03 + 0.15 * u(rng)) : c * (1 + 0.01 * (u(rng) - 0.5));
    c = std::max(1.0, o * (1 + 0.04 * (u(rng) - 0.5)));
    const double h = std::max(o, c) * (1 + 0.03 * u(rng));
    const double l = std::min(o, c) * (1 - 0.03 * u(rng));
    const double v = 2e5 + 1e6 * u(rng) * (gap ? 4 : 1);
    s.push(o, h, l, c, v);
  }
  return s;
}

void check_against_reference(const Series& s, const Cfg& cfg, std::size_t& fired_total) {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, cfg.to_json());
  for (std::size_t t = 0; t < s.size(); ++t) {
    const auto sigs = h.on_bar(s.bar(t, "RND", "1d").as_view());
    const auto ref = reference(s, t + 1, cfg);
    INFO("bar " << t);
    REQUIRE(sigs.size() == (ref ? 1u : 0u));
    if (!ref) continue;
    ++fired_total;
    const Signal& g = sigs[0];
    CHECK(g.signal_type == "cloud_cross_bullish");
    CHECK(g.direction == "long");
    CHECK(g.conviction == ref->conviction);
    CHECK(rel_close(g.entry_price, ref->entry));
    CHECK(rel_close(g.stop_loss, ref->stop));
    CHECK(rel_close(g.target_price, ref->target));
    CHECK(g.stop_loss < g.entry_price);
    CHECK(g.target_price > g.entry_price);
    CHECK(std::fabs(axion::sdk::metadata_json(g).at("gap_pct").get<double>() - ref->gap) <= 0.05 + 1e-9);
    CHECK(std::fabs(axion::sdk::metadata_json(g).at("volume_mult").get<double>() - ref->vol_mult) <= 0.05 + 1e-9);
    CHECK(std::fabs(axion::sdk::metadata_json(g).at("prior_range_pct").get<double>() - ref->range) <= 0.05 + 1e-9);
    CHECK(std::fabs(axion::sdk::metadata_json(g).at("adr_pct").get<double>() - ref->adr) <= 0.05 + 1e-9);
  }
}

std::size_t fires(const Series& s, const json& cfg = json::object()) {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, cfg);
  return run(h, host, s).size();
}

}  // namespace

TEST_CASE("GOLD never fires (§16.5) and agrees with the direct rule at every window", "[gold]") {
  const Series gold = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  CHECK(std::string(h.manifest().name) == "qullamaggie_ep");
  CHECK(std::string(h.manifest().description) == "Qullamaggie episodic pivot");
  std::size_t windows = 0;
  for (std::size_t t = 0; t < gold.size(); ++t) {
    const auto sigs = h.on_bar(gold.bar(t, "GOLD", "1d").as_view());
    windows += sigs.empty() ? 0 : 1;
    CHECK(sigs.empty() == !reference(gold, t + 1, Cfg{}).has_value());
  }
  CHECK(windows == 0);
}

TEST_CASE("incremental result equals the direct rule at every window of random series",
          "[reference]") {
  std::size_t fired = 0;
  Cfg relaxed;
  relaxed.gap_min = 4, relaxed.vol_mult_min = 1.2, relaxed.flat_bars = 20;
  relaxed.range_max = 60, relaxed.adr_min = 1;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    check_against_reference(random_series(seed), relaxed, fired);
    check_against_reference(random_series(seed + 100), Cfg{}, fired);
  }
  INFO("signals compared: " << fired);
  CHECK(fired >= 30);
  std::size_t scenario = 0;
  check_against_reference(ep_scenario(), Cfg{}, scenario);
  CHECK(scenario == 1);
}

TEST_CASE("EP scenario of §16.6 fires with every field asserted", "[scenario]") {
  const Series s = ep_scenario();
  REQUIRE(s.size() == 65);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run(h, host, s, "EPX", "1d");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 64);
  const Signal& g = fired[0].sig;
  CHECK(g.signal_type == "cloud_cross_bullish");
  CHECK(g.direction == "long");
  CHECK(g.ticker == "EPX");
  CHECK(g.timeframe == "1d");
  CHECK(g.ts_us == 1'800'000'000'000'064);  // the engine clock
  CHECK(g.entry_price == 35.0);             // the gap day's close, not its high
  CHECK(g.stop_loss == 34.2);
  CHECK(rel_close(g.target_price, 36.6));
  CHECK(g.conviction == 75);  // 55 + gap 15 % → 5 + volume 4.24× → 10 + base 2.7 % → 5
  const json expected{{"strategy", "qullamaggie_ep"},
                      {"gap_pct", 15.0},
                      {"volume_mult", 4.2},
                      {"prior_range_pct", 2.7},
                      {"adr_pct", 4.2}};
  CHECK(axion::sdk::metadata_json(g) == expected);
  CHECK(axion::sdk::metadata_json(g).at("gap_pct").get<double>() >= 10.0);
}

TEST_CASE("uniform volume does not fire (§17), whatever the multiplier", "[scenario]") {
  const Series s = ep_scenario(0, true);
  CHECK_FALSE(reference(s, s.size(), Cfg{}).has_value());
  CHECK(fires(s) == 0);
  CHECK(fires(s, {{"volume_mult_min", 3.0}}) == 0);
  // A 3× spike on otherwise uniform volume: fires at the default 2× and at exactly 3×.
  Series spike = s;
  spike.volume.back() = 3e6;
  CHECK(fires(spike) == 1);
  CHECK(fires(spike, {{"volume_mult_min", 3.0}}) == 1);
  CHECK(fires(spike, {{"volume_mult_min", 3.01}}) == 0);
}

TEST_CASE("each gate of §10.8 rejects the scenario, reserved keys change nothing", "[scenario]") {
  const Series s = ep_scenario();
  CHECK(fires(s) == 1);
  CHECK(fires(s, {{"gap_min_pct", 15.1}}) == 0);
  CHECK(fires(s, {{"gap_min_pct", 15.0}}) == 1);
  CHECK(fires(s, {{"volume_mult_min", 4.3}}) == 0);
  CHECK(fires(s, {{"prior_flat_max_range_pct", 2.6}}) == 0);
  CHECK(fires(s, {{"adr_min_pct", 4.3}}) == 0);
  CHECK(fires(s, {{"stop_at_lod", false}, {"earnings_only", true}, {"risk_per_trade", 0.5}}) == 1);
  // The gap day's high far above the close changes nothing: entry is the close.
  Series tall = s;
  tall.high.back() = 40.0;
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run(h, host, tall);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].sig.entry_price == 35.0);
  // A gap day closing on its low: stop = entry, on the wrong side → nothing emitted.
  Series on_low = s;
  on_low.low.back() = 35.0;
  CHECK(reference(on_low, on_low.size(), Cfg{}).has_value());
  CHECK(fires(on_low) == 0);
}

TEST_CASE("min bars: 62 fire, 61 do not, warm-up bars never emit", "[warmup]") {
  const Series s62 = ep_scenario(3), s61 = ep_scenario(4);
  REQUIRE(s62.size() == 62);
  REQUIRE(s61.size() == 61);
  CHECK(fires(s62) == 1);
  CHECK(fires(s61) == 0);
  CHECK(fires(s61, {{"prior_flat_bars", 59}}) == 1);  // the rest of the rule holds at 61
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const Series s = ep_scenario();
    CHECK(run(h, host, s, "EPX", "1d", s.size()).empty());
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run(h, host, ep_scenario(), "EPX", "1d", 64).size() == 1);
  }
  {
    Series one;
    one.push(10, 11, 9, 10.5, 1e6);
    CHECK(fires(one) == 0);
  }
}

TEST_CASE("config: schema, defaults and rejected tables name the key", "[config]") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const std::map<std::string, json> defaults = schema_defaults(h);
  const std::map<std::string, json> spec{
      {"gap_min_pct", 10.0},        {"volume_mult_min", 2.0},
      {"prior_flat_bars", 60},      {"prior_flat_max_range_pct", 30.0},
      {"adr_min_pct", 3.5},         {"stop_at_lod", true},
      {"risk_per_trade", 0.005},    {"earnings_only", false},
      {"timeframes", json::array()}};
  CHECK(defaults == spec);

  const std::string so = AXION_PLUGIN_SO;
  CHECK(config_error_key(so, {{"gap_pct", 10.0}}) == "gap_pct");
  CHECK(config_error_key(so, {{"prior_flat_bars", 0}}) == "prior_flat_bars");
  CHECK(config_error_key(so, {{"gap_min_pct", -5.0}}) == "gap_min_pct");
  CHECK(config_error_key(so, {{"stop_at_lod", 1}}) == "stop_at_lod");
  CHECK(config_error_key(so, {{"volume_mult_min", "2"}}) == "volume_mult_min");
  CHECK(config_error_key(so, {{"timeframes", {"5m", "1w"}}}) == "timeframes");
  CHECK(config_error_key(so, {{"prior_flat_bars", 1}, {"timeframes", {"1d"}}}) == "<accepted>");
}

TEST_CASE("timeframes filter, timestamps, symbols and invalid bars", "[state]") {
  const Series s = ep_scenario();
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"timeframes", {"1h"}}});
    CHECK(run(h, host, s, "EPX", "1d").empty());
    CHECK(run(h, host, s, "EPX", "1h").size() == 1);
  }
  {
    // Daily bars stamped 16:00 ET: the same result as compatibility mode (no session rules).
    Series ts = s;
    const std::int64_t day0 = axion::sdk::time::days_from_civil(2025, 1, 6);
    for (std::size_t i = 0; i < ts.size(); ++i) {
      ts.ts_us.push_back((day0 + static_cast<std::int64_t>(i)) * axion::sdk::time::kUsPerDay +
                         21LL * 3600 * 1'000'000);
    }
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const auto fired = run(h, host, ts);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].bar == 64);
    CHECK(fired[0].sig.entry_price == 35.0);
    CHECK_THROWS_AS(h.on_bar(ts.bar(10, "TEST", "1d").as_view()), PluginCallError);
  }
  {
    // Two symbols interleaved, each as if alone; invalid bars leave the series untouched.
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const Series g = gold_series(s.size());
    std::size_t ep_fires = 0, gold_fires = 0;
    for (std::size_t t = 0; t < s.size(); ++t) {
      axion::sdk::Bar bad = s.bar(t, "EPX", "1d");
      bad.open = 0;
      CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
      bad = s.bar(t, "EPX", "1d");
      bad.volume = -1;
      CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
      ep_fires += h.on_bar(s.bar(t, "EPX", "1d").as_view()).size();
      gold_fires += h.on_bar(g.bar(t, "GOLD", "1d").as_view()).size();
    }
    CHECK(ep_fires == 1);
    CHECK(gold_fires == 0);
  }
}

TEST_CASE("no allocation per bar", "[perf]") {
  const Series gold = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  h.on_bar(gold.bar(0, "GOLD", "1d").as_view());  // creates the series
  std::vector<axion::sdk::Bar> bars;
  for (std::size_t t = 1; t < gold.size(); ++t) bars.push_back(gold.bar(t, "GOLD", "1d"));
  AllocationCounter counter;
  std::size_t emitted = 0;
  for (const auto& b : bars) emitted += h.on_bar(b.as_view()).size();
  const std::size_t allocs = counter.stop();
  CHECK(emitted == 0);
  CHECK(allocs == 0);
}
