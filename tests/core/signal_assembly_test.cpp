// Signal assembly in core: fusion (strategies.md §13, golden §16.7), the selector and A/B table
// (§11), the feedback loop (pipeline.md §10.5), the unified metrics (control.md §5.1–5.2),
// scanner presets and the daily context (§12, §6), the strategy registry (§9).
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "axion/core/signals/feedback.hpp"
#include "axion/core/signals/fusion.hpp"
#include "axion/core/control/metrics.hpp"
#include "axion/core/signals/scanner_presets.hpp"
#include "axion/core/signals/selector.hpp"
#include "axion/core/signals/signal_assembly.hpp"
#include "axion/core/signals/strategy_registry.hpp"
#include "axion/sdk/testing/signals.hpp"
#include "axion/sdk/time.hpp"

using namespace axion::core;

namespace {

constexpr std::int64_t kNow = 1'700'000'000'000'000;

Signal sig(const std::string& strategy, const std::string& dir, int conviction, const std::string& ticker = "AAPL") {
  return axion::sdk::testing::make_signal(
      {.ticker = ticker,
       .direction = dir,
       .signal_type = dir == "long" ? "cloud_bounce_long" : "cloud_bounce_short",
       .conviction = conviction,
       .ts_us = kNow,
       .strategy = strategy});
}

std::vector<double> returns_of(const std::vector<double>& pnls, double start, std::vector<double>* equity) {
  std::vector<double> r;
  double e = start;
  equity->assign(1, start);
  for (double p : pnls) {
    r.push_back(p / e);
    e += p;
    equity->push_back(e);
  }
  return r;
}

}  // namespace

TEST_CASE("fusion golden vector of 16.7 and the neutral cases", "[fusion]") {
  FusionBridge f;
  auto r = f.fuse({make_raw_signal("ema_cloud", "AAPL", "bullish", 85, 0.82, kNow),
                   make_raw_signal("factor", "AAPL", "bullish", 70, 0.68, kNow),
                   make_raw_signal("sentiment", "AAPL", "bearish", 55, 0.45, kNow)},
                  kNow);
  CHECK(r.direction == "bullish");
  CHECK(r.composite == Approx(54.09).margin(0.005));
  CHECK(r.confidence == Approx(0.585).margin(0.0005));
  CHECK(r.agreeing == std::vector<std::string>{"ema_cloud", "factor"});
  CHECK(r.dissenting == std::vector<std::string>{"sentiment"});
  CHECK(r.should_trade);
  CHECK(r.reasoning[0] == "Consensus: bullish | Agreement: 67% (2/3 sources) | Score: +54.1");

  // A lone news signal has weight 0: all buckets 0 → neutral, never bullish.
  auto news = f.fuse({make_raw_signal("news", "AAPL", "bearish", 90, 0.9, kNow)}, kNow);
  CHECK(news.direction == "neutral");
  CHECK(news.composite == 0.0);
  CHECK(news.confidence == 0.0);

  auto empty = f.fuse({}, kNow);
  CHECK(empty.direction == "neutral");
  CHECK(empty.symbol == "UNKNOWN");
  CHECK(empty.reasoning == std::vector<std::string>{"No signals provided"});

  auto one = f.fuse({make_raw_signal("ema_cloud", "AAPL", "bullish", 90, 0.9, kNow)}, kNow);
  CHECK_FALSE(one.should_trade);  // one source never trades

  auto two = f.fuse({make_raw_signal("ema_cloud", "AAPL", "bullish", 80, 0.8, kNow),
                     make_raw_signal("technical", "AAPL", "bullish", 70, 0.7, kNow)},
                    kNow);
  CHECK(two.direction == "bullish");
  CHECK(two.composite > 0);

  // Exact tie between bullish and bearish buckets → neutral.
  auto tie = f.fuse({make_raw_signal("sentiment", "AAPL", "bullish", 50, 0.5, kNow),
                     make_raw_signal("technical", "AAPL", "bearish", 50, 0.5, kNow)},
                    kNow);
  CHECK(tie.direction == "neutral");
}

