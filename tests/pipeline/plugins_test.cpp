// The engine's plugin control plane (control.md §1.8, §1.5 analyze): the plugin list in
// manifest order, hot reload of a strategy and of the paper broker with open positions (the
// engine keeps trading), 404 for an unknown plugin, 409 with the previous version serving when
// the new file is broken, and analyze on a fresh strategy instance (strategies.md §16.5).
#include <catch2/catch.hpp>

#include <fstream>

#include "axion/sdk/host.hpp"
#include "axion/sdk/testing/series.hpp"
#include "axion/sdk/testing/signals.hpp"
#include "engine_fixture.hpp"

using axion::sdk::testing::make_signal;
using axion::test::EngineFixture;
using axion::test::ManifestBuilder;
using namespace axion::core;

namespace {

namespace fs = std::filesystem;

// The GOOG replay with signal fusion off, two strategies and guard/sanity.
ManifestBuilder manifest() {
  return ManifestBuilder()
      .set("signals", "enable_signal_fusion", false)
      .add("strategy/vwap_reversion")
      .add("guard/sanity");
}

PluginInstance* instance_of(Engine& e, const std::string& id) {
  for (const auto& i : e.instances()) {
    if (i->id() == id) return i.get();
  }
  return nullptr;
}

// Replaces `to` with `from` through a new inode (copy then rename): overwriting a mapped
// library in place would crash the process that has it open (deps-notes P-8).
void install(const fs::path& from, const fs::path& to) {
  fs::path tmp = to.string() + ".tmp";
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
  fs::rename(tmp, to);
}

void install_text(const std::string& text, const fs::path& to) {
  fs::path tmp = to.string() + ".tmp";
  std::ofstream(tmp) << text;
  fs::rename(tmp, to);
}

struct PositionKey {
  std::string ticker, signal_id;
  Direction direction;
  std::int64_t qty;
  double entry;
  bool operator==(const PositionKey&) const = default;
};

std::vector<PositionKey> positions_of(Engine& e) {
  std::vector<PositionKey> out;
  for (const auto& p : e.orchestrator().positions()) {
    out.push_back({p.ticker, p.signal_id, p.direction, p.shares, p.entry_price});
  }
  return out;
}

Engine::AnalyzeInput input_of(const axion::sdk::testing::Series& s, const std::string& ticker) {
  Engine::AnalyzeInput in;
  in.ticker = ticker;
  in.opens = s.open, in.highs = s.high, in.lows = s.low, in.closes = s.close, in.volumes = s.volume;
  in.timestamps_us = s.ts_us;
  return in;
}

}  // namespace

TEST_CASE("plugins_json lists every loaded plugin in manifest order with version and state") {
  EngineFixture fx("plugins-list");
  auto& e = fx.start(manifest().toml());
  REQUIRE(e.set_strategy_enabled("vwap_reversion", false, "test"));
  json list = e.plugins_json();
  REQUIRE(list.is_array());
  std::vector<std::string> ids;
  for (const auto& p : list) {
    ids.push_back(p["kind"].get<std::string>() + "/" + p["name"].get<std::string>());
    auto* inst = instance_of(e, ids.back());
    REQUIRE(inst);
    CHECK(p["version"] == std::string(inst->manifest().version));
    CHECK_FALSE(p["version"].get<std::string>().empty());
    CHECK(p.size() == 4);
  }
  CHECK(ids == std::vector<std::string>{"feed/csv", "strategy/ema_cloud", "strategy/vwap_reversion",
                                        "guard/sanity", "risk/unified", "broker/paper"});
  CHECK(list[1]["state"] == "active");
  CHECK(list[2]["state"] == "disabled");
  for (std::size_t i : {0u, 3u, 4u, 5u}) CHECK(list[i]["state"] == "active");
  REQUIRE(e.set_strategy_enabled("vwap_reversion", true, "test"));
  CHECK(e.plugins_json()[2]["state"] == "active");
}

