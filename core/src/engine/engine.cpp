#include "axion/core/engine/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "axion/sdk/time.hpp"

namespace axion::core {

namespace {

// Journal key-value entries the core keeps for itself (beside the plugins' own state).
constexpr const char* kCoreStatePrefix = "axion.core/";

std::shared_ptr<spdlog::logger> logger_for(const std::string& name) {
  auto l = spdlog::get(name);
  if (l) return l;
  auto def = spdlog::default_logger();
  l = def ? def->clone(name) : spdlog::default_logger()->clone(name);
  try {
    spdlog::register_logger(l);
  } catch (const spdlog::spdlog_ex&) {
    l = spdlog::get(name);  // registered meanwhile by another thread
  }
  return l;
}

spdlog::level::level_enum to_spd(int level) {
  switch (level) {
    case 0: return spdlog::level::debug;
    case 1: return spdlog::level::info;
    case 2: return spdlog::level::warn;
    default: return spdlog::level::err;
  }
}

using sdk::time::system_now_us;

// Host services for --check-config: plugins can be built and validated, nothing is persisted.
class CheckServices : public HostServices {
 public:
  explicit CheckServices(const Manifest& m) : m_(m) {}
  void plugin_log(const std::string&, int, std::string_view) override {}
  std::int64_t now_us() override { return system_now_us(); }
  std::int64_t wall_now_us() override { return system_now_us(); }
  std::optional<double> last_price(std::string_view) override { return std::nullopt; }
  void plugin_publish(const std::string&, std::string_view, std::string_view) override {}
  std::optional<std::string> load_plugin_state(const std::string&) override { return std::nullopt; }
  bool save_plugin_state(const std::string&, std::string_view) override { return true; }
  std::optional<json> query(std::string_view what, const json&) override {
    if (what == "engine") {
      // check_only: --check-config builds every plugin to validate it and starts nothing; a
      // plugin that talks to a broker or a data vendor opens no connection under it.
      return json{{"mode", std::string(to_string(m_.engine.mode))},
                  {"symbols", m_.engine.symbols},
                  {"starting_equity", m_.engine.starting_equity},
                  {"check_only", true}};
    }
    return std::nullopt;
  }

