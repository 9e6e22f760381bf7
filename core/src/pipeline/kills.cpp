// Stage 1, the kill switch (pipeline.md §4): levels and scopes, activation (in memory first,
// then durable), effects (cancel, flatten), reset, and the deferred work a flatten queues.
#include "pipeline/internal.hpp"

#include <algorithm>
#include <cmath>

namespace axion::core {

using namespace detail;

// ---- stage 1: kill switch -----------------------------------------------------------------

const KillRecord* Orchestrator::global_kill() const {
  auto g = kills_.find({KillScope::Global, ""});
  return g == kills_.end() ? nullptr : &g->second;
}

const KillRecord* Orchestrator::blocking_kill(const Signal& s) const {
  if (kills_.empty()) return nullptr;
  if (const KillRecord* g = global_kill()) return g;
  auto st = kills_.find({KillScope::Strategy, strategy_of(s)});
  if (st != kills_.end()) return &st->second;
  auto sy = kills_.find({KillScope::Symbol, s.ticker});
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

KillOutcome Orchestrator::activate_kill(KillRecord k) {
  if (k.scope == KillScope::Global) k.target.clear();
  if (k.activated_at_us == 0) k.activated_at_us = now_();
  auto it = kills_.find({k.scope, k.target});
  if (it != kills_.end() && it->second.level >= k.level) {
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
  if (k.scope == KillScope::Global) {
    try {
      state_.activate_kill_switch(k.reason);  // sets the switch in memory before it saves
    } catch (const std::exception& e) {
      failed(std::string("bot_state.json: ") + e.what());
    }
  }
  if (!out.durable) alert_error("kill_switch", "kill switch active but NOT durable: " + out.error);
  logf(2, "Kill switch activated (" + std::string(to_string(k.level)) + ", " + std::string(to_string(k.scope)) +
              (k.target.empty() ? "" : " " + k.target) + ") by " + k.actor + ": " + k.reason);
  json ev = kill_event(k);
  ev["durable"] = out.durable;
  publish("kill_switch", ev);
  apply_kill_effects(k);
  run_deferred();
  return out;
}

void Orchestrator::apply_kill_effects(const KillRecord& k) {
  // A global cancel_all also cancels what the engine does not track (orders placed by hand on
  // the account): the broker's own cancel-all, where offered (DELETE /v2/orders on Alpaca). A
  // flatten does not: its closes are about to be sent, and the broker-side close-all is its
  // fallback.
  if (k.level == KillLevel::CancelAll && k.scope == KillScope::Global && stages_.broker) {
    try {
      if (stages_.broker->broker_cancel_all()) {
        logf(2, "Kill switch: every working order at " + stages_.broker->id() + " is being cancelled");
      }
    } catch (const std::exception& e) {
      alert_error("kill_switch", "broker-side cancel of every order failed: " + std::string(e.what()) +
                                     "; the engine's own orders are cancelled one by one");
    }
  }
  if (k.level >= KillLevel::CancelAll) {
    for (auto& f : flows_) {
      if (!k.covers(f->strategy, f->underlying) || !f->awaiting_fill || !f->broker) continue;
      // A flatten keeps its closes working (a repeat of it would otherwise cancel its own).
      if (k.level == KillLevel::Flatten && !f->is_entry) continue;
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
  if (k.level == KillLevel::Flatten) {
    std::vector<std::pair<std::string, std::string>> targets;
    for (const auto& p : positions_) {
      if (k.covers(p.strategy, p.underlying)) targets.emplace_back(p.ticker, p.signal_id);
    }
    std::string reason = "kill_switch: " + k.reason;
    for (auto& [ticker, sid] : targets) {
      // Copies, not the structured bindings: clang before 16 (the fuzz build) cannot capture those.
      deferred_.push_back([this, t = ticker, s = sid, reason] { close_position(t, reason, 0.0, 0, s); });
    }
    if (k.scope == KillScope::Global) deferred_.push_back([this, targets] { flatten_fallback(targets); });
  }
}

void Orchestrator::flatten_fallback(const std::vector<std::pair<std::string, std::string>>& targets) {
  std::map<PluginInstance*, std::vector<std::string>> stuck;  // by broker: tickers not closing
  for (const auto& [ticker, sid] : targets) {
    Position* p = find_position(ticker, sid);
    if (!p || p->shares <= 0) continue;
    bool closing = false;
    for (const auto& f : flows_) closing = closing || (!f->is_entry && f->order.signal_id == p->signal_id);
    if (closing) continue;
    if (PluginInstance* b = broker_named(p->broker)) stuck[b].push_back(ticker);
  }
  for (auto& [broker, tickers] : stuck) {
    std::string list;
    for (const auto& t : tickers) list += (list.empty() ? "" : ", ") + t;
    broker_side_flatten(*broker, list);
  }
}

void Orchestrator::broker_side_flatten(PluginInstance& broker, const std::string& stuck) {
  if (broker_closed_all_.count(&broker)) return;  // asked already under this kill
  std::string error;
  bool asked = false;
  try {
    asked = broker.broker_close_all();
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!asked) {
    alert_error("kill_switch", "flatten could not close " + stuck + ", and " + broker.id() +
                                   (error.empty() ? " offers no close-all" : "'s close-all failed: " + error) +
                                   ": close them at the broker by hand");
    return;
  }
  broker_closed_all_.insert(&broker);
  // The broker now closes every position of the account and cancels its working orders. The
  // engine's book follows at once, at the last prices: an exit or a close of its own sent later
  // would sell the same shares again (a short). The broker's fills are the truth for the P&L.
  std::vector<std::pair<std::string, std::string>> held;
  for (const auto& p : positions_) {
    if (broker_named(p.broker) == &broker) held.emplace_back(p.ticker, p.signal_id);
  }
  for (const auto& [ticker, sid] : held) {
    Position* p = find_position(ticker, sid);
    if (!p) continue;
    Order order;
    order.ticker = p->ticker;
    order.side = to_string(closing_side(p->direction));
    order.qty = p->shares;
    order.signal_id = p->signal_id;
    order.reference_price = p->current_price;
    order.client_order_id = "broker-close-all-" + p->signal_id;
    order.purpose = sdk::OrderPurpose::Close;
    order.strategy = p->strategy;
    OrderResult r;
    r.status = sdk::OrderStatus::Filled;
    r.filled_qty = p->shares;
    r.filled_price = p->current_price;
    r.broker = broker.id();
    r.order_id = "broker-close-all";
    finish_close(sid, order, r, "kill_switch: broker-side close of every position", nullptr);
  }
  alert_error("kill_switch", "flatten could not close " + stuck + " through the pipeline; " + broker.id() +
                                 " was asked to close every position itself, and the engine booked its " +
                                 std::to_string(held.size()) +
                                 " position(s) there closed at their last prices (the broker's fills are the truth)");
}

bool Orchestrator::reset_kill(KillScope scope, const std::string& target, const std::string& actor) {
  std::string t = scope == KillScope::Global ? "" : target;
  auto it = kills_.find({scope, t});
  if (it == kills_.end()) return false;
  // The state file first: a reset it did not record would come back at the next start as a
  // state-file-only kill (restored as a flatten). If the journal's close fails after it, the
  // journal still holds the kill, which restore brings back at its own level. Either failure
  // throws: the kill stays in effect and the caller hears that the reset failed.
  if (scope == KillScope::Global) state_.deactivate_kill_switch();
  journal_.close_kill(scope, t, now_());
  if (scope == KillScope::Global) {
    state_.set_circuit_breaker("closed");
    broker_closed_all_.clear();
    flatten_resent_.clear();
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

}  // namespace axion::core
