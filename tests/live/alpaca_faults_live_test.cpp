// The stand-in's scripted faults through the real engine in live mode (issue 11 #8): for each,
// an entry reaches Alpaca once (no duplicate order), its fill is booked once, and the engine's
// book matches Alpaca's (no ghost position, none missing).
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>

#include "live_support.hpp"

using namespace axion;
using axion::test::EngineFixture;
using axion::testing::alpaca::StandIn;
using axion::testing::alpaca::StandInOptions;
using axion::test::live::goog_long;
using axion::test::live::live_manifest;
using axion::test::live::run_until;

namespace {

// Sends one GOOG entry and waits until Alpaca holds its order; returns the client order id.
std::string send_entry(core::Engine& e, StandIn& s, double price = 100.0) {
  auto sig = goog_long(e);
  sig.entry_price = price;
  sig.stop_loss = price * 0.98;
  sig.target_price = price * 1.1;
  e.process_signal(sig);
  REQUIRE(run_until(e, [&] { return s.orders().size() == 1; }));
  return s.orders()[0].client_order_id;
}

// The engine's shares of GOOG (0 without a position).
double engine_shares(core::Engine& e) {
  double n = 0;
  for (const auto& p : e.orchestrator().positions()) n += p.ticker == "GOOG" ? static_cast<double>(p.shares) : 0;
  return n;
}

double alpaca_shares(const StandIn& s) {
  const auto p = s.positions();
  auto it = p.find("GOOG");
  return it == p.end() ? 0 : it->second;
}

// One order at Alpaca, one POST that Alpaca stored, the fill booked once, books equal.
void booked_once(core::Engine& e, StandIn& s, EngineFixture& fx, const std::string& cid) {
  REQUIRE(run_until(e, [&] { return engine_shares(e) > 0 && engine_shares(e) == alpaca_shares(s); }));
  CHECK(s.orders().size() == 1);
  CHECK(s.order_by_client_id(cid)->status == "filled");
  CHECK(engine_shares(e) == s.order_by_client_id(cid)->filled_qty);
  CHECK(fx.sql("SELECT COUNT(*) FROM order_intents WHERE purpose = 'entry' AND status = 'filled'")[0][0] == "1");
}

}  // namespace

TEST_CASE("fault: the stream drops just before the fill, which is found after the reconnection") {
  StandIn s;
  s.hold_fills(true);
  EngineFixture fx("fault-drop-mid-fill");
  auto& e = fx.start(live_manifest(s));
  const std::string cid = send_entry(e, s);
  s.drop_stream_before_next_fill();
  s.fill(cid, s.orders()[0].qty, 100.0);
  booked_once(e, s, fx, cid);
  CHECK(s.submits_for(cid) == 1);
}

TEST_CASE("fault: a fill that arrives late on the stream is booked once") {
  StandIn s;
  s.hold_fills(true);
  EngineFixture fx("fault-late-fill");
  auto& e = fx.start(live_manifest(s));
  const std::string cid = send_entry(e, s);
  s.delay_stream_events(std::chrono::milliseconds(1500));
  s.fill(cid, s.orders()[0].qty, 100.0);
  e.orchestrator().poll();
  CHECK(engine_shares(e) == 0);  // Alpaca filled it; the engine has not heard yet
  booked_once(e, s, fx, cid);
  CHECK(s.submits_for(cid) == 1);
}

TEST_CASE("fault: a 5xx after Alpaca accepted the order is resolved by client id, never resent") {
  StandIn s;
  s.set_price("GOOG", 100.0);
  s.fail_next_submit_after_accept(500);
  EngineFixture fx("fault-5xx-after-accept");
  auto& e = fx.start(live_manifest(s));
  const std::string cid = send_entry(e, s);
  booked_once(e, s, fx, cid);
  CHECK(s.submits_for(cid) == 1);
}

TEST_CASE("fault: a timeout after Alpaca accepted the order is resolved by client id, never resent") {
  StandIn s;
  s.set_price("GOOG", 100.0);
  s.delay_next_submit_after_accept(std::chrono::seconds(3));
  EngineFixture fx("fault-timeout-after-accept");
  auto& e = fx.start(live_manifest(s, "timeout_ms = 800\n"));
  const std::string cid = send_entry(e, s);
  booked_once(e, s, fx, cid);
  CHECK(s.submits_for(cid) == 1);
}

