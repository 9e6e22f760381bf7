#include "axion/core/config/manifest.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "axion/core/signals/scanner_presets.hpp"
#include "axion/sdk/config.hpp"

namespace axion::core {

using sdk::KeySpec;
using sdk::KeyType;
using sdk::kNoBound;

namespace {

constexpr KeySpec kEngineKeys[] = {
    {"mode", KeyType::String, "\"paper\"", "paper | live | backtest", kNoBound, kNoBound, "paper|live|backtest"},
    {"state_dir", KeyType::Path, "\".bot_state\"", "state directory (bot_state.json, axion.db)"},
    {"symbols", KeyType::StringList, "[\"SPY\",\"QQQ\",\"AAPL\",\"MSFT\",\"NVDA\"]", "scan universe"},
    {"starting_equity", KeyType::Double, "100000.0", "paper account starting equity", 1.0, 1e12},
    {"poll_interval_seconds", KeyType::Double, "30.0", "iteration timer for polled feeds", 0.01, 86400},
    {"max_order_retries", KeyType::Int, "3", "order submission attempts", 0, 10},
    {"retry_backoff_base", KeyType::Double, "1.0", "seconds; waits base*2^attempt between attempts", 0, 60},
    {"max_history_size", KeyType::Int, "10000", "pipeline results kept in memory", 1, 10000000},
    {"auto_kill_on_daily_loss", KeyType::Bool, "true", "activate the kill switch on the daily loss limit"},
    {"reconcile_interval_seconds", KeyType::Double, "60.0", "position reconciliation interval (engine clock)", 1, 86400},
    {"order_timeout_seconds", KeyType::Double, "30.0", "a pending order is cancelled after this long", 0.1, 3600},
    {"shutdown_wait_seconds", KeyType::Double, "10.0", "graceful shutdown waits this long (wall clock) for its close orders to end; what is still open is resolved at the next start", 0, 600},
    {"live_ready_timeout_seconds", KeyType::Double, "30.0", "live mode: start-up waits this long for the broker to be ready (its fill stream listening) before resolving open intents; after it, start-up goes on with an alert and the broker refuses orders until it is ready", 0, 600},
    {"live_stream_alert_seconds", KeyType::Double, "60.0", "live mode: a broker not ready (fill stream down) for this long raises an alert; new entries are refused meanwhile", 1, 3600},
    {"plugin_dirs", KeyType::PathList, "[]", "extra plugin folders searched before the built-in one"},
    {"pace", KeyType::Bool, "true", "pace the embedded market feed in paper mode"},
    {"log_level", KeyType::String, "\"info\"", "debug | info | warning | error", kNoBound, kNoBound, "debug|info|warning|error"},
};

constexpr KeySpec kApiKeys[] = {
    {"bind", KeyType::String, "\"127.0.0.1\"", "REST bind address"},
    {"port", KeyType::Int, "8000", "REST port", 1, 65535},
    {"auth", KeyType::Bool, "true", "require X-API-Key"},
    {"rate_limit", KeyType::Bool, "true", "per-key rate limits by tier (false: off, e.g. for load benchmarks; logs a warning)"},
    {"enabled", KeyType::Bool, "true", "serve the REST API"},
    {"require_confirmation_for_live", KeyType::Bool, "true", "POST /bot/start into live needs confirm_live: true"},
    {"max_request_bytes", KeyType::Int, "1048576", "largest accepted request", 1024, 67108864},
};

constexpr KeySpec kExecutorKeys[] = {
    {"instrument_mode", KeyType::String, "\"both\"", "options | leveraged_etf | both", kNoBound, kNoBound, "options|leveraged_etf|both"},
    {"max_risk_per_trade", KeyType::Double, "0.05", "fraction of equity risked per trade", 0.0001, 1},
    {"max_concurrent_positions", KeyType::Int, "10", "open positions limit", 1, 10000},
    {"daily_loss_limit", KeyType::Double, "0.10", "fraction of equity; auto-kill beyond", 0.001, 1},
    {"max_single_stock_exposure", KeyType::Double, "0.15", "fraction of equity per underlying", 0.001, 1},
    {"max_sector_exposure", KeyType::Double, "0.30", "fraction of equity per sector", 0.001, 1},
    {"min_account_equity", KeyType::Double, "25000.0", "no entries below this equity", 0, 1e12},
    {"default_time_in_force", KeyType::String, "\"day\"", "day | gtc | ioc", kNoBound, kNoBound, "day|gtc|ioc"},
    {"high_conviction_order_type", KeyType::String, "\"market\"", "order type at conviction >= 75", kNoBound, kNoBound, "market|limit"},
    {"medium_conviction_order_type", KeyType::String, "\"limit\"", "order type below 75", kNoBound, kNoBound, "market|limit"},
    {"scale_in_enabled", KeyType::Bool, "true", "start medium-conviction limit entries at scale_in_initial_pct"},
    {"scale_in_initial_pct", KeyType::Double, "0.5", "initial fraction when scaling in", 0.01, 1},
    {"prefer_3x_for_day_trades", KeyType::Bool, "true", "prefer 3x leveraged ETFs for day trades"},
    {"min_etf_daily_volume", KeyType::Double, "10000000.0", "ETF liquidity floor", 0, 1e15},
    {"etf_sector_mapping", KeyType::Bool, "true", "map tickers to sector ETFs"},
    {"consecutive_loss_threshold", KeyType::Int, "3", "losses in a row that trip the kill switch", 1, 1000},
    {"consecutive_loss_pct", KeyType::Double, "0.03", "a loss counts when >= this fraction of equity", 0, 1},
    {"api_timeout_seconds", KeyType::Double, "60.0", "broker API call timeout", 0.1, 3600},
};

constexpr KeySpec kLifecycleKeys[] = {
    {"reward_to_risk_target", KeyType::Double, "2.0", "target = entry ± R × this when the signal has none", 0.1, 100},
    {"time_stop_minutes", KeyType::Int, "120", "day trades with no progress close after this", 1, 100000},
    {"eod_close_time", KeyType::String, "\"15:55\"", "ET HH:MM; day trades close at or after it"},
    {"trailing_stop_cloud", KeyType::String, "\"pullback\"", "pullback | fast", kNoBound, kNoBound, "pullback|fast"},
    {"max_etf_hold_days_3x", KeyType::Int, "5", "hold limit of 3x ETFs (days)", 1, 365},
    {"max_etf_hold_days_2x", KeyType::Int, "10", "hold limit of 2x ETFs (days)", 1, 365},
    {"close_on_shutdown", KeyType::Bool, "true", "close every position on graceful shutdown"},
};

constexpr KeySpec kSignalsKeys[] = {
    {"min_conviction_to_signal", KeyType::Int, "25", "drop signals below this conviction", 0, 100},
    {"min_conviction_to_execute", KeyType::Int, "50", "forward only signals at or above this", 0, 100},
    {"enable_strategy_selection", KeyType::Bool, "true", "the StrategySelector picks one strategy per bar and ticker"},
    {"enable_signal_fusion", KeyType::Bool, "true", "fuse each candidate with other sources' recent signals"},
    {"enable_feedback_loop", KeyType::Bool, "true", "per-source performance adjusts the fusion weights"},
    {"feedback_adjust_every_n_trades", KeyType::Int, "50", "closed trades between weight adjustments", 1, 1000000},
    {"macro_bias_filter", KeyType::Bool, "true", "drop signals against the ticker's daily macro bias (conviction < high)"},
    {"high_conviction_threshold", KeyType::Int, "75", "conviction that survives the macro-bias filter", 0, 100},
    {"adx_strong_threshold", KeyType::Double, "40.0", "ADX at or above: strong trend", 0, 100},
    {"adx_moderate_threshold", KeyType::Double, "25.0", "ADX at or above: moderate trend", 0, 100},
    {"adx_weak_threshold", KeyType::Double, "15.0", "ADX at or above: weak trend (below: no trend)", 0, 100},
    {"trend_strategy", KeyType::String, "\"ema_cloud\"", "strategy for strong and moderate trends"},
    {"range_strategy", KeyType::String, "\"mean_reversion\"", "strategy for weak and no trend"},
    {"force_strategy", KeyType::String, "\"\"", "always select this strategy (empty = off)"},
    {"regime_override", KeyType::StringList, "[\"crisis:mean_reversion\"]", "regime:strategy pairs that bypass the ADX gate"},
    {"fusion_decay_minutes", KeyType::Double, "60.0", "half-life scale of other sources' signals in fusion", 0, 100000},
};

constexpr KeySpec kScannerKeys[] = {
    {"presets", KeyType::StringList, "[]",
     "Qullamaggie presets; a symbol trades while its latest daily bar meets any (empty = all symbols)"},
};

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

json to_json(const toml::node& n) {
  if (auto* t = n.as_table()) {
    json j = json::object();
    for (auto&& [k, v] : *t) j[std::string(k.str())] = to_json(v);
    return j;
  }
  if (auto* a = n.as_array()) {
    json j = json::array();
    for (auto&& v : *a) j.push_back(to_json(v));
    return j;
  }
  if (auto* v = n.as_string()) return v->get();
  if (auto* v = n.as_integer()) return v->get();
  if (auto* v = n.as_floating_point()) return v->get();
  if (auto* v = n.as_boolean()) return v->get();
  // Dates and times: keep their TOML text.
  std::ostringstream ss;
  n.visit([&](auto&& v) {
    if constexpr (!toml::is_table<decltype(v)> && !toml::is_array<decltype(v)>) ss << v;
  });
  return ss.str();
}

struct Parser {
  Manifest m;
  std::vector<std::string> errors;
  std::string file;

