// strategy/mean_reversion: the built plugin driven through its C ABI with FakeHost, checked
// against the golden vectors of strategies.md §16.5 and a direct array recomputation of §11.2 at
// every GOLD window.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "axion/sdk/testing/alloc_counter.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/series.hpp"
#include "axion/sdk/testing/strategy_support.hpp"

namespace {

using axion::sdk::BarView;
using axion::sdk::Signal;
using namespace axion::sdk::testing;
using nlohmann::json;

// ---- §11.2 over arrays, straight from the spec (default configuration) -------------------------

struct RefParams {
  int rsi_period = 14, zscore_period = 50, bb_period = 20;
  double oversold = 30, overbought = 70, z_entry = 2.0, bb_std = 2.0;
};

struct Ref {
  bool insufficient = true;
  std::string detail = "insufficient_data";  // oversold_bounce | overbought_fade | none
  double raw = 0;                            // conviction before int()
  double rsi = 50, z = 0, bb = 0.5;
  double entry = 0, stop = 0, target = 0;
};

Ref ref_mr(const std::vector<double>& c, const RefParams& p = {}) {
  Ref r;
  const std::size_t n = c.size();
  const auto need = static_cast<std::size_t>(
      std::max({p.rsi_period, p.zscore_period, p.bb_period}) + 5);
  if (n < need) return r;
  r.insufficient = false;
  const double last = c[n - 1];

  // §2.4 mean-reversion RSI: last p changes.
  const auto rp = static_cast<std::size_t>(p.rsi_period);
  if (n < rp + 1) {
    r.rsi = 50;
  } else {
    double g = 0, lo = 0;
    for (std::size_t i = n - rp; i < n; ++i) {
      const double d = c[i] - c[i - 1];
      if (d > 0) g += d;
      if (d < 0) lo += -d;
    }
    g /= p.rsi_period, lo /= p.rsi_period;
    r.rsi = lo < 1e-10 ? 100.0 : 100.0 - 100.0 / (1.0 + g / lo);
  }
  // §2.9 z-score.
  {
    const auto m = static_cast<std::size_t>(p.zscore_period);
    double mu = 0;
    for (std::size_t i = n - m; i < n; ++i) mu += c[i];
    mu /= static_cast<double>(m);
    double var = 0;
    for (std::size_t i = n - m; i < n; ++i) var += (c[i] - mu) * (c[i] - mu);
    var /= static_cast<double>(m);
    const double sigma = var == 0 ? 1e-10 : std::sqrt(var);
    r.z = (last - mu) / sigma;
  }
  // §2.9 Bollinger.
  double mid = 0;
  {
    const auto m = static_cast<std::size_t>(p.bb_period);
    for (std::size_t i = n - m; i < n; ++i) mid += c[i];
    mid /= static_cast<double>(m);
    double var = 0;
    for (std::size_t i = n - m; i < n; ++i) var += (c[i] - mid) * (c[i] - mid);
    const double sd = std::sqrt(var / static_cast<double>(m));
    const double upper = mid + p.bb_std * sd, lower = mid - p.bb_std * sd;
    const double w = upper - lower;
    r.bb = w < 1e-10 ? 0.5 : std::clamp((last - lower) / w, 0.0, 1.0);
  }
  // §2.5 `_estimate_atr(closes, 14)`.
  double atr = std::fabs(last) * 0.02;
  if (n >= 15) {
    atr = 0;
    for (std::size_t i = n - 14; i < n; ++i) atr += std::fabs(c[i] - c[i - 1]);
    atr /= 14;
  }

  double os = 0, ob = 0;
  if (r.rsi < p.oversold) os += 40 * (p.oversold - r.rsi) / p.oversold;
  if (r.z < -p.z_entry) os += std::min(30.0, 15 * std::fabs(r.z));
  if (r.bb < 0.05) os += 30;
  if (r.rsi > p.overbought) ob += 40 * (r.rsi - p.overbought) / (100 - p.overbought);
  if (r.z > p.z_entry) ob += std::min(30.0, 15 * std::fabs(r.z));
  if (r.bb > 0.95) ob += 30;

  r.entry = last;
  r.target = mid;
  if (os > ob && os > 30) {
    r.detail = "oversold_bounce";
    r.raw = std::min(100.0, os);
    r.stop = last - 2 * atr;
  } else if (ob > os && ob > 30) {
    r.detail = "overbought_fade";
    r.raw = std::min(100.0, ob);
    r.stop = last + 2 * atr;
  } else {
    r.detail = "none";
    r.stop = last;
  }
  return r;
}

std::vector<double> closes_upto(const Series& s, std::size_t end) {
  return {s.close.begin(), s.close.begin() + static_cast<long>(end) + 1};
}

// ---- plugin driving ------------------------------------------------------------------------

constexpr std::int64_t kNow0 = 1'770'000'000'000'000;

// Feeds bars [from, to) of `s`; the engine clock advances 1 ms per bar from kNow0.
std::vector<Fired> run(PluginHarness& h, FakeHost& host, const Series& s, const std::string& sym,
                       const std::string& tf, std::size_t from = 0,
                       std::size_t to = static_cast<std::size_t>(-1)) {
  return run_series(h, host, s, from, to, sym, tf, {kNow0, 1000});
}

const std::vector<Fired>& gold_run() {
  static const std::vector<Fired> fired = [] {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    return run(h, host, axion::sdk::testing::gold_series(), "GOLD", "5m");
  }();
  return fired;
}

void check_signal_against_ref(const Signal& s, const Ref& r, const std::string& sym,
                              const std::string& tf) {
  const bool bull = r.detail == "oversold_bounce";
  CHECK(s.signal_type == (bull ? "cloud_bounce_long" : "cloud_bounce_short"));
  CHECK(s.direction == (bull ? "long" : "short"));
  CHECK(s.ticker == sym);
  CHECK(s.timeframe == tf);
  CHECK(s.conviction == static_cast<int>(r.raw));
  CHECK(rel_close(s.entry_price, r.entry));
  CHECK(rel_close(s.stop_loss, r.stop));
  CHECK(rel_close(s.target_price, r.target));
  const auto m = axion::sdk::metadata_json(s);
  CHECK(m.at("strategy") == "mean_reversion");
  CHECK(m.at("signal_type_detail") == r.detail);
  CHECK(rel_close(m.at("rsi").get<double>(), r.rsi));
  CHECK(rel_close(m.at("zscore").get<double>(), r.z));
  CHECK(rel_close(m.at("bb_position").get<double>(), r.bb));
  CHECK(m.size() == 5);
}

// A quiet oscillation around 100 followed by a steady slide (or climb): at the end RSI is
// extreme, z beyond ±2 and the close outside the bands, so every score term is on.
Series slide_series(std::size_t flat, std::size_t moves, double step) {
  Series s;
  double prev = 100;
  for (std::size_t i = 0; i < flat + moves; ++i) {
    double c = i < flat ? 100 + 0.3 * std::sin(static_cast<double>(i))
                        : prev + step * (1.0 + 0.1 * static_cast<double>(i % 3));
    const double o = i == 0 ? 100 : prev;
    s.push(o, std::max(o, c) + 0.2, std::min(o, c) - 0.2, c, 1e6);
    prev = c;
  }
  return s;
}

}  // namespace

