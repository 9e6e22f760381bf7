// Pipeline scenarios: the real engine, feed/csv replaying GOOG daily bars (2004–2008), the EMA
// cloud strategy and the paper broker; assertions on orders, positions, rejections by stage,
// the journal and restarts.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "axion/sdk/testing/signals.hpp"
#include "engine_fixture.hpp"

using axion::sdk::testing::make_signal;
using axion::test::EngineFixture;
using axion::test::ManifestBuilder;
using namespace axion::core;

namespace {

ManifestBuilder with_sanity_and_dedup() {
  return ManifestBuilder().add("guard/sanity").add("guard/dedup", {{"window_seconds", 864000.0}});
}

// The 1-based number of the line `line` of `text` (0: none).
int line_of(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  std::string l;
  for (int n = 1; std::getline(in, l); ++n) {
    if (l == line) return n;
  }
  return 0;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("GOOG replay: signals become validated paper fills, positions and closed trades") {
  EngineFixture fx("replay");
  auto& e = fx.start(with_sanity_and_dedup().toml());
  e.run_feed_to_end();
  const auto& c = e.counters();
  CHECK(c.bars == 1047);
  CHECK(c.signals > 50);
  CHECK(c.entries > 5);

  // Every completed result has a validated fill and an order id from the paper broker.
  auto done = fx.results("completed");
  REQUIRE(done.size() == c.entries);
  for (const auto& r : done) {
    CHECK(r["success"] == true);
    CHECK(r["order_id"].get<std::string>().rfind("PAPER-", 0) == 0);
    CHECK(r["signal_id"].get<std::string>().size() == 36);
  }
  // Every entry published trade_executed on `orders` and opened a position at the fill price.
  auto trades = fx.events("trade_executed");
  CHECK(trades.size() == done.size());
  for (const auto& t : trades) {
    auto d = json::parse(t.data());
    CHECK(t.channel == "orders");
    CHECK(d["shares"] == 1);  // no [[sizing]]: one share, market (pipeline.md §0.1)
    CHECK(d["entry_price"].get<double>() > 0);
  }
  // Stops and targets closed positions with real broker orders, journaled as trades.
  auto closed = fx.events("position_closed");
  REQUIRE_FALSE(closed.empty());
  std::set<std::string> reasons;
  for (const auto& ev : closed) {
    auto d = json::parse(ev.data());
    reasons.insert(d["exit_reason"].get<std::string>().substr(0, d["exit_reason"].get<std::string>().find(':')));
  }
  CHECK(reasons.count("stop_loss") == 1);
  CHECK(reasons.count("target") == 1);
  CHECK(e.journal().trades(10000).size() == closed.size());
  // Orders submitted = entries + closes (each close sends an opposite-side order).
  CHECK(fx.events("order_submitted").size() == done.size() + closed.size());

  // The daily-bar strategy repeats setups: the dedup guard rejects repeats within its window.
  auto dups = fx.results("signal_guard");
  REQUIRE_FALSE(dups.empty());
  CHECK(dups[0]["rejection_reason"] == "Duplicate signal within 864000.0s window");
  // Rejections are published on `signals` and counted by stage.
  CHECK(fx.events("signal_rejected").size() == fx.results().size() - done.size());
  auto stats = e.orchestrator().stats();
  CHECK(stats["rejections_by_stage"]["signal_guard"] == dups.size());
  CHECK(stats["total_signals_processed"] == fx.results().size());

  // The ledger adds up: realized P&L in bot_state.json equals the sum of the closed trades
  // (journaled P&L is rounded to cents, so allow half a cent per trade).
  double sum = 0;
  auto journaled = e.journal().trades(10000);
  for (const auto& t : journaled) sum += t["pnl"].get<double>();
  CHECK(e.state().total_realized_pnl() ==
        Approx(sum).margin(0.005 * static_cast<double>(journaled.size())));
}

TEST_CASE("Kill switch: flatten closes every position, then every signal stops at stage 1") {
  EngineFixture fx("kill");
  auto& e = fx.start(ManifestBuilder().toml());
  REQUIRE(fx.run_until_open(400) > 0);
  KillRecord k;
  k.reason = "Market flash crash detected";
  k.actor = "test";
  e.orchestrator().activate_kill(k);
  CHECK(e.orchestrator().positions().empty());
  auto kills = fx.events("kill_switch");
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].channel == "alerts");
  CHECK(json::parse(kills[0].data())["level"] == "flatten");
  // bot_state.json already says so.
  auto state = json::parse(read_file(fx.state_dir() / "bot_state.json"));
  CHECK(state["kill_switch_active"] == true);
  CHECK(state["kill_switch_reason"] == "Market flash crash detected");