TEST_CASE("Reload of a strategy and of the paper broker keeps positions and kills, trading goes on") {
  EngineFixture fx("plugins-reload");
  auto& e = fx.start(manifest().toml());
  REQUIRE(fx.run_until_open(400, 1) >= 1);
  const auto before = positions_of(e);
  const auto kills_before = e.orchestrator().kills().size();
  const bool kill_switch_before = e.state().kill_switch_active();
  const auto entries_before = e.counters().entries;
  const auto bars_before = e.counters().bars;

  PluginInstance* old_strategy = instance_of(e, "strategy/ema_cloud");
  // Its manifest lives in the old library's mapping, which the reload unmaps: keep a copy.
  const axion_plugin_manifest* old_manifest = &old_strategy->manifest();
  const std::string old_version = old_manifest->version;
  auto r = e.reload_plugin_versioned("strategy", "ema_cloud", "key-admin");
  CHECK(r.result.outcome == ControlOutcome::Done);
  CHECK(r.result.message == "Plugin 'strategy/ema_cloud' reloaded");
  CHECK(r.version == old_version);
  // The code was mapped anew (a second copy, loaded while the old one was still mapped), not
  // the cached handle of the open library.
  PluginInstance* new_strategy = instance_of(e, "strategy/ema_cloud");
  REQUIRE(new_strategy);
  CHECK(&new_strategy->manifest() != old_manifest);
  CHECK(e.strategies().find("ema_cloud")->instance == new_strategy);
  CHECK(e.strategies().find("ema_cloud")->enabled);
  CHECK(e.strategies().all()[0].name == "ema_cloud");  // keeps its place in the registry

  // The paper broker restores its book from the journal: broker and journal still agree.
  auto broker_before = instance_of(e, "broker/paper")->positions();
  auto rb = e.reload_plugin("broker", "paper", "key-admin");
  CHECK(rb.outcome == ControlOutcome::Done);
  CHECK(rb.message == "Plugin 'broker/paper' reloaded");
  auto broker_after = instance_of(e, "broker/paper")->positions();
  REQUIRE(broker_after.size() == broker_before.size());
  for (std::size_t i = 0; i < broker_after.size(); ++i) {
    CHECK(broker_after[i].symbol == broker_before[i].symbol);
    CHECK(broker_after[i].qty == broker_before[i].qty);
    CHECK(broker_after[i].avg_price == broker_before[i].avg_price);
  }
  CHECK(e.orchestrator().reconcile_with_broker().is_clean());

  CHECK(positions_of(e) == before);
  CHECK(e.orchestrator().kills().size() == kills_before);
  CHECK(e.state().kill_switch_active() == kill_switch_before);

  // Each reload is published on `lifecycle` with its actor, and journaled.
  auto evs = fx.events("plugin_reloaded");
  REQUIRE(evs.size() == 2);
  CHECK(evs[0].channel == "lifecycle");
  auto d0 = json::parse(evs[0].data());
  CHECK(d0 == json{{"kind", "strategy"}, {"name", "ema_cloud"}, {"version", r.version}, {"actor", "key-admin"}});
  CHECK(json::parse(evs[1].data())["kind"] == "broker");
  CHECK(e.journal().last_event_sequence() >= evs[1].sequence);
  CHECK(fx.events("error").empty());

  // The engine keeps trading on the reloaded plugins to the end of the data.
  e.run_feed_to_end();
  CHECK(e.counters().bars > bars_before + 100);
  CHECK(e.counters().entries > entries_before);
  CHECK(e.orchestrator().kills().empty());
  CHECK(e.orchestrator().reconcile_with_broker().is_clean());
}

TEST_CASE("Reload of a plugin that is not loaded answers 404") {
  EngineFixture fx("plugins-404");
  auto& e = fx.start(manifest().toml());
  auto r = e.reload_plugin("strategy", "nope", "key-admin");
  CHECK(r.outcome == ControlOutcome::NotFound);
  CHECK(r.message == "Plugin 'strategy/nope' not found");
  // Built and on the search path, but not in this manifest.
  CHECK(e.reload_plugin("guard", "dedup", "key-admin").outcome == ControlOutcome::NotFound);
  CHECK(e.reload_plugin("nokind", "ema_cloud", "key-admin").message == "Plugin 'nokind/ema_cloud' not found");
  CHECK(fx.events("plugin_reloaded").empty());
  CHECK(fx.events("error").empty());
}

