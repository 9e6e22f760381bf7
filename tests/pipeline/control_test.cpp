// The control plane wired into the running engine (control.md §3, §1.3, §1.4, §5.3, §8 "Control
// on a running paper engine"): the controller's kill reaches the orchestrator and bot_state.json,
// pause and stop end signal intake, the status and history read models, analytics surviving a
// restart, token verification for the WS add-on and the periodic performance snapshot.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "engine_fixture.hpp"
#include "eventually.hpp"

using axion::test::EngineFixture;
using axion::test::ManifestBuilder;
using namespace axion::core;

namespace {

json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

}  // namespace

TEST_CASE("Control: a kill through the controller is durable, closes positions and rejects new signals") {
  EngineFixture fx("control-kill");
  {
    auto& e = fx.start(ManifestBuilder().toml());
    CHECK(e.controller().status() == "paper");
    CHECK(e.controller().start(std::nullopt, false, "key1").outcome == ControlOutcome::Conflict);
    REQUIRE(fx.run_until_open(400) > 0);

    auto r = e.controller().kill("bar check", KillLevel::Flatten, KillScope::Global, "", "key1");
    CHECK(r.outcome == ControlOutcome::Done);
    CHECK(r.message == "Kill switch activated: bar check");
    // Durable before the reply.
    auto state = read_json(fx.state_dir() / "bot_state.json");
    CHECK(state["kill_switch_active"] == true);
    CHECK(state["kill_switch_reason"] == "bar check");
    CHECK(e.controller().status() == "killed");
    CHECK(e.orchestrator().positions().empty());  // global flatten
    auto alerts = fx.events("kill_switch");
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].channel == "alerts");
    CHECK(json::parse(alerts[0].data())["actor"] == "key1");
    auto killed = fx.events("bot_killed");
    REQUIRE(killed.size() == 1);
    CHECK(killed[0].channel == "lifecycle");
    auto kd = json::parse(killed[0].data());
    CHECK(kd["status"] == "killed");
    CHECK(kd["actor"] == "key1");
    CHECK(kd["message"] == "Kill switch activated: bar check");

    // New signals reach the pipeline and stop at stage 1; nothing is entered.
    const auto entries = e.counters().entries;
    const auto rejected_before = fx.results("kill_switch").size();
    e.run_feed_to_end(250);
    CHECK(e.counters().entries == entries);
    auto rejected = fx.results("kill_switch");
    REQUIRE(rejected.size() > rejected_before);
    CHECK(rejected.back()["rejection_reason"] == "Kill switch active: bar check");

    auto s = e.controller().start(std::nullopt, false, "key1");
    CHECK(s.outcome == ControlOutcome::Conflict);
    CHECK(s.message == "Kill switch is active \u2014 reset before starting");
    CHECK(e.controller().pause("key1").outcome == ControlOutcome::Conflict);
    fx.crash();
  }
  {
    // A restart while killed comes back killed; reset pauses, resume trades again.
    auto& e = fx.start(ManifestBuilder().toml());
    CHECK(e.controller().status() == "killed");
    CHECK(e.status_json()["status"] == "killed");
    CHECK(e.status_json()["kill_switch_active"] == true);
    auto r = e.controller().reset_kill(KillScope::Global, "", "key2");
    CHECK(r.message == "Kill switch reset \u2014 bot paused");
    CHECK(e.controller().status() == "paused");
    CHECK(read_json(fx.state_dir() / "bot_state.json")["kill_switch_active"] == false);
    auto paused = fx.events("bot_paused");
    REQUIRE(paused.size() == 1);
    CHECK(json::parse(paused[0].data())["reason"] == "kill_switch_reset");
    CHECK(e.controller().resume("key2").ok());
    CHECK(e.controller().status() == "paper");
  }
}

TEST_CASE("Control: pause and stop end signal intake while strategies keep seeing bars") {
  EngineFixture fx("control-pause");
  auto& e = fx.start(ManifestBuilder().toml());
  e.run_feed_to_end(300);
  REQUIRE(e.counters().signals > 0);
  REQUIRE(e.controller().pause("k").ok());
  const auto signals = e.counters().signals;
  const auto entries = e.counters().entries;
  const auto strategy_signals = e.counters().strategy_signals;
  const auto bars = e.counters().bars;
  e.run_feed_to_end(300);
  CHECK(e.counters().bars == bars + 300);
  CHECK(e.counters().signals == signals);  // nothing reached the pipeline
  CHECK(e.counters().entries == entries);
  CHECK(e.counters().strategy_signals > strategy_signals);  // strategies still ran
  REQUIRE(e.controller().resume("k").ok());
  e.run_feed_to_end(200);
  CHECK(e.counters().signals > signals);

  REQUIRE(e.controller().stop("k").ok());
  const auto after_stop = e.counters().signals;
  e.run_feed_to_end(100);
  CHECK(e.counters().signals == after_stop);
  CHECK(e.controller().resume("k").outcome == ControlOutcome::Conflict);
  REQUIRE(e.controller().start(std::nullopt, false, "k").ok());
  CHECK(e.controller().status() == "paper");
  auto started = fx.events("bot_started");
  REQUIRE(started.size() == 1);
  CHECK(json::parse(started[0].data())["actor"] == "k");
}

