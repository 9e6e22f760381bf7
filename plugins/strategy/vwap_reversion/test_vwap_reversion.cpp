// strategy/vwap_reversion: the built plugin driven through its C ABI with FakeHost, checked
// against the golden vectors of strategies.md §16.5, a direct array recomputation of §10.1 at
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

// ---- direct recomputation of §10.1 over the window 0..t -----------------------------------------

struct Params {
  int rsi_period = 14;
  double oversold = 40, overbought = 60, deviation = 0.5, min_volume_ratio = 1.0;
};

struct Expected {
  std::string type, direction;
  int conviction = 0;
  double entry = 0, stop = 0, target = 0;
};

// session[i] = the session bar i belongs to, −1 before the open (compatibility mode: all 0).
std::optional<Expected> reference(const Series& s, std::size_t t, const std::vector<int>& session,
                                  const Params& p = {}) {
  const std::size_t n = t + 1;
  if (session[t] < 0) return std::nullopt;
  if (n < 15) return std::nullopt;
  // §2.7 VWAP over the session's bars.
  double pv = 0, sv = 0;
  for (std::size_t i = 0; i <= t; ++i) {
    if (session[i] != session[t]) continue;
    pv += (s.high[i] + s.low[i] + s.close[i]) / 3.0 * s.volume[i];
    sv += s.volume[i];
  }
  const double vwap = sv > 0 ? pv / sv : 0.0;
  // §2.4 VWAP-strategy RSI over the last p changes of the whole array.
  double rsi = 50.0;
  const std::size_t period = static_cast<std::size_t>(p.rsi_period);
  if (n >= period + 1) {
    double g = 0, lo = 0;
    for (std::size_t i = n - period; i < n; ++i) {
      const double d = s.close[i] - s.close[i - 1];
      if (d > 0) g += d;
      if (d < 0) lo += -d;
    }
    g /= p.rsi_period, lo /= p.rsi_period;
    rsi = lo < 1e-10 ? 100.0 : 100.0 - 100.0 / (1.0 + g / lo);
  }
  // §2.10 V[t] / max(mean(last ≤20 V), 1).
  double vs = 0;
  const std::size_t first = n > 20 ? n - 20 : 0;
  for (std::size_t i = first; i < n; ++i) vs += s.volume[i];
  const double vol_ratio = s.volume[t] / std::max(vs / static_cast<double>(n - first), 1.0);
  if (vol_ratio < p.min_volume_ratio) return std::nullopt;
  const double price = s.close[t];
  const double dev = (price - vwap) / std::max(vwap, 0.01) * 100.0;
  Expected e;
  e.entry = price;
  e.target = vwap;
  if (dev < -p.deviation && rsi < p.oversold) {
    e.type = "cloud_bounce_long", e.direction = "long";
    e.stop = price - 2 * std::fabs(price - vwap);
    e.conviction = static_cast<int>(std::min(90.0, 50 + 5 * std::fabs(dev) + (p.oversold - rsi)));
  } else if (dev > p.deviation && rsi > p.overbought) {
    e.type = "cloud_bounce_short", e.direction = "short";
    e.stop = price + 2 * std::fabs(price - vwap);
    e.conviction = static_cast<int>(std::min(90.0, 50 + 5 * std::fabs(dev) + (rsi - p.overbought)));
  } else {
    return std::nullopt;
  }
  return e;
}

std::vector<int> one_session(std::size_t n) { return std::vector<int>(n, 0); }

void check_against_reference(const std::vector<Fired>& fired, const Series& s,
                             const std::vector<int>& session, const Params& p = {}) {
  std::size_t k = 0;
  std::size_t firing = 0;
  for (std::size_t t = 0; t < s.size(); ++t) {
    INFO("bar " << t);
    const auto expected = reference(s, t, session, p);
    const bool emitted = k < fired.size() && fired[k].bar == t;
    REQUIRE(emitted == expected.has_value());
    if (!emitted) continue;
    const Signal& sig = fired[k++].sig;
    ++firing;
    CHECK(sig.signal_type == expected->type);
    CHECK(sig.direction == expected->direction);
    CHECK(sig.conviction == expected->conviction);
    CHECK(rel_close(sig.entry_price, expected->entry));
    CHECK(rel_close(sig.stop_loss, expected->stop));
    CHECK(rel_close(sig.target_price, expected->target));
    REQUIRE((k >= fired.size() || fired[k].bar != t));  // at most one signal per bar
  }
  CHECK(k == fired.size());
  CHECK(firing > 0);
}