TEST_CASE("A failing reload answers 409 with the loader error, alerts, and the old version keeps serving") {
  EngineFixture fx("plugins-409");
  // A private plugin folder, searched first, holding a copy of vwap_reversion.
  const fs::path dir = fx.state_dir().parent_path() / "private-plugins";
  fs::create_directories(dir);
  const fs::path built = fs::path(AXION_BUILTIN_PLUGIN_DIR) / "axion-strategy-vwap_reversion.so";
  const fs::path mine = dir / "axion-strategy-vwap_reversion.so";
  install(built, mine);
  auto& e = fx.start(manifest().set("engine", "plugin_dirs", {dir.string()}).toml());
  e.run_feed_to_end(300);
  PluginInstance* serving = instance_of(e, "strategy/vwap_reversion");
  REQUIRE(serving);
  CHECK(serving->library()->path() == mine);

  auto expect_409 = [&](const std::string& detail_prefix) {
    auto r = e.reload_plugin_versioned("strategy", "vwap_reversion", "key-ops");
    CHECK(r.result.outcome == ControlOutcome::Conflict);
    CHECK(r.version.empty());
    INFO(r.result.message);
    CHECK(r.result.message.rfind("Reload failed: " + detail_prefix, 0) == 0);
    CHECK(instance_of(e, "strategy/vwap_reversion") == serving);
    CHECK(e.strategies().find("vwap_reversion")->instance == serving);
    return r.result.message;
  };

  install_text("not a shared library\n", mine);
  expect_409("not a shared library: " + mine.string());
  install(fs::path(AXION_FIXTURE_DIR) / "axion-guard-abi_v1.so", mine);
  expect_409("ABI mismatch in " + mine.string() + ": got 1, expected 2");
  install(fs::path(AXION_FIXTURE_DIR) / "axion-guard-fixture.so", mine);
  expect_409(mine.string() + " declares guard/fixture, expected strategy/vwap_reversion");

  // Each failure raised an `error` alert naming the plugin and the actor; nothing was reloaded.
  auto errors = fx.events("error");
  REQUIRE(errors.size() == 3);
  auto d = json::parse(errors[0].data());
  CHECK(d["stage"] == "plugin_reload");
  CHECK(d["error"].get<std::string>().find("strategy/vwap_reversion (actor key-ops)") != std::string::npos);
  CHECK(errors[0].channel == "alerts");
  CHECK(fx.events("plugin_reloaded").empty());

  // The previous version still runs on every bar and still answers analyze.
  const auto bars = e.counters().bars;
  e.run_feed_to_end(50);
  CHECK(e.counters().bars == bars + 50);
  CHECK(fx.events("error").size() == 3);  // no strategy error on those bars
  auto gold = axion::sdk::testing::gold_series();
  auto sig = e.analyze_strategy("vwap_reversion", input_of(gold.window(14), "GOLD"));
  REQUIRE(sig);
  CHECK((*sig)["entry_price"] == 108.6562);

  // A good file again: the reload succeeds and the new instance serves.
  install(built, mine);
  auto ok = e.reload_plugin_versioned("strategy", "vwap_reversion", "key-ops");
  CHECK(ok.result.outcome == ControlOutcome::Done);
  CHECK(instance_of(e, "strategy/vwap_reversion") != serving);

  // Feeds are never reloaded in place (the feed thread drives them).
  auto feed = e.reload_plugin("feed", "csv", "key-ops");
  CHECK(feed.outcome == ControlOutcome::Conflict);
  CHECK(feed.message.rfind("Reload failed: feed/csv cannot be reloaded", 0) == 0);
}

