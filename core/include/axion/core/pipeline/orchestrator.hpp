// BotOrchestrator (pipeline.md §2): runs every signal through the stages in spec order and owns
// positions, kills and order flows. Single writer: only the engine thread calls it.
//
// The engine never waits on a broker: an order that is pending, or that must be retried after
// a backoff, is parked as an OrderFlow and resumed by poll() on the engine clock.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "axion/core/state/event_bus.hpp"
#include "axion/core/pipeline/exit_monitor.hpp"
#include "axion/core/pipeline/reconciler.hpp"
#include "axion/core/state/journal.hpp"
#include "axion/core/state/recycler.hpp"
#include "axion/core/plugins/plugin_instance.hpp"
#include "axion/core/state/state_manager.hpp"
#include "axion/core/domain/types.hpp"
#include "axion/sdk/context.hpp"

namespace axion::core {

struct OrchestratorConfig {
  ExecutorConfig executor;
  LifecycleConfig lifecycle;
  int max_order_retries = 3;
  double retry_backoff_base = 1.0;
  std::size_t max_history_size = 10000;
  bool auto_kill_on_daily_loss = true;
  double order_timeout_seconds = 30.0;
  double max_slippage_pct = 2.0;       // OrderValidator (§7.4)
  double max_fill_age_seconds = 300.0;
  bool allow_partial = true;
};

// The stage plugins, in manifest order. Null / empty = the stage passes through (§0.1).
struct StageSet {
  std::vector<PluginInstance*> guards;
  PluginInstance* regime = nullptr;
  std::vector<PluginInstance*> risks;
  PluginInstance* routing = nullptr;
  std::vector<PluginInstance*> sizings;
  PluginInstance* broker = nullptr;
  PluginInstance* fallback_broker = nullptr;

  // Points every slot holding `from` at `to` (a hot reload).
  void replace(PluginInstance* from, PluginInstance* to) {
    auto swap = [&](PluginInstance*& slot) {
      if (slot == from) slot = to;
    };
    for (auto*& g : guards) swap(g);
    swap(regime);
    for (auto*& r : risks) swap(r);
    swap(routing);
    for (auto*& z : sizings) swap(z);
    swap(broker);
    swap(fallback_broker);
  }
};

// What activate_kill did: the kill is always in effect in memory once it returns; `durable`
// says whether the journal and bot_state.json both hold it (else `error` says why).
struct KillOutcome {
  bool durable = true;
  std::string error;
};

// OrderValidator (§7.4).
FillValidation validate_fill(const OrderResult& r, std::int64_t expected_qty,
                             double expected_price, std::int64_t now_us,
                             const OrchestratorConfig& cfg);

class Orchestrator {
 public:
  using Clock = std::function<std::int64_t()>;

  Orchestrator(OrchestratorConfig cfg, StageSet stages, StateManager& state, Journal& journal,
               EventBus& bus, Clock now_us);
  ~Orchestrator();

  // Every final pipeline result, synchronous or after a parked order completes.
  std::function<void(const PipelineResult&)> on_result;
  // Every close (§2.4 steps 7.4–7.5): the closed record, its P&L and ret = pnl / equity before.
  // `trade` is the record just handed to the journal (what a restart replays).
  std::function<void(const Position&, double pnl, double ret, const ClosedTrade& trade)> on_trade_closed;
  // Log sink for the engine's logger: level (0 debug … 3 error) and message.
  std::function<void(int, const std::string&)> log;
  // Whether `log` would write a message of this level; unset: every level. Messages are built
  // only when it would (a rejection's debug line cost as much as the rejection).
  std::function<bool(int)> log_enabled;

  // Start-up recovery (§4.6): kills, positions, unresolved order intents (entries, closes and
  // unwinds, each resolved by client_order_id and booked once), restored flattens. Damaged
  // journal rows fail closed: a block_new kill and an alert naming the table and row.
  void restore();

  // Stages 1–8. The result, or nullopt when the signal is parked waiting for its order.
  std::optional<PipelineResult> process_signal(Signal signal);
  // A result its caller is done with: its buffers serve the next signal (optional; a caller that
  // keeps results simply does not call it).
  void recycle(PipelineResult&& done);
  // Closes (part of) a position with a real broker order (§2.4). The closed record, or nullopt
  // when nothing was closed now (no such position, failed order, or the close is pending).
  std::optional<Position> close_position(const std::string& ticker, const std::string& reason,
                                         double exit_price = 0.0, std::int64_t partial_qty = 0,
                                         const std::string& signal_id = {});
  std::vector<Position> emergency_close_all(const std::string& reason);

  // Resume parked order flows whose time has come (engine clock).
  void poll();

  // Lifecycle (§8): marks from bars, then every exit rule of the ExitMonitor; `indicators`
  // gives the fast-cloud rows of an underlying (null when it has no bars yet).
  using IndicatorLookup = std::function<const IndicatorRows*(const std::string& underlying)>;
  void update_price(const std::string& ticker, double price);
  // Positions opened at or after `opened_since_us` (> 0) are left for the next evaluation: the
  // engine passes the time its current bar started, so a bar's entries are first managed on
  // the next bar (no round trip inside one bar on the entry bar's own exhaustion or flip).
  std::vector<Position> check_and_execute_exits(const IndicatorLookup& indicators = {},
                                                std::int64_t opened_since_us = 0);

