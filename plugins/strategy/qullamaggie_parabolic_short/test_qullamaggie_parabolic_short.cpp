// strategy/qullamaggie_parabolic_short: the built plugin driven through its C ABI with FakeHost,
// checked against a direct array recomputation of strategies.md §10.9 on every window, the GOLD
// vector (§16.5: never fires) and the §16.6 parabolic scenario (§17: up-day counter).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
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
  double surge_min = 100.0;
  std::size_t surge_bars = 20, up_days = 3;
  bool vwap_entry = true, stop_at_hod = true;
  std::size_t sma = 20;
  json to_json() const {
    return json{{"surge_min_pct", surge_min},     {"surge_max_bars", surge_bars},
                {"consecutive_up_days", up_days}, {"vwap_entry", vwap_entry},
                {"stop_at_hod", stop_at_hod},     {"target_sma_period", sma}};
  }
};

struct Ref {
  double entry, stop, target;
  int conviction;
  double surge, vwap;
  std::size_t up_days;
  bool red, below;
};

std::optional<Ref> reference(const Series& s, std::size_t n, const Cfg& c) {
  const auto& O = s.open;
  const auto& H = s.high;
  const auto& L = s.low;
  const auto& C = s.close;
  const auto& V = s.volume;
  if (n < c.surge_bars + 5) return std::nullopt;
  const std::size_t t = n - 1;
  // Every pair: the low from C[t−S … t−1] strictly before the high from C[t−S+1 … t].
  double surge = -1e300;
  for (std::size_t i = t - c.surge_bars; i < t; ++i) {
    if (C[i] <= 0) return std::nullopt;
    for (std::size_t j = i + 1; j <= t; ++j) surge = std::max(surge, (C[j] - C[i]) / C[i] * 100.0);
  }
  if (surge < c.surge_min) return std::nullopt;
  std::size_t up = 0;
  for (std::size_t i = t - 1; i >= 1 && C[i] > C[i - 1]; --i) ++up;
  if (up < c.up_days) return std::nullopt;
  const bool red = C[t] < O[t];
  double pv = 0, vol = 0;
  for (std::size_t i = n - std::min<std::size_t>(n, 20); i < n; ++i) {
    pv += (H[i] + L[i] + C[i]) / 3.0 * V[i];
    vol += V[i];
  }
  const double vwap = vol > 0 ? pv / vol : 0.0;
  const bool below = c.vwap_entry && C[t] < vwap;
  if (!red && !below) return std::nullopt;
  Ref r{};
  r.entry = C[t];
  r.stop = c.stop_at_hod ? H[t] : std::max({H[t], H[t - 1], H[t - 2]});
  if (n >= c.sma) {
    double sum = 0;
    for (std::size_t i = n - c.sma; i < n; ++i) sum += C[i];
    r.target = sum / static_cast<double>(c.sma);
  } else {
    r.target = r.entry * 0.85;
  }
  if (r.target >= r.entry) r.target = r.entry * 0.90;
  int conv = 55;
  conv += surge > 200 ? 10 : surge > 150 ? 5 : 0;
  conv += up >= 5 ? 10 : up >= 4 ? 5 : 0;
  conv += red ? 5 : 0;
  conv += below ? 5 : 0;
  r.conviction = std::min(conv, 90);
  r.surge = surge, r.vwap = vwap, r.up_days = up, r.red = red, r.below = below;
  return r;
}

// ---- driving the plugin ---------------------------------------------------------------------

