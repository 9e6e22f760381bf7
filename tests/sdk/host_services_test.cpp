// The SDK's typed host services (positions, account, kill state) and the shared rate budgets,
// against FakeHost, which uses the same RateWindow as the engine.
#include <catch2/catch.hpp>

#include "axion/sdk/host.hpp"
#include "axion/sdk/testing/fakes.hpp"

using axion::sdk::Host;
using axion::sdk::testing::FakeHost;

namespace {
constexpr std::int64_t kMinute = 60'000'000;
}

TEST_CASE("Host positions, account and kill state come typed from the host") {
  FakeHost fake;
  Host host(fake.api());
  CHECK(host.positions().empty());
  fake.open_positions.push_back({"SPY", "SPY", "long", 40, 500.0, 501.5, "ema_cloud", 7, false});
  fake.open_positions.push_back({"SH", "SPY", "long", 10, 14.0, 13.9, "trend_day", 9, true});
  auto ps = host.positions();
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].ticker == "SPY");
  CHECK(ps[0].shares == 40);
  CHECK(ps[0].current_price == 501.5);
  CHECK(ps[1].strategy == "trend_day");
  CHECK(ps[1].is_inverse);
  fake.engine_account = {100'500.0, 80'000.0, 160'000.0, 100'000.0};
  REQUIRE(host.account());
  CHECK(host.account()->buying_power == 160'000.0);

  CHECK_FALSE(host.kill_state("ema_cloud", "SPY").blocks_entries());
  fake.kills.push_back({AXION_KILL_REDUCE_ONLY, AXION_KILL_SCOPE_SYMBOL, "SPY"});
  auto k = host.kill_state("ema_cloud", "SPY");
  CHECK(k.level == AXION_KILL_REDUCE_ONLY);
  CHECK(k.scope == AXION_KILL_SCOPE_SYMBOL);
  CHECK_FALSE(k.global_active);
  CHECK(host.kill_state("ema_cloud", "QQQ").level == AXION_KILL_NONE);
  fake.kills.push_back({AXION_KILL_BLOCK_NEW, AXION_KILL_SCOPE_GLOBAL, ""});
  k = host.kill_state("ema_cloud", "SPY");
  CHECK(k.level == AXION_KILL_REDUCE_ONLY);  // the strongest covering kill
  CHECK(k.global_active);
  CHECK(host.kill_state().level == AXION_KILL_BLOCK_NEW);
}

TEST_CASE("Rate budgets: shared by name, urgent requests keep a reserve, a refusal says how long") {
  FakeHost fake;
  Host broker(fake.api()), feed(fake.api());
  fake.rate_wall_us = 1'000;
  broker.declare_rate_budget("alpaca:PK1", 20, kMinute);
  feed.declare_rate_budget("alpaca:PK1", 20, kMinute);  // joins: the same numbers
  CHECK_THROWS_WITH(feed.declare_rate_budget("alpaca:PK1", 200, kMinute),
                    Catch::Contains("already 20 per 60000000 us") && Catch::Contains("asked for 200"));
  CHECK_THROWS_WITH(feed.take_rate("alpaca:other"), Catch::Contains("unknown rate budget 'alpaca:other'"));
  // Normal requests stop at 18 of 20: the last tenth is kept for orders and cancels.
  for (int i = 0; i < 18; ++i) REQUIRE(feed.take_rate("alpaca:PK1").taken);
  auto refused = feed.take_rate("alpaca:PK1");
  CHECK_FALSE(refused.taken);
  CHECK(refused.retry_after_us == kMinute);  // until the first one leaves the window
  CHECK(broker.take_rate("alpaca:PK1", 1, /*urgent=*/true).taken);
  CHECK(broker.take_rate("alpaca:PK1", 1, true).taken);
  CHECK(*broker.rate_remaining("alpaca:PK1") == 0);
  CHECK_FALSE(broker.take_rate("alpaca:PK1", 1, true).taken);
  // The window rolls: a minute after the first, those taken then are free again.
  fake.rate_wall_us = 1'000 + kMinute;
  CHECK(*feed.rate_remaining("alpaca:PK1") == 20);
  CHECK(feed.take_rate("alpaca:PK1", 5).taken);
  CHECK_FALSE(broker.rate_remaining("nothing"));
  // More at once than the budget allows at a priority is an error, not a wait that never ends.
  CHECK_THROWS_WITH(feed.take_rate("alpaca:PK1", 19), Catch::Contains("exceed what it allows"));
  CHECK_THROWS_WITH(broker.take_rate("alpaca:PK1", 21, true), Catch::Contains("exceed what it allows"));
  axion::sdk::RateWindow w(20, kMinute);
  auto t = w.take(21, true, 0);
  CHECK(t.never);
  CHECK_FALSE(t.taken);
  CHECK(w.take(20, true, 0).taken);  // the refusal took nothing
}
