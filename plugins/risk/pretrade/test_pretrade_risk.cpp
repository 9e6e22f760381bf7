// risk/pretrade through the built shared library (AXION_PLUGIN_SO) and the SDK fakes.
#include <catch2/catch.hpp>
#include <string>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/signals.hpp"

using axion::sdk::Context;
using axion::sdk::Order;
using axion::sdk::OrderPurpose;
using axion::sdk::OrderResult;
using axion::sdk::OrderStatus;
using axion::sdk::Signal;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

int next_id = 0;

// An entry order as the engine builds it (purpose entry, `ax-{signal_id}-entry`), each with its
// own signal id.
Order entry(const std::string& ticker = "AAPL", std::int64_t qty = 100, double reference = 100.0,
            const std::string& side = "buy") {
  Order o;
  o.ticker = ticker;
  o.side = side;
  o.qty = qty;
  o.order_type = "market";
  o.signal_id = "sig-" + std::to_string(++next_id);
  o.client_order_id = "ax-" + o.signal_id + "-entry";
  o.reference_price = reference;
  o.purpose = OrderPurpose::Entry;
  o.strategy = "ema_cloud";
  return o;
}

// The n-th close of a position opened by `opened`, as the engine builds it (purpose close).
Order close_of(const Order& opened, int n = 1, std::int64_t qty = 0) {
  Order c = opened;
  c.side = opened.side == "buy" ? "sell" : "buy";
  c.qty = qty > 0 ? qty : opened.qty;
  c.client_order_id = "ax-" + opened.signal_id + "-close-" + std::to_string(n);
  c.purpose = OrderPurpose::Close;
  return c;
}

Order unwind_of(const Order& opened) {
  Order u = close_of(opened);
  u.client_order_id = opened.client_order_id + "-unwind";
  u.purpose = OrderPurpose::Unwind;
  return u;
}

OrderResult filled(std::int64_t qty, double price = 100.0) {
  OrderResult r;
  r.order_id = "PAPER-0000000" + std::to_string(next_id % 10);
  r.status = OrderStatus::Filled;
  r.filled_qty = qty;
  r.filled_price = price;
  r.broker = "paper";
  return r;
}

// The stage context the engine passes with an order; the plugin reads nothing from it.
Context context() { return {}; }

// A configuration with every rule but the one under test out of the way.
json loose(json overrides = json::object()) {
  json c{{"max_orders_per_second", 1000},
         {"max_orders_per_minute", 100000},
         {"duplicate_window_seconds", 0.000001},
         {"max_executions_per_symbol", 100000}};
  for (auto& [k, v] : overrides.items()) c[k] = v;
  return c;
}

std::string config_error_key(const json& config) {
  return axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, config);
}

// The one pretrade_rejected event the last rejection published.
const json& last_event(const FakeHost& host) {
  REQUIRE(!host.bus.events.empty());
  REQUIRE(host.bus.events.back().name == "pretrade_rejected");
  return host.bus.events.back().data;
}

}  // namespace

TEST_CASE("manifest and schema") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  CHECK(r.manifest().kind == AXION_KIND_RISK);
  CHECK(std::string(r.manifest().name) == "pretrade");
  REQUIRE(r.manifest().stage_label != nullptr);
  CHECK(std::string(r.manifest().stage_label) == "pretrade");
  auto schema = r.schema();
  REQUIRE(schema.size() == 8);
  const json expected = json::array({json::array({"price_collar_pct", "double", 5.0}),
                                     json::array({"max_order_notional", "double", 100000.0}),
                                     json::array({"max_order_qty", "int", 10000}),
                                     json::array({"max_orders_per_second", "int", 5}),
                                     json::array({"max_orders_per_minute", "int", 60}),
                                     json::array({"duplicate_window_seconds", "double", 2.0}),
                                     json::array({"max_executions_per_symbol", "int", 10}),
                                     json::array({"execution_window_seconds", "double", 300.0})});
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(schema[i]["key"] == expected[i][0]);
    CHECK(schema[i]["type"] == expected[i][1]);
    CHECK(schema[i]["default"] == expected[i][2]);
  }
}

