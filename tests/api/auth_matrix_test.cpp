// The auth matrix of issue 9 §C, generated from GET /api/v1/openapi.json: every served endpoint
// × {no key, malformed key, revoked key, read, write, admin} answers exactly the status of
// control.md §1.1–§2.3. The expectation table below is the spec's; an endpoint the server
// describes without an entry here fails the test, and so does an entry the server lacks.
#include <catch2/catch.hpp>

#include <cctype>
#include <map>
#include <optional>
#include <string>

#include "api_fixture.hpp"

using namespace axion;
using core::json;
using test::ApiFixture;

namespace {

const std::string V = "/api/v1";

struct Expectation {
  std::string scope;                // control.md §2.3: "" (public), read, write or admin
  std::string url;                  // the concrete request ("{key_id}" is filled per request)
  std::optional<std::string> body;  // JSON body, sent with Content-Type: application/json
  int allowed;                      // the status a key with the scope gets in the test's state
};

// control.md §1.1 and §1.7, in the state the test keeps between requests: a paper engine that is
// running, has no kill, and ema_cloud enabled. Keys are enterprise tier (no 429 here).
const std::map<std::string, Expectation>& expectations() {
  static const std::map<std::string, Expectation> table = {
      {"POST /api/v1/bot/start", {"write", V + "/bot/start", std::nullopt, 409}},  // already running
      {"POST /api/v1/bot/stop", {"write", V + "/bot/stop", std::nullopt, 200}},
      {"POST /api/v1/bot/pause", {"write", V + "/bot/pause", std::nullopt, 200}},
      {"POST /api/v1/bot/resume", {"write", V + "/bot/resume", std::nullopt, 409}},  // not paused
      {"POST /api/v1/bot/kill", {"write", V + "/bot/kill", R"({"reason":"matrix","level":"block_new"})", 200}},
      {"POST /api/v1/bot/kill/reset", {"write", V + "/bot/kill/reset", std::nullopt, 409}},  // no kill
      {"GET /api/v1/bot/status", {"read", V + "/bot/status", std::nullopt, 200}},
      {"GET /api/v1/bot/positions", {"read", V + "/bot/positions", std::nullopt, 200}},
      {"GET /api/v1/bot/history", {"read", V + "/bot/history?limit=5", std::nullopt, 200}},
      {"PUT /api/v1/bot/config", {"write", V + "/bot/config", R"({"max_events_displayed":100})", 200}},
      {"GET /api/v1/bot/config", {"read", V + "/bot/config", std::nullopt, 200}},
      {"GET /api/v1/strategies", {"read", V + "/strategies", std::nullopt, 200}},
      {"GET /api/v1/strategies/stats", {"read", V + "/strategies/stats", std::nullopt, 200}},
      {"GET /api/v1/strategies/{name}", {"read", V + "/strategies/ema_cloud", std::nullopt, 200}},
      {"PUT /api/v1/strategies/{name}/enable", {"write", V + "/strategies/ema_cloud/enable", std::nullopt, 200}},
      {"PUT /api/v1/strategies/{name}/disable", {"write", V + "/strategies/ema_cloud/disable", std::nullopt, 200}},
      {"POST /api/v1/strategies/{name}/analyze",
       {"read", V + "/strategies/ema_cloud/analyze",
        R"({"ticker":"X","opens":[],"highs":[],"lows":[],"closes":[],"volumes":[]})", 200}},
      {"POST /api/v1/keys", {"admin", V + "/keys", R"({"name":"matrix"})", 201}},
      {"GET /api/v1/keys", {"read", V + "/keys", std::nullopt, 200}},
      {"DELETE /api/v1/keys/{key_id}", {"admin", V + "/keys/{key_id}", std::nullopt, 200}},
      {"GET /api/v1/plugins", {"read", V + "/plugins", std::nullopt, 200}},
      {"POST /api/v1/plugins/{kind}/{name}/reload", {"admin", V + "/plugins/strategy/ema_cloud/reload", std::nullopt, 200}},
      {"GET /api/v1/openapi.json", {"", V + "/openapi.json", std::nullopt, 200}},
      {"GET /health", {"", "/health", std::nullopt, 200}},
      {"GET /metrics", {"", "/metrics", std::nullopt, 200}},
  };
  return table;
}

// control.md §2.3: admin grants everything, write satisfies read, otherwise the exact scope.
bool grants(const std::string& key_scope, const std::string& required) {
  return key_scope == "admin" || key_scope == required || (key_scope == "write" && required == "read");
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("REST auth matrix from the OpenAPI document: every endpoint x six callers, exact statuses") {
  ApiFixture fx("matrix");
  auto& e = fx.engine();
  auto create = [&](const std::string& scope) { return fx.keys().create("tester", "m", {scope}, "enterprise", std::nullopt); };
  const auto revoked = create("admin");
  REQUIRE(fx.keys().revoke("tester", revoked.key.key_id));
  const std::map<std::string, std::string> callers = {
      {"no key", ""},
      {"malformed key", "not-a-key"},
      {"revoked key", revoked.raw},
      {"read", create("read").raw},
      {"write", create("write").raw},
      {"admin", create("admin").raw},
  };
  // Back to the table's state after a request that changed it.
  auto baseline = [&] {
    e.call([&] {
      auto& c = e.controller();
      if (c.status() == "killed") c.reset_kill(core::KillScope::Global, "", "matrix");
      if (c.status() == "paused") c.resume("matrix");
      if (c.status() == "stopped") c.start(std::nullopt, false, "matrix");
      e.set_strategy_enabled("ema_cloud", true, "matrix");
    });
  };

  auto doc = fx.get(V + "/openapi.json");
  REQUIRE(doc.status == 200);
  const json paths = doc.json()["paths"];
  std::map<std::string, bool> covered;
  for (const auto& [k, x] : expectations()) covered[k] = false;

  for (auto p = paths.begin(); p != paths.end(); ++p) {
    for (auto m = p.value().begin(); m != p.value().end(); ++m) {
      const std::string endpoint = upper(m.key()) + " " + p.key();
      INFO(endpoint);
      auto it = expectations().find(endpoint);
      if (it == expectations().end()) {
        FAIL_CHECK("no auth expectation for " << endpoint << ": add it to the table from control.md");
        continue;
      }
      covered[endpoint] = true;
      const Expectation& x = it->second;
      // The document states the scope the spec gives the endpoint.
      CHECK(m.value().value("x-required-scope", std::string()) == x.scope);

      for (const auto& [caller, key] : callers) {
        INFO(caller);
        int expected = x.allowed;
        if (!x.scope.empty()) {
          if (caller == "no key" || caller == "malformed key" || caller == "revoked key") expected = 401;
          else if (!grants(caller, x.scope)) expected = 403;
        }
        std::string url = x.url;
        if (auto at = url.find("{key_id}"); at != std::string::npos) url.replace(at, 8, create("read").key.key_id);
        auto r = fx.call(upper(m.key()), url, key, x.body);
        CHECK(r.status == expected);
        if (r.status == 401) CHECK(r.header("WWW-Authenticate") == "ApiKey");
        if (r.status < 300) baseline();
      }
    }
  }
  for (const auto& [endpoint, seen] : covered) {
    INFO(endpoint);
    CHECK(seen);  // the server no longer describes an endpoint the spec lists
  }
}