  void error(int line, const std::string& msg) {
    errors.push_back(file + ":" + std::to_string(line) + ": " + msg);
  }

  // Validates a core table against its KeySpec table; returns the defaults-filled config.
  std::optional<sdk::Config> core_table(const toml::table& root, const char* name,
                                        std::span<const KeySpec> keys) {
    json j = json::object();
    std::map<std::string, int> lines;
    int table_line = 1;
    if (auto* node = root.get(name)) {
      auto* t = node->as_table();
      if (!t) {
        error(line_of(*node), std::string("[") + name + "] must be a table");
        return std::nullopt;
      }
      table_line = line_of(*t);
      for (auto&& [k, v] : *t) lines[std::string(k.str())] = line_of(v);
      j = to_json(*t);
    }
    // Report every bad key, not only the first: validate key by key.
    bool ok = true;
    for (auto& [k, v] : j.items()) {
      try {
        sdk::Config one(keys, json{{k, v}});
      } catch (const sdk::Error& e) {
        ok = false;
        int line = lines.count(k) ? lines[k] : table_line;
        error(line, std::string("[") + name + "] " + e.what());
      }
    }
    if (!ok) return std::nullopt;
    return sdk::Config(keys, j);
  }

  int key_line(const toml::table& root, const char* table, const char* key) {
    if (auto* n = root[table][key].node()) return line_of(*n);
    if (auto* t = root.get(table)) return line_of(*t);
    return 1;
  }