 private:
  const Manifest& m_;
};

}  // namespace

std::vector<std::filesystem::path> plugin_search_path(const Manifest& m, const EngineOptions& o) {
  std::vector<std::filesystem::path> dirs;
  for (const auto& d : m.engine.plugin_dirs) dirs.emplace_back(d);
  for (const auto& d : o.extra_plugin_dirs) dirs.push_back(d);
  if (!o.builtin_plugin_dir.empty()) dirs.push_back(o.builtin_plugin_dir);
  return dirs;
}

// Loads one entry's library and creates its instance; on failure appends "file:line: ..." and
// returns null. Shared by --check-config and the engine so both report identically.
static std::unique_ptr<PluginInstance> load_entry(const Manifest& m, const PluginEntry& e,
                                                  PluginLoader& loader, PluginRegistry& registry,
                                                  HostServices& services,
                                                  std::vector<std::string>& errors) {
  std::shared_ptr<PluginLibrary> lib = registry.get(e.kind, e.name);
  if (!lib) {
    try {
      lib = loader.load(e.kind, e.name);
      registry.add(lib);
    } catch (const LoadError& err) {
      errors.push_back(m.where(e, "plugin") + e.table + " " + err.what());
      return nullptr;
    }
  }
  json config = e.config;
  auto schema = json::parse(lib->manifest().config_schema_json, nullptr, false);
  resolve_paths(config, schema, m.dir);
  try {
    return std::make_unique<PluginInstance>(lib, services, config);
  } catch (const PluginCallError& err) {
    errors.push_back(m.where(e, err.key) + e.table + " " + e.id() + ": " + err.what());
  } catch (const std::exception& err) {
    errors.push_back(m.where(e) + e.table + " " + e.id() + ": " + err.what());
  }
  return nullptr;
}

std::vector<std::string> check_plugins(const Manifest& m, const EngineOptions& o) {
  std::vector<std::string> errors;
  PluginLoader loader(plugin_search_path(m, o));
  PluginRegistry registry;
  CheckServices services(m);
  for (const auto* e : m.plugins()) {
    auto inst = load_entry(m, *e, loader, registry, services, errors);
    (void)inst;  // created to validate its config, then destroyed
  }
  if (m.engine.mode == Mode::Live && !m.live_broker) {
    errors.push_back(m.file.string() + ":1: Live broker not configured ([live_broker] is missing)");
  }
  return errors;
}

Engine::Engine(Manifest manifest, EngineOptions options)
    : manifest_(std::move(manifest)),
      options_(std::move(options)),
      loader_(plugin_search_path(manifest_, options_)) {
  auto log = logger_for("axion.bot");
  bar_clock_ = !options_.wall_clock && manifest_.engine.mode != Mode::Live;
  clock_us_.store(system_now_us());
  if (manifest_.engine.mode == Mode::Live && !manifest_.live_broker) {
    throw std::runtime_error("Live broker not configured");
  }

  std::filesystem::path dir = manifest_.engine.state_dir;
  state_ = std::make_unique<StateManager>(dir, [this] { return now_us(); });
  journal_ = std::make_unique<Journal>(dir / "axion.db");
  // Problems found while reading the journal at start-up: the engine starts killed and
  // reachable (fail closed), it never exits into a crash loop.
  std::vector<std::string> startup_damage;
  try {
    bus_.set_next_sequence(journal_->last_event_sequence() + 1);
  } catch (const std::exception& e) {
    startup_damage.push_back(std::string("journal table 'events': ") + e.what());
  }
  bus_.set_recorder([this](const EventPtr& ev) {
    try {
      journal_->record_event(ev);
    } catch (const std::exception& e) {
      spdlog::get("axion.bot")->error("event journal write failed: {}", e.what());
    }
  });

  std::vector<std::string> errors;
  if (options_.start_feed && manifest_.feed) feed_ = instantiate(*manifest_.feed, errors);
  for (const auto& e : manifest_.strategies) {
    if (auto* p = instantiate(e, errors)) {
      // Registry name = the plugin's own name; built-ins carry the spec's description.
      auto [desc, category] = StrategyRegistry::builtin_info(e.name);
      if (desc.empty()) desc = p->manifest().description ? p->manifest().description : "";
      registry_strat_.add(p, e.name, desc, category, system_now_us());
      strategy_order_.push_back(e.name);
    }
  }
  for (const auto& e : manifest_.guards) {
    if (auto* p = instantiate(e, errors)) stages_.guards.push_back(p);
  }
  if (manifest_.regime) stages_.regime = instantiate(*manifest_.regime, errors);
  for (const auto& e : manifest_.risks) {
    if (auto* p = instantiate(e, errors)) stages_.risks.push_back(p);
  }
  if (manifest_.routing) stages_.routing = instantiate(*manifest_.routing, errors);
  for (const auto& e : manifest_.sizings) {
    if (auto* p = instantiate(e, errors)) stages_.sizings.push_back(p);
  }
  const PluginEntry* broker_entry =
      manifest_.engine.mode == Mode::Live ? &*manifest_.live_broker
                                      : (manifest_.broker ? &*manifest_.broker : nullptr);
  if (broker_entry) {
    stages_.broker = instantiate(*broker_entry, errors);
  } else {
    // No [broker]: the paper broker with its defaults (pipeline.md §0.1).
    PluginEntry def;
    def.kind = "broker";
    def.name = "paper";
    def.table = "[broker] (default)";
    def.config = json::object();
    def.line = 1;
    stages_.broker = instantiate(def, errors);
  }
  if (manifest_.engine.mode == Mode::Live && manifest_.fallback_broker) {
    stages_.fallback_broker = instantiate(*manifest_.fallback_broker, errors);
  }
  // Add-ons (e.g. addon/ws) are built here and started once the engine is ready; a scan serves
  // nobody, so it loads none.
  if (!options_.scan_mode) {
    for (const auto& e : manifest_.addons) instantiate(e, errors);
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "\n") + e;
    throw std::runtime_error(all);
  }

