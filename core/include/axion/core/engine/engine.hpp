// The engine: builds everything a manifest declares, owns the single engine thread (all trading
// state lives there; other threads post commands), drives the feed on its own thread with
// wall-clock pacing, and runs bars → strategies → pipeline → lifecycle.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "axion/core/control/analytics.hpp"
#include "axion/core/control/controller.hpp"
#include "axion/core/state/event_bus.hpp"
#include "axion/core/state/journal.hpp"
#include "axion/core/config/manifest.hpp"
#include "axion/core/pipeline/orchestrator.hpp"
#include "axion/core/plugins/plugin_instance.hpp"
#include "axion/core/plugins/plugin_loader.hpp"
#include "axion/core/state/read_snapshot.hpp"
#include "axion/core/signals/signal_assembly.hpp"
#include "axion/core/state/state_manager.hpp"
#include "axion/core/signals/strategy_registry.hpp"

namespace axion::core {

struct EngineOptions {
  std::vector<std::filesystem::path> extra_plugin_dirs;  // searched after the manifest's
  std::filesystem::path builtin_plugin_dir;              // <exe>/../lib/axion/plugins
  bool start_feed = true;          // false: no feed (signal replay bench)
  bool wall_clock = false;         // engine clock = wall clock (live, bench) instead of bar time
  std::optional<bool> pace;        // override [engine] pace
  // Scan mode (strategies.md §15.1): strategies and signal assembly only, no pipeline stages,
  // no orders; every assembled signal goes to scan_sink. Persisted enable flags are not read.
  bool scan_mode = false;
  std::function<void(const Signal&)> scan_sink;
  // The WS add-on's "verify_token" host query (any thread; must be thread-safe): the token's
  // identity, or nullopt when it is unknown, revoked or expired. Unset while [api] auth is on:
  // every token is refused (fail closed).
  std::function<std::optional<TokenIdentity>(const std::string& token)> verify_token;
};

struct EngineCounters {
  std::uint64_t bars = 0;
  std::uint64_t signals = 0;
  std::uint64_t entries = 0;
  std::uint64_t rejections = 0;
  std::uint64_t closes = 0;
  std::uint64_t warmup_signals = 0;  // emitted on warm-up history, not traded
  std::uint64_t strategy_signals = 0;  // emitted by enabled strategies, before assembly
};

// Plugin search path of a manifest: [engine] plugin_dirs, then extras, then the built-in dir.
std::vector<std::filesystem::path> plugin_search_path(const Manifest& m, const EngineOptions& o);

// Loads and configures every plugin of a manifest without starting anything; returns every
// error as "file:line: message". Used by --check-config.
std::vector<std::string> check_plugins(const Manifest& m, const EngineOptions& o);

class Engine : public HostServices {
 public:
  // Builds the engine and runs start-up recovery (§4.6). Throws std::runtime_error listing every
  // problem when the manifest's plugins cannot be loaded or configured.
  Engine(Manifest manifest, EngineOptions options);
  ~Engine() override;

  // Runs the engine thread and the feed until request_stop(); then shuts down gracefully
  // (closes positions per [lifecycle] close_on_shutdown). Blocks.
  void run();
  // Deterministic mode for tests and backtests: feeds every bar on the calling thread, as fast
  // as possible, then returns (no threads, no pacing).
  void run_feed_to_end(std::uint64_t max_bars = 0);
  void request_stop();
  bool stop_requested() const { return stop_.load(); }
  // Graceful shutdown work (§11): close every position at its mark; idempotent.
  void shutdown();

  // Runs fn on the engine thread and waits for it (or runs inline when no engine thread runs).
  template <class Fn>
  auto call(Fn fn) -> decltype(fn()) {
    return call_impl(std::move(fn), false);
  }
  // As call(), but ahead of queued bars: a kill must not wait behind the feed's backlog.
  template <class Fn>
  auto call_urgent(Fn fn) -> decltype(fn()) {
    return call_impl(std::move(fn), true);
  }
  void post(std::function<void()> fn);
  // Queues fn (at the front when urgent) unless no engine thread takes work (then false).
  bool try_post(std::function<void()> fn, bool urgent = false);

  // One bar through the engine (engine thread).
  void on_bar(const axion_bar& bar);
  // One signal through the pipeline (engine thread); nullopt when parked.
  std::optional<PipelineResult> process_signal(Signal s);

  // Strategy registry (strategies.md §9), engine thread: list, enable/disable (effective at the
  // next bar, persisted, published with the actor), A/B statistics.
  json strategy_list() const;
  // nullopt: unknown strategy; else the strategy's info after the change.
  std::optional<json> set_strategy_enabled(const std::string& name, bool enabled,
                                           const std::string& actor);
  const StrategyRegistry& strategies() const { return registry_strat_; }
  SignalAssembly& assembly() { return *assembly_; }