  auto before = e.counters().entries;
  e.run_feed_to_end();
  CHECK(e.counters().entries == before);
  auto killed = fx.results("kill_switch");
  REQUIRE_FALSE(killed.empty());
  CHECK(killed.back()["rejection_reason"] == "Kill switch active: Market flash crash detected");
}

TEST_CASE("Restart: open positions and the kill switch survive a process restart") {
  EngineFixture fx("restart");
  std::vector<std::string> open_ids;
  {
    auto& e = fx.start(ManifestBuilder().toml());
    fx.run_until_open(300);
    for (const auto& p : e.orchestrator().positions()) open_ids.push_back(p.signal_id);
    REQUIRE_FALSE(open_ids.empty());
    fx.crash();  // no graceful shutdown
  }
  {
    auto& e = fx.start(ManifestBuilder().toml());
    std::vector<std::string> restored;
    for (const auto& p : e.orchestrator().positions()) restored.push_back(p.signal_id);
    CHECK(restored == open_ids);
    // The paper broker restored its own book: it agrees with the journal.
    std::int64_t journal_shares = 0;
    for (const auto& p : e.orchestrator().positions()) journal_shares += p.shares;
    CHECK(journal_shares == static_cast<std::int64_t>(open_ids.size()));
    // The broker nets longs and shorts per symbol; the journal keeps each position.
    std::int64_t journal_net = 0;
    for (const auto& p : e.orchestrator().positions()) journal_net += p.direction == Direction::Long ? p.shares : -p.shares;
    std::int64_t broker_net = 0;
    for (const auto& inst : e.instances()) {
      if (inst->kind() == AXION_KIND_BROKER) {
        for (const auto& bp : inst->positions()) broker_net += bp.side == "long" ? bp.qty : -bp.qty;
      }
    }
    CHECK(broker_net == journal_net);
    CHECK(e.orchestrator().account().equity > 0);
    // A restored position is closable with a real order.
    auto first = e.orchestrator().positions().front();
    auto closed = e.orchestrator().close_position(first.ticker, "manual", 0.0, 0, first.signal_id);
    REQUIRE(closed);
    CHECK(closed->signal_id == first.signal_id);
    // Kill, then crash again.
    KillRecord k;
    k.level = KillLevel::BlockNew;
    k.reason = "operator halt";
    e.orchestrator().activate_kill(k);
    fx.crash();
  }
  {
    auto& e = fx.start(ManifestBuilder().toml());
    CHECK(e.state().kill_switch_active());
    REQUIRE(e.orchestrator().kills().size() == 1);
    CHECK(e.orchestrator().kills()[0].level == KillLevel::BlockNew);
    CHECK(e.orchestrator().positions().size() == open_ids.size() - 1);  // block_new keeps them
    auto r = e.process_signal(make_signal({.ticker = "GOOG",
                                           .signal_type = "cloud_cross_bullish",
                                           .timeframe = "1d",
                                           .entry_price = 400.0,
                                           .stop_loss = 390.0,
                                           .ts_us = e.now_us()}));
    REQUIRE(r);
    CHECK(r->pipeline_stage() == "kill_switch");
    CHECK(r->rejection_reason == "Kill switch active: operator halt");
    // Event sequence numbers continue after the restart.
    CHECK(e.bus().last_sequence() > 0);
  }
}

TEST_CASE("Broker rejections are retried then fail fill validation and no position is opened") {
  EngineFixture fx("rejects");
  auto& e = fx.start(ManifestBuilder().set("broker", "reject_rate", 1.0).toml());
  e.run_feed_to_end();
  CHECK(e.counters().entries == 0);
  CHECK(e.orchestrator().positions().empty());
  auto fv = fx.results("fill_validation");
  REQUIRE_FALSE(fv.empty());
  CHECK(fv[0]["rejection_reason"].get<std::string>().rfind("Fill validation failed: Order rejected by broker: ", 0) == 0);
  // Three attempts per signal (max_order_retries = 3), same client order id.
  CHECK(fx.events("order_submitted").size() == fv.size());
}