  OrchestratorConfig oc;
  oc.executor = manifest_.executor;
  oc.lifecycle = manifest_.lifecycle;
  oc.max_order_retries = manifest_.engine.max_order_retries;
  oc.retry_backoff_base = manifest_.engine.retry_backoff_base;
  oc.max_history_size = static_cast<std::size_t>(manifest_.engine.max_history_size);
  oc.auto_kill_on_daily_loss = manifest_.engine.auto_kill_on_daily_loss;
  oc.order_timeout_seconds = manifest_.engine.order_timeout_seconds;
  orch_ = std::make_unique<Orchestrator>(oc, stages_, *state_, *journal_, bus_,
                                         [this] { return now_us(); });
  orch_->log = [log](int level, const std::string& msg) { log->log(to_spd(level), msg); };
  orch_->log_enabled = [log](int level) { return log->should_log(to_spd(level)); };
  AssemblySettings as;
  const auto& sg = manifest_.signals;
  as.strategy_selection = sg.enable_strategy_selection;
  as.signal_fusion = sg.enable_signal_fusion;
  as.feedback_loop = sg.enable_feedback_loop;
  as.macro_bias_filter = sg.macro_bias_filter;
  as.min_conviction_to_signal = sg.min_conviction_to_signal;
  as.min_conviction_to_execute = sg.min_conviction_to_execute;
  as.high_conviction_threshold = sg.high_conviction_threshold;
  as.feedback_adjust_every_n_trades = sg.feedback_adjust_every_n_trades;
  as.fusion_decay_minutes = sg.fusion_decay_minutes;
  as.selector.strong_threshold = sg.adx_strong_threshold;
  as.selector.moderate_threshold = sg.adx_moderate_threshold;
  as.selector.weak_threshold = sg.adx_weak_threshold;
  as.selector.trend_strategy = sg.trend_strategy;
  as.selector.range_strategy = sg.range_strategy;
  as.selector.force_strategy = sg.force_strategy;
  as.selector.regime_override = sg.regime_override;
  as.scanner_presets = manifest_.scanner.presets;
  const bool scan = options_.scan_mode;
  assembly_ = std::make_unique<SignalAssembly>(
      as,
      [this, scan](const std::string& event, const json& data) {
        if (!scan) bus_.publish(event, data, now_us());
      },
      [this, scan](const std::string& key, const std::string& json_text) {
        if (scan) return;
        try {
          journal_->save_plugin_state(std::string(kCoreStatePrefix) + key, json_text);
        } catch (const std::exception& e) {
          orch_->alert_error("journal", e.what());
        }
      });
  std::vector<json> trades;  // oldest first
  if (!scan) {
    auto load = [this](const char* key) {
      auto text = journal_->plugin_state(std::string(kCoreStatePrefix) + key);
      return text ? json::parse(*text, nullptr, false) : json();
    };
    try {
      trades = journal_->trades(1 << 30);
      std::reverse(trades.begin(), trades.end());
      std::erase_if(trades, [&](const json& t) {
        if (t.is_object() && t.contains("pnl") && t["pnl"].is_number()) return false;
        startup_damage.push_back("journal table 'trades': an unreadable trade record (left in place)");
        return true;
      });
      registry_strat_.restore_flags(load("strategy_registry"));
      assembly_->restore(load("feedback_weights"), load("ab_signal_counts"), trades);
    } catch (const std::exception& e) {
      startup_damage.push_back(std::string("journal (strategy flags, feedback, trades): ") + e.what());
    }
  }
  try {
    init_control(trades);  // the analytics tracker replays the same trades (#5)
  } catch (const std::exception& e) {
    startup_damage.push_back(std::string("journal (analytics replay): ") + e.what());
    if (!controller_) init_control({});
  }
  orch_->on_trade_closed = [this](const Position& closed, double pnl, double ret, const ClosedTrade& trade) {
    assembly_->on_trade_closed(closed, pnl, ret, now_us());
    record_close(trade);
  };
  orch_->on_result = [this](const PipelineResult& r) {
    if (r.success) {
      ++counters_.entries;
    } else {
      ++counters_.rejections;
    }
  };
  state_->on_save_error = [this](const std::string& err) { orch_->alert_error("state", err); };
  // A commit that failed lost the records of its batch: alert and stop new entries; the
  // orchestrator writes its positions again at the next chance.
  journal_->on_commit_failure = [this](const std::string& err) {
    KillRecord k;
    k.level = KillLevel::BlockNew;
    k.reason = "Journal commit failed: " + err;
    k.actor = "journal";
    orch_->activate_kill(k);
    orch_->journal_commit_failed();
  };

  if (!scan) {
    // The journal's trades are the durable record of realized P&L: bot_state.json writes its
    // counters at most every few seconds, and a power loss can leave it empty. So the day's
    // figures, the lifetime P&L and the loss streak (since the last global kill reset) come
    // back from the journal at every start, and the loss limits still hold.
    std::int64_t reset_us = 0;
    try {
      reset_us = journal_->last_kill_reset_us(KillScope::Global);
    } catch (const std::exception& e) {
      startup_damage.push_back(std::string("journal table 'kills': ") + e.what());
    }
    const bool behind = state_->rebuild_from_trades(trades, reset_us);
    if (state_->loaded_corrupt()) {
      log->error("bot_state.json was unreadable: moved to bot_state.json.corrupt; daily P&L {:.2f} over {} "
                 "trade(s) rebuilt from the journal; entries blocked",
                 state_->daily_pnl(), state_->daily_trade_count());
    } else if (behind) {
      log->warn("bot_state.json was behind the journal (the last run stopped before writing it): daily "
                "P&L {:.2f} over {} trade(s), loss streak {} rebuilt from the journal's trades",
                state_->daily_pnl(), state_->daily_trade_count(), state_->consecutive_losses().size());
    }
  }
  // Live (live.md §5): the broker's fill stream listens before open intents are resolved, so
  // no fill of theirs can pass unseen.
  if (manifest_.engine.mode == Mode::Live && !scan) wait_for_live_broker();
  // Journaled kills first, then the fail-closed block_new on top: a repeat never lowers a
  // journaled flatten, and its original reason stays.
  try {
    orch_->restore();
  } catch (const std::exception& e) {
    startup_damage.push_back(std::string("start-up recovery: ") + e.what());
  }
  if (state_->loaded_corrupt()) {
    KillRecord k;
    k.level = KillLevel::BlockNew;
    k.reason = "State file unreadable";
    k.actor = "engine";
    orch_->activate_kill(k);
  }
  for (const auto& d : startup_damage) {
    log->error("{}", d);
    KillRecord k;
    k.level = KillLevel::BlockNew;
    k.reason = "Fail closed at start-up: " + d;
    k.actor = "engine";
    orch_->alert_error("recovery", d);
    orch_->activate_kill(k);
  }
  if (const KillRecord* g = orch_->global_kill()) {
    log->warn("Kill switch is ACTIVE: {} \u2014 deactivate before running", g->reason);
  }
  for (auto* a : [&] {
         std::vector<PluginInstance*> v;
         for (auto& i : instances_) {
           if (i->kind() == AXION_KIND_ADDON) v.push_back(i.get());
         }
         return v;
       }()) {
    a->addon_start();
  }
}

