// strategy/qullamaggie_breakout: the built plugin driven through its C ABI with FakeHost, checked
// against a direct array recomputation of strategies.md §10.7 on every window, the GOLD vector
// (§16.5: never fires) and a hand-built flag breakout that fires (§16.6, §17).
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
  double prior_gain_pct = 30.0;
  std::size_t min_bars = 10, max_bars = 60;
  double pullback_max_pct = 25.0, contraction = 0.7, volume_mult = 1.5, adr_min = 5.0;
  double atr_mult = 1.0, price_min = 5.0, avg_volume_min = 300'000.0;
  json to_json() const {
    return json{{"prior_gain_pct", prior_gain_pct},
                {"consolidation_min_bars", min_bars},
                {"consolidation_max_bars", max_bars},
                {"pullback_max_pct", pullback_max_pct},
                {"volume_contraction_ratio", contraction},
                {"breakout_volume_mult", volume_mult},
                {"adr_min_pct", adr_min},
                {"stop_atr_mult", atr_mult},
                {"price_min", price_min},
                {"avg_volume_min", avg_volume_min}};
  }
};

struct Ref {
  double entry, stop, target;
  int conviction;
  double gain, range_pct, vol_mult, adr, sma10, sma20;
  std::size_t cons_bars;
  bool higher_lows;
};

double mean_of(const std::vector<double>& x, std::size_t a, std::size_t b) {  // [a, b)
  double s = 0;
  for (std::size_t i = a; i < b; ++i) s += x[i];
  return s / static_cast<double>(b - a);
}

bool ref_higher_lows(const std::vector<double>& lows) {
  if (lows.size() < 3) return false;
  std::vector<double> swings;
  for (std::size_t i = 1; i + 1 < lows.size(); ++i) {
    if (lows[i] <= lows[i - 1] && lows[i] <= lows[i + 1]) swings.push_back(lows[i]);
  }
  if (swings.size() < 2) return false;
  for (std::size_t i = 1; i < swings.size(); ++i) {
    if (!(swings[i] > swings[i - 1])) return false;
  }
  return true;
}

std::optional<Ref> reference(const Series& s, std::size_t n, const Cfg& c) {
  const auto& H = s.high;
  const auto& L = s.low;
  const auto& C = s.close;
  const auto& V = s.volume;
  if (n < c.max_bars + 7) return std::nullopt;
  const std::size_t t = n - 1;
  if (C[t] < c.price_min) return std::nullopt;
  const double avg_vol = mean_of(V, n - std::min<std::size_t>(n, 20), n);
  if (avg_vol < c.avg_volume_min) return std::nullopt;
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
  // Largest run-up, the low before the high, over the last min(n, M+7) closes.
  const std::size_t w = std::min(n, c.max_bars + 7);
  double gain = 0;
  if (w >= 5) {
    for (std::size_t j = n - w; j < n; ++j) {
      double mn = *std::min_element(C.begin() + static_cast<long>(n - w),
                                    C.begin() + static_cast<long>(j) + 1);
      if (mn <= 0) {
        gain = 0;
        break;
      }
      gain = std::max(gain, (C[j] - mn) / mn * 100.0);
    }
  }
  if (gain < c.prior_gain_pct) return std::nullopt;
  // detect_consolidation on bars 0 … t−1.
  const std::size_t np = n - 1;
  if (np < c.min_bars + 5) return std::nullopt;
  const std::size_t search_end = np - c.min_bars;
  std::size_t peak = 0;
  for (std::size_t i = 1; i < search_end; ++i) {
    if (H[i] > H[peak]) peak = i;
  }
  const std::size_t duration = np - 1 - peak;
  if (duration < c.min_bars || duration > c.max_bars) return std::nullopt;
  double ch = H[peak + 1], cl = L[peak + 1];
  for (std::size_t i = peak + 1; i < np; ++i) ch = std::max(ch, H[i]), cl = std::min(cl, L[i]);
  if (cl <= 0) return std::nullopt;
  const double range = (ch - cl) / cl * 100.0;
  if ((H[peak] - cl) / H[peak] * 100.0 > c.pullback_max_pct) return std::nullopt;
  const bool hl = ref_higher_lows(std::vector<double>(L.begin() + static_cast<long>(peak) + 1,
                                                      L.begin() + static_cast<long>(np)));
  if (mean_of(V, peak + 1, np) / std::max(avg_vol, 1.0) > c.contraction) return std::nullopt;
  if (!(C[t] > ch)) return std::nullopt;
  const double vm = V[t] / std::max(avg_vol, 1.0);
  if (vm < c.volume_mult) return std::nullopt;
  double atr = 0;
  if (n >= 15) {
    double sum = 0;
    for (std::size_t i = n - 14; i < n; ++i) {
      sum += std::max({H[i] - L[i], std::fabs(H[i] - C[i - 1]), std::fabs(L[i] - C[i - 1])});
    }
    atr = sum / 14;
  }
  Ref r{};
  r.entry = C[t];
  r.stop = std::max(L[t], C[t] - c.atr_mult * atr);
  const double risk = r.entry - r.stop;
  r.target = risk > 0 ? r.entry + 2 * risk : r.entry * 1.05;
  int conv = 60 + std::max(0, static_cast<int>(std::min(10.0, 5 * (vm - c.volume_mult))));
  conv += adr > 8 ? 5 : adr > 6 ? 3 : 0;
  conv += range < 10 ? 10 : range < 15 ? 5 : 0;
  conv += hl ? 5 : 0;
  r.conviction = std::min(conv, 90);
  r.gain = gain, r.range_pct = range, r.vol_mult = vm, r.adr = adr;
  r.sma10 = mean_of(C, n - 10, n), r.sma20 = mean_of(C, n - 20, n);
  r.cons_bars = duration, r.higher_lows = hl;
  return r;
}

