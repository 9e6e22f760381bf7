// The host services a plugin instance may use, as a small C++ object over axion_host_api.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/plugin_api.h"
#include "axion/sdk/context.hpp"
#include "axion/sdk/error.hpp"
#include "axion/sdk/types.hpp"

namespace axion::sdk {

class Host {
 public:
  explicit Host(const axion_host_api* api) : api_(api) {}

  void debug(std::string_view msg) const { log(AXION_LOG_DEBUG, msg); }
  void info(std::string_view msg) const { log(AXION_LOG_INFO, msg); }
  void warn(std::string_view msg) const { log(AXION_LOG_WARN, msg); }
  void error(std::string_view msg) const { log(AXION_LOG_ERROR, msg); }
  void log(int level, std::string_view msg) const {
    if (api_ && api_->log) api_->log(api_->ctx, level, make_str(msg));
  }

  // Engine clock (µs since epoch, UTC).
  std::int64_t now_us() const { return api_ && api_->now_us ? api_->now_us(api_->ctx) : 0; }
  std::int64_t wall_now_us() const {
    return api_ && api_->wall_now_us ? api_->wall_now_us(api_->ctx) : 0;
  }

  std::optional<double> last_price(std::string_view ticker) const {
    double p = 0;
    if (api_ && api_->last_price && api_->last_price(api_->ctx, make_str(ticker), &p) == 1) return p;
    return std::nullopt;
  }

  // Daily close-to-close returns of `ticker`, oldest first: the latest `max` known ones, into
  // `out` (its capacity is reused). Empty when none are known. No JSON, for per-signal checks.
  void daily_returns(std::string_view ticker, std::size_t max, std::vector<double>& out) const {
    out.resize(max);
    std::uint32_t n = 0;
    if (api_ && api_->size >= offsetof(axion_host_api, daily_returns) + sizeof(api_->daily_returns) &&
        api_->daily_returns && max > 0) {
      n = api_->daily_returns(api_->ctx, make_str(ticker), out.data(), static_cast<std::uint32_t>(max));
    }
    out.resize(std::min<std::size_t>(n, max));
  }

  // ---- typed engine reads (engine thread, from inside a plugin call) ----

  // The open positions, oldest first; empty when none (or the host predates the service).
  std::vector<ContextPosition> positions() const {
    std::vector<ContextPosition> out;
    if (!offers(offsetof(axion_host_api, positions), sizeof(api_->positions)) || !api_->positions) return out;
    auto cb = [](void* user, const axion_position_view* p) {
      auto& v = *static_cast<std::vector<ContextPosition>*>(user);
      v.push_back({std::string(view(p->ticker)), std::string(view(p->underlying)),
                   std::string(view(p->direction)), p->shares, p->entry_price, p->current_price,
                   std::string(view(p->strategy)), p->entry_time_us, p->is_inverse != 0});
    };
    if (api_->positions(api_->ctx, cb, &out) != AXION_OK) throw Error("host could not list positions");
    return out;
  }

  // The account as the engine last read it; nullopt when the host offers no such service.
  std::optional<Account> account() const {
    if (!offers(offsetof(axion_host_api, account), sizeof(api_->account)) || !api_->account) return std::nullopt;
    axion_account a{};
    a.size = sizeof a;
    if (api_->account(api_->ctx, &a) != AXION_OK) throw Error("host could not read the account");
    return Account{a.equity, a.cash, a.buying_power, a.starting_equity};
  }

  struct KillState {
    int level = AXION_KILL_NONE;  // the strongest covering kill (AXION_KILL_*)
    int scope = AXION_KILL_SCOPE_GLOBAL;
    bool global_active = false;
    bool blocks_entries() const { return level >= AXION_KILL_BLOCK_NEW; }
    bool reduce_only() const { return level >= AXION_KILL_REDUCE_ONLY; }
  };
  // The strongest kill covering `strategy` and `symbol` ("" for either matches only global kills).
  // Without the service: no kill known (the host's own checks still hold).
  KillState kill_state(std::string_view strategy = {}, std::string_view symbol = {}) const {
    KillState out;
    if (!offers(offsetof(axion_host_api, kill_state), sizeof(api_->kill_state)) || !api_->kill_state) return out;
    axion_kill_state k{};
    k.size = sizeof k;
    if (api_->kill_state(api_->ctx, make_str(strategy), make_str(symbol), &k) != AXION_OK) {
      throw Error("host could not read the kill state");
    }
    out.level = k.level;
    out.scope = k.scope;
    out.global_active = k.global_active != 0;
    return out;
  }