  // ---- control plane (control.md; issue #5) ------------------------------------------------
  // Engine thread (reach them through call()) unless marked thread-safe.
  BotController& controller();
  BotPerformanceTracker& analytics();
  // Any thread: publishes an event from the engine thread (e.g. the host's "api_key_revoked",
  // which the WS add-on acts on).
  void publish_event(const std::string& event, const json& data);
  json status_json();                                   // GET /bot/status (§1.3), fields in order
  json positions_json();                                // PositionItem array, oldest first
  // HistoryItem array (§1.4), newest first, and the total matching `outcome`.
  std::pair<json, std::int64_t> history_json(int limit, int offset, const std::string& outcome);
  // Plugins (§1.8): loaded plugins in manifest order {kind, name, version, state}.
  json plugins_json();
  // Reloads kind/name's library in place (drain, swap, re-init from its manifest table); the
  // previous version keeps serving on failure (Conflict "Reload failed: …"); NotFound when
  // unknown. A reloaded plugin keeps only what it persists through the host: a reloaded
  // strategy starts with fresh indicator state. Refused (Conflict): feeds, and a broker while
  // order flows are parked.
  ControlResult reload_plugin(const std::string& kind, const std::string& name, const std::string& actor);
  // reload_plugin with the version now serving (the REST body's "version"; empty unless Done).
  struct PluginReload {
    ControlResult result;
    std::string version;
  };
  PluginReload reload_plugin_versioned(const std::string& kind, const std::string& name,
                                       const std::string& actor);
  // A fresh instance of the named strategy fed the arrays bar by bar; the first signal of the
  // last bar or null. nullopt: no such strategy. Throws std::runtime_error when it fails.
  struct AnalyzeInput {
    std::string ticker;
    std::vector<double> opens, highs, lows, closes, volumes;
    std::vector<std::int64_t> timestamps_us;  // empty = compatibility mode
  };
  std::optional<json> analyze_strategy(const std::string& name, const AnalyzeInput& in);

  // ---- read side (ARCHITECTURE §6: reads never queue behind the engine; engine_control.cpp) --
  // The latest published snapshot; any thread, without waiting for the engine thread. While no
  // engine thread runs it is rebuilt on the caller's thread first (as call() would run inline).
  std::shared_ptr<const ReadSnapshot> read_snapshot();
  // Engine thread: builds and publishes a snapshot. `if_due` skips it when the last one is
  // younger than 50 ms (the per-bar and per-loop calls); a command's caller publishes at once.
  void publish_read_snapshot(bool if_due = false);

  Orchestrator& orchestrator() { return *orch_; }
  StateManager& state() { return *state_; }
  Journal& journal() { return *journal_; }
  EventBus& bus() { return bus_; }
  const Manifest& manifest() const { return manifest_; }
  const EngineCounters& counters() const { return counters_; }
  const std::vector<std::unique_ptr<PluginInstance>>& instances() const { return instances_; }
  std::int64_t clock_us() const { return clock_us_.load(); }
  void set_clock_us(std::int64_t t) { clock_us_.store(t); }

  // HostServices
  void plugin_log(const std::string& logger, int level, std::string_view msg) override;
  std::int64_t now_us() override;
  std::int64_t wall_now_us() override;
  std::optional<double> last_price(std::string_view ticker) override;
  void plugin_publish(const std::string& plugin, std::string_view event,
                      std::string_view data_json) override;
  std::optional<std::string> load_plugin_state(const std::string& plugin) override;
  bool save_plugin_state(const std::string& plugin, std::string_view json_text) override;
  std::optional<json> query(std::string_view what, const json& args) override;
  std::size_t daily_returns(std::string_view ticker, double* out, std::size_t max) override;
  void each_position(const std::function<void(const axion_position_view&)>& each) override;
  axion_account engine_account() override;
  axion_kill_state kill_state(std::string_view strategy, std::string_view symbol) override;
  std::optional<json> command(const std::string& plugin, std::string_view what,
                              const json& args) override;
  std::int64_t subscribe_events(std::int64_t since, EventSink sink,
                                std::int64_t* oldest_available) override;
  void unsubscribe_events(std::int64_t id) override;

 private:
  PluginInstance* instantiate(const PluginEntry& e, std::vector<std::string>& errors);
  // Every loaded plugin in manifest order with the entry it was built from (engine_plugins.cpp).
  struct PluginSlot {
    PluginEntry entry;
    PluginInstance* instance = nullptr;
  };
  std::vector<PluginSlot> plugin_slots() const;
  void swap_instance(PluginInstance* from, std::unique_ptr<PluginInstance> to,
                     std::vector<std::unique_ptr<PluginInstance>>& retired);
  void engine_loop();
  void feed_loop();
  void drain_queue();
  void log_status();