// ---- driving the plugin ---------------------------------------------------------------------

// All of `s` as `sym`/`tf`; the engine clock stands at 1.8e15 µs + the bar index.
std::vector<Fired> run(PluginHarness& h, FakeHost& host, const Series& s,
                       const std::string& sym = "TEST", const std::string& tf = "1d",
                       std::size_t warmup_until = 0) {
  return run_series(h, host, s, 0, SIZE_MAX, sym, tf, {1'800'000'000'000'000, 1}, warmup_until);
}

// The §16.6 breakout acceptance scenario: a 40-bar base near 10 (`base` bars of it kept), a
// 20-bar run-up to 20, a 12-bar flag with higher lows on light volume, then a close above the
// flag on heavy volume (the last bar).
Series flag_breakout(std::size_t base = 40) {
  Series s;
  auto bar = [&](double o, double c, double v) {
    const double r = 0.06 * std::min(o, c);
    s.push(o, std::max(o, c) + r / 2, std::min(o, c) - r / 2, c, v);
  };
  for (std::size_t i = 40 - base; i < 40; ++i) bar(10.0, i % 2 ? 10.2 : 9.8, 2e6);
  for (int i = 0; i < 20; ++i) {
    const double c = 10.5 + 0.5 * i;
    bar(c - 0.4, c, 2e6);
  }
  const double flag[12][2] = {{19.0, 18.0}, {18.6, 17.5}, {19.2, 18.2}, {18.9, 17.9},
                              {19.4, 18.5}, {19.1, 18.3}, {19.5, 18.7}, {19.2, 18.6},
                              {19.6, 18.9}, {19.3, 18.8}, {19.7, 19.1}, {19.5, 19.0}};
  for (const auto& f : flag) {
    const double c = (f[0] + f[1]) / 2;
    s.push(c, f[0], f[1], c, 6e5);
  }
  s.push(19.6, 21.0, 19.5, 20.8, 4e6);
  return s;
}

// A volatile random walk with volume bursts, so that relaxed settings fire often.
Series random_series(std::uint64_t seed, std::size_t n = 400) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Series s;
  double c = 50;
  for (std::size_t i = 0; i < n; ++i) {
    const double o = c * (1 + 0.02 * (u(rng) - 0.5));
    const double drift = (i / 40) % 2 == 0 ? 0.012 : -0.004;
    c = std::max(1.0, o * (1 + drift + 0.05 * (u(rng) - 0.5)));
    const double h = std::max(o, c) * (1 + 0.03 * u(rng));
    const double l = std::min(o, c) * (1 - 0.03 * u(rng));
    const double v = 1e5 + 1e6 * u(rng) * (u(rng) < 0.15 ? 5 : 1);
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
    CHECK(g.signal_type == "trend_aligned_long");
    CHECK(g.direction == "long");
    CHECK(g.conviction == ref->conviction);
    CHECK(rel_close(g.entry_price, ref->entry));
    CHECK(rel_close(g.stop_loss, ref->stop));
    CHECK(rel_close(g.target_price, ref->target));
    CHECK(g.stop_loss < g.entry_price);
    CHECK(g.target_price > g.entry_price);
    CHECK(axion::sdk::metadata_json(g).at("consolidation_bars") == ref->cons_bars);
    CHECK(axion::sdk::metadata_json(g).at("higher_lows") == ref->higher_lows);
    CHECK(std::fabs(axion::sdk::metadata_json(g).at("prior_gain_pct").get<double>() - ref->gain) <= 0.05 + 1e-9);
    CHECK(std::fabs(axion::sdk::metadata_json(g).at("trail_sma_20").get<double>() - ref->sma20) <= 0.005 + 1e-9);
  }
}

}  // namespace