// ---- §16.5 golden vectors --------------------------------------------------------------------

TEST_CASE("GOLD windows 54..299: 59 firings and the first ones of §16.5", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  const auto& fired = gold_run();

  // Non-none results of the rule itself; none of them has a wrong-side stop or target, so every
  // one is emitted.
  std::size_t non_none = 0, wrong_side = 0;
  for (std::size_t b = 54; b < 300; ++b) {
    const Ref r = ref_mr(closes_upto(g, b));
    if (r.detail == "none" || r.insufficient) continue;
    ++non_none;
    const bool bull = r.detail == "oversold_bounce";
    const bool ok = bull ? (r.stop < r.entry && r.target > r.entry)
                         : (r.stop > r.entry && r.target < r.entry);
    wrong_side += !ok;
  }
  CHECK(non_none == 59);
  CHECK(wrong_side == 0);
  REQUIRE(fired.size() == 59);
  for (const auto& f : fired) CHECK(f.bar >= 54);

  // First: bar 56 overbought_fade 30.614.
  const Fired& first = fired[0];
  CHECK(first.bar == 56);
  const Signal& s = first.sig;
  CHECK(s.signal_type == "cloud_bounce_short");
  CHECK(s.direction == "short");
  CHECK(s.conviction == 30);
  CHECK(axion::sdk::metadata_json(s).at("signal_type_detail") == "overbought_fade");
  CHECK(printed(axion::sdk::metadata_json(s).at("rsi").get<double>(), 70.4605, 4));
  CHECK(printed(axion::sdk::metadata_json(s).at("zscore").get<double>(), -0.3213, 4));
  CHECK(printed(axion::sdk::metadata_json(s).at("bb_position").get<double>(), 1.0, 4));
  CHECK(printed(s.target_price, 95.7289, 4));
  CHECK(printed(s.stop_loss, 101.3107, 4));
  CHECK(s.entry_price == g.close[56]);
  CHECK(printed(ref_mr(closes_upto(g, 56)).raw, 30.614, 3));

  // Bars 57, 58, 59.
  const double raws[] = {33.5597, 35.9563, 42.0223};
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("bar " << 57 + i);
    REQUIRE(fired.size() > i + 1);
    CHECK(fired[i + 1].bar == 57 + i);
    const Ref r = ref_mr(closes_upto(g, 57 + i));
    CHECK(printed(r.raw, raws[i], 4));
    CHECK(fired[i + 1].sig.conviction == static_cast<int>(raws[i]));
  }

  // Window ending 119 (to_dict rounding: conviction/rsi 1 dp, zscore 2 dp, bb 3 dp, prices 2 dp).
  const Fired* w119 = nullptr;
  for (const auto& f : fired) {
    if (f.bar == 119) w119 = &f;
  }
  REQUIRE(w119 != nullptr);
  const Signal& x = w119->sig;
  CHECK(x.direction == "short");
  CHECK(axion::sdk::metadata_json(x).at("signal_type_detail") == "overbought_fade");
  CHECK(printed(ref_mr(closes_upto(g, 119)).raw, 44.5, 1));
  CHECK(x.conviction == 44);
  CHECK(printed(axion::sdk::metadata_json(x).at("rsi").get<double>(), 80.8, 1));
  CHECK(printed(axion::sdk::metadata_json(x).at("zscore").get<double>(), 0.2, 2));
  CHECK(printed(axion::sdk::metadata_json(x).at("bb_position").get<double>(), 1.0, 3));
  CHECK(printed(x.entry_price, 105.11, 2));
  CHECK(printed(x.target_price, 99.52, 2));
  CHECK(printed(x.stop_loss, 106.94, 2));
}