TEST_CASE("Broker call failures exhaust the retries: order_submission_error with an alert") {
  EngineFixture fx("timeouts");
  auto& e = fx.start(ManifestBuilder().set("broker", "timeout_rate", 1.0).toml());
  e.run_feed_to_end(200);
  auto errs = fx.results("order_submission_error");
  REQUIRE_FALSE(errs.empty());
  CHECK(errs[0]["rejection_reason"].get<std::string>().rfind("Order submission error: All 3 attempts failed: ", 0) == 0);
  CHECK_FALSE(fx.events("error").empty());
  CHECK(e.orchestrator().positions().empty());
}

TEST_CASE("A guard rejects at signal_guard and a failing guard becomes signal_guard_error while the engine goes on") {
  EngineFixture fx("guards");
  auto& e = fx.start(ManifestBuilder().add("guard/fixture", {{"block", {"GOOG"}}}).toml());
  e.run_feed_to_end(200);
  auto g = fx.results("signal_guard");
  REQUIRE_FALSE(g.empty());
  CHECK(g[0]["rejection_reason"] == "Fixture blocks GOOG");
  CHECK(fx.results("completed").empty());

  EngineFixture fx2("guard-error");
  auto& e2 = fx2.start(ManifestBuilder().add("guard/fixture", {{"fail", true}}).toml());
  e2.run_feed_to_end(200);
  auto errs = fx2.results("signal_guard_error");
  REQUIRE_FALSE(errs.empty());
  CHECK(errs[0]["rejection_reason"] == "Signal guard error: fixture guard exploded");
  auto alerts = fx2.events("error");
  REQUIRE_FALSE(alerts.empty());
  CHECK(json::parse(alerts[0].data())["stage"] == "signal_guard");
  CHECK(e2.counters().bars == 200);
}

TEST_CASE("Consecutive large losses trip the kill switch (auto-kill measured against equity)") {
  EngineFixture fx("autokill");
  // A tiny loss threshold makes every losing close count; three in a row trip the kill.
  auto& e = fx.start(ManifestBuilder()
                         .set("executor", "consecutive_loss_threshold", 3)
                         .set("executor", "consecutive_loss_pct", 0.0000001)
                         .toml());
  e.run_feed_to_end();
  auto kills = fx.events("kill_switch");
  REQUIRE_FALSE(kills.empty());
  CHECK(json::parse(kills[0].data())["reason"] == "3 consecutive losses");
  CHECK(json::parse(kills[0].data())["actor"] == "engine");
  CHECK(e.state().kill_switch_active());
  CHECK(e.orchestrator().positions().empty());
}

TEST_CASE("Graceful shutdown closes every open position with a real order") {
  EngineFixture fx("shutdown");
  auto& e = fx.start(ManifestBuilder().toml());
  auto n = fx.run_until_open(300);
  REQUIRE(n > 0);
  auto before = fx.events("position_closed").size();
  e.shutdown();
  CHECK(e.orchestrator().positions().empty());
  CHECK(fx.events("position_closed").size() == before + n);
  CHECK_FALSE(e.state().kill_switch_active());  // shutdown is not a kill
}

TEST_CASE("Emergency close closes everything and activates the global kill") {
  EngineFixture fx("emergency");
  auto& e = fx.start(ManifestBuilder().toml());
  auto n = fx.run_until_open(300);
  REQUIRE(n > 0);
  auto closed = e.orchestrator().emergency_close_all("test drill");
  CHECK(closed.size() == n);
  CHECK(e.orchestrator().positions().empty());
  CHECK(e.state().kill_switch_reason() == std::optional<std::string>("Emergency close: test drill"));
  auto ev = fx.events("emergency_close");
  REQUIRE(ev.size() == 1);
  CHECK(json::parse(ev[0].data())["closed"] == n);
}

TEST_CASE("A bad plugin config stops start-up with every error, naming file:line and key") {
  EngineFixture fx("badcfg");
  const std::string toml = ManifestBuilder().set("broker", "slipage_bps", 3.0).toml();
  const int line = line_of(toml, "slipage_bps = 3.0");  // the misspelled key's
  CHECK_THROWS_WITH(fx.start(toml),
                    Catch::Contains("[broker] broker/paper: unknown key 'slipage_bps'") &&
                        Catch::Contains("manifest.toml:" + std::to_string(line) + ": [broker]"));
}

