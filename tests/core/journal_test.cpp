#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "axion/core/journal.hpp"

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
  j.record_order_update("cid-1", "filled", {{"filled_qty", 5}});
  auto open = j.unresolved_intents();
  REQUIRE(open.size() == 1);
  CHECK(open[0].client_order_id == "cid-2");
  fs::remove_all(db.parent_path());
}

TEST_CASE("Kill records, event sequence and plugin state are durable") {
  auto db = fresh_db("kills");
  {
    Journal j(db);
    KillRecord k;
    k.level = "reduce_only";
    k.scope = "symbol";
    k.target = "AAPL";
    k.reason = "test";
    k.actor = "key-1";
    k.activated_at_us = 42;
    j.save_kill(k);
    j.record_event(7, 1, "alerts", "kill_switch", "{}");
    j.save_plugin_state("broker/paper", R"({"cash":1})");
  }
  Journal j(db);
  auto kills = j.active_kills();
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].target == "AAPL");
  CHECK(kills[0].actor == "key-1");
  CHECK(j.last_event_sequence() == 7);
  CHECK(j.plugin_state("broker/paper") == std::optional<std::string>(R"({"cash":1})"));
  j.close_kill("symbol", "AAPL", 50);
  CHECK(j.active_kills().empty());
  fs::remove_all(db.parent_path());
}

TEST_CASE("Results are listed newest first with an outcome filter") {
  auto db = fresh_db("results");
  Journal j(db);
  j.record_result(1, "kill_switch", false, {{"n", 1}});
  j.record_result(2, "completed", true, {{"n", 2}});
  j.record_result(3, "signal_guard", false, {{"n", 3}});
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
      j.record_result(i, "completed", true, {{"n", i}});
    }
    // The checkpointer passes on its own (every 200 ms); poll with a generous deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (j.background_checkpoints() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(j.background_checkpoints() >= 2);
    CHECK(j.result_count("all") == 300);
  }
  Journal again(db);  // the checkpointer stopped cleanly and nothing was lost
  CHECK(again.result_count("all") == 300);
}
