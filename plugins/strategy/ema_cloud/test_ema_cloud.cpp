// strategy/ema_cloud: the engine checked against a direct array recomputation and the golden
// vectors of strategies.md §16.1–§16.3, and the built plugin driven through its C ABI with
// FakeHost.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numbers>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "axion/sdk/testing/alloc_counter.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/strategy_support.hpp"
#include "axion/sdk/time.hpp"
#include "ema_cloud_engine.hpp"
#include "ema_cloud_mtf.hpp"

namespace {

namespace ec = axion::ema_cloud;
using axion::sdk::BarView;
using axion::sdk::Signal;
using namespace axion::sdk::testing;
using nlohmann::json;

// ---- data ------------------------------------------------------------------------------------

struct Bars {
  std::vector<double> o, h, l, c, v;
  std::size_t size() const { return c.size(); }
  ec::Ohlcv at(std::size_t t) const { return {o[t], h[t], l[t], c[t], v[t]}; }
};

// §16.1 GOLD. `scale`/`shift` give a second, different series for the interleaving test.
Bars gold(std::size_t n = 300, double scale = 1.0, double shift = 0.0) {
  const double pi = std::numbers::pi;
  Bars b;
  double prev_c = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i);
    const double c =
        100 + 8 * std::sin(2 * pi * t / 60) + 0.05 * t + 1.5 * std::sin(2 * pi * t / 7);
    const double o = i == 0 ? 100.0 : prev_c;
    prev_c = c;
    const double h = std::max(o, c) + 0.4 + 0.2 * std::fabs(std::sin(t));
    const double l = std::min(o, c) - 0.4 - 0.2 * std::fabs(std::cos(t));
    const double v = 1'000'000 * (1 + 0.5 * std::sin(2 * pi * t / 13)) + (i % 5 == 0 ? 800'000 : 0);
    b.o.push_back(o * scale + shift);
    b.h.push_back(h * scale + shift);
    b.l.push_back(l * scale + shift);
    b.c.push_back(c * scale + shift);
    b.v.push_back(v);
  }
  return b;
}

// §16.3 linear trend: closes linspace(80, 150, 120), O = C−0.1, H = C+0.5, L = C−0.3, V = 3e6.
Bars linear_trend() {
  Bars b;
  const int n = 120;
  const double step = (150.0 - 80.0) / (n - 1);
  for (int i = 0; i < n; ++i) {
    const double c = i == n - 1 ? 150.0 : 80.0 + i * step;
    b.o.push_back(c - 0.1);
    b.h.push_back(c + 0.5);
    b.l.push_back(c - 0.3);
    b.c.push_back(c);
    b.v.push_back(3e6);
  }
  return b;
}

// ---- straightforward array recomputation ------------------------------------------------------

std::vector<double> ref_ema(const std::vector<double>& x, int period) {
  const double a = 2.0 / (period + 1.0);
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    out[i] = i == 0 ? x[0] : a * x[i] + (1 - a) * out[i - 1];
  }
  return out;
}

ec::Series feed(const Bars& b, std::size_t upto, const ec::Periods& p = {}) {
  ec::Series s(p);
  for (std::size_t t = 0; t <= upto; ++t) s.update(b.at(t));
  return s;
}

// ---- plugin driving ---------------------------------------------------------------------------

constexpr std::int64_t kT0 = 1'770'000'000'000'000;  // an arbitrary UTC instant, µs
constexpr std::int64_t kStep5m = 300'000'000;

std::vector<Fired> run(PluginHarness& h, FakeHost& host, const Bars& b, const std::string& sym,
                       const std::string& tf, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  std::vector<Fired> out;
  for (std::size_t t = from; t < std::min(to, b.size()); ++t) {
    const std::int64_t ts = kT0 + static_cast<std::int64_t>(t) * kStep5m;
    host.clock.set_us(ts);
    BarView bar{sym, tf, ts, b.o[t], b.h[t], b.l[t], b.c[t], b.v[t]};
    for (auto& s : h.on_bar(bar)) out.push_back({t, std::move(s)});
  }
  return out;
}

std::string key_of(const Signal& s) {
  return s.signal_type + "|" + s.direction + "|" + axion::sdk::metadata_json(s).value("cloud", "") + "|" +
         axion::sdk::metadata_json(s).value("pattern", "") + "|" + axion::sdk::metadata_json(s).value("exhaustion_side", "");
}

// Emission rank of §4.1: per cloud cross, flip, bounce; then trend, exhaustion, candlesticks.
int rank_of(const Signal& s) {
  static const std::map<std::string, int> kind{
      {"cloud_cross_bullish", 0}, {"cloud_cross_bearish", 0}, {"cloud_flip_bullish", 1},
      {"cloud_flip_bearish", 1},  {"cloud_bounce_long", 2},   {"cloud_bounce_short", 2}};
  static const std::vector<std::string> clouds{"fast", "pullback", "trend", "macro", "long_term"};
  static const std::vector<std::string> patterns{
      "hammer",          "inverted_hammer", "bullish_engulfing", "bearish_engulfing",
      "pin_bar_bullish", "pin_bar_bearish"};
  auto k = kind.find(s.signal_type);
  if (k != kind.end()) {
    auto c = std::find(clouds.begin(), clouds.end(), axion::sdk::metadata_json(s).at("cloud").get<std::string>());
    return static_cast<int>(c - clouds.begin()) * 3 + k->second;
  }
  if (s.signal_type.rfind("trend_aligned", 0) == 0) return 15;
  if (s.signal_type == "momentum_exhaustion") return 16;
  auto p = std::find(patterns.begin(), patterns.end(), axion::sdk::metadata_json(s).at("pattern").get<std::string>());
  return 17 + static_cast<int>(p - patterns.begin());
}

const std::vector<Fired>& gold_run() {
  static const std::vector<Fired> fired = [] {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    return run(h, host, gold(), "GOLD", "5m");
  }();
  return fired;
}

}  // namespace

// ---- §2.1 / §16.2 EMAs ------------------------------------------------------------------------

TEST_CASE("EMA span-5 small check (§16.2)", "[ema]") {
  const std::vector<double> closes{100, 101, 99, 102, 104, 103, 105, 107, 106, 108};
  const std::vector<double> shown{100.0,      100.333333, 99.888889,  100.592593, 101.728395,
                                  102.152263, 103.101509, 104.401006, 104.934004, 105.956003};
  const auto ref = ref_ema(closes, 5);
  ec::Series s(ec::Periods{});  // fast_short = 5 is EMA index 0
  for (std::size_t i = 0; i < closes.size(); ++i) {
    s.update({closes[i], closes[i], closes[i], closes[i], 1});
    INFO("bar " << i);
    CHECK(printed(s.ema(0), shown[i], 6));
    CHECK(rel_close(s.ema(0), ref[i]));
  }
}

TEST_CASE("GOLD EMAs match §16.2 and a direct recomputation at every bar", "[ema]") {
  const Bars b = gold();
  const ec::Periods p;
  struct Row {
    int period;
    double bar1, bar90, bar299;
  };
  const Row table[] = {
      {5, 100.686325, 105.331715, 112.126063},  {12, 100.316765, 107.256791, 110.659882},
      {8, 100.45755, 106.410706, 111.373217},   {9, 100.411795, 106.678595, 111.157181},
      {20, 100.196093, 107.65956, 110.224276},  {21, 100.18718, 107.639054, 110.226694},
      {34, 100.117656, 106.916135, 110.581688}, {50, 100.080744, 105.929594, 110.988694},
      {72, 100.05641, 104.944157, 111.155399},  {89, 100.045755, 104.396195, 111.086923}};
  std::vector<std::vector<double>> ref;
  for (std::size_t i = 0; i < ec::kEmaCount; ++i) {
    REQUIRE(p.values[i] == table[i].period);
    ref.push_back(ref_ema(b.c, p.values[i]));
  }

  ec::Series s(p);
  std::size_t mismatches = 0;
  for (std::size_t t = 0; t < b.size(); ++t) {
    s.update(b.at(t));
    for (std::size_t i = 0; i < ec::kEmaCount; ++i) mismatches += !rel_close(s.ema(i), ref[i][t]);
    for (std::size_t i = 0; i < ec::kEmaCount; ++i) {
      INFO("period " << table[i].period << " bar " << t << " value " << s.ema(i));
      if (t == 1) CHECK(printed(s.ema(i), table[i].bar1, 6));
      if (t == 90) CHECK(printed(s.ema(i), table[i].bar90, 6));
      if (t == 299) CHECK(printed(s.ema(i), table[i].bar299, 6));
    }
  }
  CHECK(mismatches == 0);
  CHECK(s.bar_count() == 300);
}

// ---- §3.3 / §16.2 cloud states ----------------------------------------------------------------