  std::optional<PluginEntry> plugin_entry(const toml::table& t, const std::string& table_name,
                                          const std::string& expected_kind) {
    PluginEntry e;
    e.table = table_name;
    e.line = line_of(t);
    for (auto&& [k, v] : t) e.key_lines[std::string(k.str())] = line_of(v);
    auto* p = t.get("plugin");
    if (!p || !p->is_string()) {
      error(e.line, table_name + " needs plugin = \"" + expected_kind + "/<name>\"");
      return std::nullopt;
    }
    std::string id = p->as_string()->get();
    auto slash = id.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == id.size()) {
      error(line_of(*p), table_name + " plugin = \"" + id + "\" is not of the form <kind>/<name>");
      return std::nullopt;
    }
    e.kind = id.substr(0, slash);
    e.name = id.substr(slash + 1);
    if (e.kind != expected_kind) {
      error(line_of(*p), table_name + " plugin = \"" + id + "\" must be a " + expected_kind +
                             " plugin");
      return std::nullopt;
    }
    e.config = to_json(t);
    e.config.erase("plugin");
    return e;
  }

  void single(const toml::table& root, const char* name, const char* kind,
              std::optional<PluginEntry>& out) {
    auto* node = root.get(name);
    if (!node) return;
    auto* t = node->as_table();
    if (!t) {
      error(line_of(*node), std::string("[") + name + "] must be a table (one plugin)");
      return;
    }
    out = plugin_entry(*t, std::string("[") + name + "]", kind);
  }

