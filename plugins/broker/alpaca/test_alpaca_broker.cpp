// broker/alpaca through the real shared library and the SDK fakes, against the Alpaca stand-in
// on 127.0.0.1 (tests/alpaca_standin): sending, the never-blind-retry rules of live.md §5,
// cancels, start-up lookups, snapshots, the shared rate budget, the trade stream (fills, a
// missed fill after a reconnect, a half-open socket), and keys kept out of the logs.
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "test_support.hpp"

using namespace alpaca_test;
using axion::sdk::testing::PluginCallError;

namespace {

// The plugin reads positions, account and the open orders once at start: with background
// snapshots off, every request after this is the order's.
void wait_for_startup_reads(const StandIn& s) {
  REQUIRE(eventually([&] {
    bool account = false, open = false;
    for (const auto& r : s.requests()) {
      account = account || r.target == "/v2/account";
      open = open || r.target.rfind("/v2/orders?status=open", 0) == 0;
    }
    return account && open;
  }));
}

// Submits and waits until the stand-in holds the order.
void submit_and_wait(PluginHarness& h, const StandIn& s, const Order& o) {
  submit(h, o);
  REQUIRE(eventually([&] { return s.order_by_client_id(o.client_order_id).has_value(); }));
}

}  // namespace

TEST_CASE("a market order is sent off the engine thread and fills") {
  StandIn s;
  set_keys();
  s.set_price("AAPL", 183.27);
  FakeHost host;
  {
    PluginHarness h(kSo, host, config_for(s));
    OrderResult first = submit(h, market("AAPL", "buy", 15, "ax-1-entry"));
    CHECK(first.status == OrderStatus::Pending);
    OrderResult r = final_state(h, "ax-1-entry");
    CHECK(r.status == OrderStatus::Filled);
    CHECK(r.filled_qty == 15);
    CHECK(r.filled_price == Approx(183.27));
    CHECK(r.broker == "alpaca");
    CHECK_FALSE(r.order_id.empty());
    // Submitting the same client id again is answered from the desk: no second POST.
    CHECK(submit(h, market("AAPL", "buy", 15, "ax-1-entry")).status == OrderStatus::Filled);
    CHECK(s.submits_for("ax-1-entry") == 1);
    auto pos = h.positions();
    REQUIRE(pos.size() == 1);
    CHECK(pos[0].symbol == "AAPL");
    CHECK(pos[0].qty == 15);
    CHECK(pos[0].side == "long");
    CHECK(pos[0].avg_price == Approx(183.27));
    // The account is a background snapshot, read again shortly after each fill.
    CHECK(eventually([&] { return h.account().cash == Approx(100000.0 - 15 * 183.27); }));
  }
  for (const auto& req : s.requests()) {
    CHECK(req.headers.at("APCA-API-KEY-ID") == "PKTESTKEY");
  }
  no_secret_logged(host);
}

TEST_CASE("configuration and keys are checked at creation") {
  StandIn s;
  set_keys();
  FakeHost host;
  SECTION("plain http to a remote host is refused") {
    CHECK_THROWS_WITH(PluginHarness(kSo, host, {{"base_url", "http://example.com"}}),
                      Catch::Contains("base_url") && Catch::Contains("loopback"));
  }
  SECTION("missing keys name the variable") {
    ::unsetenv("AXION_ALPACA_SECRET_KEY");
    CHECK_THROWS_WITH(PluginHarness(kSo, host, config_for(s)), Catch::Contains("AXION_ALPACA_SECRET_KEY"));
  }
  SECTION("wrong keys: the stream is refused, so are orders; the secret is never logged") {
    ::setenv("AXION_ALPACA_SECRET_KEY", "wrong-secret-value", 1);
    PluginHarness h(kSo, host, config_for(s));
    REQUIRE(eventually([&] { return !s.stream_messages_received().empty(); }));
    OrderResult r = h.submit(market("AAPL", "buy", 1, "ax-keys-entry"));
    CHECK(r.status == OrderStatus::Rejected);
    CHECK_THAT(r.rejection_reason, Catch::Contains("not listening"));
    CHECK(s.submits_for("ax-keys-entry") == 0);
    REQUIRE(eventually([&] {
      std::lock_guard lock(host.logs_mu);
      for (const auto& [level, line] : host.logs) {
        if (line.find("AXION_ALPACA_SECRET_KEY") != std::string::npos) return true;
      }
      return false;
    }));
    std::lock_guard lock(host.logs_mu);
    for (const auto& [level, line] : host.logs) CHECK(line.find("wrong-secret-value") == std::string::npos);
  }
}

