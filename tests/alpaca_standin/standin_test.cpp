// The stand-in against Alpaca's Trading API v2 facts (live.md §2, §6), through a real HTTP
// client over loopback: every endpoint, the decimals as strings, the rate budget and each fault.
//
// Boost 1.74 asio needs <utility> first under C++20 on g++ 12 (deps-notes P-17).
#include "standin.hpp"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "eventually.hpp"

using namespace axion::testing::alpaca;
using axion::test::eventually;
using nlohmann::json;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

struct TimedOut : std::runtime_error {
  TimedOut() : std::runtime_error("request timed out") {}
};

struct Response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  bool keep_alive = true;

  json parsed() const { return json::parse(body); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A small synchronous HTTP/1.1 client with keep-alive: one connection, reused until the server
// closes it. It never reconnects behind the test's back, so connects() shows the reuse.
class Client {
 public:
  explicit Client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : port_(port), timeout_(timeout) {}

  // Credentials sent with each request; nullopt sends none.
  std::optional<std::pair<std::string, std::string>> credentials{
      {"PKTESTKEY", "test-secret-value"}};

  Response get(const std::string& target) { return send(http::verb::get, target, ""); }
  Response del(const std::string& target) { return send(http::verb::delete_, target, ""); }
  Response post(const std::string& target, const json& body) {
    return send(http::verb::post, target, body.dump());
  }

  Response send(http::verb verb, const std::string& target, const std::string& body,
                bool close = false) {
    if (!stream_) connect();
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    if (credentials) {
      req.set("APCA-API-KEY-ID", credentials->first);
      req.set("APCA-API-SECRET-KEY", credentials->second);
    }
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.keep_alive(!close);
    req.prepare_payload();

    http::response<http::string_body> res;
    beast::error_code ec;
    stream_->expires_after(timeout_);
    http::async_write(*stream_, req, [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    if (!ec) {
      http::async_read(*stream_, buffer_, res, [&](beast::error_code e, std::size_t) { ec = e; });
      run();
    }
    if (ec) {
      stream_.reset();
      buffer_.clear();
      if (ec == beast::error::timeout) throw TimedOut();
      throw std::runtime_error("request failed: " + ec.message());
    }
    Response out;
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    out.keep_alive = res.keep_alive();
    for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
    return out;
  }

  // Whether the server closed the connection: a read sees the end of the stream.
  bool server_closed() {
    if (!stream_) return true;
    char byte;
    beast::error_code ec;
    stream_->expires_after(std::chrono::seconds(5));
    stream_->async_read_some(net::buffer(&byte, 1),
                             [&](beast::error_code e, std::size_t) { ec = e; });
    run();
    return ec == http::error::end_of_stream || ec == net::error::eof;
  }

  int connects() const { return connects_; }

 private:
  void connect() {
    stream_.emplace(ioc_);
    beast::error_code ec;
    stream_->expires_after(timeout_);
    stream_->async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_),
                           [&](beast::error_code e) { ec = e; });
    run();
    if (ec) {
      stream_.reset();
      throw std::runtime_error("connect failed: " + ec.message());
    }
    ++connects_;
  }

  // Runs the pending operation to completion (the stream's expiry bounds it).
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  net::io_context ioc_;
  std::optional<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  int connects_ = 0;
};

json market(const std::string& symbol, const std::string& side, const std::string& qty,
            const std::string& cid = "") {
  json o{{"symbol", symbol},
         {"qty", qty},
         {"side", side},
         {"type", "market"},
         {"time_in_force", "day"}};
  if (!cid.empty()) o["client_order_id"] = cid;
  return o;
}

json limit(const std::string& symbol, const std::string& side, const std::string& qty,
           const std::string& price, const std::string& cid) {
  return json{
      {"symbol", symbol},       {"qty", qty},           {"side", side},          {"type", "limit"},
      {"time_in_force", "gtc"}, {"limit_price", price}, {"client_order_id", cid}};
}

const std::regex kTimestamp(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)");
const std::regex kUuid(R"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})");

bool is_timestamp(const json& v) {
  return v.is_string() && std::regex_match(v.get<std::string>(), kTimestamp);
}

std::int64_t epoch_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("binds 127.0.0.1 on a free port and stops on destruction") {
  std::uint16_t port = 0;
  {
    StandIn a;
    StandIn b;
    port = a.port();
    CHECK(port != 0);
    CHECK(a.port() != b.port());
    CHECK(a.base_url() == "http://127.0.0.1:" + std::to_string(port));
    Client c(port);
    CHECK(c.get("/v2/clock").status == 200);
  }
  Client after(port, std::chrono::milliseconds(500));
  CHECK_THROWS(after.get("/v2/clock"));
}

TEST_CASE("every request needs both keys, else 401") {
  StandIn s;
  Client c(s.port());
  c.credentials.reset();
  auto r = c.get("/v2/account");
  CHECK(r.status == 401);
  CHECK(r.parsed() == json{{"code", 40110000}, {"message", "request is not authorized"}});
  CHECK(r.header("Content-Type") == "application/json");

  c.credentials = {{"PKTESTKEY", "wrong"}};
  CHECK(c.get("/v2/account").status == 401);
  c.credentials = {{"OTHER", "test-secret-value"}};
  CHECK(c.get("/v2/orders").status == 401);
  c.credentials = {{"PKTESTKEY", "test-secret-value"}};
  CHECK(c.get("/v2/account").status == 200);

  StandIn custom(StandInOptions{"K2", "S2"});
  Client k(custom.port());
  k.credentials = {{"K2", "S2"}};
  CHECK(k.get("/v2/account").status == 200);
}

TEST_CASE(
    "a market order with a price is filled and answered as Alpaca's Order, decimals as strings") {
  StandIn s;
  s.set_price("AAPL", 183.27);
  Client c(s.port());
  auto r = c.post("/v2/orders", market("AAPL", "buy", "15", "cid-1"));
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type") == "application/json");
  const json o = r.parsed();
  CHECK(std::regex_match(o["id"].get<std::string>(), kUuid));
  CHECK(o["client_order_id"] == "cid-1");
  CHECK(o["symbol"] == "AAPL");
  CHECK(o["asset_class"] == "us_equity");
  CHECK(o["qty"] == "15");
  CHECK(o["filled_qty"] == "15");
  CHECK(o["filled_avg_price"] == "183.27");
  CHECK(o["status"] == "filled");
  CHECK(o["type"] == "market");
  CHECK(o["order_type"] == "market");
  CHECK(o["side"] == "buy");
  CHECK(o["time_in_force"] == "day");
  CHECK(o["limit_price"].is_null());
  CHECK(o["stop_price"].is_null());
  CHECK(o["extended_hours"] == false);
  for (const char* field : {"created_at", "updated_at", "submitted_at", "filled_at"}) {
    INFO(field);
    CHECK(is_timestamp(o[field]));
  }
  CHECK(o["canceled_at"].is_null());
  CHECK(o["failed_at"].is_null());

  // qty as a JSON number is accepted too.
  auto n = c.post("/v2/orders", json{{"symbol", "AAPL"},
                                     {"qty", 2.5},
                                     {"side", "sell"},
                                     {"type", "market"},
                                     {"time_in_force", "day"}});
  REQUIRE(n.status == 200);
  CHECK(n.parsed()["qty"] == "2.5");
  CHECK(s.positions().at("AAPL") == Approx(12.5));
}

TEST_CASE("a market order without a price stays new until one is set") {
  StandIn s;
  Client c(s.port());
  auto r = c.post("/v2/orders", market("MSFT", "buy", "3", "m-1"));
  REQUIRE(r.status == 200);
  CHECK(r.parsed()["status"] == "new");
  CHECK(r.parsed()["filled_qty"] == "0");
  CHECK(r.parsed()["filled_avg_price"].is_null());
  CHECK(r.parsed()["filled_at"].is_null());
  s.set_price("MSFT", 410.5);
  const auto o = s.order_by_client_id("m-1");
  REQUIRE(o);
  CHECK(o->status == "filled");
  CHECK(o->filled_avg_price == Approx(410.5));
  CHECK(c.get("/v2/orders:by_client_order_id?client_order_id=m-1").parsed()["filled_avg_price"] ==
        "410.5");
}

TEST_CASE("limit orders fill at the limit when the price crosses it, and stops stay new") {
  StandIn s;
  s.set_price("X", 100);
  Client c(s.port());
  CHECK(c.post("/v2/orders", limit("X", "buy", "1", "101", "buy-above")).parsed()["status"] ==
        "filled");
  CHECK(s.order_by_client_id("buy-above")->filled_avg_price == Approx(101));
  const json resting = c.post("/v2/orders", limit("X", "buy", "1", "99", "buy-below")).parsed();
  CHECK(resting["status"] == "new");
  CHECK(resting["limit_price"] == "99");
  CHECK(c.post("/v2/orders", limit("X", "sell", "1", "99", "sell-below")).parsed()["status"] ==
        "filled");
  CHECK(c.post("/v2/orders", limit("X", "sell", "1", "100.5", "sell-above")).parsed()["status"] ==
        "new");
  json stop{
      {"symbol", "X"},          {"qty", "1"},         {"side", "sell"},           {"type", "stop"},
      {"time_in_force", "gtc"}, {"stop_price", "90"}, {"client_order_id", "stop"}};
  const json st = c.post("/v2/orders", stop).parsed();
  CHECK(st["status"] == "new");
  CHECK(st["stop_price"] == "90");
  // A later price that crosses a resting limit fills it.
  s.set_price("X", 98.5);
  CHECK(s.order_by_client_id("buy-below")->status == "filled");
  CHECK(s.order_by_client_id("sell-above")->status == "new");
  CHECK(s.order_by_client_id("stop")->status == "new");
}

TEST_CASE("invalid submissions are refused with 422 naming the field, and nothing is stored") {
  StandIn s;
  Client c(s.port());
  const auto refused = [&](json body, const std::string& words) {
    auto r = c.post("/v2/orders", body);
    INFO(body.dump() << " -> " << r.body);
    CHECK(r.status == 422);
    CHECK(r.parsed()["code"] == 42210000);
    CHECK(r.parsed()["message"].get<std::string>().find(words) != std::string::npos);
  };
  const json good = market("AAPL", "buy", "1");
  auto without = [&](const char* field) {
    json b = good;
    b.erase(field);
    return b;
  };
  auto with = [&](const char* field, json v) {
    json b = good;
    b[field] = std::move(v);
    return b;
  };
  refused(without("symbol"), "symbol");
  refused(without("qty"), "qty");
  refused(with("qty", "abc"), "qty");
  refused(with("qty", "0"), "qty");
  refused(with("side", "hold"), "side");
  refused(with("type", "iceberg"), "type");
  refused(with("time_in_force", "week"), "time_in_force");
  refused(with("type", "limit"), "limit_price");
  refused(with("type", "stop"), "stop_price");
  refused(with("client_order_id", std::string(129, 'c')), "client_order_id");
  CHECK(s.orders().empty());

  auto bad_json = c.send(http::verb::post, "/v2/orders", "{not json");
  CHECK(bad_json.status == 400);
  CHECK(bad_json.parsed()["code"] == 40010000);
  // 128 characters is still fine.
  CHECK(c.post("/v2/orders", with("client_order_id", std::string(128, 'c'))).status == 200);
}

TEST_CASE("a missing client_order_id is generated") {
  StandIn s;
  Client c(s.port());
  auto r = c.post("/v2/orders", market("AAPL", "buy", "1"));
  REQUIRE(r.status == 200);
  const std::string cid = r.parsed()["client_order_id"];
  CHECK(std::regex_match(cid, kUuid));
  CHECK(s.order_by_client_id(cid));
}

TEST_CASE("a client_order_id is refused again forever, also after a cancel") {
  StandIn s;
  Client c(s.port());
  REQUIRE(c.post("/v2/orders", market("AAPL", "buy", "1", "dup")).status == 200);
  auto again = c.post("/v2/orders", market("AAPL", "buy", "1", "dup"));
  CHECK(again.status == 422);
  CHECK(again.parsed() == json{{"code", 40010001}, {"message", "client_order_id must be unique"}});
  s.cancel_order("dup");
  CHECK(c.post("/v2/orders", market("AAPL", "buy", "1", "dup")).status == 422);
  CHECK(s.orders().size() == 1);
  CHECK(s.submits_for("dup") == 3);
  CHECK(s.submits_for("never") == 0);
}

TEST_CASE("orders are found by client id and by id, else 404") {
  StandIn s;
  Client c(s.port());
  auto missing = c.get("/v2/orders:by_client_order_id?client_order_id=ghost");
  CHECK(missing.status == 404);
  CHECK(missing.parsed() == json{{"code", 40410000}, {"message", "order not found for ghost"}});

  const json o = c.post("/v2/orders", market("AAPL", "buy", "1", "known")).parsed();
  auto by_cid = c.get("/v2/orders:by_client_order_id?client_order_id=known");
  CHECK(by_cid.status == 200);
  CHECK(by_cid.parsed()["id"] == o["id"]);
  // A client that percent-encodes the colon reaches the same endpoint.
  CHECK(c.get("/v2/orders%3Aby_client_order_id?client_order_id=known").status == 200);

  auto by_id = c.get("/v2/orders/" + o["id"].get<std::string>());
  CHECK(by_id.status == 200);
  CHECK(by_id.parsed()["client_order_id"] == "known");
  CHECK(c.get("/v2/orders/00000000-0000-4000-8000-000000000000").status == 404);
  // An id that is not UTF-8 is echoed in the message without breaking the answer.
  CHECK(c.get("/v2/orders:by_client_order_id?client_order_id=%FF").status == 404);
}

TEST_CASE("GET /v2/orders lists by status, newest first, within the limit") {
  StandIn s;
  Client c(s.port());
  s.set_price("F", 10);
  for (int i = 0; i < 3; ++i)
    REQUIRE(c.post("/v2/orders", limit("F", "buy", "1", "9", "open-" + std::to_string(i))).status ==
            200);
  REQUIRE(c.post("/v2/orders", market("F", "buy", "1", "done")).status == 200);

  const json open = c.get("/v2/orders").parsed();  // default: open
  REQUIRE(open.size() == 3);
  CHECK(open[0]["client_order_id"] == "open-2");
  CHECK(open[2]["client_order_id"] == "open-0");
  CHECK(c.get("/v2/orders?status=open").parsed().size() == 3);
  const json closed = c.get("/v2/orders?status=closed").parsed();
  REQUIRE(closed.size() == 1);
  CHECK(closed[0]["client_order_id"] == "done");
  CHECK(c.get("/v2/orders?status=all").parsed().size() == 4);
  const json two = c.get("/v2/orders?status=all&limit=2").parsed();
  REQUIRE(two.size() == 2);
  CHECK(two[0]["client_order_id"] == "done");
  CHECK(c.get("/v2/orders?status=all&direction=asc&limit=1").parsed()[0]["client_order_id"] ==
        "open-0");
  CHECK(c.get("/v2/orders?status=all&symbols=G").parsed().empty());
  CHECK(c.get("/v2/orders?status=all&until=2000-01-01T00:00:00Z").parsed().empty());
  CHECK(c.get("/v2/orders?status=all&after=2000-01-01T00:00:00-05:00").parsed().size() == 4);
  CHECK(c.get("/v2/orders?status=bogus").status == 422);
  CHECK(c.get("/v2/orders?limit=x").status == 422);
}

TEST_CASE("DELETE /v2/orders/{id}: 204 for an open order, then 422, and 404 when unknown") {
  StandIn s;
  Client c(s.port());
  const std::string id = c.post("/v2/orders", market("AAPL", "buy", "1", "c1")).parsed()["id"];
  auto r = c.del("/v2/orders/" + id);
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  CHECK(r.header("Content-Length").empty());
  const json o = c.get("/v2/orders/" + id).parsed();
  CHECK(o["status"] == "canceled");
  CHECK(is_timestamp(o["canceled_at"]));
  auto again = c.del("/v2/orders/" + id);
  CHECK(again.status == 422);
  CHECK(again.parsed() == json{{"code", 42210000}, {"message", "order is not cancelable"}});
  CHECK(c.del("/v2/orders/nope").status == 404);
  // The connection survived the body-less 204.
  CHECK(c.connects() == 1);
}

TEST_CASE("DELETE /v2/orders cancels every open order, 207 with a status per order") {
  StandIn s;
  s.set_price("A", 10);
  Client c(s.port());
  REQUIRE(c.post("/v2/orders", limit("A", "buy", "1", "9", "o1")).status == 200);
  REQUIRE(c.post("/v2/orders", limit("A", "buy", "1", "8", "o2")).status == 200);
  REQUIRE(c.post("/v2/orders", market("A", "buy", "1", "filled")).status == 200);
  auto r = c.del("/v2/orders");
  REQUIRE(r.status == 207);
  const json items = r.parsed();
  REQUIRE(items.size() == 2);
  for (const auto& item : items) {
    CHECK(item["status"] == 200);
    CHECK(item["id"] == item["body"]["id"]);
    CHECK(item["body"]["status"] == "canceled");
  }
  CHECK(s.order_by_client_id("o1")->status == "canceled");
  CHECK(s.order_by_client_id("filled")->status == "filled");
  CHECK(c.del("/v2/orders").parsed().empty());
}

TEST_CASE("held fills: a partial fill, then a broker-side cancel keeps what was filled") {
  StandIn s;
  s.set_price("AAPL", 100);
  s.hold_fills(true);
  Client c(s.port());
  CHECK(c.post("/v2/orders", market("AAPL", "buy", "10", "held")).parsed()["status"] == "new");
  s.fill("held", 4, 101);
  json o = c.get("/v2/orders:by_client_order_id?client_order_id=held").parsed();
  CHECK(o["status"] == "partially_filled");
  CHECK(o["filled_qty"] == "4");
  CHECK(o["filled_avg_price"] == "101");
  CHECK(o["filled_at"].is_null());
  CHECK(c.get("/v2/orders").parsed().size() == 1);  // partially filled is open
  s.cancel_order("held");
  o = c.get("/v2/orders:by_client_order_id?client_order_id=held").parsed();
  CHECK(o["status"] == "canceled");
  CHECK(o["filled_qty"] == "4");
  CHECK(s.positions().at("AAPL") == Approx(4));
  CHECK_THROWS_AS(s.fill("held", 1, 100), std::invalid_argument);
  CHECK_THROWS_AS(s.fill("unknown", 1, 100), std::invalid_argument);

  // A fill up to the quantity completes the order; more than what is left is a test bug.
  REQUIRE(c.post("/v2/orders", market("AAPL", "buy", "2", "two")).status == 200);
  CHECK_THROWS_AS(s.fill("two", 3, 100), std::invalid_argument);
  s.fill("two", 1, 100);
  s.fill("two", 1, 102);
  o = c.get("/v2/orders:by_client_order_id?client_order_id=two").parsed();
  CHECK(o["status"] == "filled");
  CHECK(o["filled_avg_price"] == "101");
  CHECK(is_timestamp(o["filled_at"]));
}

TEST_CASE("an order rejected after it was accepted") {
  StandIn s;
  Client c(s.port());
  REQUIRE(c.post("/v2/orders", market("AAPL", "buy", "1", "late-reject")).status == 200);
  s.reject_after_accept("late-reject");
  const json o = c.get("/v2/orders:by_client_order_id?client_order_id=late-reject").parsed();
  CHECK(o["status"] == "rejected");
  CHECK(is_timestamp(o["failed_at"]));
  CHECK(c.get("/v2/orders?status=closed").parsed().size() == 1);
}

TEST_CASE("positions are netted per symbol with an average entry price") {
  StandIn s;
  s.hold_fills(true);
  Client c(s.port());
  int n = 0;
  const auto trade = [&](const std::string& side, const std::string& qty, double price) {
    const std::string cid = "t" + std::to_string(++n);
    REQUIRE(c.post("/v2/orders", market("AAPL", side, qty, cid)).status == 200);
    s.fill(cid, std::stod(qty), price);
  };
  trade("buy", "10", 100);
  trade("buy", "10", 110);
  CHECK(s.positions().at("AAPL") == Approx(20));
  json p = c.get("/v2/positions").parsed();
  REQUIRE(p.size() == 1);
  CHECK(p[0]["symbol"] == "AAPL");
  CHECK(p[0]["asset_class"] == "us_equity");
  CHECK(p[0]["qty"] == "20");
  CHECK(p[0]["qty_available"] == "20");
  CHECK(p[0]["side"] == "long");
  CHECK(p[0]["avg_entry_price"] == "105");
  CHECK(p[0]["current_price"] == "110");  // no set price: the last fill's
  CHECK(p[0]["market_value"] == "2200");
  CHECK(p[0]["cost_basis"] == "2100");
  CHECK(p[0]["unrealized_pl"] == "100");

  trade("sell", "5", 120);  // reducing keeps the entry price
  s.set_price("AAPL", 121);
  p = c.get("/v2/positions/AAPL").parsed();
  CHECK(p["qty"] == "15");
  CHECK(p["avg_entry_price"] == "105");
  CHECK(p["current_price"] == "121");
  CHECK(p["unrealized_pl"] == "240");

  // An open sell holds part of the position.
  REQUIRE(c.post("/v2/orders", market("AAPL", "sell", "6", "resting")).status == 200);
  CHECK(c.get("/v2/positions/AAPL").parsed()["qty_available"] == "9");
  s.cancel_order("resting");

  trade("sell", "25", 120);  // through zero: short 10 entered at the fill price
  p = c.get("/v2/positions/AAPL").parsed();
  CHECK(p["qty"] == "-10");
  CHECK(p["side"] == "short");
  CHECK(p["avg_entry_price"] == "120");
  CHECK(p["market_value"] == "-1210");
  CHECK(p["unrealized_pl"] == "-10");
  CHECK(s.positions().at("AAPL") == Approx(-10));

  trade("buy", "10", 119);
  CHECK(s.positions().empty());
  CHECK(c.get("/v2/positions").parsed().empty());
  CHECK(c.get("/v2/positions/AAPL").status == 404);
}

TEST_CASE("the account's cash moves with fills, with numbers as strings and flags as booleans") {
  StandIn s;
  Client c(s.port());
  json a = c.get("/v2/account").parsed();
  CHECK(a["status"] == "ACTIVE");
  CHECK(a["currency"] == "USD");
  CHECK(a["cash"] == "100000");
  CHECK(a["equity"] == "100000");
  CHECK(a["last_equity"] == "100000");
  CHECK(a["trading_blocked"] == false);
  CHECK(a["account_blocked"] == false);
  CHECK(a["pattern_day_trader"] == false);
  CHECK(a["daytrade_count"] == 0);
  CHECK(a["id"].is_string());
  CHECK(a["account_number"].is_string());

  s.set_price("AAPL", 100);
  REQUIRE(c.post("/v2/orders", market("AAPL", "buy", "10")).status == 200);
  s.set_price("AAPL", 110);
  a = c.get("/v2/account").parsed();
  CHECK(a["cash"] == "99000");
  CHECK(a["buying_power"] == "99000");
  CHECK(a["long_market_value"] == "1100");
  CHECK(a["short_market_value"] == "0");
  CHECK(a["equity"] == "100100");
  CHECK(a["portfolio_value"] == "100100");
  CHECK(s.cash() == Approx(99000));

  REQUIRE(c.post("/v2/orders", market("MSFT", "sell", "2")).status == 200);
  s.set_price("MSFT", 50);  // fills the short sale: cash grows, short market value is negative
  a = c.get("/v2/account").parsed();
  CHECK(a["cash"] == "99100");
  CHECK(a["short_market_value"] == "-100");
  CHECK(a["equity"] == "100100");
}

TEST_CASE(
    "DELETE /v2/positions?cancel_orders=true cancels working orders and closes every position") {
  StandIn s;
  s.set_price("AAPL", 100);
  s.set_price("TSLA", 200);
  Client c(s.port());
  REQUIRE(c.post("/v2/orders", market("AAPL", "buy", "3")).status == 200);
  REQUIRE(c.post("/v2/orders", market("TSLA", "sell", "2")).status == 200);
  REQUIRE(c.post("/v2/orders", limit("AAPL", "buy", "1", "50", "working")).status == 200);
  s.set_price("AAPL", 105);

  auto r = c.del("/v2/positions?cancel_orders=true");
  REQUIRE(r.status == 207);
  const json items = r.parsed();
  REQUIRE(items.size() == 2);
  CHECK(items[0]["symbol"] == "AAPL");
  CHECK(items[0]["status"] == 200);
  CHECK(items[0]["body"]["side"] == "sell");
  CHECK(items[0]["body"]["qty"] == "3");
  CHECK(items[0]["body"]["status"] == "filled");
  CHECK(items[1]["symbol"] == "TSLA");
  CHECK(items[1]["body"]["side"] == "buy");
  CHECK(s.positions().empty());
  CHECK(s.order_by_client_id("working")->status == "canceled");
  // 100000 - 300 + 400 + 315 - 400
  CHECK(s.cash() == Approx(100015));
  CHECK(c.get("/v2/orders").parsed().empty());
}

TEST_CASE("GET /v2/clock answers the scripted session") {
  StandIn s;
  Client c(s.port());
  const std::regex with_offset(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[-+]\d{2}:\d{2})");
  json k = c.get("/v2/clock").parsed();
  CHECK(k["is_open"] == true);
  for (const char* field : {"timestamp", "next_open", "next_close"}) {
    INFO(field << " " << k[field]);
    CHECK(std::regex_match(k[field].get<std::string>(), with_offset));
  }
  s.set_clock(false);
  k = c.get("/v2/clock").parsed();
  CHECK(k["is_open"] == false);
  CHECK(k["next_open"].get<std::string>() < k["next_close"].get<std::string>());
}

TEST_CASE("an unknown path is 404, a known path with the wrong method 405") {
  StandIn s;
  Client c(s.port());
  auto r = c.get("/v2/nothing");
  CHECK(r.status == 404);
  CHECK(r.parsed() == json{{"code", 40410000}, {"message", "endpoint not found"}});
  auto m = c.send(http::verb::put, "/v2/orders", "");
  CHECK(m.status == 405);
  CHECK(m.header("Allow") == "POST, GET, DELETE");
  CHECK(c.send(http::verb::post, "/v2/clock", "{}").status == 405);
}

TEST_CASE(
    "the rate budget: 429 once it is spent, the three headers on every answer, freed by the "
    "window") {
  StandInOptions o;
  o.rate_limit = 5;
  o.rate_window = std::chrono::milliseconds(1500);
  StandIn s(o);
  Client c(s.port());
  for (int i = 0; i < 5; ++i) {
    auto r = c.get("/v2/clock");
    REQUIRE(r.status == 200);
    CHECK(r.header("X-Ratelimit-Limit") == "5");
    CHECK(r.header("X-Ratelimit-Remaining") == std::to_string(4 - i));
    CHECK(std::stoll(r.header("X-Ratelimit-Reset")) >= epoch_now());
  }
  auto over = c.get("/v2/account");
  CHECK(over.status == 429);
  CHECK(over.parsed() == json{{"code", 42900000}, {"message", "rate limit exceeded"}});
  CHECK(over.header("X-Ratelimit-Limit") == "5");
  CHECK(over.header("X-Ratelimit-Remaining") == "0");
  const auto reset = std::stoll(over.header("X-Ratelimit-Reset"));
  CHECK(reset >= epoch_now());
  CHECK(reset <= epoch_now() + 3);
  CHECK(c.post("/v2/orders", market("AAPL", "buy", "1", "refused")).status == 429);
  CHECK(s.orders().empty());
  // A refusal is not charged: once the window has moved on, requests pass again.
  CHECK(eventually([&] { return c.get("/v2/clock").status == 200; }, std::chrono::seconds(5)));
  // Unauthorized requests are not charged to the key either, but carry the headers.
  Client anon(s.port());
  anon.credentials.reset();
  auto unauth = anon.get("/v2/clock");
  CHECK(unauth.status == 401);
  CHECK(unauth.header("X-Ratelimit-Limit") == "5");
}

TEST_CASE("rate_limit_burst answers 429 to the next n requests whatever the budget") {
  StandIn s;
  Client c(s.port());
  s.rate_limit_burst(2);
  for (int i = 0; i < 2; ++i) {
    auto r = c.get("/v2/account");
    CHECK(r.status == 429);
    CHECK(r.header("X-Ratelimit-Remaining") == "0");
    CHECK(std::stoll(r.header("X-Ratelimit-Reset")) > epoch_now() - 1);
  }
  auto ok = c.get("/v2/account");
  CHECK(ok.status == 200);
  CHECK(ok.header("X-Ratelimit-Remaining") == "199");  // the burst was not charged
}

TEST_CASE("fail_next_requests answers that status to the next n requests and does nothing") {
  StandIn s;
  s.set_price("AAPL", 100);
  Client c(s.port());
  s.fail_next_requests(2, 503);
  auto r = c.post("/v2/orders", market("AAPL", "buy", "1", "during-outage"));
  CHECK(r.status == 503);
  CHECK(r.parsed()["code"] == 50310000);
  CHECK(c.get("/v2/account").status == 503);
  CHECK(s.orders().empty());
  CHECK(c.post("/v2/orders", market("AAPL", "buy", "1", "during-outage")).status == 200);
  CHECK(s.submits_for("during-outage") == 2);
}

TEST_CASE("reject_next_submit refuses with 403 or 422 and stores nothing") {
  StandIn s;
  Client c(s.port());
  s.reject_next_submit(403, "insufficient buying power");
  s.reject_next_submit(422, "symbol is not tradable");
  auto a = c.post("/v2/orders", market("AAPL", "buy", "1", "r1"));
  CHECK(a.status == 403);
  CHECK(a.parsed() == json{{"code", 40310000}, {"message", "insufficient buying power"}});
  auto b = c.post("/v2/orders", market("AAPL", "buy", "1", "r2"));
  CHECK(b.status == 422);
  CHECK(b.parsed() == json{{"code", 42210000}, {"message", "symbol is not tradable"}});
  CHECK(s.orders().empty());
  CHECK(c.get("/v2/orders:by_client_order_id?client_order_id=r1").status == 404);
  CHECK(c.post("/v2/orders", market("AAPL", "buy", "1", "r1")).status ==
        200);  // never accepted: reusable
  CHECK_THROWS_AS(s.reject_next_submit(500, "no"), std::invalid_argument);
}

TEST_CASE("fail_next_submit_after_accept: the order is stored and filled, the answer is a 5xx") {
  StandIn s;
  s.set_price("AAPL", 50);
  Client c(s.port());
  s.fail_next_submit_after_accept(500);
  auto r = c.post("/v2/orders", market("AAPL", "buy", "4", "ambiguous"));
  CHECK(r.status == 500);
  CHECK(r.parsed()["code"].is_number());
  CHECK(r.parsed()["message"].is_string());
  // What a careful client does next: ask by client id, find it, never resubmit.
  auto found = c.get("/v2/orders:by_client_order_id?client_order_id=ambiguous");
  REQUIRE(found.status == 200);
  CHECK(found.parsed()["status"] == "filled");
  CHECK(s.positions().at("AAPL") == Approx(4));
  CHECK(c.post("/v2/orders", market("AAPL", "buy", "4", "ambiguous")).status == 422);
  CHECK(c.post("/v2/orders", market("AAPL", "buy", "1", "next")).status == 200);  // consumed once
}

TEST_CASE(
    "delay_next_submit_after_accept: stored at once, answered late, other connections unaffected") {
  StandIn s;
  s.set_price("AAPL", 50);
  s.delay_next_submit_after_accept(std::chrono::milliseconds(1500));

  // A client with a shorter timeout than the delay sees a timeout, and the order is there.
  Client impatient(s.port(), std::chrono::milliseconds(300));
  CHECK_THROWS_AS(impatient.post("/v2/orders", market("AAPL", "buy", "1", "slow")), TimedOut);
  CHECK(s.order_by_client_id("slow"));

  // A patient client waits the whole delay while another connection is served meanwhile.
  s.delay_next_submit_after_accept(std::chrono::milliseconds(1500));
  std::atomic<int> status{0};
  const auto start = std::chrono::steady_clock::now();
  std::thread patient([&] {
    Client p(s.port());
    status = p.post("/v2/orders", market("AAPL", "buy", "1", "slow-2")).status;
  });
  REQUIRE(eventually([&] { return s.order_by_client_id("slow-2").has_value(); }));
  Client other(s.port());
  const auto before = std::chrono::steady_clock::now();
  CHECK(other.get("/v2/account").status == 200);
  CHECK(other.get("/v2/orders:by_client_order_id?client_order_id=slow-2").status == 200);
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::milliseconds(1000));
  CHECK(status == 0);  // still waiting
  patient.join();
  CHECK(status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(1500));
}