  void array(const toml::table& root, const char* name, const char* kind,
             std::vector<PluginEntry>& out) {
    auto* node = root.get(name);
    if (!node) return;
    auto* a = node->as_array();
    if (!a) {
      error(line_of(*node), std::string("[[") + name + "]] must be an array of tables");
      return;
    }
    for (auto&& item : *a) {
      auto* t = item.as_table();
      if (!t) {
        error(line_of(item), std::string("[[") + name + "]] entries must be tables");
        continue;
      }
      if (auto e = plugin_entry(*t, std::string("[[") + name + "]]", kind)) out.push_back(*e);
    }
  }

  void run(const toml::table& root) {
    static const std::set<std::string> known = {
        "engine", "api", "executor", "lifecycle", "signals", "scanner", "feed", "strategy",
        "guard", "regime", "risk", "routing", "sizing", "broker", "live_broker",
        "fallback_broker", "addon"};
    for (auto&& [k, v] : root) {
      if (!known.count(std::string(k.str()))) {
        error(line_of(v), "unknown table or key '" + std::string(k.str()) + "'");
      }
    }
    if (auto c = core_table(root, "engine", kEngineKeys)) {
      auto& e = m.engine;
      // The key's choices are checked above: anything else never reaches here.
      e.mode = parse_mode(c->get_string("mode")).value_or(Mode::Paper);
      e.state_dir = c->get_string("state_dir");
      e.symbols = c->get_strings("symbols");
      e.starting_equity = c->get_double("starting_equity");
      e.poll_interval_seconds = c->get_double("poll_interval_seconds");
      e.max_order_retries = static_cast<int>(c->get_int("max_order_retries"));
      e.retry_backoff_base = c->get_double("retry_backoff_base");
      e.max_history_size = static_cast<int>(c->get_int("max_history_size"));
      e.auto_kill_on_daily_loss = c->get_bool("auto_kill_on_daily_loss");
      e.reconcile_interval_seconds = c->get_double("reconcile_interval_seconds");
      e.order_timeout_seconds = c->get_double("order_timeout_seconds");
      e.shutdown_wait_seconds = c->get_double("shutdown_wait_seconds");
      e.live_ready_timeout_seconds = c->get_double("live_ready_timeout_seconds");
      e.live_stream_alert_seconds = c->get_double("live_stream_alert_seconds");
      e.plugin_dirs = c->get_strings("plugin_dirs");
      e.pace = c->get_bool("pace");
      e.log_level = c->get_string("log_level");
      if (c->was_set("state_dir") && std::filesystem::path(e.state_dir).is_relative()) {
        e.state_dir = (m.dir / e.state_dir).lexically_normal().string();
      }
      for (auto& d : e.plugin_dirs) {
        if (std::filesystem::path(d).is_relative()) d = (m.dir / d).lexically_normal().string();
      }
    }
    if (auto c = core_table(root, "api", kApiKeys)) {
      m.api.bind = c->get_string("bind");
      m.api.port = static_cast<int>(c->get_int("port"));
      m.api.auth = c->get_bool("auth");
      m.api.rate_limit = c->get_bool("rate_limit");
      m.api.enabled = c->get_bool("enabled");
      m.api.require_confirmation_for_live = c->get_bool("require_confirmation_for_live");
      m.api.max_request_bytes = static_cast<int>(c->get_int("max_request_bytes"));
    }
    if (auto c = core_table(root, "executor", kExecutorKeys)) {
      auto& x = m.executor;
      x.instrument_mode = c->get_string("instrument_mode");
      x.max_risk_per_trade = c->get_double("max_risk_per_trade");
      x.max_concurrent_positions = static_cast<int>(c->get_int("max_concurrent_positions"));
      x.daily_loss_limit = c->get_double("daily_loss_limit");
      x.max_single_stock_exposure = c->get_double("max_single_stock_exposure");
      x.max_sector_exposure = c->get_double("max_sector_exposure");
      x.min_account_equity = c->get_double("min_account_equity");
      x.default_time_in_force = c->get_string("default_time_in_force");
      x.high_conviction_order_type = c->get_string("high_conviction_order_type");
      x.medium_conviction_order_type = c->get_string("medium_conviction_order_type");
      x.scale_in_enabled = c->get_bool("scale_in_enabled");
      x.scale_in_initial_pct = c->get_double("scale_in_initial_pct");
      x.prefer_3x_for_day_trades = c->get_bool("prefer_3x_for_day_trades");
      x.min_etf_daily_volume = c->get_double("min_etf_daily_volume");
      x.etf_sector_mapping = c->get_bool("etf_sector_mapping");
      x.consecutive_loss_threshold = static_cast<int>(c->get_int("consecutive_loss_threshold"));
      x.consecutive_loss_pct = c->get_double("consecutive_loss_pct");
      x.api_timeout_seconds = c->get_double("api_timeout_seconds");
    }
    if (auto c = core_table(root, "lifecycle", kLifecycleKeys)) {
      auto& l = m.lifecycle;
      l.reward_to_risk_target = c->get_double("reward_to_risk_target");
      l.time_stop_minutes = static_cast<int>(c->get_int("time_stop_minutes"));
      l.eod_close_time = c->get_string("eod_close_time");
      unsigned hh = 99, mm = 99;
      char tail = 0;
      if (std::sscanf(l.eod_close_time.c_str(), "%2u:%2u%c", &hh, &mm, &tail) != 2 || hh > 23 ||
          mm > 59) {
        auto* node = root["lifecycle"]["eod_close_time"].node();
        error(node ? line_of(*node) : 1, "[lifecycle] key 'eod_close_time': '" +
                                             l.eod_close_time + "' is not HH:MM");
      }
      l.trailing_stop_cloud = c->get_string("trailing_stop_cloud");
      l.max_etf_hold_days_3x = static_cast<int>(c->get_int("max_etf_hold_days_3x"));
      l.max_etf_hold_days_2x = static_cast<int>(c->get_int("max_etf_hold_days_2x"));
      l.close_on_shutdown = c->get_bool("close_on_shutdown");
    }
    if (auto c = core_table(root, "signals", kSignalsKeys)) {
      m.signals.min_conviction_to_signal = static_cast<int>(c->get_int("min_conviction_to_signal"));
      m.signals.min_conviction_to_execute = static_cast<int>(c->get_int("min_conviction_to_execute"));
      auto& g = m.signals;
      g.enable_strategy_selection = c->get_bool("enable_strategy_selection");
      g.enable_signal_fusion = c->get_bool("enable_signal_fusion");
      g.enable_feedback_loop = c->get_bool("enable_feedback_loop");
      g.feedback_adjust_every_n_trades = static_cast<int>(c->get_int("feedback_adjust_every_n_trades"));
      g.macro_bias_filter = c->get_bool("macro_bias_filter");
      g.high_conviction_threshold = static_cast<int>(c->get_int("high_conviction_threshold"));
      g.adx_strong_threshold = c->get_double("adx_strong_threshold");
      g.adx_moderate_threshold = c->get_double("adx_moderate_threshold");
      g.adx_weak_threshold = c->get_double("adx_weak_threshold");
      g.trend_strategy = c->get_string("trend_strategy");
      g.range_strategy = c->get_string("range_strategy");
      g.force_strategy = c->get_string("force_strategy");
      g.fusion_decay_minutes = c->get_double("fusion_decay_minutes");
      if (!(g.adx_weak_threshold <= g.adx_moderate_threshold && g.adx_moderate_threshold <= g.adx_strong_threshold)) {
        error(key_line(root, "signals", "adx_moderate_threshold"),
              "[signals] key 'adx_moderate_threshold': thresholds must satisfy weak <= moderate <= strong");
      }
      g.regime_override.clear();
      for (const auto& pair : c->get_strings("regime_override")) {
        auto colon = pair.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == pair.size()) {
          error(key_line(root, "signals", "regime_override"),
                "[signals] key 'regime_override': '" + pair + "' is not regime:strategy");
          continue;
        }
        g.regime_override[pair.substr(0, colon)] = pair.substr(colon + 1);
      }
    }
    if (auto c = core_table(root, "scanner", kScannerKeys)) {
      m.scanner.presets = c->get_strings("presets");
      for (const auto& p : m.scanner.presets) {
        if (!find_preset(p)) {
          error(key_line(root, "scanner", "presets"),
                "[scanner] key 'presets': unknown preset '" + p +
                    "' (qullamaggie_ep, qullamaggie_breakout, qullamaggie_htf, "
                    "qullamaggie_momentum_leaders, qullamaggie_parabolic)");
        }
      }
    }
    single(root, "feed", "feed", m.feed);
    single(root, "regime", "regime", m.regime);
    single(root, "routing", "routing", m.routing);
    single(root, "broker", "broker", m.broker);
    single(root, "live_broker", "broker", m.live_broker);
    single(root, "fallback_broker", "broker", m.fallback_broker);
    array(root, "strategy", "strategy", m.strategies);
    // The registry is keyed by strategy name: a second entry of one plugin would hide the first.
    for (std::size_t i = 0; i < m.strategies.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (m.strategies[i].name == m.strategies[j].name) {
          error(m.strategies[i].line, "[[strategy]] strategy/" + m.strategies[i].name +
                                          " is listed twice (first at line " +
                                          std::to_string(m.strategies[j].line) + ")");
        }
      }
    }
    array(root, "guard", "guard", m.guards);
    array(root, "risk", "risk", m.risks);
    array(root, "sizing", "sizing", m.sizings);
    array(root, "addon", "addon", m.addons);
  }
};

}  // namespace

