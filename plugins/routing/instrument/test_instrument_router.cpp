// routing/instrument through the built shared library (AXION_PLUGIN_SO) and the SDK fakes
// (pipeline.md §6.1, §6.5 case D, §1.10).
#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/limits.hpp"
#include "axion/sdk/testing/signals.hpp"

using axion::sdk::Context;
using axion::sdk::Limits;
using axion::sdk::Route;
using axion::sdk::Signal;
using axion::sdk::Verdict;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;

namespace {

const char* const kSo = AXION_PLUGIN_SO;
const std::string kUnavailable = "Option route unavailable: broker cannot trade options";

// The effective limits of §6.5 (sideways at confidence 0.5) over the §1.7 defaults, every field
// the router reads set here (not left to the SDK's defaults).
Limits effective(const std::string& mode = "both") {
  return axion::sdk::testing::pipeline_6_5_limits(mode);
}

// The route in the context is left empty: the harness hands the plugin the engine's default
// stock route of the signal (Route::stock).
Context context(const Limits& eff, bool broker_can_trade_options = false) {
  Context c;
  c.account = {100'000.0, 100'000.0, 1'000'000.0, 100'000.0};
  c.limits = eff;
  c.var_cap = 0.0;
  c.broker_can_trade_options = broker_can_trade_options;
  return c;
}

Signal make(const std::string& ticker, const std::string& direction, const std::string& timeframe,
            double entry = 200.0) {
  return make_signal(
      {.ticker = ticker,
       .direction = direction,
       .signal_type = direction == "long" ? "cloud_flip_bullish" : "cloud_flip_bearish",
       .timeframe = timeframe,
       .entry_price = entry,
       .ts_us = 1'770'647'400'000'000});
}

struct Routed {
  Verdict verdict;
  Route decision;
};

Routed route(PluginHarness& r, const Signal& s, const Context& ctx) {
  Route decision;
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

// No option or ETF fields on a stock route (fallback_from is checked by the callers).
void check_stock_route(const Route& d, const Signal& s) {
  CHECK(d.instrument_type == "stock");
  CHECK(d.ticker == s.ticker);
  CHECK(d.original_signal_ticker == s.ticker);
  CHECK(d.leverage == 1.0);
  CHECK_FALSE(d.is_inverse);
  CHECK(d.reference_price == s.entry_price);
  CHECK(d.option_right.empty());
  CHECK(d.etf_tracks.empty());
  CHECK(d.etf_avg_daily_volume == 0.0);
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
  CHECK(d.instrument_type == cell.type);
  CHECK(d.original_signal_ticker == "AAPL");
  CHECK(d.ticker == (std::string(cell.type) == "leveraged_etf" ? "TECL" : "AAPL"));
  CHECK(d.fallback_from.empty());
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
  CHECK(d.instrument_type == c.type);
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
  CHECK(d.fallback_from.empty());
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
  CHECK(d.instrument_type == "leveraged_etf");
  CHECK(d.ticker == "TQQQ");
  CHECK(d.original_signal_ticker == "QQQ");
  CHECK(d.leverage == 3.0);
  CHECK_FALSE(d.is_inverse);
  CHECK(d.reference_price == 50.0);
  CHECK(d.option_right.empty());
  CHECK(d.fallback_from.empty());
  // The ETF's metadata (v1's etf_metadata: ticker, leverage and is_inverse are the route's own).
  CHECK(d.etf_tracks == "NASDAQ-100");
  CHECK(d.etf_avg_daily_volume == 0.0);  // unknown

  // The reference price follows the quote.
  host.prices["TQQQ"] = 51.37;
  auto again = route(r, s, context(effective()));
  REQUIRE(again.verdict.pass);
  CHECK(again.decision.reference_price == 51.37);
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
  CHECK(lng.decision.ticker == row.long_pick);
  CHECK_FALSE(lng.decision.is_inverse);
  CHECK(lng.decision.leverage == row.leverage);
  CHECK(lng.decision.reference_price == host.prices.at(row.long_pick));

  // A short signal buys the inverse ETF (is_inverse true).
  auto sht = route(r, make(row.ticker, "short", "10m"), context(effective()));
  REQUIRE(sht.verdict.pass);
  CHECK(sht.decision.instrument_type == "leveraged_etf");
  CHECK(sht.decision.ticker == row.short_pick);
  CHECK(sht.decision.is_inverse);
  CHECK(sht.decision.leverage == row.leverage);
  CHECK(sht.decision.original_signal_ticker == row.ticker);
  CHECK(sht.decision.reference_price == host.prices.at(row.short_pick));
}

TEST_CASE("energy ETFs are 2x and their metadata says so") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  auto [v, d] = route(r, make("XOM", "short", "1h"), context(effective("leveraged_etf")));
  REQUIRE(v.pass);
  CHECK(d.ticker == "ERY");
  CHECK(d.etf_tracks == "Energy");
  CHECK(d.leverage == 2.0);
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
  Limits eff = effective();
  eff.etf_sector_mapping = false;
  auto [v, d] = route(r, make(row.ticker, "long", "10m"), context(eff));
  REQUIRE(v.pass);
  CHECK(d.ticker == row.pick);
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
    CHECK(d.ticker == "TECL");
    CHECK(d.reference_price == 88.0);
  }
}

TEST_CASE("known ETF volumes below min_etf_daily_volume drop the candidate") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host, json{{"etf_daily_volumes", {"TQQQ=5000000", "TECL=9999999.5"}}});

  SECTION("TQQQ too thin: the 2x QLD is next") {
    auto [v, d] = route(r, make("QQQ", "long", "10m"), context(effective()));
    REQUIRE(v.pass);
    CHECK(d.ticker == "QLD");
    CHECK(d.leverage == 2.0);
    CHECK(d.etf_avg_daily_volume == 0.0);
  }
  SECTION("the floor comes from the effective limits") {
    Limits eff = effective();
    eff.min_etf_daily_volume = 5'000'000.0;  // equal is not below
    auto [v, d] = route(r, make("QQQ", "long", "10m"), context(eff));
    REQUIRE(v.pass);
    CHECK(d.ticker == "TQQQ");
    CHECK(d.etf_avg_daily_volume == 5'000'000.0);
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
    CHECK(d.ticker == "TECS");
  }
}

TEST_CASE("the highest leverage wins with or without prefer_3x_for_day_trades") {
  const bool prefer = GENERATE(true, false);
  CAPTURE(prefer);
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  Limits eff = effective();
  eff.prefer_3x_for_day_trades = prefer;
  auto [v, d] = route(r, make("SPY", "short", "10m"), context(eff));
  REQUIRE(v.pass);
  CHECK(d.ticker == "SPXS");
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
  // v1's option object: underlying = original_signal_ticker, reference_price = the route's.
  CHECK(a.decision.instrument_type == "option");
  CHECK(a.decision.ticker == "NVDA");
  CHECK(a.decision.original_signal_ticker == "NVDA");
  CHECK(a.decision.reference_price == 131.5);
  CHECK(a.decision.option_right == "call");
  CHECK(a.decision.leverage == 1.0);
  CHECK_FALSE(a.decision.is_inverse);
  CHECK(a.decision.etf_tracks.empty());
  CHECK(a.decision.fallback_from.empty());

  Signal sht = make("NVDA", "short", "1m", 131.5);
  auto b = route(r, sht, context(effective(mode), true));
  REQUIRE(b.verdict.pass);
  CHECK(b.decision.instrument_type == "option");
  CHECK(b.decision.option_right == "put");
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
  CHECK(d.fallback_from == "option");
  REQUIRE(warnings(host) == 1);
  bool named = false;
  for (const auto& [level, text] : host.logs) {
    if (level == AXION_LOG_WARN) named = text.find("AMD") != std::string::npos;
  }
  CHECK(named);

  // With an options-capable broker there is nothing to fall back from.
  auto opt = route(r, s, context(effective("options"), true));
  REQUIRE(opt.verdict.pass);
  CHECK(opt.decision.instrument_type == "option");
  CHECK(opt.decision.fallback_from.empty());
  CHECK(warnings(host) == 1);
}

TEST_CASE("the mode comes from the effective limits, never a default") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  Limits eff = effective();
  eff.instrument_mode = "";  // not a mode: no default stands in for it
  CHECK_THROWS_WITH(route(r, make("AAPL", "long", "1h"), context(eff)),
                    Catch::Contains("instrument_mode"));
  eff.instrument_mode = "futures";
  CHECK_THROWS_WITH(route(r, make("AAPL", "long", "1h"), context(eff)),
                    Catch::Contains("instrument_mode"));
  eff.instrument_mode = "leveraged_etf";
  auto [v, d] = route(r, make("AAPL", "long", "1h"), context(eff));
  REQUIRE(v.pass);
  CHECK(d.ticker == "TECL");
}

