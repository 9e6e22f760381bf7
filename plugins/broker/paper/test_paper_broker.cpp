// broker/paper through the real shared library and the SDK fakes (pipeline.md §7.3, §6.5, §11).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "axion/sdk/testing/fakes.hpp"

using axion::sdk::Order;
using axion::sdk::OrderResult;
using axion::sdk::OrderStatus;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

const char* const kSo = AXION_PLUGIN_SO;

Order make_order(const std::string& ticker, const std::string& side, std::int64_t qty,
                 const std::string& cid, const std::string& type = "market", double limit = 0,
                 double stop = 0, double reference = 0) {
  Order o;
  o.ticker = ticker;
  o.side = side;
  o.qty = qty;
  o.order_type = type;
  o.limit_price = limit;
  o.stop_price = stop;
  o.reference_price = reference;
  o.client_order_id = cid;
  o.signal_id = "sig-" + cid;
  return o;
}

bool is_paper_id(const std::string& id) {
  if (id.size() != 14 || id.rfind("PAPER-", 0) != 0) return false;
  for (std::size_t i = 6; i < id.size(); ++i) {
    char c = id[i];
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}


std::string config_error_key(const json& config) {
  FakeHost host;
  try {
    PluginHarness h(kSo, host, config);
  } catch (const PluginCallError& e) {
    return e.key;
  }
  return "<no error>";
}

}  // namespace

TEST_CASE("manifest: a broker named paper that cannot trade options, every key in the schema") {
  FakeHost host;
  PluginHarness h(kSo, host);
  CHECK(h.manifest().kind == AXION_KIND_BROKER);
  CHECK(std::string(h.manifest().name) == "paper");
  auto* vt = static_cast<const axion_broker_vtable*>(h.manifest().vtable);
  CHECK(vt->can_trade_options == 0);
  std::set<std::string> keys;
  for (const auto& k : h.schema()) keys.insert(k.at("key").get<std::string>());
  CHECK(keys == std::set<std::string>{"slippage_bps", "commission_per_share", "commission_min",
                                      "partial_fill_rate", "latency_ms", "reject_rate",
                                      "timeout_rate", "ghost_fill_rate", "seed", "starting_equity",
                                      "submit_log"});
}

TEST_CASE("config errors name the key") {
  CHECK(config_error_key({{"slipage_bps", 5}}) == "slipage_bps");        // unknown
  CHECK(config_error_key({{"slippage_bps", "ten"}}) == "slippage_bps");  // wrong type
  CHECK(config_error_key({{"seed", 1.5}}) == "seed");                    // wrong type
  CHECK(config_error_key({{"reject_rate", 1.5}}) == "reject_rate");      // out of range
  CHECK(config_error_key({{"partial_fill_rate", -0.1}}) == "partial_fill_rate");
  CHECK(config_error_key({{"latency_ms", -1}}) == "latency_ms");
  CHECK(config_error_key({{"starting_equity", -5}}) == "starting_equity");
  CHECK(config_error_key({{"submit_log", 5}}) == "submit_log");  // wrong type
  CHECK(config_error_key({{"submit_log", "/nonexistent-dir/x/log.jsonl"}}) == "submit_log");
  CHECK(config_error_key({{"slippage_bps", 0}, {"seed", 7}}) == "<no error>");
}

TEST_CASE("market buy fills at P x (1 + slippage): pipeline.md 6.5 case A") {
  FakeHost host;
  host.prices["AAPL"] = 200.0;
  PluginHarness h(kSo, host);
  OrderResult r = h.submit(make_order("AAPL", "buy", 75, "A-entry"));
  CHECK(r.status == OrderStatus::Filled);
  CHECK(r.filled_qty == 75);
  CHECK(r.filled_price == Approx(200.2));
  CHECK(r.filled_price == Approx(200.0 * (1 + 10 / 1e4)));
  CHECK(r.commission == 0.0);
  CHECK(r.broker == "paper");
  CHECK(r.ts_us == host.clock.now_us());
  CHECK(r.rejection_reason.empty());
  CHECK(is_paper_id(r.order_id));

  auto pos = h.positions();
  REQUIRE(pos.size() == 1);
  CHECK(pos[0].symbol == "AAPL");
  CHECK(pos[0].qty == 75);
  CHECK(pos[0].side == "long");
  CHECK(pos[0].avg_price == Approx(r.filled_price));
  CHECK(pos[0].current_price == 200.0);
}

TEST_CASE("market sell at 190 fills 189.81 and realizes the loss: pipeline.md 6.5 case E") {
  FakeHost host;
  host.prices["AAPL"] = 200.0;
  PluginHarness h(kSo, host, {{"starting_equity", 100000.0}});
  OrderResult entry = h.submit(make_order("AAPL", "buy", 75, "E-entry"));
  host.prices["AAPL"] = 190.0;
  OrderResult exit = h.submit(make_order("AAPL", "sell", 75, "E-close-1"));
  CHECK(exit.status == OrderStatus::Filled);
  CHECK(exit.filled_price == Approx(189.81));
  CHECK(exit.filled_price == Approx(190.0 * (1 - 10 / 1e4)));
  CHECK(h.positions().empty());
  double pnl = (exit.filled_price - entry.filled_price) * 75;
  CHECK(pnl == Approx(-779.25));
  auto a = h.account();
  CHECK(a.starting_equity == 100000.0);
  CHECK(a.equity == Approx(100000.0 + pnl));
  CHECK(a.cash == Approx(100000.0 + pnl));
  CHECK(a.buying_power == Approx(a.cash));
}

