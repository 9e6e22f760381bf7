// regime/adaptive through the built shared library (AXION_PLUGIN_SO) and the SDK fakes.
//
// Expected blended values are computed here from the spec's profile table (pipeline.md §10.1) with
// the spec's formula, and also compared with the printed table of effective values at 0.5.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "axion/sdk/context.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/signals.hpp"

using axion::sdk::BarView;
using axion::sdk::Limits;
using axion::sdk::Signal;
using axion::sdk::Verdict;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

// Every field of a Limits, for failure messages.
json describe(const Limits& l) {
  return json{{"instrument_mode", l.instrument_mode},
              {"max_risk_per_trade", l.max_risk_per_trade},
              {"max_concurrent_positions", l.max_concurrent_positions},
              {"daily_loss_limit", l.daily_loss_limit},
              {"max_single_stock_exposure", l.max_single_stock_exposure},
              {"max_sector_exposure", l.max_sector_exposure},
              {"min_account_equity", l.min_account_equity},
              {"default_time_in_force", l.default_time_in_force},
              {"high_conviction_order_type", l.high_conviction_order_type},
              {"medium_conviction_order_type", l.medium_conviction_order_type},
              {"scale_in_enabled", l.scale_in_enabled},
              {"scale_in_initial_pct", l.scale_in_initial_pct},
              {"prefer_3x_for_day_trades", l.prefer_3x_for_day_trades},
              {"min_etf_daily_volume", l.min_etf_daily_volume},
              {"etf_sector_mapping", l.etf_sector_mapping},
              {"consecutive_loss_threshold", l.consecutive_loss_threshold},
              {"consecutive_loss_pct", l.consecutive_loss_pct},
              {"api_timeout_seconds", l.api_timeout_seconds},
              {"reward_to_risk_target", l.reward_to_risk_target},
              {"time_stop_minutes", l.time_stop_minutes},
              {"eod_close_time", l.eod_close_time},
              {"trailing_stop_cloud", l.trailing_stop_cloud},
              {"max_etf_hold_days_3x", l.max_etf_hold_days_3x},
              {"max_etf_hold_days_2x", l.max_etf_hold_days_2x},
              {"close_on_shutdown", l.close_on_shutdown},
              {"position_size_multiplier", l.position_size_multiplier},
              {"stop_loss_mult", l.stop_loss_mult},
              {"min_conviction", l.min_conviction ? json(*l.min_conviction) : json()},
              {"regime", l.regime},
              {"regime_confidence", l.regime_confidence},
              {"avoid_signal_types", l.avoid_signal_types},
              {"preferred_signal_types", l.preferred_signal_types}};
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<Limits> {
  static std::string convert(const Limits& l) { return describe(l).dump(); }
};
}  // namespace Catch

