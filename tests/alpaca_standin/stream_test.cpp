// The stand-in's trade_updates stream (live.md §3, §6) through a real websocket client over
// loopback: authentication, listen, the events with their fields, frame types, the one-connection
// slot, and each stream fault.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "eventually.hpp"
#include "standin.hpp"
#include "ws_client.hpp"

using namespace axion::testing::alpaca;
using axion::testing::alpaca::test::rest;
using axion::testing::alpaca::test::WsClient;
using axion::test::eventually;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::regex kTimestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)");
const std::regex kUuid(R"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})");

std::string auth_msg(const std::string& key = "PKTESTKEY",
                 const std::string& secret = "test-secret-value") {
  return json{{"action", "authenticate"}, {"data", {{"key_id", key}, {"secret_key", secret}}}}
      .dump();
}

std::string listen_msg(json streams = json::array({"trade_updates"})) {
  return json{{"action", "listen"}, {"data", {{"streams", std::move(streams)}}}}.dump();
}

const json kAuthorized = {{"stream", "authorization"},
                          {"data", {{"status", "authorized"}, {"action", "authenticate"}}}};
const json kUnauthorized = {{"stream", "authorization"},
                            {"data", {{"status", "unauthorized"}, {"action", "authenticate"}}}};
const json kLimitExceeded = {{"stream", "authorization"},
                             {"data",
                              {{"status", "unauthorized"},
                               {"action", "authenticate"},
                               {"message", "connection limit exceeded"}}}};

json next_json(WsClient& c, std::chrono::milliseconds within = 5s) {
  const auto m = c.receive(within);
  REQUIRE(m);
  return json::parse(m->text);
}

// The data of the next trade_updates message, which must be `event`.
json next_event(WsClient& c, const std::string& event) {
  const json m = next_json(c);
  REQUIRE(m["stream"] == "trade_updates");
  INFO(m.dump());
  REQUIRE(m["data"]["event"] == event);
  return m["data"];
}

// A client authenticated and listening to trade_updates.
std::unique_ptr<WsClient> listener(StandIn& s) {
  auto c = std::make_unique<WsClient>(s.port());
  c->send(auth_msg());
  REQUIRE(next_json(*c) == kAuthorized);
  c->send(listen_msg());
  REQUIRE(next_json(*c)["stream"] == "listening");
  return c;
}

std::string market(const std::string& symbol, const std::string& side, const std::string& qty,
                   const std::string& cid) {
  return json{{"symbol", symbol},   {"qty", qty}, {"side", side}, {"type", "market"},
              {"time_in_force", "day"}, {"client_order_id", cid}}
      .dump();
}

json order_by_cid(StandIn& s, const std::string& cid) {
  const auto r = rest(s.port(), "GET", "/v2/orders:by_client_order_id?client_order_id=" + cid);
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

bool is_timestamp(const json& v) {
  return v.is_string() && std::regex_match(v.get<std::string>(), kTimestamp);
}

}  // namespace

TEST_CASE("stream: authenticate, listen, and every message the client sent is recorded",
          "[stream]") {
  StandIn s;
  CHECK(s.stream_url() == "ws://127.0.0.1:" + std::to_string(s.port()) + "/stream");
  WsClient c(s.port());
  CHECK(s.stream_connections() == 1);
  CHECK(s.listening_connections() == 0);

  c.send(auth_msg());
  CHECK(next_json(c) == kAuthorized);
  CHECK(s.listening_connections() == 0);
  c.send(listen_msg());
  CHECK(next_json(c) ==
        json{{"stream", "listening"}, {"data", {{"streams", json::array({"trade_updates"})}}}});
  CHECK(s.listening_connections() == 1);

  // Each listen replaces the whole set: [] stops the events.
  c.send(listen_msg(json::array()));
  CHECK(next_json(c) == json{{"stream", "listening"}, {"data", {{"streams", json::array()}}}});
  CHECK(s.listening_connections() == 0);
  s.set_price("AAPL", 10);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "1", "quiet")).status == 200);
  CHECK_FALSE(c.receive(200ms));

  CHECK(s.stream_messages_received() ==
        std::vector<std::string>{auth_msg(), listen_msg(), listen_msg(json::array())});

  // The REST API is served on the same port meanwhile.
  CHECK(rest(s.port(), "GET", "/v2/clock").status == 200);
  c.close();
  CHECK(eventually([&] { return s.stream_connections() == 0; }));
}