Engine::~Engine() {
  request_stop();
  for (auto& i : instances_) {
    if (i->kind() == AXION_KIND_ADDON) i->addon_stop();
  }
  // The last saves happen while the orchestrator can still raise their alerts.
  if (state_) {
    state_->flush();
    state_->on_save_error = nullptr;
  }
  if (journal_) journal_->on_commit_failure = nullptr;
  orch_.reset();
  instances_.clear();
}

PluginInstance* Engine::instantiate(const PluginEntry& e, std::vector<std::string>& errors) {
  auto inst = load_entry(manifest_, e, loader_, registry_, *this, errors);
  if (!inst) return nullptr;
  instances_.push_back(std::move(inst));
  return instances_.back().get();
}

// ---- host services ------------------------------------------------------------------------

void Engine::plugin_log(const std::string& logger, int level, std::string_view msg) {
  logger_for(logger)->log(to_spd(level), "{}", msg);
}

std::int64_t Engine::now_us() { return bar_clock_ ? clock_us_.load() : system_now_us(); }
std::int64_t Engine::wall_now_us() { return system_now_us(); }

std::optional<double> Engine::last_price(std::string_view ticker) {
  std::lock_guard lock(price_mu_);
  auto it = prices_.find(ticker);
  if (it == prices_.end()) return std::nullopt;
  return it->second;
}

thread_local bool Engine::in_inline_call_ = false;

bool Engine::on_engine_thread() const {
  const auto me = std::this_thread::get_id();
  const auto engine = engine_thread_id_.load();
  if (engine != std::thread::id{}) return me == engine;
  return me == owner_thread_ || in_inline_call_;
}

void Engine::plugin_publish(const std::string& plugin, std::string_view event, std::string_view data) {
  if (!on_engine_thread()) {
    logger_for("axion.bot")->error("plugin {} published '{}' from its own thread: refused (host services "
                                   "run on the engine thread only)", plugin, event);
    return;
  }
  auto j = json::parse(data, nullptr, false);
  bus_.publish(event, j.is_discarded() ? json(std::string(data)) : j, now_us());
}

std::optional<std::string> Engine::load_plugin_state(const std::string& plugin) {
  if (!on_engine_thread()) {
    throw std::runtime_error("state_load from a thread other than the engine's is refused");
  }
  return journal_->plugin_state(plugin);
}

bool Engine::save_plugin_state(const std::string& plugin, std::string_view text) {
  if (!on_engine_thread()) {
    logger_for("axion.bot")->error("plugin {} saved state from its own thread: refused (host services run "
                                   "on the engine thread only)", plugin);
    return false;
  }
  try {
    journal_->save_plugin_state(plugin, text);
    return true;
  } catch (const std::exception& e) {
    orch_->alert_error("plugin_state", plugin + ": " + e.what());
    return false;
  }
}

// Engine-state queries; Engine::query (engine_control.cpp) runs them on the engine thread.
std::optional<json> Engine::query_state(std::string_view what, const json& args) {
  if (what == "engine") {
    return json{{"mode", std::string(to_string(manifest_.engine.mode))},
                {"symbols", manifest_.engine.symbols},
                {"starting_equity", manifest_.engine.starting_equity},
                {"state_dir", manifest_.engine.state_dir}};
  }
  if (!orch_) return std::nullopt;
  if (what == "positions") {
    json arr = json::array();
    for (const auto& p : orch_->positions()) {
      json d = to_dict(p);
      d["underlying"] = p.underlying;
      d["strategy"] = p.strategy;
      arr.push_back(d);
    }
    return arr;
  }
  if (what == "account") {
    const auto& a = orch_->account();
    return json{{"equity", a.equity}, {"cash", a.cash}, {"buying_power", a.buying_power},
                {"starting_equity", a.starting_equity}};
  }
  if (what == "state") return state_->snapshot();
  if (what == "kill") {
    json arr = json::array();
    for (const auto& k : orch_->kills()) {
      arr.push_back({{"level", k.level}, {"scope", k.scope}, {"target", k.target},
                     {"reason", k.reason}, {"actor", k.actor}});
    }
    return arr;
  }
  if (what == "returns") {
    std::string t = args.value("ticker", "");
    std::size_t n = args.value("n", 252);
    std::vector<double> r(n);
    r.resize(daily_returns(t, r.data(), n));
    return json(r);
  }
  return std::nullopt;
}