// §0 and §10: label, metadata, protective sides, conviction range.
void check_well_formed(const Signal& s) {
  CHECK(s.timeframe == "5m");
  CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "vwap_reversion"}});
  CHECK(s.conviction >= 50);
  CHECK(s.conviction <= 90);
  CHECK(s.target_price > 0);
  if (s.direction == "long") {
    CHECK(s.signal_type == "cloud_bounce_long");
    CHECK(s.stop_loss < s.entry_price);
    CHECK(s.target_price > s.entry_price);
  } else {
    CHECK(s.direction == "short");
    CHECK(s.signal_type == "cloud_bounce_short");
    CHECK(s.stop_loss > s.entry_price);
    CHECK(s.target_price < s.entry_price);
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

// Typical price = C: H = C + 1, L = C − 1, O = C; volume 1000 per bar.
Series from_closes(const std::vector<double>& closes, std::int64_t ts0 = 0) {
  Series s;
  for (std::size_t i = 0; i < closes.size(); ++i) {
    const double c = closes[i];
    s.push(c, c + 1, c - 1, c, 1000,
           ts0 > 0 ? ts0 + static_cast<std::int64_t>(i) * kClockStep5m : 0);
  }
  return s;
}

// 16 closes: 100, 100, then 13 alternating moves of 1 starting with `first` (7 of `first`, 6 of
// the other), then a final move of `last`.
std::vector<double> zigzag(double first, double last) {
  std::vector<double> c{100, 100};
  double sign = first;
  for (int i = 0; i < 13; ++i, sign = -sign) c.push_back(c.back() + sign);
  c.push_back(c.back() + last);
  return c;
}

}  // namespace

// ---- golden vectors ---------------------------------------------------------------------------

TEST_CASE("GOLD windows firing and first firings of §16.5", "[golden]") {
  const auto& fired = gold_run();
  CHECK(fired.size() == 95);
  REQUIRE(fired.size() >= 5);
  struct Row {
    std::size_t bar;
    double entry, stop, target;
    int conviction;
  };
  // §16.5 prints bars 14, 15, 17 and 18; bar 16 also fires (the count of 95 includes it).
  const Row rows[] = {{14, 108.6562, 117.3774, 104.2956, 90},
                      {15, 109.9227, 120.0186, 104.8748, 90},
                      {17, 109.3260, 116.9290, 105.5245, 83},
                      {18, 107.8576, 112.2118, 105.6805, 69}};
  for (const Row& r : rows) {
    INFO("bar " << r.bar);
    auto it =
        std::find_if(fired.begin(), fired.end(), [&](const Fired& f) { return f.bar == r.bar; });
    REQUIRE(it != fired.end());
    const Signal& s = it->sig;
    CHECK(s.signal_type == "cloud_bounce_short");
    CHECK(s.direction == "short");
    CHECK(s.ticker == "GOLD");
    CHECK(s.timeframe == "5m");
    CHECK(printed(s.entry_price, r.entry, 4));
    CHECK(printed(s.stop_loss, r.stop, 4));
    CHECK(printed(s.target_price, r.target, 4));
    CHECK(s.conviction == r.conviction);
    CHECK(s.ts_us == kClock0 + static_cast<std::int64_t>(r.bar) * kClockStep5m);
    CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "vwap_reversion"}});
  }
  CHECK(fired[0].bar == 14);
  CHECK(fired[1].bar == 15);
  CHECK(fired[2].bar == 16);
  CHECK(fired[3].bar == 17);
  CHECK(fired[4].bar == 18);
}

TEST_CASE("GOLD: every window matches a direct recomputation of the rule", "[golden]") {
  const Series s = gold_series();
  check_against_reference(gold_run(), s, one_session(s.size()));
}

