// routing/instrument through the built shared library (AXION_PLUGIN_SO) and the SDK fakes
// (pipeline.md §6.1, §6.5 case D, §1.10).
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "axion/sdk/testing/fakes.hpp"

using axion::sdk::Signal;
using axion::sdk::Verdict;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

const char* const kSo = AXION_PLUGIN_SO;
const std::string kUnavailable = "Option route unavailable: broker cannot trade options";

// The effective config of §6.5 (sideways at confidence 0.5) over the §1.7 defaults.
json effective(const std::string& mode = "both") {
  return {{"instrument_mode", mode},
          {"max_risk_per_trade", 0.04},
          {"max_single_stock_exposure", 0.15},
          {"position_size_multiplier", 0.8},
          {"stop_loss_mult", 0.9},
          {"high_conviction_order_type", "market"},
          {"medium_conviction_order_type", "limit"},
          {"scale_in_enabled", true},
          {"scale_in_initial_pct", 0.5},
          {"prefer_3x_for_day_trades", true},
          {"min_etf_daily_volume", 10'000'000.0},
          {"etf_sector_mapping", true},
          {"default_time_in_force", "day"}};
}

json context(const json& eff, bool broker_can_trade_options = false) {
  return {{"account",
           {{"equity", 100'000.0},
            {"cash", 100'000.0},
            {"buying_power", 1'000'000.0},
            {"starting_equity", 100'000.0}}},
          {"positions", json::array()},
          {"effective_config", eff},
          {"var_cap", 0.0},
          {"broker_can_trade_options", broker_can_trade_options}};
}

Signal make(const std::string& ticker, const std::string& direction, const std::string& timeframe,
            double entry = 200.0) {
  Signal s;
  s.signal_type = direction == "long" ? "cloud_flip_bullish" : "cloud_flip_bearish";
  s.direction = direction;
  s.ticker = ticker;
  s.timeframe = timeframe;
  s.conviction = 80;
  s.entry_price = entry;
  s.stop_loss = direction == "long" ? entry * 0.98 : entry * 1.02;
  s.ts_us = 1'770'647'400'000'000;
  return s;
}

struct Routed {
  Verdict verdict;
  json decision;
};

Routed route(PluginHarness& r, const Signal& s, const json& ctx) {
  json decision;
  Verdict v = r.route(s, ctx, decision);
  return {v, decision};
}

// Quotes for every catalog ETF, distinct so a test sees which one priced the route.
void quote_all(FakeHost& host) {
  const char* etfs[] = {"TQQQ", "SQQQ", "QLD", "QID", "SPXL", "SPXS", "SSO", "SDS", "SOXL", "SOXS",
                        "TECL", "TECS", "FAS", "FAZ", "ERX",  "ERY",  "TNA", "TZA", "LABU", "LABD"};
  double p = 20.0;
  for (const char* e : etfs) {
    host.prices[e] = p;
    p += 1.25;
  }
}

std::size_t warnings(const FakeHost& host) {
  std::size_t n = 0;
  for (const auto& [level, text] : host.logs) n += level == AXION_LOG_WARN;
  return n;
}

std::string config_error_key(const json& config) {
  return axion::sdk::testing::config_error_key(kSo, config);
}

void check_stock_route(const json& d, const Signal& s) {
  CHECK(d["instrument_type"] == "stock");
  CHECK(d["ticker"] == s.ticker);
  CHECK(d["original_signal_ticker"] == s.ticker);
  CHECK(d["leverage"].get<double>() == 1.0);
  CHECK(d["is_inverse"] == false);
  CHECK(d["reference_price"].get<double>() == s.entry_price);
  CHECK_FALSE(d.contains("option"));
  CHECK_FALSE(d.contains("etf_metadata"));
}

}  // namespace

TEST_CASE("manifest and schema") {
  FakeHost host;
  PluginHarness r(kSo, host);
  CHECK(r.manifest().kind == AXION_KIND_ROUTING);
  CHECK(std::string(r.manifest().name) == "instrument");
  auto schema = r.schema();
  REQUIRE(schema.size() == 2);
  CHECK(schema[0]["key"] == "option_fallback");
  CHECK(schema[0]["type"] == "string");
  CHECK(schema[0]["default"] == "reject");
  CHECK(schema[0]["choices"] == json::array({"reject", "stock"}));
  CHECK(schema[1]["key"] == "etf_daily_volumes");
  CHECK(schema[1]["type"] == "string list");
  CHECK(schema[1]["default"] == json::array());
}

TEST_CASE("every cell of the routing table, modes by trade types") {
  struct Cell {
    const char* mode;
    const char* timeframe;
    const char* type;
  };
  // §6.1 table; AAPL (Technology) long, so an ETF cell routes to TECL.
  const Cell cell =
      GENERATE(Cell{"options", "5m", "option"}, Cell{"options", "10m", "stock"},
               Cell{"options", "1h", "stock"}, Cell{"leveraged_etf", "1m", "leveraged_etf"},
               Cell{"leveraged_etf", "10m", "leveraged_etf"},
               Cell{"leveraged_etf", "1d", "leveraged_etf"}, Cell{"both", "5m", "option"},
               Cell{"both", "10m", "leveraged_etf"}, Cell{"both", "1h", "stock"});
  CAPTURE(cell.mode, cell.timeframe);
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  Signal s = make("AAPL", "long", cell.timeframe);
  auto [v, d] = route(r, s, context(effective(cell.mode), /*broker_can_trade_options=*/true));
  REQUIRE(v.pass);
  CHECK(d["instrument_type"] == cell.type);
  CHECK(d["original_signal_ticker"] == "AAPL");
  CHECK(d["ticker"] == (std::string(cell.type) == "leveraged_etf" ? "TECL" : "AAPL"));
  CHECK_FALSE(d.contains("fallback_from"));
}

TEST_CASE("trade type comes from the timeframe") {
  struct Case {
    const char* timeframe;
    const char* type;  // in mode both with an options-capable broker
  };
  const Case c = GENERATE(Case{"1m", "option"}, Case{"5m", "option"}, Case{"10m", "leveraged_etf"},
                          Case{"1h", "stock"}, Case{"1d", "stock"}, Case{"15m", "stock"},
                          Case{"4h", "stock"}, Case{"", "stock"});
  CAPTURE(c.timeframe);
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  auto [v, d] = route(r, make("MSFT", "long", c.timeframe), context(effective(), true));
  REQUIRE(v.pass);
  CHECK(d["instrument_type"] == c.type);
}

TEST_CASE("a stock route is priced at the signal entry") {
  FakeHost host;
  quote_all(host);
  host.prices["AAPL"] = 201.5;  // the feed's quote does not replace the signal entry
  PluginHarness r(kSo, host);
  Signal s = make("AAPL", "long", "1h", 200.0);
  auto [v, d] = route(r, s, context(effective()));
  REQUIRE(v.pass);
  check_stock_route(d, s);
  CHECK_FALSE(d.contains("fallback_from"));
}

TEST_CASE("case D: QQQ long 10m routes to TQQQ 3x at the TQQQ quote") {
  FakeHost host;
  host.prices["TQQQ"] = 50.0;
  host.prices["QQQ"] = 400.0;
  PluginHarness r(kSo, host);
  Signal s = make("QQQ", "long", "10m", 400.0);
  s.stop_loss = 396.0;
  auto [v, d] = route(r, s, context(effective()));
  REQUIRE(v.pass);
  CHECK(d["instrument_type"] == "leveraged_etf");
  CHECK(d["ticker"] == "TQQQ");
  CHECK(d["original_signal_ticker"] == "QQQ");
  CHECK(d["leverage"].get<double>() == 3.0);
  CHECK(d["is_inverse"] == false);
  CHECK(d["reference_price"].get<double>() == 50.0);
  CHECK_FALSE(d.contains("option"));
  CHECK_FALSE(d.contains("fallback_from"));
  REQUIRE(d.contains("etf_metadata"));
  const json& m = d["etf_metadata"];
  CHECK(m["ticker"] == "TQQQ");
  CHECK(m["tracks"] == "NASDAQ-100");
  CHECK(m["leverage"].get<double>() == 3.0);
  CHECK(m["is_inverse"] == false);
  CHECK(m["avg_daily_volume"].get<double>() == 0.0);  // unknown

  // The reference price follows the quote.
  host.prices["TQQQ"] = 51.37;
  auto again = route(r, s, context(effective()));
  REQUIRE(again.verdict.pass);
  CHECK(again.decision["reference_price"].get<double>() == 51.37);
}

TEST_CASE("sector table: long and short picks of every listed ticker") {
  struct Row {
    const char* ticker;
    const char* long_pick;
    const char* short_pick;
    double leverage;
  };
  const Row row = GENERATE(
      Row{"QQQ", "TQQQ", "SQQQ", 3}, Row{"SPY", "SPXL", "SPXS", 3}, Row{"IWM", "TNA", "TZA", 3},
      Row{"AAPL", "TECL", "TECS", 3}, Row{"MSFT", "TECL", "TECS", 3},
      Row{"GOOGL", "TECL", "TECS", 3}, Row{"META", "TECL", "TECS", 3},
      Row{"AMZN", "TECL", "TECS", 3}, Row{"NFLX", "TECL", "TECS", 3}, Row{"CRM", "TECL", "TECS", 3},
      Row{"ADBE", "TECL", "TECS", 3}, Row{"ORCL", "TECL", "TECS", 3},
      Row{"NVDA", "SOXL", "SOXS", 3}, Row{"AMD", "SOXL", "SOXS", 3}, Row{"AVGO", "SOXL", "SOXS", 3},
      Row{"INTC", "SOXL", "SOXS", 3}, Row{"MU", "SOXL", "SOXS", 3}, Row{"QCOM", "SOXL", "SOXS", 3},
      Row{"JPM", "FAS", "FAZ", 3}, Row{"BAC", "FAS", "FAZ", 3}, Row{"GS", "FAS", "FAZ", 3},
      Row{"MS", "FAS", "FAZ", 3}, Row{"C", "FAS", "FAZ", 3}, Row{"WFC", "FAS", "FAZ", 3},
      Row{"XOM", "ERX", "ERY", 2}, Row{"CVX", "ERX", "ERY", 2}, Row{"COP", "ERX", "ERY", 2},
      Row{"SLB", "ERX", "ERY", 2}, Row{"MRNA", "LABU", "LABD", 3}, Row{"BIIB", "LABU", "LABD", 3},
      Row{"GILD", "LABU", "LABD", 3}, Row{"AMGN", "LABU", "LABD", 3},
      Row{"REGN", "LABU", "LABD", 3},
      // unknown tickers, ETF tickers included, track the NASDAQ-100
      Row{"XYZ", "TQQQ", "SQQQ", 3}, Row{"TQQQ", "TQQQ", "SQQQ", 3}, Row{"TECL", "TQQQ", "SQQQ", 3},
      Row{"DIA", "TQQQ", "SQQQ", 3});
  CAPTURE(row.ticker);
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);

  auto lng = route(r, make(row.ticker, "long", "10m"), context(effective()));
  REQUIRE(lng.verdict.pass);
  CHECK(lng.decision["ticker"] == row.long_pick);
  CHECK(lng.decision["is_inverse"] == false);
  CHECK(lng.decision["leverage"].get<double>() == row.leverage);
  CHECK(lng.decision["reference_price"].get<double>() == host.prices.at(row.long_pick));

  // A short signal buys the inverse ETF (is_inverse true).
  auto sht = route(r, make(row.ticker, "short", "10m"), context(effective()));
  REQUIRE(sht.verdict.pass);
  CHECK(sht.decision["instrument_type"] == "leveraged_etf");
  CHECK(sht.decision["ticker"] == row.short_pick);
  CHECK(sht.decision["is_inverse"] == true);
  CHECK(sht.decision["leverage"].get<double>() == row.leverage);
  CHECK(sht.decision["etf_metadata"]["is_inverse"] == true);
  CHECK(sht.decision["original_signal_ticker"] == row.ticker);
  CHECK(sht.decision["reference_price"].get<double>() == host.prices.at(row.short_pick));
}

TEST_CASE("energy ETFs are 2x and their metadata says so") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  auto [v, d] = route(r, make("XOM", "short", "1h"), context(effective("leveraged_etf")));
  REQUIRE(v.pass);
  CHECK(d["ticker"] == "ERY");
  CHECK(d["etf_metadata"]["tracks"] == "Energy");
  CHECK(d["etf_metadata"]["leverage"].get<double>() == 2.0);
}

TEST_CASE("without sector mapping only the index tickers keep their index") {
  struct Row {
    const char* ticker;
    const char* pick;
  };
  const Row row =
      GENERATE(Row{"QQQ", "TQQQ"}, Row{"SPY", "SPXL"}, Row{"IWM", "TNA"}, Row{"AAPL", "TQQQ"},
               Row{"NVDA", "TQQQ"}, Row{"XOM", "TQQQ"}, Row{"XYZ", "TQQQ"});
  CAPTURE(row.ticker);
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  json eff = effective();
  eff["etf_sector_mapping"] = false;
  auto [v, d] = route(r, make(row.ticker, "long", "10m"), context(eff));
  REQUIRE(v.pass);
  CHECK(d["ticker"] == row.pick);
}

TEST_CASE("no ETF quote means a stock route") {
  FakeHost host;
  PluginHarness r(kSo, host);
  Signal s = make("AAPL", "long", "10m", 187.25);

  SECTION("no quote at all") {
    auto [v, d] = route(r, s, context(effective()));
    REQUIRE(v.pass);
    check_stock_route(d, s);
  }
  SECTION("quotes for other ETFs do not stand in") {
    host.prices["TQQQ"] = 50.0;
    host.prices["TECS"] = 30.0;
    auto [v, d] = route(r, s, context(effective()));
    REQUIRE(v.pass);
    check_stock_route(d, s);
  }
  SECTION("a zero quote is no quote") {
    host.prices["TECL"] = 0.0;
    auto [v, d] = route(r, s, context(effective("leveraged_etf")));
    REQUIRE(v.pass);
    check_stock_route(d, s);
  }
  SECTION("once quoted, the ETF route") {
    host.prices["TECL"] = 88.0;
    auto [v, d] = route(r, s, context(effective()));
    REQUIRE(v.pass);
    CHECK(d["ticker"] == "TECL");
    CHECK(d["reference_price"].get<double>() == 88.0);
  }
}

TEST_CASE("known ETF volumes below min_etf_daily_volume drop the candidate") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host, json{{"etf_daily_volumes", {"TQQQ=5000000", "TECL=9999999.5"}}});

  SECTION("TQQQ too thin: the 2x QLD is next") {
    auto [v, d] = route(r, make("QQQ", "long", "10m"), context(effective()));
    REQUIRE(v.pass);
    CHECK(d["ticker"] == "QLD");
    CHECK(d["leverage"].get<double>() == 2.0);
    CHECK(d["etf_metadata"]["avg_daily_volume"].get<double>() == 0.0);
  }
  SECTION("the floor comes from the effective config") {
    json eff = effective();
    eff["min_etf_daily_volume"] = 5'000'000.0;  // equal is not below
    auto [v, d] = route(r, make("QQQ", "long", "10m"), context(eff));
    REQUIRE(v.pass);
    CHECK(d["ticker"] == "TQQQ");
    CHECK(d["etf_metadata"]["avg_daily_volume"].get<double>() == 5'000'000.0);
  }
  SECTION("no candidate left: stock route") {
    Signal s = make("AAPL", "long", "10m");
    auto [v, d] = route(r, s, context(effective()));
    REQUIRE(v.pass);
    check_stock_route(d, s);
  }
  SECTION("the short side is not filtered") {
    auto [v, d] = route(r, make("AAPL", "short", "10m"), context(effective()));
    REQUIRE(v.pass);
    CHECK(d["ticker"] == "TECS");
  }
}