// All of `s` as `sym`/`tf`; the engine clock stands at 1.8e15 µs + the bar index.
std::vector<Fired> run(PluginHarness& h, FakeHost& host, const Series& s,
                       const std::string& sym = "TEST", const std::string& tf = "1d",
                       std::size_t warmup_until = 0) {
  return run_series(h, host, s, 0, SIZE_MAX, sym, tf, {1'800'000'000'000'000, 1}, warmup_until);
}

// §16.6 Parabolic: C = 10.0 ×`flat`, then 10 + 0.8·i for i = 1…19, then `last_close`;
// O = C − 0.1 except the last O = `last_open`; H = max(O, C) + 0.3; L = min(O, C) − 0.3; V = 1e6.
Series parabolic(std::size_t flat = 10, double last_close = 24.0, double last_open = 25.5) {
  Series s;
  auto bar = [&](double o, double c) {
    s.push(o, std::max(o, c) + 0.3, std::min(o, c) - 0.3, c, 1e6);
  };
  for (std::size_t i = 0; i < flat; ++i) bar(10.0 - 0.1, 10.0);
  for (int i = 1; i <= 19; ++i) bar(10 + 0.8 * i - 0.1, 10 + 0.8 * i);
  bar(last_open, last_close);
  return s;
}

// Random surges and collapses, so that relaxed settings fire often.
Series random_series(std::uint64_t seed, std::size_t n = 400) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Series s;
  double c = 20;
  for (std::size_t i = 0; i < n; ++i) {
    const double drift = (i / 15) % 3 == 0 ? 0.06 : -0.03;
    const double o = c * (1 + 0.02 * (u(rng) - 0.5));
    c = std::max(1.0, o * (1 + drift + 0.06 * (u(rng) - 0.5)));
    const double h = std::max(o, c) * (1 + 0.02 * u(rng));
    const double l = std::min(o, c) * (1 - 0.02 * u(rng));
    s.push(o, h, l, c, 1e5 + 1e6 * u(rng));
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
    CHECK(g.signal_type == "momentum_exhaustion");
    CHECK(g.direction == "short");
    CHECK(g.conviction == ref->conviction);
    CHECK(rel_close(g.entry_price, ref->entry));
    CHECK(rel_close(g.stop_loss, ref->stop));
    CHECK(rel_close(g.target_price, ref->target));
    CHECK(g.stop_loss > g.entry_price);
    CHECK(g.target_price < g.entry_price);
    CHECK(g.target_price > 0);
    CHECK(std::fabs(axion::sdk::metadata_json(g).at("surge_pct").get<double>() - ref->surge) <= 0.05 + 1e-9);
    CHECK(std::fabs(axion::sdk::metadata_json(g).at("vwap").get<double>() - ref->vwap) <= 0.005 + 1e-9);
    CHECK(axion::sdk::metadata_json(g).at("consecutive_up_days") == ref->up_days);
    CHECK(axion::sdk::metadata_json(g).at("is_red_candle") == ref->red);
    CHECK(axion::sdk::metadata_json(g).at("below_vwap") == ref->below);
    CHECK(axion::sdk::metadata_json(g).at("target_sma") == cfg.sma);
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
  CHECK(std::string(h.manifest().name) == "qullamaggie_parabolic_short");
  CHECK(std::string(h.manifest().description) == "Qullamaggie parabolic short");
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
  relaxed.surge_min = 25, relaxed.surge_bars = 10, relaxed.up_days = 2;
  Cfg other = relaxed;
  other.stop_at_hod = false, other.vwap_entry = false, other.sma = 30;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    check_against_reference(random_series(seed), relaxed, fired);
    check_against_reference(random_series(seed + 50), other, fired);
    check_against_reference(random_series(seed + 100), Cfg{}, fired);
  }
  INFO("signals compared: " << fired);
  CHECK(fired >= 30);
  std::size_t scenario = 0;
  check_against_reference(parabolic(), Cfg{}, scenario);
  CHECK(scenario == 1);
}

TEST_CASE("parabolic scenario of §16.6 fires with every field asserted", "[scenario]") {
  const Series s = parabolic();
  REQUIRE(s.size() == 30);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run(h, host, s, "PARA", "1d");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 29);
  const Signal& g = fired[0].sig;
  CHECK(g.signal_type == "momentum_exhaustion");
  CHECK(g.direction == "short");
  CHECK(g.ticker == "PARA");
  CHECK(g.timeframe == "1d");
  CHECK(g.ts_us == 1'800'000'000'000'029);  // the engine clock
  CHECK(g.entry_price == 24.0);
  CHECK(rel_close(g.stop_loss, 25.8));
  CHECK(rel_close(g.target_price, 18.3));
  CHECK(g.conviction == 75);  // 55 + surge 152 % → 5 + 19 up days → 10 + red 5
  const json expected{{"strategy", "qullamaggie_parabolic_short"},
                      {"surge_pct", 152.0},
                      {"consecutive_up_days", 19},
                      {"is_red_candle", true},
                      {"below_vwap", false},
                      {"vwap", 18.29},
                      {"target_sma", 20}};
  CHECK(axion::sdk::metadata_json(g) == expected);
}

TEST_CASE("below-VWAP entry, HOD options and the target fallbacks", "[scenario]") {
  // A green bar that collapses below the 20-bar VWAP: fires only with vwap_entry.
  const Series crash = parabolic(10, 15.0, 14.9);
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const auto fired = run(h, host, crash);
    REQUIRE(fired.size() == 1);
    const Signal& g = fired[0].sig;
    CHECK(g.entry_price == 15.0);
    CHECK(rel_close(g.stop_loss, 15.3));
    CHECK(rel_close(g.target_price, 13.5));  // SMA 17.85 ≥ entry → entry·0.90
    CHECK(g.conviction == 75);               // 55 + 5 + 10 + below VWAP 5
    CHECK(axion::sdk::metadata_json(g).at("is_red_candle") == false);
    CHECK(axion::sdk::metadata_json(g).at("below_vwap") == true);
  }
  CHECK(fires(crash, {{"vwap_entry", false}}) == 0);
  // A green bar above the VWAP never fires.
  CHECK(fires(parabolic(10, 24.0, 23.9)) == 0);
  {
    // stop_at_hod false: the highest high of the last 3 bars; here the previous bar's.
    Series s = parabolic();
    s.high[28] = 27.0;
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"stop_at_hod", false}});
    const auto fired = run(h, host, s);
    REQUIRE(fired.size() == 1);
    CHECK(rel_close(fired[0].sig.stop_loss, 27.0));
  }
  {
    // Fewer bars than target_sma_period: target = entry·0.85.
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"target_sma_period", 100}});
    const auto fired = run(h, host, parabolic());
    REQUIRE(fired.size() == 1);
    CHECK(rel_close(fired[0].sig.target_price, 20.4));
    CHECK(axion::sdk::metadata_json(fired[0].sig).at("target_sma") == 100);
  }
  // Gates.
  CHECK(fires(parabolic(), {{"surge_min_pct", 152.1}}) == 0);
  CHECK(fires(parabolic(), {{"surge_min_pct", 151.9}}) == 1);
  CHECK(fires(parabolic(), {{"consecutive_up_days", 20}}) == 0);
  CHECK(fires(parabolic(), {{"consecutive_up_days", 19}}) == 1);
  CHECK(fires(parabolic(), {{"risk_per_trade", 0.9}}) == 1);  // reserved
  // The low must precede the high: the same closes reversed never fire.
  Series rev = parabolic();
  std::reverse(rev.close.begin(), rev.close.end());
  rev.open = rev.close, rev.high = rev.close, rev.low = rev.close;
  for (std::size_t i = 0; i < rev.size(); ++i) rev.high[i] += 0.3, rev.low[i] -= 0.3;
  rev.open.back() = rev.close.back() + 0.1;  // red
  CHECK(fires(rev, {{"consecutive_up_days", 0}}) == 0);
  // A bar closing on its high below the VWAP: stop = H = entry, on the wrong side → the rule
  // fires, nothing is emitted.
  Series on_high = crash;
  on_high.high.back() = 15.0;
  CHECK(reference(on_high, on_high.size(), Cfg{}).has_value());
  CHECK(fires(on_high) == 0);
}