TEST_CASE("Control: status, positions and history read models") {
  EngineFixture fx("control-status");
  auto& e = fx.start(ManifestBuilder().toml());
  REQUIRE(fx.run_until_open(400) > 0);
  auto s = e.status_json();
  const std::vector<std::string> keys = {
      "status", "instrument_mode", "uptime_seconds", "account_equity", "daily_pnl", "daily_pnl_pct",
      "win_rate", "total_trades_today", "open_positions", "kill_switch_active", "data_feed_status",
      "last_bar_time", "mode", "regime", "kill", "signals_processed", "signals_executed", "rejections_by_stage",
      "last_signal_time", "last_trade_time", "performance"};
  CHECK(s.size() == keys.size());  // no "live": a paper run whose feed reports no health
  CHECK(s["last_bar_time"].is_string());
  for (const auto& k : keys) CHECK(s.contains(k));
  CHECK(s["status"] == "paper");
  CHECK(s["instrument_mode"] == "both");
  CHECK(s["uptime_seconds"].is_number_integer());
  CHECK(s["account_equity"].is_number_float());
  CHECK(s["daily_pnl"].is_number_float());
  CHECK(s["open_positions"] == e.orchestrator().positions().size());
  CHECK(s["kill_switch_active"] == false);
  CHECK(s["data_feed_status"] == "connected");
  CHECK(s["mode"] == "paper");
  CHECK(s["regime"].contains("regime"));
  CHECK(s["regime"].contains("confidence"));
  CHECK(s["regime"]["effective"].contains("position_size_multiplier"));
  CHECK(s["kill"] == json::array());
  auto stats = e.orchestrator().stats();
  CHECK(s["signals_processed"] == stats["total_signals_processed"]);
  CHECK(s["signals_executed"] == stats["successful_executions"]);
  CHECK(s["rejections_by_stage"] == stats["rejections_by_stage"]);
  CHECK(s["last_signal_time"].is_string());
  CHECK(s["total_trades_today"] == e.state().daily_trade_count());
  CHECK(s["performance"]["total_trades"] == e.journal().trades(100000).size());

  // PositionItem, oldest first.
  auto pos = e.positions_json();
  REQUIRE(pos.size() == e.orchestrator().positions().size());
  for (const auto& p : pos) {
    CHECK(p.size() == 7);
    for (const char* k : {"ticker", "direction", "entry_price", "current_price", "shares", "pnl", "pnl_pct"}) {
      CHECK(p.contains(k));
    }
  }

  // History: newest first, offset/limit, totals per outcome.
  const auto total = e.journal().result_count("all");
  REQUIRE(total >= 10);
  auto [page, count] = e.history_json(5, 3, "all");
  CHECK(count == total);
  REQUIRE(page.size() == 5);
  auto all = e.journal().results(10, 0, "all");
  CHECK(page[0]["signal_id"] == all[3]["signal_id"]);
  CHECK(page[0].size() == 8);
  auto [rejected, nrej] = e.history_json(100, 0, "rejected");
  CHECK(nrej == e.journal().result_count("rejected"));
  for (const auto& r : rejected) CHECK(r["success"] == false);
  auto [executed, nexe] = e.history_json(100, 0, "executed");
  CHECK(nexe == static_cast<std::int64_t>(e.counters().entries));
  for (const auto& r : executed) CHECK(r["success"] == true);
  auto [tail, n2] = e.history_json(5, static_cast<int>(total), "all");
  CHECK(tail.empty());
  CHECK(n2 == total);

  // Kills: global first, with every field.
  REQUIRE(e.controller().kill("one", KillLevel::BlockNew, KillScope::Symbol, "GOOG", "k").ok());
  REQUIRE(e.controller().kill("two", KillLevel::BlockNew, KillScope::Global, "", "k").ok());
  auto kills = e.status_json()["kill"];
  REQUIRE(kills.size() == 2);
  CHECK(kills[0]["scope"] == "global");
  CHECK(kills[0]["target"].is_null());
  CHECK(kills[1]["target"] == "GOOG");
  for (const char* k : {"level", "scope", "target", "reason", "actor", "activated_at"}) CHECK(kills[1].contains(k));
  CHECK(e.status_json()["status"] == "killed");
}

TEST_CASE("Control: the analytics tracker is fed by closes and restored after a restart") {
  EngineFixture fx("control-analytics");
  json before;
  std::size_t trades = 0;
  {
    auto& e = fx.start(ManifestBuilder().toml());
    e.run_feed_to_end();
    trades = e.journal().trades(100000).size();
    REQUIRE(trades > 3);
    CHECK(e.analytics().trade_count() == trades);
    before = e.analytics().snapshot().to_json();
    CHECK(before["total_trades"] == trades);
    CHECK(e.analytics().equity() ==
          Approx(e.manifest().engine.starting_equity + before["total_pnl"].get<double>()).margin(0.01));
    fx.crash();
  }
  auto& e = fx.start(ManifestBuilder().toml());
  CHECK(e.analytics().trade_count() == trades);
  auto after = e.analytics().snapshot().to_json();
  before.erase("timestamp");
  after.erase("timestamp");
  CHECK(after == before);
  CHECK(e.status_json()["performance"]["total_trades"] == trades);
}

