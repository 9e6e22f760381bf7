// ExitMonitor rules of pipeline.md §8.2, one by one, and acceptance example 9 (§13).
#include <catch2/catch.hpp>

#include "axion/core/pipeline/exit_monitor.hpp"
#include "axion/sdk/time.hpp"

using namespace axion::core;
namespace t = axion::sdk::time;

namespace {
// 2026-02-10 (a Tuesday) at hh:mm ET.
std::int64_t et(unsigned hh, unsigned mm, unsigned day = 10) { return t::eastern_to_utc(2026, 2, day, hh, mm); }

Position day_long() {
  Position p;
  p.ticker = p.underlying = "AAPL";
  p.direction = Direction::Long;
  p.entry_price = 150.0;
  p.current_price = 150.0;
  p.shares = 100;
  p.stop_loss = p.initial_stop = 145.0;  // R = 5
  p.target_price = 165.0;
  p.trade_type = "day";
  p.entry_time_us = et(10, 0);
  p.signal_id = "s1";
  return p;
}

IndicatorRows rows(double c0, double c1, double c2, double e5, double e12) {
  IndicatorRows r;
  r.rows = 3;
  double c[3] = {c0, c1, c2};
  for (int i = 0; i < 3; ++i) {
    r.close[i] = c[i];
    r.ema5[i] = e5;
    r.ema12[i] = e12;
  }
  r.ema8 = r.ema9 = (e5 + e12) / 2;
  return r;
}
}  // namespace

TEST_CASE("Acceptance example 9: breakeven move first, scale-out on the next evaluation, then the stop") {
  ExitRules rules;
  Position p = day_long();
  // Held 30 min, price at entry + 1R (155), below the 165 target, before 15:55 ET.
  auto e = check_exit(p, 155.0, nullptr, rules, et(10, 30));
  REQUIRE(e);
  CHECK(e->exit_type == "trail_to_breakeven");
  CHECK(e->priority == 8);
  CHECK(p.stop_loss == Approx(150.0 * 1.001));
  CHECK(e->reason == "Stop moved to breakeven+: $150.15 (1R reached at $155.00)");
  e = check_exit(p, 155.0, nullptr, rules, et(10, 31));
  REQUIRE(e);
  CHECK(e->exit_type == "scale_out");
  CHECK(e->scale_qty == 50);
  CHECK(e->reason == "Scale out 50 shares at 1R: $155.00 >= $155.00");
  p.scaled_out = true;
  CHECK_FALSE(check_exit(p, 155.0, nullptr, rules, et(10, 32)));

  Position q = day_long();
  e = check_exit(q, 140.0, nullptr, rules, et(10, 30));
  REQUIRE(e);
  CHECK(e->exit_type == "stop_loss");
  CHECK(e->reason == "Stop loss hit: $140.00 <= $145.00");
}

TEST_CASE("Target: the signal's, else entry plus R times reward_to_risk_target") {
  ExitRules rules;
  Position p = day_long();
  p.shares = 1;  // no scale-out
  auto e = check_exit(p, 165.0, nullptr, rules, et(10, 30));
  REQUIRE(e);
  CHECK(e->exit_type == "target");
  CHECK(e->reason == "Profit target hit: $165.00 >= $165.00");
  p.target_price = 0;  // 150 + 5 × 2.0 = 160
  p.stop_loss = 150.2;  // already at breakeven+
  e = check_exit(p, 160.0, nullptr, rules, et(10, 30));
  REQUIRE(e);
  CHECK(e->reason == "Profit target hit: $160.00 >= $160.00");
  CHECK_FALSE(check_exit(p, 159.99, nullptr, rules, et(10, 30)));
}

TEST_CASE("Short positions mirror every price rule") {
  ExitRules rules;
  Position p = day_long();
  p.direction = Direction::Short;
  p.stop_loss = p.initial_stop = 155.0;
  p.target_price = 140.0;
  p.shares = 1;
  CHECK(check_exit(p, 156.0, nullptr, rules, et(10, 30))->reason == "Stop loss hit: $156.00 >= $155.00");
  CHECK(check_exit(p, 139.0, nullptr, rules, et(10, 30))->reason == "Profit target hit: $139.00 <= $140.00");
}

