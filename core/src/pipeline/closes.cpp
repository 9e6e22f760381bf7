// Closes (pipeline.md §2.4) and exits (§8): close orders only to the broker holding the
// position, unique close ids across restarts, booking at the broker's fill, the loss checks
// after a close (stage 9), emergency close and the exit rules on each bar.
#include "pipeline/internal.hpp"

#include <algorithm>
#include <cmath>

namespace axion::core {

using namespace detail;

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
  // That broker closes everything itself (a flatten's fallback): a close of ours would sell twice.
  if (broker_closed_all_.count(broker)) return out;
  double ref = exit_price != 0.0 ? exit_price : p->current_price;
  std::int64_t qty = (partial_qty > 0 && partial_qty < p->shares) ? partial_qty : p->shares;
  auto flow = std::make_shared<OrderFlow>();
  flow->order.ticker = p->ticker;
  flow->order.side = to_string(closing_side(p->direction));
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
                           flow->order, IntentDetails{.reason = reason, .broker = p->broker}, now_());
    intent_before_send(broker);
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
    journal_.record_order_update(order.client_order_id, sdk::to_string(r.status), r);
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
    // Under a global flatten a close that ended unfilled (cancelled by the kill itself, refused)
    // is sent once more through the pipeline; after that, the broker's own close-all.
    if (const KillRecord* g = global_kill(); g && g->level == KillLevel::Flatten) {
      const bool again = flatten_resent_.insert(signal_id).second;
      deferred_.push_back([this, t = order.ticker, s = signal_id, again, why = g->reason] {
        if (again) close_position(t, "kill_switch: " + why, 0.0, 0, s);
        flatten_fallback({{t, s}});
      });
    }
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
    close_counter_.erase(sid);
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
  ClosedTrade trade;
  trade.ticker = closed.ticker;
  trade.direction = closed.direction;
  trade.instrument_type = closed.instrument_type;
  trade.entry_price = closed.entry_price;
  trade.exit_price = exit;
  trade.shares = qty;
  trade.pnl = round_dp(pnl, 2);
  trade.pnl_pct = round_dp(pnl_pct, 4);
  trade.entry_time_us = closed.entry_time_us;
  trade.exit_time_us = now_();
  trade.exit_reason = reason;
  trade.conviction = closed.conviction;
  trade.signal_type = closed.signal_type;
  trade.timeframe = closed.timeframe;
  trade.broker = r.broker.empty() ? "paper" : r.broker;
  trade.order_id = r.order_id;
  trade.trade_type = closed.trade_type;
  trade.leverage = closed.leverage;
  trade.strategy = closed.strategy;
  trade.signal_source = closed.signal_source;
  trade.ret = ret;
  trade.signal_id = closed.signal_id;
  trade.partial = !full;
  try {
    journal_.record_closed_trade(trade.exit_time_us, trade);
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  if (on_trade_closed) {
    try {
      on_trade_closed(closed, pnl, ret, trade);
    } catch (const std::exception& e) {
      alert_error("feedback", e.what());
    }
  }
  publish("position_closed", {{"ticker", closed.ticker},
                              {"direction", to_string(closed.direction)},
                              {"shares", qty},
                              {"entry_price", closed.entry_price},
                              {"exit_price", exit},
                              {"pnl", round_dp(pnl, 2)},
                              {"exit_reason", reason},
                              {"signal_id", closed.signal_id}});
  logf(1, "Closed " + std::string(to_string(closed.direction)) + " " + std::to_string(qty) + " " + closed.ticker + " @ " +
              fmt("%.2f", exit) + " P&L " + fmt("%+.2f", pnl) + " (" + reason + ")");
  refresh_account();
  if (out) *out = closed;
  // A close that ended part-filled under a global flatten: the rest is closed too.
  if (!full) {
    if (const KillRecord* g = global_kill(); g && g->level == KillLevel::Flatten) {
      deferred_.push_back([this, t = closed.ticker, s = closed.signal_id, why = g->reason] {
        close_position(t, "kill_switch: " + why, 0.0, 0, s);
      });
    }
  }
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
    k.level = KillLevel::Flatten;
    k.scope = KillScope::Global;
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
  k.level = KillLevel::Flatten;
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

}  // namespace axion::core
