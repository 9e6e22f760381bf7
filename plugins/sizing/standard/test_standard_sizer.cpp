// sizing/standard through the built shared library (AXION_PLUGIN_SO) and the SDK fakes
// (pipeline.md §6.2, §6.5 cases A-C).
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

// Equity 100,000 and ample buying power (§6.5), a stock route, no VaR cap.
Context context(const Signal& s, const Limits& eff = effective()) {
  Context c;
  c.account = {100'000.0, 100'000.0, 1'000'000.0, 100'000.0};
  c.limits = eff;
  c.route = Route::stock(s);
  c.var_cap = std::nullopt;
  c.broker_can_trade_options = false;
  return c;
}

// §6.5 case A: AAPL long 1h, conviction 80, entry 200, stop 196.
Signal case_a() {
  return make_signal({.ticker = "AAPL",
                      .timeframe = "1h",
                      .entry_price = 200.0,
                      .stop_loss = 196.0,
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
Context uncapped(const Signal& s, Limits eff = effective()) {
  eff.max_single_stock_exposure = 100.0;
  Context ctx = context(s, eff);
  ctx.account.buying_power = 1e12;
  return ctx;
}

}  // namespace

TEST_CASE("manifest: sizes every instrument type, no keys") {
  FakeHost host;
  PluginHarness h(kSo, host);
  CHECK(h.manifest().kind == AXION_KIND_SIZING);
  CHECK(std::string(h.manifest().name) == "standard");
  CHECK(h.sizing_instrument_type().empty());
  CHECK(h.schema() == json::array());
}

TEST_CASE("case A: conviction 80 is 75 shares, market") {
  Signal s = case_a();
  auto r = size(s, context(s));
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 75);  // cap int(15,000 / 200)
  CHECK(r.size.order_type == "market");
  CHECK(r.size.conviction_multiplier == 1.0);
  CHECK(r.size.notional_value == 15'000.0);
  CHECK(r.size.risk_amount == 4'000.0);

  // Before the cap: dist 0.018, raw 1,111.1, x1.0 x0.8 => 888.
  auto u = size(s, uncapped(s));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 888);
  CHECK(u.size.notional_value == 177'600.0);
}

TEST_CASE("case B: conviction 60 is 75 shares, limit, multiplier 0.25") {
  Signal s = case_a();
  s.conviction = 60;
  auto r = size(s, context(s));
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 75);
  CHECK(r.size.order_type == "limit");
  CHECK(r.size.conviction_multiplier == 0.25);
  CHECK(r.size.notional_value == 15'000.0);
  CHECK(r.size.risk_amount == 4'000.0);

  auto u = size(s, uncapped(s));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 222);  // 1,111.1 x 0.25 x 0.8
}

TEST_CASE("case C: a stop closer than 0.1 percent uses a 2 percent distance") {
  Signal s = case_a();
  s.stop_loss = 199.9;  // dist 0.0005 x 0.9 = 0.00045 < 0.001 => 0.02
  auto r = size(s, context(s));
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 75);
  CHECK(r.size.order_type == "market");

  auto u = size(s, uncapped(s));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 800);  // raw 1,000 x 0.8
}

TEST_CASE("the stop-loss multiplier scales the distance before the 0.001 test") {
  Signal s = case_a();
  s.stop_loss = 199.6;  // 0.002 x slm
  Limits eff = effective();
  eff.stop_loss_mult = 0.4;  // 0.0008 < 0.001 => 0.02: raw 1,000 => 800
  auto a = size(s, uncapped(s, eff));
  REQUIRE(a.verdict.pass);
  CHECK(a.size.shares == 800);
  eff.stop_loss_mult = 0.6;  // 0.0012: raw 4,000 / (200 x 0.0012) = 16,666.7 => 13,333
  auto b = size(s, uncapped(s, eff));
  REQUIRE(b.verdict.pass);
  CHECK(b.size.shares == 13'333);
}

TEST_CASE("a short signal sizes on the stop distance above entry") {
  Signal s = case_a();
  s.direction = "short";
  s.stop_loss = 204.0;
  auto u = size(s, uncapped(s));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 888);
}

TEST_CASE("limits come from the effective limits") {
  Signal s = case_a();
  Limits eff = effective();
  eff.max_risk_per_trade = 0.06;
  eff.position_size_multiplier = 1.2;
  eff.stop_loss_mult = 1.1;
  auto u = size(s, uncapped(s, eff));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.risk_amount == 6'000.0);
  CHECK(u.size.shares == 1'636);  // 6,000 / (200 x 0.022) = 1,363.6 x 1.2 = 1,636.4

  eff.max_single_stock_exposure = 0.05;  // cap int(5,000 / 200) = 25
  auto c = size(s, context(s, eff));
  REQUIRE(c.verdict.pass);
  CHECK(c.size.shares == 25);
  CHECK(c.size.notional_value == 5'000.0);
}

TEST_CASE("without regime multipliers the sizer uses 1.0") {
  Signal s = case_a();
  // What the engine sends without a regime stage (plugin_api.h axion_limits): multipliers 1.0
  // and no regime.
  Limits eff = effective();
  eff.position_size_multiplier = 1.0;
  eff.stop_loss_mult = 1.0;
  eff.regime = "";
  eff.regime_confidence = 0.0;
  auto u = size(s, uncapped(s, eff));
  REQUIRE(u.verdict.pass);
  CHECK(u.size.shares == 1'000);  // 4,000 / (200 x 0.02)
}

TEST_CASE("conviction 75 is high conviction, 74 is not") {
  Signal s = case_a();
  s.conviction = 75;
  auto hi = size(s, uncapped(s));
  REQUIRE(hi.verdict.pass);
  CHECK(hi.size.order_type == "market");
  CHECK(hi.size.conviction_multiplier == 1.0);
  s.conviction = 74;
  auto lo = size(s, uncapped(s));
  REQUIRE(lo.verdict.pass);
  CHECK(lo.size.order_type == "limit");
  CHECK(lo.size.conviction_multiplier == 0.25);
}

TEST_CASE("scale-in follows the effective config") {
  Signal s = case_a();
  s.conviction = 60;
  Limits eff = effective();

  SECTION("disabled: multiplier 0.5") {
    eff.scale_in_enabled = false;
    auto u = size(s, uncapped(s, eff));
    REQUIRE(u.verdict.pass);
    CHECK(u.size.conviction_multiplier == 0.5);
    CHECK(u.size.order_type == "limit");
    CHECK(u.size.shares == 444);
  }
  SECTION("initial fraction 0.3: multiplier 0.15") {
    eff.scale_in_initial_pct = 0.3;
    auto u = size(s, uncapped(s, eff));
    REQUIRE(u.verdict.pass);
    CHECK(u.size.conviction_multiplier == Approx(0.15));
    CHECK(u.size.shares == 133);  // 1,111.1 x 0.15 x 0.8 = 133.3
  }
  SECTION("a market medium-conviction order does not scale in") {
    eff.medium_conviction_order_type = "market";
    auto u = size(s, uncapped(s, eff));
    REQUIRE(u.verdict.pass);
    CHECK(u.size.order_type == "market");
    CHECK(u.size.conviction_multiplier == 0.5);
  }
  SECTION("a limit high-conviction order scales in") {
    s.conviction = 90;
    eff.high_conviction_order_type = "limit";
    auto u = size(s, uncapped(s, eff));
    REQUIRE(u.verdict.pass);
    CHECK(u.size.order_type == "limit");
    CHECK(u.size.conviction_multiplier == 0.5);
    CHECK(u.size.shares == 444);
  }
}

TEST_CASE("the VaR cap limits shares to int of V over entry") {
  Signal s = case_a();
  Context ctx = context(s);

  ctx.var_cap = 3'000.0;  // int(3,000 / 200) = 15
  auto a = size(s, ctx);
  REQUIRE(a.verdict.pass);
  CHECK(a.size.shares == 15);
  CHECK(a.size.notional_value == 3'000.0);

  ctx.var_cap = 3'199.99;  // int(15.99995) = 15
  CHECK(size(s, ctx).size.shares == 15);

  ctx.var_cap = 20'000.0;  // 100: the exposure cap (75) binds
  CHECK(size(s, ctx).size.shares == 75);

  ctx.var_cap = std::nullopt;  // no VaR cap for this signal
  CHECK(size(s, ctx).size.shares == 75);

  ctx.var_cap = 0.0;  // a cap with no budget left stops the order
  CHECK(size(s, ctx).verdict.reason == kZero);

  ctx.var_cap = 150.0;  // int(0.75) = 0
  auto z = size(s, ctx);
  CHECK_FALSE(z.verdict.pass);
  CHECK(z.verdict.reason == kZero);
}

TEST_CASE("buying power caps shares") {
  Signal s = case_a();
  Context ctx = context(s);

  ctx.account.buying_power = 1'000.0;  // int(1,000 / 200) = 5
  auto a = size(s, ctx);
  REQUIRE(a.verdict.pass);
  CHECK(a.size.shares == 5);
  CHECK(a.size.notional_value == 1'000.0);
  CHECK(a.size.risk_amount == 4'000.0);

  const double bp = GENERATE(199.99, 0.0, -500.0);
  CAPTURE(bp);
  ctx.account.buying_power = bp;
  auto z = size(s, ctx);
  CHECK_FALSE(z.verdict.pass);
  CHECK(z.verdict.reason == kZero);
}

TEST_CASE("a zero exposure cap rejects instead of ordering one share") {
  Signal s = case_a();
  Context ctx = context(s);
  ctx.account.equity = 1'000.0;  // int(150 / 200) = 0
  auto z = size(s, ctx);
  CHECK_FALSE(z.verdict.pass);
  CHECK(z.verdict.reason == kZero);

  ctx.account.equity = 1'400.0;  // int(210 / 200) = 1
  auto one = size(s, ctx);
  REQUIRE(one.verdict.pass);
  CHECK(one.size.shares == 1);
}

TEST_CASE("a non-positive entry price makes every cap zero") {
  Signal s = case_a();
  const double entry = GENERATE(0.0, -200.0);
  CAPTURE(entry);
  s.entry_price = entry;
  auto z = size(s, context(s));
  CHECK_FALSE(z.verdict.pass);
  CHECK(z.verdict.reason == kZero);
}

TEST_CASE("a positive size below one share is floored to 1") {
  Signal s = case_a();
  Limits eff = effective();
  eff.position_size_multiplier = 0.0005;  // int(0.56) = 0 => 1
  auto r = size(s, context(s, eff));
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 1);
  CHECK(r.size.notional_value == 200.0);
}

TEST_CASE("notional and risk are rounded to 2 decimals") {
  Signal s = case_a();
  s.entry_price = 123.456;
  s.stop_loss = 120.0;
  Context ctx = context(s);
  ctx.account.equity = 100'000.555;
  auto r = size(s, ctx);
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 121);                // int(15,000.08 / 123.456)
  CHECK(r.size.notional_value == 14'938.18);  // 14,938.176
  CHECK(r.size.risk_amount == 4'000.02);      // 4,000.0222
}

TEST_CASE("an ETF route is sized at the route's reference price") {
  Signal s = case_a();
  s.ticker = "QQQ";
  s.entry_price = 400.0;
  s.stop_loss = 396.0;
  Context ctx = context(s);
  ctx.route.instrument_type = "leveraged_etf";
  ctx.route.ticker = "TQQQ";
  ctx.route.leverage = 3.0;
  ctx.route.is_inverse = false;
  ctx.route.reference_price = 50.0;
  auto r = size(s, ctx);
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 300);  // cap int(15,000 / 50)
  CHECK(r.size.notional_value == 15'000.0);
}

TEST_CASE("a non-finite ETF route price is an error, not a price") {
  Signal s = case_a();
  const double bad = GENERATE(std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::infinity());
  CAPTURE(bad);
  Context ctx = context(s);
  ctx.route.instrument_type = "leveraged_etf";
  ctx.route.ticker = "TQQQ";
  ctx.route.leverage = 3.0;
  ctx.route.reference_price = bad;
  CHECK_THROWS_WITH(size(s, ctx), Catch::Contains("reference_price"));
  // On a stock route the route's price is not read: the signal entry prices the order.
  ctx.route = Route::stock(s);
  ctx.route.reference_price = bad;
  auto r = size(s, ctx);
  REQUIRE(r.verdict.pass);
  CHECK(r.size.shares == 75);
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
  Signal s = case_a();
  s.conviction = 60;  // a limit entry with scale-in: reads every field above
  Limits eff = effective();
  eff.*field.member = bad;
  CHECK_THROWS_WITH(size(s, context(s, eff)), Catch::Contains(field.key));
}

TEST_CASE("an order type other than market or limit is an error") {
  const bool high = GENERATE(true, false);
  const char* key = high ? "high_conviction_order_type" : "medium_conviction_order_type";
  const std::string type = GENERATE("stop", "");
  CAPTURE(key, type);
  Signal s = case_a();
  s.conviction = high ? 80 : 60;
  Limits eff = effective();
  (high ? eff.high_conviction_order_type : eff.medium_conviction_order_type) = type;
  CHECK_THROWS_WITH(size(s, context(s, eff)), Catch::Contains(key));
}

TEST_CASE("config errors name the key") {
  CHECK(axion::sdk::testing::config_error_key(kSo, json::object()) == "<accepted>");
  CHECK(axion::sdk::testing::config_error_key(kSo, {{"max_risk_per_trade", 0.02}}) ==
        "max_risk_per_trade");
}