  // ---- rate budgets shared by the plugins of one account (any thread) ----

  // Declares or joins budget `name`: at most `capacity` requests in any rolling `window_us`.
  // Throws Error when the host refuses (another plugin declared it with other numbers) or has
  // no budgets.
  void declare_rate_budget(std::string_view name, std::uint32_t capacity, std::int64_t window_us) const {
    if (!offers(offsetof(axion_host_api, rate_budget_declare), sizeof(api_->rate_budget_declare)) ||
        !api_->rate_budget_declare) {
      throw Error("host offers no rate budgets (rate_budget_declare)");
    }
    axion_error err{};
    err.size = sizeof err;
    if (api_->rate_budget_declare(api_->ctx, make_str(name), capacity, window_us, &err) != AXION_OK) {
      throw Error(err.message[0] ? err.message : "rate budget refused");
    }
  }
  struct RateTake {
    bool taken = false;
    std::int64_t retry_after_us = 0;  // when not taken: how long until it would be
  };
  // Takes `cost` requests from budget `name` now, or says how long to wait. Never blocks.
  // urgent: order submission and cancels (they may use the whole budget).
  RateTake take_rate(std::string_view name, std::uint32_t cost = 1, bool urgent = false) const {
    if (!offers(offsetof(axion_host_api, rate_budget_take), sizeof(api_->rate_budget_take)) ||
        !api_->rate_budget_take) {
      throw Error("host offers no rate budgets (rate_budget_take)");
    }
    std::int64_t wait = 0;
    const std::int32_t r = api_->rate_budget_take(api_->ctx, make_str(name), cost,
                                                  urgent ? AXION_RATE_URGENT : AXION_RATE_NORMAL, &wait);
    if (r == -2) {
      throw Error("rate budget '" + std::string(name) + "': " + std::to_string(cost) +
                  " requests at once exceed what it allows at this priority");
    }
    if (r < 0) throw Error("unknown rate budget '" + std::string(name) + "' (declare it first)");
    return {r == 1, r == 1 ? 0 : wait};
  }
  // Requests left in the window now; nullopt for an unknown budget or an older host.
  std::optional<std::int64_t> rate_remaining(std::string_view name) const {
    if (!offers(offsetof(axion_host_api, rate_budget_remaining), sizeof(api_->rate_budget_remaining)) ||
        !api_->rate_budget_remaining) {
      return std::nullopt;
    }
    const std::int64_t n = api_->rate_budget_remaining(api_->ctx, make_str(name));
    if (n < 0) return std::nullopt;
    return n;
  }

  void publish(std::string_view event, const nlohmann::json& data) const {
    if (!api_ || !api_->publish) return;
    std::string text = data.dump();
    api_->publish(api_->ctx, make_str(event), make_str(text));
  }

  std::optional<nlohmann::json> load_state() const {
    if (!api_ || !api_->state_load) return std::nullopt;
    std::optional<nlohmann::json> out;
    auto cb = [](void* user, axion_str json) {
      auto* o = static_cast<std::optional<nlohmann::json>*>(user);
      auto v = nlohmann::json::parse(view(json), nullptr, false);
      if (!v.is_discarded()) *o = std::move(v);
    };
    if (api_->state_load(api_->ctx, cb, &out) != AXION_OK) {
      throw Error("host could not load plugin state");
    }
    return out;
  }

  void save_state(const nlohmann::json& state) const { save_state_text(state.dump()); }
  // The state as JSON text the plugin composed itself (e.g. from cached parts of a large state);
  // it must be one JSON object, as load_state() parses it.
  void save_state_text(std::string_view text) const {
    if (!api_ || !api_->state_save) return;
    if (api_->state_save(api_->ctx, make_str(text)) != AXION_OK) {
      throw Error("host could not save plugin state");
    }
  }

  // Rare read-only engine query as JSON ("engine", "positions", "account", "state", "kill",
  // "returns"); stage calls receive what they need as a typed Context.
  std::optional<nlohmann::json> query(std::string_view what,
                                      const nlohmann::json& args = nlohmann::json::object()) const {
    if (!api_ || !api_->query) return std::nullopt;
    std::optional<nlohmann::json> out;
    std::string a = args.dump();
    auto cb = [](void* user, axion_str json) {
      auto* o = static_cast<std::optional<nlohmann::json>*>(user);
      auto v = nlohmann::json::parse(view(json), nullptr, false);
      if (!v.is_discarded()) *o = std::move(v);
    };
    if (api_->query(api_->ctx, make_str(what), make_str(a), cb, &out) != AXION_OK) {
      return std::nullopt;
    }
    return out;
  }