TEST_CASE("Reconciliation mismatch: ghost fills halt new entries until an operator resets") {
  EngineFixture fx("reconcile");
  // The paper broker reports fills it never books: the journal holds ghosts.
  auto& e = fx.start(ManifestBuilder().set("broker", "ghost_fill_rate", 1.0).toml());
  fx.run_until_open(150, 1);
  e.run_feed_to_end(3);  // the next bar's reconciliation (interval 60 s < one daily bar)
  auto kills = e.orchestrator().kills();
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].level == KillLevel::ReduceOnly);
  CHECK(kills[0].actor == "reconciler");
  CHECK(kills[0].reason.rfind("Reconciliation: ", 0) == 0);
  CHECK(e.state().circuit_breaker_status() == "open");
  bool alerted = false;
  for (const auto& ev : fx.events("error")) {
    auto d = json::parse(ev.data());
    if (d["stage"] == "reconciliation") {
      alerted = true;
      CHECK(d["error"].get<std::string>().find("Ghost position:") != std::string::npos);
    }
  }
  CHECK(alerted);
  // New entries stop at stage 1; positions stay (reduce_only does not flatten).
  auto entries = e.counters().entries;
  e.run_feed_to_end(100);
  CHECK(e.counters().entries == entries);
  CHECK_FALSE(fx.results("kill_switch").empty());
  // The operator resets; entries flow again (and the next run halts again while unresolved).
  CHECK(e.orchestrator().reset_kill(KillScope::Global, "", "operator"));
  CHECK(e.state().circuit_breaker_status() == "closed");
  CHECK(e.orchestrator().kills().empty());
}

TEST_CASE("Scoped kills: strategy and symbol scopes reject with their reason and survive a restart") {
  EngineFixture fx("scoped");
  {
    auto& e = fx.start(ManifestBuilder().toml());
    REQUIRE(fx.run_until_open(200) > 0);
    // A symbol-scoped flatten closes that symbol's positions at once.
    KillRecord sym;
    sym.level = KillLevel::Flatten;
    sym.scope = KillScope::Symbol;
    sym.target = "GOOG";
    sym.reason = "halted news";
    sym.actor = "key-7";
    e.orchestrator().activate_kill(sym);
    CHECK(e.orchestrator().positions().empty());
    CHECK_FALSE(e.state().kill_switch_active());  // scoped kills are not the global switch
    // A strategy-scoped kill on top, then a process restart.
    KillRecord strat;
    strat.level = KillLevel::BlockNew;
    strat.scope = KillScope::Strategy;
    strat.target = "ema_cloud";
    strat.reason = "strategy review";
    e.orchestrator().activate_kill(strat);
    fx.crash();
  }
  auto& e = fx.start(ManifestBuilder().toml());
  auto kills = e.orchestrator().kills();
  REQUIRE(kills.size() == 2);
  Signal s = make_signal({.ticker = "MSFT",
                          .signal_type = "cloud_cross_bullish",
                          .timeframe = "1d",
                          .entry_price = 100.0,
                          .stop_loss = 95.0,
                          .ts_us = e.now_us(),
                          .strategy = "ema_cloud"});
  auto r = e.process_signal(s);
  REQUIRE(r);
  CHECK(r->rejection_reason == "Kill switch active (block_new, strategy ema_cloud): strategy review");
  s.strategy = "other";
  s.ticker = "GOOG";
  r = e.process_signal(s);
  REQUIRE(r);
  CHECK(r->rejection_reason == "Kill switch active (flatten, symbol GOOG): halted news");
  // Another strategy on another symbol still trades; each kill needs its own explicit reset.
  s.ticker = "MSFT";
  r = e.process_signal(s);
  REQUIRE(r);
  CHECK(r->pipeline_stage() == "completed");
  CHECK(e.orchestrator().reset_kill(KillScope::Strategy, "ema_cloud", "operator"));
  CHECK_FALSE(e.orchestrator().reset_kill(KillScope::Strategy, "ema_cloud", "operator"));
  CHECK(e.orchestrator().kills().size() == 1);
}

