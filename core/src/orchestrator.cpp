#include "axion/core/orchestrator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "axion/sdk/time.hpp"

namespace axion::core {

namespace {

std::string fmt(const char* f, double a) {
  char buf[128];
  std::snprintf(buf, sizeof buf, f, a);
  return buf;
}

bool is_terminal(OrderStatus s) { return s != OrderStatus::Pending; }

std::string order_status_text(const OrderResult& r) { return sdk::to_string(r.status); }

}  // namespace

// ---- OrderValidator (§7.4) -----------------------------------------------------------------

FillValidation validate_fill(const OrderResult& r, std::int64_t expected_qty,
                             double expected_price, std::int64_t now_us,
                             const OrchestratorConfig& cfg) {
  FillValidation v;
  auto invalid = [&](std::string reason) {
    v.is_valid = false;
    v.reason = std::move(reason);
    return v;
  };
  if (r.status == OrderStatus::Rejected) {
    return invalid("Order rejected by broker: " +
                   (r.rejection_reason.empty() ? std::string("unknown") : r.rejection_reason));
  }
  if (r.status == OrderStatus::Cancelled) return invalid("Order was cancelled");
  if (r.status == OrderStatus::Pending) return invalid("Order still pending \u2014 not yet filled");
  if (r.filled_qty <= 0) {
    return invalid("Zero fill quantity (status=" + order_status_text(r) + ")");
  }
  if (r.status == OrderStatus::Partial || r.filled_qty < expected_qty) {
    if (!cfg.allow_partial) {
      return invalid("Partial fill " + std::to_string(r.filled_qty) + "/" +
                     std::to_string(expected_qty) + " \u2014 partials disabled");
    }
    double ratio = static_cast<double>(r.filled_qty) / static_cast<double>(std::max<std::int64_t>(expected_qty, 1));
    if (ratio < 0.5) {
      v.warnings.push_back("Low fill ratio: " + std::to_string(r.filled_qty) + "/" +
                           std::to_string(expected_qty) + " (" + fmt("%.0f", ratio * 100) + "%)");
    }
  }
  if (!(r.filled_price > 0)) return invalid("Invalid fill price: " + float_text(r.filled_price));
  if (expected_price > 0) {
    double slip = std::fabs(r.filled_price - expected_price) / expected_price * 100.0;
    if (slip > cfg.max_slippage_pct) {
      return invalid("Excessive slippage: " + fmt("%.2f", slip) + "% (limit: " +
                     float_text(cfg.max_slippage_pct) + "%)");
    }
    if (slip > 1.0) v.warnings.push_back("Elevated slippage: " + fmt("%.2f", slip) + "%");
  }
  double age = static_cast<double>(now_us - r.ts_us) / 1e6;
  if (r.ts_us > 0 && age > cfg.max_fill_age_seconds) {
    return invalid("Stale fill: " + fmt("%.0f", age) + "s old (limit: " +
                   fmt("%.0f", cfg.max_fill_age_seconds) + "s)");
  }
  v.is_valid = true;
  v.adjusted_qty = r.filled_qty;
  v.fill_price = r.filled_price;
  v.reason = "Fill validated successfully";
  return v;
}

// ---- internal records ----------------------------------------------------------------------

namespace {

// What an entry order opens, kept in its durable intent: a fill found at start-up without a
// recorded position is adopted with the stop and target the live path would have set.
struct EntryPlan {
  std::string underlying;
  std::string direction = "long";
  std::string instrument_type = "stock";
  bool is_inverse = false;
  double leverage = 1.0;
  double signal_entry = 0;  // the signal's entry price (the ETF mapping's reference)
  double adj_stop = 0;      // the signal's stop after the regime's stop_loss_mult
  double signal_target = 0;
  std::string signal_type;
  int conviction = 0;
  std::string timeframe;
  std::string source;
  std::string strategy;