TEST_CASE("fusion decays old signals and keeps the latest per source", "[fusion]") {
  FusionBridge f;
  const std::int64_t hour = 3600LL * 1'000'000;
  auto r = f.fuse({make_raw_signal("ema_cloud", "X", "bearish", 90, 0.9, kNow - 2 * hour),
                   make_raw_signal("ema_cloud", "X", "bullish", 60, 0.6, kNow - hour),
                   make_raw_signal("technical", "X", "bullish", 60, 0.6, kNow)},
                  kNow);
  CHECK(r.source_count == 2);
  CHECK(r.direction == "bullish");
  CHECK(r.reasoning[1] == "ema_cloud: bullish (str=60, conf=0.60, decay=0.50)");
  CHECK_THROWS_AS(make_raw_signal("astrology", "X", "bullish", 1, 1, kNow), std::invalid_argument);
  CHECK_THROWS_AS(make_raw_signal("news", "X", "up", 1, 1, kNow), std::invalid_argument);
  CHECK(make_raw_signal("news", "X", "bullish", 150, 2, kNow).strength == 100.0);
}

TEST_CASE("fusion weights sum to 1 and a partial update keeps the other sources", "[fusion]") {
  FusionBridge f;
  double total = 0;
  for (const auto& [k, v] : f.weights()) total += v;
  CHECK(total == Approx(1.0));
  auto unknown = f.update_weights({{"technical", 0.30}, {"bogus", 1.0}});
  CHECK(unknown == std::vector<std::string>{"bogus"});
  total = 0;
  for (const auto& [k, v] : f.weights()) total += v;
  CHECK(total == Approx(1.0));
  CHECK(f.weights().at("factor") > 0.0);  // not dropped to 0
  CHECK(f.weights().at("technical") == Approx(0.30 / 1.2));
}

TEST_CASE("ADX classification is inclusive at 40, 25 and 15", "[selector]") {
  SelectorConfig c;
  CHECK(std::string(classify_trend(50, c)) == "strong_trend");
  CHECK(std::string(classify_trend(30, c)) == "moderate_trend");
  CHECK(std::string(classify_trend(20, c)) == "weak_trend");
  CHECK(std::string(classify_trend(10, c)) == "no_trend");
  CHECK(std::string(classify_trend(40, c)) == "strong_trend");
  CHECK(std::string(classify_trend(25, c)) == "moderate_trend");
  CHECK(std::string(classify_trend(15, c)) == "weak_trend");
  CHECK(std::string(classify_trend(0, c)) == "no_trend");  // fewer than 29 bars
}

TEST_CASE("selector: override, forcing, refinement order and the strength fallbacks", "[selector]") {
  SelectorConfig c;
  SignalsByStrategy s;
  s["mean_reversion"] = {sig("mean_reversion", "long", 40)};
  s["ema_cloud"] = {sig("ema_cloud", "long", 60), sig("ema_cloud", "short", 30)};
  s["session_scalp"] = {sig("session_scalp", "long", 65)};
  s["pullback_to_cloud"] = {sig("pullback_to_cloud", "long", 60)};
  s["trend_day"] = {sig("trend_day", "long", 85)};

  auto crisis = select_strategy("AAPL", 45, "crisis", s, c, kNow);
  CHECK(crisis.selected_strategy == "mean_reversion");
  CHECK(crisis.confidence == 80.0);
  CHECK(crisis.reasoning == "Regime override: crisis → mean_reversion");
  REQUIRE(crisis.signals.size() == 1);
  CHECK(crisis.signals[0].strategy == "mean_reversion");
  CHECK(crisis.adx_value == 0.0);

  SelectorConfig forced = c;
  forced.force_strategy = "session_scalp";
  auto f = select_strategy("AAPL", 45, "bull", s, forced, kNow);
  CHECK(f.confidence == 100.0);
  CHECK(f.reasoning == "Forced strategy: session_scalp");

  auto strong = select_strategy("AAPL", 42.14, "bull", s, c, kNow);
  CHECK(strong.selected_strategy == "trend_day");
  CHECK(strong.confidence == 90.0);
  CHECK(strong.reasoning == "strong_trend (ADX=42.1) → trend_day");

  auto moderate = select_strategy("AAPL", 33.7, "bull", s, c, kNow);  // trend_day needs strong
  CHECK(moderate.selected_strategy == "pullback_to_cloud");
  CHECK(moderate.confidence == 80.0);

  s.erase("pullback_to_cloud");
  auto scalp = select_strategy("AAPL", 33.7, "bull", s, c, kNow);
  CHECK(scalp.selected_strategy == "session_scalp");
  CHECK(scalp.reasoning == "moderate_trend (ADX=33.7) → session_scalp");

  s.erase("session_scalp");
  s.erase("trend_day");
  auto ema = select_strategy("AAPL", 27.0149, "bull", s, c, kNow);
  CHECK(ema.selected_strategy == "ema_cloud");
  CHECK(ema.confidence == 70.0);
  CHECK(ema.reasoning == "Moderate trend (ADX=27.0) → EMA Cloud");
  CHECK(ema.signals.size() == 2);  // every detector signal of the bar

  s["qullamaggie_ep"] = {sig("qullamaggie_ep", "long", 75)};
  auto ep = select_strategy("AAPL", 27, "bull", s, c, kNow);
  CHECK(ep.selected_strategy == "qullamaggie_ep");
  CHECK(ep.confidence == 80.0);

  auto weak = select_strategy("AAPL", 20, "bull", s, c, kNow);
  CHECK(weak.selected_strategy == "mean_reversion");
  CHECK(weak.confidence == 55.0);
  CHECK(weak.reasoning == "Weak trend (ADX=20.0) → Mean-Reversion");
  auto none = select_strategy("AAPL", 3, "bull", s, c, kNow);
  CHECK(none.confidence == 75.0);
  CHECK(none.reasoning == "No trend (ADX=3.0) → Mean-Reversion");

  // A strategy that emitted nothing (or is disabled, so absent) leaves the choice without signal.
  s.erase("mean_reversion");
  CHECK(select_strategy("AAPL", 3, "bull", s, c, kNow).signals.empty());
}