namespace {

// ---- the spec's profile table, restated for the expectations ---------------------------------

struct RefProfile {
  double max_risk, daily_loss, single_stock, rr, psm;
  int max_positions, time_stop, loss_threshold, min_conviction;
  bool scale_in;
  std::string trailing;
  std::vector<std::string> preferred, avoid;
};

const std::map<std::string, RefProfile>& ref_profiles() {
  // clang-format off
  static const std::map<std::string, RefProfile> t{
      //          max_risk daily single  R:R  psm  maxpos time loss conv scale_in trailing
      {"bull",     {0.06,  0.12,  0.15,  1.8, 1.2, 12,   180,  3,   50,  true,    "pullback",
                    {"CLOUD_CROSS_BULLISH", "TREND_ALIGNED_LONG", "CLOUD_BOUNCE_LONG"},
                    {"CLOUD_CROSS_BEARISH", "CLOUD_BOUNCE_SHORT"}}},
      {"bear",     {0.03,  0.06,  0.15,  2.5, 0.6, 5,    90,   2,   70,  false,   "fast",
                    {"CLOUD_CROSS_BEARISH", "TREND_ALIGNED_SHORT"},
                    {"CLOUD_BOUNCE_LONG", "TREND_ALIGNED_LONG"}}},
      {"sideways", {0.04,  0.08,  0.15,  2.0, 0.8, 8,    120,  3,   60,  true,    "pullback",
                    {"CLOUD_BOUNCE_LONG", "CLOUD_BOUNCE_SHORT", "MOMENTUM_EXHAUSTION"},
                    {"TREND_ALIGNED_LONG", "TREND_ALIGNED_SHORT"}}},
      {"crisis",   {0.02,  0.04,  0.15,  3.0, 0.3, 3,    60,   1,   80,  false,   "fast",
                    {"CLOUD_CROSS_BEARISH"},
                    {"CLOUD_CROSS_BULLISH", "CLOUD_BOUNCE_LONG", "TREND_ALIGNED_LONG",
                     "MTF_CONFLUENCE"}}},
  };
  // clang-format on
  return t;
}

const std::map<std::string, double> kStopLossMult{
    {"bull", 1.2}, {"bear", 0.8}, {"sideways", 0.9}, {"crisis", 0.5}};

double blend(double target, double side, double f) { return f * target + (1 - f) * side; }

// Round half to even, written out (not nearbyint) so the test does not share the plugin's call.
int half_even(double x) {
  const double fl = std::floor(x);
  const double diff = x - fl;
  auto i = static_cast<int>(fl);
  if (diff > 0.5) return i + 1;
  if (diff < 0.5) return i;
  return i % 2 == 0 ? i : i + 1;
}

struct Expected {
  double max_risk, daily_loss, single_stock, rr, psm;
  int max_positions, time_stop, loss_threshold, min_conviction;
  bool scale_in;
  std::string trailing;
};

Expected expected(const std::string& regime, double confidence) {
  const RefProfile& t = ref_profiles().at(regime);
  if (confidence >= 0.7) {
    return {t.max_risk,  t.daily_loss,     t.single_stock,   t.rr,       t.psm,     t.max_positions,
            t.time_stop, t.loss_threshold, t.min_conviction, t.scale_in, t.trailing};
  }
  const RefProfile& s = ref_profiles().at("sideways");
  const double f = confidence < 0.5 ? 0.5 : confidence;
  Expected e;
  e.max_risk = blend(t.max_risk, s.max_risk, f);
  e.daily_loss = blend(t.daily_loss, s.daily_loss, f);
  e.single_stock = blend(t.single_stock, s.single_stock, f);
  e.rr = blend(t.rr, s.rr, f);
  e.psm = blend(t.psm, s.psm, f);
  e.max_positions = half_even(blend(t.max_positions, s.max_positions, f));
  e.time_stop = half_even(blend(t.time_stop, s.time_stop, f));
  e.loss_threshold = half_even(blend(t.loss_threshold, s.loss_threshold, f));
  e.min_conviction = half_even(blend(t.min_conviction, s.min_conviction, f));
  e.scale_in = t.scale_in && s.scale_in;
  e.trailing = (t.trailing == "fast" || s.trailing == "fast") ? "fast" : t.trailing;
  return e;
}

// ---- helpers ---------------------------------------------------------------------------------

// The engine's base limits ([executor] + [lifecycle]) at the pipeline.md §1.7 defaults, spelled
// out so the test does not depend on the SDK's defaults; no regime adaptation yet.
Limits base_config() {
  Limits b;
  b.instrument_mode = "both";
  b.max_risk_per_trade = 0.05;
  b.max_concurrent_positions = 10;
  b.daily_loss_limit = 0.10;
  b.max_single_stock_exposure = 0.15;
  b.max_sector_exposure = 0.30;
  b.min_account_equity = 25000.0;
  b.default_time_in_force = "day";
  b.scale_in_enabled = true;
  b.scale_in_initial_pct = 0.5;
  b.consecutive_loss_threshold = 3;
  b.consecutive_loss_pct = 0.03;
  b.reward_to_risk_target = 2.0;
  b.time_stop_minutes = 120;
  b.eod_close_time = "15:55";
  b.trailing_stop_cloud = "pullback";
  b.max_etf_hold_days_3x = 5;
  b.position_size_multiplier = 1.0;
  b.stop_loss_mult = 1.0;
  b.min_conviction.reset();
  b.regime.clear();
  b.regime_confidence = 0.0;
  b.avoid_signal_types.clear();
  b.preferred_signal_types.clear();
  return b;
}

// A long AAPL signal of `type`, at conviction 90 unless the test is about the threshold.
Signal of_type(const std::string& type, int conviction = 90) {
  return make_signal({.signal_type = type, .conviction = conviction});
}

json fixed(const std::string& regime, double confidence = 0.5) {
  return json{{"fixed_regime", regime}, {"fixed_confidence", confidence}};
}

// Evaluate a signal that every profile accepts (type in no avoid list, conviction 100). The
// harness fills `eff` only when the signal passes; the base has no min_conviction, so a set one is
// the plugin's.
Limits effective_of(PluginHarness& h, const Limits& base = base_config()) {
  Limits eff;
  const Verdict v = h.regime_evaluate(of_type("candlestick_bullish", 100), base, eff);
  REQUIRE(v.pass);
  REQUIRE(eff.min_conviction.has_value());
  return eff;
}

void check_effective(const Limits& eff, const std::string& regime, double confidence) {
  const Expected e = expected(regime, confidence);
  INFO(regime << " at " << confidence << ": " << describe(eff).dump());
  CHECK(eff.max_risk_per_trade == e.max_risk);
  CHECK(eff.daily_loss_limit == e.daily_loss);
  CHECK(eff.max_single_stock_exposure == e.single_stock);
  CHECK(eff.reward_to_risk_target == e.rr);
  CHECK(eff.position_size_multiplier == e.psm);
  CHECK(eff.max_concurrent_positions == e.max_positions);
  CHECK(eff.time_stop_minutes == e.time_stop);
  CHECK(eff.consecutive_loss_threshold == e.loss_threshold);
  REQUIRE(eff.min_conviction.has_value());
  CHECK(*eff.min_conviction == e.min_conviction);
  CHECK(eff.scale_in_enabled == e.scale_in);
  CHECK(eff.trailing_stop_cloud == e.trailing);
  CHECK(eff.stop_loss_mult == kStopLossMult.at(regime));
}

// Bars: one per day from a fixed origin; the BarView's strings live for the call.
constexpr std::int64_t kDayUs = 86'400'000'000LL;
constexpr std::int64_t kOrigin = 1'700'000'000'000'000LL;

void feed(PluginHarness& h, const std::string& symbol, int day, double close,
          const std::string& timeframe = "1d") {
  BarView b;
  b.symbol = symbol;
  b.timeframe = timeframe;
  b.ts_us = kOrigin + day * kDayUs;
  b.open = b.high = b.low = b.close = close;
  b.high = close * 1.001;
  b.low = close * 0.999;
  b.volume = 1e6;
  h.regime_on_bar(b);
}

// Feeds `n` days of `symbol` with close(i).
void feed_series(PluginHarness& h, const std::string& symbol, int n,
                 const std::function<double(int)>& close, int first_day = 0) {
  for (int i = 0; i < n; ++i) feed(h, symbol, first_day + i, close(i));
}

std::string regime_of(PluginHarness& h) { return effective_of(h).regime; }
double confidence_of(PluginHarness& h) { return effective_of(h).regime_confidence; }

std::string config_error_key(const json& config) {
  return axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, config);
}

