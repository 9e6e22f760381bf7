// Test doubles for running a plugin alone: FakeClock, RecordingBus, FakeHost, and PluginHarness,
// which creates an instance through the real C ABI (entry function or a built .so) so a test
// exercises exactly what the host would.
#pragma once

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/plugin_api.h"
#include "axion/sdk/context.hpp"
#include "axion/sdk/kill_rule.hpp"
#include "axion/sdk/rate_budget.hpp"
#include "axion/sdk/time.hpp"
#include "axion/sdk/types.hpp"

namespace axion::sdk::testing {

class FakeClock {
 public:
  explicit FakeClock(std::int64_t now_us = time::days_from_civil(2026, 2, 9) * time::kUsPerDay +
                                           (14 * 3600 + 30 * 60) * time::kUsPerSec)
      : now_us_(now_us) {}
  std::int64_t now_us() const { return now_us_; }
  void set_us(std::int64_t us) { now_us_ = us; }
  void advance_seconds(double s) { now_us_ += static_cast<std::int64_t>(s * 1e6); }

 private:
  std::int64_t now_us_;
};

class RecordingBus {
 public:
  struct Event {
    std::string name;
    nlohmann::json data;
  };
  void record(std::string name, nlohmann::json data) {
    events.push_back({std::move(name), std::move(data)});
  }
  std::size_t count(const std::string& name) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.name == name;
    return n;
  }
  std::vector<Event> events;
};

