// Money safety (issue #9, section A): each scenario is one defect a review found, driven through
// the real engine, the paper broker and the journal on disk, with crashes (the engine destroyed
// without a graceful shutdown) and restarts on the same state directory.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <thread>

#include "axion/sdk/time.hpp"
#include "engine_fixture.hpp"

using axion::test::EngineFixture;
using axion::test::ManifestBuilder;
using namespace axion::core;

namespace {

// Orders of the paper broker take a day of engine time: a pending order outlives a crash, and
// the next start (whose clock is later) finds it filled at the broker.
ManifestBuilder slow_broker() { return ManifestBuilder().set("broker", "latency_ms", 86400000.0); }

PluginInstance* broker_of(Engine& e) {
  for (const auto& i : e.instances()) {
    if (i->kind() == AXION_KIND_BROKER) return i.get();
  }
  return nullptr;
}

std::int64_t broker_net(Engine& e, PluginInstance* b = nullptr) {
  if (!b) b = broker_of(e);
  std::int64_t net = 0;
  for (const auto& bp : b->positions()) net += bp.side == "long" ? bp.qty : -bp.qty;
  return net;
}

std::int64_t journal_net(Engine& e, const std::string& broker = "") {
  std::int64_t net = 0;
  for (const auto& p : e.orchestrator().positions()) {
    if (p.broker == broker) net += p.direction == Direction::Long ? p.shares : -p.shares;
  }
  return net;
}

// An `error` alert of `stage` containing `needle`, seen by the fixture's subscription or, for
// alerts raised while the engine was being built (start-up recovery), in the journal.
bool has_error_event(EngineFixture& fx, const std::string& stage, const std::string& needle) {
  auto matches = [&](const json& d) {
    return d.value("stage", "") == stage && d.value("error", "").find(needle) != std::string::npos;
  };
  for (const auto& ev : fx.events("error")) {
    if (matches(json::parse(ev.data()))) return true;
  }
  for (const auto& row : fx.sql("SELECT data FROM events WHERE event = 'error'")) {
    if (matches(json::parse(row[0], nullptr, false))) return true;
  }
  return false;
}

const KillRecord* global_kill(Engine& e) {
  static KillRecord found;
  for (const auto& k : e.orchestrator().kills()) {
    if (k.scope == KillScope::Global) {
      found = k;
      return &found;
    }
  }
  return nullptr;
}

// Feeds bars one at a time until `done` holds (bounded by the data).
template <class Pred>
bool feed_until(Engine& e, Pred done, int max_bars = 1500) {
  for (int i = 0; i < max_bars; ++i) {
    if (done()) return true;
    auto before = e.counters().bars;
    e.run_feed_to_end(1);
    if (e.counters().bars == before) break;
  }
  return done();
}

}  // namespace

TEST_CASE("A close that filled at the broker after a crash is booked exactly once at the next start") {
  EngineFixture fx("close-after-crash");
  std::string sid;
  {
    auto& e = fx.start(slow_broker().toml());
    REQUIRE(feed_until(e, [&] {
      return !e.orchestrator().positions().empty() && e.orchestrator().working_close_orders().empty();
    }));
    sid = e.orchestrator().positions().front().signal_id;
    auto ticker = e.orchestrator().positions().front().ticker;
    CHECK_FALSE(e.orchestrator().close_position(ticker, "manual", 0.0, 0, sid));  // pending a day
    REQUIRE(e.orchestrator().working_close_orders().size() == 1);
    fx.crash();
  }
  for (int restart = 0; restart < 2; ++restart) {
    auto& e = fx.start(slow_broker().toml());
    // The broker filled the close while nobody watched: no ghost position is left, and the fill
    // is booked once (a second restart books nothing more).
    for (const auto& p : e.orchestrator().positions()) CHECK(p.signal_id != sid);
    auto trades = fx.sql("SELECT COUNT(*) FROM trades WHERE json_extract(data, '$.signal_id') = '" + sid +
                         "' AND json_extract(data, '$.exit_reason') = 'manual'");
    CHECK(trades[0][0] == "1");
    auto status = fx.sql("SELECT status FROM order_intents WHERE client_order_id = 'ax-" + sid + "-close-1'");
    REQUIRE(status.size() == 1);
    CHECK(status[0][0] == "filled");
    CHECK(broker_net(e) == journal_net(e));
    fx.crash();
  }
}