TEST_CASE("every emitted signal is well formed with protective stop and target", "[golden]") {
  const auto& fired = gold_run();
  std::size_t longs = 0, shorts = 0;
  for (const auto& f : fired) {
    INFO("bar " << f.bar);
    check_well_formed(f.sig);
    (f.sig.direction == "long" ? longs : shorts) += 1;
  }
  CHECK(longs > 0);
  CHECK(shorts > 0);
}

// ---- hand-built scenarios ---------------------------------------------------------------------

TEST_CASE("long below VWAP with an oversold RSI: every field", "[rule]") {
  // Last 14 changes: six +1, seven −1 and a final −3 → G = 6/14, Lo = 10/14, RSI = 37.5.
  // VWAP = mean of the closes = 1589/16 = 99.3125; price 96; dev = −3.33543…%.
  const Series s = from_closes(zigzag(-1, -3));
  REQUIRE(s.close.back() == 96.0);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s, 0, SIZE_MAX, "ACME", "1h");
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 15);
  const Signal& sig = fired[0].sig;
  const double vwap = 1589.0 / 16.0;
  const double dev = (96.0 - vwap) / vwap * 100.0;
  CHECK(sig.signal_type == "cloud_bounce_long");
  CHECK(sig.direction == "long");
  CHECK(sig.ticker == "ACME");
  CHECK(sig.timeframe == "5m");  // the spec's hard-coded label, whatever the bar's timeframe
  CHECK(sig.entry_price == 96.0);
  CHECK(sig.stop_loss == Approx(96.0 - 2 * (vwap - 96.0)).epsilon(1e-12));
  CHECK(sig.stop_loss == Approx(89.375).epsilon(1e-12));
  CHECK(sig.target_price == Approx(99.3125).epsilon(1e-12));
  CHECK(sig.conviction == static_cast<int>(50 + 5 * std::fabs(dev) + (40 - 37.5)));
  CHECK(sig.conviction == 69);
  CHECK(sig.ts_us == kClock0 + 15 * kClockStep5m);
  CHECK(axion::sdk::metadata_json(sig) == json{{"strategy", "vwap_reversion"}});
}

TEST_CASE("short above VWAP with an overbought RSI: every field", "[rule]") {
  // Mirror: RSI = 62.5, VWAP = 1611/16 = 100.6875, price 104, dev = +3.28988…%.
  const Series s = from_closes(zigzag(+1, +3));
  REQUIRE(s.close.back() == 104.0);
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].bar == 15);
  const Signal& sig = fired[0].sig;
  const double vwap = 1611.0 / 16.0;
  const double dev = (104.0 - vwap) / vwap * 100.0;
  CHECK(sig.signal_type == "cloud_bounce_short");
  CHECK(sig.direction == "short");
  CHECK(sig.ticker == "GOLD");
  CHECK(sig.timeframe == "5m");
  CHECK(sig.entry_price == 104.0);
  CHECK(sig.stop_loss == Approx(110.625).epsilon(1e-12));
  CHECK(sig.target_price == Approx(100.6875).epsilon(1e-12));
  CHECK(sig.conviction == static_cast<int>(50 + 5 * dev + (62.5 - 60)));
  CHECK(sig.conviction == 68);
  CHECK(sig.ts_us == kClock0 + 15 * kClockStep5m);
  CHECK(axion::sdk::metadata_json(sig) == json{{"strategy", "vwap_reversion"}});
}

TEST_CASE("conviction is capped at 90 and truncated", "[rule]") {
  // A −7 final move: RSI 30, dev −7.13%: 50 + 35.6 + 10 → 90.
  const Series s = from_closes(zigzag(-1, -7));
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].sig.conviction == 90);
  CHECK(fired[0].sig.target_price == Approx(1585.0 / 16.0).epsilon(1e-12));
}