TEST_CASE("every GOLD window equals a direct recomputation of §11.2", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  const auto& fired = gold_run();
  std::size_t k = 0, compared = 0;
  for (std::size_t b = 0; b < 300; ++b) {
    const Ref r = ref_mr(closes_upto(g, b));
    const bool fires = !r.insufficient && r.detail != "none";
    const bool emitted = k < fired.size() && fired[k].bar == b;
    INFO("window ending " << b);
    REQUIRE(fires == emitted);
    if (!emitted) continue;
    check_signal_against_ref(fired[k].sig, r, "GOLD", "5m");
    ++k, ++compared;
  }
  CHECK(k == fired.size());
  CHECK(compared == 59);
}

TEST_CASE("every emitted signal has its stop and target on the correct sides", "[golden]") {
  for (const auto& f : gold_run()) {
    const Signal& s = f.sig;
    INFO("bar " << f.bar);
    if (s.direction == "long") {
      CHECK(s.stop_loss < s.entry_price);
      CHECK(s.target_price > s.entry_price);
    } else {
      CHECK(s.direction == "short");
      CHECK(s.stop_loss > s.entry_price);
      CHECK(s.target_price < s.entry_price);
    }
    CHECK(s.conviction >= 30);  // raw score > 30, truncated
    CHECK(s.conviction <= 100);
  }
}

// ---- hand-built scenarios ------------------------------------------------------------------

TEST_CASE("oversold bounce: long cloud_bounce_long with every field", "[rules]") {
  const Series s = slide_series(60, 8, -0.8);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run(h, host, s, "DROP", "1h");
  REQUIRE_FALSE(fired.empty());
  const Fired& f = fired.back();
  REQUIRE(f.bar == s.size() - 1);
  const Ref r = ref_mr(s.close);
  REQUIRE(r.detail == "oversold_bounce");
  // Every term is on: RSI below 30, z < −2, close below the lower band.
  CHECK(r.rsi < 30);
  CHECK(r.z < -2);
  CHECK(r.bb == 0.0);
  const Signal& sig = f.sig;
  check_signal_against_ref(sig, r, "DROP", "1h");
  CHECK(sig.ts_us == kNow0 + static_cast<std::int64_t>(f.bar) * 1000);
  CHECK(sig.entry_price == s.close.back());
  double mid = 0;
  for (std::size_t i = s.size() - 20; i < s.size(); ++i) mid += s.close[i];
  CHECK(rel_close(sig.target_price, mid / 20));
  double atr = 0;
  for (std::size_t i = s.size() - 14; i < s.size(); ++i) atr += std::fabs(s.close[i] - s.close[i - 1]);
  CHECK(rel_close(sig.stop_loss, s.close.back() - 2 * atr / 14));
  CHECK(sig.conviction == static_cast<int>(std::min(
                              100.0, 40 * (30 - r.rsi) / 30 + std::min(30.0, 15 * -r.z) + 30)));
  CHECK(sig.conviction >= 70);
}

