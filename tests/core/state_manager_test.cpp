#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "axion/core/state/state_manager.hpp"
#include "axion/sdk/time.hpp"

namespace fs = std::filesystem;
using axion::core::StateManager;
using namespace axion::sdk::time;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("axion-state-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(counter()++));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::int64_t at(int y, unsigned m, unsigned d, unsigned hh = 15) { return eastern_to_utc(y, m, d, hh, 0); }
}  // namespace

TEST_CASE("No file: defaults are written at once with exactly the 10 documented keys") {
  TempDir dir;
  std::int64_t now = at(2026, 2, 9);
  StateManager s(dir.path / "nested", [&] { return now; });
  auto j = nlohmann::json::parse(read(dir.path / "nested" / "bot_state.json"));
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  std::vector<std::string> expected = {"circuit_breaker_status", "consecutive_losses", "daily_date",
                                       "daily_pnl", "daily_trade_count", "kill_switch_active",
                                       "kill_switch_reason", "last_signal_time", "last_trade_time",
                                       "total_realized_pnl"};
  CHECK(keys == expected);
  CHECK(j["daily_date"] == "2026-02-09");
  CHECK(j["kill_switch_active"] == false);
  CHECK(j["kill_switch_reason"].is_null());
  // Documented order and 2-space indent.
  auto text = read(dir.path / "nested" / "bot_state.json");
  CHECK(text.rfind("{\n  \"kill_switch_active\": false,\n  \"kill_switch_reason\": null,", 0) == 0);
  CHECK_FALSE(fs::exists(dir.path / "nested" / "bot_state.json.tmp"));
}

TEST_CASE("P&L bookkeeping: 150 - 50 + 200, loss streaks, lifetime total (§13 ex. 12)") {
  TempDir dir;
  std::int64_t now = at(2026, 2, 9);
  StateManager s(dir.path, [&] { return now; });
  s.record_trade_pnl(150);
  s.record_trade_pnl(-50);
  s.record_trade_pnl(200);
  CHECK(s.daily_pnl() == Approx(300));
  CHECK(s.daily_trade_count() == 3);
  s.record_trade_pnl(-20);
  s.record_trade_pnl(-15);
  CHECK(s.consecutive_losses() == std::vector<double>{-20, -15});
  s.record_trade_pnl(0);  // break-even resets the streak too
  CHECK(s.consecutive_losses().empty());
  s.reset_daily();
  CHECK(s.daily_pnl() == 0);
  CHECK(s.total_realized_pnl() == Approx(265));
}

TEST_CASE("Day rollover resets daily figures only, and is written") {
  TempDir dir;
  std::int64_t now = at(2026, 2, 9);
  {
    StateManager s(dir.path, [&] { return now; });
    s.record_trade_pnl(-100);
    s.record_trade_pnl(-100);
    s.activate_kill_switch("manual");
  }
  now = at(2026, 2, 10);
  StateManager s(dir.path, [&] { return now; });
  CHECK(s.daily_pnl() == 0);
  CHECK(s.daily_trade_count() == 0);
  CHECK(s.kill_switch_active());
  CHECK(s.consecutive_losses().size() == 2);
  CHECK(s.total_realized_pnl() == Approx(-200));
  auto j = nlohmann::json::parse(read(dir.path / "bot_state.json"));
  CHECK(j["daily_date"] == "2026-02-10");
  CHECK(j["daily_pnl"] == 0.0);
}

TEST_CASE("The kill switch is durable before activate returns, and deactivate clears the streak") {
  TempDir dir;
  std::int64_t now = at(2026, 2, 9);
  StateManager s(dir.path, [&] { return now; });
  s.record_trade_pnl(-10);
  s.activate_kill_switch("Market flash crash detected");
  auto j = nlohmann::json::parse(read(dir.path / "bot_state.json"));
  CHECK(j["kill_switch_active"] == true);
  CHECK(j["kill_switch_reason"] == "Market flash crash detected");
  s.deactivate_kill_switch();
  CHECK_FALSE(s.kill_switch_active());
  CHECK(s.consecutive_losses().empty());
  j = nlohmann::json::parse(read(dir.path / "bot_state.json"));
  CHECK(j["kill_switch_reason"].is_null());
}