double rising(int i) { return 100.0 * std::pow(1.002, i); }
double falling(int i) { return 100.0 * std::pow(0.998, i); }

}  // namespace

// ---- manifest --------------------------------------------------------------------------------

TEST_CASE("manifest and schema") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  CHECK(h.manifest().kind == AXION_KIND_REGIME);
  CHECK(std::string(h.manifest().name) == "adaptive");
  std::map<std::string, json> keys;
  for (const auto& k : h.schema()) keys[k["key"].get<std::string>()] = k;
  REQUIRE(keys.size() == 7);
  CHECK(keys.at("symbol")["default"] == "SPY");
  CHECK(keys.at("timeframe")["default"] == "");
  CHECK(keys.at("initial_regime")["default"] == "sideways");
  CHECK(keys.at("fixed_regime")["default"] == "");
  CHECK(keys.at("fixed_confidence")["default"].get<double>() == 0.5);
  CHECK(keys.at("vix_symbol")["default"] == "");
  CHECK(keys.at("universe")["default"] == json::array());
}

// ---- profiles and blending -------------------------------------------------------------------

TEST_CASE("effective values at confidence 0.5 for every regime match the spec table") {
  for (const std::string regime : {"bull", "bear", "sideways", "crisis"}) {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, fixed(regime, 0.5));
    const Limits eff = effective_of(h);
    check_effective(eff, regime, 0.5);
    CHECK(eff.regime == regime);
    CHECK(eff.regime_confidence == 0.5);
  }
}

TEST_CASE("the printed table of effective values at 0.5") {
  struct Row {
    const char* regime;
    double max_risk;
    int max_positions;
    double daily_loss, rr;
    int time_stop, loss_threshold;
    double psm;
    int min_conviction;
    bool scale_in;
    const char* trailing;
  };
  const Row rows[] = {
      {"bull", 0.05, 10, 0.10, 1.9, 150, 3, 1.0, 55, true, "pullback"},
      {"bear", 0.035, 6, 0.07, 2.25, 105, 2, 0.7, 65, false, "fast"},
      {"sideways", 0.04, 8, 0.08, 2.0, 120, 3, 0.8, 60, true, "pullback"},
      {"crisis", 0.03, 6, 0.06, 2.5, 90, 2, 0.55, 70, false, "fast"},
  };
  for (const auto& r : rows) {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, fixed(r.regime));
    const Limits eff = effective_of(h);
    INFO(r.regime);
    CHECK(eff.max_risk_per_trade == Approx(r.max_risk));
    CHECK(eff.max_concurrent_positions == r.max_positions);
    CHECK(eff.daily_loss_limit == Approx(r.daily_loss));
    CHECK(eff.reward_to_risk_target == Approx(r.rr));
    CHECK(eff.time_stop_minutes == r.time_stop);
    CHECK(eff.consecutive_loss_threshold == r.loss_threshold);
    CHECK(eff.position_size_multiplier == Approx(r.psm));
    CHECK(eff.min_conviction.value() == r.min_conviction);
    CHECK(eff.scale_in_enabled == r.scale_in);
    CHECK(eff.trailing_stop_cloud == r.trailing);
  }
}

TEST_CASE("integer fields round half to even: bear 6.5 is 6, crisis 5.5 is 6, 2.5 is 2") {
  // The halves themselves, computed from the profile table.
  CHECK(blend(5, 8, 0.5) == 6.5);
  CHECK(blend(3, 8, 0.5) == 5.5);
  CHECK(blend(2, 3, 0.5) == 2.5);
  FakeHost host;
  PluginHarness bear(AXION_PLUGIN_SO, host, fixed("bear"));
  CHECK(effective_of(bear).max_concurrent_positions == 6);    // std::round would give 7
  CHECK(effective_of(bear).consecutive_loss_threshold == 2);  // std::round would give 3
  PluginHarness crisis(AXION_PLUGIN_SO, host, fixed("crisis"));
  CHECK(effective_of(crisis).max_concurrent_positions == 6);
}

TEST_CASE("confidence at or above 0.7 gives the pure profile") {
  for (const std::string regime : {"bull", "bear", "crisis"}) {
    for (double c : {0.7, 0.85, 1.0}) {
      FakeHost host;
      PluginHarness h(AXION_PLUGIN_SO, host, fixed(regime, c));
      const Limits eff = effective_of(h);
      const RefProfile& p = ref_profiles().at(regime);
      INFO(regime << " " << c);
      CHECK(eff.max_concurrent_positions == p.max_positions);
      CHECK(eff.min_conviction.value() == p.min_conviction);
      CHECK(eff.position_size_multiplier == p.psm);
      CHECK(eff.max_risk_per_trade == p.max_risk);
      CHECK(eff.time_stop_minutes == p.time_stop);
      CHECK(eff.avoid_signal_types == p.avoid);
      CHECK(eff.preferred_signal_types == p.preferred);
      check_effective(eff, regime, c);
    }
  }
}