std::size_t Engine::daily_returns(std::string_view ticker, double* out, std::size_t max) {
  // The latest `max` close-to-close returns (a return needs the close before it).
  std::lock_guard lock(price_mu_);
  auto it = closes_.find(std::string(ticker));
  if (it == closes_.end() || max == 0) return 0;
  const auto& c = it->second;
  const std::size_t start = c.size() > max + 1 ? c.size() - max - 1 : 0;
  std::size_t n = 0;
  for (std::size_t i = start + 1; i < c.size() && n < max; ++i) {
    if (c[i - 1].second > 0) out[n++] = c[i].second / c[i - 1].second - 1.0;
  }
  return n;
}

// Typed reads for plugins (ABI v2 host services): engine thread only, like the state services.
void Engine::each_position(const std::function<void(const axion_position_view&)>& each) {
  if (!on_engine_thread()) throw std::runtime_error("positions from a thread other than the engine's");
  for (const auto& p : orch_->positions()) each(position_view(p));
}

axion_account Engine::engine_account() {
  if (!on_engine_thread()) throw std::runtime_error("account from a thread other than the engine's");
  const auto& a = orch_->account();
  return {sizeof(axion_account), a.equity, a.cash, a.buying_power, a.starting_equity};
}

axion_kill_state Engine::kill_state(std::string_view strategy, std::string_view symbol) {
  if (!on_engine_thread()) throw std::runtime_error("kill state from a thread other than the engine's");
  axion_kill_state out{sizeof(axion_kill_state), AXION_KILL_NONE, AXION_KILL_SCOPE_GLOBAL, 0};
  for (const auto& k : orch_->kills()) {
    sdk::fold_kill(out, static_cast<std::int32_t>(k.level), static_cast<std::int32_t>(k.scope),
                   k.covers(strategy, symbol));
  }
  return out;  // fold_kill marks a global kill as global_active
}

std::optional<json> Engine::command(const std::string& plugin, std::string_view what,
                                    const json& args) {
  if (!on_engine_thread()) {
    logger_for("axion.bot")->error("plugin {} sent command '{}' from its own thread: refused (host services "
                                   "run on the engine thread only)", plugin, what);
    return std::nullopt;
  }
  if (what == "activate_kill" && orch_) {
    const std::string level = args.value("level", "block_new");
    const std::string scope = args.value("scope", "global");
    const auto parsed_level = parse_kill_level(level);
    const auto parsed_scope = parse_kill_scope(scope);
    if (!parsed_level || !parsed_scope) {
      orch_->alert_error("kill_switch", plugin + ": unknown kill " +
                                            (!parsed_level ? "level '" + level + "'" : "scope '" + scope + "'"));
      return std::nullopt;
    }
    KillRecord k;
    k.level = *parsed_level;
    k.scope = *parsed_scope;
    k.target = args.value("target", "");
    k.reason = args.value("reason", "requested by " + plugin);
    k.actor = plugin;
    KillOutcome out;
    try {
      out = orch_->activate_kill(k);
    } catch (const std::exception& e) {
      orch_->alert_error("kill_switch", plugin + ": " + e.what());
      return std::nullopt;
    }
    return json{{"activated", true}, {"level", k.level}, {"scope", k.scope}, {"durable", out.durable}};
  }
  return std::nullopt;
}

// ---- add-on event stream --------------------------------------------------------------------

std::int64_t Engine::subscribe_events(std::int64_t since, EventSink sink, std::int64_t* oldest_available) {
  auto sub = std::make_shared<EventSubscription>();
  sub->sink = std::move(sink);
  std::int64_t oldest = 0;
  const int bus_id = bus_.subscribe(
      [sub](const Event& ev) {
        std::lock_guard lock(sub->mu);
        if (sub->active) sub->sink(ev.sequence, ev.channel, ev.envelope);
      },
      since, &oldest);
  if (oldest_available) *oldest_available = since >= 0 ? oldest : 0;
  std::lock_guard lock(subs_mu_);
  const std::int64_t id = next_sub_id_++;
  subs_[id] = {bus_id, sub};
  return id;
}

void Engine::unsubscribe_events(std::int64_t id) {
  std::shared_ptr<EventSubscription> sub;
  int bus_id = 0;
  {
    std::lock_guard lock(subs_mu_);
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    bus_id = it->second.first;
    sub = it->second.second;
    subs_.erase(it);
  }
  bus_.unsubscribe(bus_id);
  std::lock_guard lock(sub->mu);  // waits for a sink call in progress
  sub->active = false;
}

// ---- strategy registry ---------------------------------------------------------------------

json Engine::strategy_list() const {
  json arr = json::array();
  for (const auto& info : registry_strat_.all()) {
    json j = info.to_json();
    j["stats"] = assembly_->ab().stats(info.name);
    arr.push_back(std::move(j));
  }
  return arr;
}

