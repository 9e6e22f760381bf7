// feed/alpaca against the Alpaca stand-in on 127.0.0.1 (tests/alpaca_standin): warm-up history
// over several pages, real-time bars aggregated to the timeframe, the gap after a dropped stream
// backfilled before newer bars (each bar once, in order), and the errors that need the user.
// The host's wall clock is the test's: it is moved by hand, so no test waits on a real minute.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "axion/sdk/testing/eventually.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/time.hpp"
#include "standin.hpp"

namespace {

using axion::sdk::Bar;
using axion::sdk::testing::eventually;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using axion::testing::alpaca::BarRecord;
using axion::testing::alpaca::StandIn;
using nlohmann::json;
namespace axt = axion::sdk::time;

const char* const kSo = AXION_PLUGIN_SO;
constexpr std::int64_t kMin = 60'000'000;

void set_keys(const char* secret = "test-secret-value") {
  ::setenv("AXION_ALPACA_API_KEY", "PKTESTKEY", 1);
  ::setenv("AXION_ALPACA_SECRET_KEY", secret, 1);
}

// Wednesday 3 January 2024 at hh:mm ET.
std::int64_t et(unsigned hh, unsigned mm) { return axt::eastern_to_utc(2024, 1, 3, hh, mm); }

// One minute bar per minute in [from, to): prices that say which minute they are.
std::vector<BarRecord> minutes(const std::string& sym, std::int64_t from, std::int64_t to, double base = 100) {
  std::vector<BarRecord> out;
  for (std::int64_t t = from; t < to; t += kMin) {
    const double p = base + static_cast<double>((t - from) / kMin);
    out.push_back(BarRecord{sym, t, p, p + 0.5, p - 0.5, p + 0.25, 10});
  }
  return out;
}

json config_for(const StandIn& s, json extra = json::object()) {
  json c = {{"symbols", {"AAPL", "MSFT"}}, {"timeframe", "5m"}, {"data_url", s.data_url()},
            {"stream_url", s.data_stream_url()}, {"warmup_bars", 4}, {"backfill_delay_ms", 0},
            {"close_grace_ms", 15000}, {"timeout_ms", 2000}};
  for (auto& [k, v] : extra.items()) c[k] = v;
  return c;
}

// The next bar, calling again while the feed says "nothing yet"; nullopt if none comes.
std::optional<Bar> next(PluginHarness& h, int max_calls = 50) {
  for (int i = 0; i < max_calls; ++i) {
    bool idle = false;
    auto bar = h.next_bar(nullptr, &idle);
    if (bar) return bar;
    if (!idle) return std::nullopt;  // the end of data: a live feed never says so
  }
  return std::nullopt;
}

// The error the feed reports once it gives up (calling it until then).
std::string error_from(PluginHarness& h) {
  std::string error;
  eventually([&] {
    try {
      next(h, 1);
    } catch (const PluginCallError& e) {
      error = e.what();
    }
    return !error.empty();
  });
  return error;
}

void no_secret_logged(FakeHost& host) {
  std::lock_guard lock(host.logs_mu);
  for (const auto& [level, line] : host.logs) {
    INFO(line);
    CHECK(line.find("test-secret-value") == std::string::npos);
  }
}

}  // namespace

TEST_CASE("warm-up history over several pages, then live bars aggregated to 5m") {
  set_keys();
  StandIn market;
  market.add_history("1Min", minutes("AAPL", et(9, 30), et(11, 0), 100));
  market.add_history("1Min", minutes("MSFT", et(9, 30), et(11, 0), 300));
  FakeHost host;
  host.wall_us = et(11, 0) + 30'000'000;
  PluginHarness h(kSo, host, config_for(market, {{"history_page_limit", 50}}));

  // The last 4 whole 5m bars of each symbol, oldest first across symbols, flagged warm-up.
  std::vector<Bar> warm;
  for (int i = 0; i < 8; ++i) {
    auto b = next(h);
    REQUIRE(b);
    warm.push_back(*b);
  }
  for (const auto& b : warm) CHECK(b.warmup);
  CHECK(warm[0].ts_us == et(10, 45));
  CHECK(warm[7].ts_us == et(11, 0));
  for (std::size_t i = 1; i < warm.size(); ++i) CHECK(warm[i - 1].ts_us <= warm[i].ts_us);
  // AAPL's 10:55-11:00 bar: minutes 85..89 of the day's series starting at 100.
  const Bar& last_aapl = warm[6].symbol == "AAPL" ? warm[6] : warm[7];
  CHECK(last_aapl.timeframe == "5m");
  CHECK(last_aapl.open == 185);
  CHECK(last_aapl.close == 189.25);
  CHECK(last_aapl.high == 189.5);
  CHECK(last_aapl.low == 184.5);
  CHECK(last_aapl.volume == 50);
  CHECK(market.bars_requests() >= 4);  // 180 minutes at 50 a page

  // Live: the stream subscribes, the (empty) gap is backfilled, then minutes aggregate.
  REQUIRE(eventually([&] { return market.data_subscriptions() == std::vector<std::string>{"AAPL", "MSFT"}; }));
  CHECK_FALSE(next(h, 3));  // nothing new yet
  market.push_bars(minutes("AAPL", et(11, 0), et(11, 5), 500));
  auto live = next(h);
  REQUIRE(live);
  CHECK_FALSE(live->warmup);
  CHECK(live->symbol == "AAPL");
  CHECK(live->ts_us == et(11, 5));
  CHECK(live->open == 500);
  CHECK(live->close == 504.25);
  no_secret_logged(host);
}