TEST_CASE("confidence between 0.5 and 0.7 blends with f = confidence, below 0.5 with f = 0.5") {
  for (const std::string regime : {"bull", "bear", "crisis"}) {
    for (double c : {0.0, 0.3, 0.55, 0.6, 0.69}) {
      FakeHost host;
      PluginHarness h(AXION_PLUGIN_SO, host, fixed(regime, c));
      check_effective(effective_of(h), regime, c);
    }
  }
  // Below 0.5 is the 0.5 blend; 0.69 is not the pure profile.
  FakeHost host;
  PluginHarness low(AXION_PLUGIN_SO, host, fixed("bear", 0.2));
  CHECK(effective_of(low).max_concurrent_positions == 6);
  PluginHarness near(AXION_PLUGIN_SO, host, fixed("bear", 0.69));
  CHECK(effective_of(near).time_stop_minutes == half_even(blend(90, 120, 0.69)));
  CHECK(effective_of(near).time_stop_minutes != 90);
}

TEST_CASE("blended avoid list is the sorted union, preferred the union minus the avoids") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, fixed("bull", 0.5));
  const Limits eff = effective_of(h);
  CHECK(eff.avoid_signal_types ==
        std::vector<std::string>{"CLOUD_BOUNCE_SHORT", "CLOUD_CROSS_BEARISH", "TREND_ALIGNED_LONG",
                                 "TREND_ALIGNED_SHORT"});
  CHECK(eff.preferred_signal_types == std::vector<std::string>{"CLOUD_BOUNCE_LONG",
                                                               "CLOUD_CROSS_BULLISH",
                                                               "MOMENTUM_EXHAUSTION"});
  // So at 0.5 a bull regime avoids trend_aligned_long (sideways avoids it), at 0.7 it does not.
  Limits out;
  CHECK_FALSE(h.regime_evaluate(of_type("trend_aligned_long"), base_config(), out).pass);
  PluginHarness pure(AXION_PLUGIN_SO, host, fixed("bull", 0.7));
  CHECK(pure.regime_evaluate(of_type("trend_aligned_long"), base_config(), out).pass);
}

TEST_CASE("an unknown regime name gets sideways values and is reported as given") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, fixed("euphoria", 0.9));
  const Limits eff = effective_of(h);
  check_effective(eff, "sideways", 0.9);
  CHECK(eff.regime == "euphoria");
  CHECK(eff.avoid_signal_types == ref_profiles().at("sideways").avoid);
  bool warned = false;
  for (const auto& [level, text] : host.logs) {
    warned = warned || (level == AXION_LOG_WARN && text.find("euphoria") != std::string::npos);
  }
  CHECK(warned);
  Limits out;
  auto v = h.regime_evaluate(of_type("trend_aligned_short"), base_config(), out);
  CHECK(v.reason == "Signal type trend_aligned_short avoided in euphoria regime");
}

TEST_CASE("regime names are looked up case-insensitively") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, fixed("BEAR", 0.5));
  const Limits eff = effective_of(h);
  check_effective(eff, "bear", 0.5);
  CHECK(eff.regime == "BEAR");
}

// ---- stage 0.5 rejections (acceptance example 6) --------------------------------------------

TEST_CASE("sideways avoids trend_aligned_long and requires conviction 60 (acceptance example 6)") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);  // default: sideways at 0.5, no benchmark bars
  Limits eff;
  Verdict v = h.regime_evaluate(of_type("trend_aligned_long", 90), base_config(), eff);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Signal type trend_aligned_long avoided in sideways regime");

  v = h.regime_evaluate(of_type("cloud_bounce_long", 59), base_config(), eff);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Conviction 59 below regime minimum 60");

  eff = Limits{};
  v = h.regime_evaluate(of_type("cloud_bounce_long", 60), base_config(), eff);
  CHECK(v.pass);
  CHECK(eff.regime == "sideways");
}

TEST_CASE("avoid lists compare case-insensitively and win over the conviction check") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, fixed("crisis", 0.9));
  Limits eff;
  auto v = h.regime_evaluate(of_type("MTF_Confluence", 10), base_config(), eff);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Signal type MTF_Confluence avoided in crisis regime");
  v = h.regime_evaluate(of_type("cloud_cross_bearish", 79), base_config(), eff);
  CHECK(v.reason == "Conviction 79 below regime minimum 80");
  CHECK(h.regime_evaluate(of_type("cloud_cross_bearish", 80), base_config(), eff).pass);
}

TEST_CASE("the conviction minimum is the blended one") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, fixed("bear", 0.5));
  const int min = expected("bear", 0.5).min_conviction;
  Limits eff;
  auto v = h.regime_evaluate(of_type("cloud_cross_bearish", min - 1), base_config(), eff);
  CHECK(v.reason ==
        "Conviction " + std::to_string(min - 1) + " below regime minimum " + std::to_string(min));
  CHECK(h.regime_evaluate(of_type("cloud_cross_bearish", min), base_config(), eff).pass);
}

// ---- adapt_config (acceptance example 5) ------------------------------------------------------

