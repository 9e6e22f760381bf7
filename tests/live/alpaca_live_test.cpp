// The real engine in live mode with broker/alpaca against the Alpaca stand-in on 127.0.0.1
// (issue 11, live.md §5): an entry and its close travel the whole pipeline, pending at first and
// filled by the trade stream; an order filled while the engine was down is booked once at the
// next start.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "live_support.hpp"

using namespace axion;
using axion::test::EngineFixture;
using axion::test::eventually;
using axion::test::ManifestBuilder;
using axion::testing::alpaca::StandIn;

using axion::test::live::goog_long;
using axion::test::live::live_manifest;
using axion::test::live::run_until;

TEST_CASE("an entry and its close go through Alpaca: pending, then filled from the stream") {
  StandIn s;
  s.set_price("GOOG", 100.0);
  EngineFixture fx("alpaca-live");
  auto& e = fx.start(live_manifest(s));
  REQUIRE(eventually([&] { return s.listening_connections() == 1; }));
  // Until the plugin listens it refuses; the engine's retries then send it.
  auto r = e.process_signal(goog_long(e));
  REQUIRE(run_until(e, [&] { return e.orchestrator().positions().size() == 1; }));
  const auto pos = e.orchestrator().positions().front();
  CHECK(pos.ticker == "GOOG");
  CHECK(pos.shares > 0);
  CHECK(s.positions().at("GOOG") == Approx(static_cast<double>(pos.shares)));
  REQUIRE(s.orders().size() == 1);
  CHECK(s.orders()[0].client_order_id.rfind("ax-", 0) == 0);
  CHECK(s.orders()[0].status == "filled");

  e.orchestrator().close_position(pos.ticker, "test close", 0.0, 0, pos.signal_id);
  REQUIRE(run_until(e, [&] { return e.orchestrator().positions().empty(); }));
  CHECK(s.positions().count("GOOG") == 0);
  REQUIRE(s.orders().size() == 2);
  CHECK(s.orders()[1].side == "sell");
  CHECK(fx.sql("SELECT COUNT(*) FROM trades")[0][0] == "1");
  CHECK(fx.sql("SELECT COUNT(*) FROM order_intents WHERE status = 'filled'")[0][0] == "2");
  (void)r;
}

TEST_CASE("an order filled while the engine was down is booked once at the next start") {
  StandIn s;
  s.set_price("GOOG", 100.0);
  s.hold_fills(true);
  EngineFixture fx("alpaca-recovery");
  {
    auto& e = fx.start(live_manifest(s));
    REQUIRE(eventually([&] { return s.listening_connections() == 1; }));
    e.process_signal(goog_long(e));
    REQUIRE(run_until(e, [&] { return s.orders().size() == 1; }));
    CHECK(e.orchestrator().positions().empty());  // sent, not filled
    fx.crash();
  }
  const auto order = s.orders().at(0);
  s.fill(order.client_order_id, order.qty, 99.9);  // while no engine runs
  auto& e = fx.start(live_manifest(s));
  REQUIRE(run_until(e, [&] { return e.orchestrator().positions().size() == 1; }));
  CHECK(e.orchestrator().positions().front().shares == static_cast<std::int64_t>(order.qty));
  CHECK(e.orchestrator().positions().front().entry_price == Approx(99.9));
  // Once: the journal has one filled entry, the stand-in one order (no resubmission).
  CHECK(fx.sql("SELECT COUNT(*) FROM order_intents WHERE purpose = 'entry' AND status = 'filled'")[0][0] == "1");
  CHECK(s.orders().size() == 1);
  CHECK(s.submits_for(order.client_order_id) == 1);
}