TEST_CASE("A/B statistics count signals and outcomes separately", "[selector]") {
  AbStats ab;
  auto all = ab.stats();
  CHECK(all.size() == 8);
  CHECK(all["ema_cloud"]["signals"] == 0);
  ab.record_outcome("ema_cloud", 150);
  ab.record_outcome("ema_cloud", -50);
  ab.record_signal("ema_cloud");
  auto e = ab.stats("ema_cloud");
  CHECK(e["trades"] == 2);
  CHECK(e["wins"] == 1);
  CHECK(e["total_pnl"] == 100.0);
  CHECK(e["signals"] == 1);
  CHECK(e["avg_pnl"] == 50.0);
  for (double p : {10.0, 20.0, -5.0, 30.0, -1.0}) ab.record_outcome("vwap_reversion", p);
  CHECK(ab.stats("vwap_reversion")["win_rate"] == 0.6);
  CHECK(ab.stats().size() == 9);  // unknown names are added
}

TEST_CASE("unified metrics match the control.md 5.2 reference table", "[metrics]") {
  struct Row {
    std::vector<double> pnls;
    double sharpe, sortino, calmar, dd;
  };
  const Row rows[] = {{{10, 20, 15, 25, 30, 18, 22, 28, 12, 35}, 44.721337, 10.0, 0.0, 0.0},
                      {{-10, -20, -15, -25, -30}, -38.168521, -15.002735, -52.467414, 0.1},
                      {{10, -5, 20, -10, 15, -3, 25}, 8.54242, 26.505822, 189.674688, 0.009756},
                      {{100, -50, 30, -20, 80}, 7.211245, 20.11642, 155.309686, 0.045455},
                      {{50, -20, 30, -40, 10}, 2.790826, 5.232374, 42.935089, 0.037736},
                      {{-100}, 0.0, 0.0, 0.0, 0.1},
                      {{10, 10, 10, 10}, 1222.804285, 10.0, 0.0, 0.0}};
  for (const auto& r : rows) {
    std::vector<double> eq;
    auto ret = returns_of(r.pnls, 1000, &eq);
    CHECK(metrics::sharpe_ratio(ret) == Approx(r.sharpe).margin(5e-6));
    CHECK(metrics::sortino_ratio(ret) == Approx(r.sortino).margin(5e-6));
    CHECK(metrics::calmar_ratio(ret, eq) == Approx(r.calmar).margin(5e-6));
    CHECK(metrics::max_drawdown(eq) == Approx(r.dd).margin(5e-7));
  }
  CHECK(std::isinf(metrics::profit_factor({10, 20})));
  CHECK(metrics::profit_factor({}) == 0.0);
  CHECK(metrics::profit_factor({30, -10, 0}) == 3.0);
}