  json to_json() const {
    return {{"underlying", underlying}, {"direction", direction}, {"instrument_type", instrument_type},
            {"is_inverse", is_inverse}, {"leverage", leverage}, {"signal_entry", signal_entry},
            {"adj_stop", adj_stop}, {"signal_target", signal_target}, {"signal_type", signal_type},
            {"conviction", conviction}, {"timeframe", timeframe}, {"source", source},
            {"strategy", strategy}};
  }
  static EntryPlan from_json(const json& j) {
    EntryPlan p;
    if (!j.is_object()) return p;
    p.underlying = j.value("underlying", "");
    p.direction = j.value("direction", "long");
    p.instrument_type = j.value("instrument_type", "stock");
    p.is_inverse = j.value("is_inverse", false);
    p.leverage = j.value("leverage", 1.0);
    p.signal_entry = j.value("signal_entry", 0.0);
    p.adj_stop = j.value("adj_stop", 0.0);
    p.signal_target = j.value("signal_target", 0.0);
    p.signal_type = j.value("signal_type", "");
    p.conviction = j.value("conviction", 0);
    p.timeframe = j.value("timeframe", "");
    p.source = j.value("source", "");
    p.strategy = j.value("strategy", "");
    return p;
  }
};

// The position a fill of `plan` opens (§2.2 stage 7); one path for live fills and adoption.
Position position_for_fill(const EntryPlan& plan, const Order& order, double fill_price,
                           std::int64_t qty, double commission, const std::string& order_id,
                           std::int64_t now_us) {
  Position p;
  const bool etf = plan.instrument_type == "leveraged_etf";
  p.ticker = order.ticker;
  p.underlying = plan.underlying.empty() ? order.ticker : plan.underlying;
  p.direction = etf ? "long" : plan.direction;
  p.is_inverse = plan.is_inverse;
  p.leverage = plan.leverage;
  p.entry_price = p.current_price = fill_price;
  p.shares = qty;
  p.entry_shares = qty;
  p.entry_commission = commission;
  if (etf && plan.signal_entry > 0) {
    double s = p.is_inverse ? -1.0 : 1.0;
    auto map_level = [&](double level_u) {
      return fill_price * (1 + s * p.leverage * (level_u - plan.signal_entry) / plan.signal_entry);
    };
    p.stop_loss = map_level(plan.adj_stop);
    p.target_price = plan.signal_target > 0 ? map_level(plan.signal_target) : 0.0;
  } else {
    p.stop_loss = plan.adj_stop;
    p.target_price = plan.signal_target > 0 ? plan.signal_target : 0.0;
  }
  p.initial_stop = p.stop_loss;
  p.entry_time_us = now_us;
  p.signal_id = order.signal_id;
  p.signal_type = plan.signal_type;
  p.conviction = plan.conviction;
  p.order_id = order_id;
  p.trade_type = trade_type_for(plan.timeframe);
  p.instrument_type = plan.instrument_type;
  p.signal_source = plan.source;
  p.strategy = plan.strategy;
  p.timeframe = plan.timeframe;
  return p;
}

// The durable intent of an order: the order itself plus what recovery needs to finish it.
json intent_record(const Order& o, json extra = json::object()) {
  json j = order_to_dict(o);
  j["reference_price"] = o.reference_price;
  j["instrument_type"] = o.instrument_type;
  j["purpose"] = sdk::to_string(o.purpose);
  j["strategy"] = o.strategy;
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

bool is_close_purpose(const std::string& purpose) { return purpose.rfind("close", 0) == 0; }

// The order an intent recorded. Journals from before orders carried their purpose say it only
// in the intent's own purpose ("entry", "close-N", "unwind").
Order intent_order(const OrderIntent& intent) {
  Order o = order_from_dict(intent.order);
  if (!intent.order.contains("purpose")) {
    o.purpose = is_close_purpose(intent.purpose)            ? sdk::OrderPurpose::Close
                : intent.purpose.rfind("unwind", 0) == 0    ? sdk::OrderPurpose::Unwind
                                                            : sdk::OrderPurpose::Entry;
  }
  return o;
}

// Why effective limits from a regime plugin cannot be used, or nothing.
std::optional<std::string> invalid_limits(const sdk::Limits& l) {
  auto finite = [](double x) { return std::isfinite(x); };
  if (!finite(l.stop_loss_mult) || l.stop_loss_mult <= 0) return "stop_loss_mult must be a finite number > 0";
  if (!finite(l.position_size_multiplier) || l.position_size_multiplier < 0) {
    return "position_size_multiplier must be a finite number >= 0";
  }
  for (double x : {l.max_risk_per_trade, l.daily_loss_limit, l.max_single_stock_exposure,
                   l.max_sector_exposure, l.min_account_equity, l.scale_in_initial_pct,
                   l.min_etf_daily_volume, l.consecutive_loss_pct, l.api_timeout_seconds,
                   l.reward_to_risk_target, l.regime_confidence}) {
    if (!finite(x) || x < 0) return "every limit must be a finite number >= 0";
  }
  if (l.max_concurrent_positions < 0 || l.consecutive_loss_threshold < 0 || l.time_stop_minutes < 0) {
    return "counts must be >= 0";
  }
  const std::string& tif = l.default_time_in_force;
  if (tif != "day" && tif != "gtc" && tif != "ioc") return "default_time_in_force '" + tif + "' is not day|gtc|ioc";
  return std::nullopt;
}

// Why a routing decision cannot become an order, or nothing.
std::optional<std::string> invalid_route(const sdk::Route& r) {
  const std::string& t = r.instrument_type;
  if (t != "stock" && t != "option" && t != "leveraged_etf") {
    return "instrument_type '" + t + "' is not stock|option|leveraged_etf";
  }
  if (r.ticker.empty()) return "no ticker";
  if (!std::isfinite(r.reference_price) || r.reference_price <= 0) return "reference_price must be a finite number > 0";
  if (!std::isfinite(r.leverage) || r.leverage <= 0) return "leverage must be a finite number > 0";
  return std::nullopt;
}

// "Basic risk check error: ..." and the like (pipeline.md §0.1).
std::string stage_error_label(const std::string& stage_label) {
  if (stage_label == stage::kBasicRiskCheck) return "Basic risk check";
  if (stage_label == stage::kPretrade) return "Pre-trade";
  if (stage_label == stage::kRiskAssessment) return "Risk assessment";
  if (stage_label == stage::kSignalGuard) return "Signal guard";
  if (stage_label == stage::kRegime) return "Regime";
  if (stage_label == stage::kRouting) return "Routing";
  if (stage_label == stage::kSizing) return "Sizing";
  return stage_label;
}

// An order the engine ends without a fill of the broker's (dropped, or unknown to it).
OrderResult cancelled_result(const std::string& order_id, const std::string& reason, std::int64_t now_us) {
  OrderResult r;
  r.order_id = order_id;
  r.status = OrderStatus::Cancelled;
  r.ts_us = now_us;
  r.rejection_reason = reason;
  return r;
}

}  // namespace

struct Orchestrator::EntryContext {
  Signal signal;
  PipelineResult result;
  std::string strategy;
  std::string source;
  std::string signal_meta;   // backs csig's metadata view
  axion_signal csig{};       // the signal's C form, converted once for every stage call
  // What risk, routing and sizing read: the effective limits (base, or the regime's), the
  // routing decision so far and the VaR cap (0: no budget left).
  sdk::Limits effective;
  sdk::Route decision;
  std::optional<double> var_cap;
  sdk::PositionSize size;
  Order order;
  EntryPlan plan;
  std::string broker_name;  // "" = primary, "fallback"
  std::optional<PipelineResult>* sync_out = nullptr;
  bool guard_passed = false;
};

struct Orchestrator::OrderFlow {
  Order order;
  bool is_entry = false;
  std::string strategy;
  std::string underlying;
  int attempt = 0;
  std::string last_error;
  std::int64_t next_at_us = 0;
  bool awaiting_fill = false;
  std::int64_t submitted_at_us = 0;
  bool used_fallback = false;
  PluginInstance* broker = nullptr;  // the broker that has (or gets) this order
  std::string broker_name;           // "" = primary, "fallback"
  bool cancel_alerted = false;
  std::function<void(const OrderResult&)> done;
};

Orchestrator::DeferScope::~DeferScope() {
  --o_.depth_;
  o_.run_deferred();
}

Orchestrator::Orchestrator(OrchestratorConfig cfg, StageSet stages, StateManager& state,
                           Journal& journal, EventBus& bus, Clock now_us)
    : cfg_(std::move(cfg)), stages_(stages), state_(state), journal_(journal), bus_(bus),
      now_(std::move(now_us)) {
  account_.equity = account_.cash = account_.buying_power = account_.starting_equity = 100000.0;
  // Without regime adaptation the profile multipliers are neutral (pipeline.md §6.2, §2.3).
  base_limits_ = base_limits(cfg_.executor, cfg_.lifecycle);
  base_limits_c_ = sdk::to_c(base_limits_, base_limits_lists_);
  current_effective_ = base_limits_;
  exit_rules_ = ExitRules::from(current_effective_);
}

Orchestrator::~Orchestrator() = default;

void Orchestrator::publish(const std::string& event, const json& data) {
  bus_.publish(event, data, now_());
}

void Orchestrator::replace_stage(PluginInstance* from, PluginInstance* to) {
  auto swap = [&](PluginInstance*& slot) {
    if (slot == from) slot = to;
  };
  for (auto*& g : stages_.guards) swap(g);
  swap(stages_.regime);
  for (auto*& r : stages_.risks) swap(r);
  swap(stages_.routing);
  for (auto*& z : stages_.sizings) swap(z);
  swap(stages_.broker);
  swap(stages_.fallback_broker);
}

void Orchestrator::alert_error(const std::string& stage, const std::string& error) {
  logf(3, "Error in pipeline stage '" + stage + "': " + error);
  publish("error", {{"stage", stage}, {"error", error}});
}

void Orchestrator::persist(const Position& p) {
  try {
    journal_.upsert_position(p);
    journal_.checkpoint();  // a position is money state: durable now, not at the batch's end
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
}

double Orchestrator::base_equity() const {
  if (account_.starting_equity > 0) return account_.starting_equity;
  return account_.equity > 0 ? account_.equity : 100000.0;
}

void Orchestrator::refresh_account() {
  if (!stages_.broker) return;
  try {
    account_ = stages_.broker->account();
    account_known_ = true;
  } catch (const std::exception& e) {
    alert_error("account", e.what());
  }
}

// ---- recovery (§4.6) -----------------------------------------------------------------------

void Orchestrator::restore() {
  DeferScope scope(*this);
  std::vector<DamagedRow> damaged;
  for (auto& k : journal_.active_kills(&damaged)) kills_[{k.scope, k.target}] = k;
  // Either store showing the global kill active makes it active (fail closed). The journal's
  // record wins over the state file's: a flatten there is never downgraded.
  auto global = kills_.find({"global", ""});
  if (state_.kill_switch_active() && global == kills_.end()) {
    KillRecord k;
    k.level = state_.loaded_corrupt() ? "block_new" : "flatten";
    k.reason = state_.kill_switch_reason().value_or("Kill switch active");
    k.actor = "engine";
    k.activated_at_us = now_();
    kills_[{"global", ""}] = k;
    try {
      journal_.save_kill(k);
    } catch (const std::exception& e) {
      alert_error("journal", e.what());
    }
  } else if (!state_.kill_switch_active() && global != kills_.end()) {
    try {
      state_.activate_kill_switch(global->second.reason);
    } catch (const std::exception& e) {
      alert_error("state", e.what());
    }
  }

  positions_ = journal_.load_positions(&damaged);
  refresh_account();

  // Every order intent without a final broker answer (entries, closes, unwinds): ask the
  // broker that has it, by client_order_id, and finish it exactly as the live path would.
  auto intents = journal_.unresolved_intents(&damaged);
  for (const auto& d : damaged) fail_closed("recovery", d.describe());
  for (const auto& intent : intents) {
    try {
      auto batch = journal_.batch();  // the answer and its booking commit together
      resolve_intent(intent);
    } catch (const std::exception& e) {
      fail_closed("recovery", "order " + intent.client_order_id + ": " + e.what());
    }
  }

  reconcile_with_broker();
  for (const auto& [key, k] : kills_) {
    if (k.level == "flatten") apply_kill_effects(k);
  }
}

void Orchestrator::fail_closed(const std::string& stage, const std::string& what) {
  alert_error(stage, what);
  KillRecord k;
  k.level = "block_new";
  k.reason = "Fail closed (" + stage + "): " + what;
  k.actor = "engine";
  activate_kill(k);
}

PluginInstance* Orchestrator::broker_named(const std::string& which) const {
  return which == "fallback" ? stages_.fallback_broker : stages_.broker;
}

void Orchestrator::resolve_intent(const OrderIntent& intent) {
  const Order order = intent_order(intent);
  const std::string broker_name = intent.order.value("broker", "");
  PluginInstance* broker = broker_named(broker_name);
  if (!broker) throw std::runtime_error("its broker ('" + broker_name + "') is not configured");
  auto q = broker->query_order_checked(intent.client_order_id);
  if (q.not_found) {
    journal_.record_order_update(intent.client_order_id, "not_at_broker", json::object());
    if (intent.purpose == "unwind") {  // nothing was sold back: the shares are all still held
      OrderResult none;
      none.status = OrderStatus::Rejected;
      none.rejection_reason = "never reached the broker";
      keep_rest_of_unwind(intent, order, none);
    }
    return;
  }
  if (!q.found) {
    // Unknown is not "no": the intent stays open for the next start, and entries stop.
    throw std::runtime_error("broker state unknown (" + q.error + "); left open for the next start");
  }
  const OrderResult& r = *q.found;
  if (r.status != OrderStatus::Pending) {
    complete_intent(intent, order, r);
    return;
  }
  // Still working at the broker: watched like any parked order from now on.
  journal_.record_order_update(intent.client_order_id, "pending", order_result_to_dict(r));
  auto flow = std::make_shared<OrderFlow>();
  flow->order = order;
  flow->is_entry = intent.purpose == "entry";
  flow->broker = broker;
  flow->broker_name = broker_name;
  flow->awaiting_fill = true;
  flow->submitted_at_us = now_();
  const EntryPlan plan = EntryPlan::from_json(intent.order.value("plan", json::object()));
  flow->strategy = plan.strategy;
  flow->underlying = plan.underlying.empty() ? order.ticker : plan.underlying;
  if (Position* p = find_position(order.ticker, intent.signal_id)) {
    flow->strategy = p->strategy;
    flow->underlying = p->underlying;
  }
  flow->done = [this, intent, order](const OrderResult& res) {
    auto batch = journal_.batch();
    complete_intent(intent, order, res);
  };
  flows_.push_back(std::move(flow));
}

void Orchestrator::complete_intent(const OrderIntent& intent, const Order& order, const OrderResult& r) {
  if (is_close_purpose(intent.purpose)) {
    // Books the fill against its position exactly once (the order update commits with it).
    finish_close(intent.signal_id, order, r, intent.order.value("reason", "recovered close"), nullptr);
    return;
  }
  journal_.record_order_update(intent.client_order_id, sdk::to_string(r.status), order_result_to_dict(r));
  if (r.filled_qty > 0) {
    for (auto* risk : stages_.risks) risk->risk_on_fill(order, r);
  }
  if (intent.purpose == "entry") {
    const bool tracked = std::any_of(positions_.begin(), positions_.end(),
                                     [&](const Position& p) { return p.signal_id == intent.signal_id; });
    if (r.filled_qty > 0 && !tracked) adopt_entry(intent, r);
    return;
  }
  if (r.filled_qty < order.qty) keep_rest_of_unwind(intent, order, r);
}

void Orchestrator::keep_rest_of_unwind(const OrderIntent& intent, const Order& order, const OrderResult& r) {
  // The chain of unwinds ends here (a restart): keep what is left as the position it is.
  const std::string why = "unwind " + intent.client_order_id + " filled " + std::to_string(r.filled_qty) +
                          "/" + std::to_string(order.qty) + " (" +
                          (r.rejection_reason.empty() ? sdk::to_string(r.status) : r.rejection_reason) +
                          ") before a restart";
  const std::int64_t rest = order.qty - std::max<std::int64_t>(r.filled_qty, 0);
  if (intent.order.contains("held")) {
    Position held;
    try {
      held = position_from_storage(intent.order.at("held"));
    } catch (const std::exception& e) {
      fail_closed("recovery", why + ": " + std::to_string(rest) + " " + order.ticker +
                                  " stay at the broker, its position record is unreadable: " + e.what());
      return;
    }
    keep_unwound(held, rest, why);
  } else {
    fail_closed("recovery", why + ": " + std::to_string(rest) + " " + order.ticker + " stay at the broker");
  }
}

void Orchestrator::adopt_entry(const OrderIntent& intent, const OrderResult& r) {
  const Order order = intent_order(intent);
  const bool has_plan = intent.order.contains("plan");
  const EntryPlan plan = EntryPlan::from_json(intent.order.value("plan", json::object()));
  const double price = r.filled_price > 0 ? r.filled_price : order.reference_price;
  Position p = position_for_fill(plan, order, price, r.filled_qty, r.commission, r.order_id, now_());
  p.broker = intent.order.value("broker", "");
  positions_.push_back(p);
  persist(p);
  alert_error("recovery", "order " + intent.client_order_id + " filled " + std::to_string(r.filled_qty) + " " +
                              p.ticker + " @ " + fmt("%.2f", price) +
                              " at the broker but no position was recorded: adopted" +
                              (has_plan ? " with its intended stop and target" : " WITHOUT a stop (no plan in the intent)"));
  json te = to_dict(p);
  te["order_id"] = r.order_id;
  te["signal_id"] = p.signal_id;
  te["recovered"] = true;
  publish("trade_executed", te);
}

ReconciliationReport Orchestrator::reconcile_with_broker() {
  ReconciliationReport report;
  if (!stages_.broker) return report;
  std::vector<sdk::BrokerPosition> at_broker;
  try {
    at_broker = stages_.broker->positions();
  } catch (const std::exception& e) {
    alert_error("reconciliation", std::string("broker positions unavailable: ") + e.what());
    return report;
  }
  report = reconcile(positions_, at_broker, 5.0, now_());
  if (report.is_clean()) return report;
  std::string details;
  for (const auto& m : report.mismatches) details += (details.empty() ? "" : "; ") + m.detail;
  std::string reason = "Reconciliation: " + std::to_string(report.mismatches.size()) + " issue(s)";
  KillRecord k;
  k.level = "reduce_only";
  k.reason = reason;
  k.actor = "reconciler";
  activate_kill(k);
  state_.set_circuit_breaker("open");
  alert_error("reconciliation", details);
  return report;
}

// ---- stage 1: kill switch -----------------------------------------------------------------

const KillRecord* Orchestrator::blocking_kill(const Signal& s) const {
  auto g = kills_.find({"global", ""});
  if (g != kills_.end()) return &g->second;
  auto st = kills_.find({"strategy", strategy_of(s)});
  if (st != kills_.end()) return &st->second;
  auto sy = kills_.find({"symbol", s.ticker});
  if (sy != kills_.end()) return &sy->second;
  return nullptr;
}

json Orchestrator::kill_event(const KillRecord& k) const {
  return {{"reason", k.reason},
          {"level", k.level},
          {"scope", k.scope},
          {"target", k.target.empty() ? json(nullptr) : json(k.target)},
          {"actor", k.actor},
          {"activated_at", sdk::time::to_iso(k.activated_at_us)}};
}

static int level_rank(const std::string& l) {
  if (l == "block_new") return 1;
  if (l == "reduce_only") return 2;
  if (l == "cancel_all") return 3;
  if (l == "flatten") return 4;
  return 0;
}

KillOutcome Orchestrator::activate_kill(KillRecord k) {
  if (level_rank(k.level) == 0) throw std::invalid_argument("unknown kill level '" + k.level + "'");
  if (k.scope != "global" && k.scope != "strategy" && k.scope != "symbol") {
    throw std::invalid_argument("unknown kill scope '" + k.scope + "'");
  }
  if (k.scope == "global") k.target.clear();
  if (k.activated_at_us == 0) k.activated_at_us = now_();
  auto it = kills_.find({k.scope, k.target});
  if (it != kills_.end() && level_rank(it->second.level) >= level_rank(k.level)) {
    k = it->second;  // a repeat never lowers the level, and the original reason stays
  }
  // In effect first: trading stops now, whatever the disk says. Then durable: journal
  // (synchronous=FULL) and bot_state.json; a failure is an alert and the caller is told.
  kills_[{k.scope, k.target}] = k;
  KillOutcome out;
  auto failed = [&](const std::string& what) {
    out.durable = false;
    out.error += (out.error.empty() ? "" : "; ") + what;
  };
  try {
    journal_.save_kill(k);
  } catch (const std::exception& e) {
    failed(std::string("journal: ") + e.what());
  }
  if (k.scope == "global") {
    try {
      state_.activate_kill_switch(k.reason);  // sets the switch in memory before it saves
    } catch (const std::exception& e) {
      failed(std::string("bot_state.json: ") + e.what());
    }
  }
  if (!out.durable) alert_error("kill_switch", "kill switch active but NOT durable: " + out.error);
  logf(2, "Kill switch activated (" + k.level + ", " + k.scope +
              (k.target.empty() ? "" : " " + k.target) + ") by " + k.actor + ": " + k.reason);
  json ev = kill_event(k);
  ev["durable"] = out.durable;
  publish("kill_switch", ev);
  apply_kill_effects(k);
  run_deferred();
  return out;
}

void Orchestrator::apply_kill_effects(const KillRecord& k) {
  auto in_scope_pos = [k](const Position& p) {
    return k.scope == "global" || (k.scope == "strategy" && p.strategy == k.target) ||
           (k.scope == "symbol" && p.underlying == k.target);
  };
  if (level_rank(k.level) >= 3) {
    for (auto& f : flows_) {
      bool in_scope = k.scope == "global" || (k.scope == "strategy" && f->strategy == k.target) ||
                      (k.scope == "symbol" && f->underlying == k.target);
      if (!in_scope || !f->awaiting_fill || !f->broker) continue;
      std::string error;
      bool cancelled = false;
      try {
        cancelled = f->broker->cancel_order(f->order.client_order_id);
      } catch (const std::exception& e) {
        error = e.what();
      }
      // The order stays watched: it may still fill, and poll() books whatever it ends as.
      if (!cancelled) {
        alert_error("kill_switch", "cancel of " + f->order.client_order_id + " failed" +
                                       (error.empty() ? std::string() : ": " + error) +
                                       "; still watched until the broker reports its end");
      }
    }
  }
  if (k.level == "flatten") {
    std::vector<std::pair<std::string, std::string>> targets;
    for (const auto& p : positions_) {
      if (in_scope_pos(p)) targets.emplace_back(p.ticker, p.signal_id);
    }
    std::string reason = "kill_switch: " + k.reason;
    for (auto& [ticker, sid] : targets) {
      // Copies, not the structured bindings: clang before 16 (the fuzz build) cannot capture those.
      deferred_.push_back([this, t = ticker, s = sid, reason] { close_position(t, reason, 0.0, 0, s); });
    }
  }
}

bool Orchestrator::reset_kill(const std::string& scope, const std::string& target,
                              const std::string& actor) {
  std::string t = scope == "global" ? "" : target;
  auto it = kills_.find({scope, t});
  if (it == kills_.end()) return false;
  journal_.close_kill(scope, t, now_());
  if (scope == "global") {
    state_.deactivate_kill_switch();
    state_.set_circuit_breaker("closed");
  }
  kills_.erase(it);
  publish("kill_switch_reset", {{"status", "reset"},
                                {"message", "Kill switch reset"},
                                {"actor", actor},
                                {"scope", scope},
                                {"target", t.empty() ? json(nullptr) : json(t)}});
  return true;
}

std::vector<KillRecord> Orchestrator::kills() const {
  std::vector<KillRecord> out;
  for (const auto& [k, v] : kills_) out.push_back(v);
  return out;
}

void Orchestrator::run_deferred() {
  if (depth_ > 0) return;
  while (!deferred_.empty()) {
    auto fn = std::move(deferred_.front());
    deferred_.pop_front();
    try {
      fn();  // one failing close never stops the ones after it
    } catch (const std::exception& e) {
      alert_error("close_position", e.what());
    } catch (...) {
      alert_error("close_position", "non-standard exception");
    }
  }
}

// ---- the pipeline (§2.2) -------------------------------------------------------------------

PipelineResult Orchestrator::reject(EntryContext& ctx, const std::string& stage,
                                    const std::string& reason) {
  PipelineResult r = ctx.result;
  r.success = false;
  r.pipeline_stage = stage;
  r.rejection_reason = reason;
  r.timestamp_us = now_();
  finalize(ctx, r);
  return r;
}

void Orchestrator::finalize(EntryContext& ctx, PipelineResult& r) {
  ++total_;
  if (r.success) ++successes_;
  ++by_stage_[r.pipeline_stage];
  json d = to_dict(r);
  history_.push_back(d);
  while (history_.size() > cfg_.max_history_size) history_.pop_front();
  try {
    journal_.record_result(r.timestamp_us, r.pipeline_stage, r.success, d);
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  // Guards learn every signal's final outcome (dedup keeps completed keys, releases rejected).
  if (ctx.guard_passed) {
    for (auto* g : stages_.guards) {
      try {
        g->guard_outcome(ctx.csig, r.pipeline_stage);
      } catch (const std::exception& e) {
        alert_error("signal_guard", e.what());
      }
    }
  }
  if (!r.success) {
    publish("signal_rejected", d);
    logf(0, "Signal " + r.signal.ticker + " " + r.signal.signal_type + " rejected at " +
                r.pipeline_stage + ": " + r.rejection_reason);
  }
  if (on_result) on_result(r);
}

std::optional<PipelineResult> Orchestrator::process_signal(Signal signal) {
  auto batch = journal_.batch();
  DeferScope scope(*this);
  auto ctx = std::make_shared<EntryContext>();
  ctx->signal = std::move(signal);
  ctx->csig = sdk::to_c(ctx->signal, ctx->signal_meta);
  ctx->result.signal = ctx->signal;
  ctx->strategy = strategy_of(ctx->signal);
  ctx->source = signal_source_of(ctx->signal);
  publish("signal_received", signal_to_dict(ctx->signal));

  auto finish = [](std::optional<PipelineResult> r) { return r; };

  // [1] kill switch
  if (const KillRecord* k = blocking_kill(ctx->signal)) {
    std::string reason =
        k->scope == "global"
            ? "Kill switch active: " + state_.kill_switch_reason().value_or(k->reason)
            : "Kill switch active (" + k->level + ", " + k->scope + " " + k->target + "): " +
                  k->reason;
    return finish(reject(*ctx, stage::kKillSwitch, reason));
  }

  // [1.5] guards, in manifest order; the first rejection wins
  for (auto* g : stages_.guards) {
    try {
      auto v = g->guard_check(ctx->csig);
      if (!v.pass) {
        // Earlier guards that passed this signal hold state for it (dedup): tell them.
        ctx->guard_passed = true;
        return finish(reject(*ctx, g->stage_label(), v.reason));
      }
    } catch (const std::exception& e) {
      ctx->guard_passed = true;
      alert_error(g->stage_label(), e.what());
      return finish(reject(*ctx, g->stage_label() + "_error", std::string("Signal guard error: ") + e.what()));
    }
  }
  ctx->guard_passed = true;
  state_.record_signal_time();

  // [0.5] regime adaptation: effective limits from the base, never modifying it
  ctx->effective = base_limits_;
  if (stages_.regime) {
    PluginInstance* regime = stages_.regime;
    try {
      sdk::Limits effective = base_limits_;
      auto v = regime->regime_evaluate(ctx->csig, base_limits_c_, effective);
      if (v.pass) {
        // A plugin's limits are checked like a user's: garbage is that plugin's error.
        if (auto bad = invalid_limits(effective)) {
          throw std::runtime_error("invalid effective limits: " + *bad);
        }
        if (effective != current_effective_) {
          current_effective_ = effective;
          exit_rules_ = ExitRules::from(current_effective_);
        }
        ctx->effective = std::move(effective);
      } else {
        return finish(reject(*ctx, regime->stage_label(), v.reason));
      }
    } catch (const std::exception& e) {
      alert_error(regime->stage_label(), e.what());
      return finish(reject(*ctx, regime->stage_label() + "_error", std::string("Regime error: ") + e.what()));
    }
  }

  // [2] audit record
  ctx->result.signal_id = new_uuid4();
  try {
    journal_.record_signal(ctx->result.signal_id, now_(), signal_to_dict(ctx->signal));
  } catch (const std::exception& e) {
    alert_error("audit", e.what());
  }

  // What risk, routing and sizing read, in C form: built once for this signal, then only the
  // route and the VaR cap change between stages.
  ctx->decision = sdk::Route::stock(ctx->signal);
  bool have_context = false;
  auto stage_ctx = [&]() -> const axion_stage_context& {
    if (!have_context) {
      fill_stage_context(entry_view_, ctx->effective, ctx->decision, ctx->var_cap);
      have_context = true;
    }
    return entry_view_.refresh(ctx->decision, ctx->var_cap);
  };

  // [3] risk: every [[risk]] plugin's signal check, in manifest order
  if (!stages_.risks.empty()) ctx->result.decision_id = new_uuid4();
  for (auto* r : stages_.risks) {
    if (!r->has_signal_check()) continue;
    const std::string& stage_name = r->stage_label();
    try {
      sdk::RiskOutputs outputs;
      auto v = r->risk_check_signal(ctx->csig, stage_ctx(), outputs);
      if (!v.pass) return finish(reject(*ctx, stage_name, v.reason));
      if (outputs.var_cap) {
        if (!std::isfinite(*outputs.var_cap)) throw std::runtime_error("VaR cap is not a finite number");
        double cap = std::max(0.0, *outputs.var_cap);
        ctx->var_cap = ctx->var_cap ? std::min(*ctx->var_cap, cap) : cap;
      }
      if (!outputs.assessment_json.empty()) {
        auto a = json::parse(outputs.assessment_json, nullptr, false);
        if (a.is_discarded() || !a.is_object()) throw std::runtime_error("assessment is not a JSON object");
        ctx->result.risk_assessment = std::move(a);
      }
    } catch (const std::exception& e) {
      alert_error(stage_name, e.what());
      return finish(reject(*ctx, stage_name + "_error", stage_error_label(stage_name) + " error: " + e.what()));
    }
  }

  // [3.5] routing: a stock route when no routing plugin is configured
  if (stages_.routing) {
    PluginInstance* routing = stages_.routing;
    try {
      sdk::Route decision = ctx->decision;
      auto v = routing->route(ctx->csig, stage_ctx(), decision);
      if (!v.pass) return finish(reject(*ctx, routing->stage_label(), v.reason));
      // A decision with impossible values is the plugin's error, rejected at its stage; it
      // must never reach an order.
      if (auto bad = invalid_route(decision)) throw std::runtime_error("invalid decision: " + *bad);
      ctx->decision = std::move(decision);
    } catch (const std::exception& e) {
      alert_error(routing->stage_label(), e.what());
      return finish(reject(*ctx, routing->stage_label() + "_error", std::string("Routing error: ") + e.what()));
    }
  }
  ctx->result.instrument_type = ctx->decision.instrument_type;
  if (!ctx->decision.fallback_from.empty()) {
    ctx->result.fallback_from = ctx->decision.fallback_from;
    logf(2, "Routing fell back from " + ctx->result.fallback_from + " to " +
                ctx->result.instrument_type + " for " + ctx->signal.ticker);
  }

  // [4] sizing: the sizer for the route's instrument type, else one for every type
  if (stages_.sizings.empty()) {
    ctx->size = {1, ctx->decision.reference_price, 0.0, 1.0, "market"};
  } else {
    PluginInstance* sizer = nullptr;
    for (auto* s : stages_.sizings) {
      if (s->sizing_instrument_type() == ctx->result.instrument_type) sizer = s;
    }
    if (!sizer) {
      for (auto* s : stages_.sizings) {
        if (s->sizing_instrument_type().empty() && !sizer) sizer = s;
      }
    }
    if (!sizer) {
      return finish(reject(*ctx, stage::kSizing,
                           "No sizer for instrument type " + ctx->result.instrument_type));
    }
    try {
      auto v = sizer->size(ctx->csig, stage_ctx(), ctx->size);
      if (!v.pass) return finish(reject(*ctx, sizer->stage_label(), v.reason));
    } catch (const std::exception& e) {
      alert_error(sizer->stage_label(), e.what());
      return finish(reject(*ctx, sizer->stage_label() + "_error", std::string("Sizing error: ") + e.what()));
    }
  }
  if (ctx->size.shares <= 0) {
    return finish(reject(*ctx, stage::kSizing, "Position size is zero after caps"));
  }

  // [4.5] pre-trade: build the order, then every [[risk]] plugin's order check
  const double reference = ctx->decision.reference_price;
  bool etf = ctx->result.instrument_type == "leveraged_etf";
  Order& o = ctx->order;
  o.ticker = ctx->decision.ticker;
  o.side = (etf || ctx->signal.direction == "long") ? "buy" : "sell";
  o.qty = ctx->size.shares;
  o.order_type = ctx->size.order_type.empty() ? "market" : ctx->size.order_type;
  o.limit_price = o.order_type == "limit" ? reference : 0.0;
  o.time_in_force = ctx->effective.default_time_in_force;
  o.signal_id = ctx->result.signal_id;
  o.client_order_id = "ax-" + ctx->result.signal_id + "-entry";
  o.reference_price = reference;
  o.instrument_type = ctx->result.instrument_type;
  o.purpose = sdk::OrderPurpose::Entry;
  o.strategy = ctx->strategy;
  for (auto* r : stages_.risks) {
    if (!r->has_order_check()) continue;
    try {
      auto v = r->risk_check_order(o, stage_ctx());
      if (!v.pass) return finish(reject(*ctx, r->stage_label(), v.reason));
    } catch (const std::exception& e) {
      alert_error(r->stage_label(), e.what());
      return finish(reject(*ctx, r->stage_label() + "_error", stage_error_label(r->stage_label()) + " error: " + e.what()));
    }
  }

  // [5] order submission: the intent is durable before the broker hears of it; it carries the
  // plan (stop, target, attribution), so a fill found at the next start can be adopted.
  {
    EntryPlan& plan = ctx->plan;
    const Signal& sig = ctx->signal;
    plan.underlying = sig.ticker;
    plan.direction = sig.direction;
    plan.instrument_type = ctx->result.instrument_type;
    plan.is_inverse = ctx->decision.is_inverse;
    plan.leverage = ctx->decision.leverage;
    plan.signal_entry = sig.entry_price;
    const double dist = std::fabs(sig.entry_price - sig.stop_loss) * ctx->effective.stop_loss_mult;
    plan.adj_stop = sig.direction == "long" ? sig.entry_price - dist : sig.entry_price + dist;
    plan.signal_target = sig.target_price;
    plan.signal_type = sig.signal_type;
    plan.conviction = sig.conviction;
    plan.timeframe = sig.timeframe;
    plan.source = ctx->source;
    plan.strategy = ctx->strategy;
  }
  try {
    journal_.record_intent(o.client_order_id, ctx->result.signal_id, "entry",
                           intent_record(o, {{"plan", ctx->plan.to_json()}}), now_());
    journal_.checkpoint();
  } catch (const std::exception& e) {
    alert_error(stage::kOrderSubmissionError, e.what());
    return finish(reject(*ctx, stage::kOrderSubmissionError,
                         std::string("Order submission error: ") + e.what()));
  }
  auto r = submit_entry(ctx);
  return finish(std::move(r));
}

void Orchestrator::fill_stage_context(StageView& view, const sdk::Limits& limits,
                                      const sdk::Route& route, std::optional<double> var_cap) {
  // Views into positions_ and `limits`: valid while neither changes (one stage call).
  view.positions.resize(positions_.size());
  for (std::size_t i = 0; i < positions_.size(); ++i) {
    const Position& p = positions_[i];
    view.positions[i] = {sizeof(axion_position_view), sdk::make_str(p.ticker), sdk::make_str(p.underlying),
                         sdk::make_str(p.direction),  sdk::make_str(p.strategy), p.shares,
                         p.entry_price,               p.current_price,      p.entry_time_us,
                         p.is_inverse ? 1 : 0};
  }
  view.limits = sdk::to_c(limits, view.lists);
  axion_stage_context& c = view.c;
  c = {};
  c.size = sizeof(axion_stage_context);
  c.account = {sizeof(axion_account), account_.equity, account_.cash, account_.buying_power,
               account_.starting_equity};
  c.positions = view.positions.data();
  c.position_count = static_cast<std::uint32_t>(view.positions.size());
  c.daily_pnl = state_.daily_pnl();
  c.daily_trade_count = state_.daily_trade_count();
  c.entries_today = entries_date_ == sdk::time::trading_date(now_()) ? entries_today_ : 0;
  c.kill_switch_active = state_.kill_switch_active() ? 1 : 0;
  c.circuit_breaker_status = sdk::make_str(state_.circuit_breaker_status());
  c.limits = &view.limits;
  c.broker_can_trade_options = stages_.broker && stages_.broker->can_trade_options() ? 1 : 0;
  c.now_us = now_();
  view.refresh(route, var_cap);
}

const axion_stage_context& Orchestrator::StageView::refresh(const sdk::Route& r,
                                                            std::optional<double> var_cap) {
  route = sdk::to_c(r);
  c.route = &route;
  c.has_var_cap = var_cap ? 1 : 0;
  c.var_cap = var_cap.value_or(0.0);
  return c;
}

std::optional<PipelineResult> Orchestrator::submit_entry(std::shared_ptr<EntryContext> ctx) {
  std::optional<PipelineResult> out;
  ctx->sync_out = &out;
  auto flow = std::make_shared<OrderFlow>();
  flow->order = ctx->order;
  flow->is_entry = true;
  flow->strategy = ctx->strategy;
  flow->underlying = ctx->signal.ticker;
  flow->broker = stages_.broker;
  // The flow outlives nothing it points to here: it calls done while it is alive.
  flow->done = [this, ctx, f = flow.get()](const OrderResult& r) {
    ctx->broker_name = f->broker_name;
    finish_entry(ctx, r);
  };
  start_flow(flow);
  ctx->sync_out = nullptr;
  return out;
}

// ---- order flows: retry with backoff, pending orders, all on the engine clock (§7.1) ------

void Orchestrator::start_flow(std::shared_ptr<OrderFlow> flow) {
  flow->submitted_at_us = now_();
  if (!flow->is_entry) {
    // Closes and unwinds are never rejected (closing is always allowed, §2.4), but the
    // pre-trade controls count them toward their order rates (§5.5).
    bool filled = false;
    for (auto* r : stages_.risks) {
      if (!r->has_order_check()) continue;
      if (!filled) {
        sdk::Route route;
        route.instrument_type = flow->order.instrument_type;
        route.ticker = route.original_signal_ticker = flow->order.ticker;
        route.reference_price = flow->order.reference_price;
        fill_stage_context(close_view_, current_effective_, route, std::nullopt);
        filled = true;
      }
      try {
        r->risk_check_order(flow->order, close_view_.c);
      } catch (const std::exception& e) {
        alert_error(r->stage_label(), e.what());
      }
    }
  }
  publish("order_submitted", [&] {
    json d = order_to_dict(flow->order);
    return d;
  }());
  run_flow(std::move(flow));
}

OrderResult Orchestrator::call_broker(OrderFlow& flow, bool& threw, std::string& error) {
  threw = false;
  const std::string& cid = flow.order.client_order_id;
  try {
    return flow.broker->submit(flow.order);
  } catch (const std::exception& e) {
    error = e.what();
  }
  // Ambiguous (a timeout, an exception): the order may have reached the broker. Ask it by
  // client_order_id before any retry or fallback, so nothing is ever sent twice.
  auto q = flow.broker->query_order_checked(cid);
  if (q.found) {
    logf(2, "Order " + cid + ": submit failed (" + error + ") but the broker has it: " +
                sdk::to_string(q.found->status));
    return *q.found;
  }
  // Only an entry, only when the primary definitely does not have it, may go to the fallback.
  // Closes and unwinds go only to the broker that holds the position.
  if (q.not_found && flow.is_entry && flow.attempt == 0 && !flow.used_fallback &&
      stages_.fallback_broker && flow.broker == stages_.broker) {
    try {
      journal_.set_intent_broker(cid, "fallback");
      journal_.checkpoint();  // where the order went is durable before it goes
    } catch (const std::exception& e) {
      error += std::string("; fallback not taken, its record is not durable: ") + e.what();
      threw = true;
      return {};
    }
    flow.used_fallback = true;
    flow.broker = stages_.fallback_broker;
    flow.broker_name = "fallback";
    try {
      return flow.broker->submit(flow.order);
    } catch (const std::exception& e2) {
      error = std::string("fallback: ") + e2.what();
      auto q2 = flow.broker->query_order_checked(cid);
      if (q2.found) return *q2.found;
    }
  } else if (!q.found && !q.not_found) {
    error += " (order state at the broker unknown: " + q.error + ")";
  }
  threw = true;
  return {};
}

void Orchestrator::run_flow(std::shared_ptr<OrderFlow> flow) {
  const int attempts = cfg_.max_order_retries;
  auto park_until = [&](std::int64_t at) {
    flow->next_at_us = at;
    if (std::find(flows_.begin(), flows_.end(), flow) == flows_.end()) flows_.push_back(flow);
  };
  auto unpark = [&] { flows_.erase(std::remove(flows_.begin(), flows_.end(), flow), flows_.end()); };
  if (!flow->broker) flow->broker = stages_.broker;
  if (!flow->broker) {
    unpark();
    OrderResult r;
    r.order_id = "RETRY-EXHAUSTED";
    r.rejection_reason = "No broker configured";
    r.ts_us = now_();
    flow->done(r);
    return;
  }
  while (flow->attempt < attempts) {
    bool threw = false;
    std::string error;
    OrderResult r = call_broker(*flow, threw, error);
    bool last = flow->attempt == attempts - 1;
    if (!threw) {
      if (r.status == OrderStatus::Pending) {
        flow->awaiting_fill = true;
        park_until(now_());
        return;
      }
      if (r.status != OrderStatus::Rejected || last) {
        unpark();
        flow->done(r);
        return;
      }
      flow->last_error = r.rejection_reason;
    } else {
      flow->last_error = error;
    }
    ++flow->attempt;
    if (flow->attempt < attempts) {
      double wait_s = cfg_.retry_backoff_base * std::pow(2.0, flow->attempt - 1);
      if (wait_s > 0) {
        park_until(now_() + static_cast<std::int64_t>(wait_s * 1e6));
        return;
      }
    }
  }
  unpark();
  OrderResult r;
  r.order_id = "RETRY-EXHAUSTED";
  r.status = OrderStatus::Rejected;
  r.broker = "none";
  r.ts_us = now_();
  r.rejection_reason = "All " + std::to_string(attempts) + " attempts failed: " +
                       (flow->last_error.empty() ? std::string("None") : flow->last_error);
  flow->done(r);
}

void Orchestrator::poll() {
  auto batch = journal_.batch();
  DeferScope scope(*this);
  if (repersist_) {
    try {
      journal_.rewrite_positions(positions_);
      journal_.checkpoint();
      repersist_ = false;
    } catch (const std::exception& e) {
      alert_error("journal", std::string("positions not yet written again: ") + e.what());
    }
  }
  auto now = now_();
  auto due = flows_;
  auto unpark = [this](const std::shared_ptr<OrderFlow>& flow) {
    flows_.erase(std::remove(flows_.begin(), flows_.end(), flow), flows_.end());
  };
  for (auto& flow : due) {
    if (std::find(flows_.begin(), flows_.end(), flow) == flows_.end()) continue;
    if (flow->is_entry) {
      // A parked entry retry is dropped once a reduce_only (or stronger) kill covers it.
      bool blocked = false;
      for (const auto& [key, k] : kills_) {
        bool in_scope = k.scope == "global" || (k.scope == "strategy" && flow->strategy == k.target) ||
                        (k.scope == "symbol" && flow->underlying == k.target);
        if (in_scope && level_rank(k.level) >= 2) blocked = true;
      }
      if (blocked && !flow->awaiting_fill) {
        unpark(flow);
        flow->done(cancelled_result("RETRY-EXHAUSTED", "Entry dropped: kill switch", now));
        continue;
      }
    }
    if (flow->awaiting_fill) {
      // Asked of the broker that has the order (the fallback's, when it went there).
      PluginInstance* broker = flow->broker ? flow->broker : stages_.broker;
      const std::string& cid = flow->order.client_order_id;
      auto q = broker->query_order_checked(cid);
      bool timed_out = now - flow->submitted_at_us >
                       static_cast<std::int64_t>(cfg_.order_timeout_seconds * 1e6);
      if (q.found && is_terminal(q.found->status)) {
        unpark(flow);
        flow->done(*q.found);
      } else if (q.not_found) {
        unpark(flow);
        alert_error("order", "order " + cid + " is unknown to its broker; treated as not filled");
        flow->done(cancelled_result("UNKNOWN", "Order unknown to the broker", now));
      } else if (timed_out) {
        std::string error;
        bool cancelled = false;
        try {
          cancelled = broker->cancel_order(cid);
        } catch (const std::exception& e) {
          error = e.what();
        }
        auto after = broker->query_order_checked(cid);
        if (after.found && is_terminal(after.found->status)) {
          // Cancelled, or it filled meanwhile: either way the broker's answer is booked.
          unpark(flow);
          OrderResult res = *after.found;
          res.ts_us = now;
          flow->done(res);
        } else if (!flow->cancel_alerted) {
          // Not known to be over: it may still fill, so it stays watched (never forgotten).
          flow->cancel_alerted = true;
          alert_error("order", "order " + cid + " passed its timeout and " +
                                   (cancelled ? std::string("its cancel is not confirmed yet")
                                              : "could not be cancelled" + (error.empty() ? "" : ": " + error)) +
                                   "; still watched");
        }
      }
      continue;
    }
    if (now >= flow->next_at_us) run_flow(flow);
  }
}

std::vector<std::string> Orchestrator::working_close_orders() const {
  std::vector<std::string> out;
  for (const auto& f : flows_) {
    if (!f->is_entry) out.push_back(f->order.client_order_id);
  }
  return out;
}

// ---- stages 6–8 ----------------------------------------------------------------------------

void Orchestrator::finish_entry(std::shared_ptr<EntryContext> ctx, const OrderResult& r) {
  DeferScope scope(*this);
  auto& sig = ctx->signal;
  try {
    journal_.record_order_update(ctx->order.client_order_id, sdk::to_string(r.status),
                                 order_result_to_dict(r));
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  if (r.filled_qty > 0) {
    for (auto* risk : stages_.risks) risk->risk_on_fill(ctx->order, r);
  }
  ctx->result.order_result = r;

  auto deliver = [&](PipelineResult res) {
    if (ctx->sync_out) *ctx->sync_out = res;
  };

  if (r.order_id == "RETRY-EXHAUSTED" && r.status == OrderStatus::Rejected) {
    alert_error(stage::kOrderSubmissionError, r.rejection_reason);
    deliver(reject(*ctx, stage::kOrderSubmissionError, "Order submission error: " + r.rejection_reason));
    return;
  }

  // [6] fill validation: no position without a validated fill
  auto fv = validate_fill(r, ctx->size.shares, ctx->order.reference_price, now_(), cfg_);
  ctx->result.fill_validation = fv;
  if (!fv.is_valid) {
    if (r.filled_qty > 0 && (r.status == OrderStatus::Filled || r.status == OrderStatus::Partial)) {
      // What the fill opened, at the broker's price: kept if it cannot be unwound.
      const double price = r.filled_price > 0 ? r.filled_price : ctx->order.reference_price;
      Position held = position_for_fill(ctx->plan, ctx->order, price, r.filled_qty, r.commission,
                                        r.order_id, now_());
      held.broker = ctx->broker_name;
      unwind(held, ctx->order, r.filled_qty);
    }
    deliver(reject(*ctx, stage::kFillValidation, "Fill validation failed: " + fv.reason));
    return;
  }
  for (const auto& w : fv.warnings) logf(2, sig.ticker + ": " + w);

  // [7] position
  Position p = position_for_fill(ctx->plan, ctx->order, fv.fill_price, fv.adjusted_qty, r.commission,
                                 r.order_id, now_());
  p.broker = ctx->broker_name;
  positions_.push_back(p);
  persist(p);

  // [8] records
  ctx->result.execution_id = new_uuid4();
  json exec = {{"ticker", p.ticker},
               {"underlying", p.underlying},
               {"qty", p.shares},
               {"fill_price", fv.fill_price},
               {"decision_id", ctx->result.decision_id},
               {"order_type", ctx->order.order_type},
               {"requested_price", ctx->order.reference_price},
               {"broker", r.broker},
               {"status", sdk::to_string(r.status)},
               {"signal_id", p.signal_id},
               {"timeframe", sig.timeframe},
               {"signal_type", sig.signal_type},
               {"conviction", sig.conviction}};
  try {
    journal_.record_execution(ctx->result.execution_id, now_(), exec);
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  json te = to_dict(p);
  te["order_id"] = r.order_id;
  te["signal_id"] = p.signal_id;
  publish("trade_executed", te);
  logf(1, "Opened " + p.direction + " " + std::to_string(p.shares) + " " + p.ticker + " @ " +
              fmt("%.2f", p.entry_price) + " (" + sig.signal_type + ", " + p.strategy + ")");
  state_.record_trade_time();
  refresh_account();
  auto today = sdk::time::trading_date(now_());
  if (entries_date_ != today) {
    entries_date_ = today;
    entries_today_ = 0;
  }
  ++entries_today_;

  PipelineResult res = ctx->result;
  res.success = true;
  res.position = p;
  res.pipeline_stage = stage::kCompleted;
  res.timestamp_us = now_();
  finalize(*ctx, res);
  deliver(res);
}

void Orchestrator::unwind(const Position& pos, const Order& entry, std::int64_t qty, int attempt) {
  constexpr int kMaxUnwinds = 5;
  auto flow = std::make_shared<OrderFlow>();
  flow->order.ticker = entry.ticker;
  flow->order.side = entry.side == "buy" ? "sell" : "buy";
  flow->order.qty = qty;
  flow->order.order_type = "market";
  flow->order.signal_id = pos.signal_id;
  flow->order.client_order_id =
      entry.client_order_id + "-unwind" + (attempt > 1 ? "-" + std::to_string(attempt) : std::string());
  flow->order.reference_price = entry.reference_price;
  flow->order.instrument_type = entry.instrument_type;
  flow->order.purpose = sdk::OrderPurpose::Unwind;
  flow->order.strategy = pos.strategy;
  flow->strategy = pos.strategy;
  flow->underlying = pos.underlying;
  flow->broker = broker_named(pos.broker);  // the broker that filled the entry
  flow->broker_name = pos.broker;
  try {
    journal_.record_intent(flow->order.client_order_id, pos.signal_id, "unwind",
                           intent_record(flow->order, {{"broker", pos.broker}, {"held", to_storage(pos)}}),
                           now_());
    journal_.checkpoint();
  } catch (const std::exception& e) {
    keep_unwound(pos, qty, "unwind of " + entry.client_order_id + " not sent, intent not durable: " + e.what());
    return;
  }
  const std::string cid = flow->order.client_order_id;
  const Order unwind_order = flow->order;
  flow->done = [this, cid, unwind_order, pos, entry, qty, attempt](const OrderResult& r) {
    try {
      journal_.record_order_update(cid, sdk::to_string(r.status), order_result_to_dict(r));
    } catch (const std::exception& e) {
      alert_error("journal", e.what());
    }
    if (r.filled_qty > 0) {
      for (auto* risk : stages_.risks) risk->risk_on_fill(unwind_order, r);
    }
    // What did not fill is still held at the broker: unwind the rest (a new id each time),
    // and past the last attempt stop new entries rather than forget shares.
    const std::int64_t rest = qty - std::max<std::int64_t>(r.filled_qty, 0);
    if (rest <= 0) return;
    if (attempt < kMaxUnwinds) {
      alert_error("fill_rejected", "unwind " + cid + " filled " + std::to_string(r.filled_qty) + "/" +
                                       std::to_string(qty) + ": unwinding the other " + std::to_string(rest));
      deferred_.push_back([this, pos, entry, rest, attempt] { unwind(pos, entry, rest, attempt + 1); });
    } else {
      keep_unwound(pos, rest, "unwind of " + entry.client_order_id + " left " + std::to_string(rest) + " " +
                                  entry.ticker + " at the broker after " + std::to_string(attempt) +
                                  " attempts: " + r.rejection_reason);
    }
  };
  start_flow(flow);
}

void Orchestrator::keep_unwound(Position held, std::int64_t shares, const std::string& why) {
  held.shares = held.entry_shares = shares;
  const auto same = [&](const Position& p) { return p.signal_id == held.signal_id; };
  if (std::none_of(positions_.begin(), positions_.end(), same)) {
    positions_.push_back(held);
    persist(held);
    json te = to_dict(held);
    te["order_id"] = held.order_id;
    te["signal_id"] = held.signal_id;
    te["recovered"] = true;
    publish("trade_executed", te);
  }
  fail_closed("fill_rejected", why + "; kept as a position (" + held.direction + " " + std::to_string(shares) +
                                   " " + held.ticker + ", stop " + fmt("%.2f", held.stop_loss) +
                                   ") and managed until it is closed");
}

// ---- closes (§2.4) and exits (§8) ----------------------------------------------------------

Position* Orchestrator::find_position(const std::string& ticker, const std::string& signal_id) {
  if (!signal_id.empty()) {
    for (auto& p : positions_) {
      if (p.signal_id == signal_id) return &p;
    }
    return nullptr;
  }
  Position* oldest = nullptr;
  for (auto& p : positions_) {
    if (p.ticker == ticker && (!oldest || p.entry_time_us < oldest->entry_time_us)) oldest = &p;
  }
  return oldest;
}

std::string Orchestrator::next_close_id(const std::string& signal_id, int& n) {
  auto it = close_counter_.find(signal_id);
  if (it == close_counter_.end()) {
    // First close of this position in this process: continue after the journal's (a restart
    // must never reuse ax-<sid>-close-1, which a broker would refuse or answer with old fills).
    it = close_counter_.emplace(signal_id, journal_.close_intent_count(signal_id)).first;
  }
  n = ++it->second;
  return "ax-" + signal_id + "-close-" + std::to_string(n);
}

std::optional<Position> Orchestrator::close_position(const std::string& ticker,
                                                     const std::string& reason, double exit_price,
                                                     std::int64_t partial_qty,
                                                     const std::string& signal_id) {
  auto batch = journal_.batch();
  DeferScope scope(*this);
  std::optional<Position> out;
  Position* p = find_position(ticker, signal_id);
  if (!p || p->shares <= 0) return out;
  // A close already in flight for this position: do not send a second one.
  for (const auto& f : flows_) {
    if (!f->is_entry && f->order.signal_id == p->signal_id) return out;
  }
  PluginInstance* broker = broker_named(p->broker);
  if (!broker) {
    alert_error("close_position", p->ticker + ": the broker holding it ('" + p->broker + "') is not configured");
    return out;
  }
  double ref = exit_price != 0.0 ? exit_price : p->current_price;
  std::int64_t qty = (partial_qty > 0 && partial_qty < p->shares) ? partial_qty : p->shares;
  auto flow = std::make_shared<OrderFlow>();
  flow->order.ticker = p->ticker;
  flow->order.side = p->direction == "long" ? "sell" : "buy";
  flow->order.qty = qty;
  flow->order.order_type = "market";
  flow->order.time_in_force = cfg_.executor.default_time_in_force;
  flow->order.signal_id = p->signal_id;
  flow->order.reference_price = ref;
  flow->order.instrument_type = p->instrument_type;
  flow->order.purpose = sdk::OrderPurpose::Close;
  flow->order.strategy = p->strategy;
  flow->strategy = p->strategy;
  flow->underlying = p->underlying;
  flow->broker = broker;  // only the broker that holds the position, never a fallback
  flow->broker_name = p->broker;
  int n = 0;
  try {
    flow->order.client_order_id = next_close_id(p->signal_id, n);
    journal_.record_intent(flow->order.client_order_id, p->signal_id, "close-" + std::to_string(n),
                           intent_record(flow->order, {{"reason", reason}, {"broker", p->broker}}), now_());
    journal_.checkpoint();
  } catch (const std::exception& e) {
    alert_error("close_position", std::string("close not sent, intent not durable: ") + e.what());
    return out;
  }
  std::string sid = p->signal_id;
  Order order = flow->order;
  bool sync = true;
  auto* out_ptr = &out;
  flow->done = [this, sid, order, reason, &sync, out_ptr](const OrderResult& r) {
    finish_close(sid, order, r, reason, sync ? out_ptr : nullptr);
  };
  start_flow(flow);
  sync = false;
  // The lambda may outlive this frame (parked close): make it stop referring to the locals.
  flow->done = [this, sid, order, reason](const OrderResult& r) {
    finish_close(sid, order, r, reason, nullptr);
  };
  return out;
}

void Orchestrator::finish_close(const std::string& signal_id, const Order& order,
                                const OrderResult& r, const std::string& reason,
                                std::optional<Position>* out) {
  try {
    journal_.record_order_update(order.client_order_id, sdk::to_string(r.status),
                                 order_result_to_dict(r));
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  if (r.filled_qty > 0) {
    for (auto* risk : stages_.risks) risk->risk_on_fill(order, r);
  }
  Position* p = find_position(order.ticker, signal_id);
  if (!p) {
    if (r.filled_qty > 0) {
      alert_error("close_position", "close " + order.client_order_id + " filled " + std::to_string(r.filled_qty) +
                                        " but its position is no longer open");
    }
    return;
  }
  auto fv = validate_fill(r, order.qty, order.reference_price, now_(), cfg_);
  if (r.filled_qty <= 0) {
    alert_error("close_position", p->ticker + ": " + fv.reason);
    return;
  }
  // The broker's fill is the truth: the shares are gone there, so the close is booked at the
  // fill price even when validation would refuse it (excessive slippage, a stale fill); the
  // alert says why. (§2.4's fill validation is for entries.)
  if (!fv.is_valid) {
    alert_error("close_position", p->ticker + ": close " + order.client_order_id +
                                      " booked at the broker's fill although " + fv.reason);
  }
  double exit = r.filled_price;
  if (!(exit > 0) || !std::isfinite(exit)) {
    exit = order.reference_price > 0 ? order.reference_price : p->current_price;
    alert_error("close_position", p->ticker + ": fill price " + float_text(r.filled_price) +
                                      " unusable; P&L booked at " + fmt("%.4f", exit));
  }
  std::int64_t qty = std::min(r.filled_qty, p->shares);
  double entry_comm = p->entry_shares > 0
                          ? p->entry_commission * static_cast<double>(qty) / static_cast<double>(p->entry_shares)
                          : 0.0;
  double pnl = p->mult() * (exit - p->entry_price) * static_cast<double>(qty) - r.commission - entry_comm;
  double pnl_pct = p->entry_price > 0 ? p->mult() * (exit - p->entry_price) / p->entry_price : 0.0;

  Position closed = *p;
  closed.shares = qty;
  closed.current_price = exit;
  bool full = qty >= p->shares;
  if (full) {
    std::string sid = p->signal_id;
    positions_.erase(std::remove_if(positions_.begin(), positions_.end(),
                                    [&](const Position& x) { return x.signal_id == sid; }),
                     positions_.end());
    try {
      journal_.delete_position(sid);
      journal_.checkpoint();
    } catch (const std::exception& e) {
      alert_error("journal", e.what());
    }
  } else {
    p->shares -= qty;
    p->current_price = exit;
    persist(*p);
  }

  // Side effects in order (§2.4 step 7); only the state write may fail the operation.
  // The analytics convention (control.md §5.1): equity = starting equity + realized P&L so far.
  const double equity_before = base_equity() + state_.total_realized_pnl();
  const double ret = equity_before > 0 ? pnl / equity_before : 0.0;
  state_.record_trade_pnl(pnl);
  after_close_checks();
  json trade = {{"ticker", closed.ticker},
                {"direction", closed.direction},
                {"instrument_type", closed.instrument_type},
                {"entry_price", closed.entry_price},
                {"exit_price", exit},
                {"shares", qty},
                {"pnl", round_dp(pnl, 2)},
                {"pnl_pct", round_dp(pnl_pct, 4)},
                {"entry_time", sdk::time::to_iso(closed.entry_time_us)},
                {"exit_time", sdk::time::to_iso(now_())},
                {"exit_reason", reason},
                {"conviction", closed.conviction},
                {"signal_type", closed.signal_type},
                {"timeframe", closed.timeframe},
                {"broker", r.broker.empty() ? "paper" : r.broker},
                {"order_id", r.order_id},
                {"trade_type", closed.trade_type},
                {"leverage", closed.leverage},
                {"strategy", closed.strategy},
                {"signal_source", closed.signal_source},
                {"ret", ret},
                {"signal_id", closed.signal_id},
                {"partial", !full}};
  try {
    journal_.record_trade(now_(), trade);
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  if (on_trade_closed) {
    try {
      on_trade_closed(closed, pnl, ret);
    } catch (const std::exception& e) {
      alert_error("feedback", e.what());
    }
  }
  publish("position_closed", {{"ticker", closed.ticker},
                              {"direction", closed.direction},
                              {"shares", qty},
                              {"entry_price", closed.entry_price},
                              {"exit_price", exit},
                              {"pnl", round_dp(pnl, 2)},
                              {"exit_reason", reason},
                              {"signal_id", closed.signal_id}});
  logf(1, "Closed " + closed.direction + " " + std::to_string(qty) + " " + closed.ticker + " @ " +
              fmt("%.2f", exit) + " P&L " + fmt("%+.2f", pnl) + " (" + reason + ")");
  refresh_account();
  if (out) *out = closed;
}

void Orchestrator::after_close_checks() {
  const double E = base_equity();
  const auto& losses = state_.consecutive_losses();
  const int T = current_effective_.consecutive_loss_threshold;
  const double loss_pct = current_effective_.consecutive_loss_pct;
  const double daily_limit = current_effective_.daily_loss_limit;
  std::optional<std::string> reason;
  if (T > 0 && static_cast<int>(losses.size()) >= T) {
    bool all_big = true;
    for (std::size_t i = losses.size() - static_cast<std::size_t>(T); i < losses.size(); ++i) {
      if (std::fabs(losses[i]) < loss_pct * E) all_big = false;
    }
    if (all_big) reason = std::to_string(T) + " consecutive losses";
  }
  double daily = state_.daily_pnl();
  double max_loss = daily_limit * E;
  bool daily_hit = cfg_.auto_kill_on_daily_loss && daily < 0 && std::fabs(daily) >= max_loss;
  if (daily_hit) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "Daily loss limit hit: $%.2f exceeds -$%.2f (%.0f%% of $%.0f)",
                  daily, max_loss, daily_limit * 100, E);
    reason = buf;
  }
  if (reason) {
    KillRecord k;
    k.level = "flatten";
    k.scope = "global";
    k.reason = *reason;
    k.actor = "engine";
    activate_kill(k);  // in effect even when it cannot be saved (then an alert)
    return;
  }
  if (daily < 0 && std::fabs(daily) >= 0.8 * max_loss) {
    double pct = std::fabs(daily) / std::max(std::fabs(max_loss), 0.01) * 100;
    publish("daily_loss_warning", {{"daily_pnl", round_dp(daily, 2)},
                                   {"limit", round_dp(max_loss, 2)},
                                   {"pct_of_limit", round_dp(pct, 1)}});
  }
}

std::vector<Position> Orchestrator::emergency_close_all(const std::string& reason) {
  DeferScope scope(*this);
  std::vector<Position> closed;
  std::vector<std::pair<std::string, std::string>> targets;
  for (const auto& p : positions_) targets.emplace_back(p.ticker, p.signal_id);
  for (auto& [t, sid] : targets) {
    if (auto c = close_position(t, "emergency_close: " + reason, 0.0, 0, sid)) closed.push_back(*c);
  }
  KillRecord k;
  k.level = "flatten";
  k.reason = "Emergency close: " + reason;
  activate_kill(k);
  publish("emergency_close", {{"reason", reason}, {"closed", closed.size()}});
  return closed;
}

void Orchestrator::update_price(const std::string& ticker, double price) {
  for (auto& p : positions_) {
    if (p.ticker == ticker) p.current_price = price;
  }
}

std::vector<Position> Orchestrator::check_and_execute_exits(const IndicatorLookup& indicators,
                                                            std::int64_t opened_since_us) {
  DeferScope scope(*this);
  const ExitRules& rules = exit_rules_;
  std::vector<ExitSignal> exits;
  for (auto& p : positions_) {
    // The bar that produced an entry is not also its exit: management starts at the next bar.
    if (opened_since_us > 0 && p.entry_time_us >= opened_since_us) continue;
    const IndicatorRows* ind = indicators ? indicators(p.underlying) : nullptr;
    double stop_before = p.stop_loss;
    auto e = check_exit(p, p.current_price, ind, rules, now_());
    if (p.stop_loss != stop_before) persist(p);  // the breakeven move happened (rule 8)
    if (e) exits.push_back(std::move(*e));
  }
  std::vector<Position> closed;
  for (auto& e : exits) {
    if (e.exit_type == "trail_to_breakeven") {
      // A stop adjustment, not an exit: no order (the engine watches stops); journaled.
      logf(1, e.ticker + ": " + e.reason);
      publish("stop_moved", {{"ticker", e.ticker}, {"signal_id", e.signal_id},
                             {"new_stop", round_dp(e.new_stop, 4)},
                             {"trigger_price", round_dp(e.trigger_price, 4)}, {"reason", e.reason}});
      continue;
    }
    std::string reason = e.exit_type + ": " + e.reason;
    if (e.exit_type == "scale_out") {
      if (auto c = close_position(e.ticker, reason, 0.0, e.scale_qty, e.signal_id)) {
        closed.push_back(*c);
        if (Position* rest = find_position(e.ticker, e.signal_id)) {
          rest->scaled_out = true;
          persist(*rest);
        }
      }
      continue;
    }
    if (auto c = close_position(e.ticker, reason, 0.0, 0, e.signal_id)) closed.push_back(*c);
  }
  return closed;
}

json Orchestrator::stats() {
  json by_stage = json::object();
  for (auto& [k, v] : by_stage_) by_stage[k] = v;
  return {{"total_signals_processed", total_},
          {"successful_executions", successes_},
          {"rejection_rate", total_ == 0 ? 0.0
                                         : static_cast<double>(total_ - successes_) /
                                               static_cast<double>(std::max<std::uint64_t>(total_, 1)) * 100.0},
          {"open_positions", positions_.size()},
          {"kill_switch_active", state_.kill_switch_active()},
          {"circuit_breaker_status", state_.circuit_breaker_status()},
          {"daily_pnl", state_.daily_pnl()},
          {"daily_trades", state_.daily_trade_count()},
          {"history_size", history_.size()},
          {"history_max_size", cfg_.max_history_size},
          {"rejections_by_stage", by_stage}};
}

}  // namespace axion::core