TEST_CASE("stream: wrong keys, or anything before authenticating, is refused and closed",
          "[stream]") {
  StandIn s;
  SECTION("wrong secret") {
    WsClient c(s.port());
    c.send(auth_msg("PKTESTKEY", "wrong"));
    CHECK(next_json(c) == kUnauthorized);
    CHECK(c.wait_closed());
    CHECK(c.close_code() == 1008);
  }
  SECTION("wrong key") {
    WsClient c(s.port());
    c.send(auth_msg("OTHER"));
    CHECK(next_json(c) == kUnauthorized);
    CHECK(c.wait_closed());
  }
  SECTION("listen first") {
    WsClient c(s.port());
    c.send(listen_msg());
    CHECK(next_json(c) == json{{"stream", "authorization"},
                          {"data", {{"status", "unauthorized"}, {"action", "listen"}}}});
    CHECK(c.wait_closed());
  }
  SECTION("not JSON") {
    WsClient c(s.port());
    c.send("hello");
    const json m = next_json(c);
    CHECK(m["stream"] == "authorization");
    CHECK(m["data"]["status"] == "unauthorized");
    CHECK(c.wait_closed());
  }
  CHECK(eventually([&] { return s.stream_connections() == 0; }));
  CHECK(s.listening_connections() == 0);
  // A refused connection holds no slot.
  WsClient ok(s.port());
  ok.send(auth_msg());
  CHECK(next_json(ok) == kAuthorized);
}

TEST_CASE("stream: a market order gives new then fill, in binary frames, with the REST Order",
          "[stream]") {
  StandIn s;
  auto c = listener(s);
  s.set_price("AAPL", 183.27);
  const auto r = rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "15", "cid-1"));
  REQUIRE(r.status == 200);

  const auto first = c->receive();
  REQUIRE(first);
  CHECK(first->binary);
  const json created = json::parse(first->text);
  REQUIRE(created["stream"] == "trade_updates");
  const json& d = created["data"];
  CHECK(d["event"] == "new");
  CHECK(is_timestamp(d["timestamp"]));
  CHECK_FALSE(d.contains("execution_id"));
  CHECK_FALSE(d.contains("price"));
  CHECK(d["order"]["client_order_id"] == "cid-1");
  CHECK(d["order"]["status"] == "new");
  CHECK(d["order"]["filled_qty"] == "0");
  CHECK(d["order"]["filled_avg_price"].is_null());
  CHECK(d["order"]["qty"] == "15");

  const auto second = c->receive();
  REQUIRE(second);
  CHECK(second->binary);
  const json f = json::parse(second->text)["data"];
  CHECK(f["event"] == "fill");
  CHECK(std::regex_match(f["execution_id"].get<std::string>(), kUuid));
  CHECK(f["price"] == "183.27");
  CHECK(f["qty"] == "15");
  CHECK(f["position_qty"] == "15");
  CHECK(is_timestamp(f["timestamp"]));
  // The Order exactly as the REST API renders it (nothing changed since the fill).
  CHECK(f["order"] == order_by_cid(s, "cid-1"));
  CHECK(f["order"] == json::parse(r.body));
  CHECK(f["order"]["id"] == d["order"]["id"]);

  // A sell reduces the position; each execution has its own id.
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "sell", "20", "cid-2")).status ==
          200);
  CHECK(next_event(*c, "new")["order"]["side"] == "sell");
  const json sell = next_event(*c, "fill");
  CHECK(sell["qty"] == "20");
  CHECK(sell["position_qty"] == "-5");
  CHECK(sell["execution_id"] != f["execution_id"]);
  CHECK_FALSE(c->receive(200ms));
}

