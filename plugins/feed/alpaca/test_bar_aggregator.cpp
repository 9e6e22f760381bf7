// The clock rules of the minute-bar aggregation and the Market Data v2 parsing, alone.
#include <catch2/catch.hpp>

#include "axion/sdk/time.hpp"
#include "bar_aggregator.hpp"
#include "market_data.hpp"

namespace {

using namespace axion::alpaca;
namespace axt = axion::sdk::time;

// Wednesday 3 January 2024 (EST, UTC-5) at hh:mm ET.
std::int64_t et(unsigned hh, unsigned mm, unsigned day = 3, unsigned month = 1) {
  return axt::eastern_to_utc(2024, month, day, hh, mm);
}

MinuteBar minute(const std::string& sym, std::int64_t start, double o, double h, double l, double c, double v = 100) {
  return MinuteBar{sym, start, o, h, l, c, v};
}

}  // namespace

TEST_CASE("5m bars hold five clock minutes and close at the end of the fifth") {
  BarAggregator agg(Timeframe::M5, true);
  std::vector<OutBar> out;
  CHECK(agg.add(minute("AAPL", et(10, 30), 10, 11, 9.5, 10.5, 100), out) == BarAggregator::Added::Used);
  CHECK(agg.add(minute("AAPL", et(10, 31), 10.5, 12, 10, 11, 50), out) == BarAggregator::Added::Used);
  CHECK(agg.add(minute("AAPL", et(10, 33), 11, 11.5, 9, 9.2, 25), out) == BarAggregator::Added::Used);
  CHECK(out.empty());
  agg.add(minute("AAPL", et(10, 34), 9.2, 9.4, 9.1, 9.3, 25), out);  // its last minute: delivered at once
  REQUIRE(out.size() == 1);
  CHECK(out[0].symbol == "AAPL");
  CHECK(out[0].close_us == et(10, 35));
  CHECK(out[0].open == 10);
  CHECK(out[0].high == 12);
  CHECK(out[0].low == 9);
  CHECK(out[0].close == 9.3);
  CHECK(out[0].volume == 200);
}

TEST_CASE("a bar whose last minute had no trade is closed by a later minute or by the clock") {
  BarAggregator agg(Timeframe::M5, true);
  std::vector<OutBar> out;
  agg.add(minute("AAPL", et(10, 30), 10, 10, 10, 10), out);
  agg.add(minute("AAPL", et(10, 36), 11, 11, 11, 11), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].close_us == et(10, 35));
  CHECK(out[0].close == 10);

  const std::int64_t grace = 15'000'000;
  agg.flush(et(10, 40) + grace - 1, grace, out);
  CHECK(out.size() == 1);
  agg.flush(et(10, 40) + grace, grace, out);
  REQUIRE(out.size() == 2);
  CHECK(out[1].close_us == et(10, 40));
  CHECK(out[1].open == 11);
}

TEST_CASE("each minute is used once: repeats are duplicates, minutes of a delivered bar are late") {
  BarAggregator agg(Timeframe::M5, true);
  std::vector<OutBar> out;
  agg.add(minute("AAPL", et(10, 30), 10, 10, 10, 10), out);
  CHECK(agg.add(minute("AAPL", et(10, 30), 10, 10, 10, 10), out) == BarAggregator::Added::Duplicate);
  CHECK(agg.add(minute("AAPL", et(10, 29), 10, 10, 10, 10), out) == BarAggregator::Added::Duplicate);
  agg.flush(et(10, 36), 0, out);
  REQUIRE(out.size() == 1);
  CHECK(agg.add(minute("AAPL", et(10, 33), 10, 10, 10, 10), out) == BarAggregator::Added::Late);
  CHECK(out.size() == 1);
  CHECK(agg.add(minute("AAPL", et(10, 35), 12, 12, 12, 12), out) == BarAggregator::Added::Used);
}