TEST_CASE("cloud states at bar 149 (§16.2) and a direct recomputation at every bar", "[clouds]") {
  const Bars b = gold();
  const ec::Periods p;
  const ec::Series s = feed(b, 149);
  REQUIRE(printed(s.close(), 109.748620, 6));

  struct Row {
    const char* name;
    double short_ema, long_ema;
    bool bull;
    double thickness;
    const char* position;
    double slope;
    const char* dir;
  };
  const Row table[] = {
      {"fast", 110.2631, 111.2929, false, 0.009384, "below", -0.004125, "falling"},
      {"pullback", 110.8188, 110.9728, false, 0.001403, "below", -0.004265, "falling"},
      {"trend", 111.2909, 111.2356, true, 0.000504, "below", -0.001633, "falling"},
      {"macro", 110.2084, 108.9985, true, 0.011024, "inside", 0.000036, "flat"},
      {"long_term", 107.7746, 107.0686, true, 0.006433, "above", 0.000585, "flat"}};
  const auto states = s.cloud_states();
  for (std::size_t i = 0; i < ec::kLayers; ++i) {
    const auto& st = states[i];
    const Row& r = table[i];
    INFO("cloud " << r.name);
    CHECK(std::string(st.cloud_name) == r.name);
    CHECK(printed(st.short_ema, r.short_ema, 4));
    CHECK(printed(st.long_ema, r.long_ema, 4));
    CHECK(st.is_bullish == r.bull);
    CHECK(printed(st.thickness, r.thickness, 6));
    const std::string pos = st.price_above ? "above" : st.price_inside ? "inside" : "below";
    CHECK(pos == r.position);
    CHECK(int(st.price_above) + int(st.price_inside) + int(st.price_below) == 1);
    CHECK(printed(st.slope, r.slope, 6));
    CHECK(std::string(ec::to_string(st.slope_direction)) == r.dir);
  }

  // The same formulas over whole arrays, at every bar.
  std::vector<std::vector<double>> ema;
  for (int period : p.values) ema.push_back(ref_ema(b.c, period));
  ec::Series inc(p);
  std::size_t mismatches = 0;
  for (std::size_t t = 0; t < b.size(); ++t) {
    inc.update(b.at(t));
    const auto st = inc.cloud_states();
    for (std::size_t k = 0; k < ec::kLayers; ++k) {
      const double sh = ema[2 * k][t], lg = ema[2 * k + 1][t], c = b.c[t];
      const double up = std::max(sh, lg), lo = std::min(sh, lg);
      double slope = 0;
      if (t >= 5) {
        const double m1 = (sh + lg) / 2, m0 = (ema[2 * k][t - 5] + ema[2 * k + 1][t - 5]) / 2;
        slope = m0 > 0 ? (m1 - m0) / (5 * m0) : 0;
      }
      const bool ok =
          rel_close(st[k].short_ema, sh) && rel_close(st[k].long_ema, lg) &&
          st[k].is_bullish == (sh > lg) && rel_close(st[k].thickness, std::fabs(sh - lg) / c) &&
          st[k].price_above == (c > up) && st[k].price_below == (c < lo) &&
          st[k].price_inside == (lo <= c && c <= up) && std::fabs(st[k].slope - slope) <= 1e-12;
      mismatches += !ok;
    }
  }
  CHECK(mismatches == 0);
}

// ---- §4 / §16.3 detector through the plugin ---------------------------------------------------

TEST_CASE("detector over GOLD windows 90..299: counts of §16.3", "[detector]") {
  const auto& fired = gold_run();
  REQUIRE(fired.size() == 358);

  std::map<std::string, int> counts;
  for (const auto& f : fired) {
    std::string k = f.sig.signal_type;
    if (k == "momentum_exhaustion") k += " " + f.sig.direction;
    ++counts[k];
  }
  const std::map<std::string, int> expected{
      {"cloud_bounce_short", 89},       {"cloud_bounce_long", 86},
      {"trend_aligned_long", 47},       {"cloud_cross_bullish", 38},
      {"cloud_cross_bearish", 30},      {"candlestick_bullish", 18},
      {"cloud_flip_bearish", 16},       {"cloud_flip_bullish", 16},
      {"momentum_exhaustion short", 9}, {"momentum_exhaustion long", 7},
      {"trend_aligned_short", 2}};
  CHECK(counts == expected);  // also: no candlestick_bearish
  CHECK(fired.front().bar == 90);

  // † rows: 76 of the 340 non-candlestick signals; 8 of them use the L/H fallback.
  const Bars b = gold();
  int non_candle = 0, replaced = 0, fallback = 0;
  const Fired* first_fallback = nullptr;
  for (const auto& f : fired) {
    const bool candle = f.sig.signal_type.rfind("candlestick", 0) == 0;
    non_candle += !candle;
    const auto m = axion::sdk::metadata_json(f.sig);
    if (!m.contains("stop_replaced")) continue;
    CHECK_FALSE(candle);
    ++replaced;
    const double rule = m.at("rule_stop").get<double>();
    const bool is_long = f.sig.direction == "long";
    CHECK((is_long ? rule >= f.sig.entry_price : rule <= f.sig.entry_price));
    if (m.at("stop_replaced") == "bar_extreme") {
      ++fallback;
      CHECK(f.sig.signal_type == "momentum_exhaustion");
      CHECK(f.sig.stop_loss == (is_long ? b.l[f.bar] * 0.998 : b.h[f.bar] * 1.002));
      if (!first_fallback) first_fallback = &f;
    } else {
      CHECK(m.at("stop_replaced") == "cloud_level");
    }
  }
  CHECK(non_candle == 340);
  CHECK(replaced == 76);
  CHECK(fallback == 8);
  REQUIRE(first_fallback != nullptr);
  CHECK(first_fallback->bar == 142);
  CHECK(first_fallback->sig.direction == "short");
  CHECK(printed(axion::sdk::metadata_json(first_fallback->sig).at("rule_stop").get<double>(), 109.626, 3));
  CHECK(printed(first_fallback->sig.stop_loss, 115.4429, 4));
}

TEST_CASE("detector rows of §16.3 (bars 90..117), in emission order", "[detector]") {
  struct Row {
    std::size_t bar;
    const char* type;
    const char* dir;
    double entry;
    double stop;
    double rule_stop;                  // NaN unless † (wrong-side rule stop, replaced)
    std::vector<std::string> details;  // clouds, patterns, exhaustion side or trigger
  };
  const double no = std::nan("");
  // clang-format off
  const std::vector<Row> rows{
      {90, "cloud_bounce_short", "short", 103.3273, 106.4592, no, {"macro"}},
      {91, "cloud_bounce_short", "short", 103.7138, 106.3719, no, {"long_term"}},
      {92, "cloud_flip_bearish", "short", 104.1095, 106.3036, no, {"trend"}},
      {93, "cloud_bounce_short", "short", 103.6403, 106.2195, no, {"fast", "long_term"}},
      {94, "cloud_bounce_short", "short", 102.0969, 106.0778, no, {"fast", "long_term"}},
      {95, "cloud_bounce_short", "short", 100.0992, 105.863, no, {"fast"}},
      {96, "cloud_bounce_short", "short", 98.6353, 105.5989, no, {"fast"}},
      {99, "cloud_flip_bearish", "short", 99.6506, 104.9079, no, {"macro"}},
      {100, "cloud_bounce_short", "short", 99.5342, 104.7167, no, {"fast"}},
      {101, "cloud_bounce_short", "short", 98.3925, 104.488, no, {"fast"}},
      {102, "cloud_bounce_short", "short", 96.8407, 104.2071, no, {"fast", "pullback"}},
      {103, "cloud_bounce_short", "short", 95.8624, 103.8986, no, {"fast"}},
      {106, "cloud_cross_bullish", "long", 98.5166, 98.1449, 102.1818, {"pullback"}},
      {107, "cloud_cross_bullish", "long", 98.9872, 98.8079, 102.0371, {"fast"}},
      {108, "cloud_bounce_long", "long", 98.4424, 98.3392, 101.8768, {"pullback"}},
      {108, "cloud_flip_bearish", "short", 98.4424, 102.9007, no, {"long_term"}},
      {109, "cloud_cross_bearish", "short", 97.4908, 102.7077, no, {"fast", "pullback"}},
      {109, "trend_aligned_short", "short", 97.4908, 103.2187, no, {"trend_alignment"}},
      {110, "trend_aligned_short", "short", 97.1094, 103.0172, no, {"trend_alignment"}},
      {112, "cloud_cross_bullish", "long", 99.6548, 99.5791, 101.2424,
       {"fast", "pullback", "trend"}},
      {113, "cloud_flip_bullish", "long", 101.4697, 101.2314, no, {"fast", "pullback"}},
      {114, "cloud_bounce_long", "long", 102.4601, 101.2595, no, {"fast", "pullback", "trend"}},
      {114, "cloud_cross_bullish", "long", 102.4601, 101.2595, no, {"macro", "long_term"}},
      {114, "momentum_exhaustion", "short", 102.4601, 102.786, no, {"above"}},
      {116, "cloud_bounce_long", "long", 101.8953, 101.2882, no, {"macro"}},
      {116, "cloud_cross_bearish", "short", 101.8953, 102.3062, no, {"long_term"}},
      {117, "cloud_bounce_long", "long", 101.9155, 101.2928, no, {"fast", "macro"}},
      {117, "candlestick_bullish", "long", 101.9155, 101.1478, no, {"hammer", "inverted_hammer"}},
  };
  // clang-format on

  std::vector<const Fired*> actual;
  for (const auto& f : gold_run()) {
    if (f.bar <= 117) actual.push_back(&f);
  }
  std::vector<bool> used(actual.size(), false);
  std::size_t expected_count = 0;
  for (const Row& r : rows) {
    for (const std::string& detail : r.details) {
      ++expected_count;
      INFO("bar " << r.bar << " " << r.type << " " << detail);
      bool found = false;
      for (std::size_t i = 0; i < actual.size() && !found; ++i) {
        const auto& f = *actual[i];
        const auto m = axion::sdk::metadata_json(f.sig);
        const bool detail_match = m.value("cloud", "") == detail ||
                                  m.value("pattern", "") == detail ||
                                  m.value("exhaustion_side", "") == detail ||
                                  (m.value("trigger", "") == detail && !m.contains("cloud"));
        if (used[i] || f.bar != r.bar || f.sig.signal_type != r.type || !detail_match) continue;
        found = used[i] = true;
        CHECK(f.sig.direction == r.dir);
        CHECK(printed(f.sig.entry_price, r.entry, 4));
        CHECK(printed(f.sig.stop_loss, r.stop, 4));
        if (std::isnan(r.rule_stop)) {
          CHECK_FALSE(m.contains("stop_replaced"));
        } else {
          CHECK(m.value("stop_replaced", "") == "cloud_level");
          CHECK(printed(m.at("rule_stop").get<double>(), r.rule_stop, 4));
        }
      }
      CHECK(found);
    }
  }
  // Nothing else fired on bars 90..117.
  CHECK(actual.size() == expected_count);

  // Emission order (§4.1) on every bar of the run.
  const auto& all = gold_run();
  for (std::size_t i = 1; i < all.size(); ++i) {
    if (all[i].bar != all[i - 1].bar) continue;
    INFO("bar " << all[i].bar << ": " << key_of(all[i - 1].sig) << " then " << key_of(all[i].sig));
    CHECK(rank_of(all[i - 1].sig) < rank_of(all[i].sig));
  }
}