TEST_CASE("stream: text frames when switched to the live environment's way", "[stream]") {
  StandIn s;
  s.stream_text_frames(true);
  auto c = std::make_unique<WsClient>(s.port());
  c->send(auth_msg());
  const auto answer = c->receive();
  REQUIRE(answer);
  CHECK_FALSE(answer->binary);
  c->send(listen_msg());
  REQUIRE(next_json(*c)["stream"] == "listening");
  s.set_price("MSFT", 400);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("MSFT", "buy", "1", "t-1")).status == 200);
  for (const char* event : {"new", "fill"}) {
    const auto m = c->receive();
    REQUIRE(m);
    CHECK_FALSE(m->binary);
    CHECK(json::parse(m->text)["data"]["event"] == event);
  }
  // And back to binary.
  s.stream_text_frames(false);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("MSFT", "sell", "1", "t-2")).status == 200);
  const auto m = c->receive();
  REQUIRE(m);
  CHECK(m->binary);
}

TEST_CASE("stream: a partial fill then a cancel, and a rejection after acceptance", "[stream]") {
  StandIn s;
  auto c = listener(s);
  s.hold_fills(true);
  s.set_price("AAPL", 100);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "10", "p-1")).status == 200);
  CHECK(next_event(*c, "new")["order"]["status"] == "new");

  s.fill("p-1", 4, 99.5);
  const json part = next_event(*c, "partial_fill");
  CHECK(part["qty"] == "4");
  CHECK(part["price"] == "99.5");
  CHECK(part["position_qty"] == "4");
  CHECK(part["order"]["status"] == "partially_filled");
  CHECK(part["order"]["filled_qty"] == "4");
  CHECK(part["order"]["filled_avg_price"] == "99.5");

  s.cancel_order("p-1");
  const json canceled = next_event(*c, "canceled");
  CHECK(canceled["order"]["status"] == "canceled");
  CHECK(is_timestamp(canceled["order"]["canceled_at"]));
  CHECK(canceled["order"]["filled_qty"] == "4");
  CHECK_FALSE(canceled.contains("execution_id"));
  CHECK(canceled["order"] == order_by_cid(s, "p-1"));

  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "1", "r-1")).status == 200);
  next_event(*c, "new");
  s.reject_after_accept("r-1");
  const json rejected = next_event(*c, "rejected");
  CHECK(rejected["order"]["status"] == "rejected");
  CHECK(is_timestamp(rejected["order"]["failed_at"]));

  // A cancel through the REST API is an event too.
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "1", "d-1")).status == 200);
  const std::string id = next_event(*c, "new")["order"]["id"];
  REQUIRE(rest(s.port(), "DELETE", "/v2/orders/" + id).status == 204);
  CHECK(next_event(*c, "canceled")["order"]["client_order_id"] == "d-1");
}

TEST_CASE("stream: one connection per key, and the slot frees when the client closes", "[stream]") {
  StandIn s;
  auto first = listener(s);
  WsClient second(s.port());  // connecting is fine; authenticating is not
  CHECK(s.stream_connections() == 2);
  second.send(auth_msg());
  CHECK(next_json(second) == kLimitExceeded);
  CHECK(second.wait_closed());
  CHECK(eventually([&] { return s.stream_connections() == 1; }));
  CHECK(s.listening_connections() == 1);

  first->close();
  CHECK(eventually([&] { return s.stream_connections() == 0; }));
  WsClient third(s.port());
  third.send(auth_msg());
  CHECK(next_json(third) == kAuthorized);
}

TEST_CASE("stream: drop_stream closes every connection from the server side", "[stream]") {
  StandIn s;
  auto a = listener(s);
  WsClient b(s.port());  // not authenticated: closed too
  CHECK(s.stream_connections() == 2);
  s.drop_stream();
  CHECK(a->wait_closed());
  CHECK(a->close_code() == 1001);
  CHECK(b.wait_closed());
  CHECK(eventually([&] { return s.stream_connections() == 0; }));
  CHECK(s.listening_connections() == 0);
  // A reconnection is served.
  auto again = listener(s);
  CHECK(s.listening_connections() == 1);
}

