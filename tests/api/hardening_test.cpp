// Issue 9's REST defects, each against the real server (and engine where it matters): deep JSON
// (#9), decoded input echoed into the 307 Location (#15), cross-site writes with auth off (#16),
// unbounded and unnormalised scoped kills (#17).
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "api/csrf.hpp"
#include "api/http.hpp"
#include "api_fixture.hpp"

using namespace axion;
using core::json;
using test::ApiFixture;
using test::Headers;

namespace {

const std::string V = "/api/v1";

std::string nested_objects(int levels) {
  std::string s;
  for (int i = 0; i < levels; ++i) s += "{\"a\":";
  s += "1";
  s += std::string(static_cast<std::size_t>(levels), '}');
  return s;
}

}  // namespace

TEST_CASE("REST refuses JSON nested deeper than 64 levels with 422 before parsing it") {
  ApiFixture fx("deep");
  auto read = fx.key({"read"});
  auto write = fx.key({"write"});
  auto admin = fx.key({"admin"});
  // 100k levels are far under the 1 MiB limit; parsed, every later copy or dump of the value
  // recursed 100k deep and the process died.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto r = fx.post(V + "/strategies/ema_cloud/analyze", read, deep);
  REQUIRE(r.status == 422);
  const json item = r.json()["detail"][0];
  CHECK(item["type"] == "json_invalid");
  CHECK(item["loc"] == json::array({"body"}));
  CHECK(item["ctx"]["error"] == "nesting deeper than 64 levels");
  // Every body: writes, kills and key creation; objects count like arrays.
  CHECK(fx.put(V + "/bot/config", write, nested_objects(65)).status == 422);
  CHECK(fx.post(V + "/bot/kill", write, deep).status == 422);
  CHECK(fx.post(V + "/keys", admin, deep).status == 422);
  CHECK(fx.get(V + "/bot/status", read).json()["status"] == "paper");  // the kill never ran
  // 64 levels are parsed (and refused for what they are); brackets inside strings do not count.
  r = fx.post(V + "/bot/start", write, std::string(64, '[') + std::string(64, ']'));
  CHECK(r.status == 422);
  CHECK(r.json()["detail"][0]["type"] == "model_attributes_type");
  CHECK(fx.put(V + "/bot/config", write, nested_objects(64)).status == 400);  // parsed: no known field
  json body = {{"ticker", std::string(1000, '[') + "\\\"["}, {"opens", json::array()}, {"highs", json::array()},
               {"lows", json::array()}, {"closes", json::array()}, {"volumes", json::array()}};
  CHECK(fx.post(V + "/strategies/ema_cloud/analyze", read, body.dump()).status == 200);
  CHECK(fx.get("/health").status == 200);
}

TEST_CASE("REST echoes no invalid UTF-8: a bad query value is a 422, not a 500") {
  ApiFixture fx("utf8");
  auto read = fx.key({"read"});
  auto r = fx.get(V + "/bot/history?limit=%ff%fe", read);
  CHECK(r.status == 422);
  CHECK(r.json()["detail"][0]["loc"] == json::array({"query", "limit"}));
  r = fx.get(V + "/strategies/%ff", read);
  CHECK(r.status == 404);
}

TEST_CASE("REST 307 redirect re-encodes its target: no CR LF from the request reaches a header") {
  ApiFixture fx("crlf");
  auto r = fx.get(V + "/strategies/?next=%0d%0aSet-Cookie:%20evil%3D1&b=%c3%a9");
  CHECK(r.status == 307);
  CHECK_FALSE(r.has("Set-Cookie"));
  CHECK(r.header("Location") == V + "/strategies?b=%C3%A9&next=%0D%0ASet-Cookie%3A%20evil%3D1");
  // The path is still percent-encoded as sent: kept, not encoded twice.
  r = fx.get(V + "/strategies/ema%5Fcloud/");
  CHECK(r.status == 307);
  CHECK(r.header("Location") == V + "/strategies/ema%5Fcloud");

  // Without the wire: whatever the decoded path and query hold, the header value is plain.
  api::Router router;
  router.add({"GET", "/a b", "", false, [](const api::Request&, const api::Principal&) { return api::message_reply("x"); },
              "", nullptr, {200}});
  api::Request q;
  q.method = "GET";
  q.path = "/a b/";
  q.query["k\r\n"] = "v\r\nX-Injected: 1";
  auto reply = api::dispatch(router, api::Security{false, false, nullptr, nullptr}, q);
  REQUIRE(reply.status == 307);
  for (const auto& [name, value] : reply.headers) {
    INFO(name << ": " << value);
    CHECK(value.find_first_of("\r\n") == std::string::npos);
  }
}