TEST_CASE("bear at 0.5: max positions 6, loss threshold 2, user keys kept (acceptance example 5)") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, fixed("bear", 0.5));
  Limits base = base_config();
  base.eod_close_time = "15:30";
  const Limits eff = effective_of(h, base);
  CHECK(eff.max_concurrent_positions == 6);
  CHECK(eff.consecutive_loss_threshold == 2);
  CHECK(eff.eod_close_time == "15:30");
  CHECK(eff.regime == "bear");  // what risk/unified reads for its own limits (6 positions)
  CHECK(eff.stop_loss_mult == 0.8);
}

TEST_CASE("adapt_config replaces exactly the spec's fields and keeps every other user value") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, fixed("crisis", 0.8));
  Limits base = base_config();
  // Every field the regime does not adapt gets a user value other than the default, so a plugin
  // that rebuilt a default config (the spec's "original defect") fails below.
  base.instrument_mode = "options";
  base.max_sector_exposure = 0.22;  // blended in the profile, but not applied
  base.min_account_equity = 30000.0;
  base.default_time_in_force = "gtc";
  base.high_conviction_order_type = "limit";
  base.medium_conviction_order_type = "market";
  base.scale_in_initial_pct = 0.4;
  base.prefer_3x_for_day_trades = false;
  base.min_etf_daily_volume = 5'000'000.0;
  base.etf_sector_mapping = false;
  base.consecutive_loss_pct = 0.05;
  base.api_timeout_seconds = 30.0;
  base.eod_close_time = "15:45";
  base.max_etf_hold_days_3x = 4;
  base.max_etf_hold_days_2x = 7;
  base.close_on_shutdown = false;
  // Every adapted field gets a value crisis at 0.8 does not have, so each replacement shows.
  base.max_risk_per_trade = 0.07;
  base.max_concurrent_positions = 17;
  base.daily_loss_limit = 0.11;
  base.max_single_stock_exposure = 0.19;
  base.reward_to_risk_target = 4.5;
  base.time_stop_minutes = 33;
  base.consecutive_loss_threshold = 9;
  base.scale_in_enabled = true;
  base.trailing_stop_cloud = "pullback";
  const Limits eff = effective_of(h, base);
  INFO("base " << describe(base).dump());
  INFO("effective " << describe(eff).dump());

  // Kept: the user's value, which is not the default.
#define KEPT(field)                      \
  do {                                   \
    INFO(#field);                        \
    CHECK(base.field != Limits{}.field); \
    CHECK(eff.field == base.field);      \
  } while (false)
  KEPT(instrument_mode);
  KEPT(max_sector_exposure);
  KEPT(min_account_equity);
  KEPT(default_time_in_force);
  KEPT(high_conviction_order_type);
  KEPT(medium_conviction_order_type);
  KEPT(scale_in_initial_pct);
  KEPT(prefer_3x_for_day_trades);
  KEPT(min_etf_daily_volume);
  KEPT(etf_sector_mapping);
  KEPT(consecutive_loss_pct);
  KEPT(api_timeout_seconds);
  KEPT(eod_close_time);
  KEPT(max_etf_hold_days_3x);
  KEPT(max_etf_hold_days_2x);
  KEPT(close_on_shutdown);
#undef KEPT

  // Replaced (the §10.1 fields) and added (the stage-0.5 figures): each differs from the base.
#define CHANGED(field)                    \
  do {                                    \
    INFO(#field);                         \
    CHECK_FALSE(eff.field == base.field); \
  } while (false)
  CHANGED(max_risk_per_trade);
  CHANGED(max_concurrent_positions);
  CHANGED(daily_loss_limit);
  CHANGED(max_single_stock_exposure);
  CHANGED(reward_to_risk_target);
  CHANGED(time_stop_minutes);
  CHANGED(consecutive_loss_threshold);
  CHANGED(scale_in_enabled);
  CHANGED(trailing_stop_cloud);
  CHANGED(position_size_multiplier);
  CHANGED(min_conviction);
  CHANGED(stop_loss_mult);
  CHANGED(regime);
  CHANGED(regime_confidence);
  CHANGED(avoid_signal_types);
  CHANGED(preferred_signal_types);
#undef CHANGED

  // Exactly those: with the 16 replaced and added fields put back, the effective limits are the
  // base, field for field (Limits' == covers every field, including ones added later).
  Limits undone = eff;
  undone.max_risk_per_trade = base.max_risk_per_trade;
  undone.max_concurrent_positions = base.max_concurrent_positions;
  undone.daily_loss_limit = base.daily_loss_limit;
  undone.max_single_stock_exposure = base.max_single_stock_exposure;
  undone.reward_to_risk_target = base.reward_to_risk_target;
  undone.time_stop_minutes = base.time_stop_minutes;
  undone.consecutive_loss_threshold = base.consecutive_loss_threshold;
  undone.scale_in_enabled = base.scale_in_enabled;
  undone.trailing_stop_cloud = base.trailing_stop_cloud;
  undone.position_size_multiplier = base.position_size_multiplier;
  undone.min_conviction = base.min_conviction;
  undone.stop_loss_mult = base.stop_loss_mult;
  undone.regime = base.regime;
  undone.regime_confidence = base.regime_confidence;
  undone.avoid_signal_types = base.avoid_signal_types;
  undone.preferred_signal_types = base.preferred_signal_types;
  CHECK(undone == base);

  check_effective(eff, "crisis", 0.8);
  CHECK(eff.regime == "crisis");
  CHECK(eff.regime_confidence == 0.8);
  CHECK(eff.avoid_signal_types == ref_profiles().at("crisis").avoid);
  CHECK(eff.preferred_signal_types == ref_profiles().at("crisis").preferred);
}

TEST_CASE("regime figures already in the base are replaced, not merged or obeyed") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);  // sideways at 0.5
  Limits base = base_config();
  base.position_size_multiplier = 2.5;
  base.stop_loss_mult = 3.0;
  base.min_conviction = 95;
  base.regime = "bull";
  base.regime_confidence = 0.99;
  base.avoid_signal_types = {"CLOUD_CROSS_BULLISH", "X_TYPE"};
  base.preferred_signal_types = {"Y_TYPE"};
  // The base's avoid list and minimum are not what stage 0.5 checks: the profile's are.
  Limits eff;
  const Verdict v = h.regime_evaluate(of_type("cloud_cross_bullish", 70), base, eff);
  REQUIRE(v.pass);
  INFO(describe(eff).dump());
  CHECK(eff.position_size_multiplier == ref_profiles().at("sideways").psm);
  CHECK(eff.stop_loss_mult == kStopLossMult.at("sideways"));
  REQUIRE(eff.min_conviction.has_value());
  CHECK(*eff.min_conviction == 60);
  CHECK(eff.regime == "sideways");
  CHECK(eff.regime_confidence == 0.5);
  CHECK(eff.avoid_signal_types == ref_profiles().at("sideways").avoid);
  CHECK(eff.preferred_signal_types == ref_profiles().at("sideways").preferred);
  check_effective(eff, "sideways", 0.5);
}

