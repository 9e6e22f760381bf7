// guard/symbols through the built shared library (AXION_PLUGIN_SO) and the SDK fakes.
#include <catch2/catch.hpp>

#include <string>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/signals.hpp"

using axion::sdk::Signal;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

Signal for_ticker(const std::string& ticker) { return make_signal({.ticker = ticker}); }

std::string reason_for(PluginHarness& g, const std::string& ticker) {
  auto v = g.check(for_ticker(ticker));
  REQUIRE_FALSE(v.pass);
  return v.reason;
}

std::string config_error_key(const json& config) {
  return axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, config);
}

}  // namespace

TEST_CASE("manifest and schema") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(g.manifest().kind == AXION_KIND_GUARD);
  CHECK(std::string(g.manifest().name) == "symbols");
  auto schema = g.schema();
  REQUIRE(schema.size() == 2);
  CHECK(schema[0]["key"] == "allow");
  CHECK(schema[0]["type"] == "string list");
  CHECK(schema[0]["default"] == json::array());
  CHECK(schema[1]["key"] == "restricted");
  CHECK(schema[1]["type"] == "string list");
  CHECK(schema[1]["default"] == json::array());
}

TEST_CASE("defaults: every symbol passes") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  for (const char* t : {"AAPL", "msft", "BRK.B", "SPY"}) CHECK(g.check(for_ticker(t)).pass);
}

TEST_CASE("allow list, case-insensitive") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host, json{{"allow", {"AAPL", "msft"}}});
  CHECK(g.check(for_ticker("AAPL")).pass);
  CHECK(g.check(for_ticker("aapl")).pass);
  CHECK(g.check(for_ticker("MSFT")).pass);
  CHECK(g.check(for_ticker("Msft")).pass);
  CHECK(reason_for(g, "TSLA") == "Symbol TSLA not in allow list");
  CHECK(reason_for(g, "tsla") == "Symbol tsla not in allow list");  // ticker as given
  CHECK(reason_for(g, "AAP") == "Symbol AAP not in allow list");    // whole-symbol match
  CHECK(reason_for(g, "") == "Symbol  not in allow list");
}

TEST_CASE("restricted list, case-insensitive") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host, json{{"restricted", {"gme", "AMC"}}});
  CHECK(g.check(for_ticker("AAPL")).pass);
  CHECK(reason_for(g, "GME") == "Symbol GME is restricted");
  CHECK(reason_for(g, "gme") == "Symbol gme is restricted");
  CHECK(reason_for(g, "amc") == "Symbol amc is restricted");
  CHECK(g.check(for_ticker("AMCX")).pass);
}

TEST_CASE("both lists: allow is checked first, restricted still applies inside it") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host,
                  json{{"allow", {"AAPL", "GME"}}, {"restricted", {"gme", "TSLA"}}});
  CHECK(g.check(for_ticker("AAPL")).pass);
  CHECK(reason_for(g, "GME") == "Symbol GME is restricted");
  CHECK(reason_for(g, "TSLA") == "Symbol TSLA not in allow list");
  CHECK(reason_for(g, "NVDA") == "Symbol NVDA not in allow list");
}

TEST_CASE("config errors name the key") {
  CHECK(config_error_key(json{{"allow", "AAPL"}}) == "allow");
  CHECK(config_error_key(json{{"allow", {"AAPL", 3}}}) == "allow");
  CHECK(config_error_key(json{{"allow", {""}}}) == "allow");
  CHECK(config_error_key(json{{"restricted", {"GME "}}}) == "restricted");
  CHECK(config_error_key(json{{"restricted", true}}) == "restricted");
  CHECK(config_error_key(json{{"deny", {"GME"}}}) == "deny");
  CHECK(config_error_key(json{{"allow", json::array()}, {"restricted", {"GME"}}}) == "<accepted>");
}
