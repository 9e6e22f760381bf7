// The context the engine passes to stage plugins (risk, routing, sizing) with each signal or
// order, as typed C++ values. The wire format is JSON (see Context::parse for every key), so
// the C ABI stays small and new keys can be added without breaking old plugins.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/sdk/error.hpp"
#include "axion/sdk/types.hpp"

namespace axion::sdk {

struct ContextPosition {
  std::string ticker;      // traded ticker (an ETF for ETF routes)
  std::string underlying;  // the signal's ticker
  std::string direction;   // in the traded instrument: "long" | "short"
  std::int64_t shares = 0;
  double entry_price = 0;
  double current_price = 0;
  std::string strategy;
  std::int64_t entry_time_us = 0;
  double market_value() const { return static_cast<double>(shares) * current_price; }
};

struct Context {
  Account account;                       // current account (§1.3)
  std::vector<ContextPosition> positions;
  double daily_pnl = 0;                  // state manager, rollover-aware
  int daily_trade_count = 0;             // closes today
  int entries_today = 0;                 // entries opened on the current trading date
  bool kill_switch_active = false;
  std::string circuit_breaker_status = "closed";
  std::string regime = "sideways";       // current regime name
  double regime_confidence = 0.5;
  // The effective config of this signal: [executor] + [lifecycle] keys, overlaid by regime
  // adaptation, plus `position_size_multiplier` and `stop_loss_mult` (1.0 without a regime).
  nlohmann::json effective_config = nlohmann::json::object();
  // The routing decision so far: {instrument_type, ticker, leverage, is_inverse,
  // reference_price, fallback_from?}.
  nlohmann::json decision = nlohmann::json::object();
  bool has_var_cap = false;              // risk/unified produced a VaR cap for this signal
  double var_cap = 0;                    // that cap in dollars (0 = no budget left)
  bool broker_can_trade_options = false;
  std::int64_t now_us = 0;               // engine clock

  double effective(const char* key, double fallback) const {
    auto it = effective_config.find(key);
    return it != effective_config.end() && it->is_number() ? it->get<double>() : fallback;
  }
  std::string effective_str(const char* key, const std::string& fallback) const {
    auto it = effective_config.find(key);
    return it != effective_config.end() && it->is_string() ? it->get<std::string>() : fallback;
  }
  bool effective_bool(const char* key, bool fallback) const {
    auto it = effective_config.find(key);
    return it != effective_config.end() && it->is_boolean() ? it->get<bool>() : fallback;
  }

  // Strict readers for fields the engine always sends (every ExecutorConfig field, §1.7): a
  // missing or mistyped one is a contract violation and throws, never a private default.
  const nlohmann::json& require(const char* key) const {
    auto it = effective_config.find(key);
    if (it == effective_config.end()) {
      throw Error("effective config has no '" + std::string(key) + "'");
    }
    return *it;
  }
  double require_number(const char* key) const {
    const auto& v = require(key);
    if (!v.is_number() || !std::isfinite(v.get<double>())) {
      throw Error("effective config '" + std::string(key) + "' is not a finite number");
    }
    return v.get<double>();
  }
  // A number that may be absent (regime multipliers: 1.0 without regime adaptation).
  double require_number_or(const char* key, double absent) const {
    return effective_config.contains(key) ? require_number(key) : absent;
  }
  bool require_bool(const char* key) const {
    const auto& v = require(key);
    if (!v.is_boolean()) throw Error("effective config '" + std::string(key) + "' is not a bool");
    return v.get<bool>();
  }
  std::string require_string(const char* key) const {
    const auto& v = require(key);
    if (!v.is_string()) throw Error("effective config '" + std::string(key) + "' is not a string");
    return v.get<std::string>();
  }

  static Context parse(const nlohmann::json& j) {
    Context c;
    if (!j.is_object()) return c;
    if (auto a = j.find("account"); a != j.end() && a->is_object()) {
      c.account = {a->value("equity", 0.0), a->value("cash", 0.0), a->value("buying_power", 0.0),
                   a->value("starting_equity", 0.0)};
    }
    if (auto ps = j.find("positions"); ps != j.end() && ps->is_array()) {
      for (const auto& p : *ps) {
        ContextPosition cp;
        cp.ticker = p.value("ticker", "");
        cp.underlying = p.value("underlying", cp.ticker);
        cp.direction = p.value("direction", "long");
        cp.shares = p.value("shares", std::int64_t{0});
        cp.entry_price = p.value("entry_price", 0.0);
        cp.current_price = p.value("current_price", 0.0);
        cp.strategy = p.value("strategy", "");
        cp.entry_time_us = p.value("entry_time_us", std::int64_t{0});
        c.positions.push_back(std::move(cp));
      }
    }
    c.daily_pnl = j.value("daily_pnl", 0.0);
    c.daily_trade_count = j.value("daily_trade_count", 0);
    c.entries_today = j.value("entries_today", 0);
    c.kill_switch_active = j.value("kill_switch_active", false);
    c.circuit_breaker_status = j.value("circuit_breaker_status", "closed");
    c.regime = j.value("regime", "sideways");
    c.regime_confidence = j.value("regime_confidence", 0.5);
    if (auto e = j.find("effective_config"); e != j.end() && e->is_object()) c.effective_config = *e;
    if (auto d = j.find("decision"); d != j.end() && d->is_object()) c.decision = *d;
    if (auto v = j.find("var_cap"); v != j.end() && v->is_number()) {
      c.has_var_cap = true;
      c.var_cap = v->get<double>();
    }
    c.broker_can_trade_options = j.value("broker_can_trade_options", false);
    c.now_us = j.value("now_us", std::int64_t{0});
    return c;
  }
};

}  // namespace axion::sdk