// ---- the detector ------------------------------------------------------------------------------

TEST_CASE("without benchmark bars the regime stays initial_regime at 0.5") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"initial_regime", "bear"}});
  feed_series(h, "QQQ", 250, falling);  // another symbol: not read
  const Limits eff = effective_of(h);
  CHECK(eff.regime == "bear");
  CHECK(eff.regime_confidence == 0.5);
  check_effective(eff, "bear", 0.5);
  CHECK(host.bus.count("regime_update") == 0);
}

TEST_CASE("the detector needs 5 benchmark bars before it replaces initial_regime") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"initial_regime", "bull"}});
  feed_series(h, "SPY", 4, [](int) { return 100.0; });
  CHECK(regime_of(h) == "bull");
  CHECK(host.bus.count("regime_update") == 0);
  feed(h, "SPY", 4, 100.0);
  // Flat, < 200 rows: only "not above SMA200" (bear 0.25, 1 condition) => sideways 1 - 0.25.
  CHECK(regime_of(h) == "sideways");
  CHECK(confidence_of(h) == Approx(1.0 - 0.25));
  CHECK(host.bus.count("regime_update") == 1);
}

TEST_CASE("detector: a rising benchmark over 200 bars is bull") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  feed_series(h, "SPY", 250, rising);
  // above SMA200 0.25 + trend > 5 % 0.20 + momentum > 2 % 0.10; VIX 20 and breadth 0.5 neutral.
  CHECK(regime_of(h) == "bull");
  CHECK(confidence_of(h) == Approx(0.25 + 0.20 + 0.10));
  check_effective(effective_of(h), "bull", confidence_of(h));
}

TEST_CASE("detector: a calm VIX and a strong universe lift bull to a pure profile") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"vix_symbol", "VIX"}, {"universe", {"AAA", "BBB"}}});
  for (int i = 0; i < 250; ++i) {
    feed(h, "VIX", i, 12.0);
    feed(h, "AAA", i, 50.0 * std::pow(1.003, i));
    feed(h, "BBB", i, 20.0 * std::pow(1.001, i) * (i % 2 ? 1.002 : 0.998));
    feed(h, "SPY", i, rising(i));
  }
  // + VIX < 15 0.15 + breadth 1.0 > 0.55 0.20 => 0.9 (< the 0.95 cap).
  CHECK(regime_of(h) == "bull");
  CHECK(confidence_of(h) == Approx(0.25 + 0.20 + 0.15 + 0.20 + 0.10));
  const Limits eff = effective_of(h);
  CHECK(eff.max_concurrent_positions == ref_profiles().at("bull").max_positions);
}

TEST_CASE("detector: a falling benchmark over 200 bars is bear") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  feed_series(h, "SPY", 250, falling);
  CHECK(regime_of(h) == "bear");
  CHECK(confidence_of(h) == Approx(0.25 + 0.20 + 0.10));
  Limits eff;
  auto v = h.regime_evaluate(of_type("cloud_bounce_long"), base_config(), eff);
  CHECK(v.reason == "Signal type cloud_bounce_long avoided in bear regime");
  // The last regime_update carries the blended bear figures at that confidence.
  REQUIRE_FALSE(host.bus.events.empty());
  const json& last = host.bus.events.back().data;
  const Expected x = expected("bear", confidence_of(h));
  CHECK(host.bus.events.back().name == "regime_update");
  CHECK(last["regime"] == "bear");
  CHECK(last["confidence"].get<double>() == confidence_of(h));
  CHECK(last["effective"]["max_concurrent_positions"].get<int>() == x.max_positions);
  CHECK(last["effective"]["position_size_multiplier"].get<double>() == x.psm);
  CHECK(last["effective"]["min_conviction"].get<int>() == x.min_conviction);
}