TEST_CASE("weight adjuster: factors by Sharpe band, bounds and normalisation", "[feedback]") {
  PerformanceTracker t;
  // "good": steady wins; "bad": steady losses; "thin": too few trades.
  for (int i = 0; i < 25; ++i) {
    t.record("good", 100 + (i % 3) * 10, 60, 0.001 + (i % 3) * 0.0001);
    t.record("bad", -100 - (i % 3) * 10, 60, -0.001 - (i % 3) * 0.0001);
  }
  for (int i = 0; i < 5; ++i) t.record("thin", 10, 60, 0.0001);
  REQUIRE(t.performance("good")->sharpe > 1.5);
  REQUIRE(t.performance("bad")->sharpe <= -0.5);
  CHECK(t.performance("thin")->sharpe == 0.0);  // < 10 trades
  CHECK(t.ranked().front().source == "good");

  WeightAdjuster a;
  auto u = a.compute_weights({{"good", 0.3}, {"bad", 0.3}, {"thin", 0.4}}, t);
  double total = 0;
  for (const auto& [k, v] : u.new_weights) total += v;
  CHECK(total == Approx(1.0));
  std::map<std::string, WeightChange> by;
  for (const auto& c : u.changes) by[c.source] = c;
  CHECK(by["good"].action == "increase");
  CHECK(by["good"].factor == Approx(1 + 0.1 * (t.performance("good")->sharpe / 1.5 - 1)));
  CHECK(by["bad"].action == "strong_decay");
  CHECK(by["bad"].factor == Approx(0.9025));
  CHECK(by["thin"].action == "no_change");
  CHECK(by["thin"].reason == "Insufficient trades (5 < 20)");
  CHECK(u.new_weights["good"] > u.new_weights["bad"]);

  auto rec = a.recommended_weights({"good", "bad", "thin"}, t);
  total = 0;
  for (const auto& [k, v] : rec) total += v;
  CHECK(total == Approx(1.0));
  CHECK(rec["good"] > rec["bad"]);
  CHECK(a.recommended_weights({"solo"}, t).at("solo") == 1.0);
}

TEST_CASE("feedback adjusts every N trades, pushes to fusion and restores from its history", "[feedback]") {
  FusionBridge fusion;
  json persisted;
  std::vector<json> published;
  FeedbackBridge fb({5, true}, &fusion, [&](std::string h) { persisted = json::parse(h); },
                    [&](const json& d) { published.push_back(d); });
  const double technical_before = fusion.weights().at("technical");
  fb.set_initial_weights({{"ema_cloud", 0.5}, {"vwap_reversion", 0.5}}, kNow);
  REQUIRE(persisted.size() == 1);  // the initial snapshot
  for (int i = 0; i < 4; ++i) fb.on_trade_closed("vwap_reversion", 50, 60, 0.0005, kNow);
  CHECK(published.empty());
  fb.on_trade_closed("vwap_reversion", 50, 60, 0.0005, kNow);  // 5th trade → adjustment
  REQUIRE(published.size() == 1);
  CHECK(published[0]["trigger"] == "auto");
  CHECK(fb.current_weights().at("ema_cloud") == Approx(0.5));  // < 20 trades: no change
  CHECK(fb.current_weights().at("vwap_reversion") == Approx(0.5));
  REQUIRE(persisted.is_array());
  CHECK(persisted.size() == 2);
  CHECK(persisted[1]["trigger"] == "auto");
  // The strategy weights moved the fusion weights of ema_cloud and technical only, keeping
  // their combined share and the other sources' weights.
  double total = 0;
  for (const auto& [k, v] : fusion.weights()) total += v;
  CHECK(total == Approx(1.0));
  CHECK(fusion.weights().at("factor") == Approx(0.20));
  CHECK(fusion.weights().at("technical") + fusion.weights().at("ema_cloud") ==
        Approx(technical_before + 0.25));
  CHECK(fusion.weights().at("technical") == Approx((technical_before + 0.25) / 2));

  // With no weights yet, the first adjustment starts from the recommended weights of the
  // sources that traded.
  FeedbackBridge fresh({2, true}, nullptr, nullptr, nullptr);
  fresh.on_trade_closed("orb_breakout", 10, 60, 0.0001, kNow);
  fresh.on_trade_closed("orb_breakout", 10, 60, 0.0001, kNow);
  CHECK(fresh.current_weights() == std::map<std::string, double>{{"orb_breakout", 1.0}});

  // A fresh bridge restores the weights (and the fusion weights) from the persisted history.
  FusionBridge fusion2;
  json persisted2;
  FeedbackBridge fb2({5, true}, &fusion2, [&](std::string h) { persisted2 = json::parse(h); }, nullptr);
  fb2.restore(persisted);
  CHECK(fb2.current_weights() == fb.current_weights());
  CHECK(fusion2.weights().at("technical") == Approx(fusion.weights().at("technical")));
  // Its next snapshot is persisted after the restored ones, which keep their content.
  fb2.force_adjustment(kNow + 1);
  REQUIRE(persisted2.size() == 3);
  CHECK(persisted2[0] == persisted[0]);
  CHECK(persisted2[1] == persisted[1]);
  CHECK(persisted2[2]["trigger"] == "manual");
}