TEST_CASE("analyze runs a fresh instance on the arrays: vwap_reversion on GOLD bar 14, unknown is nullopt") {
  EngineFixture fx("plugins-analyze");
  auto& e = fx.start(manifest().set("strategy/ema_cloud", "timeframes", {"1d"}).toml());
  // Disabled strategies are analyzed too (an explicit request).
  REQUIRE(e.set_strategy_enabled("vwap_reversion", false, "test"));
  e.run_feed_to_end(100);
  PluginInstance* running = instance_of(e, "strategy/vwap_reversion");
  const auto events_before = e.journal().last_event_sequence();

  auto gold = axion::sdk::testing::gold_series();
  auto sig = e.analyze_strategy("vwap_reversion", input_of(gold.window(14), "GOLD"));
  REQUIRE(sig);
  REQUIRE(sig->is_object());
  const json& s = *sig;
  CHECK(s["signal_type"] == "cloud_bounce_short");
  CHECK(s["direction"] == "short");
  CHECK(s["ticker"] == "GOLD");
  CHECK(s["timeframe"] == "5m");
  CHECK(s["conviction"] == 90);
  CHECK(s["conviction"].is_number_integer());
  CHECK(s["entry_price"] == 108.6562);
  CHECK(s["stop_loss"] == 117.3774);
  CHECK(s["target_price"] == 104.2956);
  CHECK(s["cloud_states"] == json::array());
  CHECK(s["metadata"]["strategy"] == "vwap_reversion");
  CHECK(s["timestamp"].get<std::string>().size() == 32);
  CHECK(s.size() == 11);

  // The window before the first firing: no signal (JSON null). Empty arrays: no signal either.
  auto none = e.analyze_strategy("vwap_reversion", input_of(gold.window(13), "GOLD"));
  REQUIRE(none);
  CHECK(none->is_null());
  auto empty = e.analyze_strategy("vwap_reversion", Engine::AnalyzeInput{"GOLD", {}, {}, {}, {}, {}, {}});
  REQUIRE(empty);
  CHECK(empty->is_null());

  // The same arrays again give the same answer: each call starts from a fresh instance.
  CHECK(e.analyze_strategy("vwap_reversion", input_of(gold.window(14), "GOLD")) == sig);

  // ema_cloud's table sets timeframes = ["1d"]: its bars carry 1d. Find its first firing window.
  std::optional<json> ema;
  for (std::size_t end = 4; end < gold.size() && !(ema && !ema->is_null()); ++end) {
    ema = e.analyze_strategy("ema_cloud", input_of(gold.window(end), "GOLD"));
  }
  REQUIRE(ema);
  REQUIRE_FALSE(ema->is_null());
  CHECK((*ema)["timeframe"] == "1d");
  CHECK((*ema)["metadata"]["strategy"] == "ema_cloud");

  // Unknown strategy: nullopt. Arrays of different lengths: an error.
  CHECK_FALSE(e.analyze_strategy("nope", input_of(gold.window(14), "GOLD")));
  auto bad = input_of(gold.window(14), "GOLD");
  bad.volumes.pop_back();
  CHECK_THROWS_AS(e.analyze_strategy("vwap_reversion", bad), std::runtime_error);

  // The running instance and the journal are untouched; the engine goes on.
  CHECK(instance_of(e, "strategy/vwap_reversion") == running);
  CHECK(e.journal().last_event_sequence() == events_before);
  e.run_feed_to_end(10);
  CHECK(e.counters().bars == 110);
}