TEST_CASE("overbought fade: short cloud_bounce_short with every field", "[rules]") {
  const Series s = slide_series(60, 8, 0.8);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run(h, host, s, "POP", "5m");
  REQUIRE_FALSE(fired.empty());
  const Fired& f = fired.back();
  REQUIRE(f.bar == s.size() - 1);
  const Ref r = ref_mr(s.close);
  REQUIRE(r.detail == "overbought_fade");
  CHECK(r.rsi > 70);
  CHECK(r.z > 2);
  CHECK(r.bb == 1.0);
  const Signal& sig = f.sig;
  check_signal_against_ref(sig, r, "POP", "5m");
  CHECK(sig.signal_type == "cloud_bounce_short");
  CHECK(sig.stop_loss > sig.entry_price);
  CHECK(sig.target_price < sig.entry_price);
  CHECK(sig.conviction == static_cast<int>(std::min(
                              100.0, 40 * (r.rsi - 70) / 30 + std::min(30.0, 15 * r.z) + 30)));
}

TEST_CASE("a single band touch never suffices", "[rules]") {
  // Wide swings early (large 50-bar σ), a tight range in the last 20 bars, then a close above the
  // upper band: only the band term (30, not > 30) is on.
  Series s;
  for (int i = 0; i < 70; ++i) {
    const double amp = i < 50 ? 3.0 : 0.1;
    const double c = 100 + (i % 2 == 0 ? amp : -amp);
    s.push(c, c + 0.1, c - 0.1, c, 1e6);
  }
  s.push(100.4, 100.5, 100.3, 100.4, 1e6);
  const Ref r = ref_mr(s.close);
  REQUIRE(r.bb > 0.95);
  REQUIRE(r.rsi <= 70);
  REQUIRE(r.z <= 2);
  CHECK(r.detail == "none");
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  CHECK(run(h, host, s, "BAND", "5m").empty());
}

TEST_CASE("MR 54 bars insufficient, 55 fires (§17)", "[warmup]") {
  // 49 quiet bars then a slide: the window of 54 bars already has every term on.
  const Series s = slide_series(49, 6, -0.8);
  REQUIRE(s.size() == 55);
  const Ref r54 = ref_mr(closes_upto(s, 53));
  CHECK(r54.insufficient);
  const Ref r55 = ref_mr(s.close);
  REQUIRE(r55.detail == "oversold_bounce");
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run(h, host, s, "X", "5m", 0, 54).empty());
    const auto last = run(h, host, s, "X", "5m", 54);
    REQUIRE(last.size() == 1);
    check_signal_against_ref(last[0].sig, r55, "X", "5m");
  }
  // Smaller periods lower the minimum: max(5, 30, 10) + 5 = 35.
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host,
                    json{{"rsi_period", 5}, {"zscore_period", 30}, {"bb_period", 10}});
    const Series t = slide_series(29, 6, -0.8);
    REQUIRE(t.size() == 35);
    RefParams p;
    p.rsi_period = 5, p.zscore_period = 30, p.bb_period = 10;
    CHECK(ref_mr(closes_upto(t, 33), p).insufficient);
    const Ref r = ref_mr(t.close, p);
    REQUIRE(r.detail == "oversold_bounce");
    CHECK(run(h, host, t, "X", "5m", 0, 34).empty());
    const auto last = run(h, host, t, "X", "5m", 34);
    REQUIRE(last.size() == 1);
    check_signal_against_ref(last[0].sig, r, "X", "5m");
  }
}