TEST_CASE("a plain entry order passes with the defaults, publishing nothing") {
  FakeHost host;
  host.prices["AAPL"] = 100.5;
  PluginHarness r(AXION_PLUGIN_SO, host);
  auto v = r.risk_check_order(entry(), context());
  CHECK(v.pass);
  CHECK(v.reason.empty());
  CHECK(host.bus.events.empty());
  CHECK(host.commands.empty());
}

TEST_CASE("signals are not checked") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, json{{"max_orders_per_second", 1}});
  const Signal s = make_signal();
  // The plugin declares that it has no signal check: the engine does not call one.
  const auto* vt = static_cast<const axion_risk_vtable*>(r.manifest().vtable);
  CHECK(vt->check_signal == nullptr);
  CHECK(vt->check_order != nullptr);
  for (int i = 0; i < 5; ++i) CHECK(r.risk_check_signal(s, context()).pass);
  CHECK(host.bus.events.empty());
  CHECK(r.risk_check_order(entry(), context()).pass);  // no signal counted as an order
}

TEST_CASE("price_collar: above the limit rejects, exactly at it passes") {
  FakeHost host;
  host.prices["AAPL"] = 100.0;
  PluginHarness r(AXION_PLUGIN_SO, host, loose());
  CHECK(r.risk_check_order(entry("AAPL", 10, 105.0), context()).pass);  // 5.00 %
  CHECK(r.risk_check_order(entry("AAPL", 11, 95.0), context()).pass);   // −5.00 %
  auto v = r.risk_check_order(entry("AAPL", 10, 105.01), context());
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Pre-trade price_collar: value 5.01%, limit 5.00%");
  const json& e = last_event(host);
  CHECK(e["rule"] == "price_collar");
  CHECK(e["value"].get<double>() == Approx(5.01));
  CHECK(e["limit"].get<double>() == 5.0);
  CHECK(e["ticker"] == "AAPL");
  CHECK(e["signal_id"] == "sig-" + std::to_string(next_id));

  v = r.risk_check_order(entry("AAPL", 10, 80.0), context());  // below the last price
  CHECK(v.reason == "Pre-trade price_collar: value 20.00%, limit 5.00%");
  CHECK(host.bus.count("pretrade_rejected") == 2);
}

TEST_CASE("price_collar is skipped without a last price, and uses the traded ticker's") {
  FakeHost host;
  host.prices["QQQ"] = 500.0;  // the underlying's price is not the ETF's
  PluginHarness r(AXION_PLUGIN_SO, host, loose());
  CHECK(r.risk_check_order(entry("TQQQ", 10, 80.0), context()).pass);
  host.prices["SQQQ"] = 0.0;  // a last price of 0 is no last price
  CHECK(r.risk_check_order(entry("SQQQ", 10, 20.0), context()).pass);
  host.prices["TQQQ"] = 60.0;
  auto v = r.risk_check_order(entry("TQQQ", 10, 80.0), context());
  CHECK(v.reason == "Pre-trade price_collar: value 33.33%, limit 5.00%");
}

TEST_CASE("price_collar with a configured percent") {
  FakeHost host;
  host.prices["MSFT"] = 400.0;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"price_collar_pct", 0.5}}));
  CHECK(r.risk_check_order(entry("MSFT", 10, 402.0), context()).pass);  // 0.50 %
  auto v = r.risk_check_order(entry("MSFT", 10, 398.0 - 0.04), context());
  CHECK(v.reason == "Pre-trade price_collar: value 0.51%, limit 0.50%");
}

TEST_CASE("max_order_notional: above the limit rejects, exactly at it passes") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose());
  CHECK(r.risk_check_order(entry("AAPL", 1000, 100.0), context()).pass);  // $100,000.00
  auto v = r.risk_check_order(entry("AAPL", 1000, 100.01), context());
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Pre-trade max_order_notional: value $100,010.00, limit $100,000.00");
  const json& e = last_event(host);
  CHECK(e["rule"] == "max_order_notional");
  CHECK(e["value"].get<double>() == Approx(100010.0));
  CHECK(e["limit"].get<double>() == 100000.0);

  v = r.risk_check_order(entry("BRK.A", 3, 712345.678), context());
  CHECK(v.reason == "Pre-trade max_order_notional: value $2,137,037.03, limit $100,000.00");
}