TEST_CASE("A broker reload is refused with 409 while order flows are parked, then succeeds") {
  EngineFixture fx("plugins-parked");
  // 10 s broker latency on the engine clock: the entry parks as a pending order.
  auto& e = fx.start(manifest().set("broker", "latency_ms", 10000.0).toml());
  CHECK_FALSE(e.process_signal(make_signal({.ticker = "GOOG",
                                            .signal_type = "cloud_bounce_long",
                                            .timeframe = "1d",
                                            .entry_price = 200.0,
                                            .stop_loss = 196.0,
                                            .ts_us = e.now_us()})));
  REQUIRE(e.orchestrator().parked_count() == 1);
  PluginInstance* broker = instance_of(e, "broker/paper");
  auto r = e.reload_plugin("broker", "paper", "key-admin");
  CHECK(r.outcome == ControlOutcome::Conflict);
  CHECK(r.message == "Reload failed: " + std::to_string(e.orchestrator().parked_count()) +
                         " order flow(s) are parked on the broker; retry once they complete");
  CHECK(instance_of(e, "broker/paper") == broker);
  CHECK(fx.events("error").size() == 1);
  // Other plugins reload meanwhile; the parked flow completes once its latency has passed.
  CHECK(e.reload_plugin("strategy", "ema_cloud", "key-admin").outcome == ControlOutcome::Done);
  e.set_clock_us(e.now_us() + 20'000'000);
  e.orchestrator().poll();
  CHECK(e.orchestrator().parked_count() == 0);
  REQUIRE(e.orchestrator().positions().size() == 1);
  CHECK(e.reload_plugin("broker", "paper", "key-admin").outcome == ControlOutcome::Done);
  CHECK(e.orchestrator().reconcile_with_broker().is_clean());
  CHECK(e.orchestrator().positions().size() == 1);
}

TEST_CASE("Host services through the C table: typed positions, account and kill state; rate budgets shared by plugins") {
  EngineFixture fx("host-services");
  auto& e = fx.start(ManifestBuilder().toml());
  REQUIRE(fx.run_until_open(300, 1) >= 1);
  REQUIRE(e.instances().size() >= 2);
  axion::sdk::Host host(&e.instances().front()->host_api());
  axion::sdk::Host other(&e.instances().back()->host_api());

  const auto& open = e.orchestrator().positions();
  auto ps = host.positions();
  REQUIRE(ps.size() == open.size());
  CHECK(ps[0].ticker == open[0].ticker);
  CHECK(ps[0].shares == open[0].shares);
  CHECK(ps[0].strategy == open[0].strategy);
  REQUIRE(host.account());
  CHECK(host.account()->equity == e.orchestrator().account().equity);

  CHECK(host.kill_state(open[0].strategy, open[0].underlying).level == AXION_KILL_NONE);
  KillRecord sym;
  sym.level = KillLevel::ReduceOnly;
  sym.scope = KillScope::Symbol;
  sym.target = open[0].underlying;
  e.orchestrator().activate_kill(sym);
  auto k = host.kill_state(open[0].strategy, open[0].underlying);
  CHECK(k.level == AXION_KILL_REDUCE_ONLY);
  CHECK(k.scope == AXION_KILL_SCOPE_SYMBOL);
  CHECK_FALSE(k.global_active);
  CHECK(host.kill_state(open[0].strategy, "NOPE").level == AXION_KILL_NONE);
  KillRecord global;
  global.level = KillLevel::BlockNew;
  e.orchestrator().activate_kill(global);
  k = host.kill_state(open[0].strategy, open[0].underlying);
  CHECK(k.level == AXION_KILL_REDUCE_ONLY);  // the strongest covering kill
  CHECK(k.global_active);
  CHECK(other.kill_state().level == AXION_KILL_BLOCK_NEW);

  // One budget for two plugins of one account, by name.
  host.declare_rate_budget("alpaca:PK1", 20, 60'000'000);
  other.declare_rate_budget("alpaca:PK1", 20, 60'000'000);
  CHECK_THROWS_WITH(other.declare_rate_budget("alpaca:PK1", 200, 60'000'000), Catch::Contains("already 20"));
  for (int i = 0; i < 18; ++i) REQUIRE(other.take_rate("alpaca:PK1").taken);
  CHECK_FALSE(host.take_rate("alpaca:PK1").taken);  // the reserve is for orders
  CHECK(host.take_rate("alpaca:PK1", 2, /*urgent=*/true).taken);
  CHECK(*other.rate_remaining("alpaca:PK1") == 0);
}
