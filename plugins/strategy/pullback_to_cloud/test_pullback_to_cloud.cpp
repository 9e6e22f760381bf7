// strategy/pullback_to_cloud: the built plugin driven through its C ABI with FakeHost, checked
// against the golden vectors of strategies.md §16.5, a direct array recomputation of §10.4 on
// every GOLD window, and hand-built long and short scenarios (§17).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "axion/sdk/testing/alloc_counter.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/series.hpp"
#include "axion/sdk/testing/strategy_support.hpp"

namespace {

using axion::sdk::BarView;
using axion::sdk::Signal;
using namespace axion::sdk::testing;
using nlohmann::json;

constexpr std::int64_t kNow = 1'770'000'000'000'000;  // the engine clock the tests set

// ---- direct recomputation of §10.4 over one window ---------------------------------------------

struct Params {
  int T = 10;
  double threshold_pct = 0.3, min_volume_ratio = 1.0, risk_reward = 2.0;
  int fast_short = 5, fast_long = 12, macro_short = 34, macro_long = 50;
};

struct Expected {
  std::string type, direction, trend;
  int conviction = 0;
  double entry = 0, stop = 0, target = 0, volume_ratio = 0;
};

std::vector<double> ema(const std::vector<double>& x, int p) {
  const double a = 2.0 / (p + 1.0);
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    out[i] = i == 0 ? x[0] : a * x[i] + (1 - a) * out[i - 1];
  return out;
}

// The rule over the window's arrays, bar t = the last; `enforce_min` = the n < 60 rule.
std::optional<Expected> reference(const Series& w, const Params& p = {}, bool enforce_min = true) {
  const std::size_t n = w.size();
  const long T = p.T;
  const long min_bars =
      std::max({static_cast<long>(p.macro_long) + T, p.macro_long + 2L, 2 * T - 1});
  if (enforce_min && static_cast<long>(n) < min_bars) return std::nullopt;
  if (static_cast<long>(n) < 2 * T - 1 || n < 2) return std::nullopt;
  const long t = static_cast<long>(n) - 1;
  const auto e_fs = ema(w.close, p.fast_short), e_fl = ema(w.close, p.fast_long);
  const auto e_ms = ema(w.close, p.macro_short), e_ml = ema(w.close, p.macro_long);
  const auto at = [](const std::vector<double>& v, long i) {
    return v[static_cast<std::size_t>(i)];
  };
  const double fu = std::max(at(e_fs, t), at(e_fl, t)), fl = std::min(at(e_fs, t), at(e_fl, t));
  const double mu = std::max(at(e_ms, t), at(e_ml, t)), ml = std::min(at(e_ms, t), at(e_ml, t));

  double vsum = 0;
  long cnt = 0;
  for (long i = std::max(0L, t - 19); i <= t; ++i) vsum += at(w.volume, i), ++cnt;
  const double vr = at(w.volume, t) / std::max(vsum / static_cast<double>(cnt), 1.0);
  if (vr < p.min_volume_ratio) return std::nullopt;

  bool up = true, down = true;
  for (long j = t - (T - 1); j >= t - (2 * T - 2); --j) {
    const double hi = std::max(at(e_ms, j), at(e_ml, j)), lo = std::min(at(e_ms, j), at(e_ml, j));
    up = up && at(w.close, j) > hi;
    down = down && at(w.close, j) < lo;
  }
  const double c = at(w.close, t);
  Expected e;
  e.entry = c;
  if (up) {
    const double thr = fu * p.threshold_pct / 100.0;
    if (!(at(w.low, t - 1) <= fu + thr && at(w.close, t - 1) >= fl && c > fu)) return std::nullopt;
    e.type = "cloud_bounce_long", e.direction = "long", e.trend = "uptrend";
    e.stop = ml * 0.998;
    e.target = c + p.risk_reward * (c - e.stop);
  } else if (down) {
    const double thr = fl * p.threshold_pct / 100.0;
    if (!(at(w.high, t - 1) >= fl - thr && at(w.close, t - 1) <= fu && c < fl)) return std::nullopt;
    e.type = "cloud_bounce_short", e.direction = "short", e.trend = "downtrend";
    e.stop = mu * 1.002;
    e.target = c - p.risk_reward * (e.stop - c);
  } else {
    return std::nullopt;
  }
  double conv = 55;
  conv += vr >= 2.0 ? 15 : vr >= 1.5 ? 10 : vr >= 1.2 ? 5 : 0;
  conv += p.T >= 15 ? 10 : p.T >= 10 ? 5 : 0;
  e.conviction = static_cast<int>(std::min(90.0, conv));
  e.volume_ratio = vr;
  return e;
}

// ---- helpers -----------------------------------------------------------------------------------

// All of `s` through a fresh instance built with `cfg`, the engine clock at kNow.
std::map<std::size_t, std::vector<Signal>> run_fresh(const Series& s, const json& cfg = {},
                                                     const std::string& tf = "5m") {
  return signals_by_bar_fresh(AXION_PLUGIN_SO, s, cfg, "GOLD", tf, kNow);
}

void check_matches(const Signal& s, const Expected& e, const std::string& ticker = "GOLD") {
  CHECK(s.signal_type == e.type);
  CHECK(s.direction == e.direction);
  CHECK(s.ticker == ticker);
  CHECK(s.timeframe == "5m");
  CHECK(s.conviction == e.conviction);
  CHECK(rel_close(s.entry_price, e.entry));
  CHECK(rel_close(s.stop_loss, e.stop));
  CHECK(rel_close(s.target_price, e.target));
  CHECK(s.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(s).size() == 3);
  CHECK(axion::sdk::metadata_json(s).value("strategy", "") == "pullback_to_cloud");
  CHECK(axion::sdk::metadata_json(s).value("trend", "") == e.trend);
  CHECK(axion::sdk::metadata_json(s).value("volume_ratio", -1.0) == Approx(std::round(e.volume_ratio * 100) / 100));
}

// ---- hand-built scenario -----------------------------------------------------------------------

// `up` bars of a steady rise (+1 a bar from 100, bars closing near their highs, so the trend
// alone never dips into the fast cloud), then a pullback bar that dips into the fast cloud, then
// a bounce bar closing above it on volume `last_volume` (every other bar 1e6).
Series uptrend_pullback(std::size_t up = 70, double last_volume = 1e6) {
  Series s;
  for (std::size_t i = 0; i < up; ++i) {
    const double c = 100 + static_cast<double>(i);
    s.push(c - 0.1, c + 0.2, c - 0.2, c, 1e6);
  }
  const double prev = s.close.back();
  // pullback: close 3 under the last close, low 0.6 lower
  const double pc = prev - 3.0;
  s.push(prev, prev + 0.2, pc - 0.6, pc, 1e6);
  // bounce: close 2 above the pullback close
  const double bc = pc + 2.0;
  s.push(pc, bc + 0.3, pc - 0.3, bc, last_volume);
  return s;
}

// The mirror image around K: a downtrend, a pullback up into the fast cloud, a drop out of it.
Series mirror(const Series& s, double k = 300) {
  Series m;
  for (std::size_t i = 0; i < s.size(); ++i) {
    m.push(k - s.open[i], k - s.low[i], k - s.high[i], k - s.close[i], s.volume[i]);
  }
  return m;
}

}  // namespace