TEST_CASE("an ambiguous submit is looked up, never sent blindly again") {
  StandIn s;
  set_keys();
  s.set_price("MSFT", 410.5);
  FakeHost host;
  // No background snapshots: a scripted fault must meet the order's request, not a snapshot's.
  PluginHarness h(kSo, host, config_for(s, {{"timeout_ms", 300}, {"snapshot_interval_ms", 600000}}));
  wait_for_startup_reads(s);
  SECTION("a 5xx after Alpaca accepted the order") {
    s.fail_next_submit_after_accept(500);
    submit(h, market("MSFT", "buy", 3, "ax-5xx-entry"));
    CHECK(final_state(h, "ax-5xx-entry").status == OrderStatus::Filled);
    CHECK(s.submits_for("ax-5xx-entry") == 1);
  }
  SECTION("a timeout after Alpaca accepted the order") {
    s.delay_next_submit_after_accept(std::chrono::milliseconds(1500));
    submit(h, market("MSFT", "buy", 3, "ax-slow-entry"));
    CHECK(final_state(h, "ax-slow-entry").status == OrderStatus::Filled);
    CHECK(s.submits_for("ax-slow-entry") == 1);
  }
  SECTION("a 503 before anything was accepted: 404 by client id, then the same id again") {
    s.fail_next_requests(1, 503);
    submit(h, market("MSFT", "buy", 3, "ax-503-entry"));
    CHECK(final_state(h, "ax-503-entry").status == OrderStatus::Filled);
    CHECK(s.submits_for("ax-503-entry") == 2);
  }
  int at_standin = 0;
  for (const auto& o : s.orders()) at_standin += o.symbol == "MSFT";
  CHECK(at_standin == 1);
  no_secret_logged(host);
}

TEST_CASE("Alpaca's refusals are final rejections with its message") {
  StandIn s;
  set_keys();
  FakeHost host;
  PluginHarness h(kSo, host, config_for(s));
  s.reject_next_submit(403, "insufficient buying power");
  submit(h, market("AAPL", "buy", 100000, "ax-403-entry"));
  OrderResult r = final_state(h, "ax-403-entry");
  CHECK(r.status == OrderStatus::Rejected);
  CHECK_THAT(r.rejection_reason, Catch::Contains("insufficient buying power"));
  CHECK(s.submits_for("ax-403-entry") == 1);
  SECTION("an order Alpaca cannot take is rejected without a request") {
    Order o = market("AAPL", "buy", 1, "ax-bad-entry");
    o.order_type = "limit";  // no limit price
    CHECK(submit(h, o).status == OrderStatus::Rejected);
    CHECK(s.submits_for("ax-bad-entry") == 0);
  }
}

TEST_CASE("a duplicate client id is resolved by looking the order up") {
  StandIn s;
  set_keys();
  s.set_price("AAPL", 100.0);
  FakeHost host;
  {
    PluginHarness first(kSo, host, config_for(s));
    submit(first, market("AAPL", "buy", 2, "ax-dup-entry"));
    REQUIRE(final_state(first, "ax-dup-entry").status == OrderStatus::Filled);
  }
  // A second process (its memory empty) sends the same id: Alpaca answers 422, the lookup finds
  // the filled order, and nothing is bought twice.
  FakeHost host2;
  PluginHarness second(kSo, host2, config_for(s));
  submit(second, market("AAPL", "buy", 2, "ax-dup-entry"));
  OrderResult r = final_state(second, "ax-dup-entry");
  CHECK(r.status == OrderStatus::Filled);
  CHECK(r.filled_qty == 2);
  CHECK(s.submits_for("ax-dup-entry") == 2);
  CHECK(s.orders().size() == 1);
  CHECK(s.positions().at("AAPL") == Approx(2));
}

TEST_CASE("a 429 burst delays the order until the reset, then it is sent once") {
  StandIn s;
  set_keys();
  s.set_price("AAPL", 100.0);
  FakeHost host;
  PluginHarness h(kSo, host, config_for(s, {{"snapshot_interval_ms", 600000}}));
  wait_for_startup_reads(s);  // a scripted fault now meets the order's requests
  s.rate_limit_burst(2);
  submit(h, market("AAPL", "buy", 1, "ax-429-entry"));
  CHECK(final_state(h, "ax-429-entry").status == OrderStatus::Filled);
  std::vector<int> posts;
  for (const auto& r : s.requests()) {
    if (r.method == "POST") posts.push_back(r.status);
  }
  CHECK(posts == std::vector<int>{429, 429, 200});
  CHECK(s.orders().size() == 1);
}