TEST_CASE("max_order_notional with a small configured limit") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"max_order_notional", 999.5}}));
  CHECK(r.risk_check_order(entry("F", 100, 9.995), context()).pass);
  auto v = r.risk_check_order(entry("F", 101, 9.995), context());
  CHECK(v.reason == "Pre-trade max_order_notional: value $1,009.49, limit $999.50");
}

TEST_CASE("max_order_qty: above the limit rejects, exactly at it passes") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose());
  CHECK(r.risk_check_order(entry("F", 10000, 10.0), context()).pass);
  auto v = r.risk_check_order(entry("F", 10001, 1.0), context());
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Pre-trade max_order_qty: value 10001, limit 10000");
  const json& e = last_event(host);
  CHECK(e["rule"] == "max_order_qty");
  CHECK(e["value"] == 10001);
  CHECK(e["limit"] == 10000);
  CHECK(e["value"].is_number_integer());
}

TEST_CASE("rules are checked in table order") {
  FakeHost host;
  host.prices["AAPL"] = 100.0;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"max_order_qty", 10}}));
  // Breaks the collar, the notional and the qty: the collar is reported.
  CHECK(r.risk_check_order(entry("AAPL", 5000, 150.0), context()).reason ==
        "Pre-trade price_collar: value 50.00%, limit 5.00%");
  // Breaks the notional and the qty: the notional is reported.
  CHECK(r.risk_check_order(entry("AAPL", 5000, 100.0), context()).reason ==
        "Pre-trade max_order_notional: value $500,000.00, limit $100,000.00");
  CHECK(r.risk_check_order(entry("AAPL", 11, 100.0), context()).reason ==
        "Pre-trade max_order_qty: value 11, limit 10");
}

TEST_CASE("order_rate_per_second: the 6th order within 1 s is rejected, the window slides") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"max_orders_per_second", 5}}));
  const auto t0 = host.clock.now_us();
  for (int i = 0; i < 5; ++i) {
    host.clock.set_us(t0 + i * 100'000);  // 0.0, 0.1, …, 0.4 s
    CHECK(r.risk_check_order(entry("T" + std::to_string(i)), context()).pass);
  }
  host.clock.set_us(t0 + 999'999);
  auto v = r.risk_check_order(entry("X"), context());
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Pre-trade order_rate_per_second: value 6, limit 5");
  const json& e = last_event(host);
  CHECK(e["rule"] == "order_rate_per_second");
  CHECK(e["value"] == 6);
  CHECK(e["limit"] == 5);
  CHECK(e["ticker"] == "X");

  // At 1.0 s the first order has left the window: 4 + this one.
  host.clock.set_us(t0 + 1'000'000);
  CHECK(r.risk_check_order(entry("Y"), context()).pass);
  // Rejected orders were not sent: they do not count.
  host.clock.set_us(t0 + 1'050'000);
  CHECK(r.risk_check_order(entry("Z"), context()).reason ==
        "Pre-trade order_rate_per_second: value 6, limit 5");
  host.clock.advance_seconds(1.0);
  CHECK(r.risk_check_order(entry("Z"), context()).pass);
}

TEST_CASE("order_rate_per_minute: the 61st order within 60 s is rejected") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"max_orders_per_minute", 60}}));
  const auto t0 = host.clock.now_us();
  for (int i = 0; i < 60; ++i) {
    host.clock.set_us(t0 + i * 500'000);  // 0 … 29.5 s
    REQUIRE(r.risk_check_order(entry("T" + std::to_string(i)), context()).pass);
  }
  host.clock.set_us(t0 + 59'999'999);
  auto v = r.risk_check_order(entry("X"), context());
  CHECK(v.reason == "Pre-trade order_rate_per_minute: value 61, limit 60");
  CHECK(last_event(host)["rule"] == "order_rate_per_minute");
  host.clock.set_us(t0 + 60'000'000);  // the first order is 60 s old
  CHECK(r.risk_check_order(entry("X"), context()).pass);
  host.clock.set_us(t0 + 60'100'000);  // 60 in the window again, so the next is the 61st
  CHECK(r.risk_check_order(entry("Y"), context()).reason ==
        "Pre-trade order_rate_per_minute: value 61, limit 60");
}