TEST_CASE("gates: volume ratio, deviation, RSI, config thresholds", "[rule]") {
  SECTION("volume below the recent mean") {
    Series s = from_closes(zigzag(-1, -3));
    s.volume.back() = 900;  // ratio 900 / mean(…) < 1
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(run_series(h, host, s).empty());
  }
  SECTION("min_volume_ratio raised above the ratio") {
    const Series s = from_closes(zigzag(-1, -3));
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"min_volume_ratio", 1.01}});
    CHECK(run_series(h, host, s).empty());
  }
  SECTION("deviation threshold above |dev|") {
    const Series s = from_closes(zigzag(-1, -3));
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"vwap_deviation_pct", 3.4}});
    CHECK(run_series(h, host, s).empty());
  }
  SECTION("RSI not oversold enough") {
    const Series s = from_closes(zigzag(-1, -3));  // RSI 37.5
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"rsi_oversold", 37.0}});
    CHECK(run_series(h, host, s).empty());
  }
  SECTION("rsi_oversold raised: conviction uses the configured level") {
    const Series s = from_closes(zigzag(-1, -3));
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"rsi_oversold", 45.0}});
    const auto fired = run_series(h, host, s);
    REQUIRE(fired.size() == 1);
    const double dev = (96.0 - 99.3125) / 99.3125 * 100.0;
    CHECK(fired[0].sig.conviction == static_cast<int>(50 + 5 * std::fabs(dev) + (45 - 37.5)));
  }
  SECTION("zero volumes, constant prices, a single bar") {
    Series zero = from_closes(zigzag(-1, -3));
    for (auto& v : zero.volume) v = 0;
    Series flat = from_closes(std::vector<double>(40, 100.0));
    Series one = from_closes({100.0});
    for (const Series* s : {&zero, &flat, &one}) {
      FakeHost host;
      PluginHarness h(AXION_PLUGIN_SO, host);
      CHECK(run_series(h, host, *s).empty());
    }
  }
}

TEST_CASE("indicator checks of §17: 2-bar VWAP between the typical prices, RSI of a rise",
          "[rule]") {
  axion::sdk::ind::SessionVwap vwap;
  vwap.add(11, 9, 10, 100);   // typical 10
  vwap.add(21, 19, 20, 300);  // typical 20
  CHECK(vwap.value() > 10);
  CHECK(vwap.value() < 20);
  CHECK(vwap.value() == Approx(17.5));
  axion::sdk::ind::CutlerRsi rsi(14);
  for (int i = 0; i < 20; ++i)
    rsi.update(100 + i * (i % 3 == 0 ? 0.5 : 1.0) - (i % 4 == 0 ? 0.7 : 0));
  CHECK(rsi.value() > 50);
}

// ---- minimum bars and warm-up -----------------------------------------------------------------

TEST_CASE("minimum 15 closes: one bar short gives nothing", "[warmup]") {
  // With rsi_period 5 the RSI is ready long before 15 bars, so only the 15-close rule can block.
  // The zigzag's last 15 bars fire at 15 bars; its last 14 bars (same RSI) do not.
  const Series full = from_closes(zigzag(-1, -3));
  Series fifteen, fourteen;
  for (std::size_t i = 1; i < full.size(); ++i) {
    fifteen.push(full.open[i], full.high[i], full.low[i], full.close[i], full.volume[i]);
    if (i >= 2)
      fourteen.push(full.open[i], full.high[i], full.low[i], full.close[i], full.volume[i]);
  }
  const json cfg{{"rsi_period", 5}};
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, cfg);
    const auto fired = run_series(h, host, fifteen);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].bar == 14);
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, cfg);
    CHECK(run_series(h, host, fourteen).empty());
  }
}

TEST_CASE("warm-up bars update the state but emit nothing", "[warmup]") {
  const Series s = gold_series();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const std::vector<Fired> fired = run_series(h, host, s, 0, 40, "GOLD", "5m", {}, 16);
  const auto& clean = gold_run();
  std::vector<std::size_t> expected_bars;
  for (const auto& f : clean) {
    if (f.bar > 15 && f.bar < 40) expected_bars.push_back(f.bar);
  }
  REQUIRE(fired.size() == expected_bars.size());
  REQUIRE_FALSE(fired.empty());
  for (std::size_t i = 0; i < fired.size(); ++i) {
    CHECK(fired[i].bar == expected_bars[i]);
    auto it = std::find_if(clean.begin(), clean.end(),
                           [&](const Fired& f) { return f.bar == fired[i].bar; });
    CHECK(fired[i].sig.stop_loss == it->sig.stop_loss);
    CHECK(fired[i].sig.conviction == it->sig.conviction);
  }
}