TEST_CASE("slippage_bps scales the market fill") {
  FakeHost host;
  host.prices["SPY"] = 500.0;
  PluginHarness h(kSo, host, {{"slippage_bps", 25.0}});
  CHECK(h.submit(make_order("SPY", "buy", 1, "s1")).filled_price == Approx(500.0 * 1.0025));
  CHECK(h.submit(make_order("SPY", "sell", 1, "s2")).filled_price == Approx(500.0 * 0.9975));
  FakeHost host0;
  host0.prices["SPY"] = 500.0;
  PluginHarness h0(kSo, host0, {{"slippage_bps", 0}});
  CHECK(h0.submit(make_order("SPY", "buy", 1, "s3")).filled_price == 500.0);
}

TEST_CASE("limit orders fill at the limit when P is at or better, else are cancelled (IOC)") {
  FakeHost host;
  PluginHarness h(kSo, host);

  SECTION("buy limit at P: case B fills at 200.0") {
    host.prices["AAPL"] = 200.0;
    auto r = h.submit(make_order("AAPL", "buy", 75, "B", "limit", 200.0));
    CHECK(r.status == OrderStatus::Filled);
    CHECK(r.filled_price == 200.0);
    CHECK(r.filled_qty == 75);
  }
  SECTION("buy limit above P fills at the limit, not at P") {
    host.prices["AAPL"] = 199.0;
    auto r = h.submit(make_order("AAPL", "buy", 10, "B2", "limit", 200.0));
    CHECK(r.status == OrderStatus::Filled);
    CHECK(r.filled_price == 200.0);
  }
  SECTION("buy limit below P is cancelled with nothing booked") {
    host.prices["AAPL"] = 200.5;
    auto r = h.submit(make_order("AAPL", "buy", 10, "B3", "limit", 200.0));
    CHECK(r.status == OrderStatus::Cancelled);
    CHECK(r.filled_qty == 0);
    CHECK(r.filled_price == 0.0);
    CHECK(is_paper_id(r.order_id));
    CHECK(h.positions().empty());
  }
  SECTION("sell limit at or below P fills at the limit") {
    host.prices["AAPL"] = 200.5;
    auto r = h.submit(make_order("AAPL", "sell", 10, "S1", "limit", 200.0));
    CHECK(r.status == OrderStatus::Filled);
    CHECK(r.filled_price == 200.0);
    host.prices["AAPL"] = 200.0;
    CHECK(h.submit(make_order("AAPL", "sell", 10, "S1b", "limit", 200.0)).status ==
          OrderStatus::Filled);
  }
  SECTION("sell limit above P is cancelled") {
    host.prices["AAPL"] = 199.0;
    auto r = h.submit(make_order("AAPL", "sell", 10, "S2", "limit", 200.0));
    CHECK(r.status == OrderStatus::Cancelled);
    CHECK(h.positions().empty());
  }
  SECTION("stop_limit behaves like a limit at its limit price") {
    host.prices["AAPL"] = 200.0;
    CHECK(h.submit(make_order("AAPL", "buy", 1, "SL1", "stop_limit", 201.0, 199.0)).filled_price ==
          201.0);
    CHECK(h.submit(make_order("AAPL", "buy", 1, "SL2", "stop_limit", 199.0, 198.0)).status ==
          OrderStatus::Cancelled);
  }
}

TEST_CASE("stop orders fill like market orders, with slippage") {
  FakeHost host;
  host.prices["MSFT"] = 400.0;
  PluginHarness h(kSo, host);
  CHECK(h.submit(make_order("MSFT", "buy", 5, "st1", "stop", 0, 405.0)).filled_price ==
        Approx(400.0 * 1.001));
  CHECK(h.submit(make_order("MSFT", "sell", 5, "st2", "stop", 0, 395.0)).filled_price ==
        Approx(400.0 * 0.999));
}