TEST_CASE("Time stop for day trades without progress, EOD close, and overnight day trades") {
  ExitRules rules;
  Position p = day_long();
  p.shares = 1;
  auto e = check_exit(p, 150.5, nullptr, rules, et(12, 0));  // 120 min, +0.33 % <= 0.5 %
  REQUIRE(e);
  CHECK(e->exit_type == "time_stop");
  CHECK(e->reason == "Time stop: held 120min with no progress");
  CHECK_FALSE(check_exit(p, 151.0, nullptr, rules, et(12, 0)));  // +0.67 %: progress
  e = check_exit(p, 151.0, nullptr, rules, et(15, 55));
  REQUIRE(e);
  CHECK(e->exit_type == "eod");
  CHECK(e->reason == "EOD close: past 15:55 ET");
  e = check_exit(p, 151.0, nullptr, rules, et(9, 45, 11));  // entered the day before
  REQUIRE(e);
  CHECK(e->exit_type == "eod");
  p.trade_type = "scalp";  // scalps are exempt from rules 5 and 6
  CHECK_FALSE(check_exit(p, 150.5, nullptr, rules, et(15, 58)));
}

TEST_CASE("Leveraged ETFs past their hold limit get the decay warning as a time stop") {
  ExitRules rules;
  Position p = day_long();
  p.trade_type = "swing";
  p.instrument_type = "leveraged_etf";
  p.leverage = 3.0;
  p.shares = 1;
  CHECK_FALSE(check_exit(p, 151.0, nullptr, rules, et(10, 0, 15)));  // 5 days: at the limit
  auto e = check_exit(p, 151.0, nullptr, rules, et(10, 0, 16));
  REQUIRE(e);
  CHECK(e->reason == "Leveraged ETF (3.0x) held 6 days exceeds recommended max of 5 days (decay risk)");
  CHECK(max_hold_days(2.0, rules) == 10);
  CHECK(max_hold_days(1.0, rules) == 15);
}

TEST_CASE("EMA rules: exhaustion, fast cloud flip and the swing trailing stop") {
  ExitRules rules;
  Position p = day_long();
  p.shares = 1;
  p.trade_type = "swing";
  auto above = rows(152, 153, 154, 150, 149);  // three closes above a bullish fast cloud
  auto e = check_exit(p, 151.0, &above, rules, et(10, 30));
  REQUIRE(e);
  CHECK(e->exit_type == "exhaustion");
  CHECK(e->reason == "3 consecutive candles above fast cloud (momentum exhaustion)");
  auto flipped = rows(151, 150, 148, 149, 150);  // fast cloud bearish, last close below it
  e = check_exit(p, 148.0, &flipped, rules, et(10, 30));
  REQUIRE(e);
  CHECK(e->exit_type == "cloud_flip");
  CHECK(e->reason == "Fast cloud flipped bearish (5/12 EMA)");
  auto trail = rows(151, 151, 149, 151, 150);  // bullish fast cloud, close under pullback cloud
  e = check_exit(p, 149.0, &trail, rules, et(10, 30));
  REQUIRE(e);
  CHECK(e->exit_type == "trailing");
  CHECK(e->reason == "Trailing stop: price $149.00 below pullback cloud $150.50");
  p.trade_type = "day";  // only swing trades trail
  CHECK_FALSE(check_exit(p, 149.0, &trail, rules, et(10, 30)));
}

TEST_CASE("Exit rules read the effective lifecycle settings") {
  axion::sdk::Limits eff;
  eff.reward_to_risk_target = 3.0;
  eff.time_stop_minutes = 60;
  eff.eod_close_time = "15:30";
  eff.trailing_stop_cloud = "fast";
  eff.max_etf_hold_days_3x = 4;
  auto r = ExitRules::from(eff);
  CHECK(r.max_etf_hold_days_3x == 4);
  CHECK(r.max_etf_hold_days_2x == 10);
  CHECK(r.reward_to_risk_target == 3.0);
  CHECK(r.time_stop_minutes == 60);
  CHECK(r.eod_minute_of_day == 15 * 60 + 30);
  CHECK(r.trailing_stop_cloud == "fast");
}