// Throws when the flag cannot be made durable (the flag is then left unchanged).
std::optional<json> Engine::set_strategy_enabled(const std::string& name, bool enabled,
                                                 const std::string& actor) {
  const StrategyInfo* info = registry_strat_.find(name);
  if (!info) return std::nullopt;
  const bool before = info->enabled;
  registry_strat_.set_enabled(name, enabled);
  if (!options_.scan_mode) {
    try {
      journal_->save_plugin_state(std::string(kCoreStatePrefix) + "strategy_registry",
                                  registry_strat_.flags().dump());
    } catch (const std::exception& e) {
      // Not durable, so not done: the flag stays as it was and the caller hears of it.
      registry_strat_.set_enabled(name, before);
      orch_->alert_error("journal", e.what());
      throw;
    }
    bus_.publish(enabled ? "strategy_enabled" : "strategy_disabled",
                 {{"strategy", name}, {"enabled", enabled}, {"actor", actor}}, now_us());
  }
  spdlog::get("axion.bot")->info("Strategy {} {} by {}", name, enabled ? "enabled" : "disabled", actor);
  return registry_strat_.find(name)->to_json();
}

// ---- bars, signals, lifecycle --------------------------------------------------------------

void Engine::on_bar(const axion_bar& bar) {
  auto batch = journal_->batch();  // one transaction per bar, committed at each order intent
  ++counters_.bars;
  last_bar_wall_us_.store(system_now_us());
  last_bar_ts_us_ = std::max(last_bar_ts_us_, bar.ts_us);
  std::string symbol(sdk::view(bar.symbol));
  // The simulated market clock follows the bars: set by the first one, then only forward.
  if (bar_clock_ && (!clock_started_ || bar.ts_us > clock_us_.load())) {
    clock_us_.store(bar.ts_us);
    clock_started_ = true;
  }
  {
    std::lock_guard lock(price_mu_);
    prices_[symbol] = bar.close;
    // Daily closes (the last close of each ET trading date) feed the "returns" query: risk
    // works on daily close-to-close returns whatever the bar interval (pipeline.md §11).
    auto& c = closes_[symbol];
    std::int64_t day = sdk::time::to_eastern(bar.ts_us).day_number;
    if (!c.empty() && c.back().first == day) {
      c.back().second = bar.close;
    } else {
      c.emplace_back(day, bar.close);
      if (c.size() > 253) c.pop_front();
    }
  }
  if (stages_.regime) {
    try {
      stages_.regime->regime_on_bar(bar);
    } catch (const std::exception& e) {
      orch_->alert_error("regime", e.what());
    }
  }
  const sdk::BarView view = sdk::from_c(bar);
  const std::int64_t bar_started_us = now_us();  // entries of this bar are managed from the next
  assembly_->on_bar(view.symbol, view.timeframe, bar.ts_us, bar.open, bar.high, bar.low, bar.close,
                    bar.volume);
  // Every strategy sees every bar so its incremental state stays current; a disabled one's
  // signals are dropped here, so enabling it again takes effect at the next bar, correctly.
  by_strategy_.clear();
  for (const auto& info : registry_strat_.all()) {
    signal_buf_.clear();
    try {
      info.instance->on_bar(bar, signal_buf_);
    } catch (const std::exception& e) {
      orch_->alert_error("strategy", info.instance->id() + ": " + e.what());
      continue;
    }
    if (signal_buf_.empty() || !info.enabled) continue;
    if (view.warmup) {
      counters_.warmup_signals += signal_buf_.size();
      continue;
    }
    counters_.strategy_signals += signal_buf_.size();
    auto& out = by_strategy_[info.name];
    for (auto& sig : signal_buf_) {
      if (sig.strategy.empty()) sig.strategy = info.name;
      out.push_back(std::move(sig));
    }
  }
  // Paused or stopped: strategies saw the bar, but no signal is assembled or processed. Killed:
  // signals still reach the pipeline and are rejected at stage 1 (kill_switch), on the record.
  const bool intake = options_.scan_mode || controller_->accepts_signals() ||
                      controller_->status() == "killed";
  if (!by_strategy_.empty() && intake) {
    const std::string& eff_regime = orch_->current_effective().regime;
    const std::string regime = eff_regime.empty() ? std::string("sideways") : eff_regime;
    auto ready = assembly_->assemble(symbol, std::string(view.timeframe), strategy_order_, by_strategy_,
                                     regime, now_us());
    for (auto& sig : ready) {
      if (options_.scan_mode) {
        ++counters_.signals;
        if (options_.scan_sink) options_.scan_sink(sig);
      } else if (auto r = process_signal(std::move(sig))) {
        orch_->recycle(std::move(*r));  // nobody reads it here: its buffers serve the next signal
      }
    }
  }
  if (options_.scan_mode) return;  // scan: no positions, no exits, no orders
  emas_[symbol].update(bar.close);
  orch_->update_price(symbol, bar.close);
  counters_.closes += orch_->check_and_execute_exits(
      [this](const std::string& u) -> const IndicatorRows* {
        auto it = emas_.find(u);
        return it == emas_.end() ? nullptr : &it->second.rows;
      },
      bar_started_us).size();
  orch_->poll();
  // Reconciliation every reconcile_interval_seconds of engine time (§9).
  auto interval = static_cast<std::int64_t>(manifest_.engine.reconcile_interval_seconds * 1e6);
  if (last_reconcile_us_ == 0) last_reconcile_us_ = now_us();
  if (now_us() - last_reconcile_us_ >= interval) {
    last_reconcile_us_ = now_us();
    orch_->reconcile_with_broker();
  }
  if (now_us() - last_account_refresh_us_ > 60 * sdk::time::kUsPerSec) {
    orch_->refresh_account();
    last_account_refresh_us_ = now_us();
  }
  publish_read_snapshot(/*if_due=*/true);  // GETs read this, never the engine (issue 9 #14)
}