TEST_CASE("fill price P: the feed's price, else limit, stop, reference price, none rejects") {
  FakeHost host;
  PluginHarness h(kSo, host);
  SECTION("the feed's last price wins over the order's reference price") {
    host.prices["QQQ"] = 100.0;
    CHECK(h.submit(make_order("QQQ", "buy", 1, "p1", "market", 0, 0, 90.0)).filled_price ==
          Approx(100.0 * 1.001));
  }
  SECTION("limit price before reference price") {
    auto r = h.submit(make_order("QQQ", "buy", 1, "p2", "limit", 50.0, 0, 60.0));
    CHECK(r.status == OrderStatus::Filled);
    CHECK(r.filled_price == 50.0);
  }
  SECTION("stop price before reference price") {
    CHECK(h.submit(make_order("QQQ", "buy", 1, "p3", "stop", 0, 30.0, 60.0)).filled_price ==
          Approx(30.0 * 1.001));
  }
  SECTION("reference price (metadata.entry_price) last") {
    CHECK(h.submit(make_order("QQQ", "sell", 1, "p4", "market", 0, 0, 80.0)).filled_price ==
          Approx(80.0 * 0.999));
  }
  SECTION("a price for another ticker does not count") {
    host.prices["SPY"] = 500.0;
    auto r = h.submit(make_order("QQQ", "buy", 1, "p5"));
    CHECK(r.status == OrderStatus::Rejected);
    CHECK(r.rejection_reason == "No reference price for paper fill");
    CHECK(r.filled_qty == 0);
    CHECK(r.broker == "paper");
    CHECK(h.positions().empty());
  }
}

TEST_CASE("malformed orders are rejected with a reason") {
  FakeHost host;
  host.prices["AAPL"] = 100.0;
  PluginHarness h(kSo, host);
  auto check_rejected = [&](Order o, const std::string& needle) {
    auto r = h.submit(o);
    CHECK(r.status == OrderStatus::Rejected);
    CHECK_THAT(r.rejection_reason, Catch::Contains(needle));
  };
  check_rejected(make_order("AAPL", "buy", 0, "m1"), "quantity");
  check_rejected(make_order("AAPL", "buy", -3, "m2"), "quantity");
  check_rejected(make_order("AAPL", "hold", 1, "m3"), "side");
  check_rejected(make_order("AAPL", "buy", 1, "m4", "trailing_stop"), "order type");
  check_rejected(make_order("AAPL", "buy", 1, "m5", "limit"), "limit_price");
  check_rejected(make_order("", "buy", 1, "m6"), "ticker");
  Order opt = make_order("AAPL", "buy", 1, "m7");
  opt.instrument_type = "option";
  check_rejected(opt, "options");
  CHECK(h.positions().empty());
}

TEST_CASE("commission: per share with a minimum, charged to the account") {
  FakeHost host;
  host.prices["AAPL"] = 100.0;
  PluginHarness h(kSo, host,
                  {{"commission_per_share", 0.01},
                   {"commission_min", 1.5},
                   {"slippage_bps", 0},
                   {"starting_equity", 10000.0}});
  auto big = h.submit(make_order("AAPL", "buy", 300, "c1"));
  CHECK(big.commission == Approx(300 * 0.01));
  auto small = h.submit(make_order("AAPL", "buy", 10, "c2"));
  CHECK(small.commission == Approx(1.5));
  auto cancelled = h.submit(make_order("AAPL", "buy", 10, "c3", "limit", 90.0));
  CHECK(cancelled.status == OrderStatus::Cancelled);
  CHECK(cancelled.commission == 0.0);
  auto a = h.account();
  double fees = big.commission + small.commission;
  CHECK(a.equity == Approx(10000.0 - fees));
  CHECK(a.cash == Approx(10000.0 - fees - 310 * 100.0));
}

TEST_CASE("partial_fill_rate: random 1..qty-1 shares, status partial, booked as filled") {
  FakeHost host;
  host.prices["NVDA"] = 100.0;
  PluginHarness h(kSo, host, {{"partial_fill_rate", 1.0}});
  std::set<std::int64_t> seen;
  std::int64_t total = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = h.submit(make_order("NVDA", "buy", 10, "pf" + std::to_string(i)));
    CHECK(r.status == OrderStatus::Partial);
    CHECK(r.filled_qty >= 1);
    CHECK(r.filled_qty <= 9);
    seen.insert(r.filled_qty);
    total += r.filled_qty;
  }
  CHECK(seen.size() >= 3);  // really random, not a fixed fraction
  auto pos = h.positions();
  REQUIRE(pos.size() == 1);
  CHECK(pos[0].qty == total);
  // One share cannot be split: it fills.
  auto one = h.submit(make_order("NVDA", "buy", 1, "pf-one"));
  CHECK(one.status == OrderStatus::Filled);
  CHECK(one.filled_qty == 1);
}

TEST_CASE("partial_fill_rate 0.5 splits roughly half of the orders") {
  FakeHost host;
  host.prices["NVDA"] = 100.0;
  PluginHarness h(kSo, host, {{"partial_fill_rate", 0.5}});
  int partial = 0;
  for (int i = 0; i < 200; ++i) {
    partial += h.submit(make_order("NVDA", "buy", 5, "ph" + std::to_string(i))).status ==
               OrderStatus::Partial;
  }
  CHECK(partial > 60);
  CHECK(partial < 140);
}

