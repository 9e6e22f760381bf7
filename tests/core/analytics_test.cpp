// BotPerformanceTracker and PerformanceSnapshot (control.md §5.3–5.4, §8 Analytics).
#include <catch2/catch.hpp>

#include "axion/core/control/analytics.hpp"

using namespace axion::core;
using Catch::Detail::Approx;

namespace {

ClosedTradeRecord trade(double pnl, const std::string& signal = "unknown", const std::string& strategy = "unknown",
                        const std::string& ticker = "AAPL") {
  ClosedTradeRecord t;
  t.ticker = ticker;
  t.direction = "long";
  t.pnl = pnl;
  t.signal_type = signal;
  t.strategy = strategy;
  t.exit_reason = "stop_loss";
  return t;
}

constexpr std::int64_t kT0 = 1770647400000000;  // 2026-02-09T14:30:00Z

}  // namespace

TEST_CASE("Tracker starts at the starting equity with a one-point curve") {
  BotPerformanceTracker t(100000.0, 10000, [] { return kT0; });
  CHECK(t.equity() == 100000.0);
  CHECK(t.trade_count() == 0);
  REQUIRE(t.curve().size() == 1);
  auto s = t.snapshot();
  CHECK(s.total_trades == 0);
  CHECK(s.equity_curve == std::vector<double>{100000.0});
  auto j = s.to_json();
  CHECK(j["profit_factor"] == 0.0);
  CHECK(j["equity_curve_len"] == 1);
  CHECK(j["by_signal"] == json::object());
  CHECK(j["timestamp"] == "2026-02-09T14:30:00.000000+00:00");
  CHECK(t.recent_trades() == json::array());
}

TEST_CASE("Worked example of control.md 5.4") {
  BotPerformanceTracker t(100000.0, 10000, [] { return kT0; });
  t.record_trade(trade(100, "ema_cloud", "s1"));
  t.record_trade(trade(-30, "vwap", "s1"));
  t.record_trade(trade(50, "ema_cloud", "s2"));
  auto s = t.snapshot();
  CHECK(s.equity_curve == std::vector<double>{100000, 100100, 100070, 100120});
  auto j = s.to_json();
  CHECK(j["total_trades"] == 3);
  CHECK(j["winning_trades"] == 2);
  CHECK(j["losing_trades"] == 1);
  CHECK(j["win_rate"] == 0.667);
  CHECK(j["total_pnl"] == 120.0);
  CHECK(j["avg_pnl"] == 40.0);
  CHECK(j["profit_factor"] == 5.0);
  CHECK(j["sharpe"] == 4.88);
  CHECK(j["sortino"] == 18.49);
  CHECK(j["calmar"] == 336.32);
  CHECK(j["max_drawdown"] == 0.0003);
  CHECK(j["current_drawdown"] == 0.0);
  CHECK(j["equity_curve_len"] == 4);
  CHECK_FALSE(j.contains("equity_curve"));
  CHECK(j["by_signal"]["ema_cloud"] ==
        json({{"trades", 2}, {"wins", 2}, {"win_rate", 1.0}, {"total_pnl", 150.0}, {"avg_pnl", 75.0}, {"sharpe", 24.74}}));
  CHECK(j["by_signal"]["vwap"] ==
        json({{"trades", 1}, {"wins", 0}, {"win_rate", 0.0}, {"total_pnl", -30.0}, {"avg_pnl", -30.0}, {"sharpe", 0.0}}));
  CHECK(j["by_strategy"]["s1"] ==
        json({{"trades", 2}, {"wins", 1}, {"win_rate", 0.5}, {"total_pnl", 70.0}, {"avg_pnl", 35.0}, {"sharpe", 2.62}}));
  CHECK(j["by_strategy"]["s2"] ==
        json({{"trades", 1}, {"wins", 1}, {"win_rate", 1.0}, {"total_pnl", 50.0}, {"avg_pnl", 50.0}, {"sharpe", 0.0}}));
  // Serialised key order of the spec (json objects sort, so check the set of keys).
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys.size() == 16);
}