TEST_CASE("the highest leverage wins with or without prefer_3x_for_day_trades") {
  const bool prefer = GENERATE(true, false);
  CAPTURE(prefer);
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  json eff = effective();
  eff["prefer_3x_for_day_trades"] = prefer;
  auto [v, d] = route(r, make("SPY", "short", "10m"), context(eff));
  REQUIRE(v.pass);
  CHECK(d["ticker"] == "SPXS");
}

TEST_CASE("an option route describes the option when the broker can trade options") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  const std::string mode = GENERATE("options", "both");
  CAPTURE(mode);

  Signal lng = make("NVDA", "long", "5m", 131.5);
  auto a = route(r, lng, context(effective(mode), true));
  REQUIRE(a.verdict.pass);
  CHECK(a.decision["instrument_type"] == "option");
  CHECK(a.decision["ticker"] == "NVDA");
  CHECK(a.decision["original_signal_ticker"] == "NVDA");
  CHECK(a.decision["reference_price"].get<double>() == 131.5);
  CHECK(a.decision["option"]["underlying"] == "NVDA");
  CHECK(a.decision["option"]["right"] == "call");
  CHECK(a.decision["option"]["reference_price"].get<double>() == 131.5);
  CHECK_FALSE(a.decision.contains("fallback_from"));

  Signal sht = make("NVDA", "short", "1m", 131.5);
  auto b = route(r, sht, context(effective(mode), true));
  REQUIRE(b.verdict.pass);
  CHECK(b.decision["instrument_type"] == "option");
  CHECK(b.decision["option"]["right"] == "put");
  CHECK(warnings(host) == 0);
}