TEST_CASE("reject_rate rejects orders and books nothing") {
  FakeHost host;
  host.prices["SPY"] = 500.0;
  SECTION("rate 1") {
    PluginHarness h(kSo, host, {{"reject_rate", 1.0}});
    auto r = h.submit(make_order("SPY", "buy", 5, "r1"));
    CHECK(r.status == OrderStatus::Rejected);
    CHECK_THAT(r.rejection_reason, Catch::Contains("reject_rate"));
    CHECK(is_paper_id(r.order_id));
    CHECK(h.positions().empty());
  }
  SECTION("rate 0.3") {
    PluginHarness h(kSo, host, {{"reject_rate", 0.3}});
    int rejected = 0;
    for (int i = 0; i < 300; ++i) {
      rejected += h.submit(make_order("SPY", "buy", 1, "rr" + std::to_string(i))).status ==
                  OrderStatus::Rejected;
    }
    CHECK(rejected > 50);
    CHECK(rejected < 130);
    REQUIRE(h.positions().size() == 1);
    CHECK(h.positions()[0].qty == 300 - rejected);
  }
}

TEST_CASE("timeout_rate makes the submit call fail, the order does not exist") {
  FakeHost host;
  host.prices["SPY"] = 500.0;
  SECTION("rate 1") {
    PluginHarness h(kSo, host, {{"timeout_rate", 1.0}});
    try {
      h.submit(make_order("SPY", "buy", 5, "t1"));
      FAIL("submit did not fail");
    } catch (const PluginCallError& e) {
      CHECK_THAT(std::string(e.what()), Catch::StartsWith("timeout"));
    }
    CHECK_FALSE(h.query_order("t1").has_value());
    CHECK(h.positions().empty());
  }
  SECTION("rate 0.5: a retry with the same client_order_id eventually gets one order") {
    PluginHarness h(kSo, host, {{"timeout_rate", 0.5}});
    int failures = 0;
    std::optional<OrderResult> r;
    for (int attempt = 0; attempt < 50 && !r; ++attempt) {
      try {
        r = h.submit(make_order("SPY", "buy", 5, "t2"));
      } catch (const PluginCallError&) {
        ++failures;
      }
    }
    REQUIRE(r);
    CHECK(r->status == OrderStatus::Filled);
    // Once accepted, later calls are idempotent (no new draw can time them out).
    for (int i = 0; i < 10; ++i) {
      CHECK(h.submit(make_order("SPY", "buy", 5, "t2")).order_id == r->order_id);
    }
    CHECK(h.positions()[0].qty == 5);
    // Over many orders, about half time out.
    for (int i = 0; i < 200; ++i) {
      try {
        h.submit(make_order("SPY", "buy", 1, "tm" + std::to_string(i)));
      } catch (const PluginCallError&) {
        ++failures;
      }
    }
    CHECK(failures > 60);
    CHECK(failures < 150);
  }
}

TEST_CASE("ghost_fill_rate reports filled but keeps no position") {
  FakeHost host;
  host.prices["TSLA"] = 250.0;
  PluginHarness h(kSo, host, {{"ghost_fill_rate", 1.0}, {"starting_equity", 50000.0}});
  auto r = h.submit(make_order("TSLA", "buy", 40, "g1"));
  CHECK(r.status == OrderStatus::Filled);
  CHECK(r.filled_qty == 40);
  CHECK(r.filled_price == Approx(250.0 * 1.001));
  CHECK(h.positions().empty());
  auto a = h.account();
  CHECK(a.equity == 50000.0);
  CHECK(a.cash == 50000.0);

  // A ghost is reported as a complete fill even when a partial fill was drawn too.
  FakeHost host2;
  host2.prices["TSLA"] = 250.0;
  PluginHarness both(kSo, host2, {{"ghost_fill_rate", 1.0}, {"partial_fill_rate", 1.0}});
  auto g = both.submit(make_order("TSLA", "buy", 40, "g2"));
  CHECK(g.status == OrderStatus::Filled);
  CHECK(g.filled_qty == 40);
  CHECK(both.positions().empty());
}

TEST_CASE(
    "idempotent by client_order_id: a resubmit returns the existing result, never a second fill") {
  FakeHost host;
  host.prices["AAPL"] = 200.0;
  PluginHarness h(kSo, host);
  auto first = h.submit(make_order("AAPL", "buy", 75, "dup"));
  host.prices["AAPL"] = 210.0;
  host.clock.advance_seconds(5);
  auto second = h.submit(make_order("AAPL", "buy", 75, "dup"));
  CHECK(second.order_id == first.order_id);
  CHECK(second.filled_price == first.filled_price);
  CHECK(second.ts_us == first.ts_us);
  auto pos = h.positions();
  REQUIRE(pos.size() == 1);
  CHECK(pos[0].qty == 75);
  auto q = h.query_order("dup");
  REQUIRE(q);
  CHECK(q->order_id == first.order_id);
  CHECK_FALSE(h.query_order("never-sent").has_value());

  // A rejected order stays rejected under the same id, even once a price exists.
  auto rej = h.submit(make_order("ZZZ", "buy", 1, "dup-rej"));
  CHECK(rej.status == OrderStatus::Rejected);
  host.prices["ZZZ"] = 10.0;
  auto again = h.submit(make_order("ZZZ", "buy", 1, "dup-rej"));
  CHECK(again.status == OrderStatus::Rejected);
  CHECK(again.order_id == rej.order_id);

  // Orders without a client_order_id are not deduplicated.
  auto n1 = h.submit(make_order("AAPL", "buy", 1, ""));
  auto n2 = h.submit(make_order("AAPL", "buy", 1, ""));
  CHECK(n1.order_id != n2.order_id);
}