// ---- golden vectors
// ------------------------------------------------------------------------------

TEST_CASE("GOLD: 14 firing windows and the first firings of §16.5", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  const auto fired = run_fresh(g);
  CHECK(fired.size() == 14);
  for (const auto& [bar, sigs] : fired) CHECK(sigs.size() == 1);

  struct Row {
    std::size_t bar;
    const char* dir;
    double entry, stop, target;
    int conviction;
  };
  const Row rows[] = {{79, "long", 112.7208, 104.8443, 128.4736, 60},
                      {109, "short", 97.4908, 102.4011, 87.6702, 60},
                      {110, "short", 97.1094, 102.2012, 86.9258, 70},
                      {132, "long", 113.0357, 105.4132, 128.2808, 65}};
  REQUIRE(fired.size() >= 4);
  auto it = fired.begin();
  for (const Row& r : rows) {
    INFO("bar " << r.bar);
    REQUIRE(it->first == r.bar);
    const Signal& s = it->second.front();
    CHECK(s.direction == r.dir);
    CHECK(s.signal_type ==
          (std::string(r.dir) == "long" ? "cloud_bounce_long" : "cloud_bounce_short"));
    CHECK(printed(s.entry_price, r.entry, 4));
    CHECK(printed(s.stop_loss, r.stop, 4));
    CHECK(printed(s.target_price, r.target, 4));
    CHECK(s.conviction == r.conviction);
    CHECK(s.timeframe == "5m");
    CHECK(s.ticker == "GOLD");
    ++it;
  }
}