std::vector<const PluginEntry*> Manifest::plugins() const {
  std::vector<const PluginEntry*> out;
  if (feed) out.push_back(&*feed);
  for (auto& e : strategies) out.push_back(&e);
  for (auto& e : guards) out.push_back(&e);
  if (regime) out.push_back(&*regime);
  for (auto& e : risks) out.push_back(&e);
  if (routing) out.push_back(&*routing);
  for (auto& e : sizings) out.push_back(&e);
  if (broker) out.push_back(&*broker);
  if (live_broker) out.push_back(&*live_broker);
  if (fallback_broker) out.push_back(&*fallback_broker);
  for (auto& e : addons) out.push_back(&e);
  return out;
}

std::string Manifest::where(const PluginEntry& e, const std::string& key) const {
  int line = e.line;
  if (!key.empty()) {
    auto it = e.key_lines.find(key);
    if (it != e.key_lines.end()) line = it->second;
  }
  return file.string() + ":" + std::to_string(line) + ": ";
}

ManifestParse parse_manifest_text(const std::string& text, const std::filesystem::path& file) {
  Parser p;
  p.file = file.string();
  p.m.file = file;
  p.m.dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  try {
    toml::table root = toml::parse(text, file.string());
    p.run(root);
  } catch (const toml::parse_error& e) {
    p.error(static_cast<int>(e.source().begin.line), std::string("TOML syntax error: ") +
                                                         std::string(e.description()));
  }
  return {std::move(p.m), std::move(p.errors)};
}

ManifestParse parse_manifest(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    ManifestParse r;
    r.manifest.file = file;
    r.errors.push_back(file.string() + ": cannot open manifest (no such file or not readable)");
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_manifest_text(ss.str(), file);
}

void resolve_paths(json& config, const json& schema, const std::filesystem::path& base) {
  if (!config.is_object() || !schema.is_array()) return;
  for (const auto& k : schema) {
    std::string key = k.value("key", "");
    std::string type = k.value("type", "");
    if (!config.contains(key)) continue;
    auto fix = [&](json& v) {
      if (v.is_string() && !v.get<std::string>().empty() &&
          std::filesystem::path(v.get<std::string>()).is_relative()) {
        v = (base / v.get<std::string>()).lexically_normal().string();
      }
    };
    if (type == "path") fix(config[key]);
    if (type == "path list" && config[key].is_array()) {
      for (auto& item : config[key]) fix(item);
    }
  }
}

}  // namespace axion::core
