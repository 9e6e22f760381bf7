// guard/freshness through the built shared library (AXION_PLUGIN_SO) and the SDK fakes.
#include <catch2/catch.hpp>

#include <cstdint>
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

constexpr std::int64_t kSec = 1'000'000;

// A valid signal stamped `age_us` before the host's current engine time.
Signal aged(const FakeHost& host, std::int64_t age_us) {
  return make_signal({.ts_us = host.clock.now_us() - age_us});
}

std::string config_error_key(const json& config) {
  return axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, config);
}

}  // namespace

TEST_CASE("manifest and schema") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(g.manifest().kind == AXION_KIND_GUARD);
  CHECK(std::string(g.manifest().name) == "freshness");
  auto schema = g.schema();
  REQUIRE(schema.size() == 1);
  CHECK(schema[0]["key"] == "max_age_seconds");
  CHECK(schema[0]["type"] == "double");
  CHECK(schema[0]["default"].get<double>() == 120.0);
}

TEST_CASE("default 120 s: exactly 120 s passes, 121 s is stale (acceptance example 2)") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(g.check(aged(host, 0)).pass);
  CHECK(g.check(aged(host, 60 * kSec)).pass);
  CHECK(g.check(aged(host, 120 * kSec)).pass);

  auto v = g.check(aged(host, 121 * kSec));
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Stale signal: age exceeds 120.0s");

  // Strict: one microsecond past the limit is stale.
  v = g.check(aged(host, 120 * kSec + 1));
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Stale signal: age exceeds 120.0s");
}

TEST_CASE("age follows the engine clock, not the signal alone") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  Signal s = aged(host, 0);
  CHECK(g.check(s).pass);
  host.clock.advance_seconds(120);
  CHECK(g.check(s).pass);
  host.clock.advance_seconds(1);
  CHECK_FALSE(g.check(s).pass);
  // The wall clock is irrelevant.
  host.wall_us = s.ts_us;
  CHECK_FALSE(g.check(s).pass);
}

TEST_CASE("future-dated signals pass") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(g.check(aged(host, -1)).pass);
  CHECK(g.check(aged(host, -3600 * kSec)).pass);
  CHECK(g.check(aged(host, -400LL * 86400 * kSec)).pass);
}

TEST_CASE("a configured max age, with its shortest-float reason") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host, json{{"max_age_seconds", 90.5}});
  CHECK(g.check(aged(host, 90 * kSec + 500'000)).pass);
  auto v = g.check(aged(host, 90 * kSec + 500'001));
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Stale signal: age exceeds 90.5s");
  CHECK(g.check(aged(host, 121 * kSec)).reason == "Stale signal: age exceeds 90.5s");
}

TEST_CASE("reason formats: integers gain .0, fractions stay shortest") {
  struct Case {
    json value;
    std::string text;
  };
  for (const auto& c :
       {Case{30, "30.0"}, Case{0.25, "0.25"}, Case{600.0, "600.0"}, Case{0.1, "0.1"},
        Case{86400, "86400.0"}, Case{1.0 / 3, "0.3333333333333333"}}) {
    CAPTURE(c.value.dump());
    FakeHost host;
    PluginHarness g(AXION_PLUGIN_SO, host, json{{"max_age_seconds", c.value}});
    auto v = g.check(aged(host, 100000LL * kSec));
    CHECK_FALSE(v.pass);
    CHECK(v.reason == "Stale signal: age exceeds " + c.text + "s");
  }
}

TEST_CASE("config errors name the key") {
  CHECK(config_error_key(json{{"max_age_seconds", -1}}) == "max_age_seconds");
  CHECK(config_error_key(json{{"max_age_seconds", 0}}) == "max_age_seconds");
  CHECK(config_error_key(json{{"max_age_seconds", 0.0}}) == "max_age_seconds");
  CHECK(config_error_key(json{{"max_age_seconds", "120"}}) == "max_age_seconds");
  CHECK(config_error_key(json{{"max_age_seconds", true}}) == "max_age_seconds");
  CHECK(config_error_key(json{{"max_age", 60.0}}) == "max_age");
  CHECK(config_error_key(json{{"max_age_seconds", 1e-3}}) == "<accepted>");
  CHECK(config_error_key(json{{"max_age_seconds", 300}}) == "<accepted>");
}