TEST_CASE("a dropped stream: the gap is backfilled before newer bars, each bar once and in order") {
  set_keys();
  StandIn market;
  market.add_history("1Min", minutes("AAPL", et(10, 0), et(10, 30), 100));
  FakeHost host;
  host.wall_us = et(10, 30) + 1'000'000;
  PluginHarness h(kSo, host, config_for(market, {{"symbols", {"AAPL"}}, {"timeframe", "1m"}, {"warmup_bars", 2}}));
  auto w1 = next(h);
  auto w2 = next(h);
  REQUIRE(w1);
  REQUIRE(w2);
  CHECK(w2->ts_us == et(10, 30));
  REQUIRE(eventually([&] { return market.data_connections() == 1 && !market.data_subscriptions().empty(); }));
  market.push_bars(minutes("AAPL", et(10, 30), et(10, 32), 200));
  std::vector<Bar> seen;
  for (int i = 0; i < 2; ++i) {
    auto b = next(h);
    REQUIRE(b);
    seen.push_back(*b);
  }

  // The stream drops; minutes 10:32..10:35 happen while it is down (they reach only history).
  market.drop_data_stream();
  market.push_bars(minutes("AAPL", et(10, 32), et(10, 36), 300));
  host.wall_us = et(10, 36) + 1'000'000;
  // After the reconnection (backoff 1 s), the four are backfilled, then the stream goes on;
  // the stream repeating 10:35 (an overlap) is not delivered twice.
  auto pump = [&] {
    if (auto b = next(h, 1)) seen.push_back(*b);
  };
  REQUIRE(eventually([&] {
    pump();
    return seen.size() >= 6;
  }, std::chrono::seconds(10)));
  market.push_bars({minutes("AAPL", et(10, 35), et(10, 37), 400)}, false);
  REQUIRE(eventually([&] {
    pump();
    return seen.size() >= 7;
  }));
  std::vector<std::int64_t> closes;
  for (const auto& b : seen) closes.push_back(b.ts_us);
  std::vector<std::int64_t> expected;
  for (std::int64_t t = et(10, 31); t <= et(10, 37); t += kMin) expected.push_back(t);
  CHECK(closes == expected);
  CHECK(seen[4].open == 302);  // 10:34 from the backfill
  CHECK(seen.back().open == 401);  // 10:36 live
  CHECK_FALSE(next(h, 3));
  no_secret_logged(host);
}

TEST_CASE("daily bars: warm-up from 1Day history, today's bar from the session's minutes") {
  set_keys();
  StandIn market;
  std::vector<BarRecord> days;
  for (unsigned d = 2; d <= 5; ++d) {  // Tuesday 2 .. Friday 5 January, stamped at ET midnight
    const std::int64_t t = axt::eastern_to_utc(2024, 1, d, 0, 0);
    days.push_back(BarRecord{"AAPL", t, 100.0 + d, 110.0 + d, 90.0 + d, 105.0 + d, 1e6});
  }
  market.add_history("1Day", days);
  const std::int64_t monday_open = axt::eastern_to_utc(2024, 1, 8, 9, 30);
  market.add_history("1Min", minutes("AAPL", monday_open, monday_open + 30 * kMin, 150));
  FakeHost host;
  host.wall_us = monday_open + 31 * kMin;
  PluginHarness h(kSo, host, config_for(market, {{"symbols", {"AAPL"}}, {"timeframe", "1d"}, {"warmup_bars", 3}}));
  std::vector<Bar> warm;
  for (int i = 0; i < 3; ++i) {
    auto b = next(h);
    REQUIRE(b);
    warm.push_back(*b);
  }
  CHECK(warm[0].ts_us == axt::eastern_to_utc(2024, 1, 3, 16, 0));
  CHECK(warm[2].ts_us == axt::eastern_to_utc(2024, 1, 5, 16, 0));
  CHECK(warm[2].close == 110);
  // Monday's bar closes at 16:00 ET with its last minute (the backfill had 09:30-09:59).
  REQUIRE(eventually([&] {
    next(h, 1);
    return !market.data_subscriptions().empty();
  }));
  CHECK_FALSE(next(h, 3));
  const std::int64_t last = axt::eastern_to_utc(2024, 1, 8, 15, 59);
  market.push_bars({BarRecord{"AAPL", last, 170, 171, 140, 149, 5}});
  auto today = next(h);
  REQUIRE(today);
  CHECK(today->ts_us == axt::eastern_to_utc(2024, 1, 8, 16, 0));
  CHECK(today->open == 150);
  CHECK(today->close == 149);
  CHECK(today->low == 140);
  CHECK(today->high == 179.5);
  CHECK_FALSE(today->warmup);
}

