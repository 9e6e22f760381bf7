#include <catch2/catch.hpp>

#include "axion/core/config/manifest.hpp"

using namespace axion::core;

namespace {
ManifestParse parse(const std::string& text) { return parse_manifest_text(text, "/cfg/m.toml"); }

bool has_error(const ManifestParse& p, const std::string& needle) {
  for (const auto& e : p.errors) {
    if (e.find(needle) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("A full manifest parses with defaults for what it omits") {
  auto p = parse(R"(
[engine]
symbols = ["AAPL"]
state_dir = "state"
[executor]
max_risk_per_trade = 0.04
[feed]
plugin = "feed/csv"
files = ["a.csv"]
[[strategy]]
plugin = "strategy/ema_cloud"
[[guard]]
plugin = "guard/sanity"
[[guard]]
plugin = "guard/dedup"
window_seconds = 60.0
[broker]
plugin = "broker/paper"
)");
  REQUIRE(p.ok());
  const auto& m = p.manifest;
  CHECK(m.engine.symbols == std::vector<std::string>{"AAPL"});
  CHECK(m.engine.state_dir == "/cfg/state");  // relative to the manifest's folder
  CHECK(m.engine.max_order_retries == 3);
  CHECK(m.executor.max_risk_per_trade == 0.04);
  CHECK(m.executor.max_concurrent_positions == 10);
  REQUIRE(m.guards.size() == 2);
  CHECK(m.guards[1].id() == "guard/dedup");
  CHECK(m.guards[1].config["window_seconds"] == 60.0);
  CHECK_FALSE(m.guards[1].config.contains("plugin"));
  CHECK(m.guards[1].key_lines.at("window_seconds") == 16);
  CHECK(m.plugins().size() == 5);
  CHECK(m.where(m.guards[1], "window_seconds") == "/cfg/m.toml:16: ");
}

TEST_CASE("Unknown keys, wrong types and out-of-range values name file:line and key") {
  auto p = parse(R"([engine]
mode = "papr"
max_order_retries = "three"
starting_equity = -5.0
stat_dir = "x"
[executor]
daily_loss_limit = 2.0
[lifecycle]
eod_close_time = "25:99"
)");
  CHECK(has_error(p, "/cfg/m.toml:2: [engine] key 'mode': 'papr' is not one of paper|live|backtest"));
  CHECK(has_error(p, "/cfg/m.toml:3: [engine] key 'max_order_retries': expected int, got string"));
  CHECK(has_error(p, "/cfg/m.toml:4: [engine] key 'starting_equity': -5 is out of range"));
  CHECK(has_error(p, "/cfg/m.toml:5: [engine] unknown key 'stat_dir'"));
  CHECK(has_error(p, "/cfg/m.toml:7: [executor] key 'daily_loss_limit': 2 is out of range"));
  CHECK(has_error(p, "/cfg/m.toml:9: [lifecycle] key 'eod_close_time': '25:99' is not HH:MM"));
  CHECK(p.errors.size() == 6);
}

TEST_CASE("Plugin tables need a plugin of the right kind") {
  auto p = parse(R"(
[feed]
files = []
[[strategy]]
plugin = "guard/sanity"
[[guard]]
plugin = "nonsense"
[mystery]
x = 1
)");
  CHECK(has_error(p, "m.toml:2: [feed] needs plugin = \"feed/<name>\""));
  CHECK(has_error(p, "m.toml:5: [[strategy]] plugin = \"guard/sanity\" must be a strategy plugin"));
  CHECK(has_error(p, "m.toml:7: [[guard]] plugin = \"nonsense\" is not of the form <kind>/<name>"));
  CHECK(has_error(p, "m.toml:8: unknown table or key 'mystery'"));
}

TEST_CASE("A strategy listed twice is an error naming both lines") {
  auto p = parse(R"(
[[strategy]]
plugin = "strategy/ema_cloud"
[[strategy]]
plugin = "strategy/vwap_reversion"
[[strategy]]
plugin = "strategy/ema_cloud"
)");
  CHECK(has_error(p, "m.toml:6: [[strategy]] strategy/ema_cloud is listed twice (first at line 2)"));
}

TEST_CASE("TOML syntax errors carry their line") {
  auto p = parse("[engine]\nmode = \n");
  REQUIRE_FALSE(p.ok());
  CHECK(p.errors[0].rfind("/cfg/m.toml:2: TOML syntax error", 0) == 0);
}

TEST_CASE("A missing manifest file is an error, not a crash") {
  auto p = parse_manifest("/nonexistent/axion.toml");
  REQUIRE(p.errors.size() == 1);
  CHECK(p.errors[0].find("cannot open manifest") != std::string::npos);
}

TEST_CASE("Plugin path keys resolve against the manifest folder") {
  json cfg = {{"files", {"data/a.csv", "/abs/b.csv"}}, {"out", "x.txt"}, {"name", "y"}};
  json schema = json::array({{{"key", "files"}, {"type", "path list"}},
                             {{"key", "out"}, {"type", "path"}},
                             {{"key", "name"}, {"type", "string"}}});
  resolve_paths(cfg, schema, "/cfg");
  CHECK(cfg["files"][0] == "/cfg/data/a.csv");
  CHECK(cfg["files"][1] == "/abs/b.csv");
  CHECK(cfg["out"] == "/cfg/x.txt");
  CHECK(cfg["name"] == "y");
}

TEST_CASE("The base limits of the default [executor] and [lifecycle] are the SDK's Limits defaults") {
  // Two definitions of the §1.7 defaults exist (core's config structs, the SDK's Limits a
  // plugin test starts from); they must never drift apart.
  const axion::sdk::Limits base = base_limits(ExecutorConfig{}, LifecycleConfig{});
  CHECK(base == axion::sdk::Limits{});
  // And the manifest's own defaults (its key tables) give the same limits.
  auto p = parse("[engine]\nmode = \"paper\"\n[broker]\nplugin = \"broker/paper\"\n");
  REQUIRE(p.ok());
  CHECK(base_limits(p.manifest.executor, p.manifest.lifecycle) == axion::sdk::Limits{});
}