TEST_CASE("REST with auth off refuses cross-site writes: JSON content type, own Host and Origin") {
  ApiFixture fx("csrf", "auth = false\n");
  const std::string port = std::to_string(fx.port());
  const std::string ct = "application/json";
  const std::string prefix = "Cross-site request refused \u2014 with API auth disabled, ";

  // A form post or a no-cors fetch cannot send a JSON content type without a CORS preflight.
  auto r = fx.post(V + "/bot/pause");
  CHECK(r.status == 403);
  CHECK(r.json()["detail"] == prefix + "state-changing requests need Content-Type: application/json");
  CHECK(fx.call("POST", V + "/bot/kill", "", std::nullopt, {{"Content-Type", "text/plain"}}).status == 403);
  CHECK(fx.call("PUT", V + "/strategies/ema_cloud/disable", "", std::nullopt,
                {{"Content-Type", "application/x-www-form-urlencoded"}})
            .status == 403);
  // DNS rebinding: the attacker's name resolves to 127.0.0.1 and the browser sends that name.
  r = fx.call("POST", V + "/bot/kill", "", std::nullopt, {{"Content-Type", ct}, {"Host", "evil.example:" + port}});
  CHECK(r.status == 403);
  CHECK(r.json()["detail"] == prefix + "the Host header must name this server (127.0.0.1:" + port + ")");
  CHECK(fx.call("POST", V + "/bot/kill", "", std::nullopt, {{"Content-Type", ct}, {"Host", "127.0.0.1"}}).status ==
        403);
  CHECK(fx.call("POST", V + "/bot/kill", "", std::nullopt, {{"Content-Type", ct}, {"Host", "127.0.0.1:1"}}).status ==
        403);
  // A foreign page.
  for (const char* origin : {"http://evil.example", "null", "http://127.0.0.1:1", "file://"}) {
    INFO(origin);
    r = fx.call("POST", V + "/bot/kill", "", std::nullopt, {{"Content-Type", ct}, {"Origin", origin}});
    CHECK(r.status == 403);
    CHECK(r.json()["detail"] == prefix + "the Origin header must be this server or a configured CORS origin");
  }
  CHECK(fx.get(V + "/bot/status").json()["status"] == "paper");  // nothing got through

  // This server under its own names, and a configured CORS origin, pass; reads are not guarded.
  r = fx.call("POST", V + "/bot/pause", "", std::nullopt,
              {{"Content-Type", "application/json; charset=utf-8"}, {"Host", "localhost:" + port},
               {"Origin", "http://127.0.0.1:" + port}});
  CHECK(r.status == 200);
  r = fx.call("POST", V + "/bot/resume", "", std::nullopt, {{"Content-Type", ct}, {"Origin", "http://localhost:3000"}});
  CHECK(r.status == 200);
  CHECK(fx.get(V + "/bot/status").status == 200);
}