TEST_CASE("option_fallback reject: a broker without options rejects the option route") {
  FakeHost host;
  quote_all(host);
  const json config = GENERATE(json::object(), json{{"option_fallback", "reject"}});
  PluginHarness r(kSo, host, config);
  const std::string mode = GENERATE("options", "both");
  CAPTURE(mode);
  auto [v, d] = route(r, make("AAPL", "long", "5m"), context(effective(mode), false));
  CHECK_FALSE(v.pass);
  CHECK(v.reason == kUnavailable);
  // Non-option cells are unaffected.
  auto day = route(r, make("AAPL", "long", "1h"), context(effective(mode), false));
  CHECK(day.verdict.pass);
}

TEST_CASE("option_fallback stock: a stock route marked fallback_from option, with a warning") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host, json{{"option_fallback", "stock"}});
  const std::string direction = GENERATE("long", "short");
  CAPTURE(direction);
  Signal s = make("AMD", direction, "5m", 162.4);
  auto [v, d] = route(r, s, context(effective("options"), false));
  REQUIRE(v.pass);
  check_stock_route(d, s);
  CHECK(d["fallback_from"] == "option");
  REQUIRE(warnings(host) == 1);
  bool named = false;
  for (const auto& [level, text] : host.logs) {
    if (level == AXION_LOG_WARN) named = text.find("AMD") != std::string::npos;
  }
  CHECK(named);

  // With an options-capable broker there is nothing to fall back from.
  auto opt = route(r, s, context(effective("options"), true));
  REQUIRE(opt.verdict.pass);
  CHECK(opt.decision["instrument_type"] == "option");
  CHECK_FALSE(opt.decision.contains("fallback_from"));
  CHECK(warnings(host) == 1);
}