TEST_CASE("Graceful shutdown reports close orders still working and the next start resolves them") {
  EngineFixture fx("shutdown-working");
  std::vector<std::string> closing;
  {
    auto& e = fx.start(slow_broker().set("engine", "shutdown_wait_seconds", 0.2).toml());
    REQUIRE(feed_until(e, [&] { return e.orchestrator().positions().size() >= 1 &&
                                       e.orchestrator().working_close_orders().empty(); }));
    for (const auto& p : e.orchestrator().positions()) closing.push_back(p.signal_id);
    const auto open = closing.size();
    e.shutdown();  // the closes are pending a day on the engine clock, which does not move now
    auto reported = fx.events("shutdown_orders_open");
    REQUIRE(reported.size() == 1);
    CHECK(json::parse(reported[0].data())["client_order_ids"].size() == open);
    fx.crash();
  }
  auto& e = fx.start(slow_broker().toml());
  for (const auto& p : e.orchestrator().positions()) {
    CHECK(std::find(closing.begin(), closing.end(), p.signal_id) == closing.end());
  }
  CHECK(fx.sql("SELECT COUNT(*) FROM trades WHERE json_extract(data, '$.exit_reason') = 'graceful_shutdown'")[0][0] != "0");
  CHECK(broker_net(e) == journal_net(e));
}

TEST_CASE("A kill that cannot be saved still stops trading, with an alert saying it is not durable") {
  EngineFixture fx("kill-not-durable");
  auto& e = fx.start(ManifestBuilder().toml());
  REQUIRE(fx.run_until_open(300, 1) >= 1);
  // Both stores fail: the state file's temp path is a folder, the journal's commit fails.
  std::filesystem::create_directory(fx.state_dir() / "bot_state.json.tmp");
  e.journal().fail_next_commits(1);
  KillRecord k;
  k.level = KillLevel::BlockNew;
  k.reason = "operator halt";
  k.actor = "operator";
  KillOutcome out;
  REQUIRE_NOTHROW(out = e.orchestrator().activate_kill(k));
  CHECK_FALSE(out.durable);
  CHECK(out.error.find("journal") != std::string::npos);
  CHECK(out.error.find("bot_state.json") != std::string::npos);
  REQUIRE(global_kill(e));
  CHECK(global_kill(e)->reason == "operator halt");
  CHECK(e.state().kill_switch_active());
  CHECK(has_error_event(fx, "kill_switch", "NOT durable"));
  // Trading is off: the next signals stop at stage 1.
  auto entries = e.counters().entries;
  e.run_feed_to_end(60);
  CHECK(e.counters().entries == entries);
  CHECK_FALSE(fx.results("kill_switch").empty());
}

TEST_CASE("A global kill reset the state file cannot record fails, and the kill keeps its level at the next start") {
  EngineFixture fx("reset-not-durable");
  std::size_t open = 0;
  {
    auto& e = fx.start(ManifestBuilder().toml());
    REQUIRE(fx.run_until_open(300, 1) >= 1);
    KillRecord k;
    k.level = KillLevel::BlockNew;
    k.reason = "operator halt";
    k.actor = "operator";
    REQUIRE(e.orchestrator().activate_kill(k).durable);
    open = e.orchestrator().positions().size();
    std::filesystem::create_directory(fx.state_dir() / "bot_state.json.tmp");  // saves fail
    auto r = e.controller().reset_kill(KillScope::Global, "", "operator");
    CHECK(r.outcome == ControlOutcome::Failed);
    REQUIRE(global_kill(e));  // still in effect
    CHECK(e.state().kill_switch_active());
    std::filesystem::remove(fx.state_dir() / "bot_state.json.tmp");
    fx.crash();
  }
  // Before, the reset closed the journal's kill and the file kept saying killed: the next start
  // read that as a state-file-only kill and flattened every position.
  auto& e = fx.start(ManifestBuilder().toml());
  REQUIRE(global_kill(e));
  CHECK(global_kill(e)->level == KillLevel::BlockNew);
  CHECK(global_kill(e)->reason == "operator halt");
  CHECK(e.orchestrator().positions().size() == open);
}