TEST_CASE("Cross-site guard: Host and Origin rules for loopback, wildcard and IPv6 binds") {
  auto req = [](const std::string& host, const std::string& origin = "") {
    api::Request r;
    r.method = "POST";
    r.headers["content-type"] = "application/json";
    r.headers["host"] = host;
    if (!origin.empty()) r.headers["origin"] = origin;
    return r;
  };
  auto refused = [](const api::Request& r, const api::SameOrigin& so) { return api::same_origin_refusal(r, so).has_value(); };

  auto any = api::SameOrigin::for_bind("0.0.0.0", 8000, {"http://localhost:8501", "*"});
  CHECK_FALSE(refused(req("10.0.0.5:8000"), any));
  CHECK_FALSE(refused(req("localhost:8000", "http://localhost:8501"), any));
  CHECK(refused(req("bot.example.com:8000"), any));  // a DNS name can be rebound
  CHECK(refused(req("10.0.0.5"), any));              // no port
  CHECK(refused(req("10.0.0.5:8000", "http://attacker.example"), any));  // "*" trusts no one here

  auto v6 = api::SameOrigin::for_bind("::1", 8000, {});
  CHECK_FALSE(refused(req("[::1]:8000", "http://[::1]:8000"), v6));
  CHECK(refused(req("127.0.0.1:8000"), v6));

  auto lo = api::SameOrigin::for_bind("127.0.0.1", 8000, {});
  CHECK_FALSE(refused(req("LOCALHOST:8000", "https://localhost:8000"), lo));
  CHECK(refused(req("127.0.0.1:8000", "http://127.0.0.1"), lo));  // port 80
  CHECK(refused(req("127.0.0.1:8000", "http://127.0.0.1:8000/path"), lo));
  CHECK(refused(req("127.0.0.1:8000x"), lo));

  auto none = api::SameOrigin{};  // not configured: fails closed
  CHECK(refused(req("127.0.0.1:8000"), none));
}

TEST_CASE("REST scoped kills: targets normalised, unknown ones 422, at most 256 kept, global never limited") {
  std::vector<std::string> symbols = {"GOOG"};
  for (int i = 0; i < 300; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "S%03d", i);
    symbols.emplace_back(name);
  }
  ApiFixture fx("scoped", "auth = true\n", symbols);
  auto w = fx.key({"write"});
  auto kill = [&](const json& body) { return fx.post(V + "/bot/kill", w, body.dump()); };
  auto kills = [&] { return fx.get(V + "/bot/status", w).json()["kill"]; };

  // One spelling per symbol: trimmed, upper case; a reset finds it under another spelling.
  auto r = kill({{"scope", "symbol"}, {"target", "  goog "}, {"level", "block_new"}});
  REQUIRE(r.status == 200);
  REQUIRE(kills().size() == 1);
  CHECK(kills()[0]["target"] == "GOOG");
  CHECK(fx.post(V + "/bot/kill/reset", w, R"({"scope":"symbol","target":"goog"})").status == 200);
  CHECK(kills().empty());

  // Unknown targets would be stored for ever and match nothing.
  r = kill({{"scope", "symbol"}, {"target", "ZZZZ"}});
  CHECK(r.status == 422);
  CHECK(r.json()["detail"][0]["type"] == "value_error");
  CHECK(r.json()["detail"][0]["loc"] == json::array({"body", "target"}));
  CHECK(r.json()["detail"][0]["msg"].get<std::string>().find("unknown symbol 'ZZZZ'") != std::string::npos);
  r = kill({{"scope", "strategy"}, {"target", "nope"}});
  CHECK(r.status == 422);
  CHECK(r.json()["detail"][0]["msg"].get<std::string>().find("unknown strategy 'nope'") != std::string::npos);
  CHECK(kill({{"scope", "strategy"}, {"target", "EMA_CLOUD"}}).status == 422);  // names are exact
  CHECK(kills().empty());

  // 256 scoped kills at most: ema_cloud and 255 symbols, then the next is refused.
  REQUIRE(kill({{"scope", "strategy"}, {"target", "ema_cloud"}, {"level", "block_new"}}).status == 200);
  for (std::size_t i = 1; i <= 255; ++i) {
    INFO(symbols[i]);
    REQUIRE(kill({{"scope", "symbol"}, {"target", symbols[i]}, {"level", "block_new"}}).status == 200);
  }
  r = kill({{"scope", "symbol"}, {"target", symbols[256]}, {"level", "block_new"}});
  CHECK(r.status == 409);
  CHECK(r.json()["detail"] == "Too many scoped kills \u2014 at most 256 are kept; reset one before adding another");
  // A repeat replaces its kill; a global kill is never limited.
  CHECK(kill({{"scope", "symbol"}, {"target", symbols[3]}, {"level", "reduce_only"}}).status == 200);
  CHECK(kill({{"reason", "all"}, {"level", "block_new"}}).status == 200);
  auto st = fx.get(V + "/bot/status", w).json();
  CHECK(st["status"] == "killed");
  CHECK(st["kill"].size() == 257);
}