TEST_CASE("up-day counter: 5 for 10,11,12,13,14,15,14.5 (§17)", "[scenario]") {
  // Flat 10s, then 10,11,12,13,14,15 and a red 14.5: up days counted back from t−1 = 5.
  Series s;
  for (int i = 0; i < 20; ++i) s.push(9.9, 10.3, 9.6, 10.0, 1e6);
  for (double c : {11.0, 12.0, 13.0, 14.0, 15.0}) s.push(c - 0.1, c + 0.3, c - 0.4, c, 1e6);
  s.push(15.2, 15.5, 14.2, 14.5, 1e6);
  Cfg cfg;
  cfg.surge_min = 40;
  const auto ref = reference(s, s.size(), cfg);
  REQUIRE(ref.has_value());
  CHECK(ref->up_days == 5);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, cfg.to_json());
  const auto fired = run(h, host, s);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == s.size() - 1);
  CHECK(axion::sdk::metadata_json(fired[0].sig).at("consecutive_up_days") == 5);
  CHECK(axion::sdk::metadata_json(fired[0].sig).at("surge_pct") == 50.0);
  CHECK(fired[0].sig.conviction == 70);  // 55 + 0 + 10 + red 5
}

TEST_CASE("min bars: 25 fire, 24 do not, warm-up bars never emit", "[warmup]") {
  const Series s25 = parabolic(5), s24 = parabolic(4);
  REQUIRE(s25.size() == 25);
  REQUIRE(s24.size() == 24);
  CHECK(fires(s25) == 1);
  CHECK(fires(s24) == 0);
  CHECK(fires(s24, {{"surge_max_bars", 19}}) == 1);  // the rest of the rule holds at 24
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const Series s = parabolic();
    CHECK(run(h, host, s, "PARA", "1d", s.size()).empty());
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run(h, host, parabolic(), "PARA", "1d", 29).size() == 1);
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
  const std::map<std::string, json> spec{{"surge_min_pct", 100.0},   {"surge_max_bars", 20},
                                         {"consecutive_up_days", 3}, {"vwap_entry", true},
                                         {"stop_at_hod", true},      {"target_sma_period", 20},
                                         {"risk_per_trade", 0.005},  {"timeframes", json::array()}};
  CHECK(defaults == spec);

  const std::string so = AXION_PLUGIN_SO;
  CHECK(config_error_key(so, {{"surge_pct", 100.0}}) == "surge_pct");
  CHECK(config_error_key(so, {{"surge_max_bars", 0}}) == "surge_max_bars");
  CHECK(config_error_key(so, {{"target_sma_period", 0}}) == "target_sma_period");
  CHECK(config_error_key(so, {{"consecutive_up_days", -1}}) == "consecutive_up_days");
  CHECK(config_error_key(so, {{"vwap_entry", "yes"}}) == "vwap_entry");
  CHECK(config_error_key(so, {{"risk_per_trade", 1.5}}) == "risk_per_trade");
  CHECK(config_error_key(so, {{"timeframes", {"15m"}}}) == "timeframes");
  CHECK(config_error_key(so, {{"surge_max_bars", 5}, {"timeframes", {"1d", "1h"}}}) ==
        "<accepted>");
}

