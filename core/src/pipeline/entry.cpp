// The pipeline of one signal (pipeline.md §2.2): the stages in order, each passing or rejecting
// with its stage label, then the entry order's submission.
#include "pipeline/internal.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace axion::core {

using namespace detail;

// ---- the pipeline (§2.2) -------------------------------------------------------------------

PipelineResult Orchestrator::reject(EntryContext& ctx, Stage stage, std::string reason) {
  PipelineResult r = std::move(ctx.result);  // the context is done with it
  r.success = false;
  r.stage = stage;
  r.rejection_reason = std::move(reason);
  r.timestamp_us = now_();
  finalize(ctx, r);
  return r;
}

void Orchestrator::finalize(EntryContext& ctx, PipelineResult& r) {
  ++total_;
  if (r.success) ++successes_;
  ++by_stage_[static_cast<std::size_t>(r.stage.value())];  // set by reject() and finish_entry()
  // Guards learn every signal's final outcome (dedup keeps completed keys, releases rejected).
  if (ctx.guard_passed) {
    for (auto* g : stages_.guards) {
      try {
        g->guard_outcome(ctx.csig, r.pipeline_stage());
      } catch (const std::exception& e) {
        alert_error("signal_guard", e.what());
      }
    }
  }
  // The last use of the signal's C form (its views into ctx.signal): the result takes the
  // signal itself rather than a copy.
  r.signal = std::move(ctx.signal);
  std::shared_ptr<std::string> text = result_texts_.take();  // a text the ring let go, or new
  reuse_buffer(*text, ctx.signal_text_size + 512);  // the signal's dict and the result's fields
  append_dict_text(*text, r);
  std::shared_ptr<const std::string> d = std::move(text);
  keep_in_history(d);
  if (!r.success) {
    publish_text("signal_rejected", *d);
    if (logs(0)) {  // the line is built only when debug logging is on
      log(0, "Signal " + r.signal.ticker + " " + r.signal.signal_type + " rejected at " +
                 std::string(r.pipeline_stage()) + ": " + r.rejection_reason);
    }
  }
  try {
    journal_.record_result(r.timestamp_us, *r.stage, r.success, std::move(d));
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
  if (on_result) on_result(r);
}

void Orchestrator::keep_in_history(const std::shared_ptr<const std::string>& text) {
  if (cfg_.max_history_size == 0) return;
  if (history_.size() < cfg_.max_history_size) {
    history_.push_back(text);
    return;
  }
  history_[history_next_] = text;  // the oldest goes back to result_texts_ with its last owner
  if (++history_next_ == history_.size()) history_next_ = 0;
}

std::vector<std::shared_ptr<const std::string>> Orchestrator::history() const {
  std::vector<std::shared_ptr<const std::string>> out;
  out.reserve(history_.size());
  std::rotate_copy(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(history_next_),
                   history_.end(), std::back_inserter(out));
  return out;
}

// The pipeline of an entry, stage by stage (pipeline.md §2.2). Each stage passes (nullopt) or
// rejects with the stage label it reports under; what a stage decides for later ones (the
// effective limits, the route, the VaR cap, the size, the order) goes into the context.
std::optional<PipelineResult> Orchestrator::process_signal(Signal signal) {
  auto batch = journal_.batch();
  DeferScope scope(*this);
  auto ctx = begin_entry(std::move(signal));
  using StageCall = std::optional<Rejection> (Orchestrator::*)(EntryContext&);
  static constexpr StageCall kStages[] = {
      &Orchestrator::check_kill_switch,  // [1]   kill switch: global, strategy and symbol scopes
      &Orchestrator::run_guards,         // [1.5] guards, in manifest order
      &Orchestrator::adapt_to_regime,    // [0.5] effective limits from the regime stage
      &Orchestrator::record_audit,       // [2]   audit record (never rejects)
      &Orchestrator::assess_risk,        // [3]   every [[risk]] plugin's signal check
      &Orchestrator::route_instrument,   // [3.5] stock, option or leveraged ETF
      &Orchestrator::size_position,      // [4]   the sizer for the route's instrument type
      &Orchestrator::check_pretrade,     // [4.5] the order, and every [[risk]] order check
      &Orchestrator::record_intent,      // [5]   the intent is durable before the broker hears
  };
  std::optional<PipelineResult> out;
  bool rejected_at_stage = false;
  for (StageCall stage : kStages) {
    if (auto rejected = (this->*stage)(*ctx)) {
      out = reject(*ctx, rejected->stage, std::move(rejected->reason));
      rejected_at_stage = true;
      break;
    }
  }
  // [5] submission, then [6] fill validation, [7] position, [8] records (finish_entry), on this
  // call when the broker answers at once, later (parked) when it does not.
  if (!rejected_at_stage) out = submit_entry(ctx);
  reuse_entry(std::move(ctx));
  return out;
}

void Orchestrator::recycle(PipelineResult&& done) {
  if (spare_entry_ && done.rejection_reason.capacity() > spare_entry_->reason_buffer.capacity()) {
    spare_entry_->reason_buffer = std::move(done.rejection_reason);
    spare_entry_->reason_buffer.clear();
  }
}

// A context no parked order holds any more is kept for the next signal, emptied but with its
// buffers (the signal's text and C arrays): a burst of rejections allocates none of them.
void Orchestrator::reuse_entry(std::shared_ptr<EntryContext> ctx) {
  if (ctx.use_count() != 1) return;  // a parked entry: its flow holds it
  ctx->clear_for_reuse();
  spare_entry_ = std::move(ctx);
}

std::shared_ptr<Orchestrator::EntryContext> Orchestrator::begin_entry(Signal signal) {
  auto ctx = spare_entry_ ? std::move(spare_entry_) : std::make_shared<EntryContext>();
  ctx->signal = std::move(signal);
  ctx->csig = sdk::to_c(ctx->signal, ctx->signal_arrays);
  ctx->strategy = strategy_of(ctx->signal);
  ctx->source = signal_source_of(ctx->signal);
  ctx->signal_text.reserve(1024);  // grown once, not doubling field by field
  append_dict_text(ctx->signal_text, ctx->signal);
  ctx->signal_text_size = ctx->signal_text.size();
  publish_text("signal_received", ctx->signal_text);
  return ctx;
}

// A plugin that threw: an `<stage>_error` rejection and an alert (ARCHITECTURE §3).
Orchestrator::Rejection Orchestrator::stage_error(Stage stage, const std::string& what) {
  alert_error(std::string(to_string(stage)), what);
  return {error_stage(stage), std::string(display_name(stage)).append(" error: ").append(what)};
}

std::optional<Orchestrator::Rejection> Orchestrator::check_kill_switch(EntryContext& ctx) {
  const KillRecord* k = blocking_kill(ctx.signal);
  if (!k) return std::nullopt;
  std::string& why = ctx.reason_buffer;
  if (k->scope == KillScope::Global) {
    why.assign("Kill switch active: ");
  } else {
    why.assign("Kill switch active (").append(to_string(k->level)).append(", ");
    why.append(to_string(k->scope)).append(" ").append(k->target).append("): ");
  }
  why.append(k->reason);
  return Rejection{Stage::KillSwitch, std::move(why)};
}

std::optional<Orchestrator::Rejection> Orchestrator::run_guards(EntryContext& ctx) {
  // Checked here whatever guards the manifest lists: a direction the engine guessed would be
  // an order on the wrong side.
  const auto direction = parse_direction(ctx.signal.direction);
  if (!direction) {
    return Rejection{Stage::SignalGuard, "Invalid signal: unknown direction '" + ctx.signal.direction + "'"};
  }
  ctx.direction = *direction;
  for (auto* g : stages_.guards) {
    // From here on, guards that passed this signal hold state for it (dedup): each learns the
    // final outcome (finalize).
    ctx.guard_passed = true;
    try {
      if (!g->guard_passes(ctx.csig, ctx.reason_buffer)) {
        return Rejection{g->stage(), std::move(ctx.reason_buffer)};
      }
    } catch (const std::exception& e) {
      return stage_error(g->stage(), e.what());
    }
  }
  ctx.guard_passed = true;
  state_.record_signal_time();
  return std::nullopt;
}

std::optional<Orchestrator::Rejection> Orchestrator::adapt_to_regime(EntryContext& ctx) {
  PluginInstance* regime = stages_.regime;
  if (!regime) {
    ctx.effective = base_limits_;  // never modified: the base every signal starts from
    return std::nullopt;
  }
  try {
    sdk::Limits effective;  // every field comes from the plugin's answer
    auto v = regime->regime_evaluate(ctx.csig, base_limits_c_, effective);
    if (!v.pass) return Rejection{regime->stage(), v.reason};
    // A plugin's limits are checked like a user's: garbage is that plugin's error.
    if (auto bad = invalid_limits(effective)) throw std::runtime_error("invalid effective limits: " + *bad);
    if (effective != current_effective_) {
      current_effective_ = effective;
      exit_rules_ = ExitRules::from(current_effective_);
    }
    ctx.effective = std::move(effective);
  } catch (const std::exception& e) {
    return stage_error(regime->stage(), e.what());
  }
  return std::nullopt;
}

std::optional<Orchestrator::Rejection> Orchestrator::record_audit(EntryContext& ctx) {
  ctx.result.signal_id = new_uuid4();
  try {
    journal_.record_signal(ctx.result.signal_id, now_(), std::move(ctx.signal_text));  // its last use
  } catch (const std::exception& e) {
    alert_error("audit", e.what());  // the audit trail is not a reason to miss a trade
  }
  ctx.decision = sdk::Route::stock(ctx.signal);
  return std::nullopt;
}

// What risk, routing and sizing read, in C form: built once per signal, then only the route and
// the VaR cap change between stages.
const axion_stage_context& Orchestrator::stage_context(EntryContext& ctx) {
  if (!ctx.have_stage_context) {
    fill_stage_context(entry_view_, ctx.effective, ctx.decision, ctx.var_cap);
    ctx.have_stage_context = true;
  }
  return entry_view_.refresh(ctx.decision, ctx.var_cap);
}

std::optional<Orchestrator::Rejection> Orchestrator::assess_risk(EntryContext& ctx) {
  if (!stages_.risks.empty()) ctx.result.decision_id = new_uuid4();
  for (auto* r : stages_.risks) {
    if (!r->has_signal_check()) continue;
    try {
      sdk::RiskOutputs outputs;
      auto v = r->risk_check_signal(ctx.csig, stage_context(ctx), outputs);
      if (!v.pass) return Rejection{r->stage(), v.reason};
      if (outputs.var_cap) {
        if (!std::isfinite(*outputs.var_cap)) throw std::runtime_error("VaR cap is not a finite number");
        const double cap = std::max(0.0, *outputs.var_cap);
        ctx.var_cap = ctx.var_cap ? std::min(*ctx.var_cap, cap) : cap;
      }
      if (!outputs.assessment_json.empty()) {
        auto a = json::parse(outputs.assessment_json, nullptr, false);
        if (a.is_discarded() || !a.is_object()) throw std::runtime_error("assessment is not a JSON object");
        ctx.result.risk_assessment = std::move(a);
      }
    } catch (const std::exception& e) {
      return stage_error(r->stage(), e.what());
    }
  }
  return std::nullopt;
}

std::optional<Orchestrator::Rejection> Orchestrator::route_instrument(EntryContext& ctx) {
  if (PluginInstance* routing = stages_.routing) {
    try {
      sdk::Route decision = ctx.decision;
      auto v = routing->route(ctx.csig, stage_context(ctx), decision);
      if (!v.pass) return Rejection{routing->stage(), v.reason};
      // A decision no order can be made from is the plugin's error, never an order.
      if (auto bad = invalid_route(decision)) throw std::runtime_error("invalid decision: " + *bad);
      ctx.decision = std::move(decision);
    } catch (const std::exception& e) {
      return stage_error(routing->stage(), e.what());
    }
  }
  ctx.result.instrument_type = ctx.decision.instrument_type;
  if (!ctx.decision.fallback_from.empty()) {
    ctx.result.fallback_from = ctx.decision.fallback_from;
    logf(2, "Routing fell back from " + ctx.result.fallback_from + " to " +
                ctx.result.instrument_type + " for " + ctx.signal.ticker);
  }
  return std::nullopt;
}

std::optional<Orchestrator::Rejection> Orchestrator::size_position(EntryContext& ctx) {
  if (stages_.sizings.empty()) {
    ctx.size = {1, ctx.decision.reference_price, 0.0, 1.0, "market"};
  } else {
    // The sizer for the route's instrument type, else one for every type.
    PluginInstance* sizer = nullptr;
    for (auto* s : stages_.sizings) {
      if (s->sizing_instrument_type() == ctx.result.instrument_type) sizer = s;
    }
    for (auto* s : stages_.sizings) {
      if (!sizer && s->sizing_instrument_type().empty()) sizer = s;
    }
    if (!sizer) return Rejection{Stage::Sizing, "No sizer for instrument type " + ctx.result.instrument_type};
    try {
      auto v = sizer->size(ctx.csig, stage_context(ctx), ctx.size);
      if (!v.pass) return Rejection{sizer->stage(), v.reason};
    } catch (const std::exception& e) {
      return stage_error(sizer->stage(), e.what());
    }
  }
  if (ctx.size.shares <= 0) return Rejection{Stage::Sizing, "Position size is zero after caps"};
  return std::nullopt;
}

std::optional<Orchestrator::Rejection> Orchestrator::check_pretrade(EntryContext& ctx) {
  const double reference = ctx.decision.reference_price;
  const bool etf = ctx.result.instrument_type == "leveraged_etf";
  Order& o = ctx.order;
  o.ticker = ctx.decision.ticker;
  o.side = to_string(etf ? Side::Buy : opening_side(ctx.direction));  // an inverse ETF is bought
  o.qty = ctx.size.shares;
  o.order_type = ctx.size.order_type.empty() ? "market" : ctx.size.order_type;
  o.limit_price = o.order_type == "limit" ? reference : 0.0;
  o.time_in_force = ctx.effective.default_time_in_force;
  o.signal_id = ctx.result.signal_id;
  o.client_order_id = "ax-" + ctx.result.signal_id + "-entry";
  o.reference_price = reference;
  o.instrument_type = ctx.result.instrument_type;
  o.purpose = sdk::OrderPurpose::Entry;
  o.strategy = ctx.strategy;
  for (auto* r : stages_.risks) {
    if (!r->has_order_check()) continue;
    try {
      auto v = r->risk_check_order(o, stage_context(ctx));
      if (!v.pass) return Rejection{r->stage(), v.reason};
    } catch (const std::exception& e) {
      return stage_error(r->stage(), e.what());
    }
  }
  return std::nullopt;
}

// The intent carries the plan (stop, target, attribution), so a fill found at the next start
// can be adopted as the position the live path would have opened.
std::optional<Orchestrator::Rejection> Orchestrator::record_intent(EntryContext& ctx) {
  EntryPlan plan;
  const Signal& sig = ctx.signal;
  plan.underlying = sig.ticker;
  plan.direction = ctx.direction;
  plan.instrument_type = ctx.result.instrument_type;
  plan.is_inverse = ctx.decision.is_inverse;
  plan.leverage = ctx.decision.leverage;
  plan.signal_entry = sig.entry_price;
  const double dist = std::fabs(sig.entry_price - sig.stop_loss) * ctx.effective.stop_loss_mult;
  plan.adj_stop = ctx.direction == Direction::Long ? sig.entry_price - dist : sig.entry_price + dist;
  plan.signal_target = sig.target_price;
  plan.signal_type = sig.signal_type;
  plan.conviction = sig.conviction;
  plan.timeframe = sig.timeframe;
  plan.source = ctx.source;
  plan.strategy = ctx.strategy;
  ctx.plan = plan;
  try {
    journal_.record_intent(ctx.order.client_order_id, ctx.result.signal_id, "entry",
                           ctx.order, IntentDetails{.plan = ctx.plan}, now_());
    intent_before_send(stages_.broker);
  } catch (const std::exception& e) {
    alert_error(std::string(to_string(Stage::OrderSubmissionError)), e.what());
    return Rejection{Stage::OrderSubmissionError, std::string("Order submission error: ") + e.what()};
  }
  return std::nullopt;
}

void Orchestrator::fill_stage_context(StageView& view, const sdk::Limits& limits,
                                      const sdk::Route& route, std::optional<double> var_cap) {
  // Views into positions_ and `limits`: valid while neither changes (one stage call).
  view.positions.resize(positions_.size());
  for (std::size_t i = 0; i < positions_.size(); ++i) view.positions[i] = position_view(positions_[i]);
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
  c.kill_switch_active = global_kill() ? 1 : 0;
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

}  // namespace axion::core