class FakeHost {
 public:
  FakeHost() {
    api_.size = sizeof(axion_host_api);
    api_.ctx = this;
    api_.log = [](void* ctx, std::int32_t level, axion_str msg) {
      std::lock_guard lock(self(ctx)->logs_mu);  // add-ons log from their own threads
      self(ctx)->logs.emplace_back(level, std::string(view(msg)));
    };
    api_.now_us = [](void* ctx) { return self(ctx)->clock.now_us(); };
    api_.wall_now_us = [](void* ctx) { return self(ctx)->wall_us; };
    api_.last_price = [](void* ctx, axion_str t, double* out) -> std::int32_t {
      auto& p = self(ctx)->prices;
      auto it = p.find(std::string(view(t)));
      if (it == p.end()) return 0;
      *out = it->second;
      return 1;
    };
    api_.publish = [](void* ctx, axion_str ev, axion_str data) {
      auto j = nlohmann::json::parse(view(data), nullptr, false);
      self(ctx)->bus.record(std::string(view(ev)), j.is_discarded() ? nlohmann::json() : j);
    };
    api_.state_load = [](void* ctx, axion_json_cb cb, void* user) -> axion_status {
      auto& s = self(ctx)->saved_state;
      if (s) {
        std::string text = s->dump();
        cb(user, make_str(text));
      }
      return AXION_OK;
    };
    api_.state_save = [](void* ctx, axion_str json) -> axion_status {
      auto v = nlohmann::json::parse(view(json), nullptr, false);
      if (v.is_discarded()) return AXION_ERR;
      self(ctx)->saved_state = v;
      return AXION_OK;
    };
    api_.query = [](void* ctx, axion_str what, axion_str args, axion_json_cb cb,
                    void* user) -> axion_status {
      if (self(ctx)->query_handler) {
        auto a = nlohmann::json::parse(view(args), nullptr, false);
        auto answer = self(ctx)->query_handler(std::string(view(what)),
                                               a.is_discarded() ? nlohmann::json() : a);
        if (answer) {
          std::string text = answer->dump();
          cb(user, make_str(text));
          return AXION_OK;
        }
      }
      auto& q = self(ctx)->queries;
      auto it = q.find(std::string(view(what)));
      if (it == q.end()) return AXION_ERR;
      std::string text = it->second.dump();
      cb(user, make_str(text));
      return AXION_OK;
    };
    api_.command = [](void* ctx, axion_str what, axion_str args, axion_json_cb cb,
                      void* user) -> axion_status {
      auto a = nlohmann::json::parse(view(args), nullptr, false);
      self(ctx)->commands.push_back({std::string(view(what)), a.is_discarded() ? nlohmann::json() : a});
      if (!self(ctx)->accept_commands) return AXION_ERR;
      std::string text = "{}";
      cb(user, make_str(text));
      return AXION_OK;
    };
    api_.subscribe_events = [](void* ctx, std::int64_t since, axion_event_cb cb, void* user,
                               std::int64_t* oldest) -> std::int64_t {
      auto* h = self(ctx);
      std::lock_guard lock(h->events_mu_);
      if (oldest) *oldest = 0;
      if (since >= 0) {
        if (oldest) *oldest = h->stream_.empty() ? h->next_sequence_ : h->stream_.front().sequence;
        for (const auto& e : h->stream_) {
          if (e.sequence > since) cb(user, e.sequence, make_str(e.channel), make_str(e.envelope));
        }
      }
      const std::int64_t id = h->next_sub_++;
      h->subs_[id] = {cb, user};
      return id;
    };
    api_.unsubscribe_events = [](void* ctx, std::int64_t id) {
      auto* h = self(ctx);
      std::lock_guard lock(h->events_mu_);
      h->subs_.erase(id);
    };
    api_.daily_returns = [](void* ctx, axion_str t, double* out, std::uint32_t max) -> std::uint32_t {
      auto& r = self(ctx)->returns;
      auto it = r.find(std::string(view(t)));
      if (it == r.end()) return 0;
      const auto& v = it->second;
      const std::size_t n = std::min<std::size_t>(v.size(), max);
      std::copy(v.end() - static_cast<std::ptrdiff_t>(n), v.end(), out);
      return static_cast<std::uint32_t>(n);
    };
    api_.positions = [](void* ctx, axion_position_view_cb cb, void* user) -> axion_status {
      for (const auto& p : self(ctx)->open_positions) {
        axion_position_view v{sizeof(axion_position_view), make_str(p.ticker), make_str(p.underlying),
                              make_str(p.direction), make_str(p.strategy), p.shares, p.entry_price,
                              p.current_price, p.entry_time_us, p.is_inverse ? 1 : 0};
        cb(user, &v);
      }
      return AXION_OK;
    };
    api_.account = [](void* ctx, axion_account* out) -> axion_status {
      const Account& a = self(ctx)->engine_account;
      *out = {sizeof(axion_account), a.equity, a.cash, a.buying_power, a.starting_equity};
      return AXION_OK;
    };
    api_.kill_state = [](void* ctx, axion_str strategy, axion_str symbol, axion_kill_state* out) -> axion_status {
      *out = {sizeof(axion_kill_state), AXION_KILL_NONE, AXION_KILL_SCOPE_GLOBAL, 0};
      for (const auto& k : self(ctx)->kills) {
        fold_kill(*out, k.level, k.scope, kill_covers(k.scope, k.target, view(strategy), view(symbol)));
      }
      return AXION_OK;
    };
    api_.rate_budget_declare = [](void* ctx, axion_str name, std::uint32_t capacity, std::int64_t window_us,
                                  axion_error* err) -> axion_status {
      std::string why = self(ctx)->rate_budgets.declare(std::string(view(name)), capacity, window_us);
      if (why.empty()) return AXION_OK;
      if (err) copy_to(err->message, why);
      return AXION_ERR;
    };
    api_.rate_budget_take = [](void* ctx, axion_str name, std::uint32_t cost, std::int32_t priority,
                               std::int64_t* retry_after_us) -> std::int32_t {
      RateWindow* w = self(ctx)->rate_budgets.find(std::string(view(name)));
      if (!w) return -1;
      auto t = w->take(cost, priority == AXION_RATE_URGENT, self(ctx)->rate_clock_us());
      if (retry_after_us) *retry_after_us = t.retry_after_us;
      return t.taken ? 1 : t.never ? -2 : 0;
    };
    api_.rate_budget_remaining = [](void* ctx, axion_str name) -> std::int64_t {
      RateWindow* w = self(ctx)->rate_budgets.find(std::string(view(name)));
      return w ? w->remaining(self(ctx)->rate_clock_us()) : -1;
    };
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const axion_host_api* api() const { return &api_; }

  FakeClock clock;
  std::int64_t wall_us = 0;
  RecordingBus bus;
  std::map<std::string, double> prices;
  std::map<std::string, std::vector<double>> returns;  // daily returns per ticker, oldest first
  std::vector<ContextPosition> open_positions;         // what host().positions() lists
  Account engine_account;                              // what host().account() reads
  struct Kill {
    int level = AXION_KILL_FLATTEN;
    int scope = AXION_KILL_SCOPE_GLOBAL;
    std::string target;
  };
  std::vector<Kill> kills;  // what host().kill_state() looks through
  RateBudgets rate_budgets;
  // The rate budgets' clock (µs), set by the test; atomic: plugins take from their own threads.
  std::atomic<std::int64_t> rate_wall_us{0};
  std::int64_t rate_clock_us() const { return rate_wall_us.load(); }
  std::optional<nlohmann::json> saved_state;
  std::map<std::string, nlohmann::json> queries;  // answers for host.query(what)
  // Consulted before `queries`, with the query's arguments; nullopt falls through to `queries`.
  // May be called from a plugin's own threads (add-ons), so it must be thread-safe.
  std::function<std::optional<nlohmann::json>(std::string what, nlohmann::json args)> query_handler;
  struct Command {
    std::string what;
    nlohmann::json args;
  };
  std::vector<Command> commands;  // every host.command() a plugin made
  bool accept_commands = true;
  std::vector<std::pair<int, std::string>> logs;
  std::mutex logs_mu;  // held while a log line is appended; lock it to read `logs` while an add-on runs

  // The engine's event stream as an add-on sees it: emit_event numbers the event, keeps it in a
  // bounded buffer (replay_capacity) and hands the envelope to every subscriber. Thread-safe.
  std::int64_t emit_event(const std::string& channel, const std::string& event,
                          const nlohmann::json& data) {
    std::lock_guard lock(events_mu_);
    StreamEvent e;
    e.sequence = next_sequence_++;
    e.channel = channel;
    e.envelope = nlohmann::json{{"channel", channel}, {"event", event}, {"data", data},
                                {"timestamp", time::to_iso(clock.now_us())}, {"sequence", e.sequence}}
                     .dump();
    stream_.push_back(e);
    while (stream_.size() > replay_capacity) stream_.pop_front();
    for (auto& [id, sub] : subs_) sub.first(sub.second, e.sequence, make_str(e.channel), make_str(e.envelope));
    return e.sequence;
  }
  std::size_t subscriber_count() {
    std::lock_guard lock(events_mu_);
    return subs_.size();
  }
  std::size_t replay_capacity = 10'000;

 private:
  struct StreamEvent {
    std::int64_t sequence = 0;
    std::string channel, envelope;
  };
  static FakeHost* self(void* ctx) { return static_cast<FakeHost*>(ctx); }
  axion_host_api api_{};
  std::mutex events_mu_;
  std::deque<StreamEvent> stream_;
  std::int64_t next_sequence_ = 1;
  std::map<std::int64_t, std::pair<axion_event_cb, void*>> subs_;
  std::int64_t next_sub_ = 1;
};

// Thrown when a plugin call returns an error status; carries the plugin's message and key.
struct PluginCallError : std::runtime_error {
  PluginCallError(const std::string& msg, std::string k) : std::runtime_error(msg), key(std::move(k)) {}
  std::string key;
};

// One plugin instance created through the C ABI.
class PluginHarness {
 public:
  // From an entry function linked into the test.
  PluginHarness(axion_entry_fn entry, FakeHost& host, const nlohmann::json& config = {})
      : host_(host) {
    init(entry(), config);
  }
  // From a built shared library (dlopen'ed; closed when the harness is destroyed).
  PluginHarness(const std::string& so_path, FakeHost& host, const nlohmann::json& config = {})
      : host_(host) {
    lib_ = dlopen(so_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib_) throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
    auto entry = reinterpret_cast<axion_entry_fn>(dlsym(lib_, AXION_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error("missing entry symbol " AXION_ENTRY_SYMBOL);
    init(entry(), config);
  }
  ~PluginHarness() {
    if (self_ && manifest_) manifest_->destroy(self_);
    if (lib_) dlclose(lib_);
  }
  PluginHarness(const PluginHarness&) = delete;
  PluginHarness& operator=(const PluginHarness&) = delete;

  const axion_plugin_manifest& manifest() const { return *manifest_; }
  nlohmann::json schema() const { return nlohmann::json::parse(manifest_->config_schema_json); }

  // ---- feed
  // nullopt at the end of data, or, with *idle set, when a live feed has no bar ready yet.
  std::optional<Bar> next_bar(std::int64_t* pace_us = nullptr, bool* idle = nullptr) {
    auto* vt = vtable<axion_feed_vtable>(AXION_KIND_FEED);
    axion_bar b{};
    std::int64_t pace = 0;
    axion_error err{};
    int rc = vt->next(self_, &b, &pace, &err);
    if (rc < 0) throw PluginCallError(err.message, err.key);
    if (pace_us) *pace_us = pace;
    if (idle) *idle = rc == AXION_FEED_IDLE;
    if (rc != AXION_FEED_BAR) return std::nullopt;
    return Bar{std::string(view(b.symbol)), std::string(view(b.timeframe)), b.ts_us, b.open,
               b.high, b.low, b.close, b.volume, from_c(b).warmup};
  }

  // ---- strategy
  std::vector<Signal> on_bar(const BarView& bar) {
    auto* vt = vtable<axion_strategy_vtable>(AXION_KIND_STRATEGY);
    std::vector<Signal> out;
    axion_bar c = to_c(bar);
    axion_error err{};
    auto sink = [](void* ctx, const axion_signal* s) {
      static_cast<std::vector<Signal>*>(ctx)->push_back(from_c(*s));
    };
    if (vt->on_bar(self_, &c, sink, &out, &err) != AXION_OK) {
      throw PluginCallError(err.message, err.key);
    }
    return out;
  }

  // Feeds a bar and only counts the signals (nothing is converted or kept), so a test can
  // measure the plugin's own allocations, its emission included.
  std::size_t on_bar_count(const BarView& bar) {
    auto* vt = vtable<axion_strategy_vtable>(AXION_KIND_STRATEGY);
    std::size_t count = 0;
    axion_bar c = to_c(bar);
    axion_error err{};
    auto sink = [](void* ctx, const axion_signal*) { ++*static_cast<std::size_t*>(ctx); };
    if (vt->on_bar(self_, &c, sink, &count, &err) != AXION_OK) {
      throw PluginCallError(err.message, err.key);
    }
    return count;
  }

  // ---- guard
  Verdict check(const Signal& s) {
    auto* vt = vtable<axion_guard_vtable>(AXION_KIND_GUARD);
    SignalArrays arrays;
    axion_signal c = to_c(s, arrays);
    axion_verdict v{};
    axion_error err{};
    if (vt->check(self_, &c, &v, &err) != AXION_OK) throw PluginCallError(err.message, err.key);
    return {v.pass != 0, v.reason};
  }
  // The check of a signal already in C form: nothing converted on the harness side, so a test
  // can count the plugin's own allocations per call (a rejection's reason is copied here).
  bool check_passes(const axion_signal& c) {
    auto* vt = vtable<axion_guard_vtable>(AXION_KIND_GUARD);
    axion_verdict v{};
    axion_error err{};
    if (vt->check(self_, &c, &v, &err) != AXION_OK) throw PluginCallError(err.message, err.key);
    return v.pass != 0;
  }
  void on_outcome(const Signal& s, const std::string& stage) {
    SignalArrays arrays;
    on_outcome(to_c(s, arrays), stage);
  }
  // The outcome of a signal already in C form (see check_passes).
  void on_outcome(const axion_signal& c, std::string_view stage) {
    auto* vt = vtable<axion_guard_vtable>(AXION_KIND_GUARD);
    vt->on_outcome(self_, &c, make_str(stage));
  }

  // ---- regime
  void regime_on_bar(const BarView& bar) {
    auto* vt = vtable<axion_regime_vtable>(AXION_KIND_REGIME);
    axion_bar c = to_c(bar);
    axion_error err{};
    if (vt->on_bar(self_, &c, &err) != AXION_OK) throw PluginCallError(err.message, err.key);
  }
  // Verdict, and the effective limits when it passes (a copy of `base` with the regime's
  // changes).
  Verdict regime_evaluate(const Signal& s, const Limits& base, Limits& effective) {
    auto* vt = vtable<axion_regime_vtable>(AXION_KIND_REGIME);
    SignalArrays arrays;
    axion_signal c = to_c(s, arrays);
    LimitsLists lists;
    const axion_limits b = to_c(base, lists);
    axion_limits e = b;
    axion_verdict v{};
    axion_error err{};
    if (vt->evaluate(self_, &c, &b, &e, &v, &err) != AXION_OK) {
      throw PluginCallError(err.message, err.key);
    }
    if (v.pass) from_c(e, effective);
    return {v.pass != 0, v.reason};
  }

  // ---- risk (context: what the engine passes with each signal or order)
  Verdict risk_check_signal(const Signal& s, const Context& context,
                            RiskOutputs* outputs = nullptr) {
    auto* vt = vtable<axion_risk_vtable>(AXION_KIND_RISK);
    if (outputs) *outputs = {};
    if (!vt->check_signal) return Verdict::ok();
    SignalArrays arrays;
    axion_signal c = to_c(s, arrays);
    axion_verdict v{};
    axion_risk_outputs o{};
    axion_error err{};
    if (vt->check_signal(self_, &c, records_.fill(context), &v, &o, &err) != AXION_OK) {
      throw PluginCallError(err.message, err.key);
    }
    if (outputs) {
      outputs->var_cap = o.has_var_cap ? std::optional<double>(o.var_cap) : std::nullopt;
      outputs->assessment_json = std::string(view(o.assessment_json));
    }
    return {v.pass != 0, v.reason};
  }
  Verdict risk_check_order(const Order& o, const Context& context = {}) {
    auto* vt = vtable<axion_risk_vtable>(AXION_KIND_RISK);
    if (!vt->check_order) return Verdict::ok();
    axion_order c = to_c(o);
    axion_verdict v{};
    axion_error err{};
    if (vt->check_order(self_, &c, records_.fill(context), &v, &err) != AXION_OK) {
      throw PluginCallError(err.message, err.key);
    }
    return {v.pass != 0, v.reason};
  }
  void risk_on_fill(const Order& o, const OrderResult& r) {
    auto* vt = vtable<axion_risk_vtable>(AXION_KIND_RISK);
    if (!vt->on_fill) return;
    axion_order c = to_c(o);
    axion_order_result cr = to_c(r);
    vt->on_fill(self_, &c, &cr);
  }

  // ---- routing: `decision` starts as context.route (the engine's default stock route for the
  // signal unless the test sets another) and holds the plugin's decision when it passes.
  Verdict route(const Signal& s, const Context& context, Route& decision) {
    auto* vt = vtable<axion_routing_vtable>(AXION_KIND_ROUTING);
    SignalArrays arrays;
    axion_signal c = to_c(s, arrays);
    Context ctx = context;
    if (ctx.route.ticker.empty()) ctx.route = Route::stock(s);
    axion_route d = to_c(ctx.route);
    axion_verdict v{};
    axion_error err{};
    if (vt->route(self_, &c, records_.fill(ctx), &d, &v, &err) != AXION_OK) {
      throw PluginCallError(err.message, err.key);
    }
    if (v.pass) from_c(d, decision);
    return {v.pass != 0, v.reason};
  }

  // ---- sizing
  std::string sizing_instrument_type() const {
    auto* vt = vtable<axion_sizing_vtable>(AXION_KIND_SIZING);
    return vt->instrument_type ? vt->instrument_type : "";
  }
  Verdict size(const Signal& s, const Context& context, PositionSize& out) {
    auto* vt = vtable<axion_sizing_vtable>(AXION_KIND_SIZING);
    SignalArrays arrays;
    axion_signal c = to_c(s, arrays);
    axion_position_size ps{};
    axion_verdict v{};
    axion_error err{};
    if (vt->size_position(self_, &c, records_.fill(context), &ps, &v, &err) != AXION_OK) {
      throw PluginCallError(err.message, err.key);
    }
    out = {ps.shares, ps.notional_value, ps.risk_amount, ps.conviction_multiplier, ps.order_type};
    return {v.pass != 0, v.reason};
  }

  // ---- broker
  OrderResult submit(const Order& o) {
    auto* vt = vtable<axion_broker_vtable>(AXION_KIND_BROKER);
    axion_order c = to_c(o);
    axion_order_result r{};
    axion_error err{};
    if (vt->submit(self_, &c, &r, &err) != AXION_OK) throw PluginCallError(err.message, err.key);
    return from_c(r);
  }
  std::optional<OrderResult> query_order(const std::string& cid) {
    auto* vt = vtable<axion_broker_vtable>(AXION_KIND_BROKER);
    axion_order_result r{};
    axion_error err{};
    if (vt->query_order(self_, make_str(cid), &r, &err) != AXION_OK) return std::nullopt;
    return from_c(r);
  }
  // True when the broker took the cancel; false with its reason in *message otherwise.
  bool cancel_order(const std::string& cid, std::string* message = nullptr) {
    auto* vt = vtable<axion_broker_vtable>(AXION_KIND_BROKER);
    axion_error err{};
    const bool ok = vt->cancel_order(self_, make_str(cid), &err) == AXION_OK;
    if (!ok && message) *message = err.message;
    return ok;
  }
  std::vector<BrokerPosition> positions() {
    auto* vt = vtable<axion_broker_vtable>(AXION_KIND_BROKER);
    std::vector<BrokerPosition> out;
    axion_error err{};
    auto cb = [](void* user, const axion_broker_position* p) {
      static_cast<std::vector<BrokerPosition>*>(user)->push_back(
          {std::string(view(p->symbol)), p->qty, std::string(view(p->side)), p->avg_price,
           p->current_price});
    };
    if (vt->positions(self_, cb, &out, &err) != AXION_OK) {
      throw PluginCallError(err.message, err.key);
    }
    return out;
  }
  Account account() {
    auto* vt = vtable<axion_broker_vtable>(AXION_KIND_BROKER);
    axion_account a{};
    axion_error err{};
    if (vt->account(self_, &a, &err) != AXION_OK) throw PluginCallError(err.message, err.key);
    return {a.equity, a.cash, a.buying_power, a.starting_equity};
  }
  // The broker's AXION_BROKER_* flags as the host reads them (0 from a table without them).
  std::uint32_t broker_flags() {
    auto* vt = vtable<axion_broker_vtable>(AXION_KIND_BROKER);
    if (vt->size < offsetof(axion_broker_vtable, flags) + sizeof(vt->flags) || !vt->flags) return 0;
    return vt->flags(self_);
  }

  // ---- addon
  void addon_start() {
    auto* vt = vtable<axion_addon_vtable>(AXION_KIND_ADDON);
    axion_error err{};
    if (vt->start(self_, &err) != AXION_OK) throw PluginCallError(err.message, err.key);
  }
  void addon_stop() {
    auto* vt = vtable<axion_addon_vtable>(AXION_KIND_ADDON);
    vt->stop(self_);
  }

  void* instance() const { return self_; }

 private:
  void init(const axion_plugin_manifest* m, const nlohmann::json& config) {
    if (!m) throw std::runtime_error("entry returned no manifest");
    manifest_ = m;
    std::string text = config.is_null() ? std::string("{}") : config.dump();
    axion_error err{};
    if (m->create(host_.api(), make_str(text), &self_, &err) != AXION_OK) {
      self_ = nullptr;
      throw PluginCallError(err.message, err.key);
    }
  }
  static void json_cb(void* user, axion_str text) {
    auto v = nlohmann::json::parse(view(text), nullptr, false);
    *static_cast<nlohmann::json*>(user) = v.is_discarded() ? nlohmann::json() : v;
  }
  template <class V>
  const V* vtable(int kind) const {
    if (manifest_->kind != kind) throw std::logic_error("plugin is of another kind");
    return static_cast<const V*>(manifest_->vtable);
  }

  FakeHost& host_;
  StageRecords records_;
  void* lib_ = nullptr;
  const axion_plugin_manifest* manifest_ = nullptr;
  void* self_ = nullptr;
};

// The config key a plugin names when it refuses `config` ("<accepted>" when it builds), for
// config tests: every refusal must name its key, and the message must mention it.
inline std::string config_error_key(const std::string& so_path, const nlohmann::json& config) {
  FakeHost host;
  try {
    PluginHarness h(so_path, host, config);
  } catch (const PluginCallError& e) {
    if (std::string(e.what()).find(e.key) == std::string::npos) {
      return "<message does not name the key: " + std::string(e.what()) + ">";
    }
    return e.key;
  }
  return "<accepted>";
}

}  // namespace axion::sdk::testing