// ---- sessions by the clock --------------------------------------------------------------------

TEST_CASE("timestamps: VWAP per ET session, nothing before 09:30", "[session]") {
  // GOLD spread over five trading days: each day 3 pre-market bars (08:45–08:55) then 57
  // session bars from 09:30 every 5 minutes.
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
  // Sessions matter: the clocked run differs from compatibility mode.
  const auto& compat = gold_run();
  bool differs = fired.size() != compat.size();
  for (std::size_t i = 0; !differs && i < fired.size(); ++i) {
    differs =
        fired[i].bar != compat[i].bar || fired[i].sig.target_price != compat[i].sig.target_price;
  }
  CHECK(differs);
  for (const auto& f : fired) CHECK(session[f.bar] >= 0);
}

TEST_CASE("timestamps: the new session's VWAP is the target", "[session]") {
  // Day 1: 20 session bars at 100 (volume 1000). Day 2: a pre-market bar at 200 (outside the
  // session), then the zigzag ending at 96: VWAP = 99.3125 of day 2's session only (with day 1
  // or the pre-market bar it would differ). The RSI (last 14 changes) sees day 2 only too.
  Series s;
  for (unsigned i = 0; i < 20; ++i) s.push(100, 101, 99, 100, 1000, et_us(9, 9 * 60 + 30 + 5 * i));
  s.push(200, 201, 199, 200, 1000, et_us(10, 8 * 60));
  const auto closes = zigzag(-1, -3);
  for (unsigned i = 0; i < closes.size(); ++i) {
    const double c = closes[i];
    s.push(c, c + 1, c - 1, c, 1000, et_us(10, 9 * 60 + 30 + 5 * i));
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run_series(h, host, s);
  REQUIRE_FALSE(fired.empty());
  const Fired& last = fired.back();
  CHECK(last.bar == s.size() - 1);
  CHECK(last.sig.direction == "long");
  CHECK(last.sig.target_price == Approx(99.3125).epsilon(1e-12));
  CHECK(last.sig.stop_loss == Approx(89.375).epsilon(1e-12));
}

// ---- config -----------------------------------------------------------------------------------

TEST_CASE("config: schema, defaults and rejected tables", "[config]") {
  FakeHost host;
  {
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(std::string(h.manifest().name) == "vwap_reversion");
    CHECK(std::string(h.manifest().description) == "VWAP mean-reversion");
    CHECK(h.manifest().kind == AXION_KIND_STRATEGY);
    const json defaults = schema_defaults(h);
    CHECK(defaults == json{{"rsi_period", 14},
                           {"rsi_oversold", 40.0},
                           {"rsi_overbought", 60.0},
                           {"vwap_deviation_pct", 0.5},
                           {"min_volume_ratio", 1.0},
                           {"risk_reward", 2.0},
                           {"timeframes", json::array()}});
  }
  CHECK_NOTHROW(
      PluginHarness(AXION_PLUGIN_SO, host,
                    json{{"rsi_period", 10}, {"risk_reward", 3.0}, {"timeframes", {"5m"}}}));
  struct Bad {
    json table;
    std::string key;
  };
  const std::vector<Bad> bad{
      {{{"bogus", 1}}, "bogus"},
      {{{"rsi_period", 0}}, "rsi_period"},
      {{{"rsi_period", 14.5}}, "rsi_period"},
      {{{"rsi_oversold", 101.0}}, "rsi_oversold"},
      {{{"rsi_overbought", -1.0}}, "rsi_overbought"},
      {{{"vwap_deviation_pct", -0.1}}, "vwap_deviation_pct"},
      {{{"min_volume_ratio", -1.0}}, "min_volume_ratio"},
      {{{"risk_reward", 0.0}}, "risk_reward"},
      {{{"rsi_oversold", 60.0}}, "rsi_oversold"},  // not below rsi_overbought (60)
      {{{"rsi_oversold", 70.0}, {"rsi_overbought", 65.0}}, "rsi_oversold"},
      {{{"timeframes", {"5m", "7m"}}}, "timeframes"},
      {{{"timeframes", "5m"}}, "timeframes"},
  };
  for (const auto& c : bad) {
    INFO(c.table.dump());
    CHECK(axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, c.table) == c.key);
  }
}