TEST_CASE("A repeat kill for the same scope keeps the higher level") {
  EngineFixture fx("repeat-kill");
  auto& e = fx.start(ManifestBuilder().toml());
  KillRecord k;
  k.level = KillLevel::Flatten;
  k.reason = "first";
  e.orchestrator().activate_kill(k);
  k.level = KillLevel::BlockNew;
  k.reason = "second";
  e.orchestrator().activate_kill(k);
  REQUIRE(e.orchestrator().kills().size() == 1);
  CHECK(e.orchestrator().kills()[0].level == KillLevel::Flatten);
  // A lower repeat changes nothing: the original reason stays (issue #9 overrides §4.7 here).
  CHECK(e.orchestrator().kills()[0].reason == "first");
  CHECK(e.state().kill_switch_reason() == std::optional<std::string>("first"));
  // A higher repeat raises the level and says why.
  k.level = KillLevel::BlockNew;
  k.scope = KillScope::Symbol;
  k.target = "GOOG";
  k.reason = "symbol halt";
  e.orchestrator().activate_kill(k);
  k.level = KillLevel::Flatten;
  k.reason = "symbol flatten";
  e.orchestrator().activate_kill(k);
  for (const auto& x : e.orchestrator().kills()) {
    if (x.scope == KillScope::Symbol) {
      CHECK(x.level == KillLevel::Flatten);
      CHECK(x.reason == "symbol flatten");
    }
  }
  // An unknown level or scope cannot be a KillRecord: it is refused where text comes in.
  CHECK_FALSE(parse_kill_level("shutdown"));
  CHECK_FALSE(parse_kill_scope("everything"));
}

namespace {
// Every stage plugin configured (`pretrade`: risk/pretrade's keys) and no feed, strategy or
// [signals]: signals are pushed straight into the pipeline.
ManifestBuilder all_stages(ManifestBuilder::Keys pretrade = {}) {
  return ManifestBuilder()
      .set("engine", "mode", "paper")
      .set("engine", "symbols", {"AAPL"})
      .remove("signals")
      .remove("feed")
      .remove("strategy")
      .set("executor", "instrument_mode", "both")
      .add("guard/sanity")
      .add("guard/dedup")
      .add("regime/adaptive", {{"fixed_regime", "sideways"}, {"fixed_confidence", 0.5}})
      .add("risk/basic")
      .add("risk/pretrade", std::move(pretrade))
      .add("routing/instrument")
      .add("sizing/standard")
      .add("sizing/leveraged_etf");
}

Signal sig(Engine& e, const std::string& ticker, const std::string& type = "cloud_bounce_long",
           int conviction = 80, const std::string& tf = "1h", double entry = 200.0, double stop = 196.0) {
  return make_signal({.ticker = ticker,
                      .signal_type = type,
                      .timeframe = tf,
                      .conviction = conviction,
                      .entry_price = entry,
                      .stop_loss = stop,
                      .ts_us = e.now_us()});
}
}  // namespace

TEST_CASE("Every stage rejects with its own pipeline_stage and reason") {
  EngineFixture fx("stages");
  auto& e = fx.start(
      all_stages({{"max_order_qty", 50}}).set("executor", "max_concurrent_positions", 10).toml());
  auto run = [&](Signal s) {
    auto r = e.process_signal(std::move(s));
    REQUIRE(r);
    return *r;
  };
  // signal_guard: stop above entry for a long.
  auto r = run(sig(e, "AAPL", "cloud_bounce_long", 80, "1h", 200.0, 201.0));
  CHECK(r.pipeline_stage() == "signal_guard");
  CHECK(r.rejection_reason == "Invalid signal: stop 201.00 is not below entry 200.00");
  // regime: sideways avoids trend_aligned_long and needs conviction >= 60 (§13 ex. 6).
  r = run(sig(e, "AAPL", "trend_aligned_long"));
  CHECK(r.pipeline_stage() == "regime");
  CHECK(r.rejection_reason == "Signal type trend_aligned_long avoided in sideways regime");
  r = run(sig(e, "MSFT", "cloud_bounce_long", 59));
  CHECK(r.pipeline_stage() == "regime");
  CHECK(r.rejection_reason == "Conviction 59 below regime minimum 60");
  // routing: a 1m scalp routes to an option the paper broker cannot trade.
  r = run(sig(e, "NVDA", "cloud_cross_bullish", 80, "1m"));
  CHECK(r.pipeline_stage() == "routing");
  CHECK(r.rejection_reason == "Option route unavailable: broker cannot trade options");
  // sizing: a price above the whole exposure cap leaves zero shares.
  r = run(sig(e, "AMZN", "cloud_cross_bullish", 80, "1h", 20000.0, 19900.0));
  CHECK(r.pipeline_stage() == "sizing");
  CHECK(r.rejection_reason == "Position size is zero after caps");
  // pretrade: §6.5 case A sizes 75 shares; the order limit is 50.
  r = run(sig(e, "AAPL", "cloud_cross_bullish"));
  CHECK(r.pipeline_stage() == "pretrade");
  CHECK(r.rejection_reason == "Pre-trade max_order_qty: value 75, limit 50");
  REQUIRE(fx.events("pretrade_rejected").size() == 1);
  CHECK(fx.events("pretrade_rejected")[0].channel == "alerts");
  // The dedup key of a signal rejected later is released: the same signal can retry.
  r = run(sig(e, "AAPL", "cloud_cross_bullish"));
  CHECK(r.pipeline_stage() == "pretrade");
}