std::optional<PipelineResult> Engine::process_signal(Signal s) {
  ++counters_.signals;
  return orch_->process_signal(std::move(s));  // the orchestrator logs openings and rejections
}

void Engine::FastEmas::update(double close) {
  auto step = [](double prev, double x, int period) {
    double a = 2.0 / (period + 1);
    return a * x + (1 - a) * prev;
  };
  if (rows.rows == 0) {
    e5 = e8 = e9 = e12 = close;
  } else {
    e5 = step(e5, close, 5);
    e8 = step(e8, close, 8);
    e9 = step(e9, close, 9);
    e12 = step(e12, close, 12);
  }
  for (int i = 0; i < 2; ++i) {
    rows.close[i] = rows.close[i + 1];
    rows.ema5[i] = rows.ema5[i + 1];
    rows.ema12[i] = rows.ema12[i + 1];
  }
  rows.close[2] = close;
  rows.ema5[2] = e5;
  rows.ema12[2] = e12;
  rows.ema8 = e8;
  rows.ema9 = e9;
  ++rows.rows;
}

// ---- threads -------------------------------------------------------------------------------

void Engine::post(std::function<void()> fn) {
  {
    std::lock_guard lock(q_mu_);
    queue_.push_back(std::move(fn));
  }
  q_cv_.notify_one();
}

bool Engine::try_post(std::function<void()> fn, bool urgent) {
  {
    std::lock_guard lock(q_mu_);
    if (!accepting_) return false;
    if (urgent) queue_.push_front(std::move(fn));
    else queue_.push_back(std::move(fn));
  }
  q_cv_.notify_one();
  return true;
}

void Engine::drain_queue() {
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(q_mu_);
      if (queue_.empty()) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    q_space_cv_.notify_all();
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::get("axion.bot")->error("Signal loop error: {}", e.what());
      orch_->alert_error("engine", e.what());
    }
  }
}

void Engine::engine_loop() {
  {
    // Waits for a call() running on its caller's thread, then takes over the state.
    std::lock_guard inline_lock(inline_mu_);
    engine_thread_id_.store(std::this_thread::get_id());
    std::lock_guard lock(q_mu_);
    accepting_ = true;
  }
  engine_running_.store(true);
  auto next_report = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!stop_.load()) {
    if (std::chrono::steady_clock::now() >= next_report) {
      log_status();
      next_report += std::chrono::seconds(15);
    }
    {
      std::unique_lock lock(q_mu_);
      q_cv_.wait_for(lock, std::chrono::milliseconds(200),
                     [this] { return !queue_.empty() || stop_.load(); });
    }
    drain_queue();
    // Live clock: pending orders and backoffs advance with time even without bars.
    if (!bar_clock_) orch_->poll();
    maybe_publish_snapshot();
  }
  drain_queue();
  shutdown();
  // Stop taking work, then run what arrived meanwhile: a call() posted just before this
  // point is still answered, and later ones run on their caller's thread.
  {
    std::lock_guard lock(q_mu_);
    accepting_ = false;
  }
  drain_queue();
  engine_running_.store(false);
  engine_thread_id_.store(std::thread::id{});
}

void Engine::feed_loop() {
  auto log = spdlog::get("axion.bot");
  bool pace = options_.pace.value_or(manifest_.engine.pace && manifest_.engine.mode == Mode::Paper);
  while (!stop_.load()) {
    axion_bar bar{};
    std::int64_t pace_us = 0;
    FeedNext got = FeedNext::End;
    try {
      got = feed_->next_bar(bar, pace_us);
    } catch (const std::exception& e) {
      log->error("feed {} failed: {}", feed_->id(), e.what());
      post([this, msg = std::string(e.what())] { orch_->alert_error("feed", msg); });
      break;
    }
    if (got == FeedNext::Idle) continue;  // a live feed waiting on the market
    if (got == FeedNext::End) {
      log->info("feed {} reached the end of its data", feed_->id());
      if (manifest_.engine.mode == Mode::Backtest) request_stop();
      break;
    }
    if (pace && pace_us > 0) {
      std::unique_lock lock(q_mu_);
      q_space_cv_.wait_for(lock, std::chrono::microseconds(pace_us), [this] { return stop_.load(); });
      if (stop_.load()) break;
    }
    // Copy the bar: its views are only valid until the feed's next call.
    auto symbol = std::make_shared<std::string>(sdk::view(bar.symbol));
    auto tf = std::make_shared<std::string>(sdk::view(bar.timeframe));
    axion_bar copy = bar;
    {
      // Backpressure: never let an as-fast-as-possible feed flood the engine queue.
      std::unique_lock lock(q_mu_);
      q_space_cv_.wait(lock, [this] { return queue_.size() < 1024 || stop_.load(); });
    }
    post([this, symbol, tf, copy]() mutable {
      copy.symbol = sdk::make_str(*symbol);
      copy.timeframe = sdk::make_str(*tf);
      on_bar(copy);
    });
  }
}

