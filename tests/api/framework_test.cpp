// The REST framework alone (host/api/http.* and server.*): a router of fake handlers served on
// loopback — routing errors, auth and rate-limit middleware, validation items, 413/500 bodies,
// the §0.3 headers, CORS and keep-alive (control.md §0, §1.2, §2; deps-notes P-13…P-16).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "api/http.hpp"
#include "api/server.hpp"
#include "http_client.hpp"
#include "axion/sdk/time.hpp"

using namespace axion;
using api::json;
using test::http;
using test::HttpConnection;

namespace {

std::int64_t wall_us() { return axion::sdk::time::system_now_us(); }

std::shared_ptr<api::Router> fake_router() {
  auto r = std::make_shared<api::Router>();
  r->add({"GET", "/api/v1/items", "read", true,
          [](const api::Request&, const api::Principal& who) {
            return api::json_reply(200, {{"user", who.user_id}, {"auth", who.authenticated}});
          },
          "list", nullptr, {200}});
  r->add({"GET", "/api/v1/items/:id", "read", true,
          [](const api::Request& q, const api::Principal&) { return api::json_reply(200, {{"id", q.params.at("id")}}); },
          "get", nullptr, {200}});
  r->add({"POST", "/api/v1/items", "write", true,
          [](const api::Request& q, const api::Principal&) {
            json body = api::body_object(q, true);
            api::Validator v;
            if (!body.contains("n")) v.add(api::validation_item("missing", json::array({"body", "n"}), "Field required", body));
            else api::lax_int(body["n"], json::array({"body", "n"}), v);
            v.raise_if_any();
            return api::json_reply(201, body);
          },
          "create", nullptr, {201}});
  r->add({"POST", "/api/v1/boom", "write", true,
          [](const api::Request&, const api::Principal&) -> api::Reply {
            throw std::runtime_error("secret internal detail");
          },
          "fails", nullptr, {500}});
  r->add({"POST", "/api/v1/urgent", "write", false,
          [](const api::Request&, const api::Principal&) { return api::message_reply("done"); }, "never limited",
          nullptr, {200}});
  r->add({"GET", "/open", "", false,
          [](const api::Request&, const api::Principal&) { return api::json_reply(200, {{"ok", true}}); }, "public",
          nullptr, {200}});
  return r;
}

struct Keys {
  std::filesystem::path dir;
  std::unique_ptr<api::KeyStore> store;
  std::unique_ptr<api::RateLimiter> limiter;
  Keys() {
    dir = std::filesystem::temp_directory_path() / ("axion-api-fw-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store = std::make_unique<api::KeyStore>(dir / "axion.db", wall_us);
    limiter = std::make_unique<api::RateLimiter>(wall_us);
  }
  ~Keys() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::string make(std::vector<std::string> scopes, const std::string& tier = "enterprise") {
    return store->create("u1", "k", std::move(scopes), tier, std::nullopt).raw;
  }
  api::Security security(bool auth = true, bool rate = true) {
    return api::Security{auth, rate, store.get(), limiter.get()};
  }
};

struct Served {
  std::unique_ptr<api::Server> server;
  Served(std::shared_ptr<api::Router> r, api::Security sec, api::ServerOptions o = {}) {
    o.port = 0;
    server = std::make_unique<api::Server>(o, std::move(r), sec);
    server->start();
  }
  std::uint16_t port() const { return server->port(); }
};

void check_security_headers(const test::HttpResponse& r) {
  CHECK(r.header("X-Content-Type-Options") == "nosniff");
  CHECK(r.header("X-Frame-Options") == "DENY");
  CHECK(r.header("X-XSS-Protection") == "1; mode=block");
  CHECK(r.header("Referrer-Policy") == "strict-origin-when-cross-origin");
  CHECK_FALSE(r.has("Strict-Transport-Security"));
  CHECK_FALSE(r.header("X-Request-ID").empty());
  CHECK(r.header("X-Correlation-ID") == r.header("X-Request-ID"));
}

}  // namespace

TEST_CASE("Framework: lax coercions and validation items follow the pydantic shapes") {
  api::Validator v;
  json loc = json::array({"body", "x"});
  CHECK(api::lax_bool(json("true"), loc, v) == true);
  CHECK(api::lax_bool(json("False"), loc, v) == false);
  CHECK(api::lax_bool(json(1), loc, v) == true);
  CHECK(api::lax_bool(json(0), loc, v) == false);
  CHECK(api::lax_int(json("42"), loc, v) == 42);
  CHECK(api::lax_int(json(7.0), loc, v) == 7);
  CHECK(v.ok());
  CHECK_FALSE(api::lax_bool(json("maybe"), loc, v));
  CHECK_FALSE(api::lax_bool(json(2), loc, v));
  CHECK_FALSE(api::lax_int(json(1.5), loc, v));
  CHECK_FALSE(api::lax_int(json("abc"), loc, v));
  CHECK_FALSE(api::lax_int(json::array(), loc, v));
  try {
    v.raise_if_any();
    FAIL("no ValidationError");
  } catch (const api::ValidationError& e) {
    REQUIRE(e.items().size() == 5);
    CHECK(e.items()[0]["type"] == "bool_parsing");
    CHECK(e.items()[0]["msg"] == "Input should be a valid boolean, unable to interpret input");
    CHECK(e.items()[0]["loc"] == loc);
    CHECK(e.items()[0]["input"] == "maybe");
    CHECK(e.items()[2]["type"] == "int_from_float");
    CHECK(e.items()[3]["type"] == "int_parsing");
    CHECK(e.items()[4]["type"] == "int_type");
  }
  auto lit = api::literal_item(loc, "x", {"a", "b", "c"});
  CHECK(lit["msg"] == "Input should be 'a', 'b' or 'c'");
  CHECK(lit["ctx"]["expected"] == "'a', 'b' or 'c'");
  CHECK(api::py_list({"k1", "k2"}) == "['k1', 'k2']");
  CHECK(api::url_decode("a%20b+c", true) == "a b c");

  api::Request q;
  q.body = "{bad";
  try {
    api::parse_body(q, true);
    FAIL("no ValidationError");
  } catch (const api::ValidationError& e) {
    CHECK(e.items()[0]["type"] == "json_invalid");
    CHECK(e.items()[0]["loc"][0] == "body");
  }
  q.body.clear();
  CHECK_FALSE(api::parse_body(q, false));
  try {
    api::body_object(q, true);
    FAIL("no ValidationError");
  } catch (const api::ValidationError& e) {
    CHECK(e.items()[0] == json({{"type", "missing"}, {"loc", {"body"}}, {"msg", "Field required"}, {"input", nullptr}}));
  }
  q.query["limit"] = "0";
  api::Validator v2;
  CHECK_FALSE(api::query_int(q, "limit", 50, 1, 100, v2));
  q.query["limit"] = "101";
  CHECK_FALSE(api::query_int(q, "limit", 50, 1, 100, v2));
  CHECK(api::query_int(q, "offset", 3, 0, std::nullopt, v2) == 3);
  try {
    v2.raise_if_any();
  } catch (const api::ValidationError& e) {
    CHECK(e.items()[0]["type"] == "greater_than_equal");
    CHECK(e.items()[0]["ctx"]["ge"] == 1);
    CHECK(e.items()[0]["loc"] == json::array({"query", "limit"}));
    CHECK(e.items()[1]["type"] == "less_than_equal");
    CHECK(e.items()[1]["msg"] == "Input should be less than or equal to 100");
  }
}

TEST_CASE("Framework: dispatch applies 404 and 405 before auth, then 401, 403, 429, 422, handler") {
  Keys k;
  auto router = fake_router();
  auto sec = k.security();
  auto call = [&](const std::string& m, const std::string& p, const std::string& key = "", const std::string& body = "") {
    api::Request q;
    q.method = m;
    q.path = p;
    q.body = body;
    if (!key.empty()) q.headers["x-api-key"] = key;
    return api::dispatch(*router, sec, q);
  };
  CHECK(call("GET", "/nope").status == 404);
  CHECK(call("GET", "/nope").body == R"({"detail":"Not Found"})");
  auto r = call("DELETE", "/api/v1/items");
  CHECK(r.status == 405);
  CHECK(r.body == R"({"detail":"Method Not Allowed"})");
  // Malformed JSON without a key is an auth failure, not a 422 (the original's defect).
  r = call("POST", "/api/v1/items", "", "{bad");
  CHECK(r.status == 401);
  CHECK(json::parse(r.body)["detail"] == "Missing API key \u2014 provide X-API-Key header");
  auto writer = k.make({"write"});
  r = call("POST", "/api/v1/items", writer, "{bad");
  CHECK(r.status == 422);
  CHECK(json::parse(r.body)["detail"][0]["type"] == "json_invalid");
  r = call("POST", "/api/v1/items", writer, R"({"n":"x"})");
  CHECK(r.status == 422);
  r = call("POST", "/api/v1/items", writer, R"({"n":"5"})");
  CHECK(r.status == 201);
  // Exceptions never leak their text (P-15).
  r = call("POST", "/api/v1/boom", writer);
  CHECK(r.status == 500);
  CHECK(r.body == R"({"detail":"Internal server error"})");
  // Trailing slash on a known path: 307 to the canonical path.
  r = call("GET", "/api/v1/items/");
  CHECK(r.status == 307);
  bool has_location = false;
  for (auto& [h, val] : r.headers) has_location = has_location || (h == "Location" && val == "/api/v1/items");
  CHECK(has_location);
  // Auth disabled: the dev principal.
  api::Security off{false, false, nullptr, nullptr};
  api::Request q;
  q.method = "GET";
  q.path = "/api/v1/items";
  r = api::dispatch(*router, off, q);
  CHECK(json::parse(r.body) == json({{"user", "dev"}, {"auth", false}}));
}

TEST_CASE("Framework: served errors are JSON with the security headers on every response") {
  Keys k;
  Served s(fake_router(), k.security());
  auto reader = k.make({"read"});
  auto r = http(s.port(), "GET", "/nope");
  CHECK(r.status == 404);
  CHECK(r.header("Content-Type") == "application/json");
  CHECK(r.json() == json({{"detail", "Not Found"}}));
  check_security_headers(r);
  r = http(s.port(), "PUT", "/api/v1/items");
  CHECK(r.status == 405);
  CHECK(r.json() == json({{"detail", "Method Not Allowed"}}));
  check_security_headers(r);
  r = http(s.port(), "GET", "/api/v1/items");
  CHECK(r.status == 401);
  CHECK(r.header("WWW-Authenticate") == "ApiKey");
  check_security_headers(r);
  r = http(s.port(), "GET", "/api/v1/items", std::nullopt, {{"x-api-key", "ax_nope"}});
  CHECK(r.status == 401);
  CHECK(r.json()["detail"] == "Invalid or expired API key");
  r = http(s.port(), "POST", "/api/v1/items", "{}", {{"X-API-Key", reader}});
  CHECK(r.status == 403);
  CHECK(r.json()["detail"] == "Insufficient scope \u2014 requires 'write'");
  r = http(s.port(), "GET", "/api/v1/items/a%20b", std::nullopt, {{"X-API-KEY", reader}});
  CHECK(r.status == 200);
  CHECK(r.json()["id"] == "a b");
  auto admin = k.make({"admin"});
  r = http(s.port(), "POST", "/api/v1/boom", "", {{"X-API-Key", admin}});
  CHECK(r.status == 500);
  CHECK(r.body == R"({"detail":"Internal server error"})");
  check_security_headers(r);
  r = http(s.port(), "GET", "/open");
  CHECK(r.status == 200);
  check_security_headers(r);
}

TEST_CASE("Framework: a body over max_request_bytes answers 413 JSON, smaller ones pass") {
  Keys k;
  api::ServerOptions o;
  o.max_request_bytes = 1000;
  Served s(fake_router(), k.security(), o);
  auto w = k.make({"write"});
  std::string ok_body = R"({"n":1,"pad":")" + std::string(900, 'x') + "\"}";
  auto r = http(s.port(), "POST", "/api/v1/items", ok_body, {{"X-API-Key", w}});
  CHECK(r.status == 201);
  std::string big = R"({"n":1,"pad":")" + std::string(5000, 'x') + "\"}";
  r = http(s.port(), "POST", "/api/v1/items", big, {{"X-API-Key", w}});
  CHECK(r.status == 413);
  CHECK(r.json() == json({{"detail", "Request too large"}}));
  check_security_headers(r);
  // Far beyond the parser's buffer too (headers + 1000 + slack).
  std::string huge = R"({"pad":")" + std::string(200000, 'x') + "\"}";
  r = http(s.port(), "POST", "/api/v1/items", huge, {{"X-API-Key", w}});
  CHECK(r.status == 413);
  CHECK(r.json() == json({{"detail", "Request too large"}}));
  // The server keeps serving.
  CHECK(http(s.port(), "GET", "/open").status == 200);
}