TEST_CASE("every emitted signal is well formed with a protective stop", "[detector]") {
  const Bars b = gold();
  for (const auto& f : gold_run()) {
    const Signal& s = f.sig;
    INFO("bar " << f.bar << " " << key_of(s));
    if (s.direction == "long") {
      CHECK(s.stop_loss < s.entry_price);
    } else {
      REQUIRE(s.direction == "short");
      CHECK(s.stop_loss > s.entry_price);
    }
    CHECK(s.entry_price == b.c[f.bar]);
    CHECK(s.target_price == 0);
    CHECK(s.ticker == "GOLD");
    CHECK(s.timeframe == "5m");
    CHECK(s.ts_us == kT0 + static_cast<std::int64_t>(f.bar) * kStep5m);  // engine clock
    CHECK(s.has_timezone);
    CHECK(s.conviction >= 0);
    CHECK(s.conviction <= 100);
    const auto m = axion::sdk::metadata_json(s);
    CHECK(m.value("strategy", "") == "ema_cloud");
    REQUIRE(s.cloud_states.size() == 5);
    CHECK(s.cloud_states[0].cloud_name == "fast");
    CHECK(s.cloud_states[0].price_above + s.cloud_states[0].price_inside + s.cloud_states[0].price_below == 1);
    CHECK(!m.contains("cloud_states"));
    CHECK(m.at("conviction_breakdown").size() == 5);
    const double range = b.h[f.bar] - b.l[f.bar];
    CHECK(m.at("body_ratio").get<double>() == std::fabs(b.c[f.bar] - b.o[f.bar]) / range);
    const bool per_cloud = s.signal_type.rfind("cloud_", 0) == 0;
    CHECK(m.contains("cloud") == per_cloud);
    CHECK(m.contains("trigger") == (s.signal_type.rfind("candlestick", 0) != 0));
    if (s.signal_type == "momentum_exhaustion") {
      CHECK(m.at("consecutive_bars") == 3);
      CHECK(m.at("exhaustion_side") == (s.direction == "short" ? "above" : "below"));
    }
    if (s.signal_type.rfind("trend_aligned", 0) == 0) {
      CHECK(m.at("all_bullish") == (s.direction == "long"));
    }
  }
}

TEST_CASE("fewer than 91 bars: no signal", "[detector]") {
  const Bars b = gold();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  CHECK(run(h, host, b, "GOLD", "5m", 0, 90).empty());         // bars 0..89: 90 bars
  CHECK_FALSE(run(h, host, b, "GOLD", "5m", 90, 91).empty());  // the 91st bar fires (§16.3 bar 90)

  // The precondition follows the largest configured period: max + 2 bars.
  FakeHost host2;
  PluginHarness h2(AXION_PLUGIN_SO, host2, json{{"long_term_long", 120}});
  const auto fired = run(h2, host2, b, "GOLD", "5m");
  REQUIRE_FALSE(fired.empty());
  CHECK(fired.front().bar >= 121);

  ec::Series s = feed(b, 89);
  ec::DetectionList out;
  s.detect(s.cloud_states(), out);
  CHECK(out.empty());
  s.update(b.at(90));
  s.detect(s.cloud_states(), out);
  CHECK_FALSE(out.empty());
}

TEST_CASE("candlestick patterns at cloud levels (§4.3)", "[detector]") {
  // 98 flat bars at 100 put every EMA at 100; then the previous and the latest bar.
  auto candles = [](ec::Ohlcv prev, ec::Ohlcv cur) {
    ec::Series s{ec::Periods{}};
    for (int i = 0; i < 98; ++i) s.update({100, 100, 100, 100, 1e6});
    s.update(prev);
    s.update(cur);
    ec::DetectionList out;
    s.detect(s.cloud_states(), out);
    std::vector<std::string> got;
    for (const auto& d : out) {
      if (!d.pattern) continue;
      got.push_back(std::string(d.pattern) + ":" + std::string(ec::to_string(d.type)) + ":" +
                    std::string(ec::to_string(d.direction)) + ":" + std::to_string(d.stop));
      CHECK(d.stop_basis == ec::StopBasis::Rule);
      CHECK(d.pattern_body_ratio == std::fabs(cur.close - cur.open) / (cur.high - cur.low));
    }
    return got;
  };
  auto row = [](const char* pattern, const char* type, const char* dir, double stop) {
    return std::string(pattern) + ":" + type + ":" + dir + ":" + std::to_string(stop);
  };
  const ec::Ohlcv doji{100, 100.1, 99.9, 100, 1e6};

  // Hammer (body ratio 0.05/0.56) that is also a bullish pin bar.
  CHECK(candles(doji, {100, 100.06, 99.5, 100.05, 1e6}) ==
        std::vector<std::string>{
            row("hammer", "candlestick_bullish", "long", 99.5 * 0.998),
            row("pin_bar_bullish", "candlestick_bullish", "long", 99.5 * 0.998)});
  // Hammer with body ratio 0.1/0.313 ≈ 0.32: below 0.35, too thick for a pin bar (< 0.3).
  CHECK(candles(doji, {100, 100.103, 99.79, 100.1, 1e6}) ==
        std::vector<std::string>{row("hammer", "candlestick_bullish", "long", 99.79 * 0.998)});
  // Inverted hammer that is also a bearish pin bar.
  CHECK(candles(doji, {100, 100.5, 99.99, 100.04, 1e6}) ==
        std::vector<std::string>{
            row("inverted_hammer", "candlestick_bullish", "long", 99.99 * 0.998),
            row("pin_bar_bearish", "candlestick_bearish", "short", 100.5 * 1.002)});
  // Engulfing both ways; stops beyond both bars.
  CHECK(candles({100.02, 100.05, 99.88, 99.95, 1e6}, {99.93, 100.08, 99.9, 100.06, 1e6}) ==
        std::vector<std::string>{
            row("bullish_engulfing", "candlestick_bullish", "long", 99.88 * 0.998)});
  CHECK(candles({99.95, 100.09, 99.9, 100.02, 1e6}, {100.05, 100.08, 99.85, 99.9, 1e6}) ==
        std::vector<std::string>{
            row("bearish_engulfing", "candlestick_bearish", "short", 100.09 * 1.002)});
  // Bearish pin bar alone (c < o, so no inverted hammer).
  CHECK(candles(doji, {100, 100.5, 99.95, 99.98, 1e6}) ==
        std::vector<std::string>{
            row("pin_bar_bearish", "candlestick_bearish", "short", 100.5 * 1.002)});
  // Same hammer far from every cloud level: the near-cloud gate rejects it.
  CHECK(candles(doji, {110, 110.06, 109.5, 110.05, 1e6}).empty());
  // Zero range: no pattern.
  CHECK(candles(doji, {100, 100, 100, 100, 1e6}).empty());
}

// ---- §5 / §7 scanner scoring ------------------------------------------------------------------

