// sizing/leveraged_etf through the built shared library (AXION_PLUGIN_SO) and the SDK fakes
// (pipeline.md §6.3, §6.5 case D).
#include <catch2/catch.hpp>
#include <limits>
#include <string>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/limits.hpp"
#include "axion/sdk/testing/signals.hpp"

using axion::sdk::Context;
using axion::sdk::Limits;
using axion::sdk::PositionSize;
using axion::sdk::Route;
using axion::sdk::Signal;
using axion::sdk::Verdict;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

const char* const kSo = AXION_PLUGIN_SO;
const std::string kZero = "Position size is zero after caps";

// The effective limits of §6.5 (sideways at confidence 0.5), shared by the stage tests.
Limits effective() { return axion::sdk::testing::pipeline_6_5_limits(); }

// The routing decision of case D: QQQ long 10m => TQQQ 3x quoted at 50.00.
Route etf_decision(const std::string& etf = "TQQQ", double leverage = 3.0, bool inverse = false,
                   double quote = 50.0, const std::string& underlying = "QQQ") {
  Route r;
  r.instrument_type = "leveraged_etf";
  r.ticker = etf;
  r.original_signal_ticker = underlying;
  r.leverage = leverage;
  r.is_inverse = inverse;
  r.reference_price = quote;
  r.etf_tracks = "NASDAQ-100";
  r.etf_avg_daily_volume = 0.0;
  return r;
}