TEST_CASE("keep-alive: one connection serves many requests, and Connection: close closes it") {
  StandIn s;
  Client c(s.port());
  for (int i = 0; i < 20; ++i) REQUIRE(c.get(i % 2 ? "/v2/clock" : "/v2/account").status == 200);
  CHECK(c.connects() == 1);
  auto last = c.send(http::verb::get, "/v2/clock", "", /*close=*/true);
  CHECK(last.status == 200);
  CHECK_FALSE(last.keep_alive);
  CHECK(c.server_closed());
}

TEST_CASE("concurrent connections are all served, and every request is recorded with its status") {
  StandIn s;
  s.set_price("AAPL", 10);
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client c(s.port());
      for (int i = 0; i < kEach; ++i) {
        const std::string cid = "c" + std::to_string(t) + "-" + std::to_string(i);
        if (c.post("/v2/orders", market("AAPL", "buy", "1", cid)).status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == kThreads * kEach);
  CHECK(s.positions().at("AAPL") == Approx(kThreads * kEach));

  Client c(s.port());
  c.credentials.reset();
  CHECK(c.get("/v2/clock").status == 401);
  const auto records = s.requests();
  REQUIRE(records.size() == kThreads * kEach + 1);
  CHECK(records[0].method == "POST");
  CHECK(records[0].target == "/v2/orders");
  CHECK(records[0].status == 200);
  CHECK(records[0].headers.at("APCA-API-KEY-ID") == "PKTESTKEY");
  CHECK(json::parse(records[0].body)["symbol"] == "AAPL");
  CHECK(records.back().target == "/v2/clock");
  CHECK(records.back().status == 401);
}
