// guard/market_hours through the built shared library (AXION_PLUGIN_SO) and the SDK fakes.
//
// Engine times are written in UTC on purpose: the expected ET wall time in each reason is worked
// out by hand (EST = UTC-5 in winter, EDT = UTC-4 in summer), not by the helpers under test.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/signals.hpp"
#include "axion/sdk/time.hpp"

using axion::sdk::Signal;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

std::int64_t utc(int y, unsigned mo, unsigned d, unsigned hh, unsigned mm, unsigned ss = 0) {
  namespace t = axion::sdk::time;
  return t::days_from_civil(y, mo, d) * t::kUsPerDay +
         (hh * 3600LL + mm * 60LL + ss) * t::kUsPerSec;
}

// The verdict's reason at engine time `now_us`; "" when the signal passes.
std::string at(FakeHost& host, PluginHarness& g, std::int64_t now_us,
               const std::string& timeframe = "5m") {
  host.clock.set_us(now_us);
  const Signal s = make_signal({.timeframe = timeframe, .ts_us = now_us});
  auto v = g.check(s);
  if (v.pass) return "";
  CHECK_FALSE(v.reason.empty());
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
  CHECK(std::string(g.manifest().name) == "market_hours");
  auto schema = g.schema();
  REQUIRE(schema.size() == 3);
  CHECK(schema[0]["key"] == "holidays");
  CHECK(schema[0]["default"] == json::array());
  CHECK(schema[1]["key"] == "extended_hours");
  CHECK(schema[1]["default"] == false);
  CHECK(schema[2]["key"] == "allow_daily");
  CHECK(schema[2]["default"] == true);
}

TEST_CASE("regular session in January (EST, UTC-5)") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(at(host, g, utc(2026, 1, 14, 14, 29, 59)) == "Market closed: 2026-01-14 09:29 ET");
  CHECK(at(host, g, utc(2026, 1, 14, 14, 30)) == "");
  CHECK(at(host, g, utc(2026, 1, 14, 17, 0)) == "");
  CHECK(at(host, g, utc(2026, 1, 14, 20, 59, 59)) == "");
  CHECK(at(host, g, utc(2026, 1, 14, 21, 0)) == "Market closed: 2026-01-14 16:00 ET");
  CHECK(at(host, g, utc(2026, 1, 14, 13, 45)) == "Market closed: 2026-01-14 08:45 ET");
}

TEST_CASE("regular session in July (EDT, UTC-4)") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(at(host, g, utc(2026, 7, 15, 13, 29, 59)) == "Market closed: 2026-07-15 09:29 ET");
  CHECK(at(host, g, utc(2026, 7, 15, 13, 30)) == "");
  CHECK(at(host, g, utc(2026, 7, 15, 19, 59, 59)) == "");
  CHECK(at(host, g, utc(2026, 7, 15, 20, 0)) == "Market closed: 2026-07-15 16:00 ET");
  // The same UTC time of day is in session in July but not in January.
  CHECK(at(host, g, utc(2026, 7, 15, 14, 0)) == "");
  CHECK(at(host, g, utc(2026, 1, 14, 14, 0)) == "Market closed: 2026-01-14 09:00 ET");
  CHECK(at(host, g, utc(2026, 1, 14, 20, 30)) == "");
  CHECK(at(host, g, utc(2026, 7, 15, 20, 30)) == "Market closed: 2026-07-15 16:30 ET");
}

TEST_CASE("across the DST switches") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  // DST starts Sunday 2026-03-08: Friday before is EST, Monday after is EDT.
  CHECK(at(host, g, utc(2026, 3, 6, 13, 30)) == "Market closed: 2026-03-06 08:30 ET");
  CHECK(at(host, g, utc(2026, 3, 6, 14, 30)) == "");
  CHECK(at(host, g, utc(2026, 3, 9, 13, 30)) == "");
  CHECK(at(host, g, utc(2026, 3, 9, 20, 0)) == "Market closed: 2026-03-09 16:00 ET");
  // DST ends Sunday 2026-11-01: Friday before is EDT, Monday after is EST.
  CHECK(at(host, g, utc(2026, 10, 30, 13, 30)) == "");
  CHECK(at(host, g, utc(2026, 11, 2, 13, 30)) == "Market closed: 2026-11-02 08:30 ET");
  CHECK(at(host, g, utc(2026, 11, 2, 14, 30)) == "");
  // Historical rules (before 2007 DST began the first Sunday of April): 2005-04-01 is EST.
  CHECK(at(host, g, utc(2005, 4, 1, 14, 0)) == "Market closed: 2005-04-01 09:00 ET");
  CHECK(at(host, g, utc(2005, 4, 4, 14, 0)) == "");
}