TEST_CASE("an order cancelled while it waits for the rate budget is never sent") {
  StandIn s;
  set_keys();
  s.set_price("AAPL", 10.0);
  FakeHost host;
  PluginHarness h(kSo, host, config_for(s, {{"rate_limit_per_minute", 10}}));
  while (host.rate_budgets.find("alpaca")->take(1, true, host.rate_clock_us()).taken) {
  }
  submit(h, market("AAPL", "buy", 1, "ax-waiting-entry"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  REQUIRE(h.cancel_order("ax-waiting-entry"));
  OrderResult r = final_state(h, "ax-waiting-entry");
  CHECK(r.status == OrderStatus::Cancelled);
  host.rate_wall_us = 61'000'000;  // the budget is back: still nothing goes out
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(s.submits_for("ax-waiting-entry") == 0);
}

TEST_CASE("a working order is cancelled at Alpaca") {
  StandIn s;
  set_keys();
  s.hold_fills(true);
  FakeHost host;
  PluginHarness h(kSo, host, config_for(s));
  submit_and_wait(h, s, market("AAPL", "buy", 5, "ax-cancel-entry"));
  SECTION("cancelled with nothing filled") {
    REQUIRE(h.cancel_order("ax-cancel-entry"));
    OrderResult r = final_state(h, "ax-cancel-entry");
    CHECK(r.status == OrderStatus::Cancelled);
    CHECK(s.order_by_client_id("ax-cancel-entry")->status == "canceled");
  }
  SECTION("a partial fill then a broker-side cancel ends partial") {
    s.fill("ax-cancel-entry", 2, 101.0);
    s.cancel_order("ax-cancel-entry");
    OrderResult r = final_state(h, "ax-cancel-entry");
    CHECK(r.status == OrderStatus::Partial);
    CHECK(r.filled_qty == 2);
    CHECK(r.filled_price == Approx(101.0));
  }
  SECTION("rejected after it was accepted") {
    s.reject_after_accept("ax-cancel-entry");
    CHECK(final_state(h, "ax-cancel-entry").status == OrderStatus::Rejected);
  }
}

TEST_CASE("start-up asks Alpaca about orders an earlier process sent") {
  StandIn s;
  set_keys();
  s.set_price("AAPL", 50.0);
  FakeHost host;
  {
    PluginHarness earlier(kSo, host, config_for(s));
    submit_and_wait(earlier, s, market("AAPL", "buy", 4, "ax-earlier-entry"));
  }
  FakeHost host2;
  PluginHarness now(kSo, host2, config_for(s));
  auto r = now.query_order("ax-earlier-entry");
  REQUIRE(r);
  CHECK(r->status == OrderStatus::Filled);
  CHECK(r->filled_qty == 4);
  // Never accepted: a definite "not found" (AXION_NOT_FOUND), not an error.
  auto* vt = static_cast<const axion_broker_vtable*>(now.manifest().vtable);
  axion_order_result out{};
  axion_error err{};
  CHECK(vt->query_order(now.instance(), axion::sdk::make_str("ax-never-entry"), &out, &err) == AXION_NOT_FOUND);
}

TEST_CASE("orders wait for the shared rate budget, orders first") {
  StandIn s;
  set_keys();
  s.set_price("AAPL", 10.0);
  FakeHost host;
  // Another plugin of the account (the feed) declared the budget with other numbers: refused.
  host.rate_budgets.declare("alpaca", 100, 60'000'000);
  CHECK_THROWS_WITH(PluginHarness(kSo, host, config_for(s)), Catch::Contains("alpaca"));
  FakeHost host2;
  PluginHarness h(kSo, host2, config_for(s, {{"rate_limit_per_minute", 10}}));
  // Spend the whole budget on the budget's (test-set) clock: the order waits, unsent.
  while (host2.rate_budgets.find("alpaca")->take(1, true, host2.rate_clock_us()).taken) {
  }
  submit(h, market("AAPL", "buy", 1, "ax-budget-entry"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(s.submits_for("ax-budget-entry") == 0);
  host2.rate_wall_us = 61'000'000;  // the window has passed
  CHECK(final_state(h, "ax-budget-entry").status == OrderStatus::Filled);
}

TEST_CASE("a cancel while the order is on the wire goes to Alpaca, never stays local") {
  StandIn s;
  set_keys();
  s.hold_fills(true);
  FakeHost host;
  PluginHarness h(kSo, host, config_for(s));
  s.delay_next_submit_after_accept(std::chrono::milliseconds(300));  // stored, answered late
  submit_and_wait(h, s, market("AAPL", "buy", 5, "ax-wire-entry"));
  REQUIRE(h.cancel_order("ax-wire-entry"));
  CHECK(final_state(h, "ax-wire-entry").status == OrderStatus::Cancelled);
  CHECK(s.order_by_client_id("ax-wire-entry")->status == "canceled");
}

// ---- the trade stream ---------------------------------------------------------------------------

namespace {

// No polling: what the plugin learns, it learns from the stream (or its reconnect catch-up).
json stream_only(const StandIn& s, json extra = json::object()) {
  extra["poll_interval_ms"] = 600000;
  extra["snapshot_interval_ms"] = 600000;
  return config_for(s, extra);
}

int lookups_of(const StandIn& s, const std::string& cid) {
  int n = 0;
  for (const auto& r : s.requests()) {
    n += r.method == "GET" && r.target.find("by_client_order_id") != std::string::npos &&
         r.target.find(cid) != std::string::npos;
  }
  return n;
}

}  // namespace

TEST_CASE("fills come from the trade stream, in binary or text frames") {
  StandIn s;
  set_keys();
  SECTION("binary frames (Alpaca's paper environment)") {}
  SECTION("text frames (its live environment)") { s.stream_text_frames(true); }
  s.hold_fills(true);
  FakeHost host;
  PluginHarness h(kSo, host, stream_only(s));
  submit_and_wait(h, s, market("AAPL", "buy", 10, "ax-stream-entry"));
  s.fill("ax-stream-entry", 4, 99.5);
  s.fill("ax-stream-entry", 6, 100.0);
  OrderResult r = final_state(h, "ax-stream-entry");
  CHECK(r.status == OrderStatus::Filled);
  CHECK(r.filled_qty == 10);
  CHECK(r.filled_price == Approx((4 * 99.5 + 6 * 100.0) / 10));
  CHECK(lookups_of(s, "ax-stream-entry") == 0);
  // The stream was opened with the keys of live.md §3 and asked for trade_updates only.
  auto sent = s.stream_messages_received();
  REQUIRE(sent.size() >= 2);
  CHECK(json::parse(sent[0])["action"] == "authenticate");
  CHECK(json::parse(sent[1])["data"]["streams"] == json::array({"trade_updates"}));
  no_secret_logged(host);
}

TEST_CASE("orders are refused while the trade stream is not listening") {
  StandIn s;
  set_keys();
  FakeHost host;
  // Nothing listens on the stream URL: the plugin keeps trying, and sends no order meanwhile.
  PluginHarness h(kSo, host, config_for(s, {{"stream_url", "ws://127.0.0.1:1/stream"}}));
  OrderResult r = h.submit(market("AAPL", "buy", 1, "ax-nostream-entry"));
  CHECK(r.status == OrderStatus::Rejected);
  CHECK_THAT(r.rejection_reason, Catch::Contains("trade stream is not listening"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(s.submits_for("ax-nostream-entry") == 0);
  CHECK_FALSE(h.query_order("ax-nostream-entry"));  // not recorded: a retry later is sent
}

TEST_CASE("a fill missed while the stream was down is found after the reconnect") {
  StandIn s;
  set_keys();
  s.hold_fills(true);
  FakeHost host;
  PluginHarness h(kSo, host, stream_only(s));
  submit_and_wait(h, s, market("AAPL", "buy", 3, "ax-missed-entry"));
  s.drop_stream_before_next_fill();
  s.fill("ax-missed-entry", 3, 42.0);  // never sent on the stream: the connection closes instead
  OrderResult r = final_state(h, "ax-missed-entry");
  CHECK(r.status == OrderStatus::Filled);
  CHECK(r.filled_qty == 3);
  CHECK(lookups_of(s, "ax-missed-entry") >= 1);  // the catch-up after listening again
}

TEST_CASE("a repeated execution leaves the order as it was") {
  StandIn s;
  set_keys();
  s.hold_fills(true);
  FakeHost host;
  PluginHarness h(kSo, host, stream_only(s));
  submit_and_wait(h, s, market("AAPL", "buy", 5, "ax-dupexec-entry"));
  s.duplicate_next_fill_event();
  s.fill("ax-dupexec-entry", 2, 10.0);
  s.fill("ax-dupexec-entry", 3, 11.0);
  OrderResult r = final_state(h, "ax-dupexec-entry");
  CHECK(r.status == OrderStatus::Filled);
  CHECK(r.filled_qty == 5);
  CHECK(r.filled_price == Approx((2 * 10.0 + 3 * 11.0) / 5));
}

TEST_CASE("a half-open stream is detected by its missing pongs and replaced") {
  StandIn s;
  set_keys();
  s.set_price("AAPL", 20.0);
  FakeHost host;
  PluginHarness h(kSo, host, stream_only(s, {{"stream_idle_timeout_ms", 400}}));
  submit(h, market("AAPL", "buy", 1, "ax-before-entry"));
  CHECK(final_state(h, "ax-before-entry").status == OrderStatus::Filled);
  s.half_open_stream();
  // The plugin drops the silent connection (freeing the account's slot) and authenticates again.
  auto authentications = [&] {
    int n = 0;
    for (const auto& m : s.stream_messages_received()) n += m.find("authenticate") != std::string::npos;
    return n;
  };
  REQUIRE(eventually([&] { return authentications() >= 2 && s.listening_connections() == 1; }));
  submit(h, market("AAPL", "buy", 1, "ax-after-entry"));
  CHECK(final_state(h, "ax-after-entry").status == OrderStatus::Filled);
}

// ---- Alpaca's objects ---------------------------------------------------------------------------

TEST_CASE("only filled, canceled, expired, rejected and replaced end an order") {
  axion::alpaca::AlpacaOrder o;
  o.id = "x";
  o.qty = 10;
  for (const char* open : {"new", "accepted", "partially_filled", "done_for_day", "pending_cancel",
                           "held", "a_status_added_later"}) {
    o.status = open;
    INFO(open);
    CHECK(axion::alpaca::to_result(o, 0).status == OrderStatus::Pending);
  }
  o.status = "filled";
  o.filled_qty = 10;
  CHECK(axion::alpaca::to_result(o, 0).status == OrderStatus::Filled);
  o.status = "expired";
  o.filled_qty = 4;
  CHECK(axion::alpaca::to_result(o, 0).status == OrderStatus::Partial);
  o.filled_qty = 0;
  CHECK(axion::alpaca::to_result(o, 0).status == OrderStatus::Cancelled);
  o.status = "rejected";
  CHECK(axion::alpaca::to_result(o, 0).status == OrderStatus::Rejected);
}

TEST_CASE("limit prices are put on Alpaca's grid without moving against the trader") {
  Order o = market("AAPL", "buy", 1, "ax-grid");
  o.order_type = "limit";
  o.limit_price = 100.005;
  CHECK(json::parse(axion::alpaca::order_body(o))["limit_price"] == "100.00");
  o.side = "sell";
  CHECK(json::parse(axion::alpaca::order_body(o))["limit_price"] == "100.01");
  o.limit_price = 183.27;  // on the grid already (binary noise apart)
  CHECK(json::parse(axion::alpaca::order_body(o))["limit_price"] == "183.27");
  o.limit_price = 0.123456;
  CHECK(json::parse(axion::alpaca::order_body(o))["limit_price"] == "0.1235");
  const auto body = json::parse(axion::alpaca::order_body(o));
  CHECK(body["qty"] == "1");
  CHECK(body["client_order_id"] == "ax-grid");
}

TEST_CASE("after a reconnect the open orders are read in one request; one not ours is reported") {
  StandIn s;
  set_keys();
  s.hold_fills(true);
  {
    FakeHost earlier_host;
    PluginHarness earlier(kSo, earlier_host, stream_only(s));
    submit_and_wait(earlier, s, market("MSFT", "buy", 1, "other-run-entry"));
  }  // its order stays open at Alpaca
  FakeHost host;
  PluginHarness h(kSo, host, stream_only(s));
  submit_and_wait(h, s, market("AAPL", "buy", 2, "ax-open-1"));
  submit_and_wait(h, s, market("AAPL", "buy", 3, "ax-open-2"));
  auto open_reads = [&] {
    int n = 0;
    for (const auto& r : s.requests()) n += r.target.rfind("/v2/orders?status=open", 0) == 0;
    return n;
  };
  const int before = open_reads();
  s.drop_stream();
  REQUIRE(eventually([&] { return open_reads() > before; }));
  // Both are still open: learned from that one request, not asked for one by one.
  CHECK(lookups_of(s, "ax-open-1") == 0);
  CHECK(lookups_of(s, "ax-open-2") == 0);
  CHECK(eventually([&] {
    std::lock_guard lock(host.logs_mu);
    for (const auto& [level, line] : host.logs) {
      if (line.find("does not track: other-run-entry") != std::string::npos) return true;
    }
    return false;
  }));
  s.fill("ax-open-1", 2, 10.0);  // and the stream still brings what happens next
  CHECK(final_state(h, "ax-open-1").status == OrderStatus::Filled);
}