TEST_CASE("scanner presets: exactly five, all momentum, criteria ANDed with pre-filters", "[scanner]") {
  const auto& p = qullamaggie_presets();
  REQUIRE(p.size() == 5);
  for (const auto& x : p) CHECK(x.category == "momentum");
  ScanFields f;
  f.price = 30, f.volume = 2'000'000, f.gap_pct = 12, f.relative_volume = 3;
  CHECK(preset_matches(*find_preset("qullamaggie_ep"), f));
  f.gap_pct = 9.99;
  CHECK_FALSE(preset_matches(*find_preset("qullamaggie_ep"), f));
  f.gap_pct = 12, f.price = 0.5;  // engine pre-filter: price >= 1
  CHECK_FALSE(preset_matches(*find_preset("qullamaggie_ep"), f));
  ScanFields missing;
  missing.price = 30, missing.volume = 2'000'000, missing.change_pct = 5, missing.relative_volume = 2;
  CHECK_FALSE(preset_matches(*find_preset("qullamaggie_breakout"), missing));  // no adx → false
  missing.adx = 30;
  CHECK(preset_matches(*find_preset("qullamaggie_breakout"), missing));
  CHECK(find_preset("nope") == nullptr);
  ScanFields s;
  s.relative_volume = 3, s.change_pct = -10;
  CHECK(signal_strength(s) == 50 + 20 + 15);
}

TEST_CASE("daily context: intraday bars become ET days, fields and the macro bias follow", "[scanner]") {
  using axion::sdk::time::eastern_to_utc;
  DailyContext d;
  // Two intraday bars on day 1, one on day 2: day 1 completes when day 2 starts.
  CHECK_FALSE(d.on_bar("5m", eastern_to_utc(2026, 3, 9, 9, 30), 10, 11, 9, 10.5, 100));
  CHECK_FALSE(d.on_bar("5m", eastern_to_utc(2026, 3, 9, 9, 35), 10.5, 12, 10, 11, 200));
  CHECK(d.on_bar("5m", eastern_to_utc(2026, 3, 10, 9, 30), 11.5, 12, 11, 11.8, 100));
  CHECK(d.daily_bars() == 1);
  CHECK(*d.fields().price == 11.0);
  CHECK(*d.fields().volume == 300.0);
  CHECK_FALSE(d.fields().change_pct.has_value());
  CHECK(std::string(d.macro_bias()) == "neutral");  // not enough daily history
  // A second intraday stream of the same symbol is not counted again.
  CHECK_FALSE(d.on_bar("1m", eastern_to_utc(2026, 3, 10, 9, 31), 11.5, 12, 11, 11.8, 999));
  CHECK(d.on_bar("5m", eastern_to_utc(2026, 3, 11, 9, 30), 11.8, 12, 11, 11.9, 100));
  CHECK(d.daily_bars() == 2);
  CHECK(*d.fields().volume == 100.0);  // day 2: its 5m bar only

  DailyContext up;
  for (int i = 0; i < 120; ++i) {
    double c = 100 + i;
    up.on_bar("1d", eastern_to_utc(2025, 1, 1, 16, 0) + i * axion::sdk::time::kUsPerDay, c - 0.5, c + 1, c - 1, c, 1e6);
  }
  CHECK(std::string(up.macro_bias()) == "bullish");
  CHECK(up.fields().change_pct.has_value());
  CHECK(up.fields().adx.has_value());
  CHECK_FALSE(up.fields().dist_sma_200.has_value());  // needs 200 bars
  CHECK(passes_bias(sig("x", "long", 40), "bullish"));
  CHECK_FALSE(passes_bias(sig("x", "short", 40), "bullish"));
  CHECK(passes_bias(sig("x", "short", 80), "bullish"));
  CHECK_FALSE(passes_bias(sig("x", "long", 74), "bearish"));
}

