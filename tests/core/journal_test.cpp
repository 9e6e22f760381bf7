#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "axion/core/state/event_bus.hpp"
#include "axion/core/state/journal.hpp"
#include "eventually.hpp"
#include "record_trees.hpp"

namespace fs = std::filesystem;
using namespace axion::core;

namespace {
fs::path fresh_db(const char* name) {
  auto d = fs::temp_directory_path() / (std::string("axion-journal-") + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d / "axion.db";
}
}  // namespace

TEST_CASE("Positions survive reopening the journal, oldest first") {
  auto db = fresh_db("positions");
  {
    Journal j(db);
    Position a;
    a.ticker = "AAPL";
    a.signal_id = "s1";
    a.entry_time_us = 20;
    a.shares = 5;
    a.strategy = "ema_cloud";
    Position b = a;
    b.ticker = "MSFT";
    b.signal_id = "s2";
    b.entry_time_us = 10;
    j.upsert_position(a);
    j.upsert_position(b);
    a.shares = 3;
    j.upsert_position(a);
  }
  Journal j(db);
  auto ps = j.load_positions();
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].ticker == "MSFT");
  CHECK(ps[1].shares == 3);
  CHECK(ps[1].strategy == "ema_cloud");
  j.delete_position("s1");
  CHECK(j.load_positions().size() == 1);
  fs::remove_all(db.parent_path());
}

TEST_CASE("Order intents stay unresolved until the broker's answer is recorded") {
  auto db = fresh_db("intents");
  Journal j(db);
  j.record_intent("cid-1", "s1", "entry", {{"qty", 5}}, 1);
  j.record_intent("cid-1", "s1", "entry", {{"qty", 5}}, 2);  // a retry reuses the id: one row
  j.record_intent("cid-2", "s2", "entry", {{"qty", 1}}, 3);
  CHECK(j.unresolved_intents().size() == 2);
  j.record_order_update("cid-1", "filled", json{{"filled_qty", 5}});
  auto open = j.unresolved_intents();
  REQUIRE(open.size() == 1);
  CHECK(open[0].client_order_id == "cid-2");
  fs::remove_all(db.parent_path());
}

TEST_CASE("A stored position facing no known way is a damaged row, named, never guessed") {
  auto db = fresh_db("position-direction");
  {
    Journal j(db);
    Position a;
    a.ticker = "AAPL";
    a.signal_id = "s1";
    a.shares = 5;
    a.direction = Direction::Short;
    j.upsert_position(a);
    a.signal_id = "s2";
    j.upsert_position(a);
  }
  {
    sqlite3* c = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &c) == SQLITE_OK);
    CHECK(sqlite3_exec(c, "UPDATE positions SET position = json_set(position, '$.direction', 'up') "
                          "WHERE signal_id = 's2'", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(c);
  }
  Journal j(db);
  std::vector<DamagedRow> damaged;
  auto ps = j.load_positions(&damaged);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].signal_id == "s1");
  CHECK(ps[0].direction == Direction::Short);
  REQUIRE(damaged.size() == 1);
  CHECK(damaged[0].table == "positions");
  CHECK(damaged[0].error.find("invalid direction \"up\"") != std::string::npos);
  fs::remove_all(db.parent_path());
}

TEST_CASE("Kill records, event sequence and plugin state are durable") {
  auto db = fresh_db("kills");
  {
    Journal j(db);
    KillRecord k;
    k.level = KillLevel::ReduceOnly;
    k.scope = KillScope::Symbol;
    k.target = "AAPL";
    k.reason = "test";
    k.actor = "key-1";
    k.activated_at_us = 42;
    j.save_kill(k);
    j.record_event(std::make_shared<Event>(Event{7, 1, "alerts", "kill_switch", "{\"data\":{}}", 8, 2}));
    j.save_plugin_state("broker/paper", R"({"cash":1})");
  }
  Journal j(db);
  auto kills = j.active_kills();
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].target == "AAPL");
  CHECK(kills[0].actor == "key-1");
  CHECK(j.last_event_sequence() == 7);
  CHECK(j.plugin_state("broker/paper") == std::optional<std::string>(R"({"cash":1})"));
  j.close_kill(KillScope::Symbol, "AAPL", 50);
  CHECK(j.active_kills().empty());
  fs::remove_all(db.parent_path());
}

TEST_CASE("Plugin state saves reuse the writer's buffers without mixing texts") {
  auto db = fresh_db("pstate_reuse");
  Journal j(db);
  // Long texts first, so that the reused buffers are larger than what is saved next.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) {
      const std::string name = "p" + std::to_string(i % 4);
      const std::size_t len = round == 0 ? 20000 - 100 * static_cast<std::size_t>(i) : 10 + i;
      std::string text = "\"" + std::string(len, static_cast<char>('a' + i % 26)) + "\"";
      j.save_plugin_state(name, text);
      if (i % 7 == 0) j.sync();  // the writer hands buffers back between saves
    }
  }
  j.sync();
  for (int p = 0; p < 4; ++p) {
    const int i = 36 + p;  // the last save of each name, in the last round
    CHECK(j.plugin_state("p" + std::to_string(p)) ==
          "\"" + std::string(static_cast<std::size_t>(10 + i), static_cast<char>('a' + i % 26)) + "\"");
  }
  fs::remove_all(db.parent_path());
}