TEST_CASE("A corrupt state file is kept aside and the engine starts killed (fail closed)") {
  TempDir dir;
  fs::create_directories(dir.path);
  std::ofstream(dir.path / "bot_state.json") << "{not json";
  std::int64_t now = at(2026, 2, 9);
  StateManager s(dir.path, [&] { return now; });
  CHECK(s.loaded_corrupt());
  CHECK(s.kill_switch_active());
  CHECK(s.kill_switch_reason() == std::optional<std::string>("State file unreadable"));
  CHECK(fs::exists(dir.path / "bot_state.json.corrupt"));
}

TEST_CASE("A kill switch that cannot be written is reported to the caller") {
  TempDir dir;
  std::int64_t now = at(2026, 2, 9);
  StateManager s(dir.path, [&] { return now; });
  // A directory where the temp file must go makes the write fail.
  fs::create_directories(dir.path / "bot_state.json.tmp");
  CHECK_THROWS_AS(s.activate_kill_switch("x"), axion::core::StateSaveError);
  std::string reported;
  s.on_save_error = [&](const std::string& e) { reported = e; };
  s.record_trade_pnl(1.0);
  CHECK_FALSE(reported.empty());
}

TEST_CASE("Circuit breaker accepts only its three states") {
  TempDir dir;
  std::int64_t now = at(2026, 2, 9);
  StateManager s(dir.path, [&] { return now; });
  s.set_circuit_breaker("half_open");
  CHECK(s.circuit_breaker_status() == "half_open");
  CHECK_THROWS(s.set_circuit_breaker("ajar"));
}

TEST_CASE("Trade counters are written at most every few seconds, and on flush") {
  TempDir dir;
  std::int64_t now = at(2026, 2, 9);
  StateManager s(dir.path, [&] { return now; });
  s.record_trade_pnl(-10);  // the first change is written at once
  CHECK(nlohmann::json::parse(read(dir.path / "bot_state.json"))["daily_pnl"] == -10.0);
  s.record_trade_pnl(-20);  // within 5 s of that write: in memory only
  CHECK(s.daily_pnl() == Approx(-30));
  CHECK(s.consecutive_losses().size() == 2);
  CHECK(nlohmann::json::parse(read(dir.path / "bot_state.json"))["daily_pnl"] == -10.0);
  s.flush();
  auto j = nlohmann::json::parse(read(dir.path / "bot_state.json"));
  CHECK(j["daily_pnl"] == -30.0);
  CHECK(j["daily_trade_count"] == 2);
  // A kill is never throttled: it writes the pending counters with it.
  s.record_trade_pnl(-5);
  s.activate_kill_switch("manual");
  CHECK(nlohmann::json::parse(read(dir.path / "bot_state.json"))["daily_pnl"] == -35.0);
}

TEST_CASE("Counters rebuilt from the journal's trades: the day, the lifetime and the streak since the last reset") {
  TempDir dir;
  std::int64_t now = at(2026, 2, 10);
  StateManager s(dir.path, [&] { return now; });
  auto trade = [](double pnl, std::int64_t at_us) {
    return nlohmann::json{{"pnl", pnl}, {"exit_time", axion::sdk::time::to_iso(at_us)}};
  };
  const std::vector<nlohmann::json> trades = {
      trade(-40, at(2026, 2, 9, 10)), trade(-30, at(2026, 2, 9, 11)),  // yesterday, before the reset
      trade(-20, at(2026, 2, 10, 10)), trade(100, at(2026, 2, 10, 11)),
      trade(-15, at(2026, 2, 10, 12)), trade(-5, at(2026, 2, 10, 13))};
  CHECK(s.rebuild_from_trades(trades));  // the fresh file said nothing of them
  CHECK(s.daily_pnl() == Approx(60));
  CHECK(s.daily_trade_count() == 4);
  CHECK(s.total_realized_pnl() == Approx(-10));
  CHECK(s.consecutive_losses() == std::vector<double>{-15, -5});
  CHECK(nlohmann::json::parse(read(dir.path / "bot_state.json"))["daily_trade_count"] == 4);
  CHECK_FALSE(s.rebuild_from_trades(trades));  // nothing new: not behind

  // A reset of the global kill after the 13:00 loss clears the streak; losses before it never
  // count again, even when the trades are replayed at the next start.
  const std::vector<nlohmann::json> losses = {trade(-40, at(2026, 2, 10, 10)), trade(-30, at(2026, 2, 10, 11)),
                                              trade(-20, at(2026, 2, 10, 13))};
  s.rebuild_from_trades(losses, at(2026, 2, 10, 12));
  CHECK(s.consecutive_losses() == std::vector<double>{-20});
  CHECK(s.daily_pnl() == Approx(-90));
}