TEST_CASE("detector: under 200 bars, not above SMA200 counts for bear, with a high VIX") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"vix_symbol", "^VIX"}});
  for (int i = 0; i < 40; ++i) {
    feed(h, "^VIX", i, 30.0);
    feed(h, "SPY", i, falling(i));
  }
  // not above 0.25 + VIX > 25 0.20 + momentum < -2 % 0.10: 3 conditions.
  CHECK(regime_of(h) == "bear");
  CHECK(confidence_of(h) == Approx(0.25 + 0.20 + 0.10));
  // The same series with a calm VIX has only 2 bear conditions: sideways 1 - 0.35.
  FakeHost host2;
  PluginHarness calm(AXION_PLUGIN_SO, host2);
  feed_series(calm, "SPY", 40, falling);
  CHECK(regime_of(calm) == "sideways");
  CHECK(confidence_of(calm) == Approx(1.0 - (0.25 + 0.10)));
}

TEST_CASE("detector: a flat benchmark is sideways") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  feed_series(h, "SPY", 250, [](int) { return 400.0; });
  CHECK(regime_of(h) == "sideways");
  CHECK(confidence_of(h) == Approx(0.75));
}

TEST_CASE("detector: VIX above 35 is crisis with confidence min(1, (VIX - 35) / 15 + 0.7)") {
  for (double vix : {36.5, 38.0, 60.0}) {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"vix_symbol", "VIX"}});
    for (int i = 0; i < 250; ++i) {
      feed(h, "VIX", i, vix);
      feed(h, "SPY", i, rising(i));  // a bull market otherwise
    }
    INFO(vix);
    CHECK(regime_of(h) == "crisis");
    CHECK(confidence_of(h) == Approx(std::fmin(1.0, (vix - 35.0) / 15.0 + 0.7)));
    check_effective(effective_of(h), "crisis", confidence_of(h));
  }
}

TEST_CASE("detector: a correlation spike with a 1-month fall over 10 % is crisis 0.75") {
  auto run = [](bool correlated) {
    FakeHost host;
    PluginHarness h(AXION_PLUGIN_SO, host, json{{"universe", {"AAA", "BBB"}}});
    double a = 50.0, b = 80.0;
    for (int i = 0; i < 80; ++i) {
      const double wiggle = 0.01 * ((i % 3) - 1);  // -1 %, 0, +1 %
      a *= 1.0 - 0.004 + wiggle;
      b *= 1.0 - 0.004 + (correlated ? wiggle : -wiggle);
      // Universe bars after the benchmark's at the same timestamp: rows still complete.
      feed(h, "SPY", i, 100.0 * std::pow(0.99, i));
      feed(h, "BBB", i, b);
      feed(h, "AAA", i, a);
    }
    return std::make_pair(regime_of(h), confidence_of(h));
  };
  const auto spike = run(true);
  CHECK(spike.first == "crisis");
  CHECK(spike.second == Approx(0.75));
  // Anti-correlated universe: no spike; not above + momentum < -2 % = 2 bear conditions.
  const auto calm = run(false);
  CHECK(calm.first == "sideways");
  CHECK(calm.second == Approx(1.0 - (0.25 + 0.10)));
}

TEST_CASE("detector: a weak universe breadth adds a bear point") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"universe", {"AAA", "BBB", "CCC"}}});
  for (int i = 0; i < 220; ++i) {
    feed(h, "AAA", i, falling(i));
    feed(h, "BBB", i, falling(i) * 2);
    feed(h, "CCC", i, rising(i));
    feed(h, "SPY", i, 300.0 - (i % 2));  // flat-ish, last close below its SMA200
  }
  // Not above 0.25 + breadth 1/3 < 0.45 0.20: 2 conditions => sideways 1 - 0.45.
  CHECK(regime_of(h) == "sideways");
  CHECK(confidence_of(h) == Approx(1.0 - (0.25 + 0.20)));
}

TEST_CASE("a universe row needs a bar of every universe symbol") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"universe", {"AAA", "BBB"}}});
  for (int i = 0; i < 220; ++i) {
    feed(h, "AAA", i, falling(i));
    feed(h, "AAA", i, falling(i));  // a repeated bar is not BBB's
    feed(h, "SPY", i, 300.0 - (i % 2));
  }
  // No complete row: breadth stays 0.5, so only "not above" counts => sideways 0.75.
  CHECK(regime_of(h) == "sideways");
  CHECK(confidence_of(h) == Approx(1.0 - 0.25));
}

TEST_CASE("the benchmark symbol and timeframe are configurable") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"symbol", "QQQ"}, {"timeframe", "1d"}});
  feed_series(h, "SPY", 250, rising);                                // not the benchmark
  for (int i = 0; i < 250; ++i) feed(h, "QQQ", i, rising(i), "5m");  // wrong timeframe
  CHECK(regime_of(h) == "sideways");
  CHECK(confidence_of(h) == 0.5);
  feed_series(h, "QQQ", 250, falling, 1000);
  CHECK(regime_of(h) == "bear");
}

TEST_CASE("an empty timeframe reads the benchmark's first timeframe only") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  for (int i = 0; i < 250; ++i) {
    feed(h, "SPY", i, falling(i), "1d");
    feed(h, "SPY", i, rising(i) * 3, "5m");  // would wreck the series if mixed in
  }
  CHECK(regime_of(h) == "bear");
  CHECK(confidence_of(h) == Approx(0.25 + 0.20 + 0.10));
}