TEST_CASE("GOLD never fires (§16.5) and agrees with the direct rule at every window", "[gold]") {
  const Series gold = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  CHECK(std::string(h.manifest().name) == "qullamaggie_breakout");
  CHECK(std::string(h.manifest().description) == "Qullamaggie flag breakout");
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
  relaxed.prior_gain_pct = 15, relaxed.min_bars = 3, relaxed.max_bars = 25;
  relaxed.pullback_max_pct = 40, relaxed.contraction = 1.5, relaxed.volume_mult = 0.8;
  relaxed.adr_min = 2, relaxed.avg_volume_min = 0, relaxed.price_min = 1;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    check_against_reference(random_series(seed), relaxed, fired);
    check_against_reference(random_series(seed + 100), Cfg{}, fired);
  }
  INFO("signals compared: " << fired);
  CHECK(fired >= 30);
  // The acceptance scenario through the same comparison.
  std::size_t scenario = 0;
  check_against_reference(flag_breakout(), Cfg{}, scenario);
  CHECK(scenario == 1);
}

TEST_CASE("flag breakout scenario fires with every field asserted (§16.6)", "[scenario]") {
  const Series s = flag_breakout();
  REQUIRE(s.size() == 73);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run(h, host, s, "FLAG", "1d");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 72);
  const Signal& g = fired[0].sig;
  CHECK(g.signal_type == "trend_aligned_long");
  CHECK(g.direction == "long");
  CHECK(g.ticker == "FLAG");
  CHECK(g.timeframe == "1d");
  CHECK(g.ts_us == 1'800'000'000'000'072);  // the engine clock, not the bar time
  CHECK(g.conviction == 78);  // 60 + int(5·(3.1746 − 1.5)) 8 + range 12.6 % → 5 + higher lows 5
  CHECK(rel_close(g.entry_price, 20.8));
  // ATR(14) = 1.009 → stop = max(19.5, 20.8 − 1.009) = 19.791; target = entry + 2·risk.
  CHECK(rel_close(g.stop_loss, 19.791));
  CHECK(rel_close(g.target_price, 22.818));
  const json expected{{"strategy", "qullamaggie_breakout"},
                      {"prior_gain_pct", 112.2},
                      {"consolidation_bars", 12},
                      {"consolidation_range_pct", 12.6},
                      {"breakout_volume_mult", 3.2},
                      {"adr_pct", 5.9},
                      {"trail_sma_10", 19.18},
                      {"trail_sma_20", 18.83},
                      {"higher_lows", true}};
  CHECK(axion::sdk::metadata_json(g) == expected);

  // The same bar with the consolidation's high above the close: the flag must be broken.
  Series below = s;
  below.close.back() = 19.65, below.open.back() = 19.55;
  FakeHost host2;
  PluginHarness h2(AXION_PLUGIN_SO, host2);
  CHECK(run(h2, host2, below).empty());
}