TEST_CASE("a non-finite min_etf_daily_volume is an error where the volume filter reads it") {
  const double bad = GENERATE(std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::infinity());
  CAPTURE(bad);
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host, json{{"etf_daily_volumes", {"TECL=50000000"}}});
  Limits eff = effective();
  eff.min_etf_daily_volume = bad;
  CHECK_THROWS_WITH(route(r, make("AAPL", "long", "10m"), context(eff)),
                    Catch::Contains("min_etf_daily_volume"));
  // Read only when a candidate has a known volume: the short side (TECS unlisted) and a stock
  // cell route as usual.
  auto sht = route(r, make("AAPL", "short", "10m"), context(eff));
  REQUIRE(sht.verdict.pass);
  CHECK(sht.decision.ticker == "TECS");
  CHECK(route(r, make("AAPL", "long", "1h"), context(eff)).verdict.pass);
}

TEST_CASE("the decision is built whole, whatever route arrived") {
  FakeHost host;
  quote_all(host);
  PluginHarness r(kSo, host);
  // A stale route in the context (the harness passes it as the incoming decision): none of its
  // fields may leak into the plugin's decision.
  Context ctx = context(effective(), true);
  ctx.route.instrument_type = "leveraged_etf";
  ctx.route.ticker = "SOXS";
  ctx.route.original_signal_ticker = "NVDA";
  ctx.route.leverage = 3.0;
  ctx.route.is_inverse = true;
  ctx.route.reference_price = 12.5;
  ctx.route.fallback_from = "option";
  ctx.route.etf_tracks = "Semiconductors";
  ctx.route.etf_avg_daily_volume = 1e8;
  ctx.route.option_right = "put";

  Signal s = make("AAPL", "long", "1h", 190.0);
  auto stock = route(r, s, ctx);
  REQUIRE(stock.verdict.pass);
  check_stock_route(stock.decision, s);
  CHECK(stock.decision.fallback_from.empty());

  auto opt = route(r, make("AAPL", "long", "5m", 190.0), ctx);
  REQUIRE(opt.verdict.pass);
  CHECK(opt.decision.instrument_type == "option");
  CHECK(opt.decision.ticker == "AAPL");
  CHECK(opt.decision.option_right == "call");
  CHECK(opt.decision.leverage == 1.0);
  CHECK_FALSE(opt.decision.is_inverse);
  CHECK(opt.decision.reference_price == 190.0);
  CHECK(opt.decision.etf_tracks.empty());
  CHECK(opt.decision.etf_avg_daily_volume == 0.0);
  CHECK(opt.decision.fallback_from.empty());

  auto etf = route(r, make("AAPL", "long", "10m", 190.0), ctx);
  REQUIRE(etf.verdict.pass);
  CHECK(etf.decision.ticker == "TECL");
  CHECK(etf.decision.original_signal_ticker == "AAPL");
  CHECK_FALSE(etf.decision.is_inverse);
  CHECK(etf.decision.etf_tracks == "Technology");
  CHECK(etf.decision.etf_avg_daily_volume == 0.0);
  CHECK(etf.decision.option_right.empty());
  CHECK(etf.decision.fallback_from.empty());
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
