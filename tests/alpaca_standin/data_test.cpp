// The stand-in's Market Data v2 (live.md §4, §6) through real clients over loopback: the bars
// endpoints with their pages, filters, refusals, keys and shared rate budget; the market data
// stream with its greeting, authentication, subscriptions, pushed bars, the one-connection slot
// and each fault.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "eventually.hpp"
#include "standin.hpp"
#include "ws_client.hpp"

using namespace axion::testing::alpaca;
using axion::test::eventually;
using axion::testing::alpaca::test::rest;
using axion::testing::alpaca::test::RestAnswer;
using axion::testing::alpaca::test::RestKeys;
using axion::testing::alpaca::test::WsClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using Strings = std::vector<std::string>;

// Microseconds since the epoch of 2024-01-<day> <hour>:<minute> UTC.
std::int64_t at(int hour, int minute, unsigned day = 3) {
  namespace chr = std::chrono;
  const chr::sys_time<chr::microseconds> t =
      chr::sys_days{chr::year{2024} / chr::January / chr::day{day}} + chr::hours{hour} +
      chr::minutes{minute};
  return t.time_since_epoch().count();
}

// A bar around `price`: high one above, low one below, close half above, 1000 shares.
BarRecord bar(const std::string& symbol, std::int64_t t_us, double price, double volume = 1000) {
  return BarRecord{symbol, t_us, price, price + 1, price - 1, price + 0.5, volume};
}

RestAnswer get(StandIn& s, const std::string& target) { return rest(s.port(), "GET", target); }