TEST_CASE("All stages accept: §6.5 case A sizes 75 shares at the regime-adjusted stop") {
  EngineFixture fx("stages-ok");
  // Rates relaxed so that only the position limit speaks below.
  auto& e = fx.start(
      all_stages({{"max_orders_per_second", 100}, {"max_orders_per_minute", 1000}}).toml());
  auto r = e.process_signal(sig(e, "AAPL", "cloud_cross_bullish"));
  REQUIRE(r);
  REQUIRE(r->pipeline_stage() == "completed");
  REQUIRE(r->position);
  CHECK(r->position->shares == 75);
  CHECK(r->position->entry_price == Approx(200.2));  // market, 10 bps paper slippage
  CHECK(r->position->stop_loss == Approx(196.4));    // 200 - 4 x stop_loss_mult 0.9
  CHECK(r->order_result->order_id.rfind("PAPER-", 0) == 0);
  CHECK(r->risk_assessment.value("approved", false));  // risk/unified's assessment is kept
  // risk/unified: a short against the open long in AAPL is refused at risk_assessment.
  Signal shrt = sig(e, "AAPL", "cloud_cross_bearish", 80, "1h", 200.0, 204.0);
  shrt.direction = "short";
  auto c = e.process_signal(shrt);
  REQUIRE(c);
  CHECK(c->pipeline_stage() == "risk_assessment");
  CHECK(c->rejection_reason == "Conflicting signal: existing long vs new short for AAPL");
  // risk/basic: sideways at 0.5 allows 8 concurrent positions; the 9th is refused. (Tickers
  // outside the sector map, so the sector cap stays out of the way.)
  const char* names[] = {"AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"};
  int completed = 1;
  for (const char* t : names) {
    // A wide stop keeps the risk-based size (~88 shares) under the exposure and buying-power caps.
    auto rr = e.process_signal(sig(e, t, "cloud_cross_bullish", 80, "1h", 100.0, 60.0));
    REQUIRE(rr);
    if (rr->pipeline_stage() == "completed") {
      ++completed;
    } else {
      CHECK(rr->pipeline_stage() == "basic_risk_check");
      CHECK(rr->rejection_reason == "Max positions reached: 8");
    }
  }
  CHECK(completed == 8);
}

TEST_CASE("Partial fills open partial positions of the filled quantity") {
  EngineFixture fx("partials");
  auto& e = fx.start(
      all_stages({{"max_orders_per_second", 100}}).set("broker", "partial_fill_rate", 1.0).toml());
  auto r = e.process_signal(sig(e, "AAPL", "cloud_cross_bullish"));
  REQUIRE(r);
  REQUIRE(r->pipeline_stage() == "completed");
  REQUIRE(r->order_result);
  CHECK(r->order_result->status == OrderStatus::Partial);
  CHECK(r->position->shares == r->order_result->filled_qty);
  CHECK(r->position->shares < 75);
  CHECK(r->position->shares >= 1);
}