TEST_CASE("the mode comes from the effective config, never a default") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  json eff = effective();
  eff.erase("instrument_mode");
  CHECK_THROWS_AS(route(r, make("AAPL", "long", "1h"), context(eff)), PluginCallError);
  eff["instrument_mode"] = "futures";
  CHECK_THROWS_WITH(route(r, make("AAPL", "long", "1h"), context(eff)),
                    Catch::Contains("instrument_mode"));
  eff["instrument_mode"] = "leveraged_etf";
  auto [v, d] = route(r, make("AAPL", "long", "1h"), context(eff));
  REQUIRE(v.pass);
  CHECK(d["ticker"] == "TECL");
}

TEST_CASE("ETF selection needs its effective fields") {
  const char* key = GENERATE("etf_sector_mapping", "prefer_3x_for_day_trades");
  CAPTURE(key);
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  json eff = effective();
  eff.erase(key);
  CHECK_THROWS_WITH(route(r, make("AAPL", "long", "10m"), context(eff)), Catch::Contains(key));
  // A stock cell does not read them.
  CHECK(route(r, make("AAPL", "long", "1h"), context(eff)).verdict.pass);
}

TEST_CASE("a direction other than long or short is an error") {
  FakeHost host;
  PluginHarness r(kSo, host);
  CHECK_THROWS_AS(route(r, make("AAPL", "flat", "1h"), context(effective())), PluginCallError);
}

