// Start-up recovery (pipeline.md §4.6, §9): journaled positions and kills, every open intent
// resolved with the broker that has it, and the reconciliation with the broker's book.
#include "pipeline/internal.hpp"

#include <algorithm>
#include <cmath>

namespace axion::core {

using namespace detail;

// ---- recovery (§4.6) -----------------------------------------------------------------------

void Orchestrator::restore() {
  DeferScope scope(*this);
  std::vector<DamagedRow> damaged;
  for (auto& k : journal_.active_kills(&damaged)) kills_[{k.scope, k.target}] = k;
  // Either store showing the global kill active makes it active (fail closed). The journal's
  // record wins over the state file's: a flatten there is never downgraded.
  auto global = kills_.find({KillScope::Global, ""});
  if (state_.kill_switch_active() && global == kills_.end()) {
    KillRecord k;
    k.level = state_.loaded_corrupt() ? KillLevel::BlockNew : KillLevel::Flatten;
    k.reason = state_.kill_switch_reason().value_or("Kill switch active");
    k.actor = "engine";
    k.activated_at_us = now_();
    kills_[{KillScope::Global, ""}] = k;
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
    if (k.level == KillLevel::Flatten) apply_kill_effects(k);
  }
}

void Orchestrator::fail_closed(const std::string& stage, const std::string& what) {
  alert_error(stage, what);
  KillRecord k;
  k.level = KillLevel::BlockNew;
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
  journal_.record_order_update(intent.client_order_id, "pending", r);
  auto flow = std::make_shared<OrderFlow>();
  flow->order = order;
  flow->is_entry = intent.purpose == "entry";
  flow->broker = broker;
  flow->broker_name = broker_name;
  flow->awaiting_fill = true;
  flow->submitted_at_us = now_();
  const EntryPlan plan = EntryPlan::from_json(intent.order.value("plan", json::object()), order.side);
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
  journal_.record_order_update(intent.client_order_id, sdk::to_string(r.status), r);
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
  const EntryPlan plan = EntryPlan::from_json(intent.order.value("plan", json::object()), order.side);
  const double price = r.filled_price > 0 ? r.filled_price : order.reference_price;
  Position p = position_for_fill(plan, order, price, r.filled_qty, r.commission, r.order_id, now_());
  p.broker = intent.order.value("broker", "");
  add_recovered(p, r.order_id);
  alert_error("recovery", "order " + intent.client_order_id + " filled " + std::to_string(r.filled_qty) + " " +
                              p.ticker + " @ " + fmt("%.2f", price) +
                              " at the broker but no position was recorded: adopted" +
                              (has_plan ? " with its intended stop and target" : " WITHOUT a stop (no plan in the intent)"));
}

void Orchestrator::add_recovered(const Position& p, const std::string& order_id) {
  positions_.push_back(p);
  persist(p);
  json te = to_dict(p);
  te["order_id"] = order_id;
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
  k.level = KillLevel::ReduceOnly;
  k.reason = reason;
  k.actor = "reconciler";
  activate_kill(k);
  state_.set_circuit_breaker("open");
  alert_error("reconciliation", details);
  return report;
}

}  // namespace axion::core