TEST_CASE("latency_ms: pending until the engine clock has advanced by the latency") {
  FakeHost host;
  host.prices["AAPL"] = 200.0;
  PluginHarness h(kSo, host, {{"latency_ms", 500.0}});
  const std::int64_t t0 = host.clock.now_us();
  auto r = h.submit(make_order("AAPL", "buy", 10, "lat"));
  CHECK(r.status == OrderStatus::Pending);
  CHECK(r.filled_qty == 0);
  CHECK(is_paper_id(r.order_id));
  CHECK(h.positions().empty());

  host.clock.advance_seconds(0.4);
  CHECK(h.query_order("lat")->status == OrderStatus::Pending);
  CHECK(h.positions().empty());

  host.prices["AAPL"] = 201.0;  // the fill takes the price when the latency has elapsed
  host.clock.advance_seconds(0.1);
  auto q = h.query_order("lat");
  REQUIRE(q);
  CHECK(q->status == OrderStatus::Filled);
  CHECK(q->order_id == r.order_id);
  CHECK(q->filled_qty == 10);
  CHECK(q->filled_price == Approx(201.0 * 1.001));
  CHECK(q->ts_us == t0 + 500000);
  REQUIRE(h.positions().size() == 1);
  CHECK(h.positions()[0].qty == 10);
  // The resubmit returns the current state.
  CHECK(h.submit(make_order("AAPL", "buy", 10, "lat")).status == OrderStatus::Filled);
}

TEST_CASE("latency: a limit order that matures away from its limit is cancelled") {
  FakeHost host;
  host.prices["AAPL"] = 200.0;
  PluginHarness h(kSo, host, {{"latency_ms", 100.0}});
  CHECK(h.submit(make_order("AAPL", "buy", 10, "latlim", "limit", 200.0)).status ==
        OrderStatus::Pending);
  host.prices["AAPL"] = 202.0;
  host.clock.advance_seconds(1);
  CHECK(h.query_order("latlim")->status == OrderStatus::Cancelled);
  CHECK(h.positions().empty());
}

TEST_CASE("cancel_order: pending becomes cancelled, terminal and unknown orders cannot be") {
  FakeHost host;
  host.prices["AAPL"] = 200.0;
  PluginHarness h(kSo, host, {{"latency_ms", 1000.0}});
  h.submit(make_order("AAPL", "buy", 10, "c-pending"));
  REQUIRE(h.cancel_order("c-pending"));
  CHECK(h.query_order("c-pending")->status == OrderStatus::Cancelled);
  host.clock.advance_seconds(5);
  CHECK(h.query_order("c-pending")->status == OrderStatus::Cancelled);
  CHECK(h.positions().empty());
  CHECK(h.cancel_order("c-pending"));  // twice is harmless

  h.submit(make_order("AAPL", "buy", 10, "c-filled"));
  host.clock.advance_seconds(2);
  std::string msg;
  CHECK_FALSE(h.cancel_order("c-filled", &msg));
  CHECK_THAT(msg, Catch::Contains("filled"));
  CHECK_FALSE(h.cancel_order("c-unknown", &msg));
  CHECK_THAT(msg, Catch::Contains("unknown"));
}

TEST_CASE("starting equity: the key, else the engine's starting_equity, else 100000") {
  SECTION("key") {
    FakeHost host;
    host.queries["engine"] = {{"starting_equity", 50000.0}};
    PluginHarness h(kSo, host, {{"starting_equity", 25000.0}});
    CHECK(h.account().starting_equity == 25000.0);
    CHECK(h.account().equity == 25000.0);
  }
  SECTION("engine") {
    FakeHost host;
    host.queries["engine"] = {{"starting_equity", 50000.0}, {"symbols", json::array()}};
    PluginHarness h(kSo, host);
    auto a = h.account();
    CHECK(a.starting_equity == 50000.0);
    CHECK(a.equity == 50000.0);
    CHECK(a.cash == 50000.0);
    CHECK(a.buying_power == 50000.0);
  }
  SECTION("engine without a usable value") {
    FakeHost host;
    host.queries["engine"] = {{"starting_equity", 0}};
    PluginHarness h(kSo, host);
    CHECK(h.account().starting_equity == 100000.0);
  }
  SECTION("no engine answer") {
    FakeHost host;
    PluginHarness h(kSo, host);
    CHECK(h.account().starting_equity == 100000.0);
  }
}