TEST_CASE("GOLD: the plugin equals a direct recomputation on every window 4..299", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  const auto fired = run_fresh(g);
  std::size_t compared = 0;
  for (std::size_t b = 4; b < g.size(); ++b) {
    INFO("window ending at bar " << b);
    const auto ref = reference(g.window(b));
    const auto it = fired.find(b);
    REQUIRE(ref.has_value() == (it != fired.end()));
    if (!ref) continue;
    REQUIRE(it->second.size() == 1);
    check_matches(it->second.front(), *ref);
    ++compared;
  }
  CHECK(compared == 14);
  // Bars 0..3 never fire either.
  for (std::size_t b = 0; b < 4; ++b) CHECK(fired.count(b) == 0);
}

TEST_CASE("GOLD: every emitted stop and target is on its side", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  for (const json& cfg :
       {json::object(), json{{"trend_lookback", 15}}, json{{"risk_reward", 0.5}}}) {
    for (const auto& [bar, sigs] : run_fresh(g, cfg)) {
      for (const Signal& s : sigs) {
        INFO(cfg.dump() << " bar " << bar);
        if (s.direction == "long") {
          CHECK(s.stop_loss < s.entry_price);
          CHECK(s.target_price > s.entry_price);
        } else {
          CHECK(s.direction == "short");
          CHECK(s.stop_loss > s.entry_price);
          CHECK(s.target_price < s.entry_price);
        }
      }
    }
  }
}

TEST_CASE("GOLD with other settings equals the direct recomputation", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  struct Case {
    json cfg;
    Params p;
    std::size_t fires = 0;  // windows firing (pins the comparison to non-trivial runs)
  };
  std::vector<Case> cases;
  {
    Params p;
    p.T = 15;
    cases.push_back({json{{"trend_lookback", 15}}, p, 0});  // no 15-bar trend on GOLD
  }
  {
    Params p;
    p.T = 4, p.threshold_pct = 1.0, p.risk_reward = 3.0, p.min_volume_ratio = 0.8;
    cases.push_back({json{{"trend_lookback", 4},
                          {"pullback_threshold_pct", 1.0},
                          {"risk_reward", 3.0},
                          {"min_volume_ratio", 0.8}},
                     p, 75});
  }
  {
    Params p;
    p.fast_short = 8, p.fast_long = 9, p.macro_short = 20, p.macro_long = 72;
    cases.push_back(
        {json{{"fast_short", 8}, {"fast_long", 9}, {"macro_short", 20}, {"macro_long", 72}}, p, 8});
  }
  for (const auto& c : cases) {
    const auto fired = run_fresh(g, c.cfg);
    std::size_t n_ref = 0;
    for (std::size_t b = 4; b < g.size(); ++b) {
      INFO(c.cfg.dump() << " window ending at bar " << b);
      const auto ref = reference(g.window(b), c.p);
      const auto it = fired.find(b);
      REQUIRE(ref.has_value() == (it != fired.end()));
      if (!ref) continue;
      ++n_ref;
      check_matches(it->second.front(), *ref);
    }
    CHECK(n_ref == c.fires);
  }
}

// ---- scenarios (§17 Ripster: pullback convictions 60 / 75 / 80, cap 90)
// -----------------------------

TEST_CASE("scenario: pullback long fires with every field", "[scenario]") {
  const Series s = uptrend_pullback();
  const auto fired = run_fresh(s);
  REQUIRE(fired.size() == 1);
  REQUIRE(fired.count(71) == 1);
  const Signal& sig = fired.at(71).front();
  CHECK(sig.signal_type == "cloud_bounce_long");
  CHECK(sig.direction == "long");
  CHECK(sig.ticker == "GOLD");
  CHECK(sig.timeframe == "5m");
  CHECK(sig.conviction == 60);  // 55 + 0 (volume ratio 1.0) + 5 (T = 10)
  CHECK(sig.entry_price == 168.0);
  CHECK(printed(sig.stop_loss, 147.3672, 4));     // min(EMA34, EMA50)·0.998
  CHECK(printed(sig.target_price, 209.2656, 4));  // C + 2·(C − stop)
  CHECK(sig.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(sig) ==
        json{{"strategy", "pullback_to_cloud"}, {"trend", "uptrend"}, {"volume_ratio", 1.0}});
  check_matches(sig, *reference(s));
}