TEST_CASE("signal assembly: thresholds, selection, fusion veto and attribution", "[assembly]") {
  AssemblySettings st;
  st.min_conviction_to_signal = 25;
  st.min_conviction_to_execute = 50;
  st.macro_bias_filter = false;
  std::vector<std::pair<std::string, json>> events;
  SignalAssembly a(st, [&](const std::string& e, const json& d) { events.emplace_back(e, d); }, nullptr);
  const std::vector<std::string> order{"ema_cloud", "vwap_reversion", "mean_reversion"};

  // No ADX history → no_trend → mean_reversion chosen; its signal passes.
  SignalsByStrategy s;
  s["ema_cloud"] = {sig("ema_cloud", "long", 70)};
  s["mean_reversion"] = {sig("mean_reversion", "long", 60)};
  auto out = a.assemble("AAPL", "5m", order, s, "bull", kNow);
  REQUIRE(out.size() == 1);
  CHECK(out[0].strategy == "mean_reversion");
  CHECK(a.ab().stats("mean_reversion")["signals"] == 1);
  CHECK(a.decisions().back().selected_strategy == "mean_reversion");

  // Selection off: every strategy's signal in manifest order; thresholds apply.
  AssemblySettings off = st;
  off.strategy_selection = false;
  SignalAssembly b(off, [&](const std::string& e, const json& d) { events.emplace_back(e, d); }, nullptr);
  SignalsByStrategy s2;
  s2["vwap_reversion"] = {sig("vwap_reversion", "long", 55)};
  s2["ema_cloud"] = {sig("ema_cloud", "long", 70), sig("ema_cloud", "long", 45)};
  auto out2 = b.assemble("AAPL", "5m", order, s2, "bull", kNow);
  REQUIRE(out2.size() == 2);  // the 45 is below min_conviction_to_execute
  CHECK(out2[0].strategy == "ema_cloud");
  CHECK(out2[1].strategy == "vwap_reversion");
  // The second candidate met the first's fresh ema_cloud signal: both bullish → fused, proceeds.
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().first == "signal_fused");
  CHECK(events.back().second["proceeds"] == true);

  // A technical short right after a strong ema_cloud long is vetoed by fusion.
  SignalsByStrategy s3;
  s3["vwap_reversion"] = {sig("vwap_reversion", "short", 55)};
  CHECK(b.assemble("AAPL", "5m", order, s3, "bull", kNow).empty());
  CHECK(events.back().second["proceeds"] == false);
}

TEST_CASE("strategy registry: order, flags, replace keeps position", "[registry]") {
  StrategyRegistry r;
  r.add(nullptr, "ema_cloud", "EMA cloud signals", "trend", kNow);
  r.add(nullptr, "vwap_reversion", "VWAP mean-reversion", "mean-reversion", kNow);
  CHECK(r.count() == 2);
  CHECK(r.set_enabled("vwap_reversion", false));
  CHECK_FALSE(r.set_enabled("nope", false));
  CHECK(r.enabled().size() == 1);
  auto flags = r.flags();
  r.add(nullptr, "vwap_reversion", "VWAP mean-reversion", "mean-reversion", kNow);  // re-register resets
  CHECK(r.is_enabled("vwap_reversion"));
  CHECK(r.all()[1].name == "vwap_reversion");
  r.restore_flags(flags);
  CHECK_FALSE(r.is_enabled("vwap_reversion"));
  CHECK(r.list()[0]["registered_at"] == axion::sdk::time::to_iso(kNow));
  CHECK(StrategyRegistry::builtin_info("orb_breakout").second == "breakout");
  CHECK(r.remove("ema_cloud"));
  CHECK_FALSE(r.remove("ema_cloud"));
}

TEST_CASE("feedback: a source name that is not UTF-8 is persisted with replacement, the adjustment still applies") {
  FusionBridge fusion;
  json persisted;
  std::vector<json> published;
  FeedbackBridge fb({2, true}, &fusion, [&](std::string h) { persisted = json::parse(h); },
                    [&](const json& d) { published.push_back(d); });
  const std::string bad = "strat\xff\xfe";
  fb.on_trade_closed(bad, 10, 60, 0.001, kNow);
  REQUIRE_NOTHROW(fb.on_trade_closed(bad, 10, 60, 0.001, kNow));  // 2nd trade: an adjustment
  REQUIRE(published.size() == 1);      // the weight_update went out
  REQUIRE(fb.history().size() == 1);   // and the snapshot was kept
  REQUIRE(persisted.is_array());
  REQUIRE(persisted.size() == 1);
  CHECK(persisted[0]["weights"].contains("strat\xEF\xBF\xBD\xEF\xBF\xBD"));
}