TEST_CASE("warm-up bars update the state but emit nothing", "[warmup]") {
  const Series s = slide_series(60, 8, -0.8);
  const Ref r = ref_mr(s.close);
  REQUIRE(r.detail == "oversold_bounce");
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  // Every bar but the last is a warm-up bar: only the last emits, exactly the reference.
  for (std::size_t t = 0; t < s.size(); ++t) {
    auto bar = s.bar(t, "W", "5m");
    bar.warmup = t + 1 < s.size();
    const auto out = h.on_bar(bar.as_view());
    if (bar.warmup) {
      CHECK(out.empty());
    } else {
      REQUIRE(out.size() == 1);
      check_signal_against_ref(out[0], r, "W", "5m");
    }
  }
  // A second symbol fed with all bars live but the last one as warm-up emits nothing at the end.
  for (std::size_t t = 0; t < s.size(); ++t) {
    auto bar = s.bar(t, "W2", "5m");
    bar.warmup = t + 1 == s.size();
    const auto out = h.on_bar(bar.as_view());
    if (t + 1 == s.size()) CHECK(out.empty());
  }
  // After the warm-up the state is the same as without it: the next bar matches the reference.
  Series more = slide_series(60, 9, -0.8);
  const Ref r2 = ref_mr(more.close);
  REQUIRE(r2.detail == "oversold_bounce");
  const auto out = h.on_bar(more.bar(more.size() - 1, "W", "5m").as_view());
  REQUIRE(out.size() == 1);
  check_signal_against_ref(out[0], r2, "W", "5m");
}

// ---- config ----------------------------------------------------------------------------------

TEST_CASE("config: schema, defaults and rejected tables", "[config]") {
  FakeHost host;
  {
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(std::string(h.manifest().name) == "mean_reversion");
    CHECK(std::string(h.manifest().description) == "Mean reversion (RSI, z-score, Bollinger)");
    CHECK(h.manifest().kind == AXION_KIND_STRATEGY);
    std::map<std::string, json> d = schema_defaults(h);
    CHECK(d.size() == 11);
    CHECK(d["rsi_period"] == 14);
    CHECK(d["rsi_oversold"] == 30.0);
    CHECK(d["rsi_overbought"] == 70.0);
    CHECK(d["zscore_period"] == 50);
    CHECK(d["zscore_entry"] == 2.0);
    CHECK(d["zscore_exit"] == 0.5);
    CHECK(d["bb_period"] == 20);
    CHECK(d["bb_std"] == 2.0);
    CHECK(d["min_atr_filter"] == 0.5);
    CHECK(d["max_hold_bars"] == 10);
    CHECK(d["timeframes"] == json::array());
  }
  // Reserved keys are accepted and change nothing.
  {
    PluginHarness h(AXION_PLUGIN_SO, host,
                    json{{"zscore_exit", 1.5}, {"min_atr_filter", 3.0}, {"max_hold_bars", 2}});
    const auto fired = run(h, host, axion::sdk::testing::gold_series(), "GOLD", "5m");
    REQUIRE(fired.size() == gold_run().size());
    for (std::size_t i = 0; i < fired.size(); ++i) {
      CHECK(fired[i].bar == gold_run()[i].bar);
      CHECK(fired[i].sig.conviction == gold_run()[i].sig.conviction);
    }
  }
  struct Bad {
    json table;
    std::string key;
  };
  const std::vector<Bad> bad{
      {{{"bogus", 1}}, "bogus"},
      {{{"rsi_period", 0}}, "rsi_period"},
      {{{"rsi_period", "14"}}, "rsi_period"},
      {{{"rsi_oversold", 0.0}}, "rsi_oversold"},
      {{{"rsi_overbought", 101.0}}, "rsi_overbought"},
      {{{"rsi_overbought", 100.0}}, "rsi_overbought"},
      {{{"rsi_oversold", 70.0}, {"rsi_overbought", 30.0}}, "rsi_oversold"},
      {{{"rsi_oversold", 70.0}}, "rsi_oversold"},  // equal to the default overbought
      {{{"zscore_period", 1}}, "zscore_period"},
      {{{"zscore_entry", 0.0}}, "zscore_entry"},
      {{{"bb_period", 1}}, "bb_period"},
      {{{"bb_std", 0.0}}, "bb_std"},
      {{{"max_hold_bars", 0}}, "max_hold_bars"},
      {{{"min_atr_filter", -1.0}}, "min_atr_filter"},
      {{{"timeframes", {"5m", "7m"}}}, "timeframes"},
  };
  for (const auto& c : bad) {
    INFO(c.table.dump());
    try {
      PluginHarness h(AXION_PLUGIN_SO, host, c.table);
      FAIL("config accepted");
    } catch (const PluginCallError& e) {
      CHECK(e.key == c.key);
      CHECK(std::string(e.what()).find(c.key) != std::string::npos);
    }
  }
}