TEST_CASE("Results are listed newest first with an outcome filter") {
  auto db = fresh_db("results");
  Journal j(db);
  j.record_result(1, Stage::KillSwitch, false, {{"n", 1}});
  j.record_result(2, Stage::Completed, true, {{"n", 2}});
  j.record_result(3, Stage::SignalGuard, false, {{"n", 3}});
  CHECK(j.result_count("all") == 3);
  CHECK(j.result_count("executed") == 1);
  auto rej = j.results(10, 0, "rejected");
  REQUIRE(rej.size() == 2);
  CHECK(rej[0]["n"] == 3);
  CHECK(j.results(1, 1, "all")[0]["n"] == 2);
  fs::remove_all(db.parent_path());
}

TEST_CASE("An unwritable journal location is a clear error") {
  CHECK_THROWS_WITH(Journal("/proc/axion-no/axion.db"), Catch::Contains("cannot open journal"));
}

TEST_CASE("WAL checkpoints run on the journal's own thread; every committed record stays") {
  auto db = fresh_db("checkpoints");
  {
    Journal j(db);
    for (int i = 0; i < 300; ++i) {
      auto batch = j.batch();
      j.record_result(i, Stage::Completed, true, {{"n", i}});
    }
    // The checkpointer passes on its own (every 200 ms); poll with a generous deadline.
    CHECK(axion::test::eventually([&] { return j.background_checkpoints() >= 2; }, std::chrono::seconds(30)));
    CHECK(j.result_count("all") == 300);
  }
  Journal again(db);  // the checkpointer stopped cleanly and nothing was lost
  CHECK(again.result_count("all") == 300);
}

namespace {
// Rows of a query through a connection of the test's own (another process's view).
std::int64_t count_rows(const fs::path& db, const char* sql) {
  sqlite3* c = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(c, 5000);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(c, sql, -1, &st, nullptr) == SQLITE_OK);
  std::int64_t n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(c);
  return n;
}
}  // namespace

TEST_CASE("The writer thread commits whole units, in order, several to a transaction") {
  auto db = fresh_db("writer-groups");
  Journal j(db);
  for (int i = 0; i < 2000; ++i) {
    auto batch = j.batch();  // one unit: an intent and its answer
    const std::string cid = "cid-" + std::to_string(i);
    j.record_intent(cid, "s", "entry", {{"qty", 1}}, i);
    j.record_order_update(cid, "filled", json{{"n", i}});
  }
  j.sync();
  CHECK(j.committed_units() == 2000);
  CHECK(j.committed_transactions() >= 1);
  CHECK(j.committed_transactions() <= j.committed_units());
  // Every unit whole: no intent without its answer.
  CHECK(count_rows(db, "SELECT COUNT(*) FROM order_intents WHERE status = 'filled'") == 2000);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM order_intents WHERE status = 'intent'") == 0);
  fs::remove_all(db.parent_path());
}

TEST_CASE("Reads see every write made before them, even inside an open batch") {
  auto db = fresh_db("writer-reads");
  Journal j(db);
  auto batch = j.batch();
  j.record_intent("cid-1", "s1", "close-1", {{"qty", 1}}, 1);
  CHECK(j.close_intent_count("s1") == 1);
  j.record_trade(5, {{"signal_id", "s1"}, {"pnl", 1.5}});
  auto t = j.trades(1);
  REQUIRE(t.size() == 1);
  CHECK(t[0]["pnl"] == 1.5);
  fs::remove_all(db.parent_path());
}