TEST_CASE("warm-up bars feed the detector") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  for (int i = 0; i < 250; ++i) {
    BarView b;
    b.symbol = "SPY";
    b.timeframe = "1d";
    b.ts_us = kOrigin + i * kDayUs;
    b.open = b.high = b.low = b.close = falling(i);
    b.warmup = true;
    h.regime_on_bar(b);
  }
  CHECK(regime_of(h) == "bear");
}

TEST_CASE("bars out of time order and non-positive closes are ignored") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host);
  feed_series(h, "SPY", 250, falling);
  const double before = confidence_of(h);
  const auto events = host.bus.count("regime_update");
  feed(h, "SPY", 10, 1000.0);  // older than the last bar
  feed(h, "SPY", 300, 0.0);
  feed(h, "SPY", 301, -5.0);
  CHECK(regime_of(h) == "bear");
  CHECK(confidence_of(h) == before);
  CHECK(host.bus.count("regime_update") == events);
}

TEST_CASE("a fixed regime ignores bars and never publishes") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, fixed("bull", 0.9));
  feed_series(h, "SPY", 250, falling);
  CHECK(regime_of(h) == "bull");
  CHECK(confidence_of(h) == 0.9);
  CHECK(host.bus.count("regime_update") == 0);
}

// ---- regime_update -----------------------------------------------------------------------------

TEST_CASE("regime_update is published on a change of regime or confidence only") {
  FakeHost host;
  PluginHarness h(AXION_PLUGIN_SO, host, json{{"vix_symbol", "VIX"}});
  auto day = [&](int i, double spy, double vix) {
    feed(h, "VIX", i, vix);
    feed(h, "SPY", i, spy);
  };
  int i = 0;
  for (; i < 30; ++i) day(i, 100.0, 20.0);  // sideways 0.75 from the 5th bar on
  REQUIRE(host.bus.count("regime_update") == 1);
  for (; i < 40; ++i) day(i, 100.0, 40.0);  // crisis 1.0 (VIX 40)
  REQUIRE(host.bus.count("regime_update") == 2);
  for (; i < 45; ++i) day(i, 100.0, 38.0);  // crisis 0.9: confidence change only
  REQUIRE(host.bus.count("regime_update") == 3);
  for (; i < 50; ++i) day(i, 100.0, 20.0);  // back to sideways 0.75
  REQUIRE(host.bus.count("regime_update") == 4);

  const auto& ev = host.bus.events;
  std::vector<std::pair<std::string, double>> seen;
  for (const auto& e : ev) {
    if (e.name != "regime_update") continue;
    const std::string regime = e.data.at("regime").get<std::string>();
    const double conf = e.data.at("confidence").get<double>();
    seen.emplace_back(regime, conf);
    const Expected x = expected(regime, conf);
    INFO(e.data.dump());
    CHECK(e.data.at("effective").size() == 3);
    CHECK(e.data.at("effective").at("max_concurrent_positions").get<int>() == x.max_positions);
    CHECK(e.data.at("effective").at("position_size_multiplier").get<double>() == x.psm);
    CHECK(e.data.at("effective").at("min_conviction").get<int>() == x.min_conviction);
  }
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].first == "sideways");
  CHECK(seen[0].second == Approx(0.75));
  CHECK(seen[1].first == "crisis");
  CHECK(seen[1].second == 1.0);
  CHECK(seen[2].first == "crisis");
  CHECK(seen[2].second == Approx(0.9));
  CHECK(seen[3].first == "sideways");
  // crisis at 1.0 is the pure crisis profile.
  CHECK(ev.size() == 4);
}

// ---- config ------------------------------------------------------------------------------------

TEST_CASE("config errors name the key") {
  CHECK(config_error_key(json{{"regime", "bull"}}) == "regime");
  CHECK(config_error_key(json{{"symbol", 5}}) == "symbol");
  CHECK(config_error_key(json{{"symbol", ""}}) == "symbol");
  CHECK(config_error_key(json{{"timeframe", json::array()}}) == "timeframe");
  CHECK(config_error_key(json{{"initial_regime", "bullish"}}) == "initial_regime");
  CHECK(config_error_key(json{{"fixed_regime", true}}) == "fixed_regime");
  CHECK(config_error_key(json{{"fixed_regime", "bear"}, {"fixed_confidence", 1.5}}) ==
        "fixed_confidence");
  CHECK(config_error_key(json{{"fixed_regime", "bear"}, {"fixed_confidence", -0.1}}) ==
        "fixed_confidence");
  CHECK(config_error_key(json{{"fixed_regime", "bear"}, {"fixed_confidence", "high"}}) ==
        "fixed_confidence");
  CHECK(config_error_key(json{{"fixed_confidence", 0.8}}) == "fixed_confidence");
  CHECK(config_error_key(json{{"vix_symbol", "SPY"}}) == "vix_symbol");
  CHECK(config_error_key(json{{"universe", {"AAA", "AAA"}}}) == "universe");
  CHECK(config_error_key(json{{"universe", {"AAA", ""}}}) == "universe");
  CHECK(config_error_key(json{{"universe", {"AAA", 3}}}) == "universe");

  CHECK(config_error_key(json::object()) == "<accepted>");
  CHECK(config_error_key(json{{"fixed_regime", "bear"}, {"fixed_confidence", 0.8}}) ==
        "<accepted>");
  CHECK(config_error_key(json{{"symbol", "QQQ"},
                              {"timeframe", "1d"},
                              {"initial_regime", "crisis"},
                              {"vix_symbol", "VIX"},
                              {"universe", {"SPY", "AAPL"}}}) == "<accepted>");
}
