#include "axion/core/plugins/plugin_instance.hpp"

#include <cstddef>
#include <cstring>

namespace axion::core {

using sdk::make_str;
using sdk::view;

namespace {
PluginInstance* owner(void* ctx) { return static_cast<PluginInstance*>(ctx); }

// Nothing thrown by a host service crosses the C ABI: a throw becomes the call's failure value.
template <class R, class Fn>
R guarded(R failed, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (...) {
    return failed;
  }
}

// The stage a stage plugin whose manifest names none reports under (the SDK's bases name these).
Stage usual_stage(std::int32_t kind) {
  switch (kind) {
    case AXION_KIND_REGIME: return Stage::Regime;
    case AXION_KIND_RISK: return Stage::RiskAssessment;
    case AXION_KIND_ROUTING: return Stage::Routing;
    case AXION_KIND_SIZING: return Stage::Sizing;
    default: return Stage::SignalGuard;
  }
}
}  // namespace

PluginInstance::PluginInstance(std::shared_ptr<PluginLibrary> lib, HostServices& services,
                               const json& config)
    : lib_(std::move(lib)), services_(services), logger_(lib_->id()) {
  api_.size = sizeof(axion_host_api);
  api_.ctx = this;
  api_.log = [](void* ctx, std::int32_t level, axion_str msg) {
    owner(ctx)->services_.plugin_log(owner(ctx)->logger_, level, view(msg));
  };
  api_.now_us = [](void* ctx) { return owner(ctx)->services_.now_us(); };
  api_.wall_now_us = [](void* ctx) { return owner(ctx)->services_.wall_now_us(); };
  api_.last_price = [](void* ctx, axion_str t, double* out) -> std::int32_t {
    auto p = owner(ctx)->services_.last_price(view(t));
    if (!p) return 0;
    *out = *p;
    return 1;
  };
  api_.publish = [](void* ctx, axion_str ev, axion_str data) {
    owner(ctx)->services_.plugin_publish(owner(ctx)->logger_, view(ev), view(data));
  };
  api_.state_load = [](void* ctx, axion_json_cb cb, void* user) -> axion_status {
    return guarded<axion_status>(AXION_ERR, [&] {
      auto s = owner(ctx)->services_.load_plugin_state(owner(ctx)->logger_);
      if (s) cb(user, make_str(*s));
      return AXION_OK;
    });
  };
  api_.state_save = [](void* ctx, axion_str text) -> axion_status {
    return guarded<axion_status>(AXION_ERR, [&] {
      return owner(ctx)->services_.save_plugin_state(owner(ctx)->logger_, view(text)) ? AXION_OK
                                                                                      : AXION_ERR;
    });
  };
  api_.query = [](void* ctx, axion_str what, axion_str args, axion_json_cb cb,
                  void* user) -> axion_status {
    return guarded<axion_status>(AXION_ERR, [&] {
      auto a = json::parse(view(args), nullptr, false);
      if (a.is_discarded()) a = json::object();
      auto r = owner(ctx)->services_.query(view(what), a);
      if (!r) return AXION_ERR;
      std::string text = r->dump();
      cb(user, make_str(text));
      return AXION_OK;
    });
  };

  api_.command = [](void* ctx, axion_str what, axion_str args, axion_json_cb cb,
                    void* user) -> axion_status {
    return guarded<axion_status>(AXION_ERR, [&] {
      auto a = json::parse(view(args), nullptr, false);
      if (a.is_discarded()) a = json::object();
      auto r = owner(ctx)->services_.command(owner(ctx)->logger_, view(what), a);
      if (!r) return AXION_ERR;
      std::string text = r->dump();
      cb(user, make_str(text));
      return AXION_OK;
    });
  };

  api_.subscribe_events = [](void* ctx, std::int64_t since, axion_event_cb cb, void* user,
                             std::int64_t* oldest) -> std::int64_t {
    if (!cb) return 0;
    try {
      return owner(ctx)->services_.subscribe_events(
          since,
          [cb, user](std::int64_t seq, std::string_view channel, std::string_view envelope) {
            cb(user, seq, make_str(channel), make_str(envelope));
          },
          oldest);
    } catch (...) {
      return 0;
    }
  };
  api_.unsubscribe_events = [](void* ctx, std::int64_t id) {
    try {
      owner(ctx)->services_.unsubscribe_events(id);
    } catch (...) {
    }
  };
  api_.daily_returns = [](void* ctx, axion_str t, double* out, std::uint32_t max) -> std::uint32_t {
    return guarded<std::uint32_t>(0, [&] {
      return static_cast<std::uint32_t>(owner(ctx)->services_.daily_returns(view(t), out, max));
    });
  };
  api_.positions = [](void* ctx, axion_position_view_cb cb, void* user) -> axion_status {
    return guarded<axion_status>(AXION_ERR, [&] {
      owner(ctx)->services_.each_position([&](const axion_position_view& p) { cb(user, &p); });
      return AXION_OK;
    });
  };
  api_.account = [](void* ctx, axion_account* out) -> axion_status {
    return guarded<axion_status>(AXION_ERR, [&] {
      *out = owner(ctx)->services_.engine_account();
      return AXION_OK;
    });
  };
  api_.kill_state = [](void* ctx, axion_str strategy, axion_str symbol, axion_kill_state* out) -> axion_status {
    return guarded<axion_status>(AXION_ERR, [&] {
      *out = owner(ctx)->services_.kill_state(view(strategy), view(symbol));
      return AXION_OK;
    });
  };
  api_.rate_budget_declare = [](void* ctx, axion_str name, std::uint32_t capacity, std::int64_t window_us,
                                axion_error* err) -> axion_status {
    std::string why;
    try {
      why = owner(ctx)->services_.rate_budgets().declare(std::string(view(name)), capacity, window_us);
    } catch (const std::exception& e) {
      why = e.what();
    }
    if (why.empty()) return AXION_OK;
    if (err) sdk::copy_to(err->message, why);
    return AXION_ERR;
  };
  api_.rate_budget_take = [](void* ctx, axion_str name, std::uint32_t cost, std::int32_t priority,
                             std::int64_t* retry_after_us) -> std::int32_t {
    return guarded<std::int32_t>(-1, [&] {
      auto& host = owner(ctx)->services_;
      sdk::RateWindow* w = host.rate_budgets().find(std::string(view(name)));
      if (!w) return -1;
      auto t = w->take(cost, priority == AXION_RATE_URGENT, host.wall_now_us());
      if (retry_after_us) *retry_after_us = t.retry_after_us;
      return t.taken ? 1 : t.never ? -2 : 0;
    });
  };
  api_.rate_budget_remaining = [](void* ctx, axion_str name) -> std::int64_t {
    return guarded<std::int64_t>(-1, [&] {
      auto& host = owner(ctx)->services_;
      sdk::RateWindow* w = host.rate_budgets().find(std::string(view(name)));
      return w ? w->remaining(host.wall_now_us()) : -1;
    });
  };
  const axion_plugin_manifest& m = manifest();
  stage_ = usual_stage(m.kind);
  if (m.size >= offsetof(axion_plugin_manifest, stage_label) + sizeof(m.stage_label) && m.stage_label) {
    if (auto declared = parse_plugin_stage(m.stage_label)) stage_ = *declared;
  }

  std::string text = config.is_null() ? std::string("{}") : config.dump();
  axion_error err{};
  err.size = sizeof err;
  if (manifest().create(&api_, make_str(text), &self_, &err) != AXION_OK) {
    self_ = nullptr;
    throw PluginCallError(err.message, err.key);
  }
}

PluginInstance::~PluginInstance() {
  if (self_) manifest().destroy(self_);
}

template <class V>
const V* PluginInstance::vt(int kind) const {
  if (manifest().kind != kind) {
    throw PluginCallError(id() + " is a " + kind_name(manifest().kind) + " plugin, not a " +
                              kind_name(kind) + " plugin",
                          "");
  }
  return static_cast<const V*>(manifest().vtable);
}

void PluginInstance::fail(const axion_error& err) const {
  throw PluginCallError(err.message[0] ? err.message : "unknown plugin error", err.key);
}

FeedNext PluginInstance::next_bar(axion_bar& out, std::int64_t& pace_us) {
  auto* v = vt<axion_feed_vtable>(AXION_KIND_FEED);
  axion_error err{};
  int rc = v->next(self_, &out, &pace_us, &err);
  if (rc < 0) fail(err);
  if (rc == AXION_FEED_BAR) return FeedNext::Bar;
  return rc == AXION_FEED_IDLE ? FeedNext::Idle : FeedNext::End;
}

void PluginInstance::on_bar(const axion_bar& bar, std::vector<Signal>& out) {
  auto* v = vt<axion_strategy_vtable>(AXION_KIND_STRATEGY);
  axion_error err{};
  auto sink = [](void* ctx, const axion_signal* s) {
    static_cast<std::vector<Signal>*>(ctx)->push_back(sdk::from_c(*s));
  };
  if (v->on_bar(self_, &bar, sink, &out, &err) != AXION_OK) fail(err);
}

bool PluginInstance::guard_passes(const axion_signal& c, std::string& reason) {
  auto* v = vt<axion_guard_vtable>(AXION_KIND_GUARD);
  axion_verdict out{};  // pass 0: a plugin that answers nothing rejects (fail closed)
  axion_error err{};
  if (v->check(self_, &c, &out, &err) != AXION_OK) fail(err);
  if (out.pass != 0) return true;
  out.reason[sizeof(out.reason) - 1] = '\0';  // whatever the plugin wrote, a terminated string
  reason.assign(out.reason);
  return false;
}

sdk::Verdict PluginInstance::guard_check(const axion_signal& c) {
  std::string reason;
  const bool pass = guard_passes(c, reason);
  return {pass, std::move(reason)};
}

sdk::Verdict PluginInstance::guard_check(const Signal& s) {
  sdk::SignalArrays arrays;
  return guard_check(sdk::to_c(s, arrays));
}

void PluginInstance::guard_outcome(const axion_signal& c, std::string_view stage) {
  auto* v = vt<axion_guard_vtable>(AXION_KIND_GUARD);
  if (!v->on_outcome) return;
  v->on_outcome(self_, &c, make_str(stage));
}

void PluginInstance::regime_on_bar(const axion_bar& bar) {
  auto* v = vt<axion_regime_vtable>(AXION_KIND_REGIME);
  axion_error err{};
  if (v->on_bar(self_, &bar, &err) != AXION_OK) fail(err);
}

sdk::Verdict PluginInstance::regime_evaluate(const axion_signal& c, const axion_limits& base,
                                             sdk::Limits& effective) {
  auto* v = vt<axion_regime_vtable>(AXION_KIND_REGIME);
  axion_limits e = base;
  axion_verdict out{};
  axion_error err{};
  if (v->evaluate(self_, &c, &base, &e, &out, &err) != AXION_OK) fail(err);
  if (out.pass) sdk::from_c(e, effective);
  return {out.pass != 0, out.reason};
}

bool PluginInstance::has_signal_check() const {
  return vt<axion_risk_vtable>(AXION_KIND_RISK)->check_signal != nullptr;
}
bool PluginInstance::has_order_check() const {
  return vt<axion_risk_vtable>(AXION_KIND_RISK)->check_order != nullptr;
}

sdk::Verdict PluginInstance::risk_check_signal(const axion_signal& c, const axion_stage_context& ctx,
                                               sdk::RiskOutputs& outputs) {
  auto* v = vt<axion_risk_vtable>(AXION_KIND_RISK);
  outputs = {};
  if (!v->check_signal) return sdk::Verdict::ok();
  axion_verdict out{};
  axion_risk_outputs o{};
  axion_error err{};
  if (v->check_signal(self_, &c, &ctx, &out, &o, &err) != AXION_OK) fail(err);
  if (out.pass) {
    if (o.has_var_cap) outputs.var_cap = o.var_cap;
    outputs.assessment_json.assign(view(o.assessment_json));
  }
  return {out.pass != 0, out.reason};
}

sdk::Verdict PluginInstance::risk_check_order(const Order& o, const axion_stage_context& ctx) {
  auto* v = vt<axion_risk_vtable>(AXION_KIND_RISK);
  if (!v->check_order) return sdk::Verdict::ok();
  axion_order c = sdk::to_c(o);
  axion_verdict out{};
  axion_error err{};
  if (v->check_order(self_, &c, &ctx, &out, &err) != AXION_OK) fail(err);
  return {out.pass != 0, out.reason};
}

void PluginInstance::risk_on_fill(const Order& o, const OrderResult& r) {
  auto* v = vt<axion_risk_vtable>(AXION_KIND_RISK);
  if (!v->on_fill) return;
  axion_order c = sdk::to_c(o);
  axion_order_result cr = sdk::to_c(r);
  v->on_fill(self_, &c, &cr);
}

sdk::Verdict PluginInstance::route(const axion_signal& c, const axion_stage_context& ctx,
                                   sdk::Route& decision) {
  auto* v = vt<axion_routing_vtable>(AXION_KIND_ROUTING);
  axion_route d = sdk::to_c(decision);
  axion_verdict out{};
  axion_error err{};
  if (v->route(self_, &c, &ctx, &d, &out, &err) != AXION_OK) fail(err);
  if (out.pass) sdk::from_c(d, decision);
  return {out.pass != 0, out.reason};
}

std::string PluginInstance::sizing_instrument_type() const {
  auto* v = vt<axion_sizing_vtable>(AXION_KIND_SIZING);
  return v->instrument_type ? v->instrument_type : "";
}

sdk::Verdict PluginInstance::size(const axion_signal& c, const axion_stage_context& ctx,
                                  sdk::PositionSize& out) {
  auto* v = vt<axion_sizing_vtable>(AXION_KIND_SIZING);
  axion_position_size ps{};
  axion_verdict verdict{};
  axion_error err{};
  if (v->size_position(self_, &c, &ctx, &ps, &verdict, &err) != AXION_OK) fail(err);
  out = {ps.shares, ps.notional_value, ps.risk_amount, ps.conviction_multiplier, ps.order_type};
  return {verdict.pass != 0, verdict.reason};
}

bool PluginInstance::book_in_host_state() const {
  if (manifest().kind != AXION_KIND_BROKER) return false;
  const auto* v = static_cast<const axion_broker_vtable*>(manifest().vtable);
  if (v->size < offsetof(axion_broker_vtable, flags) + sizeof(v->flags) || !v->flags) return false;
  return (v->flags(self_) & AXION_BROKER_BOOK_IN_HOST_STATE) != 0;
}

// A function appended to a table is there when the plugin's table is large enough and sets it.
#define AXION_OFFERS(v, T, field) ((v)->size >= offsetof(T, field) + sizeof((v)->field) && (v)->field)

bool PluginInstance::broker_cancel_all() {
  const auto* v = vt<axion_broker_vtable>(AXION_KIND_BROKER);
  if (!AXION_OFFERS(v, axion_broker_vtable, cancel_all)) return false;
  axion_error err{};
  if (v->cancel_all(self_, &err) != AXION_OK) fail(err);
  return true;
}

bool PluginInstance::broker_close_all() {
  const auto* v = vt<axion_broker_vtable>(AXION_KIND_BROKER);
  if (!AXION_OFFERS(v, axion_broker_vtable, close_all)) return false;
  axion_error err{};
  if (v->close_all(self_, &err) != AXION_OK) fail(err);
  return true;
}

std::optional<nlohmann::json> PluginInstance::status() {
  axion_status (*fn)(void*, axion_json_cb, void*, axion_error*) = nullptr;
  if (manifest().kind == AXION_KIND_BROKER) {
    const auto* v = static_cast<const axion_broker_vtable*>(manifest().vtable);
    if (AXION_OFFERS(v, axion_broker_vtable, status)) fn = v->status;
  } else if (manifest().kind == AXION_KIND_FEED) {
    const auto* v = static_cast<const axion_feed_vtable*>(manifest().vtable);
    if (AXION_OFFERS(v, axion_feed_vtable, status)) fn = v->status;
  }
  if (!fn) return std::nullopt;
  std::string text;
  axion_error err{};
  auto cb = [](void* user, axion_str json) { *static_cast<std::string*>(user) = std::string(view(json)); };
  if (fn(self_, cb, &text, &err) != AXION_OK) fail(err);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw PluginCallError(id() + ": status is not a JSON object", "");
  return j;
}

bool PluginInstance::can_trade_options() const {
  return vt<axion_broker_vtable>(AXION_KIND_BROKER)->can_trade_options != 0;
}

OrderResult PluginInstance::submit(const Order& o) {
  auto* v = vt<axion_broker_vtable>(AXION_KIND_BROKER);
  axion_order c = sdk::to_c(o);
  axion_order_result r{};
  axion_error err{};
  if (v->submit(self_, &c, &r, &err) != AXION_OK) fail(err);
  return sdk::from_c(r);
}

std::optional<OrderResult> PluginInstance::query_order(const std::string& cid) {
  auto* v = vt<axion_broker_vtable>(AXION_KIND_BROKER);
  axion_order_result r{};
  axion_error err{};
  if (v->query_order(self_, make_str(cid), &r, &err) != AXION_OK) return std::nullopt;
  return sdk::from_c(r);
}

PluginInstance::OrderQuery PluginInstance::query_order_checked(const std::string& cid) {
  auto* v = vt<axion_broker_vtable>(AXION_KIND_BROKER);
  axion_order_result r{};
  axion_error err{};
  OrderQuery q;
  const axion_status st = v->query_order(self_, make_str(cid), &r, &err);
  if (st == AXION_OK) {
    q.found = sdk::from_c(r);
  } else if (st == AXION_NOT_FOUND) {
    q.not_found = true;
  } else {
    q.error = err.message[0] ? std::string(err.message, strnlen(err.message, sizeof err.message))
                             : std::string("query_order failed");
  }
  return q;
}

bool PluginInstance::cancel_order(const std::string& cid) {
  auto* v = vt<axion_broker_vtable>(AXION_KIND_BROKER);
  axion_error err{};
  return v->cancel_order(self_, make_str(cid), &err) == AXION_OK;
}

std::vector<sdk::BrokerPosition> PluginInstance::positions() {
  auto* v = vt<axion_broker_vtable>(AXION_KIND_BROKER);
  std::vector<sdk::BrokerPosition> out;
  axion_error err{};
  auto cb = [](void* user, const axion_broker_position* p) {
    static_cast<std::vector<sdk::BrokerPosition>*>(user)->push_back(
        {std::string(view(p->symbol)), p->qty, std::string(view(p->side)), p->avg_price,
         p->current_price});
  };
  if (v->positions(self_, cb, &out, &err) != AXION_OK) fail(err);
  return out;
}

sdk::Account PluginInstance::account() {
  auto* v = vt<axion_broker_vtable>(AXION_KIND_BROKER);
  axion_account a{};
  axion_error err{};
  if (v->account(self_, &a, &err) != AXION_OK) fail(err);
  return {a.equity, a.cash, a.buying_power, a.starting_equity};
}

void PluginInstance::addon_start() {
  auto* v = vt<axion_addon_vtable>(AXION_KIND_ADDON);
  axion_error err{};
  if (v->start(self_, &err) != AXION_OK) fail(err);
}

void PluginInstance::addon_stop() {
  auto* v = vt<axion_addon_vtable>(AXION_KIND_ADDON);
  v->stop(self_);
}

}  // namespace axion::core