void Engine::log_status() {
  auto stats = orch_->stats();
  std::string stages;
  for (auto& [k, v] : stats["rejections_by_stage"].items()) {
    if (k == to_string(Stage::Completed)) continue;
    stages += (stages.empty() ? "" : ", ") + k + " " + std::to_string(v.get<std::uint64_t>());
  }
  const auto& a = orch_->account();
  spdlog::get("axion.bot")->info(
      "Status {} ET: regime {} ({:.2f}), bars {}, signals {}, entries {}, rejections {} ({}), "
      "open positions {}, daily P&L {:+.2f}, realized {:+.2f}, equity {:.2f}{}",
      sdk::time::to_iso(now_us() + sdk::time::et_offset_us(now_us())).substr(0, 16),
      orch_->current_effective().regime.empty() ? std::string("none") : orch_->current_effective().regime,
      orch_->current_effective().regime_confidence,
      counters_.bars, counters_.signals, counters_.entries, counters_.rejections,
      stages.empty() ? "none" : stages, orch_->positions().size(), state_->daily_pnl(),
      state_->total_realized_pnl(), a.equity, orch_->global_kill() ? ", KILL SWITCH ACTIVE" : "");
}

void Engine::run() {
  std::thread engine([this] { engine_loop(); });
  std::thread feed;
  if (feed_) feed = std::thread([this] { feed_loop(); });
  if (feed.joinable()) feed.join();
  engine.join();
}

void Engine::run_feed_to_end(std::uint64_t max_bars) {
  if (!feed_) return;
  std::uint64_t n = 0;
  while (!stop_.load()) {
    axion_bar bar{};
    std::int64_t pace_us = 0;
    const FeedNext got = feed_->next_bar(bar, pace_us);
    if (got == FeedNext::End) break;
    if (got == FeedNext::Idle) continue;
    on_bar(bar);
    if (max_bars && ++n >= max_bars) break;
  }
}

void Engine::request_stop() {
  stop_.store(true);
  q_cv_.notify_all();
  q_space_cv_.notify_all();
}

void Engine::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  auto log = spdlog::get("axion.bot");
  auto n = orch_->positions().size();
  if (manifest_.lifecycle.close_on_shutdown) {
    log->info("Shutting down \u2014 closing {} open position(s)", n);
    std::vector<std::pair<std::string, std::string>> targets;
    for (const auto& p : orch_->positions()) targets.emplace_back(p.ticker, p.signal_id);
    for (auto& [t, sid] : targets) orch_->close_position(t, "graceful_shutdown", 0.0, 0, sid);
    // Wait a bounded time for the close orders to end. On the bar clock no time passes: look
    // again only while a look changes something (an answer booked can send an unwind, whose
    // own answer the next look books). What is still working is journaled and resolved at
    // the next start (its intent is durable).
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration<double>(manifest_.engine.shutdown_wait_seconds);
    // Each look books what answered; on the bar clock a chain of answers (close, unwind of a
    // bad fill, its rest) is at most a few looks long, so this only bounds a broker that never
    // stops changing its answers.
    constexpr int kMaxBarClockLooks = 20;
    auto working = orch_->working_close_orders();
    for (int looks = 1;; ++looks) {
      orch_->poll();
      auto now_working = orch_->working_close_orders();
      const bool changed = now_working != working;
      working = std::move(now_working);
      if (working.empty() || std::chrono::steady_clock::now() >= deadline ||
          (bar_clock_ && (!changed || looks >= kMaxBarClockLooks))) {
        break;
      }
      if (!bar_clock_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!working.empty()) {
      std::string ids;
      for (const auto& id : working) ids += (ids.empty() ? "" : ", ") + id;
      log->warn("Shutting down with {} close order(s) still working at the broker: {} (resolved at the next start)",
                working.size(), ids);
      bus_.publish("shutdown_orders_open", {{"client_order_ids", working}}, now_us());
    }
  } else {
    log->info("Shutting down \u2014 keeping {} open position(s) ([lifecycle] close_on_shutdown = false)", n);
  }
  log->info("Bot shutdown complete");
}

}  // namespace axion::core
