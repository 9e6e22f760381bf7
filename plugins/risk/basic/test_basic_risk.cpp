// risk/basic through the built shared library (AXION_PLUGIN_SO) and the SDK fakes.
#include <catch2/catch.hpp>
#include <string>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/signals.hpp"

using axion::sdk::Context;
using axion::sdk::ContextPosition;
using axion::sdk::Order;
using axion::sdk::Signal;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

// An open position; its underlying is its own ticker unless given (an ETF held for a signal).
ContextPosition position(const std::string& ticker, std::int64_t shares, double price,
                         const std::string& underlying = "") {
  ContextPosition p;
  p.ticker = ticker;
  p.underlying = underlying.empty() ? ticker : underlying;
  p.direction = "long";
  p.entry_price = price;
  p.current_price = price;
  p.shares = shares;
  p.strategy = "ema_cloud";
  return p;
}

// The context the engine passes, with the sideways effective limits at the default confidence
// (max_concurrent_positions 8) unless a test changes them.
Context make_context(double equity = 100000.0) {
  Context c;
  c.account = {equity, equity, equity, equity};
  c.circuit_breaker_status = "closed";
  c.limits.regime = "sideways";
  c.limits.regime_confidence = 0.5;
  c.limits.max_concurrent_positions = 8;
  c.limits.max_single_stock_exposure = 0.15;
  c.limits.max_sector_exposure = 0.30;
  return c;
}

std::string config_error_key(const json& config) {
  return axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, config);
}

}  // namespace

TEST_CASE("manifest and schema") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  CHECK(r.manifest().kind == AXION_KIND_RISK);
  CHECK(std::string(r.manifest().name) == "basic");
  REQUIRE(r.manifest().stage_label != nullptr);
  CHECK(std::string(r.manifest().stage_label) == "basic_risk_check");
  auto schema = r.schema();
  REQUIRE(schema.size() == 2);
  CHECK(schema[0]["key"] == "max_total_exposure");
  CHECK(schema[0]["type"] == "double");
  CHECK(schema[0]["default"].get<double>() == 1.0);
  CHECK(schema[1]["key"] == "max_daily_trades");
  CHECK(schema[1]["type"] == "int");
  CHECK(schema[1]["default"].get<int>() == 50);
}

TEST_CASE("an empty book passes, and orders are never checked") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  auto v = r.risk_check_signal(make_signal(), make_context());
  CHECK(v.pass);
  CHECK(v.reason.empty());

  Order o;
  o.ticker = "AAPL";
  o.side = "buy";
  o.qty = 1'000'000;
  o.reference_price = 100.0;
  o.client_order_id = "ax-x-entry";
  Context cx = make_context();
  cx.circuit_breaker_status = "open";
  CHECK(r.risk_check_order(o, cx).pass);
  // The plugin declares that it has no order check: the engine does not call one.
  CHECK(static_cast<const axion_risk_vtable*>(r.manifest().vtable)->check_order == nullptr);
  CHECK(static_cast<const axion_risk_vtable*>(r.manifest().vtable)->check_signal != nullptr);
}

TEST_CASE("a book within every limit passes") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.positions = {position("AAPL", 100, 140.0),  // 14,000 AAPL: 14 %
                  position("MSFT", 30, 300.0),   // 9,000 Technology
                  position("XOM", 100, 100.0)};  // 10,000 Energy
  cx.entries_today = 49;
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).pass);
}

TEST_CASE("circuit breaker open rejects, closed and half_open pass") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.circuit_breaker_status = "open";
  auto v = r.risk_check_signal(make_signal(), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Circuit breaker is OPEN");
  cx.circuit_breaker_status = "half_open";
  CHECK(r.risk_check_signal(make_signal(), cx).pass);
  cx.circuit_breaker_status = "closed";
  CHECK(r.risk_check_signal(make_signal(), cx).pass);
}

TEST_CASE("the circuit breaker is checked first") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.circuit_breaker_status = "open";
  cx.limits.max_concurrent_positions = 0;
  cx.entries_today = 500;
  CHECK(r.risk_check_signal(make_signal(), cx).reason == "Circuit breaker is OPEN");
}

TEST_CASE("max positions from the effective config, exactly at the limit (acceptance example 14)") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.limits.max_concurrent_positions = 2;
  cx.positions = {position("JNJ", 1, 10.0)};
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);  // the second entry
  cx.positions.push_back(position("KO", 1, 10.0));
  auto v = r.risk_check_signal(make_signal({.ticker = "PFE"}), cx);  // the third entry
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Max positions reached: 2");
  cx.positions.push_back(position("PEP", 1, 10.0));
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Max positions reached: 3");

  // The sideways effective limit 8 (§10.1): 7 open passes, 8 open rejects.
  Context side = make_context();
  for (int i = 0; i < 7; ++i)
    side.positions.push_back(position("T" + std::to_string(i), 1, 1.0));
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), side).pass);
  side.positions.push_back(position("T7", 1, 1.0));
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), side).reason ==
        "Max positions reached: 8");
}