  // The engine's [engine] symbols (query "engine"); empty when the host does not say.
  std::vector<std::string> engine_symbols() const {
    std::vector<std::string> out;
    auto engine = query("engine");
    if (!engine || !engine->is_object()) return out;
    auto it = engine->find("symbols");
    if (it == engine->end() || !it->is_array()) return out;
    for (const auto& s : *it) {
      if (s.is_string() && !s.get<std::string>().empty()) out.push_back(s.get<std::string>());
    }
    return out;
  }

  // True when the host builds plugins only to validate their configuration (axion-host
  // --check-config): open no connection, start no thread.
  bool check_only() const {
    auto engine = query("engine");
    return engine && engine->is_object() && engine->value("check_only", false);
  }

  // A request to the engine (e.g. "activate_kill"); the answer, or nullopt when the host has
  // no such service (an older host) or refused it.
  std::optional<nlohmann::json> command(std::string_view what,
                                        const nlohmann::json& args = nlohmann::json::object()) const {
    if (!api_ || api_->size < offsetof(axion_host_api, command) + sizeof(api_->command) ||
        !api_->command) {
      return std::nullopt;
    }
    std::optional<nlohmann::json> out;
    std::string a = args.dump();
    auto cb = [](void* user, axion_str json) {
      auto* o = static_cast<std::optional<nlohmann::json>*>(user);
      auto v = nlohmann::json::parse(view(json), nullptr, false);
      if (!v.is_discarded()) *o = std::move(v);
    };
    if (api_->command(api_->ctx, make_str(what), make_str(a), cb, &out) != AXION_OK) {
      return std::nullopt;
    }
    if (!out) out = nlohmann::json::object();
    return out;
  }

  // The engine's event stream (add-ons). The handler runs on the publishing thread and must
  // not block. The subscription ends when the returned handle is destroyed or reset; after
  // that the handler is never called again. An invalid handle means the host refused (or is
  // too old to offer the stream).
  using EventHandler =
      std::function<void(std::int64_t sequence, std::string_view channel, std::string_view envelope)>;
  class EventSubscription {
   public:
    EventSubscription() = default;
    EventSubscription(EventSubscription&& o) noexcept { *this = std::move(o); }
    EventSubscription& operator=(EventSubscription&& o) noexcept {
      if (this != &o) {
        reset();
        api_ = o.api_, id_ = o.id_, handler_ = std::move(o.handler_);
        o.api_ = nullptr, o.id_ = 0;
      }
      return *this;
    }
    ~EventSubscription() { reset(); }
    bool valid() const { return id_ > 0; }
    void reset() {
      if (api_ && id_ > 0) api_->unsubscribe_events(api_->ctx, id_);
      api_ = nullptr, id_ = 0;
      handler_.reset();
    }

   private:
    friend class Host;
    const axion_host_api* api_ = nullptr;
    std::int64_t id_ = 0;
    std::unique_ptr<EventHandler> handler_;
  };

  EventSubscription subscribe_events(std::int64_t since, EventHandler handler,
                                     std::int64_t* oldest_available = nullptr) const {
    EventSubscription sub;
    if (!api_ || api_->size < offsetof(axion_host_api, unsubscribe_events) + sizeof(api_->unsubscribe_events) ||
        !api_->subscribe_events || !api_->unsubscribe_events) {
      return sub;
    }
    sub.handler_ = std::make_unique<EventHandler>(std::move(handler));
    auto cb = [](void* user, std::int64_t seq, axion_str channel, axion_str envelope) {
      (*static_cast<EventHandler*>(user))(seq, view(channel), view(envelope));
    };
    const std::int64_t id = api_->subscribe_events(api_->ctx, since, cb, sub.handler_.get(), oldest_available);
    if (id > 0) sub.api_ = api_, sub.id_ = id;
    else sub.handler_.reset();
    return sub;
  }

  const axion_host_api* raw() const { return api_; }

 private:
  // Whether the host's table reaches a field appended after the first v2 hosts.
  bool offers(std::size_t offset, std::size_t field_size) const {
    return api_ && api_->size >= offset + field_size;
  }
  const axion_host_api* api_;
};

}  // namespace axion::sdk