TEST_CASE("risk_reward is reserved and timeframes selects the series", "[config]") {
  const Series s = gold_series();
  const auto& raw = gold_run();
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"risk_reward", 5.0}});
    const auto fired = run_series(h, host, s);
    REQUIRE(fired.size() == raw.size());
    for (std::size_t i = 0; i < fired.size(); ++i) {
      CHECK(fired[i].sig.stop_loss == raw[i].sig.stop_loss);
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

TEST_CASE("interleaved symbols keep separate series", "[state]") {
  const Series a = gold_series();
  Series b = gold_series();
  for (std::size_t i = 0; i < b.size(); ++i) {
    b.open[i] = b.open[i] * 0.5 + 20, b.high[i] = b.high[i] * 0.5 + 20;
    b.low[i] = b.low[i] * 0.5 + 20, b.close[i] = b.close[i] * 0.5 + 20;
  }
  std::vector<Fired> alone_b;
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    alone_b = run_series(h, host, b, 0, SIZE_MAX, "SILV");
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::vector<Fired> mixed_a, mixed_b;
  for (std::size_t t = 0; t < a.size(); ++t) {
    for (auto& f : run_series(h, host, a, t, t + 1, "GOLD")) mixed_a.push_back(std::move(f));
    for (auto& f : run_series(h, host, b, t, t + 1, "SILV")) mixed_b.push_back(std::move(f));
  }
  const auto& alone_a = gold_run();
  REQUIRE(mixed_a.size() == alone_a.size());
  REQUIRE(mixed_b.size() == alone_b.size());
  for (std::size_t i = 0; i < mixed_a.size(); ++i)
    CHECK(mixed_a[i].sig.stop_loss == alone_a[i].sig.stop_loss);
  for (std::size_t i = 0; i < mixed_b.size(); ++i) {
    CHECK(mixed_b[i].sig.stop_loss == alone_b[i].sig.stop_loss);
    CHECK(mixed_b[i].sig.ticker == "SILV");
  }
}

TEST_CASE("invalid and out-of-order bars are rejected without touching the series", "[state]") {
  Series s = gold_series();
  s.ts_us.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i)
    s.ts_us[i] = et_us(9, 9 * 60 + 30) + static_cast<std::int64_t>(i) * 60'000'000;
  std::vector<Fired> clean;
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    clean = run_series(h, host, s);
  }
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  auto fired = run_series(h, host, s, 0, 100);
  axion::sdk::Bar bad = s.bar(100, "GOLD", "5m");
  bad.close = std::nan("");
  CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
  bad = s.bar(100, "GOLD", "5m");
  bad.low = bad.high + 1;
  CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
  bad = s.bar(100, "GOLD", "5m");
  bad.volume = -1;
  CHECK_THROWS_AS(h.on_bar(bad.as_view()), PluginCallError);
  CHECK_THROWS_AS(h.on_bar(s.bar(50, "GOLD", "5m").as_view()), PluginCallError);
  for (auto& f : run_series(h, host, s, 100)) fired.push_back(std::move(f));
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
  run_series(h, host, s, 0, 20, "GOLD");  // the series exists and its key buffer is sized
  std::size_t quiet_bars = 0, quiet_allocs = 0;
  for (std::size_t t = 20; t < s.size(); ++t) {
    const axion::sdk::Bar b = s.bar(t, "GOLD", "5m");
    AllocationCounter counter;
    const auto out = h.on_bar(b.as_view());
    const std::size_t allocs = counter.stop();
    if (out.empty()) ++quiet_bars, quiet_allocs += allocs;
  }
  CHECK(quiet_bars > 100);
  CHECK(quiet_allocs == 0);
}