TEST_CASE("scenario: pullback short fires with every field", "[scenario]") {
  const Series s = mirror(uptrend_pullback());
  const auto fired = run_fresh(s);
  REQUIRE(fired.size() == 1);
  REQUIRE(fired.count(71) == 1);
  const Signal& sig = fired.at(71).front();
  CHECK(sig.signal_type == "cloud_bounce_short");
  CHECK(sig.direction == "short");
  CHECK(sig.ticker == "GOLD");
  CHECK(sig.timeframe == "5m");
  CHECK(sig.conviction == 60);
  CHECK(sig.entry_price == 132.0);
  CHECK(printed(sig.stop_loss, 152.6421, 4));    // max(EMA34, EMA50)·1.002
  CHECK(printed(sig.target_price, 90.7157, 4));  // C − 2·(stop − C)
  CHECK(sig.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(sig) ==
        json{{"strategy", "pullback_to_cloud"}, {"trend", "downtrend"}, {"volume_ratio", 1.0}});
  check_matches(sig, *reference(s));
}

TEST_CASE("scenario: convictions 60 / 65 / 70 / 75 / 80 by volume ratio and T, cap 90",
          "[scenario]") {
  struct Case {
    double last_volume;
    int T;
    int conviction;
    double volume_ratio;  // 2 dp
  };
  // ratio = 20·x / (19e6 + x)
  const Case cases[] = {
      {1.0e6, 10, 60, 1.0},                        // 55 + 0 + 5
      {1.3e6, 10, 65, 1.28},                       // ≥ 1.2: +5
      {1.6e6, 10, 70, 1.55},                       // ≥ 1.5: +10
      {3.0e6, 10, 75, 2.73},                       // ≥ 2.0: +15
      {3.0e6, 15, 80, 2.73},                       // T ≥ 15: +10
      {1.0e6, 15, 65, 1.0},  {1.0e6, 9, 55, 1.0},  // T < 10: +0
  };
  for (const auto& c : cases) {
    INFO("V " << c.last_volume << " T " << c.T);
    const Series base = uptrend_pullback(70, c.last_volume);
    for (const Series& s : {base, mirror(base)}) {
      const auto fired = run_fresh(s, json{{"trend_lookback", c.T}});
      REQUIRE(fired.count(71) == 1);
      const Signal& sig = fired.at(71).front();
      CHECK(sig.conviction == c.conviction);
      CHECK(axion::sdk::metadata_json(sig).at("volume_ratio").get<double>() == Approx(c.volume_ratio));
      Params p;
      p.T = c.T;
      check_matches(sig, *reference(s, p));
    }
  }
  // The largest possible sum is 55 + 15 + 10 = 80, under the cap of 90.
  const auto top = run_fresh(uptrend_pullback(70, 50e6), json{{"trend_lookback", 1000}});
  CHECK(top.empty());  // T = 1000 needs 1999 bars
  const auto big = run_fresh(uptrend_pullback(70, 50e6), json{{"trend_lookback", 20}});
  REQUIRE(big.count(71) == 1);
  CHECK(big.at(71).front().conviction == 80);
}

TEST_CASE("scenario: no bounce, no pullback, low volume or no trend emit nothing", "[scenario]") {
  const Series ok = uptrend_pullback();
  REQUIRE(run_fresh(ok).size() == 1);
  {  // the last bar closes back inside the cloud: no bounce
    Series s = ok;
    s.close.back() = s.close[s.size() - 2];
    s.high.back() = s.close.back() + 0.3;
    CHECK(run_fresh(s).empty());
    CHECK_FALSE(reference(s));
  }
  {  // the previous bar stayed far above the cloud: no pullback
    Series s = ok;
    const std::size_t p = s.size() - 2;
    s.close[p] = 170.0, s.low[p] = 169.8, s.high[p] = 170.2;
    s.open.back() = 170.0, s.close.back() = 171.0, s.high.back() = 171.3, s.low.back() = 169.9;
    CHECK(run_fresh(s).empty());
    CHECK_FALSE(reference(s));
  }
  {  // volume below min_volume_ratio
    CHECK(run_fresh(uptrend_pullback(70, 0.5e6)).empty());
    CHECK(run_fresh(ok, json{{"min_volume_ratio", 1.01}}).empty());
  }
  {  // a flat history: no trend
    Series s;
    for (int i = 0; i < 70; ++i) s.push(100, 100.2, 99.8, 100, 1e6);
    s.push(100, 100.2, 99.5, 99.7, 1e6);
    s.push(99.7, 100.6, 99.6, 100.5, 1e6);
    CHECK(run_fresh(s).empty());
    CHECK_FALSE(reference(s));
  }
}