TEST_CASE("weekends are closed, in ET dates") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  CHECK(at(host, g, utc(2026, 7, 18, 15, 0)) == "Market closed: 2026-07-18 11:00 ET");
  CHECK(at(host, g, utc(2026, 7, 19, 18, 0)) == "Market closed: 2026-07-19 14:00 ET");
  // Monday 03:00 UTC is still Sunday evening in New York.
  CHECK(at(host, g, utc(2026, 1, 12, 3, 0)) == "Market closed: 2026-01-11 22:00 ET");
}

TEST_CASE("the engine clock decides, not the signal's timestamp") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host);
  host.clock.set_us(utc(2026, 7, 18, 15, 0));  // Saturday
  Signal s = make_signal({.ts_us = utc(2026, 7, 15, 15, 0)});  // a Wednesday mid-session
  CHECK(g.check(s).reason == "Market closed: 2026-07-18 11:00 ET");
  host.clock.set_us(utc(2026, 7, 15, 15, 0));
  s.ts_us = utc(2026, 7, 18, 15, 0);
  CHECK(g.check(s).pass);
}

TEST_CASE("extended hours: 04:00 to 20:00 ET on weekdays") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host, json{{"extended_hours", true}});
  CHECK(at(host, g, utc(2026, 7, 15, 7, 59)) == "Market closed: 2026-07-15 03:59 ET");
  CHECK(at(host, g, utc(2026, 7, 15, 8, 0)) == "");
  CHECK(at(host, g, utc(2026, 7, 15, 13, 0)) == "");   // 09:00 ET, pre-market
  CHECK(at(host, g, utc(2026, 7, 15, 21, 30)) == "");  // 17:30 ET, after hours
  CHECK(at(host, g, utc(2026, 7, 15, 23, 59, 59)) == "");
  CHECK(at(host, g, utc(2026, 7, 16, 0, 0)) == "Market closed: 2026-07-15 20:00 ET");
  CHECK(at(host, g, utc(2026, 1, 14, 9, 0)) == "");  // 04:00 EST
  CHECK(at(host, g, utc(2026, 1, 14, 8, 59)) == "Market closed: 2026-01-14 03:59 ET");
  CHECK(at(host, g, utc(2026, 1, 15, 0, 59)) == "");  // 19:59 EST
  CHECK(at(host, g, utc(2026, 1, 15, 1, 0)) == "Market closed: 2026-01-14 20:00 ET");
  // Still closed on weekends.
  CHECK(at(host, g, utc(2026, 7, 18, 15, 0)) == "Market closed: 2026-07-18 11:00 ET");

  FakeHost host2;
  PluginHarness regular(AXION_PLUGIN_SO, host2, json{{"extended_hours", false}});
  CHECK(at(host2, regular, utc(2026, 7, 15, 21, 30)) == "Market closed: 2026-07-15 17:30 ET");
}