TEST_CASE("scanner scoring of §16.3 (bars 90, 114, 117, 149)", "[scorer]") {
  struct Row {
    std::size_t bar;
    std::vector<std::string> signals;  // key_of() of the signals it covers
    int total;
    double align, mtf, vol, thick, slope, candle, factor;
    double body_ratio, vol_ratio;
  };
  // clang-format off
  const std::vector<Row> rows{
      {90, {"cloud_bounce_short|short|macro||"},
       37, 10.0, 5.0, 7.5, 3.5, 3.0, 4.0, 4.5, 0.3173, 1.4747},
      {114, {"cloud_bounce_long|long|fast||", "cloud_bounce_long|long|pullback||",
             "cloud_bounce_long|long|trend||", "cloud_cross_bullish|long|macro||",
             "cloud_cross_bullish|long|long_term||"},
       30, 10.0, 5.0, 3.0, 2.0, 2.0, 4.0, 4.5, 0.4782, 0.4437},
      {114, {"momentum_exhaustion|short|||above"},
       28, 7.5, 5.0, 3.0, 2.0, 2.0, 4.0, 4.5, 0.4782, 0.4437},
      {117, {"cloud_bounce_long|long|fast||", "cloud_bounce_long|long|macro||",
             "candlestick_bullish|long||hammer|", "candlestick_bullish|long||inverted_hammer|"},
       28, 10.0, 5.0, 3.0, 2.0, 3.0, 1.0, 4.5, 0.0183, 0.946},
      {149, {"cloud_bounce_short|short|fast||"},
       33, 10.0, 5.0, 3.0, 3.5, 3.0, 4.0, 4.5, 0.3192, 0.8865},
  };
  // clang-format on
  const Bars b = gold();
  for (const Row& r : rows) {
    for (const std::string& key : r.signals) {
      INFO("bar " << r.bar << " " << key);
      // Through the plugin: conviction and metadata.
      const Fired* hit = nullptr;
      for (const auto& f : gold_run()) {
        if (f.bar == r.bar && key_of(f.sig) == key) hit = &f;
      }
      REQUIRE(hit != nullptr);
      const auto m = axion::sdk::metadata_json(hit->sig);
      CHECK(hit->sig.conviction == r.total);
      CHECK(printed(m.at("body_ratio").get<double>(), r.body_ratio, 4));
      const auto& bd = m.at("conviction_breakdown");
      CHECK(bd.at("cloud_alignment").get<double>() == r.align);
      CHECK(bd.at("volume").get<double>() == r.vol);
      CHECK(bd.at("thickness").get<double>() == r.thick);
      CHECK(bd.at("candle").get<double>() == r.candle);
      CHECK(bd.at("factor").get<double>() == r.factor);

      // Through the engine: every component and the breakdown.
      const ec::Series s = feed(b, r.bar);
      const auto states = s.cloud_states();
      ec::ScoreInputs in;
      in.direction = hit->sig.direction == "long" ? ec::Direction::Long : ec::Direction::Short;
      in.states = states;
      in.volume = s.volume_data();
      in.body_ratio = s.body_ratio();
      const auto sc = ec::score(in);
      CHECK(sc.total == r.total);
      CHECK(sc.cloud_alignment == r.align);
      CHECK(sc.mtf_confluence == r.mtf);
      CHECK(sc.volume_confirmation == r.vol);
      CHECK(sc.cloud_thickness == r.thick);
      CHECK(sc.cloud_slope == r.slope);
      CHECK(sc.candle_quality == r.candle);
      CHECK(sc.factor_score == r.factor);
      CHECK(printed(sc.volume_ratio, r.vol_ratio, 4));
      CHECK(sc.total_clouds == 5);
      // Volume data is {V[t], mean(V[t−19..t])}, recomputed here directly.
      double sum = 0;
      for (std::size_t t = r.bar - 19; t <= r.bar; ++t) sum += b.v[t];
      REQUIRE(in.volume.has_value());
      CHECK(in.volume->current == b.v[r.bar]);
      CHECK(rel_close(in.volume->avg, sum / 20));
    }
  }
}

TEST_CASE("scorer rules of §5 on hand-made states", "[scorer]") {
  ec::CloudStates st{};
  for (auto& s : st) {
    s.is_bullish = true;
    s.price_above = true;
    s.thickness = 0.02;
    s.slope_direction = ec::SlopeDirection::Rising;
  }
  ec::ScoreInputs in;
  in.states = st;
  // No volume data, no body ratio, no factor scores: 25 + 5 + 4.5 + 5 + 5 + 7 + 4.5.
  auto sc = ec::score(in);
  CHECK(sc.total == 56);
  CHECK(std::string(sc.level) == "medium");
  CHECK(sc.aligned_clouds == 5);
  CHECK(sc.volume_ratio == 0);

  in.volume = ec::VolumeData{300, 100};
  in.body_ratio = 0.75;
  in.confirming_timeframes = 4;
  in.factor_composite = 1.0;
  sc = ec::score(in);  // 25 + 25 + 15 + 5 + 5 + 10 + 15 = 100
  CHECK(sc.total == 100);
  CHECK(std::string(sc.level) == "high");
  CHECK(sc.volume_ratio == 3.0);

  in.unusual_volume_threshold = 4.0;  // r = 3 is now the 1.5× tier
  CHECK(ec::score(in).volume_confirmation == 12.0);
  in.volume = ec::VolumeData{300, 0};
  CHECK(ec::score(in).volume_confirmation == 0.0);

  in.direction = ec::Direction::Short;  // bullish clouds score nothing for a short
  CHECK(ec::score(in).cloud_alignment == 0.0);
  CHECK(ec::score(in).aligned_clouds == 0);

  ec::ScoreInputs empty;
  sc = ec::score(empty);
  CHECK(sc.cloud_alignment == 0);
  CHECK(sc.cloud_thickness == 0);
  CHECK(sc.cloud_slope == 0);
  CHECK(sc.total == 21);  // 5 + 4.5 + 7 + 4.5 = 21
  CHECK(std::string(sc.level) == "none");
}

TEST_CASE("linear trend check (§16.3)", "[detector][scorer]") {
  const Bars b = linear_trend();
  const ec::Series s = feed(b, b.size() - 1);
  const auto states = s.cloud_states();
  ec::DetectionList out;
  s.detect(states, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == ec::SignalType::TrendAlignedLong);
  CHECK(out[0].direction == ec::Direction::Long);
  CHECK(out[0].entry == 150.0);
  CHECK(printed(out[0].stop, 134.3545, 4));
  CHECK(out[0].stop_basis == ec::StopBasis::Rule);

  ec::ScoreInputs in;  // unscored: no volume data, no body ratio
  in.direction = out[0].direction;
  in.states = states;
  const auto sc = ec::score(in);
  CHECK(sc.total == 56);
  CHECK(sc.cloud_alignment == 25);
  CHECK(sc.mtf_confluence == 5);
  CHECK(sc.volume_confirmation == 4.5);
  CHECK(sc.cloud_thickness == 5);
  CHECK(sc.cloud_slope == 5);
  CHECK(sc.candle_quality == 7);
  CHECK(sc.factor_score == 4.5);

  // Through the plugin the scanner scores it with the window's data: volume ratio 1.0 → 7.5 and
  // body ratio 0.1/0.8 = 0.125 → 1, so 25 + 5 + 7.5 + 5 + 5 + 1 + 4.5 = 53.
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  const auto fired = run(h, host, b, "LIN", "1d");
  std::vector<const Fired*> last;
  for (const auto& f : fired) {
    if (f.bar == b.size() - 1) last.push_back(&f);
  }
  REQUIRE(last.size() == 1);
  CHECK(last[0]->sig.signal_type == "trend_aligned_long");
  CHECK(last[0]->sig.conviction == 53);
  CHECK(last[0]->sig.timeframe == "1d");
  CHECK(axion::sdk::metadata_json(last[0]->sig).at("all_bullish") == true);
}

// ---- config ----------------------------------------------------------------------------------

TEST_CASE("config: schema, defaults and rejected tables", "[config]") {
  FakeHost host;
  {
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(std::string(h.manifest().name) == "ema_cloud");
    CHECK(h.manifest().kind == AXION_KIND_STRATEGY);
    const json schema = h.schema();
    std::map<std::string, json> defaults;
    for (const auto& k : schema) defaults[k.at("key")] = k.at("default");
    CHECK(defaults.size() == 14);
    const char* periods[] = {"fast_short",      "fast_long",     "pullback_short", "pullback_long",
                             "trend_short",     "trend_long",    "macro_short",    "macro_long",
                             "long_term_short", "long_term_long"};
    for (std::size_t i = 0; i < 10; ++i) CHECK(defaults[periods[i]] == ec::kDefaultPeriods[i]);
    CHECK(defaults["unusual_volume_threshold"] == 2.0);
    CHECK(defaults["min_conviction"] == 0);
    CHECK(defaults["timeframes"] == json::array());
    CHECK(defaults["mtf_timeframes"] == json::array());
  }
  CHECK_NOTHROW(PluginHarness(AXION_PLUGIN_SO, host,
                              json{{"timeframes", {"5m", "1d"}},
                                   {"min_conviction", 25},
                                   {"fast_short", 3},
                                   {"fast_long", 7}}));

  struct Bad {
    json table;
    std::string key;
  };
  const std::vector<Bad> bad{
      {{{"bogus", 1}}, "bogus"},
      {{{"fast_short", 0}}, "fast_short"},
      {{{"long_term_long", 20000}}, "long_term_long"},
      {{{"fast_short", "5"}}, "fast_short"},
      {{{"fast_short", 12}, {"fast_long", 12}}, "fast_short"},
      {{{"macro_short", 60}}, "macro_short"},  // macro_long is 50
      {{{"trend_long", 19}}, "trend_short"},   // trend_short is 20
      {{{"unusual_volume_threshold", 1.0}}, "unusual_volume_threshold"},
      {{{"min_conviction", 101}}, "min_conviction"},
      {{{"timeframes", {"5m", "7m"}}}, "timeframes"},
      {{{"mtf_timeframes", {"5m", "1m"}}}, "mtf_timeframes"},  // nothing finer to build 1m from
      {{{"mtf_timeframes", {"2h"}}}, "mtf_timeframes"},
      {{{"mtf_timeframes", "5m"}}, "mtf_timeframes"},
      {{{"timeframes", "5m"}}, "timeframes"},
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

TEST_CASE("min_conviction drops low signals, timeframes selects the series", "[config]") {
  const Bars b = gold();
  const auto& raw = gold_run();
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"min_conviction", 30}});
    const auto fired = run(h, host, b, "GOLD", "5m");
    std::vector<std::string> expected, actual;
    for (const auto& f : raw) {
      if (f.sig.conviction >= 30) expected.push_back(std::to_string(f.bar) + key_of(f.sig));
    }
    for (const auto& f : fired) actual.push_back(std::to_string(f.bar) + key_of(f.sig));
    CHECK(actual == expected);
    CHECK_FALSE(actual.empty());
    CHECK(actual.size() < raw.size());
  }
  {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"timeframes", {"1h"}}});
    CHECK(run(h, host, b, "GOLD", "5m").empty());
    CHECK(run(h, host, b, "GOLD", "1h").size() == raw.size());
  }
}

// ---- state per (symbol, timeframe) ----------------------------------------------------------