TEST_CASE("min bars: 67 fire, 66 do not, warm-up bars never emit", "[warmup]") {
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const Series s = flag_breakout(34);
    REQUIRE(s.size() == 67);
    const auto fired = run(h, host, s);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].bar == 66);
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const Series s = flag_breakout(33);
    REQUIRE(s.size() == 66);
    CHECK(run(h, host, s).empty());
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const Series s = flag_breakout();
    CHECK(run(h, host, s, "FLAG", "1d", s.size()).empty());  // every bar flagged warm-up
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run(h, host, flag_breakout(), "FLAG", "1d", 72).size() == 1);  // state kept in warm-up
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    Series one;
    one.push(10, 11, 9, 10.5, 1e6);
    CHECK(run(h, host, one).empty());
  }
}

TEST_CASE("each gate of §10.7 rejects the scenario", "[scenario]") {
  auto fires = [](const Series& s, const json& cfg) {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, cfg);
    return run(h, host, s).size();
  };
  const Series s = flag_breakout();
  CHECK(fires(s, json::object()) == 1);
  CHECK(fires(s, {{"prior_gain_pct", 113.0}}) == 0);  // gain 112.2 %
  CHECK(fires(s, {{"prior_gain_pct", 112.0}}) == 1);
  CHECK(fires(s, {{"price_min", 21.0}}) == 0);             // close 20.8
  CHECK(fires(s, {{"avg_volume_min", 2e6}}) == 0);         // avg volume 1.26 M
  CHECK(fires(s, {{"adr_min_pct", 6.0}}) == 0);            // ADR 5.94 %
  CHECK(fires(s, {{"consolidation_max_bars", 11}}) == 0);  // a 12-bar flag
  // m = 13: the peak is searched in H[0 … t−m−1], i.e. bar 58; its 13-bar "flag" still fires.
  CHECK(fires(s, {{"consolidation_min_bars", 13}}) == 1);
  // m = 20: the peak moves back to bar 51 and the heavy run-up volume is inside the span.
  CHECK(fires(s, {{"consolidation_min_bars", 20}}) == 0);
  CHECK(fires(s, {{"pullback_max_pct", 14.0}}) == 0);                          // pullback 15.05 %
  CHECK(fires(s, {{"volume_contraction_ratio", 0.4}}) == 0);                   // 0.476
  CHECK(fires(s, {{"breakout_volume_mult", 3.2}}) == 0);                       // 3.17×
  CHECK(fires(s, {{"risk_per_trade", 0.9}, {"max_position_pct", 0.9}}) == 1);  // reserved

  // An all-time high outside the consolidation window: the peak is the whole history's.
  Series spike = s;
  spike.high[5] = 30.0;
  CHECK(fires(spike, json::object()) == 0);
  // A weak breakout bar volume.
  Series quiet = s;
  quiet.volume.back() = 1.2e6;
  CHECK(fires(quiet, json::object()) == 0);
}

TEST_CASE("emitted stops and targets are on the protective sides", "[sides]") {
  Cfg relaxed;
  relaxed.prior_gain_pct = 10, relaxed.min_bars = 3, relaxed.max_bars = 20;
  relaxed.pullback_max_pct = 50, relaxed.contraction = 3, relaxed.volume_mult = 0.1;
  relaxed.adr_min = 0, relaxed.avg_volume_min = 0, relaxed.price_min = 0;
  std::size_t rule_fires = 0, emitted = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const Series s = random_series(seed);
    for (std::size_t t = 0; t < s.size(); ++t) rule_fires += reference(s, t + 1, relaxed) ? 1 : 0;
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, relaxed.to_json());
    for (const auto& f : run(h, host, s)) {
      ++emitted;
      CHECK(f.sig.stop_loss < f.sig.entry_price);
      CHECK(f.sig.target_price > f.sig.entry_price);
    }
  }
  CHECK(emitted > 0);
  CHECK(emitted == rule_fires);

  // stop_atr_mult 0: stop = max(L, C) = C, on the wrong side; the rule fires, nothing is emitted.
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"stop_atr_mult", 0.0}});
  Cfg zero;
  zero.atr_mult = 0;
  const Series s = flag_breakout();
  CHECK(reference(s, s.size(), zero).has_value());
  CHECK(run(h, host, s).empty());
}