TEST_CASE("Framework: HTTP/1.1 keep-alive without a Connection header, request ids, CORS and preflight") {
  Keys k;
  Served s(fake_router(), k.security());
  {
    HttpConnection c(s.port());
    auto req = test::build_request("GET", "/open", std::nullopt, {}, /*keep_alive=*/true);
    auto a = c.roundtrip(req);
    CHECK(a.status == 200);
    CHECK(a.header("Connection") == "keep-alive");  // P-13: not Close
    auto b = c.roundtrip(test::build_request("GET", "/open", std::nullopt, {{"X-Request-ID", "abc-123"}}, true));
    CHECK(b.status == 200);
    CHECK(b.header("X-Request-ID") == "abc-123");
    CHECK(b.header("X-Correlation-ID") == "abc-123");
    CHECK(a.header("X-Request-ID") != b.header("X-Request-ID"));
    CHECK(a.header("X-Request-ID").size() == 36);
  }
  {
    // A client that asks to close gets the reply, then the end of the stream.
    HttpConnection c(s.port());
    auto a = c.roundtrip(test::build_request("GET", "/open", std::nullopt, {}, /*keep_alive=*/false));
    CHECK(a.status == 200);
    CHECK(a.header("Connection") == "close");
    CHECK(c.peer_closed());
  }
  auto r = http(s.port(), "GET", "/open", std::nullopt, {{"Origin", "http://localhost:3000"}});
  CHECK(r.header("Access-Control-Allow-Origin") == "http://localhost:3000");
  CHECK(r.header("Access-Control-Allow-Credentials") == "true");
  r = http(s.port(), "GET", "/open", std::nullopt, {{"Origin", "http://evil.example"}});
  CHECK_FALSE(r.has("Access-Control-Allow-Origin"));
  r = http(s.port(), "OPTIONS", "/api/v1/items", std::nullopt,
           {{"Origin", "http://localhost:8501"}, {"Access-Control-Request-Method", "POST"},
            {"Access-Control-Request-Headers", "X-API-Key, Content-Type"}});
  CHECK(r.status == 200);
  CHECK(r.header("Access-Control-Allow-Origin") == "http://localhost:8501");
  CHECK(r.header("Access-Control-Allow-Methods") == "GET, POST, PUT, DELETE, OPTIONS");
  CHECK(r.header("Access-Control-Allow-Headers") == "Authorization, Content-Type, X-API-Key, X-Request-ID, X-Workspace-ID");
  check_security_headers(r);
  r = http(s.port(), "OPTIONS", "/api/v1/items", std::nullopt,
           {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(r.status == 400);
  CHECK(r.json()["detail"] == "Disallowed CORS origin");
  // A plain OPTIONS is an ordinary request: 405 on a known path.
  CHECK(http(s.port(), "OPTIONS", "/api/v1/items").status == 405);

  api::ServerOptions o;
  o.hsts = true;
  o.cors_origins = {"https://app.example"};
  Served h(fake_router(), k.security(), o);
  r = http(h.port(), "GET", "/open", std::nullopt, {{"Origin", "https://app.example"}});
  CHECK(r.header("Strict-Transport-Security") == "max-age=31536000; includeSubDomains");
  CHECK(r.header("Access-Control-Allow-Origin") == "https://app.example");
}

TEST_CASE("Framework: rate limits per key with headers, 429 with Retry-After, unlimited routes exempt") {
  Keys k;
  Served s(fake_router(), k.security());
  auto free_key = k.make({"write"}, "free");
  for (int i = 0; i < 10; ++i) {
    auto r = http(s.port(), "GET", "/api/v1/items", std::nullopt, {{"X-API-Key", free_key}});
    REQUIRE(r.status == 200);
    CHECK(r.header("X-RateLimit-Limit") == "10");
    CHECK(r.header("X-RateLimit-Remaining") == std::to_string(9 - i));
    CHECK(r.header("X-RateLimit-Daily-Remaining") == std::to_string(99 - i));
  }
  auto r = http(s.port(), "GET", "/api/v1/items", std::nullopt, {{"X-API-Key", free_key}});
  CHECK(r.status == 429);
  CHECK(r.json()["detail"] == "Rate limit exceeded (per_minute)");
  int retry = std::stoi(r.header("Retry-After"));
  CHECK(retry >= 1);
  CHECK(retry <= 60);
  CHECK(r.header("X-RateLimit-Remaining") == "0");
  CHECK(http(s.port(), "POST", "/api/v1/urgent", "", {{"X-API-Key", free_key}}).status == 200);
  // Another key has its own bucket; rate_limit = false switches limiting off.
  CHECK(http(s.port(), "GET", "/api/v1/items", std::nullopt, {{"X-API-Key", k.make({"read"}, "free")}}).status == 200);
  Served off(fake_router(), k.security(true, false));
  r = http(off.port(), "GET", "/api/v1/items", std::nullopt, {{"X-API-Key", free_key}});
  CHECK(r.status == 200);
  CHECK_FALSE(r.has("X-RateLimit-Limit"));
}

TEST_CASE("Framework: a bound port is a clear start-up error naming the address") {
  Keys k;
  Served s(fake_router(), k.security());
  api::ServerOptions o;
  o.port = s.port();
  o.threads = 1;
  api::Server second(o, fake_router(), k.security());
  try {
    second.start();
    // SO_REUSEADDR does not allow two listeners; if the kernel allowed it, stop quietly.
    second.stop();
    WARN("second bind succeeded");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("cannot listen on 127.0.0.1:" + std::to_string(s.port())) == 0);
  }
}