TEST_CASE("interleaved symbols and timeframes give the same results as each alone", "[state]") {
  struct Stream {
    std::string sym, tf;
    Bars bars;
  };
  const std::vector<Stream> streams{{"GOLD", "5m", gold()},
                                    {"SILV", "5m", gold(300, 0.5, 20.0)},
                                    {"GOLD", "1h", gold(300, 1.5, -30.0)}};

  auto dump = [](const std::vector<Fired>& v) {
    std::vector<std::string> out;
    for (const auto& f : v) {
      const Signal& s = f.sig;
      out.push_back(std::to_string(f.bar) + key_of(s) + s.ticker + s.timeframe +
                    std::to_string(s.conviction) + std::to_string(s.entry_price) +
                    std::to_string(s.stop_loss) + std::to_string(s.ts_us) + axion::sdk::metadata_json(s).dump());
    }
    return out;
  };

  std::vector<std::vector<std::string>> alone;
  for (const auto& st : streams) {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host);
    alone.push_back(dump(run(h, host, st.bars, st.sym, st.tf)));
    CHECK_FALSE(alone.back().empty());
  }
  CHECK(alone[0] != alone[1]);

  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::vector<std::vector<Fired>> mixed(streams.size());
  for (std::size_t t = 0; t < 300; ++t) {
    for (std::size_t i = 0; i < streams.size(); ++i) {
      auto part = run(h, host, streams[i].bars, streams[i].sym, streams[i].tf, t, t + 1);
      for (auto& f : part) mixed[i].push_back(std::move(f));
    }
  }
  for (std::size_t i = 0; i < streams.size(); ++i) CHECK(dump(mixed[i]) == alone[i]);
}

TEST_CASE("invalid and out-of-order bars are rejected without touching the series", "[state]") {
  const Bars b = gold();
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::vector<Fired> fired = run(h, host, b, "GOLD", "5m", 0, 150);

  const std::int64_t ts = kT0 + 150 * kStep5m;
  host.clock.set_us(ts);
  BarView nan_bar{"GOLD", "5m", ts, b.o[150], b.h[150], b.l[150], std::nan(""), b.v[150]};
  CHECK_THROWS_AS(h.on_bar(nan_bar), PluginCallError);
  BarView zero_bar{"GOLD", "5m", ts, b.o[150], b.h[150], 0.0, b.c[150], b.v[150]};
  CHECK_THROWS_AS(h.on_bar(zero_bar), PluginCallError);
  BarView old_bar{"GOLD",   "5m",     ts - 10 * kStep5m, b.o[150],
                  b.h[150], b.l[150], b.c[150],          b.v[150]};
  CHECK_THROWS_AS(h.on_bar(old_bar), PluginCallError);

  for (auto& f : run(h, host, b, "GOLD", "5m", 150)) fired.push_back(std::move(f));
  const auto& clean = gold_run();
  REQUIRE(fired.size() == clean.size());
  for (std::size_t i = 0; i < fired.size(); ++i) {
    CHECK(fired[i].bar == clean[i].bar);
    CHECK(key_of(fired[i].sig) == key_of(clean[i].sig));
    CHECK(fired[i].sig.stop_loss == clean[i].sig.stop_loss);
  }
}

// ---- hot path ---------------------------------------------------------------------------------

TEST_CASE("no allocation per bar", "[perf]") {
  const Bars b = gold();
  // Engine: update, states, detection, volume data, scoring.
  ec::Series s{ec::Periods{}};
  ec::DetectionList out;
  std::size_t detections = 0;
  AllocationCounter engine_counter;
  for (std::size_t t = 0; t < b.size(); ++t) {
    s.update(b.at(t));
    const auto states = s.cloud_states();
    s.detect(states, out);
    for (const auto& d : out) {
      ec::ScoreInputs in;
      in.direction = d.direction;
      in.states = states;
      in.volume = s.volume_data();
      in.body_ratio = s.body_ratio();
      detections += ec::score(in).total >= 0;
    }
  }
  const std::size_t engine_allocs = engine_counter.stop();
  CHECK(detections == 358);
  CHECK(engine_allocs == 0);

  // Plugin: after the series exists, no bar allocates, those that emit included (signals are
  // built in place as C records), with and without confluence over aggregated timeframes.
  for (const json& cfg : {json::object(), json{{"mtf_timeframes", {"10m", "1h"}}}}) {
    INFO(cfg.dump());
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, cfg);
    std::size_t first_allocs = 0, later_allocs = 0, quiet_bars = 0, signals = 0;
    for (std::size_t t = 0; t < b.size(); ++t) {
      const std::int64_t ts = kT0 + static_cast<std::int64_t>(t) * kStep5m;
      host.clock.set_us(ts);
      BarView bar{"GOLD", "5m", ts, b.o[t], b.h[t], b.l[t], b.c[t], b.v[t]};
      AllocationCounter counter;
      const std::size_t emitted = h.on_bar_count(bar);
      const std::size_t allocs = counter.stop();
      if (t == 0) {
        first_allocs = allocs;  // creates the symbol and its series
        continue;
      }
      later_allocs += allocs;
      signals += emitted;
      quiet_bars += emitted == 0;
    }
    CHECK(quiet_bars > 90);
    CHECK(signals > 100);
    CHECK(later_allocs == 0);
    CHECK(first_allocs > 0);  // the counter does see the plugin's allocations
  }
}

// ---- §6 multi-timeframe confluence: the pure rule -------------------------------------------

namespace {

constexpr auto kLong = ec::Direction::Long;
constexpr auto kShort = ec::Direction::Short;

struct ConfOut {
  std::vector<int> boosted;
  std::vector<std::size_t> group;
  ec::ConfluenceResult r;
};

ConfOut confluence(const std::vector<ec::ConfluenceInput>& in) {
  ConfOut o;
  o.boosted.resize(in.size());
  o.group.resize(in.size());
  o.r = ec::compute_confluence(in, o.boosted, o.group);
  return o;
}

}  // namespace

TEST_CASE("confluence: one timeframe gives no MTF signal (§17)", "[mtf]") {
  const std::vector<ec::ConfluenceInput> in{{"5m", kLong, 40}, {"5m", kLong, 55}};
  const ConfOut o = confluence(in);
  REQUIRE(o.r.group_count == 1);
  CHECK(o.r.groups[0].confirming == 1);
  CHECK(o.r.groups[0].boost == 0);
  CHECK(o.r.groups[0].members == 2);
  CHECK_FALSE(o.r.groups[0].mtf());
  CHECK(o.boosted == std::vector<int>{40, 55});
  CHECK(ec::confirmed_timeframes(in, o.group, 0).to_vector() == std::vector<std::string>{"5m"});
}

TEST_CASE("confluence: three timeframes at 40 give 60 each and one MTF at 60 (§17)", "[mtf]") {
  const std::vector<ec::ConfluenceInput> in{{"1m", kLong, 40}, {"5m", kLong, 40}, {"1h", kLong, 40}};
  const ConfOut o = confluence(in);
  REQUIRE(o.r.group_count == 1);
  const auto& g = o.r.groups[0];
  CHECK(g.direction == kLong);
  CHECK(g.confirming == 3);
  CHECK(g.boost == 20);
  CHECK(g.members == 3);
  CHECK(g.mtf());
  CHECK(g.base == 2);  // 1h has the highest TIMEFRAMES index
  CHECK(o.boosted == std::vector<int>{60, 60, 60});
  CHECK(o.boosted[g.base] == 60);  // the MTF signal's conviction: boosted once, not 80
  CHECK(ec::confirmed_timeframes(in, o.group, 0).to_vector() == std::vector<std::string>{"1h", "1m", "5m"});
}

TEST_CASE("confluence: two long and one short give no long MTF (§17)", "[mtf]") {
  const std::vector<ec::ConfluenceInput> in{
      {"1m", kLong, 40}, {"5m", kShort, 40}, {"1h", kLong, 40}};
  const ConfOut o = confluence(in);
  REQUIRE(o.r.group_count == 2);
  CHECK(o.r.groups[0].direction == kLong);
  CHECK(o.r.groups[0].confirming == 2);
  CHECK(o.r.groups[0].boost == 10);
  CHECK_FALSE(o.r.groups[0].mtf());
  CHECK(o.r.groups[1].direction == kShort);
  CHECK(o.r.groups[1].confirming == 1);
  CHECK_FALSE(o.r.groups[1].mtf());
  CHECK(o.group == std::vector<std::size_t>{0, 1, 0});
  CHECK(o.boosted == std::vector<int>{50, 40, 50});
  CHECK(ec::confirmed_timeframes(in, o.group, 0).to_vector() == std::vector<std::string>{"1h", "1m"});
}