TEST_CASE("kill levels act on Alpaca: cancel_all cancels the working entry, flatten closes") {
  StandIn s;
  s.set_price("GOOG", 100.0);
  EngineFixture fx("alpaca-kills");
  auto& e = fx.start(live_manifest(s));
  REQUIRE(eventually([&] { return s.listening_connections() == 1; }));
  SECTION("cancel_all: the working entry is cancelled at Alpaca and never becomes a position") {
    s.hold_fills(true);
    e.process_signal(goog_long(e));
    REQUIRE(run_until(e, [&] { return s.orders().size() == 1; }));
    core::KillRecord k;
    k.level = core::KillLevel::CancelAll;
    k.reason = "operator cancel_all";
    k.actor = "operator";
    REQUIRE(e.orchestrator().activate_kill(k).durable);
    REQUIRE(run_until(e, [&] {
      return s.orders()[0].status == "canceled" &&
             fx.sql("SELECT COUNT(*) FROM order_intents WHERE status = 'cancelled'")[0][0] == "1";
    }));
    CHECK(e.orchestrator().positions().empty());
    // A global cancel_all also asks Alpaca to cancel every open order of the account.
    bool bulk_cancel = false;
    for (const auto& q : s.requests()) bulk_cancel = bulk_cancel || (q.method == "DELETE" && q.target == "/v2/orders");
    CHECK(bulk_cancel);
    // block_new and stronger stop entries before any request reaches Alpaca.
    const auto before = s.requests().size();
    auto r = e.process_signal(goog_long(e));
    REQUIRE(r);
    CHECK_FALSE(r->success);
    CHECK(r->pipeline_stage() == "kill_switch");
    for (std::size_t i = before; i < s.requests().size(); ++i) CHECK(s.requests()[i].method != "POST");
  }
  SECTION("flatten: the open position is closed through the pipeline at Alpaca") {
    e.process_signal(goog_long(e));
    REQUIRE(run_until(e, [&] { return e.orchestrator().positions().size() == 1; }));
    core::KillRecord k;
    k.level = core::KillLevel::Flatten;
    k.reason = "operator flatten";
    k.actor = "operator";
    REQUIRE(e.orchestrator().activate_kill(k).durable);
    REQUIRE(run_until(e, [&] { return e.orchestrator().positions().empty(); }));
    CHECK(s.positions().count("GOOG") == 0);
    REQUIRE(s.orders().size() == 2);
    CHECK(s.orders()[1].side == "sell");
    CHECK(fx.sql("SELECT COUNT(*) FROM trades")[0][0] == "1");
  }
}

TEST_CASE("flatten falls back to Alpaca's close-all when the engine's close is refused twice") {
  StandIn s;
  s.set_price("GOOG", 100.0);
  EngineFixture fx("alpaca-flatten-fallback");
  auto& e = fx.start(live_manifest(s));
  e.process_signal(goog_long(e));
  REQUIRE(run_until(e, [&] { return e.orchestrator().positions().size() == 1; }));
  s.reject_next_submit(403, "insufficient qty available for order");
  s.reject_next_submit(403, "insufficient qty available for order");
  core::KillRecord k;
  k.level = core::KillLevel::Flatten;
  k.reason = "operator flatten";
  k.actor = "operator";
  REQUIRE(e.orchestrator().activate_kill(k).durable);
  // The close, refused; sent once more, refused; then DELETE /v2/positions closes it at Alpaca,
  // and the engine books it closed at once (no exit of its own may sell it again).
  REQUIRE(run_until(e, [&] { return s.positions().count("GOOG") == 0; }));
  CHECK(e.orchestrator().positions().empty());
  std::size_t close_all_at = 0, posts_after = 0;
  const auto reqs = s.requests();
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    if (reqs[i].method == "DELETE" && reqs[i].target == "/v2/positions?cancel_orders=true") close_all_at = i;
    if (close_all_at && i > close_all_at && reqs[i].method == "POST") ++posts_after;
  }
  CHECK(close_all_at > 0);
  CHECK(posts_after == 0);
  CHECK(eventually([&] {
    return fx.sql("SELECT COUNT(*) FROM trades WHERE json_extract(data, '$.exit_reason') LIKE '%broker-side close%'")[0][0] == "1";
  }));
  CHECK(fx.sql("SELECT COUNT(*) FROM order_intents WHERE purpose LIKE 'close%' AND status = 'rejected'")[0][0] == "2");
  CHECK(eventually([&] {
    return fx.sql("SELECT COUNT(*) FROM events WHERE event = 'error' AND data LIKE '%asked to close every position itself%'")[0][0] == "1";
  }));
}

TEST_CASE("live start-up waits for the trade stream, and status shows the broker's health") {
  StandIn s;
  EngineFixture fx("alpaca-health");
  auto& e = fx.start(live_manifest(s));
  // No eventually(): the engine did not start before the stream listened (live.md §5).
  CHECK(s.listening_connections() == 1);
  const auto status = e.status_json();
  REQUIRE(status.contains("live"));
  const auto& broker = status["live"]["broker"];
  CHECK(broker["ready"] == true);
  CHECK(broker["trade_stream"] == "listening");
  CHECK(broker["rate_budget"] == "alpaca");
  CHECK(broker["rate_budget_remaining"].get<int>() > 0);
  CHECK(broker["rate_budget_remaining"].get<int>() <= 200);
  CHECK(status.contains("last_bar_time"));
}