TEST_CASE("timeframes selects the series, the label is the bar's timeframe", "[config]") {
  const Series g = axion::sdk::testing::gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"timeframes", {"1d"}}});
  CHECK(run(h, host, g, "GOLD", "5m").empty());
  const auto daily = run(h, host, g, "GOLD", "1d");
  REQUIRE(daily.size() == 59);
  for (const auto& f : daily) CHECK(f.sig.timeframe == "1d");
}

// ---- state -----------------------------------------------------------------------------------

TEST_CASE("interleaved series equal each alone, bad bars leave the series untouched", "[state]") {
  const Series g = axion::sdk::testing::gold_series();
  Series g2;  // a different series
  for (std::size_t i = 0; i < g.size(); ++i) {
    g2.push(g.open[i] * 0.5 + 20, g.high[i] * 0.5 + 20, g.low[i] * 0.5 + 20,
            g.close[i] * 0.5 + 20, g.volume[i], 0);
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::vector<Fired> a, b, c;
  const std::int64_t ts0 = 1'770'000'000'000'000;
  for (std::size_t t = 0; t < 300; ++t) {
    for (auto& f : run(h, host, g, "GOLD", "5m", t, t + 1)) a.push_back(std::move(f));
    for (auto& f : run(h, host, g2, "HALF", "5m", t, t + 1)) b.push_back(std::move(f));
    // Same GOLD bars on another timeframe, with timestamps; bad bars injected at t = 150.
    if (t == 150) {
      BarView nan_bar{"GOLD", "1h", ts0 + 150, g.open[t], g.high[t], g.low[t], std::nan(""),
                      g.volume[t]};
      CHECK_THROWS_AS(h.on_bar(nan_bar), PluginCallError);
      BarView bad_hl{"GOLD", "1h", ts0 + 150, g.open[t], 1.0, 2.0, g.close[t], g.volume[t]};
      CHECK_THROWS_AS(h.on_bar(bad_hl), PluginCallError);
      BarView old{"GOLD", "1h", ts0 + 10, g.open[t], g.high[t], g.low[t], g.close[t], g.volume[t]};
      CHECK_THROWS_AS(h.on_bar(old), PluginCallError);
    }
    BarView bar{"GOLD", "1h", ts0 + static_cast<std::int64_t>(t), g.open[t], g.high[t], g.low[t],
                g.close[t], g.volume[t]};
    for (auto& s : h.on_bar(bar)) c.push_back({t, std::move(s)});
  }
  const auto& ref = gold_run();
  REQUIRE(a.size() == ref.size());
  REQUIRE(c.size() == ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) {
    CHECK(a[i].bar == ref[i].bar);
    CHECK(c[i].bar == ref[i].bar);
    CHECK(c[i].sig.conviction == ref[i].sig.conviction);
    CHECK(c[i].sig.stop_loss == ref[i].sig.stop_loss);
    CHECK(c[i].sig.timeframe == "1h");
  }
  // The scaled series: compare with its own reference.
  std::size_t k = 0;
  for (std::size_t t = 0; t < 300; ++t) {
    const Ref r = ref_mr(closes_upto(g2, t));
    const bool fires = !r.insufficient && r.detail != "none";
    const bool emitted = k < b.size() && b[k].bar == t;
    INFO("HALF window " << t);
    REQUIRE(fires == emitted);
    if (emitted) check_signal_against_ref(b[k++].sig, r, "HALF", "5m");
  }
}

TEST_CASE("no allocation on bars that emit nothing", "[perf]") {
  const Series g = axion::sdk::testing::gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::size_t quiet_allocs = 0, quiet = 0, firing_allocs = 0;
  for (std::size_t t = 0; t < g.size(); ++t) {
    BarView bar{"GOLD", "5m", 0, g.open[t], g.high[t], g.low[t], g.close[t], g.volume[t]};
    AllocationCounter counter;
    const auto out = h.on_bar(bar);
    const std::size_t allocs = counter.stop();
    if (t == 0) continue;  // creates the series
    if (out.empty()) {
      quiet_allocs += allocs, ++quiet;
    } else {
      firing_allocs += allocs;
    }
  }
  CHECK(quiet > 200);
  CHECK(quiet_allocs == 0);
  CHECK(firing_allocs > 0);
}