TEST_CASE("netting book: averaging, realized P&L, flips to short, account per pipeline.md 11") {
  FakeHost host;
  const double start = 100000.0;
  PluginHarness h(kSo, host, {{"slippage_bps", 0}, {"starting_equity", start}});
  host.prices["X"] = 100.0;
  h.submit(make_order("X", "buy", 100, "n1"));
  host.prices["X"] = 110.0;
  h.submit(make_order("X", "buy", 100, "n2"));
  const double avg = (100 * 100.0 + 100 * 110.0) / 200;
  auto pos = h.positions();
  REQUIRE(pos.size() == 1);
  CHECK(pos[0].qty == 200);
  CHECK(pos[0].avg_price == Approx(avg));

  host.prices["X"] = 120.0;
  auto a = h.account();
  CHECK(a.equity == Approx(start + 200 * (120.0 - avg)));
  CHECK(a.cash == Approx(start - 200 * avg));
  CHECK(a.buying_power == Approx(a.cash));

  h.submit(make_order("X", "sell", 150, "n3"));
  double realized = 150 * (120.0 - avg);
  pos = h.positions();
  REQUIRE(pos.size() == 1);
  CHECK(pos[0].qty == 50);
  CHECK(pos[0].avg_price == Approx(avg));
  a = h.account();
  CHECK(a.equity == Approx(start + realized + 50 * (120.0 - avg)));
  CHECK(a.cash == Approx(start + realized - 50 * avg));

  // Selling 100 closes 50 and opens a 50-share short at the fill price.
  h.submit(make_order("X", "sell", 100, "n4"));
  realized += 50 * (120.0 - avg);
  pos = h.positions();
  REQUIRE(pos.size() == 1);
  CHECK(pos[0].qty == 50);
  CHECK(pos[0].side == "short");
  CHECK(pos[0].avg_price == Approx(120.0));

  host.prices["X"] = 110.0;  // the short gains 10 a share
  a = h.account();
  CHECK(a.equity == Approx(start + realized + 50 * 10.0));
  CHECK(a.cash == Approx(start + realized - 50 * 120.0));
  CHECK(h.positions()[0].current_price == 110.0);

  // Covering the short realizes it; the book is flat and cash equals equity.
  h.submit(make_order("X", "buy", 50, "n5"));
  realized += 50 * 10.0;
  CHECK(h.positions().empty());
  a = h.account();
  CHECK(a.equity == Approx(start + realized));
  CHECK(a.cash == Approx(a.equity));

  // Several symbols are kept apart.
  host.prices["Y"] = 10.0;
  h.submit(make_order("Y", "sell", 7, "n6"));
  host.prices["X"] = 50.0;
  h.submit(make_order("X", "buy", 3, "n7"));
  pos = h.positions();
  REQUIRE(pos.size() == 2);
  CHECK(pos[0].symbol == "X");
  CHECK(pos[0].side == "long");
  CHECK(pos[1].symbol == "Y");
  CHECK(pos[1].side == "short");
  CHECK(pos[1].qty == 7);
}

TEST_CASE("order ids are PAPER- + 8 lower-case hex, unique, and fixed by the seed") {
  auto run = [](std::int64_t seed) {
    FakeHost host;
    host.prices["SPY"] = 500.0;
    PluginHarness h(kSo, host, {{"seed", seed}, {"partial_fill_rate", 0.5}});
    std::vector<std::string> out;
    for (int i = 0; i < 200; ++i) {
      auto r = h.submit(make_order("SPY", "buy", 9, "d" + std::to_string(i)));
      out.push_back(r.order_id + "/" + std::to_string(r.filled_qty));
    }
    return out;
  };
  auto a = run(42), b = run(42), c = run(7);
  CHECK(a == b);
  CHECK(a != c);
  std::set<std::string> ids;
  for (const auto& s : a) {
    std::string id = s.substr(0, s.find('/'));
    CHECK(is_paper_id(id));
    ids.insert(id);
  }
  CHECK(ids.size() == a.size());
}

TEST_CASE("restart restores positions, cash, orders and the PRNG position") {
  const json config = {{"partial_fill_rate", 0.5}, {"latency_ms", 0}};
  auto trade = [](PluginHarness& h, FakeHost& host) {
    host.prices["AAPL"] = 200.0;
    host.prices["MSFT"] = 400.0;
    h.submit(make_order("AAPL", "buy", 75, "r1"));
    h.submit(make_order("MSFT", "sell", 20, "r2"));
    host.prices["AAPL"] = 205.0;
    h.submit(make_order("AAPL", "sell", 30, "r3"));
  };

  FakeHost continuous;
  PluginHarness hc(kSo, continuous, config);
  trade(hc, continuous);
  auto next_continuous = hc.submit(make_order("AAPL", "buy", 5, "r4"));

  FakeHost host;
  std::vector<std::string> ids_before;
  std::vector<axion::sdk::BrokerPosition> pos_before;
  axion::sdk::Account acct_before;
  {
    PluginHarness h(kSo, host, config);
    trade(h, host);
    for (auto cid : {"r1", "r2", "r3"}) ids_before.push_back(h.query_order(cid)->order_id);
    pos_before = h.positions();
    acct_before = h.account();
  }
  REQUIRE(host.saved_state.has_value());

  PluginHarness restarted(kSo, host, config);
  auto pos_after = restarted.positions();
  REQUIRE(pos_after.size() == pos_before.size());
  for (std::size_t i = 0; i < pos_after.size(); ++i) {
    CHECK(pos_after[i].symbol == pos_before[i].symbol);
    CHECK(pos_after[i].qty == pos_before[i].qty);
    CHECK(pos_after[i].side == pos_before[i].side);
    CHECK(pos_after[i].avg_price == pos_before[i].avg_price);
  }
  auto acct_after = restarted.account();
  CHECK(acct_after.equity == acct_before.equity);
  CHECK(acct_after.cash == acct_before.cash);
  CHECK(acct_after.starting_equity == acct_before.starting_equity);

  // Known orders survive: queries answer and a resubmit is still idempotent.
  CHECK(restarted.query_order("r2")->order_id == ids_before[1]);
  CHECK(restarted.submit(make_order("AAPL", "buy", 75, "r1")).order_id == ids_before[0]);
  CHECK(restarted.positions()[0].qty == pos_before[0].qty);

  // The PRNG continues where it stopped: the next id is the continuous run's, not a repeat.
  auto next = restarted.submit(make_order("AAPL", "buy", 5, "r4"));
  CHECK(next.order_id == next_continuous.order_id);
  CHECK(next.filled_qty == next_continuous.filled_qty);
  for (const auto& id : ids_before) CHECK(next.order_id != id);
}