TEST_CASE("stream: drop_stream_before_next_fill loses the fill but REST has it", "[stream]") {
  StandIn s;
  auto c = listener(s);
  s.drop_stream_before_next_fill();
  s.set_price("AAPL", 50);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "3", "lost")).status == 200);
  CHECK(next_event(*c, "new")["order"]["client_order_id"] == "lost");  // what came before
  CHECK(c->wait_closed());
  CHECK(c->close_code() == 1001);
  CHECK_FALSE(c->receive(200ms));  // no fill
  const json o = order_by_cid(s, "lost");
  CHECK(o["status"] == "filled");
  CHECK(o["filled_qty"] == "3");

  // Consumed once: after reconnecting, fills are delivered again.
  CHECK(eventually([&] { return s.stream_connections() == 0; }));
  auto again = listener(s);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "1", "seen")).status == 200);
  next_event(*again, "new");
  CHECK(next_event(*again, "fill")["position_qty"] == "4");
}

TEST_CASE("stream: delay_stream_events delivers the events later, in order", "[stream]") {
  StandIn s;
  auto c = listener(s);
  s.delay_stream_events(400ms);
  s.set_price("AAPL", 20);
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "2", "late")).status == 200);
  CHECK(order_by_cid(s, "late")["status"] == "filled");  // REST knows at once
  CHECK_FALSE(c->receive(150ms));
  next_event(*c, "new");
  CHECK(std::chrono::steady_clock::now() - start >= 400ms);
  CHECK(next_event(*c, "fill")["qty"] == "2");

  s.delay_stream_events(0ms);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "sell", "2", "prompt")).status ==
          200);
  const auto again = std::chrono::steady_clock::now();
  next_event(*c, "new");
  next_event(*c, "fill");
  CHECK(std::chrono::steady_clock::now() - again < 400ms);
}

TEST_CASE("stream: duplicate_next_fill_event sends the fill twice with one execution_id",
          "[stream]") {
  StandIn s;
  auto c = listener(s);
  s.duplicate_next_fill_event();
  s.set_price("AAPL", 20);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "2", "dup")).status == 200);
  next_event(*c, "new");
  const json one = next_event(*c, "fill");
  const json two = next_event(*c, "fill");
  CHECK(one == two);
  CHECK(one["execution_id"].is_string());
  CHECK_FALSE(c->receive(200ms));

  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "1", "once")).status == 200);
  next_event(*c, "new");
  next_event(*c, "fill");
  CHECK_FALSE(c->receive(200ms));
}

TEST_CASE("stream: half_open_stream stops events and pongs but keeps the slot", "[stream]") {
  StandIn s;
  auto c = listener(s);
  CHECK(c->ping(2s));  // answered while healthy
  s.half_open_stream();
  CHECK_FALSE(c->ping(500ms));
  CHECK(s.listening_connections() == 0);
  s.set_price("AAPL", 20);
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "2", "ho")).status == 200);
  CHECK_FALSE(c->receive(300ms));
  CHECK_FALSE(c->ended());
  CHECK(s.stream_connections() == 1);

  WsClient second(s.port());
  second.send(auth_msg());
  CHECK(next_json(second) == kLimitExceeded);
  CHECK(second.wait_closed());

  // The client gives up on the silent socket: the slot frees.
  c->abort();
  CHECK(eventually([&] { return s.stream_connections() == 0; }));
  auto fresh = listener(s);
  CHECK(fresh->ping(2s));  // only the connections open at the time were made half-open
  REQUIRE(rest(s.port(), "POST", "/v2/orders", market("AAPL", "buy", "1", "after")).status == 200);
  next_event(*fresh, "new");
  next_event(*fresh, "fill");
}