TEST_CASE("A plugin that returns garbage is rejected at its stage and never stops a later flatten") {
  EngineFixture fx("garbage-plugin");
  auto& e = fx.start(ManifestBuilder().toml());
  REQUIRE(fx.run_until_open(300, 1) >= 1);
  fx.crash();
  // The same book, now with a routing plugin that answers with wrongly typed fields.
  auto& e2 = fx.start(ManifestBuilder().add("routing/garbage").toml());
  (void)e;
  REQUIRE_NOTHROW(e2.run_feed_to_end(400));
  CHECK_FALSE(fx.results("routing_error").empty());
  CHECK(has_error_event(fx, "routing", "invalid decision"));
  KillRecord k;
  k.level = KillLevel::Flatten;
  k.reason = "flatten after garbage";
  e2.orchestrator().activate_kill(k);
  CHECK(e2.orchestrator().positions().empty());
  CHECK(broker_net(e2) == 0);
}

TEST_CASE("Close order ids stay unique across restarts") {
  EngineFixture fx("close-ids");
  std::string sid;
  {
    auto& e = fx.start(ManifestBuilder().toml());
    REQUIRE(fx.run_until_open(300, 1) >= 1);
    sid = e.orchestrator().positions().front().signal_id;
    fx.crash();
  }
  // A first close of this position was tried before the crash and refused by the broker.
  fx.sql("INSERT INTO order_intents VALUES ('ax-" + sid + "-close-1', '" + sid +
         "', 'close-1', '{}', 0, 'rejected', NULL)");
  auto& e = fx.start(ManifestBuilder().toml());
  auto p = e.orchestrator().positions().front();
  REQUIRE(p.signal_id == sid);
  auto closed = e.orchestrator().close_position(p.ticker, "manual", 0.0, 0, sid);
  REQUIRE(closed);
  auto rows = fx.sql("SELECT client_order_id, status FROM order_intents WHERE signal_id = '" + sid +
                     "' AND purpose LIKE 'close%' ORDER BY client_order_id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1][0] == "ax-" + sid + "-close-2");
  CHECK(rows[1][1] == "filled");
}

TEST_CASE("An entry filled at the broker but never journaled is adopted with its stop and target") {
  EngineFixture fx("adopt-entry");
  std::string cid;
  {
    auto& e = fx.start(slow_broker().toml());
    // Stop while an entry is parked at the broker (pending a day).
    REQUIRE(feed_until(e, [&] {
      return e.orchestrator().parked_count() > e.orchestrator().working_close_orders().size();
    }));
    auto rows = fx.sql("SELECT client_order_id FROM order_intents WHERE purpose = 'entry' AND status = 'intent'");
    REQUIRE(rows.size() == 1);
    cid = rows[0][0];
    fx.crash();
  }
  auto& e = fx.start(slow_broker().toml());
  auto intent = fx.sql("SELECT signal_id, order_json, status FROM order_intents WHERE client_order_id = '" + cid + "'");
  REQUIRE(intent.size() == 1);
  CHECK(intent[0][2] == "filled");
  auto plan = json::parse(intent[0][1])["plan"];
  const Position* adopted = nullptr;
  for (const auto& p : e.orchestrator().positions()) {
    if (p.signal_id == intent[0][0]) adopted = &p;
  }
  REQUIRE(adopted);
  CHECK(adopted->stop_loss == Approx(plan["adj_stop"].get<double>()));
  CHECK(adopted->stop_loss > 0);
  CHECK(adopted->strategy == plan["strategy"].get<std::string>());
  CHECK(has_error_event(fx, "recovery", "adopted"));
  CHECK(broker_net(e) == journal_net(e));
  // It is managed like any other: the next flatten closes it.
  KillRecord k;
  k.level = KillLevel::Flatten;
  k.reason = "flatten";
  e.orchestrator().activate_kill(k);
  e.set_clock_us(e.now_us() + 2 * 86'400'000'000LL);
  e.orchestrator().poll();
  CHECK(e.orchestrator().positions().empty());
}

TEST_CASE("An unwind that never reached the broker keeps its shares as a managed position at the next start") {
  // The state a crash leaves between journaling an unwind (its entry fill failed validation,
  // so no position was recorded) and sending it: the broker holds the entry's shares.
  EngineFixture fx("unwind-not-sent");
  std::string sid, stored;
  {
    auto& e = fx.start(ManifestBuilder().toml());
    REQUIRE(fx.run_until_open(300, 1) >= 1);
    sid = e.orchestrator().positions().front().signal_id;
    fx.crash();
  }
  stored = fx.sql("SELECT position FROM positions WHERE signal_id = '" + sid + "'").at(0).at(0);
  const json held = json::parse(stored);
  const bool is_long = held["direction"] == "long";
  fx.sql("INSERT INTO order_intents (client_order_id, signal_id, purpose, order_json, created_us, status) "
         "SELECT 'ax-' || signal_id || '-entry-unwind', signal_id, 'unwind', json_object("
         "'client_order_id', 'ax-' || signal_id || '-entry-unwind', 'signal_id', signal_id, "
         "'ticker', json_extract(position, '$.ticker'), 'side', '" + std::string(is_long ? "sell" : "buy") + "', "
         "'qty', json_extract(position, '$.shares'), 'order_type', 'market', 'broker', '', "
         "'held', json(position)), 0, 'intent' FROM positions WHERE signal_id = '" + sid + "'");
  fx.sql("DELETE FROM positions WHERE signal_id = '" + sid + "'");

  auto& e = fx.start(ManifestBuilder().toml());
  const Position* kept = nullptr;
  for (const auto& p : e.orchestrator().positions()) {
    if (p.signal_id == sid) kept = &p;
  }
  REQUIRE(kept);  // before: the shares stayed at the broker, unknown to the engine
  CHECK(kept->shares == held["shares"].get<std::int64_t>());
  CHECK(kept->stop_loss == Approx(held["stop_loss"].get<double>()));
  CHECK(broker_net(e) == journal_net(e));
  CHECK(fx.sql("SELECT status FROM order_intents WHERE purpose = 'unwind'").at(0).at(0) == "not_at_broker");
  CHECK(has_error_event(fx, "fill_rejected", "kept as a position"));
  const KillRecord* k = global_kill(e);
  REQUIRE(k);
  CHECK(k->level == KillLevel::BlockNew);
  // Managed like any other: the next flatten closes it.
  KillRecord flatten;
  flatten.level = KillLevel::Flatten;
  flatten.reason = "flatten";
  e.orchestrator().activate_kill(flatten);
  e.orchestrator().poll();
  CHECK(e.orchestrator().positions().empty());
  CHECK(broker_net(e) == 0);
}

TEST_CASE("The fallback broker takes only entries the primary definitely lacks and closes stay with the holder") {
  EngineFixture fx("fallback");
  // The primary times out on half of its submits (no order is created then); the fallback
  // works. Entries may go to the fallback, closes never leave the broker holding the position.
  auto& l = fx.start(ManifestBuilder()
                         .set("engine", "mode", "live")
                         .raw(R"(
[live_broker]
plugin = "broker/paper"
timeout_rate = 0.5
seed = 7
[fallback_broker]
plugin = "broker/paper"
seed = 8
)")
                         .toml());
  PluginInstance* primary = nullptr;
  PluginInstance* fallback = nullptr;
  for (const auto& i : l.instances()) {
    if (i->kind() != AXION_KIND_BROKER) continue;
    if (!primary) {
      primary = i.get();
    } else {
      fallback = i.get();
    }
  }
  REQUIRE(primary);
  REQUIRE(fallback);
  int checks = 0;
  for (int i = 0; i < 600; ++i) {
    l.run_feed_to_end(1);
    // Every broker's book equals the positions the journal says it holds.
    CHECK(broker_net(l, primary) == journal_net(l, ""));
    CHECK(broker_net(l, fallback) == journal_net(l, "fallback"));
    ++checks;
  }
  CHECK(checks == 600);
  bool used_fallback = !fx.sql("SELECT 1 FROM order_intents WHERE json_extract(order_json, '$.broker') = 'fallback' "
                              "AND purpose = 'entry'").empty();
  CHECK(used_fallback);
  CHECK(fx.sql("SELECT 1 FROM order_intents WHERE json_extract(order_json, '$.broker') = 'fallback' "
               "AND purpose LIKE 'close%'").size() ==
        fx.sql("SELECT 1 FROM order_intents i WHERE purpose LIKE 'close%' AND EXISTS (SELECT 1 FROM order_intents e "
               "WHERE e.signal_id = i.signal_id AND e.purpose = 'entry' "
               "AND json_extract(e.order_json, '$.broker') = 'fallback')").size());
}

TEST_CASE("A corrupt state file never downgrades a journaled flatten kill") {
  EngineFixture fx("corrupt-state-kill");
  {
    auto& e = fx.start(ManifestBuilder().toml());
    REQUIRE(fx.run_until_open(300, 1) >= 1);
    KillRecord k;
    k.level = KillLevel::Flatten;
    k.reason = "operator flatten";
    k.actor = "operator";
    REQUIRE(e.orchestrator().activate_kill(k).durable);
    fx.crash();
  }
  std::ofstream(fx.state_dir() / "bot_state.json", std::ios::trunc) << "{ not json";
  auto& e = fx.start(ManifestBuilder().toml());
  REQUIRE(global_kill(e));
  CHECK(global_kill(e)->level == KillLevel::Flatten);
  CHECK(global_kill(e)->reason == "operator flatten");
  CHECK(global_kill(e)->actor == "operator");
  auto row = fx.sql("SELECT level, reason FROM kills WHERE scope = 'global'");
  REQUIRE(row.size() == 1);
  CHECK(row[0][0] == "flatten");
  CHECK(row[0][1] == "operator flatten");
}

TEST_CASE("bot_state.json counters behind the journal are rebuilt from its trades at the next start") {
  EngineFixture fx("state-behind");
  {
    auto& e = fx.start(ManifestBuilder().toml());
    REQUIRE(fx.run_until_open(300, 1) >= 1);
    auto p = e.orchestrator().positions().front();
    REQUIRE(e.orchestrator().close_position(p.ticker, "manual", 0.0, 0, p.signal_id));
    fx.crash();
  }
  // The process stopped before its throttled write: the file says no trade was ever closed.
  const auto file = fx.state_dir() / "bot_state.json";
  auto j = json::parse(std::ifstream(file));
  j["daily_pnl"] = 0.0;
  j["daily_trade_count"] = 0;
  j["total_realized_pnl"] = 0.0;
  j["consecutive_losses"] = json::array();
  std::ofstream(file, std::ios::trunc) << j.dump();

  auto& e = fx.start(ManifestBuilder().toml());
  const auto rows = fx.sql("SELECT json_extract(data, '$.pnl'), json_extract(data, '$.exit_time') FROM trades ORDER BY id");
  REQUIRE_FALSE(rows.empty());
  double total = 0, today = 0;
  int today_count = 0;
  std::size_t streak = 0;
  for (const auto& r : rows) {
    const double pnl = std::stod(r[0]);
    total += pnl;
    streak = pnl < 0 ? streak + 1 : 0;
    auto at = axion::sdk::time::parse_iso(r[1]);
    if (at && axion::sdk::time::trading_date(*at) == e.state().daily_date()) {
      today += pnl;
      ++today_count;
    }
  }
  CHECK(e.state().total_realized_pnl() == Approx(total));
  CHECK(e.state().daily_pnl() == Approx(today));
  CHECK(e.state().daily_trade_count() == today_count);
  CHECK(e.state().consecutive_losses().size() == streak);
  // And the file says so again.
  auto saved = json::parse(std::ifstream(file));
  CHECK(saved["total_realized_pnl"].get<double>() == Approx(total));
}

TEST_CASE("A filled close that fails validation is booked at the broker's fill price, with an alert") {
  EngineFixture fx("close-slippage");
  {
    auto& e = fx.start(ManifestBuilder().toml());
    REQUIRE(fx.run_until_open(300, 1) >= 1);
    (void)e;
    fx.crash();
  }
  // 5% slippage: over the validator's 2% limit.
  auto& e = fx.start(ManifestBuilder().set("broker", "slippage_bps", 500.0).toml());
  auto p = e.orchestrator().positions().front();
  auto closed = e.orchestrator().close_position(p.ticker, "manual", 0.0, 0, p.signal_id);
  REQUIRE(closed);
  for (const auto& q : e.orchestrator().positions()) CHECK(q.signal_id != p.signal_id);
  const double expected = p.direction == Direction::Long ? p.current_price * 0.95 : p.current_price * 1.05;
  CHECK(closed->current_price == Approx(expected));
  CHECK(has_error_event(fx, "close_position", "Excessive slippage"));
  CHECK(broker_net(e) == journal_net(e));
}

TEST_CASE("A failed journal commit is rolled back, alerted and blocks new entries while later bars commit") {
  EngineFixture fx("commit-failure");
  auto& e = fx.start(ManifestBuilder().toml());
  e.run_feed_to_end(200);
  e.journal().fail_next_commits(1);
  e.run_feed_to_end(1);
  e.journal().sync();  // the writer commits after the bar; the engine hears of it at its next call
  REQUIRE(e.journal().commit_failures() == 1);
  REQUIRE(global_kill(e));
  CHECK(global_kill(e)->level == KillLevel::BlockNew);
  CHECK(global_kill(e)->actor == "journal");
  CHECK(has_error_event(fx, "kill_switch", "") == false);  // the kill itself was durable
  auto before = fx.sql("SELECT COUNT(*) FROM results")[0][0];
  e.run_feed_to_end(30);
  CHECK(fx.sql("SELECT COUNT(*) FROM results")[0][0] != before);  // not stuck
  CHECK(fx.sql("SELECT level FROM kills WHERE scope = 'global' AND active = 1")[0][0] == "block_new");
}

TEST_CASE("An empty state file after a power loss: the day's figures come back from the journal, entries blocked") {
  EngineFixture fx("empty-state");
  double lifetime = 0;
  {
    auto& e = fx.start(ManifestBuilder().toml());
    e.run_feed_to_end(600);
    lifetime = e.state().total_realized_pnl();
    REQUIRE(lifetime != 0);
    fx.crash();
  }
  // Today's trade (by the engine's start-up clock), then the file is emptied.
  const auto now = axion::sdk::time::system_now_us();
  json t = {{"pnl", -123.45}, {"exit_time", axion::sdk::time::to_iso(now)}, {"signal_id", "today"}};
  fx.sql("INSERT INTO trades (ts_us, data) VALUES (" + std::to_string(now) + ", '" + t.dump() + "')");
  std::ofstream(fx.state_dir() / "bot_state.json", std::ios::trunc);
  auto& e = fx.start(ManifestBuilder().toml());
  CHECK(e.state().daily_pnl() == Approx(-123.45));
  CHECK(e.state().daily_trade_count() == 1);
  // The journal keeps each trade's P&L to the cent: the lifetime total is their sum.
  CHECK(e.state().total_realized_pnl() ==
        Approx(std::stod(fx.sql("SELECT SUM(json_extract(data, '$.pnl')) FROM trades")[0][0])));
  CHECK(e.state().total_realized_pnl() == Approx(lifetime - 123.45).margin(1.0));
  CHECK(e.state().consecutive_losses().back() == Approx(-123.45));
  REQUIRE(global_kill(e));
  CHECK(global_kill(e)->level == KillLevel::BlockNew);
}

TEST_CASE("Damaged journal rows at start-up: the engine starts killed, names the row and keeps it") {
  EngineFixture fx("damaged-rows");
  std::size_t good = 0;
  {
    auto& e = fx.start(ManifestBuilder().toml());
    good = fx.run_until_open(300, 1);
    REQUIRE(good >= 1);
    (void)e;
    fx.crash();
  }
  fx.sql("INSERT INTO positions VALUES ('garbage-1', '{not json')");
  fx.sql("INSERT INTO positions VALUES ('garbage-2', '{\"shares\": 5}')");
  Engine* e = nullptr;
  REQUIRE_NOTHROW(e = &fx.start(ManifestBuilder().toml()));
  CHECK(e->orchestrator().positions().size() == good);
  REQUIRE(global_kill(*e));
  CHECK(global_kill(*e)->level == KillLevel::BlockNew);
  CHECK(global_kill(*e)->reason.find("journal table 'positions' row") != std::string::npos);
  CHECK(has_error_event(fx, "recovery", "journal table 'positions' row"));
  // Nothing was dropped: the rows are still there for a person to look at.
  CHECK(fx.sql("SELECT COUNT(*) FROM positions WHERE signal_id LIKE 'garbage-%'")[0][0] == "2");
}

TEST_CASE("Host services called from a plugin's own thread are refused, not raced") {
  EngineFixture fx("host-threads");
  auto& e = fx.start(ManifestBuilder().toml());
  bool saved = true;
  std::optional<json> commanded = json::object();
  bool load_threw = false;
  std::thread other([&] {
    saved = e.save_plugin_state("fixture/thread", "{\"x\":1}");
    commanded = e.command("fixture/thread", "activate_kill", json{{"level", "block_new"}});
    e.plugin_publish("fixture/thread", "from_thread", "{}");
    try {
      (void)e.load_plugin_state("fixture/thread");
    } catch (const std::exception&) {
      load_threw = true;
    }
  });
  other.join();
  CHECK_FALSE(saved);
  CHECK_FALSE(commanded);
  CHECK(load_threw);
  CHECK(fx.events("from_thread").empty());
  CHECK(e.orchestrator().kills().empty());
  // The owning thread may.
  CHECK(e.save_plugin_state("fixture/thread", "{\"x\":1}"));
  e.plugin_publish("fixture/thread", "from_owner", "{}");
  CHECK(fx.events("from_owner").size() == 1);
}