TEST_CASE("Tracker: +150 then -200 moves equity, curve length is trades plus one") {
  BotPerformanceTracker t(100000.0);
  t.record_trade(trade(150));
  CHECK(t.equity() == 100150.0);
  t.record_trade(trade(-200));
  CHECK(t.equity() == 99950.0);
  CHECK(t.curve().size() == 3);
  BotPerformanceTracker u(100000.0);
  u.record_trade(trade(-200));
  CHECK(u.equity() == 99800.0);
  CHECK(u.curve().size() == 2);
  // Drawdown from the all-time peak.
  auto s = t.snapshot();
  CHECK(s.current_drawdown == Approx(200.0 / 100150.0));
  CHECK(s.max_drawdown == Approx(200.0 / 100150.0));
  // The snapshot is reused until the next trade, which refreshes it.
  CHECK(t.snapshot().total_trades == 2);
  t.record_trade(trade(300));
  auto after = t.snapshot();
  CHECK(after.total_trades == 3);
  CHECK(after.current_drawdown == 0.0);
  CHECK(after.total_pnl == Approx(250.0));
}

TEST_CASE("Tracker: returns are pnl over the equity before the trade") {
  BotPerformanceTracker t(1000.0);
  for (double p : {10.0, -5.0, 20.0, -10.0, 15.0, -3.0, 25.0}) t.record_trade(trade(p));
  auto s = t.snapshot();
  // The third row of the metrics reference table (control.md §5.2).
  CHECK(s.sharpe == Approx(8.54242).margin(1e-5));
  CHECK(s.sortino == Approx(26.505822).margin(1e-5));
  CHECK(s.calmar == Approx(189.674688).margin(1e-5));
  CHECK(s.max_drawdown == Approx(0.009756).margin(1e-6));
}

TEST_CASE("Tracker: recent_trades gives the newest last, limit 1 is the newest") {
  BotPerformanceTracker t(100000.0, 10000, [] { return kT0; });
  t.record_trade(trade(10, "a", "s", "AAPL"));
  t.record_trade(trade(-20.456, "b", "s", "MSFT"));
  auto one = t.recent_trades(1);
  REQUIRE(one.size() == 1);
  CHECK(one[0]["ticker"] == "MSFT");
  CHECK(one[0]["pnl"] == -20.46);
  CHECK(one[0]["signal_type"] == "b");
  CHECK(one[0]["strategy"] == "s");
  CHECK(one[0]["exit_reason"] == "stop_loss");
  CHECK(one[0]["direction"] == "long");
  CHECK(one[0]["closed_at"] == "2026-02-09T14:30:00.000000+00:00");
  auto all = t.recent_trades();
  REQUIRE(all.size() == 2);
  CHECK(all[0]["ticker"] == "AAPL");
  CHECK(t.recent_trades(0).empty());
}

TEST_CASE("Tracker: max_history 5 caps trades, curve and breakdowns") {
  BotPerformanceTracker t(100000.0, 5);
  for (int i = 0; i < 8; ++i) t.record_trade(trade(i < 3 ? -100.0 : 10.0, i < 3 ? "old" : "new"));
  CHECK(t.trade_count() == 5);
  CHECK(t.curve().size() == 6);
  auto s = t.snapshot();
  CHECK(s.total_trades == 5);
  CHECK(s.winning_trades == 5);
  CHECK(s.by_signal.count("old") == 0);
  CHECK(s.by_signal.at("new").trades == 5);
  CHECK(t.equity() == 100000.0 - 300 + 50);
  // current drawdown is from the all-time peak (the starting equity here).
  CHECK(s.current_drawdown == Approx(250.0 / 100000.0));
}

TEST_CASE("Snapshot: profit factor without losses serialises as null") {
  BotPerformanceTracker t(100000.0);
  t.record_trade(trade(100));
  t.record_trade(trade(0));  // break-even counts in totals only
  auto s = t.snapshot();
  CHECK(std::isinf(s.profit_factor));
  CHECK(s.total_trades == 2);
  CHECK(s.winning_trades == 1);
  CHECK(s.losing_trades == 0);
  auto j = s.to_json();
  CHECK(j["profit_factor"].is_null());
  CHECK(j.dump().find("Infinity") == std::string::npos);
  CHECK(j["sortino"] == 10.0);  // no negative return, mean above the risk-free rate
}

TEST_CASE("Snapshot: the serialised curve is capped at 500 points") {
  BotPerformanceTracker t(100000.0);
  for (int i = 0; i < 600; ++i) t.record_trade(trade(1));
  auto s = t.snapshot();
  CHECK(s.equity_curve.size() == 500);
  CHECK(s.equity_curve.back() == 100600.0);
  CHECK(s.to_json()["equity_curve_len"] == 500);
}