  // Compares the journal's positions with the broker's (§9). Not clean: a global reduce_only
  // kill (actor reconciler), circuit breaker open and an error alert with the details.
  ReconciliationReport reconcile_with_broker();

  // Kills (§4.7). The kill takes effect in memory first, then is persisted; a failed save is an
  // `error` alert and `durable = false` in the outcome (trading stops either way). A repeat
  // never lowers a level and keeps the original reason. Throws only for an unknown level/scope.
  KillOutcome activate_kill(KillRecord kill);
  bool reset_kill(KillScope scope, const std::string& target, const std::string& actor);
  std::vector<KillRecord> kills() const;
  // The global kill, or null: the one answer to "is the kill switch on". bot_state.json keeps
  // a copy for the next start, written only by activate_kill, reset_kill and restore.
  const KillRecord* global_kill() const;

  // Current account (§1.3): the broker's snapshot when known, else starting equity.
  void refresh_account();
  const sdk::Account& account() const { return account_; }
  void set_account(const sdk::Account& a) { account_ = a; account_known_ = true; }

  const std::vector<Position>& positions() const { return positions_; }
  // The latest effective limits (base until regime adaptation produced some).
  const sdk::Limits& current_effective() const { return current_effective_; }
  // The newest results as journaled, oldest first, JSON text (shared with the journal's record,
  // not copied).
  std::vector<std::shared_ptr<const std::string>> history() const;
  json stats();
  void alert_error(const std::string& stage, const std::string& error);

  std::size_t parked_count() const { return flows_.size(); }
  // A journal commit failed: its batch's position records may be lost, so every open
  // position is written again at the next poll().
  void journal_commit_failed() { repersist_ = true; }
  // Close orders still working at the broker (graceful shutdown waits for them).
  std::vector<std::string> working_close_orders() const;

  // Plugin hot reload (engine thread, between bars): every stage slot holding `from` holds `to`
  // afterwards. The caller destroys `from` after the swap, so no pointer to it may remain.
  void replace_stage(PluginInstance* from, PluginInstance* to);

 private:
  struct EntryContext;
  struct OrderFlow;
  // The C form of a stage context: views into positions_, one signal's limits and its route.
  // Its buffers are reused from signal to signal (no allocation once they have grown).
  struct StageView {
    std::vector<axion_position_view> positions;
    sdk::LimitsLists lists;
    axion_limits limits{};
    axion_route route{};
    axion_stage_context c{};
    const axion_stage_context& refresh(const sdk::Route& r, std::optional<double> var_cap);
  };
  void fill_stage_context(StageView& view, const sdk::Limits& limits, const sdk::Route& route,
                          std::optional<double> var_cap);
  // Pairs ++depth_ with --depth_ and run_deferred(), on every return and exception, so a
  // plugin that throws can never leave deferred closes (flatten) waiting forever.
  class DeferScope {
   public:
    explicit DeferScope(Orchestrator& o) : o_(o) { ++o_.depth_; }
    ~DeferScope();
    DeferScope(const DeferScope&) = delete;
    DeferScope& operator=(const DeferScope&) = delete;

   private:
    Orchestrator& o_;
  };

  // A stage's "no": the pipeline_stage it reports under and the reason.
  struct Rejection {
    Stage stage;
    std::string reason;
  };
  // The stages of an entry, in process_signal's order (core/src/pipeline/entry.cpp).
  std::shared_ptr<EntryContext> begin_entry(Signal signal);
  void reuse_entry(std::shared_ptr<EntryContext> ctx);
  std::optional<Rejection> check_kill_switch(EntryContext& ctx);
  std::optional<Rejection> run_guards(EntryContext& ctx);
  std::optional<Rejection> adapt_to_regime(EntryContext& ctx);
  std::optional<Rejection> record_audit(EntryContext& ctx);
  std::optional<Rejection> assess_risk(EntryContext& ctx);
  std::optional<Rejection> route_instrument(EntryContext& ctx);
  std::optional<Rejection> size_position(EntryContext& ctx);
  std::optional<Rejection> check_pretrade(EntryContext& ctx);
  std::optional<Rejection> record_intent(EntryContext& ctx);
  Rejection stage_error(Stage stage, const std::string& what);
  const axion_stage_context& stage_context(EntryContext& ctx);

  PipelineResult reject(EntryContext& ctx, Stage stage, std::string reason);
  void finalize(EntryContext& ctx, PipelineResult& r);
  void keep_in_history(const std::shared_ptr<const std::string>& text);
  std::optional<PipelineResult> submit_entry(std::shared_ptr<EntryContext> ctx);
  void finish_entry(std::shared_ptr<EntryContext> ctx, const OrderResult& r);