TEST_CASE("symbols are aggregated apart and a flush delivers oldest first") {
  BarAggregator agg(Timeframe::M1, true);
  std::vector<OutBar> out;
  agg.add(minute("MSFT", et(10, 30), 1, 1, 1, 1), out);  // 1m: every minute is its own last minute
  agg.add(minute("AAPL", et(10, 30), 2, 2, 2, 2), out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].symbol == "MSFT");
  CHECK(out[1].symbol == "AAPL");
  CHECK(out[0].close_us == et(10, 31));

  BarAggregator five(Timeframe::M5, true);
  out.clear();
  five.add(minute("MSFT", et(10, 36), 1, 1, 1, 1), out);
  five.add(minute("AAPL", et(10, 31), 2, 2, 2, 2), out);
  five.flush(et(11, 0), 0, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].symbol == "AAPL");
  CHECK(out[1].symbol == "MSFT");
}

TEST_CASE("regular hours: 09:30 to 16:00 ET on weekdays unless asked otherwise") {
  BarAggregator rth(Timeframe::M1, true);
  BarAggregator all(Timeframe::M1, false);
  std::vector<OutBar> out;
  CHECK(rth.add(minute("A", et(9, 29), 1, 1, 1, 1), out) == BarAggregator::Added::OutsideHours);
  CHECK(rth.add(minute("A", et(9, 30), 1, 1, 1, 1), out) == BarAggregator::Added::Used);
  CHECK(rth.add(minute("A", et(15, 59), 1, 1, 1, 1), out) == BarAggregator::Added::Used);
  CHECK(rth.add(minute("A", et(16, 0), 1, 1, 1, 1), out) == BarAggregator::Added::OutsideHours);
  CHECK(rth.add(minute("A", et(12, 0, 6), 1, 1, 1, 1), out) == BarAggregator::Added::OutsideHours);  // Saturday
  CHECK(all.add(minute("A", et(8, 0), 1, 1, 1, 1), out) == BarAggregator::Added::Used);
  CHECK(in_regular_hours(et(10, 0, 3, 7)));  // July (EDT) too
  CHECK_FALSE(in_regular_hours(et(9, 0, 3, 7)));
}

TEST_CASE("1h bars follow the clock hour and the regular session starts mid-hour") {
  BarAggregator agg(Timeframe::H1, true);
  std::vector<OutBar> out;
  for (unsigned m = 30; m < 60; ++m) agg.add(minute("A", et(9, m), 10, 10 + m / 100.0, 9, 10), out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].close_us == et(10, 0));
  CHECK(out[0].volume == 3000);
}