TEST_CASE("cancel_all cancels working orders; the parked entry never opens a position") {
  EngineFixture fx("cancel-all");
  // 10 s broker latency on the engine clock: the entry parks as a pending order.
  auto& e = fx.start(
      all_stages({{"max_orders_per_second", 100}}).set("broker", "latency_ms", 10000.0).toml());
  auto r = e.process_signal(sig(e, "AAPL", "cloud_cross_bullish"));
  CHECK_FALSE(r);  // parked, the engine thread is not blocked
  CHECK(e.orchestrator().parked_count() == 1);
  KillRecord k;
  k.level = KillLevel::CancelAll;
  k.reason = "desk halt";
  e.orchestrator().activate_kill(k);
  e.set_clock_us(e.now_us() + 20'000'000);
  e.orchestrator().poll();
  CHECK(e.orchestrator().parked_count() == 0);
  CHECK(e.orchestrator().positions().empty());
  auto fv = fx.results("fill_validation");
  REQUIRE(fv.size() == 1);
  CHECK(fv[0]["rejection_reason"] == "Fill validation failed: Order was cancelled");
}

TEST_CASE("A pending order past the order timeout is cancelled and opens nothing") {
  EngineFixture fx("order-timeout");
  // 60 s latency against the 30 s [engine] order_timeout_seconds.
  auto& e = fx.start(
      all_stages({{"max_orders_per_second", 100}}).set("broker", "latency_ms", 60000.0).toml());
  CHECK_FALSE(e.process_signal(sig(e, "AAPL", "cloud_cross_bullish")));
  e.set_clock_us(e.now_us() + 10'000'000);
  e.orchestrator().poll();
  CHECK(e.orchestrator().parked_count() == 1);  // still waiting
  e.set_clock_us(e.now_us() + 21'000'000);
  e.orchestrator().poll();
  CHECK(e.orchestrator().parked_count() == 0);
  CHECK(e.orchestrator().positions().empty());
  auto fv = fx.results("fill_validation");
  REQUIRE(fv.size() == 1);
  CHECK(fv[0]["rejection_reason"] == "Fill validation failed: Order was cancelled");
}

TEST_CASE("Repeated executions disable trading through a block_new kill with risk/pretrade as actor") {
  EngineFixture fx("repeated");
  auto& e = fx.start(
      all_stages({{"max_executions_per_symbol", 1}, {"max_orders_per_second", 100}}).toml());
  auto r = e.process_signal(sig(e, "AAPL", "cloud_cross_bullish"));
  REQUIRE(r);
  REQUIRE(r->pipeline_stage() == "completed");
  REQUIRE(e.orchestrator().close_position("AAPL", "manual"));
  r = e.process_signal(sig(e, "AAPL", "cloud_bounce_long"));
  REQUIRE(r);
  CHECK(r->pipeline_stage() == "pretrade");
  CHECK(r->rejection_reason.rfind("Pre-trade repeated_execution: value ", 0) == 0);
  auto kills = e.orchestrator().kills();
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].level == KillLevel::BlockNew);
  CHECK(kills[0].actor == "risk/pretrade");
  CHECK(e.state().kill_switch_active());
  // Until a human resets it, every entry stops at stage 1.
  r = e.process_signal(sig(e, "MSFT", "cloud_cross_bullish", 80, "1h", 100.0, 60.0));
  REQUIRE(r);
  CHECK(r->pipeline_stage() == "kill_switch");
}

TEST_CASE("A signal with no known direction is rejected at signal_guard even with no guard listed") {
  EngineFixture fx("unknown-direction");
  auto& e = fx.start(ManifestBuilder().toml());  // no [[guard]] tables: guard/sanity is not loaded
  for (const char* direction : {"LONG", "buy", ""}) {
    Signal s = sig(e, "GOOG", "cloud_cross_bullish");
    s.direction = direction;
    auto r = e.process_signal(s);
    REQUIRE(r);
    CHECK_FALSE(r->success);
    CHECK(r->pipeline_stage() == "signal_guard");
    CHECK(r->rejection_reason == std::string("Invalid signal: unknown direction '") + direction + "'");
    CHECK_FALSE(r->order_result);
  }
  CHECK(e.orchestrator().positions().empty());
  // "short" is a direction: it passes the check (and is sized and sent as a sell).
  Signal s = sig(e, "GOOG", "cloud_cross_bearish", 80, "1h", 200.0, 204.0);
  s.direction = "short";
  auto r = e.process_signal(s);
  REQUIRE(r);
  CHECK(r->pipeline_stage() != "signal_guard");
}