  void start_flow(std::shared_ptr<OrderFlow> flow);
  void run_flow(std::shared_ptr<OrderFlow> flow);
  OrderResult call_broker(OrderFlow& flow, bool& threw, std::string& error);

  void finish_close(const std::string& signal_id, const Order& order, const OrderResult& r,
                    const std::string& reason, std::optional<Position>* out);
  void resolve_intent(const OrderIntent& intent);
  void complete_intent(const OrderIntent& intent, const Order& order, const OrderResult& r);
  void adopt_entry(const OrderIntent& intent, const OrderResult& r);
  void keep_rest_of_unwind(const OrderIntent& intent, const Order& order, const OrderResult& r);
  void fail_closed(const std::string& stage, const std::string& what);
  PluginInstance* broker_named(const std::string& which) const;
  std::string next_close_id(const std::string& signal_id, int& n);
  // Sells back a fill that failed validation; what does not fill is unwound again (up to 5
  // orders). `held` is the position the fill opened (its intent carries it, for a restart):
  // what no unwind could sell is kept as that position, managed like any other, with a
  // block_new kill. Shares are never left at the broker untracked.
  void unwind(const Position& held, const Order& entry, std::int64_t qty, int attempt = 1);
  void keep_unwound(Position held, std::int64_t shares, const std::string& why);
  // A position the engine did not open through the pipeline just now (an adopted fill, shares
  // no unwind could sell): managed from here on, announced as a recovered trade_executed.
  void add_recovered(const Position& p, const std::string& order_id);
  void after_close_checks();
  const KillRecord* blocking_kill(const Signal& s) const;
  void apply_kill_effects(const KillRecord& k);
  // A global flatten that cannot close a position through the pipeline (nothing in flight for
  // it) asks its broker to close everything itself (live.md §5), with an alert.
  void flatten_fallback(const std::vector<std::pair<std::string, std::string>>& targets);
  // Asks the broker to close every position itself and books the engine's positions there
  // closed at their last prices (once per broker until the global kill is reset).
  void broker_side_flatten(PluginInstance& broker, const std::string& stuck);
  std::set<std::string> flatten_resent_;  // signal ids whose close a flatten sent a second time
  std::set<const PluginInstance*> broker_closed_all_;  // brokers asked to close everything
  void run_deferred();
  json kill_event(const KillRecord& k) const;
  double base_equity() const;
  void publish(const std::string& event, const json& data);
  void publish_text(const std::string& event, std::string_view data_json);
  void persist(const Position& p);
  // Ends the journal unit holding an order's intent before the order goes to `broker`: waits
  // for the disk unless the broker's book travels in the same ordered stream. Throws
  // JournalError when the intent is not durable (the order must not be sent).
  void intent_before_send(const PluginInstance* broker);
  Position* find_position(const std::string& ticker, const std::string& signal_id);
  bool logs(int level) const { return log && (!log_enabled || log_enabled(level)); }
  void logf(int level, const std::string& msg) const {
    if (logs(level)) log(level, msg);
  }

  OrchestratorConfig cfg_;
  // [executor] + [lifecycle]: what regime adaptation starts from, and its C form.
  sdk::Limits base_limits_;
  sdk::LimitsLists base_limits_lists_;
  axion_limits base_limits_c_{};
  // The latest effective limits regime adaptation produced (base until the first): exits and
  // the auto-kill triggers read them, so they follow the current regime (§5.3, §8.1).
  sdk::Limits current_effective_;
  StageView entry_view_;  // the signal in process_signal
  StageView close_view_;  // close and unwind orders shown to the order checks
  ExitRules exit_rules_;  // parsed from current_effective_ when it changes, not per bar
  StageSet stages_;
  StateManager& state_;
  Journal& journal_;
  EventBus& bus_;
  Clock now_;
  std::vector<Position> positions_;
  std::map<std::pair<KillScope, std::string>, KillRecord> kills_;  // by scope and target
  // The newest max_history_size results' JSON text: grows to its capacity, then a ring whose
  // oldest entry is history_[history_next_]. Texts come from result_texts_ and go back there
  // once this ring and the journal's writer are done with them.
  std::vector<std::shared_ptr<const std::string>> history_;
  std::size_t history_next_ = 0;
  Recycler<std::string> result_texts_{1024};
  std::shared_ptr<EntryContext> spare_entry_;  // reuse_entry()
  std::vector<std::shared_ptr<OrderFlow>> flows_;
  std::deque<std::function<void()>> deferred_;
  int depth_ = 0;
  bool repersist_ = false;
  sdk::Account account_{100000.0, 100000.0, 100000.0, 100000.0};
  bool account_known_ = false;
  std::uint64_t total_ = 0;
  std::uint64_t successes_ = 0;
  std::array<std::uint64_t, kStageCount> by_stage_{};  // signals that ended at each stage
  std::map<std::string, int> close_counter_;  // seeded from the journal: ids survive restarts
  std::string entries_date_;  // trading date of entries_today_
  int entries_today_ = 0;
};

}  // namespace axion::core