TEST_CASE("holidays close the whole ET date") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host,
                  json{{"holidays", {"2026-07-03", "2026-07-04", "2026-12-25"}}});
  CHECK(at(host, g, utc(2026, 7, 3, 15, 0)) == "Market holiday: 2026-07-03");
  CHECK(at(host, g, utc(2026, 7, 3, 4, 30)) == "Market holiday: 2026-07-03");  // 00:30 ET
  CHECK(at(host, g, utc(2026, 7, 4, 2, 0)) == "Market holiday: 2026-07-03");   // 22:00 ET
  CHECK(at(host, g, utc(2026, 7, 3, 3, 0)) == "Market closed: 2026-07-02 23:00 ET");
  // A holiday on a weekend: the holiday reason comes first.
  CHECK(at(host, g, utc(2026, 7, 4, 15, 0)) == "Market holiday: 2026-07-04");
  CHECK(at(host, g, utc(2026, 12, 25, 15, 0)) == "Market holiday: 2026-12-25");
  // The day after is an ordinary session day.
  CHECK(at(host, g, utc(2026, 12, 28, 15, 0)) == "");

  FakeHost host2;
  PluginHarness ext(AXION_PLUGIN_SO, host2,
                    json{{"holidays", {"2026-07-03"}}, {"extended_hours", true}});
  CHECK(at(host2, ext, utc(2026, 7, 3, 15, 0)) == "Market holiday: 2026-07-03");
}

TEST_CASE("allow_daily: 1d signals pass outside the session") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host, json{{"holidays", {"2026-07-03"}}});
  CHECK(at(host, g, utc(2026, 7, 15, 2, 0), "1d") == "");   // night
  CHECK(at(host, g, utc(2026, 7, 18, 15, 0), "1d") == "");  // Saturday
  CHECK(at(host, g, utc(2026, 7, 3, 15, 0), "1d") == "");   // holiday
  CHECK(at(host, g, utc(2026, 7, 15, 15, 0), "1d") == "");  // in session
  // Only the exact timeframe "1d".
  CHECK(at(host, g, utc(2026, 7, 18, 15, 0), "1h") == "Market closed: 2026-07-18 11:00 ET");
  CHECK(at(host, g, utc(2026, 7, 18, 15, 0), "1D") == "Market closed: 2026-07-18 11:00 ET");
  CHECK(at(host, g, utc(2026, 7, 3, 15, 0), "5m") == "Market holiday: 2026-07-03");
}

TEST_CASE("allow_daily = false: 1d signals follow the session too") {
  FakeHost host;
  PluginHarness g(AXION_PLUGIN_SO, host,
                  json{{"allow_daily", false}, {"holidays", {"2026-07-03"}}});
  CHECK(at(host, g, utc(2026, 7, 15, 2, 0), "1d") == "Market closed: 2026-07-14 22:00 ET");
  CHECK(at(host, g, utc(2026, 7, 18, 15, 0), "1d") == "Market closed: 2026-07-18 11:00 ET");
  CHECK(at(host, g, utc(2026, 7, 3, 15, 0), "1d") == "Market holiday: 2026-07-03");
  CHECK(at(host, g, utc(2026, 7, 15, 15, 0), "1d") == "");
}

TEST_CASE("config errors name the key") {
  for (const char* bad : {"2026-13-01", "2026-02-30", "2026/07/03", "2026-7-3", "20260703",
                          "2026-07-03 ", " 2026-07-03", "2026-07-3x", "", "July 4"}) {
    CAPTURE(bad);
    CHECK(config_error_key(json{{"holidays", {"2026-07-03", bad}}}) == "holidays");
  }
  CHECK(config_error_key(json{{"holidays", "2026-07-03"}}) == "holidays");
  CHECK(config_error_key(json{{"holidays", {20260703}}}) == "holidays");
  CHECK(config_error_key(json{{"extended_hours", "yes"}}) == "extended_hours");
  CHECK(config_error_key(json{{"allow_daily", 1}}) == "allow_daily");
  CHECK(config_error_key(json{{"timezone", "America/New_York"}}) == "timezone");
  CHECK(config_error_key(json{{"holidays", {"2028-02-29", "2026-01-01"}}}) == "<accepted>");
}

TEST_CASE("a malformed holiday's message quotes it") {
  FakeHost host;
  try {
    PluginHarness g(AXION_PLUGIN_SO, host, json{{"holidays", {"2026-02-30"}}});
    FAIL("accepted");
  } catch (const PluginCallError& e) {
    CHECK(std::string(e.what()) == "key 'holidays': '2026-02-30' is not a valid YYYY-MM-DD date");
  }
}