json get_json(StandIn& s, const std::string& target) {
  const RestAnswer r = get(s, target);
  INFO(target << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

// "SYMBOL@t" of every bar of a multi-symbol answer, in the order the server wrote them.
Strings listed(const std::string& body) {
  Strings out;
  const auto answer = nlohmann::ordered_json::parse(body);
  for (const auto& [symbol, bars] : answer["bars"].items()) {
    for (const auto& b : bars) out.push_back(symbol + "@" + b["t"].get<std::string>());
  }
  return out;
}

std::string auth_msg(const std::string& key = "PKTESTKEY",
                     const std::string& secret = "test-secret-value") {
  return json{{"action", "auth"}, {"key", key}, {"secret", secret}}.dump();
}

std::string subscribe_msg(const Strings& bars, const char* action = "subscribe") {
  return json{{"action", action}, {"bars", bars}}.dump();
}

json success(const char* msg) { return json::array({{{"T", "success"}, {"msg", msg}}}); }

json data_error(int code, const char* msg) {
  return json::array({{{"T", "error"}, {"code", code}, {"msg", msg}}});
}

json subscription(const Strings& bars) {
  return json::array({{{"T", "subscription"},
                       {"trades", json::array()},
                       {"quotes", json::array()},
                       {"bars", bars}}});
}

json next_json(WsClient& c, std::chrono::milliseconds within = 5s) {
  const auto m = c.receive(within);
  REQUIRE(m);
  CHECK_FALSE(m->binary);  // market data is text frames
  return json::parse(m->text);
}

// A market data connection that has read the greeting and authenticated.
std::unique_ptr<WsClient> data_client(StandIn& s, const std::string& path = "/v2/iex") {
  auto c = std::make_unique<WsClient>(s.port(), path);
  REQUIRE(next_json(*c) == success("connected"));
  c->send(auth_msg());
  REQUIRE(next_json(*c) == success("authenticated"));
  return c;
}

// The same, subscribed to the bars of `symbols`.
std::unique_ptr<WsClient> subscriber(StandIn& s, const Strings& symbols,
                                     const std::string& path = "/v2/iex") {
  auto c = data_client(s, path);
  c->send(subscribe_msg(symbols));
  REQUIRE(next_json(*c)[0]["T"] == "subscription");
  return c;
}

// "SYMBOL@t" of every bar of a stream frame, in order.
Strings frame_bars(const json& frame) {
  Strings out;
  for (const auto& b : frame) {
    CHECK(b["T"] == "b");
    out.push_back(b["S"].get<std::string>() + "@" + b["t"].get<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE("data: bars are paged across two symbols, by symbol then time, the limit counting all",
          "[data]") {
  StandIn s;
  CHECK(s.data_url() == "http://127.0.0.1:" + std::to_string(s.port()));
  std::vector<BarRecord> msft;
  for (int i = 3; i >= 0; --i) msft.push_back(bar("MSFT", at(14, 30 + i), 400 + i));  // unsorted
  s.add_history("1Min", msft);
  for (int i = 0; i < 5; ++i) s.add_history("1Min", {bar("AAPL", at(14, 30 + i), 185 + i)});
  s.add_history("1Min", {bar("TSLA", at(14, 30), 250)});  // not asked for
  s.add_history("1Day", {bar("AAPL", at(0, 0), 180)});    // another timeframe

  const std::string query =
      "/v2/stocks/bars?symbols=MSFT,AAPL&timeframe=1Min&limit=4&feed=iex&adjustment=raw";
  Strings seen;
  std::vector<std::size_t> pages;
  std::optional<std::string> token;
  for (int page = 0; page < 10; ++page) {
    const RestAnswer r = get(s, query + (token ? "&page_token=" + *token : ""));
    REQUIRE(r.status == 200);
    const Strings bars = listed(r.body);
    seen.insert(seen.end(), bars.begin(), bars.end());
    pages.push_back(bars.size());
    const json next = json::parse(r.body)["next_page_token"];
    if (next.is_null()) break;
    REQUIRE(next.is_string());
    // Opaque, and nothing in it a client must escape in a query string.
    CHECK(next.get<std::string>().find_first_of("+/=&% ") == std::string::npos);
    token = next.get<std::string>();
  }
  CHECK(pages == std::vector<std::size_t>{4, 4, 1});
  CHECK(seen == Strings{"AAPL@2024-01-03T14:30:00Z", "AAPL@2024-01-03T14:31:00Z",
                        "AAPL@2024-01-03T14:32:00Z", "AAPL@2024-01-03T14:33:00Z",
                        "AAPL@2024-01-03T14:34:00Z", "MSFT@2024-01-03T14:30:00Z",
                        "MSFT@2024-01-03T14:31:00Z", "MSFT@2024-01-03T14:32:00Z",
                        "MSFT@2024-01-03T14:33:00Z"});
  CHECK(s.bars_requests() == 3);

  // Numbers are JSON numbers (whole ones written as integers, as Alpaca's servers do).
  const json all = get_json(s, "/v2/stocks/bars?symbols=AAPL,MSFT&timeframe=1Min");
  CHECK(all["next_page_token"].is_null());  // the default limit (1000) holds them all
  CHECK(all["bars"].size() == 2);
  REQUIRE(all["bars"]["AAPL"].size() == 5);
  const json first = all["bars"]["AAPL"][0];
  CHECK(first["t"] == "2024-01-03T14:30:00Z");
  CHECK(first["o"].is_number_integer());
  CHECK(first["o"] == 185);
  CHECK(first["h"] == 186);
  CHECK(first["l"] == 184);
  CHECK(first["c"] == 185.5);
  CHECK(first["v"].is_number_integer());
  CHECK(first["v"] == 1000);
  CHECK(first["n"].is_number_integer());
  CHECK(first["n"] == 10);
  CHECK(first["vw"].get<double>() == Approx(185.166667));
  CHECK(first.size() == 8);

  // Per timeframe; the same (symbol, t) replaces the bar there.
  const json daily = get_json(s, "/v2/stocks/bars?symbols=AAPL,MSFT&timeframe=1Day");
  const json day = {{"t", "2024-01-03T00:00:00Z"},
                    {"o", 180},
                    {"h", 181},
                    {"l", 179},
                    {"c", 180.5},
                    {"v", 1000},
                    {"n", 10},
                    {"vw", 180.166667}};
  CHECK(daily == json{{"bars", {{"AAPL", json::array({day})}}}, {"next_page_token", nullptr}});
  s.add_history("1Min", {bar("AAPL", at(14, 30), 190, 0)});
  const json replaced = get_json(s, "/v2/stocks/bars?symbols=AAPL&timeframe=1Min&limit=1");
  CHECK(replaced["bars"]["AAPL"][0]["o"] == 190);
  CHECK(replaced["bars"]["AAPL"][0]["n"] == 0);  // no volume: no trades, no average
  CHECK(replaced["bars"]["AAPL"][0]["vw"] == 0);
  CHECK(replaced["next_page_token"].is_string());

  // Misuse of the scripting API is a bug in the test.
  CHECK_THROWS_AS(s.add_history("7Sec", {bar("AAPL", at(9, 0), 1)}), std::invalid_argument);
  CHECK_THROWS_AS(s.add_history("1Min", {bar("", at(9, 0), 1)}), std::invalid_argument);
  CHECK_THROWS_AS(s.push_bars({bar("", at(9, 0), 1)}), std::invalid_argument);
}

TEST_CASE("data: start and end are inclusive, as RFC3339 with Z, an offset, or a date", "[data]") {
  StandIn s;
  for (int i = 0; i < 5; ++i) s.add_history("5T", {bar("AAPL", at(14, 30 + i), 100 + i)});
  const std::string base = "/v2/stocks/bars?symbols=AAPL&timeframe=5Min";
  const auto bars_of = [&](const std::string& params) {
    const RestAnswer r = get(s, base + params);
    INFO(params << " -> " << r.body);
    REQUIRE(r.status == 200);
    return listed(r.body);
  };
  CHECK(bars_of("&start=2024-01-03T14:31:00Z&end=2024-01-03T14:33:00Z") ==
        Strings{"AAPL@2024-01-03T14:31:00Z", "AAPL@2024-01-03T14:32:00Z",
                "AAPL@2024-01-03T14:33:00Z"});
  // 09:33 New York (winter, -05:00) is 14:33 UTC.
  CHECK(bars_of("&start=2024-01-03T09:33:00-05:00") ==
        Strings{"AAPL@2024-01-03T14:33:00Z", "AAPL@2024-01-03T14:34:00Z"});
  CHECK(bars_of("&end=2024-01-03T14:30:00.000001Z") == Strings{"AAPL@2024-01-03T14:30:00Z"});
  CHECK(bars_of("&start=2024-01-03").size() == 5);
  CHECK(bars_of("&start=2024-01-03T14:34:00.000001Z").empty());
  // Nothing matches: an empty object.
  CHECK(get_json(s, base + "&end=2024-01-03") ==
        json{{"bars", json::object()}, {"next_page_token", nullptr}});

  // The single-symbol endpoint: an array, the symbol, the same paging.
  Strings seen;
  std::optional<std::string> token;
  std::vector<std::size_t> pages;
  for (int page = 0; page < 10; ++page) {
    const json r =
        get_json(s, "/v2/stocks/AAPL/bars?timeframe=5Min&limit=2&start=2024-01-03T14:31:00Z" +
                        (token ? "&page_token=" + *token : ""));
    CHECK(r["symbol"] == "AAPL");
    REQUIRE(r["bars"].is_array());
    pages.push_back(r["bars"].size());
    for (const auto& b : r["bars"]) seen.push_back(b["t"].get<std::string>());
    if (r["next_page_token"].is_null()) break;
    token = r["next_page_token"].get<std::string>();
  }
  CHECK(pages == std::vector<std::size_t>{2, 2});
  CHECK(seen == Strings{"2024-01-03T14:31:00Z", "2024-01-03T14:32:00Z", "2024-01-03T14:33:00Z",
                        "2024-01-03T14:34:00Z"});
  // No bar: null, as Alpaca answers.
  CHECK(get_json(s, "/v2/stocks/NONE/bars?timeframe=5Min") ==
        json{{"bars", nullptr}, {"symbol", "NONE"}, {"next_page_token", nullptr}});
}

TEST_CASE("data: a bad parameter is a 422 that names it", "[data]") {
  StandIn s;
  const std::string ok = "/v2/stocks/bars?symbols=AAPL&timeframe=1Min";
  const std::vector<std::pair<std::string, std::string>> refused{
      {"/v2/stocks/bars?timeframe=1Min", "symbols"},
      {"/v2/stocks/bars?symbols=,&timeframe=1Min", "symbols"},
      {"/v2/stocks/bars?symbols=AAPL", "timeframe"},
      {"/v2/stocks/AAPL/bars", "timeframe"},
      {"/v2/stocks/bars?symbols=AAPL&timeframe=7Sec", "timeframe"},
      {"/v2/stocks/bars?symbols=AAPL&timeframe=60Min", "timeframe"},
      {"/v2/stocks/bars?symbols=AAPL&timeframe=5Month", "timeframe"},
      {ok + "&limit=0", "limit"},
      {ok + "&limit=10001", "limit"},
      {ok + "&limit=-1", "limit"},
      {ok + "&limit=ten", "limit"},
      {ok + "&start=yesterday", "start"},
      {ok + "&end=2024-13-01", "end"},
      {ok + "&start=2024-01-03T15:00:00Z&end=2024-01-03T14:00:00Z", "end"},
      {ok + "&page_token=!!!", "page_token"},
      {ok + "&page_token=bm8tYmFy", "page_token"},  // decodes, to "no-bar"
      {ok + "&adjustment=bogus", "adjustment"},
      {ok + "&feed=nasdaq", "feed"},
      {ok + "&sort=desc", "sort"},
  };
  for (const auto& [target, name] : refused) {
    const RestAnswer r = get(s, target);
    INFO(target << " -> " << r.body);
    CHECK(r.status == 422);
    const json body = json::parse(r.body);
    CHECK(body["code"] == 42210000);
    CHECK_THAT(body["message"].get<std::string>(), Catch::Contains(name));
  }
  for (const char* params : {"&limit=10000", "&limit=1", "&adjustment=all", "&adjustment=split",
                             "&feed=sip", "&sort=asc", "&start=", "&page_token="}) {
    INFO(params);
    CHECK(get(s, ok + params).status == 200);
  }
  for (const char* tf : {"1T", "59Min", "1H", "23Hour", "1D", "1Week", "12Month", "6M"}) {
    INFO(tf);
    CHECK(get(s, std::string("/v2/stocks/bars?symbols=AAPL&timeframe=") + tf).status == 200);
  }
  CHECK(rest(s.port(), "POST", "/v2/stocks/bars").status == 405);
  CHECK(s.bars_requests() == static_cast<int>(refused.size()) + 8 + 8);  // the POST is not one
}

TEST_CASE("data: bars need the keys and share the account's rate budget with trading", "[data]") {
  StandInOptions o;
  o.rate_limit = 3;
  StandIn s(o);
  const std::string bars = "/v2/stocks/bars?symbols=AAPL&timeframe=1Min";

  const RestAnswer anon = rest(s.port(), "GET", bars, "", RestKeys{"", ""});
  CHECK(anon.status == 401);
  CHECK(json::parse(anon.body) ==
        json{{"code", 40110000}, {"message", "request is not authorized"}});
  CHECK(anon.header("X-Ratelimit-Limit") == "3");
  CHECK(anon.header("X-Ratelimit-Remaining") == "3");  // not charged
  CHECK(rest(s.port(), "GET", "/v2/stocks/AAPL/bars?timeframe=1Min", "",
             RestKeys{"PKTESTKEY", "wrong"})
            .status == 401);

  CHECK(get(s, "/v2/account").header("X-Ratelimit-Remaining") == "2");
  const RestAnswer first = get(s, bars);
  CHECK(first.status == 200);
  CHECK(first.header("Content-Type") == "application/json");
  CHECK(first.header("X-Ratelimit-Limit") == "3");
  CHECK(first.header("X-Ratelimit-Remaining") == "1");
  CHECK_FALSE(first.header("X-Ratelimit-Reset").empty());
  CHECK(get(s, "/v2/stocks/AAPL/bars?timeframe=1Min").header("X-Ratelimit-Remaining") == "0");
  const RestAnswer over = get(s, bars);
  CHECK(over.status == 429);
  CHECK(over.header("X-Ratelimit-Remaining") == "0");
  CHECK(get(s, "/v2/clock").status == 429);  // one budget: trading is out of it too

  CHECK(s.bars_requests() == 5);  // two 401s, two 200s, one 429
  Strings recorded;
  for (const RequestRecord& r : s.requests())
    recorded.push_back(std::to_string(r.status) + " " + r.target);
  CHECK(recorded == Strings{"401 " + bars, "401 /v2/stocks/AAPL/bars?timeframe=1Min",
                            "200 /v2/account", "200 " + bars,
                            "200 /v2/stocks/AAPL/bars?timeframe=1Min", "429 " + bars,
                            "429 /v2/clock"});
}

TEST_CASE("data stream: greeting, auth, subscribe, and pushed bars for the subscribed symbols only",
          "[data]") {
  StandIn s;
  const std::string port = std::to_string(s.port());
  CHECK(s.data_stream_url() == "ws://127.0.0.1:" + port + "/v2/iex");
  CHECK(s.data_stream_url("sip") == "ws://127.0.0.1:" + port + "/v2/sip");
  CHECK_THROWS_AS(s.data_stream_url("otc"), std::invalid_argument);

  WsClient c(s.port(), "/v2/iex?ignored=1");
  CHECK(next_json(c) == success("connected"));
  CHECK(s.data_connections() == 1);
  CHECK(s.stream_connections() == 0);  // the trade stream's count is its own
  c.send(auth_msg());
  CHECK(next_json(c) == success("authenticated"));
  CHECK(s.data_subscriptions().empty());
  c.send(subscribe_msg({"MSFT", "AAPL"}));
  CHECK(next_json(c) == subscription({"AAPL", "MSFT"}));
  CHECK(s.data_subscriptions() == Strings{"AAPL", "MSFT"});

  // One frame with the subscribed symbols' bars, in the order pushed.
  s.push_bars({bar("AAPL", at(14, 30), 185), bar("TSLA", at(14, 30), 250),
               bar("MSFT", at(14, 30), 400), bar("AAPL", at(14, 31), 186)});
  const json frame = next_json(c);
  CHECK(frame_bars(frame) == Strings{"AAPL@2024-01-03T14:30:00Z", "MSFT@2024-01-03T14:30:00Z",
                                     "AAPL@2024-01-03T14:31:00Z"});
  CHECK(frame[0] == json{{"T", "b"},
                         {"S", "AAPL"},
                         {"t", "2024-01-03T14:30:00Z"},
                         {"o", 185},
                         {"h", 186},
                         {"l", 184},
                         {"c", 185.5},
                         {"v", 1000},
                         {"n", 10},
                         {"vw", 185.166667}});
  CHECK_FALSE(c.receive(200ms));  // nothing for TSLA

  c.send(subscribe_msg({"MSFT"}, "unsubscribe"));
  CHECK(next_json(c) == subscription({"AAPL"}));
  CHECK(s.data_subscriptions() == Strings{"AAPL"});
  s.push_bars({bar("MSFT", at(14, 31), 401)});
  CHECK_FALSE(c.receive(200ms));  // no subscribed symbol: no frame at all
  s.push_bars({bar("AAPL", at(14, 32), 187)});
  CHECK(frame_bars(next_json(c)) == Strings{"AAPL@2024-01-03T14:32:00Z"});

  // "*" subscribes to every symbol.
  c.send(subscribe_msg({"*"}));
  CHECK(next_json(c) == subscription({"*", "AAPL"}));
  s.push_bars({bar("TSLA", at(14, 33), 251)});
  CHECK(frame_bars(next_json(c)) == Strings{"TSLA@2024-01-03T14:33:00Z"});

  CHECK(s.data_messages_received() == Strings{auth_msg(), subscribe_msg({"MSFT", "AAPL"}),
                                              subscribe_msg({"MSFT"}, "unsubscribe"),
                                              subscribe_msg({"*"})});
  CHECK(s.stream_messages_received().empty());
  c.close();
  CHECK(eventually([&] { return s.data_connections() == 0; }));
  CHECK(s.data_subscriptions().empty());
}

TEST_CASE("data stream: wrong keys, messages before auth, bad syntax", "[data]") {
  StandIn s;
  SECTION("wrong keys: 402, then closed") {
    WsClient c(s.port(), "/v2/iex");
    CHECK(next_json(c) == success("connected"));
    c.send(auth_msg("PKTESTKEY", "wrong"));
    CHECK(next_json(c) == data_error(402, "auth failed"));
    CHECK(c.wait_closed());
    CHECK(c.close_code() == 1008);
  }
  SECTION("anything but auth first: 401, and the connection stays") {
    WsClient c(s.port(), "/v2/iex");
    CHECK(next_json(c) == success("connected"));
    c.send(subscribe_msg({"AAPL"}));
    CHECK(next_json(c) == data_error(401, "not authenticated"));
    c.send(auth_msg());
    CHECK(next_json(c) == success("authenticated"));
    CHECK(s.data_subscriptions().empty());
  }
  SECTION("bad syntax: 400, and the connection stays") {
    auto c = data_client(s);
    for (const char* bad :
         {"hello", "[1,2]", R"({"action":"dance"})", R"({"action":"subscribe","bars":"AAPL"})",
          R"({"action":"subscribe","bars":[1]})"}) {
      INFO(bad);
      c->send(bad);
      CHECK(next_json(*c) == data_error(400, "invalid syntax"));
    }
    c->send(auth_msg());
    CHECK(next_json(*c) == data_error(403, "already authenticated"));
    c->send(subscribe_msg({"AAPL"}));
    CHECK(next_json(*c) == subscription({"AAPL"}));
    CHECK_FALSE(c->ended());
  }
  // Every connection ends with its client.
  CHECK(eventually([&] { return s.data_connections() == 0; }));
}

TEST_CASE("data stream: a second connection of the key gets 406, the first keeps receiving",
          "[data]") {
  StandIn s;
  auto first = subscriber(s, {"AAPL"});
  WsClient second(s.port(), "/v2/sip");  // the other feed counts too: one per account
  CHECK(next_json(second) == success("connected"));
  CHECK(s.data_connections() == 2);
  second.send(auth_msg());
  CHECK(next_json(second) == data_error(406, "connection limit exceeded"));
  CHECK(second.wait_closed());
  CHECK(second.close_code() == 1008);
  CHECK(eventually([&] { return s.data_connections() == 1; }));

  s.push_bars({bar("AAPL", at(14, 30), 185)});
  CHECK(frame_bars(next_json(*first)) == Strings{"AAPL@2024-01-03T14:30:00Z"});
  CHECK(s.data_subscriptions() == Strings{"AAPL"});

  // The trade stream's slot is another one.
  WsClient trade(s.port(), "/stream");
  trade.send(json{{"action", "authenticate"},
                  {"data", {{"key_id", "PKTESTKEY"}, {"secret_key", "test-secret-value"}}}}
                 .dump());
  const auto authorized = trade.receive();
  REQUIRE(authorized);
  CHECK(json::parse(authorized->text)["data"]["status"] == "authorized");

  // The slot frees when the first closes.
  first->close();
  CHECK(eventually([&] { return s.data_connections() == 0; }));
  auto third = data_client(s);
  CHECK(s.data_connections() == 1);
}

TEST_CASE("data stream: fail_next_data_auth answers that error and closes, once per call",
          "[data]") {
  StandIn s;
  s.fail_next_data_auth(406);
  s.fail_next_data_auth(500);
  for (const auto& expected :
       {data_error(406, "connection limit exceeded"), data_error(500, "internal error")}) {
    WsClient c(s.port(), "/v2/iex");
    CHECK(next_json(c) == success("connected"));
    c.send(auth_msg());  // the right keys
    CHECK(next_json(c) == expected);
    CHECK(c.wait_closed());
  }
  CHECK(eventually([&] { return s.data_connections() == 0; }));
  auto ok = subscriber(s, {"AAPL"});  // consumed: the next auth succeeds
  s.push_bars({bar("AAPL", at(14, 30), 185)});
  CHECK(frame_bars(next_json(*ok)).size() == 1);
}

TEST_CASE("data stream: a connection that does not authenticate in time gets 404 and is closed",
          "[data]") {
  StandInOptions o;
  o.data_auth_timeout = 500ms;
  StandIn s(o);
  const auto start = std::chrono::steady_clock::now();
  WsClient idle(s.port(), "/v2/iex");
  CHECK(next_json(idle) == success("connected"));
  CHECK(next_json(idle) == data_error(404, "auth timeout"));
  CHECK(std::chrono::steady_clock::now() - start >= 500ms);
  CHECK(idle.wait_closed());
  CHECK(eventually([&] { return s.data_connections() == 0; }));

  // Authenticated in time: never timed out.
  auto c = data_client(s);
  CHECK_FALSE(c->receive(800ms));
  CHECK_FALSE(c->ended());
  CHECK(s.data_connections() == 1);
}

TEST_CASE("data stream: drop_data_stream closes every connection, and a reconnection is served",
          "[data]") {
  StandIn s;
  auto a = subscriber(s, {"AAPL"});
  WsClient b(s.port(), "/v2/sip");  // not authenticated: closed too
  CHECK(next_json(b) == success("connected"));
  WsClient trade(s.port(), "/stream");  // the trade stream is left alone
  CHECK(s.data_connections() == 2);

  s.drop_data_stream();
  CHECK(a->wait_closed());
  CHECK(a->close_code() == 1001);
  CHECK(b.wait_closed());
  CHECK(eventually([&] { return s.data_connections() == 0; }));
  CHECK(s.data_subscriptions().empty());
  CHECK(trade.ping(2s));
  CHECK(s.stream_connections() == 1);

  // Bars pushed while nobody is connected go nowhere, but are in the history.
  s.push_bars({bar("AAPL", at(14, 31), 186)});
  auto again = subscriber(s, {"AAPL"}, "/v2/sip");
  CHECK(s.data_subscriptions() == Strings{"AAPL"});
  const json backfill =
      get_json(s, "/v2/stocks/bars?symbols=AAPL&timeframe=1Min&start=2024-01-03T14:31:00Z");
  CHECK(listed(backfill.dump()) == Strings{"AAPL@2024-01-03T14:31:00Z"});
  s.push_bars({bar("AAPL", at(14, 32), 187)});
  CHECK(frame_bars(next_json(*again)) == Strings{"AAPL@2024-01-03T14:32:00Z"});
}

TEST_CASE("data stream: pushed bars are recorded in the 1Min history unless told not to",
          "[data]") {
  StandIn s;
  const std::string minute = "/v2/stocks/bars?symbols=AAPL,MSFT&timeframe=1Min";
  s.push_bars({bar("MSFT", at(14, 30), 400), bar("AAPL", at(14, 30), 185)});
  CHECK(listed(get(s, minute).body) ==
        Strings{"AAPL@2024-01-03T14:30:00Z", "MSFT@2024-01-03T14:30:00Z"});
  s.push_bars({bar("AAPL", at(14, 31), 186)}, false);
  CHECK(listed(get(s, minute).body).size() == 2);
  s.push_bars({bar("AAPL", at(14, 30), 190)});  // the same minute again replaces it
  CHECK(get_json(s, minute)["bars"]["AAPL"][0]["o"] == 190);
  CHECK(get_json(s, "/v2/stocks/bars?symbols=AAPL&timeframe=5Min")["bars"].empty());
}