  Manifest manifest_;
  EngineOptions options_;
  PluginLoader loader_;
  PluginRegistry registry_;
  std::unique_ptr<StateManager> state_;
  std::unique_ptr<Journal> journal_;
  EventBus bus_;
  std::vector<std::unique_ptr<PluginInstance>> instances_;
  PluginInstance* feed_ = nullptr;
  // Control plane (#5; engine_control.cpp). The controller gates signal intake in on_bar; the
  // tracker is fed by every close and rebuilt from the journal at start-up.
  std::unique_ptr<BotController> controller_;
  std::unique_ptr<BotPerformanceTracker> analytics_;
  std::atomic<std::int64_t> last_bar_wall_us_{0};  // data_feed_status
  std::int64_t last_bar_ts_us_ = 0;                 // the newest bar's close time (engine thread)
  // Live mode: the broker's and the feed's own health (plugin status), for /health and /metrics.
  json live_status();
  void wait_for_live_broker();
  void watch_live_broker(const json& live);
  std::int64_t broker_not_ready_since_us_ = 0;  // wall clock; 0 while ready
  bool broker_not_ready_alerted_ = false;
  std::int64_t last_snapshot_wall_us_ = 0;          // periodic performance_snapshot
  std::string today_date_;                          // today's closes for status win_rate
  int today_closes_ = 0;
  int today_wins_ = 0;
  void init_control(const std::vector<json>& trades_oldest_first);
  void record_close(const ClosedTrade& trade);
  void count_close_today(std::int64_t closed_us, double pnl);
  void maybe_publish_snapshot();
  SnapshotCell read_cell_;
  std::uint64_t read_version_ = 0;
  std::int64_t read_published_steady_us_ = 0;
  std::optional<json> query_state(std::string_view what, const json& args);  // engine thread
  StrategyRegistry registry_strat_;
  std::unique_ptr<SignalAssembly> assembly_;
  SignalsByStrategy by_strategy_;
  std::vector<std::string> strategy_order_;
  StageSet stages_;
  std::unique_ptr<Orchestrator> orch_;

  std::atomic<std::int64_t> clock_us_{0};
  bool bar_clock_ = true;
  bool clock_started_ = false;
  std::mutex price_mu_;
  std::map<std::string, double, std::less<>> prices_;
  std::map<std::string, std::deque<std::pair<std::int64_t, double>>, std::less<>> closes_;  // (ET day, close)
  // Fast EMAs (5/8/9/12, first-value seeded, strategies.md §2.1) per symbol for the exit rules.
  struct FastEmas {
    IndicatorRows rows;
    double e5 = 0, e8 = 0, e9 = 0, e12 = 0;
    void update(double close);
  };
  std::map<std::string, FastEmas, std::less<>> emas_;
  EngineCounters counters_;
  std::vector<Signal> signal_buf_;

  // Add-on event subscriptions: the bus may call a sink copy after unsubscribe, so each sink
  // checks its subscription's `active` flag under the subscription's own mutex.
  struct EventSubscription {
    std::mutex mu;
    bool active = true;
    EventSink sink;
  };
  std::mutex subs_mu_;
  std::map<std::int64_t, std::pair<int, std::shared_ptr<EventSubscription>>> subs_;
  std::int64_t next_sub_id_ = 1;

  std::mutex q_mu_;
  std::condition_variable q_cv_;
  std::condition_variable q_space_cv_;
  std::deque<std::function<void()>> queue_;
  bool accepting_ = false;  // guarded by q_mu_: the engine thread still drains the queue
  std::atomic<bool> stop_{false};
  std::atomic<bool> engine_running_{false};
  std::atomic<std::thread::id> engine_thread_id_{};
  // The thread that built the engine: it owns the engine state until an engine thread runs.
  std::thread::id owner_thread_ = std::this_thread::get_id();
  // True on a thread while it runs a call() inline (no engine thread takes work).
  static thread_local bool in_inline_call_;
  // Host services that touch engine state (the journal connection is single-threaded) are
  // refused from other threads: a plugin's own thread gets an error, not a race.
  bool on_engine_thread() const;
  // Held while a call() runs on its caller's thread because no engine thread takes work
  // (before run() or after it): such calls are serialized with each other and with the
  // engine thread taking over.
  std::mutex inline_mu_;

  template <class Fn>
  auto call_impl(Fn fn, bool urgent) -> decltype(fn()) {
    if (std::this_thread::get_id() == engine_thread_id_.load()) return fn();
    auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::move(fn));
    auto fut = task->get_future();
    if (!try_post([task] { (*task)(); }, urgent)) {
      std::lock_guard lock(inline_mu_);
      if (!try_post([task] { (*task)(); }, urgent)) {
        const bool outer = in_inline_call_;
        in_inline_call_ = true;
        (*task)();
        in_inline_call_ = outer;
      }
    }
    return fut.get();
  }
  bool shut_down_ = false;
  std::int64_t last_account_refresh_us_ = 0;
  std::int64_t last_reconcile_us_ = 0;
};

}  // namespace axion::core