TEST_CASE("the per-second rate is checked before the per-minute rate") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host,
                  loose({{"max_orders_per_second", 1}, {"max_orders_per_minute", 1}}));
  CHECK(r.risk_check_order(entry("A"), context()).pass);
  CHECK(r.risk_check_order(entry("B"), context()).reason ==
        "Pre-trade order_rate_per_second: value 2, limit 1");
  host.clock.advance_seconds(1.0);
  CHECK(r.risk_check_order(entry("B"), context()).reason ==
        "Pre-trade order_rate_per_minute: value 2, limit 1");
}

TEST_CASE("closes and unwinds are never rejected but count toward the rates") {
  FakeHost host;
  host.prices["AAPL"] = 100.0;
  PluginHarness r(AXION_PLUGIN_SO, host,
                  loose({{"max_orders_per_second", 3}, {"max_order_qty", 10}}));
  Order opened = entry("AAPL", 5);
  // A close that breaks the collar, the notional and the qty, and the rate: still passes.
  Order big = close_of(opened, 1, 1'000'000);
  big.reference_price = 500.0;
  CHECK(r.risk_check_order(big, context()).pass);
  CHECK(r.risk_check_order(close_of(opened, 2), context()).pass);
  CHECK(r.risk_check_order(unwind_of(opened), context()).pass);
  CHECK(r.risk_check_order(close_of(opened, 3), context()).pass);  // the 4th order in 1 s
  CHECK(host.bus.events.empty());
  // The entry is the 5th order within 1 s.
  auto v = r.risk_check_order(entry("MSFT", 5), context());
  CHECK(v.reason == "Pre-trade order_rate_per_second: value 5, limit 3");
}

TEST_CASE("the order's purpose, not its id, tells closes and unwinds from entries") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"max_order_qty", 10}}));
  // An entry is checked whatever its id looks like.
  Order o = entry("AAPL", 11);
  for (const char* id : {"", "ax-sig-close-1", "ax-sig-entry-unwind", "ax-sig-unwind-later"}) {
    CAPTURE(id);
    o.client_order_id = id;
    CHECK_FALSE(r.risk_check_order(o, context()).pass);
  }
  // A purpose the SDK does not know is read as an entry: checked (fail closed).
  for (int unknown : {0, 4, -1}) {
    CAPTURE(unknown);
    o.purpose = static_cast<OrderPurpose>(unknown);
    CHECK_FALSE(r.risk_check_order(o, context()).pass);
  }
  // Closes and unwinds pass whatever their id looks like.
  Order c = entry("MSFT", 11);
  c.client_order_id = "ax-sig-entry";
  c.purpose = OrderPurpose::Close;
  CHECK(r.risk_check_order(c, context()).pass);
  c.client_order_id = "";
  c.purpose = OrderPurpose::Unwind;
  CHECK(r.risk_check_order(c, context()).pass);
  CHECK(host.bus.count("pretrade_rejected") == 7);
}

TEST_CASE("duplicate_order: same ticker, side and qty within the window") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"duplicate_window_seconds", 2.0}}));
  const auto t0 = host.clock.now_us();
  CHECK(r.risk_check_order(entry("AAPL", 100), context()).pass);
  host.clock.set_us(t0 + 500'000);
  auto v = r.risk_check_order(entry("AAPL", 100), context());
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Pre-trade duplicate_order: value 0.5, limit 2.0");
  const json& e = last_event(host);
  CHECK(e["rule"] == "duplicate_order");
  CHECK(e["value"].get<double>() == 0.5);
  CHECK(e["limit"].get<double>() == 2.0);

  // A different ticker, side or qty is not a duplicate.
  CHECK(r.risk_check_order(entry("MSFT", 100), context()).pass);
  CHECK(r.risk_check_order(entry("AAPL", 101), context()).pass);
  CHECK(r.risk_check_order(entry("AAPL", 100, 100.0, "sell"), context()).pass);

  host.clock.set_us(t0 + 1'999'999);
  CHECK(r.risk_check_order(entry("AAPL", 100), context()).reason ==
        "Pre-trade duplicate_order: value 1.999999, limit 2.0");
  host.clock.set_us(t0 + 2'000'000);  // exactly the window: no longer a duplicate
  CHECK(r.risk_check_order(entry("AAPL", 100), context()).pass);
  // The value is the time since the latest matching order.
  host.clock.set_us(t0 + 2'250'000);
  CHECK(r.risk_check_order(entry("AAPL", 100), context()).reason ==
        "Pre-trade duplicate_order: value 0.25, limit 2.0");
}

