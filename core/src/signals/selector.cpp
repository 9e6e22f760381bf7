#include "axion/core/signals/selector.hpp"

#include <cmath>
#include <cstdio>

#include "axion/sdk/time.hpp"

namespace axion::core {
namespace {

std::string adx_text(double adx) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", adx);
  return buf;
}

double round1(double x) { return std::round(x * 10) / 10; }

const std::vector<Signal>* fired(const SignalsByStrategy& s, const std::string& name) {
  auto it = s.find(name);
  return it == s.end() || it->second.empty() ? nullptr : &it->second;
}

}  // namespace

const char* classify_trend(double adx, const SelectorConfig& cfg) {
  if (adx >= cfg.strong_threshold) return "strong_trend";
  if (adx >= cfg.moderate_threshold) return "moderate_trend";
  if (adx >= cfg.weak_threshold) return "weak_trend";
  return "no_trend";
}

json StrategyChoice::to_json() const {
  return {{"ticker", ticker},         {"selected_strategy", selected_strategy},
          {"trend_strength", trend_strength}, {"adx_value", round1(adx_value)},
          {"regime", regime},         {"confidence", round1(confidence)},
          {"reasoning", reasoning},   {"timestamp", sdk::time::to_iso(ts_us)},
          {"signal_count", signals.size()}};
}

StrategyChoice select_strategy(const std::string& ticker, double adx, const std::string& regime,
                               const SignalsByStrategy& signals, const SelectorConfig& cfg,
                               std::int64_t now_us) {
  StrategyChoice c;
  c.ticker = ticker;
  c.regime = regime;
  c.ts_us = now_us;
  auto take = [&](const std::string& name, bool all) {
    c.selected_strategy = name;
    if (const auto* v = fired(signals, name)) {
      if (all) c.signals = *v;
      else c.signals.push_back(v->front());
    }
  };
  // A named strategy's signals: all of the trend strategy's (its detector may emit several).
  auto take_named = [&](const std::string& name) { take(name, name == cfg.trend_strategy); };

  // 1. Regime override (no ADX).
  if (auto it = cfg.regime_override.find(regime); it != cfg.regime_override.end()) {
    take_named(it->second);
    c.confidence = 80.0;
    c.reasoning = "Regime override: " + regime + " → " + it->second;
    return c;
  }
  // 2. Forced.
  if (!cfg.force_strategy.empty()) {
    take_named(cfg.force_strategy);
    c.confidence = 100.0;
    c.reasoning = "Forced strategy: " + cfg.force_strategy;
    return c;
  }
  // 3. ADX gate.
  c.adx_value = adx;
  c.trend_strength = classify_trend(adx, cfg);
  const bool strong = c.trend_strength == std::string("strong_trend");
  const bool moderate = c.trend_strength == std::string("moderate_trend");
  const bool trending = strong || moderate;
  const std::string gate = trending ? cfg.trend_strategy : cfg.range_strategy;
  const std::string why = c.trend_strength + " (ADX=" + adx_text(adx) + ") → ";

  if (gate == "ema_cloud") {
    // 4. Qullamaggie routing, then 5. Ripster refinement: first strategy that fired wins.
    struct Route {
      const char* name;
      bool eligible;
      double confidence;
    };
    const Route routes[] = {{"qullamaggie_breakout", trending, 85.0},
                            {"qullamaggie_ep", true, 80.0},
                            {"qullamaggie_parabolic_short", true, 75.0},
                            {"trend_day", strong, 90.0},
                            {"pullback_to_cloud", trending, 80.0},
                            {"session_scalp", true, 65.0}};
    for (const auto& r : routes) {
      if (r.eligible && fired(signals, r.name)) {
        take(r.name, false);
        c.confidence = r.confidence;
        c.reasoning = why + r.name;
        return c;
      }
    }
  }
  // 6. By strength.
  take_named(gate);
  const std::string a = adx_text(adx);
  if (strong) c.confidence = 90.0, c.reasoning = "Strong trend (ADX=" + a + ") → EMA Cloud";
  else if (moderate) c.confidence = 70.0, c.reasoning = "Moderate trend (ADX=" + a + ") → EMA Cloud";
  else if (c.trend_strength == std::string("weak_trend"))
    c.confidence = 55.0, c.reasoning = "Weak trend (ADX=" + a + ") → Mean-Reversion";
  else c.confidence = 75.0, c.reasoning = "No trend (ADX=" + a + ") → Mean-Reversion";
  return c;
}

// ---- A/B statistics -----------------------------------------------------------------------

AbStats::AbStats() {
  for (const char* s : {"ema_cloud", "mean_reversion", "pullback_to_cloud", "trend_day", "session_scalp",
                        "qullamaggie_breakout", "qullamaggie_ep", "qullamaggie_parabolic_short"}) {
    row(s);
  }
}

AbStats::Row& AbStats::row(const std::string& s) {
  auto it = rows_.find(s);
  if (it != rows_.end()) return it->second;
  order_.push_back(s);
  return rows_[s];
}

void AbStats::record_signal(const std::string& strategy, std::int64_t n) { row(strategy).signals += n; }

void AbStats::record_outcome(const std::string& strategy, double pnl) {
  Row& r = row(strategy);
  ++r.trades;
  if (pnl > 0) ++r.wins;
  r.total_pnl += pnl;
}

json AbStats::stats(const std::string& strategy) const {
  auto it = rows_.find(strategy);
  Row r = it == rows_.end() ? Row{} : it->second;
  const double t = static_cast<double>(std::max<std::int64_t>(r.trades, 1));
  return {{"signals", r.signals},
          {"trades", r.trades},
          {"wins", r.wins},
          {"win_rate", std::round(static_cast<double>(r.wins) / t * 1e4) / 1e4},
          {"total_pnl", std::round(r.total_pnl * 100) / 100},
          {"avg_pnl", std::round(r.total_pnl / t * 100) / 100}};
}

json AbStats::stats() const {
  json out = json::object();
  for (const auto& name : order_) out[name] = stats(name);
  return out;
}

}  // namespace axion::core
