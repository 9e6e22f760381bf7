// Order flows on the engine clock (pipeline.md §7.1): retries with backoff, pending orders, the
// fallback broker; then stages 6-8 of an entry (fill validation, position, records) and unwinds.
#include "pipeline/internal.hpp"

#include <algorithm>
#include <cmath>

namespace axion::core {

using namespace detail;

// ---- order flows: retry with backoff, pending orders, all on the engine clock (§7.1) ------

void Orchestrator::start_flow(std::shared_ptr<OrderFlow> flow) {
  flow->submitted_at_us = now_();
  if (!flow->is_entry) {
    // Closes and unwinds are never rejected (closing is always allowed, §2.4), but the
    // pre-trade controls count them toward their order rates (§5.5).
    bool filled = false;
    sdk::Route route;  // close_view_ holds views into it: it must outlive every check below
    for (auto* r : stages_.risks) {
      if (!r->has_order_check()) continue;
      if (!filled) {
        route.instrument_type = flow->order.instrument_type;
        route.ticker = route.original_signal_ticker = flow->order.ticker;
        route.reference_price = flow->order.reference_price;
        fill_stage_context(close_view_, current_effective_, route, std::nullopt);
        filled = true;
      }
      try {
        r->risk_check_order(flow->order, close_view_.c);
      } catch (const std::exception& e) {
        alert_error(std::string(to_string(r->stage())), e.what());
      }
    }
  }
  std::string submitted;
  append_dict_text(submitted, flow->order);
  publish_text("order_submitted", submitted);
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
      intent_before_send(stages_.fallback_broker);  // where the order went is durable before it goes
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
        if (k.level >= KillLevel::ReduceOnly && k.covers(flow->strategy, flow->underlying)) blocked = true;
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
    journal_.record_order_update(ctx->order.client_order_id, sdk::to_string(r.status), r);
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  if (r.filled_qty > 0) {
    for (auto* risk : stages_.risks) risk->risk_on_fill(ctx->order, r);
  }
  ctx->result.order_result = r;

  auto deliver = [&](PipelineResult res) {
    if (ctx->sync_out) *ctx->sync_out = std::move(res);
  };

  if (r.order_id == "RETRY-EXHAUSTED" && r.status == OrderStatus::Rejected) {
    alert_error(std::string(to_string(Stage::OrderSubmissionError)), r.rejection_reason);
    deliver(reject(*ctx, Stage::OrderSubmissionError, "Order submission error: " + r.rejection_reason));
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
    deliver(reject(*ctx, Stage::FillValidation, "Fill validation failed: " + fv.reason));
    return;
  }
  for (const auto& w : fv.warnings) logf(2, sig.ticker + ": " + w);

  // [7] position
  Position p = position_for_fill(ctx->plan, ctx->order, fv.fill_price, fv.adjusted_qty, r.commission,
                                 r.order_id, now_());
  p.broker = ctx->broker_name;
  positions_.push_back(p);
  close_counter_[p.signal_id] = 0;  // a new position: no close of it is journaled yet
  persist(p);

  // [8] records
  ctx->result.execution_id = new_uuid4();
  try {
    Execution x;
    x.ticker = p.ticker;
    x.underlying = p.underlying;
    x.qty = p.shares;
    x.fill_price = fv.fill_price;
    x.decision_id = ctx->result.decision_id;
    x.order_type = ctx->order.order_type;
    x.requested_price = ctx->order.reference_price;
    x.broker = r.broker;
    x.status = r.status;
    x.signal_id = p.signal_id;
    x.timeframe = sig.timeframe;
    x.signal_type = sig.signal_type;
    x.conviction = sig.conviction;
    journal_.record_execution(ctx->result.execution_id, now_(), std::move(x));
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  std::string executed;
  append_trade_executed_text(executed, p, r.order_id);
  publish_text("trade_executed", executed);
  logf(1, "Opened " + std::string(to_string(p.direction)) + " " + std::to_string(p.shares) + " " + p.ticker + " @ " +
              fmt("%.2f", p.entry_price) + " (" + sig.signal_type + ", " + p.strategy + ")");
  state_.record_trade_time();
  refresh_account();
  auto today = sdk::time::trading_date(now_());
  if (entries_date_ != today) {
    entries_date_ = today;
    entries_today_ = 0;
  }
  ++entries_today_;

  PipelineResult res = std::move(ctx->result);  // the context is done with it
  res.success = true;
  res.position = std::move(p);
  res.stage = Stage::Completed;
  res.timestamp_us = now_();
  finalize(*ctx, res);
  deliver(std::move(res));
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
                           flow->order, IntentDetails{.broker = pos.broker, .held = pos}, now_());
    intent_before_send(flow->broker);
  } catch (const std::exception& e) {
    keep_unwound(pos, qty, "unwind of " + entry.client_order_id + " not sent, intent not durable: " + e.what());
    return;
  }
  const std::string cid = flow->order.client_order_id;
  const Order unwind_order = flow->order;
  flow->done = [this, cid, unwind_order, pos, entry, qty, attempt](const OrderResult& r) {
    if (r.filled_qty > 0) {
      for (auto* risk : stages_.risks) risk->risk_on_fill(unwind_order, r);
    }
    // The answer resolves this unwind's intent, so it is journaled in the same unit as what
    // follows from it (the next unwind's intent, or the kept position): a crash between the two
    // would leave a resolved intent and nothing holding the shares still at the broker.
    auto record_answer = [this, cid, r] {
      try {
        journal_.record_order_update(cid, sdk::to_string(r.status), r);
      } catch (const std::exception& e) {
        alert_error("journal", e.what());
      }
    };
    // What did not fill is still held at the broker: unwind the rest (a new id each time),
    // and past the last attempt stop new entries rather than forget shares.
    const std::int64_t rest = qty - std::max<std::int64_t>(r.filled_qty, 0);
    if (rest <= 0) {
      record_answer();
      return;
    }
    if (attempt < kMaxUnwinds) {
      alert_error("fill_rejected", "unwind " + cid + " filled " + std::to_string(r.filled_qty) + "/" +
                                       std::to_string(qty) + ": unwinding the other " + std::to_string(rest));
      deferred_.push_back([this, record_answer, pos, entry, rest, attempt] {
        record_answer();
        unwind(pos, entry, rest, attempt + 1);
      });
    } else {
      record_answer();
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
  if (std::none_of(positions_.begin(), positions_.end(), same)) add_recovered(held, held.order_id);
  fail_closed("fill_rejected", why + "; kept as a position (" + std::string(to_string(held.direction)) + " " + std::to_string(shares) +
                                   " " + held.ticker + ", stop " + fmt("%.2f", held.stop_loss) +
                                   ") and managed until it is closed");
}

}  // namespace axion::core