TEST_CASE("fault: a 429 burst delays the order until the reset, then it is sent once") {
  StandInOptions o;
  o.rate_window = std::chrono::milliseconds(1500);  // the reset the 429s announce comes soon
  StandIn s(o);
  s.set_price("GOOG", 100.0);
  EngineFixture fx("fault-429");
  auto& e = fx.start(live_manifest(s));
  s.rate_limit_burst(3);
  e.process_signal(goog_long(e));
  REQUIRE(run_until(e, [&] { return s.orders().size() == 1; }));
  const std::string cid = s.orders()[0].client_order_id;
  booked_once(e, s, fx, cid);
  int accepted = 0;
  for (const auto& r : s.requests()) {
    if (r.method == "POST" && r.target == "/v2/orders" && r.status == 200) ++accepted;
  }
  CHECK(accepted == 1);
}

TEST_CASE("fault: a half-open stream is dropped after the idle timeout and the fill found") {
  StandIn s;
  s.hold_fills(true);
  EngineFixture fx("fault-half-open");
  auto& e = fx.start(live_manifest(s, "stream_idle_timeout_ms = 600\n"));
  const std::string cid = send_entry(e, s);
  s.half_open_stream();  // no events, no pongs; the socket stays open
  s.fill(cid, s.orders()[0].qty, 100.0);
  booked_once(e, s, fx, cid);
  CHECK(s.submits_for(cid) == 1);
}

TEST_CASE("fault: a partial fill then a cancel books the partial position only") {
  StandIn s;
  s.hold_fills(true);
  EngineFixture fx("fault-partial-cancel");
  // Sized by sizing/standard: an order of many shares.
  auto& e = fx.start(live_manifest(s, "", axion::test::ManifestBuilder().add("sizing/standard")));
  const std::string cid = send_entry(e, s);
  const double qty = s.orders()[0].qty;
  REQUIRE(qty >= 2);
  const double part = std::floor(qty / 2);
  s.fill(cid, part, 100.0);
  s.cancel_order(cid);
  REQUIRE(run_until(e, [&] { return engine_shares(e) == part; }));
  CHECK(alpaca_shares(s) == part);
  CHECK(s.orders().size() == 1);
  CHECK(s.submits_for(cid) == 1);
}

TEST_CASE("fault: an order rejected after Alpaca accepted it leaves no position") {
  StandIn s;
  s.hold_fills(true);
  EngineFixture fx("fault-reject-after-accept");
  auto& e = fx.start(live_manifest(s));
  const std::string cid = send_entry(e, s);
  s.reject_after_accept(cid);
  REQUIRE(run_until(e, [&] {
    return fx.sql("SELECT status FROM order_intents WHERE client_order_id = '" + cid + "'")[0][0] == "rejected";
  }));
  CHECK(e.orchestrator().positions().empty());
  CHECK(alpaca_shares(s) == 0);
  CHECK(s.submits_for(cid) == 1);
}

TEST_CASE("fault: a fill event sent twice is booked once") {
  StandIn s;
  s.set_price("GOOG", 100.0);
  s.duplicate_next_fill_event();
  EngineFixture fx("fault-duplicate-fill");
  auto& e = fx.start(live_manifest(s));
  const std::string cid = send_entry(e, s);
  booked_once(e, s, fx, cid);
}

TEST_CASE("a start whose journal and Alpaca disagree is a reduce_only kill with an alert") {
  EngineFixture fx("reconcile-mismatch");
  {
    StandIn s;
    s.set_price("GOOG", 100.0);
    auto& e = fx.start(live_manifest(s));
    send_entry(e, s);
    REQUIRE(run_until(e, [&] { return engine_shares(e) > 0; }));
    fx.crash();
  }
  // The account no longer holds GOOG (closed by hand, say): Alpaca is the truth.
  StandIn fresh;
  auto& e = fx.start(live_manifest(fresh));
  const auto* kill = e.orchestrator().global_kill();
  REQUIRE(kill);
  CHECK(kill->level == core::KillLevel::ReduceOnly);
  CHECK(fx.sql("SELECT COUNT(*) FROM events WHERE event = 'error' AND data LIKE '%GOOG%'")[0][0] != "0");
}