TEST_CASE("duplicate_order: a close counts as a sent order") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"duplicate_window_seconds", 5}}));
  Order short_entry = entry("AAPL", 100, 100.0, "sell");
  host.clock.advance_seconds(30);
  CHECK(r.risk_check_order(close_of(short_entry), context()).pass);  // buy 100 AAPL
  host.clock.advance_seconds(1.5);
  CHECK(r.risk_check_order(entry("AAPL", 100), context()).reason ==
        "Pre-trade duplicate_order: value 1.5, limit 5.0");
}

TEST_CASE("repeated_execution: the limit-th fill in the window rejects and requests the kill") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host,
                  loose({{"max_executions_per_symbol", 3}, {"execution_window_seconds", 300}}));
  const auto t0 = host.clock.now_us();
  for (int i = 0; i < 2; ++i) {
    host.clock.set_us(t0 + i * 10'000'000);
    Order o = entry("AAPL", 10 + i);
    REQUIRE(r.risk_check_order(o, context()).pass);
    r.risk_on_fill(o, filled(o.qty));
  }
  // Two fills in AAPL: a third entry passes; fills elsewhere do not count.
  Order m = entry("MSFT", 1);
  r.risk_on_fill(m, filled(1));
  host.clock.set_us(t0 + 30'000'000);
  Order third = entry("AAPL", 12);
  CHECK(r.risk_check_order(third, context()).pass);
  CHECK(host.commands.empty());
  // Non-fills (rejected, zero filled) are not executions.
  OrderResult rejected;
  rejected.status = OrderStatus::Rejected;
  r.risk_on_fill(third, rejected);
  CHECK(r.risk_check_order(entry("AAPL", 13), context()).pass);
  // A fill of a close counts: now three fills in AAPL.
  r.risk_on_fill(close_of(third), filled(12));

  host.clock.set_us(t0 + 40'000'000);
  auto v = r.risk_check_order(entry("AAPL", 14), context());
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Pre-trade repeated_execution: value 3, limit 3");
  const json& e = last_event(host);
  CHECK(e["rule"] == "repeated_execution");
  CHECK(e["value"] == 3);
  CHECK(e["limit"] == 3);
  CHECK(e["ticker"] == "AAPL");

  REQUIRE(host.commands.size() == 1);
  CHECK(host.commands[0].what == "activate_kill");
  const json& args = host.commands[0].args;
  CHECK(args["level"] == "block_new");
  CHECK(args["scope"] == "global");
  const std::string reason = args["reason"].get<std::string>();
  CHECK(reason == "Pre-trade repeated_execution: 3 fills in AAPL within 300.0s, limit 3");
  CHECK(reason.find("repeated_execution") != std::string::npos);

  // Other tickers are not throttled by the rule itself.
  CHECK(r.risk_check_order(entry("MSFT", 7), context()).pass);
  CHECK(host.commands.size() == 1);
}

TEST_CASE("repeated_execution: fills leave the window on the engine clock") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host,
                  loose({{"max_executions_per_symbol", 2}, {"execution_window_seconds", 60.0}}));
  const auto t0 = host.clock.now_us();
  Order a = entry("NVDA", 1);
  r.risk_on_fill(a, filled(1));
  host.clock.set_us(t0 + 30'000'000);
  Order b = entry("NVDA", 2);
  r.risk_on_fill(b, filled(2));
  host.clock.set_us(t0 + 59'999'999);
  CHECK(r.risk_check_order(entry("NVDA", 3), context()).reason ==
        "Pre-trade repeated_execution: value 2, limit 2");
  host.clock.set_us(t0 + 60'000'000);  // the first fill is 60 s old: outside
  CHECK(r.risk_check_order(entry("NVDA", 4), context()).pass);
  CHECK(host.commands.size() == 1);
}

TEST_CASE("a refused kill request still rejects the order") {
  FakeHost host;
  host.accept_commands = false;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"max_executions_per_symbol", 1}}));
  Order o = entry("AMD", 1);
  r.risk_on_fill(o, filled(1));
  auto v = r.risk_check_order(entry("AMD", 2), context());
  CHECK(v.reason == "Pre-trade repeated_execution: value 1, limit 1");
  CHECK(host.commands.size() == 1);
  CHECK(host.bus.count("pretrade_rejected") == 1);
}