TEST_CASE("timeframes filter, timestamps, symbols and invalid bars", "[state]") {
  const Series s = parabolic();
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"timeframes", {"1h"}}});
    CHECK(run(h, host, s, "PARA", "1d").empty());
    CHECK(run(h, host, s, "PARA", "1h").size() == 1);
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
    CHECK(fired[0].bar == 29);
    CHECK(axion::sdk::metadata_json(fired[0].sig).at("vwap") == 18.29);
    CHECK_THROWS_AS(h.on_bar(ts.bar(10, "TEST", "1d").as_view()), PluginCallError);
  }
  {
    // Two symbols interleaved, each as if alone; invalid bars leave the series untouched.
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    const Series g = gold_series(s.size());
    std::size_t para_fires = 0, gold_fires = 0;
    for (std::size_t t = 0; t < s.size(); ++t) {
      axion::sdk::Bar bad = s.bar(t, "PARA", "1d");
      bad.close = std::numeric_limits<double>::infinity();
      CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
      bad = s.bar(t, "PARA", "1d");
      bad.high = bad.low - 0.5;
      CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
      para_fires += h.on_bar(s.bar(t, "PARA", "1d").as_view()).size();
      gold_fires += h.on_bar(g.bar(t, "GOLD", "1d").as_view()).size();
    }
    CHECK(para_fires == 1);
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
