// The pipeline manifest (ARCHITECTURE §4): parsed with toml++, every table validated against a
// declared key table (the SDK's KeySpec, the same machinery plugins use), every error carrying
// file:line and the key. Plugin tables keep their raw keys; the host validates those against
// the plugin's own schema when it loads it, and maps the offending key back to its line here.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "axion/core/domain/mode.hpp"
#include "axion/core/domain/types.hpp"

namespace axion::core {

struct PluginEntry {
  std::string kind;
  std::string name;
  std::string table;  // how the manifest names it, e.g. "[[strategy]]" or "[broker]"
  json config;        // the table without `plugin`
  int line = 0;
  std::map<std::string, int> key_lines;
  std::string id() const { return kind + "/" + name; }
};

struct EngineSettings {
  Mode mode = Mode::Paper;
  std::string state_dir = ".bot_state";
  std::vector<std::string> symbols = {"SPY", "QQQ", "AAPL", "MSFT", "NVDA"};
  double starting_equity = 100000.0;
  double poll_interval_seconds = 30.0;
  int max_order_retries = 3;
  double retry_backoff_base = 1.0;
  int max_history_size = 10000;
  bool auto_kill_on_daily_loss = true;
  double reconcile_interval_seconds = 60.0;
  double order_timeout_seconds = 30.0;
  double shutdown_wait_seconds = 10.0;
  double live_ready_timeout_seconds = 30.0;  // live start-up: wait for the broker's fill stream
  double live_stream_alert_seconds = 60.0;   // live: alert when the broker is not ready this long
  std::vector<std::string> plugin_dirs;
  bool pace = true;  // paper mode paces the embedded market; backtest runs as fast as possible
  std::string log_level = "info";
};

struct ApiSettings {
  std::string bind = "127.0.0.1";
  int port = 8000;
  bool auth = true;
  bool rate_limit = true;
  bool enabled = true;
  bool require_confirmation_for_live = true;
  int max_request_bytes = 1 << 20;
};

// [signals]: signal assembly (strategies.md §15) — selector, fusion, feedback, filters.
struct SignalsSettings {
  int min_conviction_to_signal = 25;
  int min_conviction_to_execute = 50;
  bool enable_strategy_selection = true;
  bool enable_signal_fusion = true;
  bool enable_feedback_loop = true;
  int feedback_adjust_every_n_trades = 50;
  bool macro_bias_filter = true;
  int high_conviction_threshold = 75;
  double adx_strong_threshold = 40.0;
  double adx_moderate_threshold = 25.0;
  double adx_weak_threshold = 15.0;
  std::string trend_strategy = "ema_cloud";
  std::string range_strategy = "mean_reversion";
  std::string force_strategy;
  std::map<std::string, std::string> regime_override = {{"crisis", "mean_reversion"}};
  double fusion_decay_minutes = 60.0;
};

// [scanner]: Qullamaggie presets that filter the symbol universe (strategies.md §12).
struct ScannerSettings {
  std::vector<std::string> presets;  // empty = off
};

struct Manifest {
  std::filesystem::path file;
  std::filesystem::path dir;
  EngineSettings engine;
  ApiSettings api;
  ExecutorConfig executor;
  LifecycleConfig lifecycle;
  SignalsSettings signals;
  ScannerSettings scanner;
  std::optional<PluginEntry> feed;
  std::optional<PluginEntry> regime;
  std::optional<PluginEntry> routing;
  std::optional<PluginEntry> broker;
  std::optional<PluginEntry> live_broker;
  std::optional<PluginEntry> fallback_broker;
  std::vector<PluginEntry> strategies;
  std::vector<PluginEntry> guards;
  std::vector<PluginEntry> risks;
  std::vector<PluginEntry> sizings;
  std::vector<PluginEntry> addons;

  // Every plugin entry in pipeline order (feed, strategies, guards, regime, risks, routing,
  // sizings, brokers, addons).
  std::vector<const PluginEntry*> plugins() const;
  // "file:line: " for an entry's key (or the entry's table when the key is unknown).
  std::string where(const PluginEntry& e, const std::string& key = {}) const;
};

struct ManifestParse {
  Manifest manifest;
  std::vector<std::string> errors;  // each "file:line: message"
  bool ok() const { return errors.empty(); }
};

// Parses and validates a manifest file; never throws for bad input (errors are collected).
ManifestParse parse_manifest(const std::filesystem::path& file);
ManifestParse parse_manifest_text(const std::string& text, const std::filesystem::path& file);

// Resolves relative path values of a plugin config against the manifest folder, given the
// plugin's schema (keys of type "path" / "path list").
void resolve_paths(json& config, const json& schema, const std::filesystem::path& base_dir);

}  // namespace axion::core