TEST_CASE("restart after a timed-out call does not replay its draws") {
  FakeHost fresh;
  fresh.prices["SPY"] = 500.0;
  PluginHarness f(kSo, fresh);
  auto first = f.submit(make_order("SPY", "buy", 1, "x1"));
  auto second = f.submit(make_order("SPY", "buy", 1, "x2"));

  FakeHost host;
  host.prices["SPY"] = 500.0;
  {
    PluginHarness h(kSo, host, {{"timeout_rate", 1.0}});
    CHECK_THROWS_AS(h.submit(make_order("SPY", "buy", 1, "x1")), PluginCallError);
  }
  PluginHarness h(kSo, host);
  auto r = h.submit(make_order("SPY", "buy", 1, "x1"));
  CHECK(r.order_id != first.order_id);
  CHECK(r.order_id == second.order_id);
}

TEST_CASE("restart: a pending order survives and fills when its latency elapses") {
  FakeHost host;
  host.prices["AAPL"] = 200.0;
  {
    PluginHarness h(kSo, host, {{"latency_ms", 2000.0}});
    CHECK(h.submit(make_order("AAPL", "buy", 10, "rp")).status == OrderStatus::Pending);
  }
  PluginHarness h(kSo, host, {{"latency_ms", 2000.0}});
  CHECK(h.query_order("rp")->status == OrderStatus::Pending);
  host.clock.advance_seconds(2);
  CHECK(h.query_order("rp")->status == OrderStatus::Filled);
  REQUIRE(h.positions().size() == 1);
  CHECK(h.positions()[0].qty == 10);
}

TEST_CASE("a journaled state that cannot be read fails construction") {
  FakeHost host;
  host.saved_state = json{{"version", 1}, {"rng", "not-hex"}};
  CHECK_THROWS_WITH(PluginHarness(kSo, host), Catch::Contains("journaled state"));
}

TEST_CASE("a restored broker keeps its journaled starting equity and generator, with a warning") {
  FakeHost host;
  host.prices["SPY"] = 500.0;
  std::string first_id;
  {
    PluginHarness h(kSo, host, {{"starting_equity", 20000.0}, {"seed", 1}});
    first_id = h.submit(make_order("SPY", "buy", 1, "w1")).order_id;
  }
  FakeHost reference;
  reference.prices["SPY"] = 500.0;
  PluginHarness ref(kSo, reference, {{"seed", 1}});
  ref.submit(make_order("SPY", "buy", 1, "w1"));
  auto expected = ref.submit(make_order("SPY", "buy", 1, "w2"));

  host.logs.clear();
  PluginHarness h(kSo, host, {{"starting_equity", 30000.0}, {"seed", 2}});
  CHECK(h.account().starting_equity == 20000.0);
  CHECK(h.submit(make_order("SPY", "buy", 1, "w2")).order_id == expected.order_id);
  int warnings = 0;
  for (const auto& [level, msg] : host.logs) warnings += level == AXION_LOG_WARN;
  CHECK(warnings == 2);
}