TEST_CASE("config errors name the key") {
  CHECK(config_error_key(json::object()) == "<accepted>");
  CHECK(config_error_key({{"option_fallback", "stock"},
                          {"etf_daily_volumes", {"TQQQ=1.5e7", "SOXS=0"}}}) == "<accepted>");
  CHECK(config_error_key({{"option_fallbak", "stock"}}) == "option_fallbak");
  CHECK(config_error_key({{"option_fallback", "skip"}}) == "option_fallback");
  CHECK(config_error_key({{"option_fallback", true}}) == "option_fallback");
  CHECK(config_error_key({{"etf_daily_volumes", "TQQQ=1"}}) == "etf_daily_volumes");
  CHECK(config_error_key({{"etf_daily_volumes", {1}}}) == "etf_daily_volumes");
  CHECK(config_error_key({{"etf_daily_volumes", {"TQQQ"}}}) == "etf_daily_volumes");
  CHECK(config_error_key({{"etf_daily_volumes", {"AAPL=1000"}}}) == "etf_daily_volumes");
  CHECK(config_error_key({{"etf_daily_volumes", {"TQQQ=-5"}}}) == "etf_daily_volumes");
  CHECK(config_error_key({{"etf_daily_volumes", {"TQQQ=lots"}}}) == "etf_daily_volumes");
  CHECK(config_error_key({{"etf_daily_volumes", {"TQQQ="}}}) == "etf_daily_volumes");
  CHECK(config_error_key({{"etf_daily_volumes", {"TQQQ=1", "TQQQ=2"}}}) == "etf_daily_volumes");
}