TEST_CASE("with the default limits the ExecutorConfig default 10 applies") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.limits = axion::sdk::Limits{};  // no regime adaptation: the [executor] defaults
  for (int i = 0; i < 9; ++i) cx.positions.push_back(position("T" + std::to_string(i), 1, 1.0));
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);
  cx.positions.push_back(position("T9", 1, 1.0));
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Max positions reached: 10");
}

TEST_CASE("single-stock exposure at the limit rejects, just below passes") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.positions = {position("AAPL", 100, 149.99)};  // 14,999 = 14.999 %
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).pass);
  cx.positions = {position("AAPL", 100, 150.0)};  // exactly 15 %
  auto v = r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Single-stock exposure limit: AAPL at 15.0% >= 15%");
}

TEST_CASE("single-stock exposure sums positions by underlying, short ones by magnitude") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  // A TECL position bought for an AAPL signal counts against AAPL; PFE does not.
  cx.positions = {position("AAPL", 50, 100.0), position("TECL", 100, 60.0, "AAPL"),
                  position("PFE", 100, 400.0)};
  auto v = r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx);  // 5,000 + 6,000 = 11 %
  CHECK(v.pass);
  ContextPosition shorted = position("AAPL", 100, 50.0);
  shorted.direction = "short";
  cx.positions.push_back(shorted);  // + 5,000 = 16 %
  v = r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Single-stock exposure limit: AAPL at 16.0% >= 15%");
}

TEST_CASE("the single-stock limit is the effective one") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.limits.max_single_stock_exposure = 0.1;
  cx.positions = {position("AAPL", 100, 123.45)};
  auto v = r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Single-stock exposure limit: AAPL at 12.3% >= 10%");
}

TEST_CASE("total exposure at the limit rejects, just below passes") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, json{{"max_total_exposure", 0.5}});
  Context cx = make_context();
  // 5 tickers without a sector, 10,000 each = 50 %; the last one a bit less.
  for (int i = 0; i < 4; ++i)
    cx.positions.push_back(position("T" + std::to_string(i), 100, 100.0));
  cx.positions.push_back(position("T4", 100, 99.99));
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);
  cx.positions[4] = position("T4", 100, 100.0);
  auto v = r.risk_check_signal(make_signal({.ticker = "PFE"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Total exposure 50.0% >= 50%");
}

TEST_CASE("total exposure default limit is 100 percent") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.limits.max_concurrent_positions = 20;
  // 7 tickers without a sector, 14,000 each = 98 %.
  for (int i = 0; i < 7; ++i)
    cx.positions.push_back(position("T" + std::to_string(i), 1000, 14.0));
  cx.positions.push_back(position("T7", 1999, 1.0));  // 99.999 %
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);
  cx.positions[7] = position("T7", 2000, 1.0);  // exactly 100 %
  auto v = r.risk_check_signal(make_signal({.ticker = "PFE"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Total exposure 100.0% >= 100%");
  cx.positions[7] = position("T7", 4000, 1.0);  // 102 %
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Total exposure 102.0% >= 100%");
}

TEST_CASE("single-stock is checked before total exposure") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, json{{"max_total_exposure", 0.1}});
  Context cx = make_context();
  cx.positions = {position("AAPL", 200, 100.0)};  // 20 % in AAPL and in total
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).reason ==
        "Single-stock exposure limit: AAPL at 20.0% >= 15%");
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Total exposure 20.0% >= 10%");
}

TEST_CASE("exposure checks are skipped when equity is not positive") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  for (double equity : {0.0, -5000.0}) {
    Context cx = make_context(equity);
    cx.positions = {position("AAPL", 1000, 500.0), position("MSFT", 1000, 500.0)};
    CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).pass);
  }
  Context cx = make_context(0.0);
  cx.entries_today = 50;
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).reason ==
        "Max daily trades reached: 50/50");
}

TEST_CASE("max daily trades: at the limit rejects, one below passes") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.entries_today = 49;
  CHECK(r.risk_check_signal(make_signal(), cx).pass);
  cx.entries_today = 50;
  auto v = r.risk_check_signal(make_signal(), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Max daily trades reached: 50/50");
  cx.entries_today = 51;
  CHECK(r.risk_check_signal(make_signal(), cx).reason == "Max daily trades reached: 51/50");
}