TEST_CASE("confluence: boost table, cap, distinct timeframes and the MTF base", "[mtf]") {
  const int table[] = {0, 0, 10, 20, 25, 25, 25};
  for (std::size_t k = 1; k <= 6; ++k) CHECK(ec::confluence_boost(k) == table[k]);

  // Two signals of one timeframe count once.
  ConfOut o = confluence({{"5m", kLong, 40}, {"5m", kLong, 30}, {"1m", kLong, 20}});
  CHECK(o.r.groups[0].confirming == 2);
  CHECK(o.r.groups[0].members == 3);
  CHECK(o.boosted == std::vector<int>{50, 40, 30});

  // Four timeframes: +25, capped at 100; the 1d member is the base.
  o = confluence({{"1m", kLong, 90}, {"5m", kLong, 85}, {"10m", kLong, 70}, {"1d", kLong, 10}});
  CHECK(o.r.groups[0].confirming == 4);
  CHECK(o.boosted == std::vector<int>{100, 100, 95, 35});
  CHECK(o.r.groups[0].base == 3);

  // First maximum wins; groups in order of first appearance.
  o = confluence({{"1h", kShort, 40},
                  {"1h", kShort, 50},
                  {"1m", kLong, 10},
                  {"5m", kShort, 30},
                  {"10m", kShort, 20}});
  REQUIRE(o.r.group_count == 2);
  CHECK(o.r.groups[0].direction == kShort);
  CHECK(o.r.groups[0].confirming == 3);
  CHECK(o.r.groups[0].members == 4);
  CHECK(o.r.groups[0].base == 0);
  CHECK(o.boosted == std::vector<int>{60, 70, 10, 50, 40});
  CHECK(o.r.groups[1].direction == kLong);
  CHECK(o.r.groups[1].base == 2);

  // An unknown label ranks 0 (like 1m): the first of them stays the base unless a higher one.
  o = confluence({{"2m", kLong, 10}, {"1m", kLong, 10}});
  CHECK(o.r.groups[0].base == 0);
  CHECK(o.r.groups[0].confirming == 2);
  o = confluence({{"2m", kLong, 10}, {"1m", kLong, 10}, {"5m", kLong, 10}});
  CHECK(o.r.groups[0].base == 2);

  // All five.
  o = confluence(
      {{"1m", kLong, 0}, {"5m", kLong, 0}, {"10m", kLong, 0}, {"1h", kLong, 0}, {"1d", kLong, 0}});
  CHECK(o.r.groups[0].confirming == 5);
  CHECK(o.boosted == std::vector<int>{25, 25, 25, 25, 25});
  CHECK(ec::confirmed_timeframes(
            std::vector<ec::ConfluenceInput>{{"1m", kLong, 0}, {"5m", kLong, 0}, {"10m", kLong, 0},
                                             {"1h", kLong, 0}, {"1d", kLong, 0}},
            o.group, 0)
            .to_vector() == std::vector<std::string>{"10m", "1d", "1h", "1m", "5m"});

  // Empty input: no groups.
  o = confluence({});
  CHECK(o.r.group_count == 0);
}

// ---- the higher-timeframe aggregator ------------------------------------------------------------

namespace {

constexpr std::int64_t kMinute = 60'000'000;

std::int64_t et_us(int y, unsigned mo, unsigned d, unsigned h, unsigned mi) {
  return axion::sdk::time::eastern_to_utc(y, mo, d, h, mi);
}

struct Done {
  std::size_t at;  // index of the source bar that completed it
  bool previous;   // completed by a later bucket's bar (its last bar missing)
  std::int64_t ts;
  ec::Ohlcv bar;
};

std::vector<Done> aggregate(ec::BarAggregator& a, const std::vector<std::int64_t>& ts,
                            const std::vector<ec::Ohlcv>& bars) {
  std::vector<Done> out;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const auto o = a.add(ts[i], bars[i]);
    if (o.has_previous) out.push_back({i, true, o.previous.ts_us, o.previous.bar});
    if (o.has_closed) out.push_back({i, false, o.closed.ts_us, o.closed.bar});
  }
  return out;
}

// O first, H max, L min, C last, V sum of bars[from..to].
ec::Ohlcv merged(const std::vector<ec::Ohlcv>& bars, std::size_t from, std::size_t to) {
  ec::Ohlcv m = bars[from];
  for (std::size_t i = from + 1; i <= to; ++i) {
    m.high = std::max(m.high, bars[i].high);
    m.low = std::min(m.low, bars[i].low);
    m.close = bars[i].close;
    m.volume += bars[i].volume;
  }
  return m;
}

bool same_bar(const ec::Ohlcv& a, const ec::Ohlcv& b) {
  return a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close &&
         a.volume == b.volume;
}

ec::Ohlcv minute_bar(std::size_t k) {
  const double o = 100 + static_cast<double>(k);
  return {o, o + 2 + 0.1 * static_cast<double>(k % 4), o - 1 - static_cast<double>(k % 3),
          o + 0.5, 1000.0 + static_cast<double>(k)};
}

}  // namespace

TEST_CASE("aggregator: clock buckets of end-stamped bars", "[mtf][aggregate]") {
  ec::BarAggregator a5("5m"), a10("10m"), a1h("1h"), a1d("1d");
  CHECK(a5.accepts_source("1m"));
  CHECK_FALSE(a5.accepts_source("5m"));
  CHECK_FALSE(a5.accepts_source("1h"));
  CHECK_FALSE(a5.accepts_source("7m"));
  CHECK(a10.accepts_source("5m"));
  CHECK(a1h.accepts_source("10m"));
  CHECK(a1d.accepts_source("1h"));
  CHECK_FALSE(a1d.accepts_source("1d"));

  // 09:31 … 10:00 ET: the first and last 1-minute bars of the first half hour.
  std::vector<std::int64_t> ts;
  std::vector<ec::Ohlcv> bars;
  for (std::size_t k = 0; k < 30; ++k) {
    ts.push_back(et_us(2026, 2, 9, 9, 31) + static_cast<std::int64_t>(k) * kMinute);
    bars.push_back(minute_bar(k));
  }
  const auto d5 = aggregate(a5, ts, bars);
  REQUIRE(d5.size() == 6);
  for (std::size_t b = 0; b < 6; ++b) {
    INFO("5m bucket " << b);
    CHECK(d5[b].at == 5 * b + 4);
    CHECK_FALSE(d5[b].previous);
    CHECK(d5[b].ts == et_us(2026, 2, 9, 9, 35) + static_cast<std::int64_t>(b) * 5 * kMinute);
    CHECK(same_bar(d5[b].bar, merged(bars, 5 * b, 5 * b + 4)));
  }
  const auto d10 = aggregate(a10, ts, bars);
  REQUIRE(d10.size() == 3);
  CHECK(d10[0].at == 9);
  CHECK(d10[2].ts == et_us(2026, 2, 9, 10, 0));
  CHECK(same_bar(d10[1].bar, merged(bars, 10, 19)));
  // Clock hours: 09:30–10:00 is the first (half) hour of the session.
  const auto d1h = aggregate(a1h, ts, bars);
  REQUIRE(d1h.size() == 1);
  CHECK(d1h[0].at == 29);
  CHECK(d1h[0].ts == et_us(2026, 2, 9, 10, 0));
  CHECK(same_bar(d1h[0].bar, merged(bars, 0, 29)));
  CHECK(d1h[0].bar.volume == 30 * 1000.0 + 29 * 30 / 2);
}

TEST_CASE("aggregator: a bucket without its last bar completes at the next bucket's first bar",
          "[mtf][aggregate]") {
  ec::BarAggregator a5("5m");
  // 09:31–09:34 (09:35 missing), 09:40 alone, 09:41–09:43, then 09:50 (09:45 bucket unfinished).
  const unsigned minutes[] = {31, 32, 33, 34, 40, 41, 42, 43, 50};
  std::vector<std::int64_t> ts;
  std::vector<ec::Ohlcv> bars;
  for (std::size_t k = 0; k < std::size(minutes); ++k) {
    ts.push_back(et_us(2026, 2, 9, 9, minutes[k]));
    bars.push_back(minute_bar(k));
  }
  const auto d = aggregate(a5, ts, bars);
  REQUIRE(d.size() == 4);
  // At 09:40: the 09:35 bucket (without its last bar), then the 09:40 bucket (one bar).
  CHECK(d[0].at == 4);
  CHECK(d[0].previous);
  CHECK(d[0].ts == et_us(2026, 2, 9, 9, 35));
  CHECK(same_bar(d[0].bar, merged(bars, 0, 3)));
  CHECK(d[1].at == 4);
  CHECK_FALSE(d[1].previous);
  CHECK(d[1].ts == et_us(2026, 2, 9, 9, 40));
  CHECK(same_bar(d[1].bar, bars[4]));
  // At 09:50 (itself the last bar of its bucket): the 09:45 bucket, then the 09:50 one.
  CHECK(d[2].at == 8);
  CHECK(d[2].previous);
  CHECK(d[2].ts == et_us(2026, 2, 9, 9, 45));
  CHECK(same_bar(d[2].bar, merged(bars, 5, 7)));
  CHECK(d[3].at == 8);
  CHECK_FALSE(d[3].previous);
  CHECK(same_bar(d[3].bar, bars[8]));

  // A repeated bar of a completed bucket is not aggregated again.
  const auto again = a5.add(ts[8], bars[8]);
  CHECK_FALSE(again.has_previous);
  CHECK_FALSE(again.has_closed);
}

TEST_CASE("aggregator: the daily bar is the regular session of the ET day", "[mtf][aggregate]") {
  ec::BarAggregator a("1d");
  const std::vector<std::int64_t> ts{
      et_us(2026, 2, 9, 9, 0),    // pre-market: not in the daily bar
      et_us(2026, 2, 9, 9, 30),   // ends at the open: covers 09:29–09:30, not in the session
      et_us(2026, 2, 9, 9, 35),  et_us(2026, 2, 9, 12, 0),
      et_us(2026, 2, 9, 16, 0),   // the close: completes the day
      et_us(2026, 2, 9, 16, 30),  // after hours: ignored
      et_us(2026, 2, 10, 9, 35), et_us(2026, 2, 10, 13, 0),  // early close
      et_us(2026, 2, 11, 8, 0),   // the next day: completes the 10th
      et_us(2026, 7, 10, 10, 0), et_us(2026, 7, 10, 16, 0),  // EDT
  };
  std::vector<ec::Ohlcv> bars;
  for (std::size_t k = 0; k < ts.size(); ++k) bars.push_back(minute_bar(k));
  const auto d = aggregate(a, ts, bars);
  REQUIRE(d.size() == 3);
  CHECK(d[0].at == 4);
  CHECK_FALSE(d[0].previous);
  CHECK(d[0].ts == et_us(2026, 2, 9, 16, 0));
  CHECK(same_bar(d[0].bar, merged(bars, 2, 4)));
  CHECK(d[1].at == 8);
  CHECK(d[1].previous);
  CHECK(d[1].ts == et_us(2026, 2, 10, 16, 0));
  CHECK(same_bar(d[1].bar, merged(bars, 6, 7)));
  CHECK(d[2].at == 10);
  CHECK(d[2].ts == et_us(2026, 7, 10, 16, 0));
  CHECK(same_bar(d[2].bar, merged(bars, 9, 10)));
}