TEST_CASE("Control: verify_token for the WS add-on and the api_key_revoked event") {
  EngineFixture fx("control-token");
  auto& e = fx.start(ManifestBuilder().toml());
  auto c = fx.keys().create("alice", "ws", {"read"}, "free", std::nullopt);
  auto ok = e.query("verify_token", {{"token", c.raw}});
  REQUIRE(ok);
  CHECK((*ok)["ok"] == true);
  CHECK((*ok)["key_id"] == c.key.key_id);
  CHECK((*ok)["user_id"] == "alice");
  CHECK((*ok)["scopes"] == json({"read"}));
  auto missing = e.query("verify_token", json::object());
  CHECK((*missing) == json({{"ok", false}, {"reason", "Missing authentication token"}}));
  auto bad = e.query("verify_token", {{"token", "ax_" + std::string(48, 'f')}});
  CHECK((*bad) == json({{"ok", false}, {"reason", "Invalid or expired token"}}));
  // From another thread too (the add-on's own threads).
  std::optional<json> threaded;
  std::thread([&] { threaded = e.query("verify_token", {{"token", c.raw}}); }).join();
  CHECK((*threaded)["ok"] == true);

  REQUIRE(fx.keys().revoke("alice", c.key.key_id));
  auto revoked = fx.events("api_key_revoked");
  REQUIRE(revoked.size() == 1);
  CHECK(json::parse(revoked[0].data())["key_id"] == c.key.key_id);
  CHECK(revoked[0].channel == "lifecycle");
  CHECK((*e.query("verify_token", {{"token", c.raw}}))["ok"] == false);

  auto& off = fx.start(ManifestBuilder().set("api", "auth", false).toml());
  CHECK((*off.query("verify_token", {{"token", "x"}})) == json({{"auth", false}}));
}

TEST_CASE("Control: the engine loop pushes performance_snapshot every refresh interval") {
  EngineFixture fx("control-snapshot");
  auto& e = fx.start(ManifestBuilder().set("engine", "mode", "paper").toml());
  e.run_feed_to_end();  // the feed is drained: the engine thread below only serves its timers
  REQUIRE(e.controller().update_config({{"refresh_interval_seconds", 1}}, "k").ok());
  const auto n_trades = e.journal().trades(100000).size();  // read before the engine thread owns it
  std::thread loop([&] { e.run(); });
  // When each snapshot (by sequence) was first observed.
  std::map<std::int64_t, std::chrono::steady_clock::time_point> seen;
  axion::test::eventually(
      [&] {
        for (const auto& ev : e.bus().recent(100)) {
          if (ev.event != "performance_snapshot" || seen.count(ev.sequence)) continue;
          seen[ev.sequence] = std::chrono::steady_clock::now();
          CHECK(ev.channel == "metrics");
          auto d = json::parse(ev.data());
          CHECK(d.contains("equity_curve_len"));
          CHECK(d["total_trades"] == n_trades);
        }
        return seen.size() >= 2;
      },
      std::chrono::seconds(20));
  e.request_stop();
  loop.join();
  REQUIRE(seen.size() >= 2);
  // Wall-clock pacing: the second push comes about a second after the first (polling slack).
  const auto gap = std::next(seen.begin())->second - seen.begin()->second;
  CHECK(gap >= std::chrono::milliseconds(900));
}

TEST_CASE("Control: a kill known only to bot_state.json becomes the engine's kill, and one reset clears both") {
  EngineFixture fx("state-only-kill");
  {
    fx.start(ManifestBuilder().toml());
    fx.crash();
  }
  // An older engine wrote the switch to the state file only (no journal record).
  json state = read_json(fx.state_dir() / "bot_state.json");
  state["kill_switch_active"] = true;
  state["kill_switch_reason"] = "set by an older engine";
  std::ofstream(fx.state_dir() / "bot_state.json", std::ios::trunc) << state.dump();
  auto& e = fx.start(ManifestBuilder().toml());
  const KillRecord* g = e.orchestrator().global_kill();
  REQUIRE(g);
  CHECK(g->reason == "set by an older engine");
  CHECK(e.status_json()["kill_switch_active"] == true);
  CHECK(e.controller().status() == "killed");
  CHECK(fx.sql("SELECT reason FROM kills WHERE scope = 'global' AND active = 1").size() == 1);
  auto r = e.controller().reset_kill(KillScope::Global, "", "key1");
  CHECK(r.message == "Kill switch reset \u2014 bot paused");
  CHECK_FALSE(e.orchestrator().global_kill());
  CHECK(e.status_json()["kill_switch_active"] == false);
  CHECK(read_json(fx.state_dir() / "bot_state.json")["kill_switch_active"] == false);
  CHECK(fx.sql("SELECT reason FROM kills WHERE scope = 'global' AND active = 1").empty());
}