namespace {

std::vector<json> read_lines(const std::filesystem::path& p) {
  std::vector<json> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("The book travels in host state, so the host need not wait for the disk; not with a submit log") {
  namespace fs = std::filesystem;
  FakeHost host;
  {
    PluginHarness h(kSo, host, {});
    CHECK(h.broker_flags() == AXION_BROKER_BOOK_IN_HOST_STATE);
  }
  const fs::path log = fs::temp_directory_path() / ("paper-flags-log-" + std::to_string(::getpid()));
  {
    PluginHarness h(kSo, host, {{"submit_log", log.string()}});
    CHECK(h.broker_flags() == 0);  // the log is a record outside the host: intents wait
  }
  fs::remove(log);
}

TEST_CASE("submit_log: a line per new order and per settlement, none for a replay or a timeout") {
  namespace fs = std::filesystem;
  const fs::path log =
      fs::temp_directory_path() / ("paper-submit-log-" + std::to_string(::getpid()));
  fs::remove(log);
  FakeHost host;
  host.prices["AAPL"] = 200.0;
  {
    PluginHarness h(kSo, host, {{"submit_log", log.string()}, {"latency_ms", 1000.0}});
    CHECK(fs::exists(log));  // opened at construction
    auto pending = h.submit(make_order("AAPL", "buy", 10, "s1"));
    CHECK(pending.status == OrderStatus::Pending);
    h.submit(make_order("AAPL", "buy", 10, "s1"));  // idempotent replay: no line
    h.submit(make_order("AAPL", "buy", 5, "s2"));
    REQUIRE(h.cancel_order("s2"));
    host.clock.advance_seconds(2);
    CHECK(h.query_order("s1")->status == OrderStatus::Filled);
    h.submit(make_order("", "buy", 1, "s3"));  // rejected at submission: still a new order

    auto lines = read_lines(log);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0]["event"] == "new");
    CHECK(lines[0]["client_order_id"] == "s1");
    CHECK(lines[0]["order_id"] == pending.order_id);
    CHECK(lines[0]["status"] == "pending");
    CHECK(lines[0]["seq"] == 1);
    CHECK(lines[0]["signal_id"] == "sig-s1");
    CHECK(lines[0]["ticker"] == "AAPL");
    CHECK(lines[0]["side"] == "buy");
    CHECK(lines[0]["qty"] == 10);
    CHECK(lines[0]["filled_qty"] == 0);
    CHECK(lines[1]["event"] == "new");
    CHECK(lines[1]["client_order_id"] == "s2");
    CHECK(lines[1]["seq"] == 2);
    CHECK(lines[2]["event"] == "settled");
    CHECK(lines[2]["client_order_id"] == "s2");
    CHECK(lines[2]["status"] == "cancelled");
    CHECK(lines[3]["event"] == "settled");
    CHECK(lines[3]["client_order_id"] == "s1");
    CHECK(lines[3]["status"] == "filled");
    CHECK(lines[3]["filled_qty"] == 10);
    CHECK(lines[3]["ghost"] == false);
    CHECK(lines[4]["event"] == "new");
    CHECK(lines[4]["status"] == "rejected");
  }
  SECTION("a timed-out call writes nothing (a restarted broker appends to the same file)") {
    PluginHarness h(kSo, host, {{"submit_log", log.string()}, {"timeout_rate", 1.0}});
    CHECK_THROWS_AS(h.submit(make_order("AAPL", "buy", 1, "t1")), PluginCallError);
    CHECK(read_lines(log).size() == 5);
  }
  SECTION("a ghost fill is marked") {
    PluginHarness h(kSo, host, {{"submit_log", log.string()}, {"ghost_fill_rate", 1.0}});
    h.submit(make_order("AAPL", "sell", 3, "g1"));
    auto lines = read_lines(log);
    REQUIRE(lines.size() == 6);
    CHECK(lines[5]["client_order_id"] == "g1");
    CHECK(lines[5]["status"] == "filled");
    CHECK(lines[5]["ghost"] == true);
    CHECK(lines[5]["seq"] == 4);  // the restored broker continues its sequence
  }
  fs::remove(log);
}

TEST_CASE("submit_log: a path, off by default") {
  FakeHost host;
  PluginHarness h(kSo, host);
  for (const auto& k : h.schema()) {
    if (k.at("key") != "submit_log") continue;
    CHECK(k.at("type") == "path");
    CHECK(k.at("default") == "");
  }
}

TEST_CASE("restart: every field of a saved order survives, text with quotes and control characters too") {
  FakeHost host;
  host.prices["AAPL"] = 187.123456789;
  const auto odd = make_order("AAPL", "buy", 7, "cid \"quoted\" \\ back\nslash\x01");
  const auto unpriced = make_order("NO\"PRICE\t", "sell", 3, "r-unpriced");
  axion::sdk::OrderResult filled, rejected;
  {
    PluginHarness h(kSo, host, {{"slippage_bps", 3.3}, {"commission_per_share", 0.0137}});
    filled = h.submit(odd);
    rejected = h.submit(unpriced);
  }
  REQUIRE(filled.status == OrderStatus::Filled);
  REQUIRE(rejected.status == OrderStatus::Rejected);
  REQUIRE(host.saved_state.has_value());  // the text the broker wrote parsed as JSON
  PluginHarness restarted(kSo, host, {{"slippage_bps", 3.3}, {"commission_per_share", 0.0137}});
  auto same = [](const axion::sdk::OrderResult& a, const axion::sdk::OrderResult& b) {
    CHECK(a.order_id == b.order_id);
    CHECK(a.status == b.status);
    CHECK(a.filled_qty == b.filled_qty);
    CHECK(a.filled_price == b.filled_price);  // exact: the shortest round-trip text
    CHECK(a.commission == b.commission);
    CHECK(a.ts_us == b.ts_us);
    CHECK(a.rejection_reason == b.rejection_reason);
  };
  same(*restarted.query_order(odd.client_order_id), filled);
  same(*restarted.query_order(unpriced.client_order_id), rejected);
  // A resubmit of the restored order is recognised as the same order, field by field.
  same(restarted.submit(odd), filled);
}