TEST_CASE("a second market-data connection on the account is a clear error, not a silent retry") {
  set_keys();
  StandIn market;
  FakeHost host1, host2;
  host1.wall_us = host2.wall_us = et(10, 0);
  PluginHarness first(kSo, host1, config_for(market, {{"warmup_bars", 0}}));
  REQUIRE(eventually([&] {
    next(first, 1);
    return !market.data_subscriptions().empty();
  }));
  PluginHarness second(kSo, host2, config_for(market, {{"warmup_bars", 0}}));
  CHECK_THAT(error_from(second), Catch::Contains("406") && Catch::Contains("one"));
  // The first keeps its stream.
  market.push_bars(minutes("AAPL", et(10, 0), et(10, 5)));
  auto b = next(first);
  REQUIRE(b);
  CHECK(b->ts_us == et(10, 5));
  no_secret_logged(host1);
  no_secret_logged(host2);
}

TEST_CASE("refused keys are a clear error naming the environment variables") {
  StandIn market;
  SECTION("the stream's auth failed (402)") {
    set_keys();
    market.fail_next_data_auth(402);
    FakeHost host;
    host.wall_us = et(10, 0);
    PluginHarness h(kSo, host, config_for(market, {{"warmup_bars", 0}}));
    CHECK_THAT(error_from(h), Catch::Contains("402") && Catch::Contains("AXION_ALPACA_API_KEY"));
  }
  SECTION("the history request is refused") {
    set_keys("wrong-secret");
    FakeHost host;
    host.wall_us = et(10, 0);
    PluginHarness h(kSo, host, config_for(market));
    CHECK_THROWS_WITH(next(h, 1), Catch::Contains("AXION_ALPACA_API_KEY"));
    no_secret_logged(host);
    set_keys();
  }
}

TEST_CASE("a failed history request is asked again after a backoff, not given up") {
  set_keys();
  StandIn market;
  market.add_history("1Min", minutes("AAPL", et(10, 0), et(10, 10)));
  FakeHost host;
  host.wall_us = et(10, 10) + 1'000'000;
  PluginHarness h(kSo, host, config_for(market, {{"symbols", {"AAPL"}}, {"warmup_bars", 2}}));
  // The stream first, so the fault meets the history request.
  REQUIRE(eventually([&] { return !market.data_subscriptions().empty(); }));
  market.fail_next_requests(1, 503);
  CHECK_FALSE(next(h, 2));  // the 503, then waiting for the backoff on the host's clock
  CHECK(market.bars_requests() == 1);
  host.wall_us += 1'500'000;
  auto b = next(h);
  REQUIRE(b);
  CHECK(b->warmup);
  CHECK(b->ts_us == et(10, 5));
  CHECK(market.bars_requests() == 2);
}

TEST_CASE("bad configuration names the key") {
  set_keys();
  StandIn market;
  FakeHost host;
  CHECK_THROWS_WITH(PluginHarness(kSo, host, config_for(market, {{"symbols", json::array()}})),
                    Catch::Contains("symbols"));
  CHECK_THROWS_WITH(PluginHarness(kSo, host, config_for(market, {{"symbols", {"aapl"}}})), Catch::Contains("aapl"));
  CHECK_THROWS_WITH(PluginHarness(kSo, host, config_for(market, {{"data_url", "http://example.com"}})),
                    Catch::Contains("data_url") && Catch::Contains("loopback"));
  CHECK_THROWS_WITH(PluginHarness(kSo, host, config_for(market, {{"timeframe", "15m"}})), Catch::Contains("timeframe"));
  ::unsetenv("AXION_ALPACA_SECRET_KEY");
  CHECK_THROWS_WITH(PluginHarness(kSo, host, config_for(market)), Catch::Contains("AXION_ALPACA_SECRET_KEY"));
  set_keys();
}