TEST_CASE("1d bars are the regular session and close at 16:00 ET, summer and winter") {
  for (unsigned month : {1u, 7u}) {
    BarAggregator agg(Timeframe::D1, false);  // a daily bar ignores extended hours regardless
    std::vector<OutBar> out;
    CHECK(agg.add(minute("A", et(8, 0, 3, month), 1, 1, 1, 1), out) == BarAggregator::Added::OutsideHours);
    agg.add(minute("A", et(9, 30, 3, month), 10, 12, 9, 11), out);
    agg.add(minute("A", et(13, 0, 3, month), 11, 13, 10, 12), out);
    CHECK(out.empty());
    agg.add(minute("A", et(15, 59, 3, month), 12, 12, 8, 9), out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].close_us == et(16, 0, 3, month));
    CHECK(out[0].high == 13);
    CHECK(out[0].low == 8);
    CHECK(session_close_us(et(10, 0, 3, month)) == et(16, 0, 3, month));
  }
  CHECK(et(16, 0, 3, 1) % 86'400'000'000 == 21LL * 3600 * 1'000'000);  // 21:00Z in winter
  CHECK(et(16, 0, 3, 7) % 86'400'000'000 == 20LL * 3600 * 1'000'000);  // 20:00Z in summer
}

TEST_CASE("resume_from says where a backfill starts; delivered_until drops what came another way") {
  BarAggregator agg(Timeframe::M5, true);
  std::vector<OutBar> out;
  CHECK(agg.resume_from("A", 42) == 42);
  agg.delivered_until("A", et(10, 30));
  CHECK(agg.resume_from("A", 42) == et(10, 30));
  CHECK(agg.add(minute("A", et(10, 29), 1, 1, 1, 1), out) == BarAggregator::Added::Late);
  agg.add(minute("A", et(10, 31), 1, 1, 1, 1), out);
  CHECK(agg.resume_from("A", 42) == et(10, 32));
  CHECK(agg.last_delivered("A") == et(10, 30));
  CHECK(agg.last_delivered("B") == INT64_MIN);
}

TEST_CASE("timeframes outside 1m 5m 10m 1h 1d are refused") {
  CHECK(parse_timeframe("10m") == Timeframe::M10);
  CHECK_THROWS_WITH(parse_timeframe("15m"), Catch::Contains("15m"));
}

TEST_CASE("a bars page: symbols, times, the next token and malformed bars named") {
  auto page = parse_bars_page(nlohmann::json::parse(R"({
    "bars": {"AAPL": [{"t":"2024-01-03T15:30:00Z","o":1,"h":2,"l":0.5,"c":1.5,"v":10,"n":3,"vw":1.2}],
             "MSFT": [{"t":"2024-01-03T15:31:00Z","o":3,"h":4,"l":2.5,"c":3.5,"v":20}]},
    "next_page_token": "QUFQTHwxNzA0Mjk="})"));
  REQUIRE(page.bars.size() == 2);
  CHECK(page.bars[0].symbol == "AAPL");
  CHECK(page.bars[0].start_us == et(10, 30));
  CHECK(page.bars[1].close == 3.5);
  CHECK(page.next_page_token == "QUFQTHwxNzA0Mjk=");

  CHECK(parse_bars_page(nlohmann::json::parse(R"({"bars":null,"next_page_token":null})")).bars.empty());
  CHECK(parse_bars_page(nlohmann::json::parse(R"({"bars":{},"next_page_token":null})")).next_page_token.empty());
  CHECK_THROWS_WITH(parse_bars_page(nlohmann::json::parse(R"({"bars":{"AAPL":[{"t":"2024-01-03T15:30:00Z","o":1,"h":"2","l":0.5,"c":1,"v":1}]}})")),
                    Catch::Contains("AAPL") && Catch::Contains("'h'"));
  CHECK_THROWS_WITH(parse_bars_page(nlohmann::json::parse(R"({"bars":{"AAPL":[{"t":"yesterday","o":1,"h":2,"l":0.5,"c":1,"v":1}]}})")),
                    Catch::Contains("'t'"));
}

TEST_CASE("the bars request names every parameter and escapes the page token") {
  BarsQuery q;
  q.symbols = {"AAPL", "MSFT"};
  q.timeframe = "1Min";
  q.start_us = et(9, 30);
  q.end_us = et(16, 0);
  q.page_token = "ab+c/d=";
  CHECK(bars_path(q) ==
        "/v2/stocks/bars?symbols=AAPL,MSFT&timeframe=1Min&start=2024-01-03T14:30:00Z&end=2024-01-03T21:00:00Z"
        "&limit=10000&adjustment=raw&feed=iex&page_token=ab%2Bc%2Fd%3D");
}

TEST_CASE("implausible bars are recognised") {
  CHECK(plausible(minute("A", 0, 10, 11, 9, 10)));
  CHECK_FALSE(plausible(minute("A", 0, 10, 9, 9, 10)));   // high below open
  CHECK_FALSE(plausible(minute("A", 0, 10, 11, 10.5, 10)));  // low above close
  CHECK_FALSE(plausible(minute("A", 0, 0, 1, 0, 1)));
  CHECK_FALSE(plausible(minute("A", 0, 10, 11, 9, 10, -1)));
}