// ---- §6 through the plugin: 1m bars, 5m and 10m built from them ------------------------------------

namespace {

struct Minutes {
  std::vector<std::int64_t> ts;
  std::vector<ec::Ohlcv> bars;
};

// Three sessions (Mon 9 – Wed 11 Feb 2026) of 1-minute bars stamped at their end (09:31 … 16:00
// ET), with a few bars missing: 10:10 on day 2 (the last of a 5m and a 10m bucket), 11:03 on day
// 2, and 16:00 on day 3's eve (the last bar of day 2).
Minutes minute_series() {
  Minutes m;
  const double pi = std::numbers::pi;
  double prev = 100;
  std::size_t t = 0;
  for (unsigned day = 0; day < 3; ++day) {
    const std::int64_t open = et_us(2026, 2, 9 + day, 9, 30);
    for (int k = 1; k <= 390; ++k, ++t) {
      const bool skip = (day == 1 && (k == 40 || k == 93 || k == 390));
      const double x = static_cast<double>(t);
      const double c = 100 + 0.01 * x + 3 * std::sin(2 * pi * x / 500) +
                       0.4 * std::sin(2 * pi * x / 7) + 0.2 * std::sin(1.3 * x);
      const double o = prev;
      prev = c;
      if (skip) continue;
      m.ts.push_back(open + k * kMinute);
      m.bars.push_back({o, std::max(o, c) + 0.05 + 0.05 * std::fabs(std::sin(x)),
                        std::min(o, c) - 0.05 - 0.05 * std::fabs(std::cos(x)), c,
                        1000 * (1 + 0.5 * std::sin(2 * pi * x / 13)) + (t % 5 == 0 ? 800 : 0)});
    }
  }
  return m;
}

// Straightforward grouping by bucket end ceil(ts / D)·D, and when each bucket is known complete:
// at its bar stamped at the end, else at the first bar of the next bucket.
std::vector<Done> aggregate_ref(const Minutes& m, std::int64_t d_us) {
  std::vector<Done> out;
  std::size_t i = 0;
  while (i < m.ts.size()) {
    const std::int64_t end = (m.ts[i] + d_us - 1) / d_us * d_us;
    std::size_t j = i;
    while (j + 1 < m.ts.size() && (m.ts[j + 1] + d_us - 1) / d_us * d_us == end) ++j;
    if (m.ts[j] == end) {
      out.push_back({j, false, end, merged(m.bars, i, j)});
    } else if (j + 1 < m.ts.size()) {
      out.push_back({j + 1, true, end, merged(m.bars, i, j)});
    }
    i = j + 1;
  }
  return out;
}

// A plugin without MTF fed one series; signals by bar index.
std::map<std::size_t, std::vector<Signal>> run_single(const std::string& tf,
                                                      const std::vector<std::int64_t>& ts,
                                                      const std::vector<ec::Ohlcv>& bars) {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::map<std::size_t, std::vector<Signal>> out;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    host.clock.set_us(ts[i]);
    const auto& b = bars[i];
    auto sigs = h.on_bar(BarView{"MIN", tf, ts[i], b.open, b.high, b.low, b.close, b.volume});
    if (!sigs.empty()) out[i] = std::move(sigs);
  }
  return out;
}

int tf_rank(const std::string& tf) {
  const std::vector<std::string> order{"1m", "5m", "10m", "1h", "1d"};
  auto it = std::find(order.begin(), order.end(), tf);
  return it == order.end() ? 0 : static_cast<int>(it - order.begin());
}

// §6 written out over maps: the expected emissions of one round.
void expect_round(const std::map<std::string, std::vector<Signal>>& current,
                  const std::vector<std::string>& fresh, std::vector<Signal>& out) {
  bool fired = false;
  for (const auto& tf : fresh) fired = fired || !current.at(tf).empty();
  if (!fired) return;
  struct In {
    std::string tf;
    const Signal* sig;
  };
  std::vector<In> in;
  for (const std::string tf : {"1m", "5m", "10m"}) {
    for (const auto& s : current.at(tf)) in.push_back({tf, &s});
  }
  std::vector<std::string> dirs;  // first appearance
  for (const auto& x : in) {
    if (std::find(dirs.begin(), dirs.end(), x.sig->direction) == dirs.end()) {
      dirs.push_back(x.sig->direction);
    }
  }
  const std::map<std::size_t, int> boost{{1, 0}, {2, 10}, {3, 20}, {4, 25}, {5, 25}};
  std::map<std::string, std::vector<std::string>> tfs_of;
  for (const auto& dir : dirs) {
    std::vector<std::string> tfs;
    for (const auto& x : in) {
      if (x.sig->direction == dir && std::find(tfs.begin(), tfs.end(), x.tf) == tfs.end()) {
        tfs.push_back(x.tf);
      }
    }
    std::sort(tfs.begin(), tfs.end());
    tfs_of[dir] = tfs;
  }
  auto is_fresh = [&](const std::string& tf) {
    return std::find(fresh.begin(), fresh.end(), tf) != fresh.end();
  };
  for (const auto& x : in) {
    if (!is_fresh(x.tf)) continue;
    Signal s = *x.sig;
    const auto& tfs = tfs_of[s.direction];
    s.conviction = std::min(100, s.conviction + boost.at(tfs.size()));
    s.metadata.integer("confirming_timeframes", static_cast<std::int64_t>(tfs.size()));
    s.metadata.integer("total_timeframes", 5);
    for (const auto& tf : tfs) s.metadata.text_item("confirmed_tfs", tf);
    out.push_back(s);
  }
  for (const auto& dir : dirs) {
    const auto& tfs = tfs_of[dir];
    if (tfs.size() < 3) continue;
    const In* base = nullptr;
    std::size_t members = 0;
    bool any_fresh = false;
    for (const auto& x : in) {
      if (x.sig->direction != dir) continue;
      ++members;
      any_fresh = any_fresh || is_fresh(x.tf);
      if (!base || tf_rank(x.tf) > tf_rank(base->tf)) base = &x;
    }
    if (!any_fresh) continue;
    Signal s;
    s.signal_type = "mtf_confluence";
    s.direction = dir;
    s.ticker = base->sig->ticker;
    s.timeframe = "mtf";
    s.conviction = std::min(100, base->sig->conviction + boost.at(tfs.size()));
    s.entry_price = base->sig->entry_price;
    s.stop_loss = base->sig->stop_loss;
    s.strategy = "ema_cloud";
    s.metadata.text("trigger", "mtf_confluence")
        .integer("confirming_timeframes", static_cast<std::int64_t>(tfs.size()))
        .integer("total_timeframes", 5);
    for (const auto& tf : tfs) s.metadata.text_item("confirmed_tfs", tf);
    s.metadata.integer("source_signals", static_cast<std::int64_t>(members));
    s.cloud_states = base->sig->cloud_states;
    out.push_back(s);
  }
}

std::string describe(const Signal& s) {
  return s.signal_type + " " + s.direction + " " + s.timeframe + " " +
         std::to_string(s.conviction) + " " + std::to_string(s.entry_price) + " " +
         std::to_string(s.stop_loss) + " " + axion::sdk::metadata_json(s).dump() + " " +
         axion::sdk::cloud_states_json(s).dump();
}

}  // namespace