// Equity 100,000 and ample buying power (§6.5), no VaR cap.
Context context(const Route& decision = etf_decision(), const Limits& eff = effective()) {
  Context c;
  c.account = {100'000.0, 100'000.0, 1'000'000.0, 100'000.0};
  c.limits = eff;
  c.route = decision;
  c.var_cap = std::nullopt;
  c.broker_can_trade_options = false;
  return c;
}

// §6.5 case D: QQQ long 10m, conviction 80, entry 400, stop 396.
Signal case_d() {
  return make_signal({.ticker = "QQQ",
                      .timeframe = "10m",
                      .entry_price = 400.0,
                      .stop_loss = 396.0,
                      .ts_us = 1'770'647'400'000'000});
}

struct Sized {
  Verdict verdict;
  PositionSize size;
};

Sized size(const Signal& s, const Context& ctx) {
  FakeHost host;
  PluginHarness h(kSo, host);
  Sized out;
  out.verdict = h.size(s, ctx, out.size);
  return out;
}

// The same context with the exposure and buying-power caps lifted: the risk-based size.
Context uncapped(const Route& decision = etf_decision(), Limits eff = effective()) {
  eff.max_single_stock_exposure = 100.0;
  Context ctx = context(decision, eff);
  ctx.account.buying_power = 1e12;
  return ctx;
}

}  // namespace

TEST_CASE("manifest: sizes leveraged_etf routes, no keys") {
  FakeHost host;
  PluginHarness h(kSo, host);
  CHECK(h.manifest().kind == AXION_KIND_SIZING);
  CHECK(std::string(h.manifest().name) == "leveraged_etf");
  CHECK(h.sizing_instrument_type() == "leveraged_etf");
  CHECK(h.schema() == json::array());
}

TEST_CASE("case D: 100 TQQQ, market") {
  Signal s = case_d();
  auto r = size(s, context());
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 100);  // cap int((15,000 / 3) / 50)
  CHECK(r.size.order_type == "market");
  CHECK(r.size.conviction_multiplier == 1.0);
  CHECK(r.size.notional_value == 5'000.0);  // ETF price, not the underlying's 400
  CHECK(r.size.risk_amount == 4'000.0);

  // Before the cap: dist 0.009, lev_stop 0.003, raw 26,666.7 x 0.8 => 21,333.
  auto u = size(s, uncapped());
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 21'333);
}

TEST_CASE("case D at conviction 60: 100 TQQQ, limit, multiplier 0.25") {
  Signal s = case_d();
  s.conviction = 60;
  auto r = size(s, context());
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 100);
  CHECK(r.size.order_type == "limit");
  CHECK(r.size.conviction_multiplier == 0.25);
  auto u = size(s, uncapped());
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 5'333);  // 26,666.7 x 0.25 x 0.8
}

TEST_CASE("the price is the route's reference price, the ETF quote") {
  Signal s = case_d();
  auto r = size(s, context(etf_decision("TQQQ", 3.0, false, 40.0)));
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 125);  // int((15,000 / 3) / 40)
  CHECK(r.size.notional_value == 5'000.0);
  auto u = size(s, uncapped(etf_decision("TQQQ", 3.0, false, 45.0)));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 23'703);  // 4,000 / (45 x 0.003) = 29,629.6 x 0.8
}

TEST_CASE("lev_stop below 0.003 uses 0.003") {
  Signal s = case_d();
  s.stop_loss = 398.0;  // dist 0.005 x 0.9 = 0.0045, lev_stop 0.0015 => 0.003
  auto u = size(s, uncapped());
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 21'333);  // as case D, not 4,000 / (50 x 0.0015) x 0.8 = 42,666
}

TEST_CASE("a wider stop sets lev_stop above its 0.003 floor") {
  Signal s = case_d();
  s.stop_loss = 380.0;  // dist 0.05 x 0.9 = 0.045, lev_stop 0.015
  auto u = size(s, uncapped());
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 4'266);  // 4,000 / (50 x 0.015) = 5,333.3 x 0.8
}

TEST_CASE("a stop closer than 0.1 percent uses a 2 percent distance") {
  Signal s = case_d();
  s.stop_loss = 399.9;  // 0.00025 x 0.9 < 0.001 => 0.02, lev_stop 0.00667
  auto u = size(s, uncapped(etf_decision("TQQQ", 3.0, false, 45.0)));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 10'666);  // 4,000 / (45 x 0.02 / 3) = 13,333.3 x 0.8
}

TEST_CASE("leverage comes from the decision") {
  Signal s = case_d();
  s.ticker = "XOM";
  s.entry_price = 100.0;
  s.stop_loss = 98.0;  // dist 0.018, lev_stop 0.009
  Route d = etf_decision("ERX", 2.0, false, 40.0, "XOM");
  d.etf_tracks = "Energy";
  auto r = size(s, context(d));
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 187);  // int((15,000 / 2) / 40)
  CHECK(r.size.notional_value == 7'480.0);
  auto u = size(s, uncapped(d));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 8'888);  // 4,000 / (40 x 0.009) = 11,111.1 x 0.8
}

TEST_CASE("a short signal routed to the inverse ETF is sized the same way") {
  Signal s = case_d();
  s.direction = "short";
  s.stop_loss = 404.0;
  auto r = size(s, context(etf_decision("SQQQ", 3.0, true, 20.0)));
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 250);  // int((15,000 / 3) / 20)
  CHECK(r.size.notional_value == 5'000.0);
  auto u = size(s, uncapped(etf_decision("SQQQ", 3.0, true, 20.0)));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 53'333);  // 4,000 / (20 x 0.003) = 66,666.7 x 0.8
}

TEST_CASE("limits come from the effective limits") {
  Signal s = case_d();
  Limits eff = effective();
  eff.max_risk_per_trade = 0.03;
  eff.position_size_multiplier = 0.6;
  eff.stop_loss_mult = 1.7;  // dist 0.017, lev_stop 0.00567
  auto u = size(s, uncapped(etf_decision(), eff));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.risk_amount == 3'000.0);
  CHECK(u.size.shares == 6'352);  // 3,000 / (50 x 0.017 / 3) = 10,588.2 x 0.6

  eff.max_single_stock_exposure = 0.06;  // int((6,000 / 3) / 50) = 40
  auto c = size(s, context(etf_decision(), eff));
  REQUIRE(c.verdict.pass);
  CHECK(c.size.shares == 40);
}

TEST_CASE("scale-in follows the effective config") {
  Signal s = case_d();
  s.conviction = 70;
  Limits eff = effective();
  eff.scale_in_enabled = false;
  auto u = size(s, uncapped(etf_decision(), eff));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.conviction_multiplier == 0.5);
  CHECK(u.size.order_type == "limit");
  CHECK(u.size.shares == 10'666);  // 26,666.7 x 0.5 x 0.8
}

TEST_CASE("the VaR cap is divided by leverage") {
  Signal s = case_d();
  Context ctx = context();
  ctx.var_cap = 600.0;  // int((600 / 3) / 50) = 4
  auto a = size(s, ctx);
  REQUIRE(a.verdict.pass);
  CHECK(a.size.shares == 4);
  CHECK(a.size.notional_value == 200.0);

  ctx.var_cap = 30'000.0;  // 200: the exposure cap (100) binds
  CHECK(size(s, ctx).size.shares == 100);

  ctx.var_cap = 149.0;  // int(0.99) = 0
  auto z = size(s, ctx);
  CHECK_FALSE(z.verdict.pass);
  CHECK(z.verdict.reason == kZero);
}

TEST_CASE("buying power caps shares at the ETF price") {
  Signal s = case_d();
  Context ctx = context();
  ctx.account.buying_power = 2'525.0;  // int(2,525 / 50) = 50
  auto a = size(s, ctx);
  REQUIRE(a.verdict.pass);
  CHECK(a.size.shares == 50);
  CHECK(a.size.notional_value == 2'500.0);

  const double bp = GENERATE(49.99, 0.0);
  CAPTURE(bp);
  ctx.account.buying_power = bp;
  auto z = size(s, ctx);
  CHECK_FALSE(z.verdict.pass);
  CHECK(z.verdict.reason == kZero);
}

TEST_CASE("a zero exposure cap rejects instead of ordering one share") {
  Signal s = case_d();
  Context ctx = context();
  ctx.account.equity = 900.0;  // int((135 / 3) / 50) = 0
  auto z = size(s, ctx);
  CHECK_FALSE(z.verdict.pass);
  CHECK(z.verdict.reason == kZero);
  ctx.account.equity = 1'000.0;  // int((150 / 3) / 50) = 1
  auto one = size(s, ctx);
  REQUIRE(one.verdict.pass);
  CHECK(one.size.shares == 1);
}

TEST_CASE("a positive size below one share is floored to 1") {
  Signal s = case_d();
  Limits eff = effective();
  eff.position_size_multiplier = 0.00003;  // int(0.8) = 0 => 1
  auto r = size(s, context(etf_decision(), eff));
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 1);
  CHECK(r.size.notional_value == 50.0);
}

TEST_CASE("notional and risk are rounded to 2 decimals") {
  Signal s = case_d();
  Context ctx = context(etf_decision("TQQQ", 3.0, false, 51.237));
  ctx.account.equity = 100'000.555;
  auto r = size(s, ctx);
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 97);                // int((15,000.08 / 3) / 51.237)
  CHECK(r.size.notional_value == 4'969.99);  // 4,969.989
  CHECK(r.size.risk_amount == 4'000.02);     // 4,000.0222
}

TEST_CASE("a non-positive ETF price rejects") {
  Signal s = case_d();
  const double quote = GENERATE(0.0, -50.0);
  CAPTURE(quote);
  auto z = size(s, context(etf_decision("TQQQ", 3.0, false, quote)));
  CHECK_FALSE(z.verdict.pass);
  CHECK(z.verdict.reason == kZero);
}

TEST_CASE("a decision with a non-finite price or leverage is an error") {
  Signal s = case_d();
  struct Field {
    const char* key;
    double Route::*member;
  };
  const Field field = GENERATE(Field{"reference_price", &Route::reference_price},
                               Field{"leverage", &Route::leverage});
  const double bad = GENERATE(std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity());
  CAPTURE(field.key, bad);
  Route d = etf_decision();
  d.*field.member = bad;
  CHECK_THROWS_WITH(size(s, context(d)), Catch::Contains(field.key));
}

TEST_CASE("a leverage <= 0 is an error") {
  Signal s = case_d();
  const double lev = GENERATE(0.0, -3.0);
  CAPTURE(lev);
  Route d = etf_decision();
  d.leverage = lev;
  CHECK_THROWS_WITH(size(s, context(d)), Catch::Contains("leverage"));
}

TEST_CASE("a non-positive signal entry is an error") {
  Signal s = case_d();
  s.entry_price = 0.0;
  CHECK_THROWS_AS(size(s, context()), PluginCallError);
}

TEST_CASE("non-finite effective numbers are errors, not defaults") {
  struct Field {
    const char* key;
    double Limits::*member;
  };
  const Field field = GENERATE(Field{"max_risk_per_trade", &Limits::max_risk_per_trade},
                               Field{"max_single_stock_exposure", &Limits::max_single_stock_exposure},
                               Field{"scale_in_initial_pct", &Limits::scale_in_initial_pct},
                               Field{"position_size_multiplier", &Limits::position_size_multiplier},
                               Field{"stop_loss_mult", &Limits::stop_loss_mult});
  const double bad = GENERATE(std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity());
  CAPTURE(field.key, bad);
  Signal s = case_d();
  s.conviction = 60;  // a limit entry with scale-in: reads every field above
  Limits eff = effective();
  eff.*field.member = bad;
  CHECK_THROWS_WITH(size(s, context(etf_decision(), eff)), Catch::Contains(field.key));
}

TEST_CASE("an order type other than market or limit is an error") {
  const bool high = GENERATE(true, false);
  const char* key = high ? "high_conviction_order_type" : "medium_conviction_order_type";
  const std::string type = GENERATE("stop", "");
  CAPTURE(key, type);
  Signal s = case_d();
  s.conviction = high ? 80 : 60;
  Limits eff = effective();
  (high ? eff.high_conviction_order_type : eff.medium_conviction_order_type) = type;
  CHECK_THROWS_WITH(size(s, context(etf_decision(), eff)), Catch::Contains(key));
}

TEST_CASE("config errors name the key") {
  CHECK(axion::sdk::testing::config_error_key(kSo, json::object()) == "<accepted>");
  CHECK(axion::sdk::testing::config_error_key(kSo, {{"leverage", 3}}) == "leverage");
}