TEST_CASE("the default limits") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  const auto t0 = host.clock.now_us();
  // 5 per second: distinct orders, a 6th in the same second is rejected.
  for (int i = 0; i < 5; ++i)
    REQUIRE(r.risk_check_order(entry("T" + std::to_string(i)), context()).pass);
  CHECK(r.risk_check_order(entry("T9"), context()).reason ==
        "Pre-trade order_rate_per_second: value 6, limit 5");
  // 2 s duplicate window.
  host.clock.set_us(t0 + 1'900'000);
  CHECK(r.risk_check_order(entry("T0"), context()).reason ==
        "Pre-trade duplicate_order: value 1.9, limit 2.0");
  host.clock.set_us(t0 + 2'000'000);
  CHECK(r.risk_check_order(entry("T0"), context()).pass);
  // 10 executions per symbol.
  for (int i = 0; i < 9; ++i) r.risk_on_fill(entry("GS", 1), filled(1));
  host.clock.set_us(t0 + 5'000'000);
  CHECK(r.risk_check_order(entry("GS", 3), context()).pass);
  r.risk_on_fill(entry("GS", 3), filled(3));
  CHECK(r.risk_check_order(entry("GS", 4), context()).reason ==
        "Pre-trade repeated_execution: value 10, limit 10");
  // 100 shares at $1,000.01 is over $100,000; 10,001 shares over 10,000.
  CHECK(r.risk_check_order(entry("BKNG", 100, 1000.01), context()).reason ==
        "Pre-trade max_order_notional: value $100,001.00, limit $100,000.00");
  CHECK(r.risk_check_order(entry("SIRI", 10001, 3.0), context()).reason ==
        "Pre-trade max_order_qty: value 10001, limit 10000");
  // 5 % collar.
  host.prices["BKNG"] = 900.0;
  CHECK(r.risk_check_order(entry("BKNG", 10, 950.0), context()).reason ==
        "Pre-trade price_collar: value 5.56%, limit 5.00%");
}

TEST_CASE("ages never go negative when the engine clock steps back") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  CHECK(r.risk_check_order(entry("Q", 3), context()).pass);
  host.clock.advance_seconds(-1.0);
  CHECK(r.risk_check_order(entry("Q", 3), context()).reason ==
        "Pre-trade duplicate_order: value 0.0, limit 2.0");
}

TEST_CASE("the event carries the order's ticker and signal id") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, loose({{"max_order_qty", 1}}));
  Order o = entry("SOXL", 2);
  o.signal_id = "0d9f6a4e-5b1c-4f55-9a43-2f7f1c3e8b10";
  CHECK_FALSE(r.risk_check_order(o, context()).pass);
  REQUIRE(host.bus.events.size() == 1);
  CHECK(host.bus.events[0].name == "pretrade_rejected");
  CHECK(host.bus.events[0].data == json{{"rule", "max_order_qty"},
                                        {"value", 2},
                                        {"limit", 1},
                                        {"ticker", "SOXL"},
                                        {"signal_id", "0d9f6a4e-5b1c-4f55-9a43-2f7f1c3e8b10"}});
}

TEST_CASE("config errors name the key") {
  for (const char* key : {"price_collar_pct", "max_order_notional", "duplicate_window_seconds",
                          "execution_window_seconds"}) {
    CAPTURE(key);
    CHECK(config_error_key(json{{key, 0}}) == key);
    CHECK(config_error_key(json{{key, -1.5}}) == key);
    CHECK(config_error_key(json{{key, "5"}}) == key);
    CHECK(config_error_key(json{{key, 0.25}}) == "<accepted>");
  }
  for (const char* key : {"max_order_qty", "max_orders_per_second", "max_orders_per_minute",
                          "max_executions_per_symbol"}) {
    CAPTURE(key);
    CHECK(config_error_key(json{{key, 0}}) == key);
    CHECK(config_error_key(json{{key, 2.5}}) == key);
    CHECK(config_error_key(json{{key, true}}) == key);
    CHECK(config_error_key(json{{key, 1}}) == "<accepted>");
  }
  CHECK(config_error_key(json{{"max_orders_per_hour", 100}}) == "max_orders_per_hour");
}