// ---- minimum bars, warm-up
// ------------------------------------------------------------------------

TEST_CASE("minimum bars: 60 fire, 59 do not", "[warmup]") {
  const Series s60 = uptrend_pullback(58);  // 60 bars, fires at bar 59
  REQUIRE(s60.size() == 60);
  const auto fired = run_fresh(s60);
  REQUIRE(fired.size() == 1);
  CHECK(fired.count(59) == 1);
  check_matches(fired.at(59).front(), *reference(s60));

  const Series s59 = uptrend_pullback(57);  // 59 bars: the rule would fire, the minimum forbids
  REQUIRE(s59.size() == 59);
  CHECK(reference(s59, {}, false).has_value());
  CHECK_FALSE(reference(s59).has_value());
  CHECK(run_fresh(s59).empty());

  // 1 bar → none
  Series one;
  one.push(100, 101, 99, 100.5, 1e6);
  CHECK(run_fresh(one).empty());
}

TEST_CASE("warm-up bars update the state but emit nothing", "[warmup]") {
  const Series s = uptrend_pullback();
  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  CHECK(signals_by_bar(h, s, "GOLD", "5m", 0, s.size() - 1).empty());
  CHECK(h.on_bar(view_of(s, s.size() - 1, "GOLD", "5m", true)).empty());

  // All bars as warm-up, then the same scenario continues live: the state was kept.
  FakeHost host2;
  host2.clock.set_us(kNow);
  PluginHarness h2(AXION_PLUGIN_SO, host2);
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    CHECK(h2.on_bar(view_of(s, i, "GOLD", "5m", true)).empty());
  }
  const auto live = h2.on_bar(view_of(s, s.size() - 1, "GOLD", "5m"));
  REQUIRE(live.size() == 1);
  check_matches(live.front(), *reference(s));
}

// ---- config
// --------------------------------------------------------------------------------------

TEST_CASE("config: schema, defaults and rejected tables", "[config]") {
  FakeHost host;
  {
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(std::string(h.manifest().name) == "pullback_to_cloud");
    CHECK(std::string(h.manifest().description) == "Pullback to EMA cloud");
    CHECK(h.manifest().kind == AXION_KIND_STRATEGY);
    std::map<std::string, json> d = schema_defaults(h);
    CHECK(d.size() == 9);
    CHECK(d["trend_lookback"] == 10);
    CHECK(d["pullback_threshold_pct"] == 0.3);
    CHECK(d["min_volume_ratio"] == 1.0);
    CHECK(d["risk_reward"] == 2.0);
    CHECK(d["fast_short"] == 5);
    CHECK(d["fast_long"] == 12);
    CHECK(d["macro_short"] == 34);
    CHECK(d["macro_long"] == 50);
    CHECK(d["timeframes"] == json::array());
  }
  CHECK(config_error_key(AXION_PLUGIN_SO, json::object()) == "<accepted>");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"trend_lookback", 15}, {"timeframes", {"5m", "1d"}}}) ==
        "<accepted>");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"trend_lookbak", 15}}) == "trend_lookbak");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"trend_lookback", 0}}) == "trend_lookback");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"trend_lookback", 1.5}}) == "trend_lookback");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"pullback_threshold_pct", -0.1}}) ==
        "pullback_threshold_pct");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"min_volume_ratio", -1}}) == "min_volume_ratio");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"risk_reward", 0}}) == "risk_reward");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"fast_short", 0}}) == "fast_short");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"fast_short", 12}}) == "fast_short");   // ≥ fast_long
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"macro_long", 30}}) == "macro_short");  // 34 ≥ 30
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"timeframes", {"5m", "7m"}}}) == "timeframes");
  CHECK(config_error_key(AXION_PLUGIN_SO, {{"timeframes", "5m"}}) == "timeframes");
}

TEST_CASE("timeframes selects the series, the label stays 5m", "[config]") {
  const Series s = uptrend_pullback();
  CHECK(run_fresh(s, json{{"timeframes", {"1h"}}}, "5m").empty());
  const auto fired = run_fresh(s, json{{"timeframes", {"1h"}}}, "1h");
  REQUIRE(fired.size() == 1);
  CHECK(fired.begin()->second.front().timeframe == "5m");  // §10: hard-coded label
}