TEST_CASE("config: schema, defaults and rejected tables name the key", "[config]") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const std::map<std::string, json> defaults = schema_defaults(h);
  const std::map<std::string, json> spec{{"prior_gain_pct", 30.0},
                                         {"consolidation_min_bars", 10},
                                         {"consolidation_max_bars", 60},
                                         {"pullback_max_pct", 25.0},
                                         {"volume_contraction_ratio", 0.7},
                                         {"breakout_volume_mult", 1.5},
                                         {"adr_min_pct", 5.0},
                                         {"stop_atr_mult", 1.0},
                                         {"risk_per_trade", 0.005},
                                         {"max_position_pct", 0.20},
                                         {"price_min", 5.0},
                                         {"avg_volume_min", 300000.0},
                                         {"timeframes", json::array()}};
  CHECK(defaults == spec);

  const std::string so = AXION_PLUGIN_SO;
  CHECK(config_error_key(so, {{"bogus", 1}}) == "bogus");
  CHECK(config_error_key(so, {{"consolidation_min_bars", 0}}) == "consolidation_min_bars");
  CHECK(config_error_key(so, {{"consolidation_max_bars", 5000}}) == "consolidation_max_bars");
  CHECK(config_error_key(so, {{"pullback_max_pct", -1.0}}) == "pullback_max_pct");
  CHECK(config_error_key(so, {{"risk_per_trade", 2.0}}) == "risk_per_trade");
  CHECK(config_error_key(so, {{"price_min", "5"}}) == "price_min");
  CHECK(config_error_key(so, {{"consolidation_min_bars", 30}, {"consolidation_max_bars", 20}}) ==
        "consolidation_min_bars");
  CHECK(config_error_key(so, {{"timeframes", {"1d", "2d"}}}) == "timeframes");
  CHECK(config_error_key(so, {{"consolidation_min_bars", 20},
                              {"consolidation_max_bars", 20},
                              {"timeframes", {"1d"}}}) == "<accepted>");
}

TEST_CASE("timeframes filter, timestamps, symbols and invalid bars", "[state]") {
  const Series s = flag_breakout();
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"timeframes", {"1h"}}});
    CHECK(run(h, host, s, "FLAG", "1d").empty());
    CHECK(run(h, host, s, "FLAG", "1h").size() == 1);
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
    CHECK(fired[0].bar == 72);
    CHECK(rel_close(fired[0].sig.stop_loss, 19.791));
    // An older bar of the same series is refused.
    CHECK_THROWS_AS(h.on_bar(ts.bar(10, "TEST", "1d").as_view()), PluginCallError);
  }
  {
    // Two symbols interleaved: each as if alone; an invalid bar leaves the series untouched.
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const Series g = gold_series(73);
    std::size_t flag_fires = 0, gold_fires = 0;
    for (std::size_t t = 0; t < s.size(); ++t) {
      axion::sdk::Bar bad = s.bar(t, "FLAG", "1d");
      bad.low = bad.high + 1;
      CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
      bad = s.bar(t, "FLAG", "1d");
      bad.volume = std::nan("");
      CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
      flag_fires += h.on_bar(s.bar(t, "FLAG", "1d").as_view()).size();
      gold_fires += h.on_bar(g.bar(t, "GOLD", "1d").as_view()).size();
    }
    CHECK(flag_fires == 1);
    CHECK(gold_fires == 0);
  }
}

TEST_CASE("no allocation per bar", "[perf]") {
  const Series gold = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  h.on_bar(gold.bar(0, "GOLD", "1d").as_view());  // creates the series
  const std::vector<axion::sdk::Bar> bars = [&] {
    std::vector<axion::sdk::Bar> v;
    for (std::size_t t = 1; t < gold.size(); ++t) v.push_back(gold.bar(t, "GOLD", "1d"));
    return v;
  }();
  AllocationCounter counter;
  std::size_t emitted = 0;
  for (const auto& b : bars) emitted += h.on_bar(b.as_view()).size();
  const std::size_t allocs = counter.stop();
  CHECK(emitted == 0);
  CHECK(allocs == 0);
}