TEST_CASE("Records handed over as values are stored as the JSON their producers build") {
  auto db = fresh_db("writer-values");
  Journal j(db);
  ClosedTrade t;
  t.ticker = "AAPL";
  t.direction = Direction::Short;
  t.shares = 7;
  t.pnl = -12.34;
  t.entry_time_us = 1'700'000'000'000'000;
  t.exit_time_us = 1'700'000'360'000'001;
  t.exit_reason = "stop \"hit\"";
  t.signal_id = "s9";
  t.partial = true;
  j.record_closed_trade(t.exit_time_us, t);
  j.record_intent("cid-v", "s9", "entry", [] { return json{{"qty", 3}, {"ticker", "AAPL"}}; }, 1);
  j.record_order_update("cid-v", "filled", [] { return json{{"order_id", "PAPER-1"}}; });
  auto trades = j.trades(1);
  REQUIRE(trades.size() == 1);
  CHECK(trades[0] == reference::trade_tree(t));
  CHECK(trades[0]["exit_time"] == "2023-11-14T22:19:20.000001+00:00");
  CHECK(count_rows(db, "SELECT COUNT(*) FROM order_intents WHERE status = 'filled' AND "
                       "json_extract(result, '$.order_id') = 'PAPER-1'") == 1);

  // A producer that throws fails its unit as a full disk would: nothing of it is stored, the
  // engine is told, and an intent waited for never lets its order leave.
  std::vector<std::string> failures;
  j.on_commit_failure = [&](const std::string& e) { failures.push_back(e); };
  j.record_intent("cid-bad", "s10", "entry", []() -> json { throw std::runtime_error("no memory"); }, 2);
  CHECK_THROWS_AS(j.make_durable(), JournalError);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].find("could not be serialized: no memory") != std::string::npos);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM order_intents WHERE client_order_id = 'cid-bad'") == 0);
  j.record_intent("cid-next", "s11", "entry", [] { return json{{"qty", 1}}; }, 3);
  j.make_durable();  // later units commit again
  CHECK(count_rows(db, "SELECT COUNT(*) FROM order_intents WHERE client_order_id = 'cid-next'") == 1);
  fs::remove_all(db.parent_path());
}

TEST_CASE("A kill record and a durable intent are on disk when the call returns") {
  auto db = fresh_db("writer-durable");
  Journal j(db);
  auto batch = j.batch();  // the engine's usual state: inside a bar's batch
  KillRecord k;
  k.level = KillLevel::Flatten;
  k.reason = "test";
  j.save_kill(k);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM kills WHERE active = 1") == 1);
  j.record_intent("cid-9", "s9", "entry", {{"qty", 1}}, 1);
  j.make_durable();
  CHECK(count_rows(db, "SELECT COUNT(*) FROM order_intents WHERE client_order_id = 'cid-9'") == 1);
  fs::remove_all(db.parent_path());
}

TEST_CASE("A failed commit: make_durable throws, the failure is told once on the caller's thread, later units commit") {
  auto db = fresh_db("writer-fail");
  Journal j(db);
  std::vector<std::string> told;
  std::thread::id told_on;
  j.on_commit_failure = [&](const std::string& e) {
    told.push_back(e);
    told_on = std::this_thread::get_id();
  };
  j.fail_next_commits(1);
  {
    auto batch = j.batch();
    j.record_intent("cid-lost", "s", "entry", {{"qty", 1}}, 1);
    CHECK_THROWS_AS(j.make_durable(), JournalError);
    REQUIRE(told.size() == 1);
    CHECK(told_on == std::this_thread::get_id());
    j.record_intent("cid-kept", "s", "entry", {{"qty", 1}}, 2);
  }
  j.sync();
  CHECK(j.commit_failures() == 1);
  CHECK(told.size() == 1);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM order_intents WHERE client_order_id = 'cid-lost'") == 0);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM order_intents WHERE client_order_id = 'cid-kept'") == 1);
  fs::remove_all(db.parent_path());
}

TEST_CASE("An ordinary unit that fails is told at the engine's next journal call, not on the writer's thread") {
  auto db = fresh_db("writer-fail-async");
  Journal j(db);
  int told = 0;
  std::thread::id told_on;
  j.on_commit_failure = [&](const std::string&) {
    ++told;
    told_on = std::this_thread::get_id();
  };
  j.fail_next_commits(1);
  j.record_result(1, Stage::Completed, true, {{"n", 1}});  // its own unit, handed over at once
  j.drain();
  CHECK(j.commit_failures() == 1);
  CHECK(told == 0);  // not from the writer thread
  { auto batch = j.batch(); }
  CHECK(told == 1);
  CHECK(told_on == std::this_thread::get_id());
  fs::remove_all(db.parent_path());
}

TEST_CASE("Closing the journal commits every unit handed over") {
  auto db = fresh_db("writer-close");
  {
    Journal j(db);
    for (int i = 0; i < 500; ++i) j.record_result(i, Stage::Completed, true, {{"n", i}});
    auto batch = j.batch();
    j.record_result(500, Stage::Completed, true, {{"n", 500}});
  }
  CHECK(count_rows(db, "SELECT COUNT(*) FROM results") == 501);
  fs::remove_all(db.parent_path());
}

TEST_CASE("A record with text that is not UTF-8 is stored with replacements; it never costs the group") {
  auto db = fresh_db("writer-utf8");
  Journal j(db);
  int told = 0;
  j.on_commit_failure = [&](const std::string&) { ++told; };
  {
    auto batch = j.batch();
    j.record_result(1, Stage::Completed, true, {{"ticker", std::string("BAD\xff\xfe")}});
    j.record_result(2, Stage::Completed, true, {{"ticker", "GOOD"}});
  }
  j.sync();
  CHECK(j.commit_failures() == 0);
  CHECK(told == 0);
  CHECK(count_rows(db, "SELECT COUNT(*) FROM results") == 2);
  fs::remove_all(db.parent_path());
}