// ---- series state
// ----------------------------------------------------------------------------------

TEST_CASE("interleaved symbols and timeframes keep separate state", "[state]") {
  const Series g = axion::sdk::testing::gold_series();
  const Series s = uptrend_pullback();
  const auto g_alone = run_fresh(g);
  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::map<std::size_t, std::vector<Signal>> g_mixed, s_mixed, g1h;
  for (std::size_t t = 0; t < g.size(); ++t) {
    for (auto& x : signals_by_bar(h, g, "GOLD", "5m", t, t + 1)) g_mixed[x.first] = x.second;
    for (auto& x : signals_by_bar(h, s, "SCEN", "5m", t, t + 1)) s_mixed[x.first] = x.second;
    for (auto& x : signals_by_bar(h, g, "GOLD", "1h", t, t + 1)) g1h[x.first] = x.second;
  }
  REQUIRE(g_mixed.size() == g_alone.size());
  for (const auto& [bar, sigs] : g_alone) {
    REQUIRE(g_mixed.count(bar) == 1);
    CHECK(g_mixed.at(bar).front().entry_price == sigs.front().entry_price);
    CHECK(g_mixed.at(bar).front().stop_loss == sigs.front().stop_loss);
    CHECK(g1h.at(bar).front().conviction == sigs.front().conviction);
  }
  REQUIRE(s_mixed.size() == 1);
  check_matches(s_mixed.at(71).front(), *reference(s), "SCEN");
}

TEST_CASE("timestamps do not change the rule, out-of-order and invalid bars are rejected",
          "[state]") {
  Series g = axion::sdk::testing::gold_series();
  const auto compat = run_fresh(g);
  const std::int64_t t0 = axion::sdk::time::eastern_to_utc(2026, 2, 9, 9, 30);
  for (std::size_t i = 0; i < g.size(); ++i)
    g.ts_us.push_back(t0 + static_cast<std::int64_t>(i) * 300'000'000);
  const auto stamped = run_fresh(g);
  REQUIRE(stamped.size() == compat.size());
  for (const auto& [bar, sigs] : compat) {
    REQUIRE(stamped.count(bar) == 1);
    CHECK(stamped.at(bar).front().stop_loss == sigs.front().stop_loss);
  }

  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  auto fired = signals_by_bar(h, g, "GOLD", "5m", 0, 100);
  BarView bad = view_of(g, 100, "GOLD", "5m");
  bad.close = std::nan("");
  CHECK_THROWS_AS(h.on_bar(bad), PluginCallError);
  bad = view_of(g, 100, "GOLD", "5m");
  bad.high = bad.low - 1;
  CHECK_THROWS_AS(h.on_bar(bad), PluginCallError);
  bad = view_of(g, 100, "GOLD", "5m");
  bad.volume = -1;
  CHECK_THROWS_AS(h.on_bar(bad), PluginCallError);
  CHECK_THROWS_AS(h.on_bar(view_of(g, 50, "GOLD", "5m")), PluginCallError);  // older than bar 99
  for (auto& x : signals_by_bar(h, g, "GOLD", "5m", 100)) fired[x.first] = x.second;
  REQUIRE(fired.size() == compat.size());
  for (const auto& [bar, sigs] : compat) {
    REQUIRE(fired.count(bar) == 1);
    CHECK(fired.at(bar).front().stop_loss == sigs.front().stop_loss);
  }
}

// ---- hot path ---------------------------------------------------------------------------------

TEST_CASE("no allocation per bar unless a signal is emitted", "[perf]") {
  const Series s = axion::sdk::testing::gold_series();
  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::size_t quiet_allocs = 0, firing_allocs = 0, quiet_bars = 0, firing_bars = 0;
  for (std::size_t t = 0; t < s.size(); ++t) {
    const BarView bar = view_of(s, t, "GOLD", "5m");
    AllocationCounter counter;
    const auto sigs = h.on_bar(bar);
    const std::size_t allocs = counter.stop();
    if (t == 0) continue;  // creates the series
    if (sigs.empty()) {
      quiet_allocs += allocs, ++quiet_bars;
    } else {
      firing_allocs += allocs, ++firing_bars;
    }
  }
  CHECK(quiet_bars > 200);
  CHECK(firing_bars > 0);
  CHECK(quiet_allocs == 0);
  CHECK(firing_allocs > 0);  // the counter does see the plugin's allocations
}