TEST_CASE("max daily trades: a configured limit, and 0 means no limit") {
  FakeHost host;
  PluginHarness three(AXION_PLUGIN_SO, host, json{{"max_daily_trades", 3}});
  Context cx = make_context();
  cx.entries_today = 2;
  CHECK(three.risk_check_signal(make_signal(), cx).pass);
  cx.entries_today = 3;
  CHECK(three.risk_check_signal(make_signal(), cx).reason == "Max daily trades reached: 3/3");

  PluginHarness unlimited(AXION_PLUGIN_SO, host, json{{"max_daily_trades", 0}});
  cx.entries_today = 100000;
  CHECK(unlimited.risk_check_signal(make_signal(), cx).pass);
}

TEST_CASE("sector exposure at the limit rejects, just below passes") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  // Technology: MSFT 10,000 + GOOGL 10,000 + META 9,999 = 29.999 %; AAPL signal.
  cx.positions = {position("MSFT", 100, 100.0), position("GOOGL", 100, 100.0),
                  position("META", 100, 99.99)};
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).pass);
  cx.positions[2] = position("META", 100, 100.0);  // exactly 30 %
  auto v = r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Technology exposure 30.0% >= 30.0%");
  // Another sector is not affected.
  CHECK(r.risk_check_signal(make_signal({.ticker = "NVDA"}), cx).pass);
}

TEST_CASE("sector exposure counts positions by underlying, with the effective limit") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.limits.max_sector_exposure = 0.2;
  // SOXL held for an NVDA signal counts as Semiconductors; SOXL itself has no sector.
  cx.positions = {position("SOXL", 100, 120.0, "NVDA"), position("AMD", 100, 95.5)};
  auto v = r.risk_check_signal(make_signal({.ticker = "QCOM"}), cx);  // 12,000 + 9,550 = 21.55 %
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Semiconductors exposure 21.6% >= 20.0%");
  CHECK(r.risk_check_signal(make_signal({.ticker = "SOXL"}), cx).pass);  // no sector: exempt
}

TEST_CASE("every sector of the map, and index ETFs, are their own sectors") {
  struct Case {
    const char* signal;
    const char* held;
    const char* sector;
  };
  const Case cases[] = {{"QQQ", "QQQ", "NASDAQ-100"},     {"SPY", "SPY", "S&P 500"},
                        {"IWM", "IWM", "Russell 2000"},   {"ORCL", "ADBE", "Technology"},
                        {"MU", "INTC", "Semiconductors"}, {"C", "WFC", "Financials"},
                        {"SLB", "CVX", "Energy"},         {"REGN", "MRNA", "Biotech"}};
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  for (const auto& c : cases) {
    CAPTURE(c.signal, c.held);
    Context cx = make_context();
    cx.limits.max_single_stock_exposure = 0.5;  // let the sector rule decide
    cx.positions = {position(c.held, 100, 299.99)};
    CHECK(r.risk_check_signal(make_signal({.ticker = c.signal}), cx).pass);
    cx.positions = {position(c.held, 100, 300.0)};
    auto v = r.risk_check_signal(make_signal({.ticker = c.signal}), cx);
    CHECK_FALSE(v.pass);
    CHECK(v.reason == std::string(c.sector) + " exposure 30.0% >= 30.0%");
  }
}

TEST_CASE("tickers outside the sector map are exempt from the sector check") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.limits.max_sector_exposure = 0.01;
  cx.positions = {position("PFE", 100, 100.0), position("JNJ", 100, 100.0)};
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);
  CHECK(r.risk_check_signal(make_signal({.ticker = "aapl"}), cx).pass);  // tickers compare exactly
}

TEST_CASE("daily trades are checked before the sector") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.positions = {position("MSFT", 100, 140.0), position("GOOGL", 100, 140.0),
                  position("META", 100, 140.0)};
  cx.entries_today = 50;
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).reason ==
        "Max daily trades reached: 50/50");
  cx.entries_today = 0;
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).reason ==
        "Technology exposure 42.0% >= 30.0%");
}

TEST_CASE("config errors name the key") {
  CHECK(config_error_key(json{{"max_total_exposure", 0}}) == "max_total_exposure");
  CHECK(config_error_key(json{{"max_total_exposure", -0.5}}) == "max_total_exposure");
  CHECK(config_error_key(json{{"max_total_exposure", "1.0"}}) == "max_total_exposure");
  CHECK(config_error_key(json{{"max_daily_trades", -1}}) == "max_daily_trades");
  CHECK(config_error_key(json{{"max_daily_trades", 2.5}}) == "max_daily_trades");
  CHECK(config_error_key(json{{"max_daily_trades", true}}) == "max_daily_trades");
  CHECK(config_error_key(json{{"max_concurrent_positions", 5}}) == "max_concurrent_positions");
  CHECK(config_error_key(json{{"max_total_exposure", 1.5}, {"max_daily_trades", 0}}) ==
        "<accepted>");
}