TEST_CASE("MTF end to end: 1m bars with 5m and 10m built from them", "[mtf]") {
  const Minutes m = minute_series();
  REQUIRE(m.ts.size() == 3 * 390 - 3);

  // The aggregator against the straightforward grouping.
  const auto ref5 = aggregate_ref(m, 5 * kMinute);
  const auto ref10 = aggregate_ref(m, 10 * kMinute);
  for (auto [tf, ref] : {std::pair{"5m", &ref5}, std::pair{"10m", &ref10}}) {
    ec::BarAggregator a(tf);
    const auto got = aggregate(a, m.ts, m.bars);
    REQUIRE(got.size() == ref->size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      INFO(tf << " bucket " << k);
      CHECK(got[k].at == (*ref)[k].at);
      CHECK(got[k].previous == (*ref)[k].previous);
      CHECK(got[k].ts == (*ref)[k].ts);
      CHECK(same_bar(got[k].bar, (*ref)[k].bar));
    }
  }
  CHECK(ref5.size() == 3 * 78);  // day 2's 16:00 bucket completes at day 3's first bar
  std::size_t gaps5 = 0;
  for (const auto& d : ref5) gaps5 += d.previous;
  CHECK(gaps5 == 2);  // 10:10 and 16:00 of day 2

  // Each timeframe alone (no MTF): the reference signals per completed bar.
  auto split = [](const std::vector<Done>& ref) {
    std::pair<std::vector<std::int64_t>, std::vector<ec::Ohlcv>> out;
    for (const auto& d : ref) out.first.push_back(d.ts), out.second.push_back(d.bar);
    return out;
  };
  const auto [ts5, bars5] = split(ref5);
  const auto [ts10, bars10] = split(ref10);
  const auto sig1 = run_single("1m", m.ts, m.bars);
  const auto sig5 = run_single("5m", ts5, bars5);
  const auto sig10 = run_single("10m", ts10, bars10);
  CHECK(sig1.size() > 100);
  CHECK(sig5.size() > 20);
  CHECK(sig10.size() > 5);

  // The expected MTF stream, bar by bar.
  std::map<std::size_t, std::vector<Signal>> expected;
  std::map<std::string, std::vector<Signal>> current{{"1m", {}}, {"5m", {}}, {"10m", {}}};
  auto signals_of = [](const std::map<std::size_t, std::vector<Signal>>& sigs, std::size_t k) {
    auto it = sigs.find(k);
    return it == sigs.end() ? std::vector<Signal>{} : it->second;
  };
  std::size_t n5 = 0, n10 = 0;
  for (std::size_t i = 0; i < m.ts.size(); ++i) {
    std::vector<Signal> out;
    for (bool previous : {true, false}) {
      std::vector<std::string> fresh;
      if (n5 < ref5.size() && ref5[n5].at == i && ref5[n5].previous == previous) {
        current["5m"] = signals_of(sig5, n5++), fresh.push_back("5m");
      }
      if (n10 < ref10.size() && ref10[n10].at == i && ref10[n10].previous == previous) {
        current["10m"] = signals_of(sig10, n10++), fresh.push_back("10m");
      }
      if (!previous) current["1m"] = signals_of(sig1, i), fresh.insert(fresh.begin(), "1m");
      expect_round(current, fresh, out);
    }
    if (!out.empty()) expected[i] = out;
  }
  CHECK(n5 == ref5.size());
  CHECK(n10 == ref10.size());
  std::size_t gap_fired = 0;  // buckets completed by a later bucket's bar that fire
  for (std::size_t k = 0; k < ref5.size(); ++k) gap_fired += ref5[k].previous && sig5.count(k);
  for (std::size_t k = 0; k < ref10.size(); ++k) gap_fired += ref10[k].previous && sig10.count(k);
  CHECK(gap_fired > 0);

  // Through the plugin, counting allocations on the bars that emit nothing.
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"mtf_timeframes", {"10m", "5m"}}});
  std::size_t compared = 0, mtf_signals = 0, boosted = 0, quiet_allocs = 0, quiet = 0;
  std::size_t from_5m = 0, from_10m = 0;
  for (std::size_t i = 0; i < m.ts.size(); ++i) {
    host.clock.set_us(m.ts[i]);
    const auto& b = m.bars[i];
    const BarView bar{"MIN", "1m", m.ts[i], b.open, b.high, b.low, b.close, b.volume};
    AllocationCounter counter;
    const auto got = h.on_bar(bar);
    const std::size_t allocs = counter.stop();
    if (got.empty() && i > 0) quiet_allocs += allocs, ++quiet;
    const auto want = signals_of(expected, i);
    INFO("1m bar " << i);
    REQUIRE(got.size() == want.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      INFO(describe(got[k]) << "\n vs " << describe(want[k]));
      CHECK(describe(got[k]) == describe(want[k]));
      CHECK(axion::sdk::metadata_json(got[k]) == axion::sdk::metadata_json(want[k]));
      CHECK(got[k].ticker == "MIN");
      CHECK(got[k].ts_us == m.ts[i]);
      CHECK(got[k].target_price == 0);
      ++compared;
      mtf_signals += got[k].signal_type == "mtf_confluence";
      boosted += axion::sdk::metadata_json(got[k]).at("confirming_timeframes").get<int>() > 1;
      from_5m += got[k].timeframe == "5m";
      from_10m += got[k].timeframe == "10m";
    }
  }
  CHECK(compared > 100);
  CHECK(from_5m > 20);
  CHECK(from_10m > 5);
  CHECK(boosted > 20);
  CHECK(mtf_signals > 0);
  CHECK(quiet > 100);
  CHECK(quiet_allocs == 0);

  // The 5m signals are those of the pre-aggregated 5m series, boosted by confluence only.
  std::size_t five = 0;
  for (const auto& [i, sigs] : expected) {
    for (const auto& s : sigs) five += s.timeframe == "5m";
  }
  std::size_t direct5 = 0;
  for (const auto& [k, sigs] : sig5) direct5 += sigs.size();
  CHECK(five == direct5);

  // min_conviction applies after the boost, to members and MTF signals alike.
  FakeHost host2;
  PluginHarness h2(AXION_PLUGIN_SO, host2,
                   json{{"mtf_timeframes", {"5m", "10m"}}, {"min_conviction", 45}});
  std::vector<std::string> kept, want_kept;
  for (std::size_t i = 0; i < m.ts.size(); ++i) {
    host2.clock.set_us(m.ts[i]);
    const auto& b = m.bars[i];
    for (const auto& s :
         h2.on_bar(BarView{"MIN", "1m", m.ts[i], b.open, b.high, b.low, b.close, b.volume})) {
      kept.push_back(std::to_string(i) + describe(s));
    }
    for (const auto& s : signals_of(expected, i)) {
      if (s.conviction >= 45) want_kept.push_back(std::to_string(i) + describe(s));
    }
  }
  CHECK(kept == want_kept);
  CHECK_FALSE(kept.empty());
}

TEST_CASE("MTF: a received timeframe is not aggregated, and no timestamps means no aggregation",
          "[mtf]") {
  const Minutes m = minute_series();
  const auto ref5 = aggregate_ref(m, 5 * kMinute);
  // 1m and 5m both received; mtf_timeframes = ["5m"]: the 5m series is the received one.
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"mtf_timeframes", {"5m"}}});
  // A 5m bar (of other prices) arrives first: the 5m slot is direct from then on.
  std::size_t n5 = 0, five = 0;
  for (std::size_t i = 0; i < m.ts.size(); ++i) {
    host.clock.set_us(m.ts[i]);
    const auto& b = m.bars[i];
    for (const auto& s :
         h.on_bar(BarView{"MIN", "1m", m.ts[i], b.open, b.high, b.low, b.close, b.volume})) {
      five += s.timeframe == "5m";
    }
    if (n5 < ref5.size() && ref5[n5].at == i) {
      const auto& a = ref5[n5++].bar;
      for (const auto& s : h.on_bar(BarView{"MIN", "5m", m.ts[i], a.open * 2, a.high * 2,
                                            a.low * 2, a.close * 2, a.volume})) {
        if (s.timeframe == "5m") CHECK(s.entry_price == a.close * 2);
        five += s.timeframe == "5m";
      }
    }
  }
  CHECK(five > 0);

  // Without timestamps (compatibility mode) nothing is aggregated: only 1m signals.
  FakeHost host2;
  PluginHarness h2(AXION_PLUGIN_SO, host2, json{{"mtf_timeframes", {"5m", "10m"}}});
  std::size_t one = 0, other = 0;
  for (std::size_t i = 0; i < m.ts.size(); ++i) {
    const auto& b = m.bars[i];
    for (const auto& s :
         h2.on_bar(BarView{"MIN", "1m", 0, b.open, b.high, b.low, b.close, b.volume})) {
      (s.timeframe == "1m" ? one : other) += 1;
    }
  }
  CHECK(one > 100);
  CHECK(other == 0);
}

TEST_CASE("MTF: warm-up bars build every timeframe but emit nothing", "[mtf]") {
  const Minutes m = minute_series();
  FakeHost host;
  PluginHarness a(AXION_PLUGIN_SO, host, json{{"mtf_timeframes", {"5m", "10m"}}});
  PluginHarness b(AXION_PLUGIN_SO, host, json{{"mtf_timeframes", {"5m", "10m"}}});
  const std::size_t live_from = 800;
  for (std::size_t i = 0; i < m.ts.size(); ++i) {
    host.clock.set_us(m.ts[i]);
    const auto& x = m.bars[i];
    BarView bar{"MIN", "1m", m.ts[i], x.open, x.high, x.low, x.close, x.volume};
    const auto all = a.on_bar(bar);
    bar.warmup = i < live_from;
    const auto live = b.on_bar(bar);
    INFO("bar " << i);
    if (i < live_from) {
      CHECK(live.empty());
    } else {
      REQUIRE(live.size() == all.size());
      for (std::size_t k = 0; k < live.size(); ++k) CHECK(describe(live[k]) == describe(all[k]));
    }
  }
}

TEST_CASE("MTF: confluence state is per symbol", "[mtf]") {
  const Minutes m = minute_series();
  const json cfg{{"mtf_timeframes", {"5m", "10m"}}};
  auto feed_bar = [&](PluginHarness& h, const std::string& sym, std::size_t i, double scale) {
    const auto& b = m.bars[i];
    std::vector<std::string> out;
    for (const auto& s : h.on_bar(BarView{sym, "1m", m.ts[i], b.open * scale, b.high * scale,
                                          b.low * scale, b.close * scale, b.volume})) {
      out.push_back(std::to_string(i) + describe(s));
    }
    return out;
  };
  std::vector<std::string> alone_a, alone_b, mixed_a, mixed_b;
  FakeHost host;
  PluginHarness ha(AXION_PLUGIN_SO, host, cfg), hb(AXION_PLUGIN_SO, host, cfg),
      hm(AXION_PLUGIN_SO, host, cfg);
  for (std::size_t i = 0; i < m.ts.size(); ++i) {
    host.clock.set_us(m.ts[i]);
    // B is the same shape at half the price: its own series, interleaved with A's.
    for (auto& x : feed_bar(ha, "A", i, 1.0)) alone_a.push_back(x);
    for (auto& x : feed_bar(hb, "B", i, 0.5)) alone_b.push_back(x);
    for (auto& x : feed_bar(hm, "A", i, 1.0)) mixed_a.push_back(x);
    for (auto& x : feed_bar(hm, "B", i, 0.5)) mixed_b.push_back(x);
  }
  CHECK_FALSE(alone_a.empty());
  CHECK(mixed_a == alone_a);
  CHECK(mixed_b == alone_b);
}
