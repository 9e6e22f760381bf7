// risk/unified: the pure computation of the unified risk assessment (pipeline.md §5.1), the
// correlation guard (§5.1.1) and the VaR sizer (§5.1.2). No host access: the plugin
// (unified_risk.cpp) gathers the inputs, and the test includes this header to check the math on
// constructed series.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "axion/sdk/market.hpp"
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/sdk/format.hpp"

namespace axion::unified_risk {

using Series = std::vector<double>;
using ReturnsMap = std::map<std::string, Series>;  // sorted by ticker

// ---- formats --------------------------------------------------------------------------------

// `{x:.1f}`, `{x:.2f}`, `{x:.0f}` (printf rounding, §0).
inline std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

// `{x:,.0f}`: no decimals, thousands separators.
inline std::string thousands0(double x) {
  std::string s = fixed(x, 0);
  std::string sign;
  if (!s.empty() && s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  std::string out;
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return sign + out;
}

// Python's round(x, n): the correctly rounded decimal of the binary double (§0 Rounding).
inline double round_to(double x, int decimals) {
  if (!std::isfinite(x)) return x;
  return std::strtod(fixed(x, decimals).c_str(), nullptr);
}

// ---- regime limits (§5.1) -----------------------------------------------------------------

struct RegimeLimits {
  std::string regime;  // the table row used ("sideways" for an unknown regime)
  double position_size_mult = 0.8;
  double max_positions_mult = 0.9;
  double sector_concentration_mult = 1.0;
  double correlation_threshold_mult = 1.0;
  double stop_loss_mult = 0.9;

  nlohmann::json to_dict() const {
    return {{"regime", regime},
            {"position_size_mult", position_size_mult},
            {"max_positions_mult", max_positions_mult},
            {"sector_concentration_mult", sector_concentration_mult},
            {"correlation_threshold_mult", correlation_threshold_mult},
            {"stop_loss_mult", stop_loss_mult}};
  }
};

// The limits of a regime; the lookup is lower-cased, an unknown regime gets the sideways row.
inline RegimeLimits regime_limits(std::string_view regime) {
  const std::string r = sdk::format::ascii_lower(regime);
  if (r == "bull") return {"bull", 1.2, 1.2, 1.1, 1.0, 1.2};
  if (r == "bear") return {"bear", 0.5, 0.6, 0.8, 0.85, 0.8};
  if (r == "crisis") return {"crisis", 0.2, 0.3, 0.5, 0.7, 0.5};
  return {"sideways", 0.8, 0.9, 1.0, 1.0, 0.9};
}

// ---- sector map (§6.1): the SDK's table ---------------------------------------------------

using axion::sdk::market::sector_of;

// ---- correlation guard (§5.1.1) ------------------------------------------------------------

struct CorrelationConfig {
  double max_pairwise_correlation = 0.80;
  int max_cluster_size = 4;
  int lookback_days = 60;
  int min_data_points = 20;
  double cluster_threshold = 0.70;
};

// Pearson correlation over the last n = min(len x, len y) values of each series (most recent end
// aligned); n < min_points or a denominator < 1e-12 ⇒ 0.
inline double pearson(const Series& x, const Series& y, int min_points = 20) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2 || n < static_cast<std::size_t>(std::max(min_points, 0))) return 0.0;
  const std::size_t ox = x.size() - n;
  const std::size_t oy = y.size() - n;
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[ox + i];
    my += y[oy + i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = x[ox + i] - mx;
    const double dy = y[oy + i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const double den = std::sqrt(sxx * syy);
  if (den < 1e-12) return 0.0;
  return sxy / den;
}

struct CorrelationMatrix {
  std::vector<std::string> tickers;  // sorted
  std::vector<std::vector<double>> matrix;
  std::vector<std::vector<std::string>> clusters;
  double max_correlation = 0.0;
  std::string computed_at;

  // Index of a ticker, or -1.
  int index(std::string_view t) const {
    auto it = std::lower_bound(tickers.begin(), tickers.end(), t);
    return it != tickers.end() && *it == t ? static_cast<int>(it - tickers.begin()) : -1;
  }
  bool contains(std::string_view t) const { return index(t) >= 0; }
  double corr(std::string_view a, std::string_view b) const {
    int i = index(a), j = index(b);
    return i < 0 || j < 0 ? 0.0 : matrix[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
  }
  nlohmann::json to_dict() const {
    return {{"tickers", tickers},
            {"matrix", matrix},
            {"clusters", clusters},
            {"max_correlation", max_correlation},
            {"computed_at", computed_at}};
  }
};

// Greedy clusters: in sorted order, each unvisited ticker seeds a cluster and takes every later
// unvisited ticker with |corr(seed, j)| >= threshold; only clusters of size > 1 are kept.
inline std::vector<std::vector<std::string>> find_clusters(
    const std::vector<std::string>& tickers, const std::vector<std::vector<double>>& m,
    double threshold) {
  std::vector<std::vector<std::string>> out;
  std::vector<bool> visited(tickers.size(), false);
  for (std::size_t i = 0; i < tickers.size(); ++i) {
    if (visited[i]) continue;
    visited[i] = true;
    std::vector<std::string> cluster{tickers[i]};
    for (std::size_t j = i + 1; j < tickers.size(); ++j) {
      if (!visited[j] && std::fabs(m[i][j]) >= threshold) {
        visited[j] = true;
        cluster.push_back(tickers[j]);
      }
    }
    if (cluster.size() > 1) out.push_back(std::move(cluster));
  }
  return out;
}

inline CorrelationMatrix compute_correlation_matrix(const ReturnsMap& returns,
                                                    const CorrelationConfig& cfg,
                                                    std::string computed_at = {}) {
  CorrelationMatrix cm;
  cm.computed_at = std::move(computed_at);
  for (const auto& [t, s] : returns) cm.tickers.push_back(t);  // std::map: sorted
  const std::size_t n = cm.tickers.size();
  cm.matrix.assign(n, std::vector<double>(n, 0.0));
  std::vector<const Series*> series;
  for (const auto& [t, s] : returns) series.push_back(&s);
  for (std::size_t i = 0; i < n; ++i) {
    cm.matrix[i][i] = 1.0;
    for (std::size_t j = i + 1; j < n; ++j) {
      const double c = pearson(*series[i], *series[j], cfg.min_data_points);
      cm.matrix[i][j] = c;
      cm.matrix[j][i] = c;
      if (std::fabs(c) > std::fabs(cm.max_correlation)) cm.max_correlation = c;
    }
  }
  cm.clusters = find_clusters(cm.tickers, cm.matrix, cfg.cluster_threshold);
  return cm;
}

// The effective pairwise limit: round(max_pairwise_correlation × correlation_threshold_mult, 4).
inline double effective_correlation_limit(const CorrelationConfig& cfg, const RegimeLimits& rl) {
  return round_to(cfg.max_pairwise_correlation * rl.correlation_threshold_mult, 4);
}

// Distinct holdings other than `new_ticker`, sorted.
inline std::vector<std::string> other_holdings(const std::vector<std::string>& held,
                                               const std::string& new_ticker) {
  std::set<std::string> s(held.begin(), held.end());
  s.erase(new_ticker);
  return {s.begin(), s.end()};
}

// nullopt = approved; otherwise the rejection message. `holdings` may contain duplicates and the
// new ticker itself: both are ignored.
inline std::optional<std::string> check_new_trade(const std::string& new_ticker,
                                                  const CorrelationMatrix& cm,
                                                  const std::vector<std::string>& held,
                                                  double limit, int max_cluster_size) {
  const auto holdings = other_holdings(held, new_ticker);
  if (holdings.empty() || !cm.contains(new_ticker)) return std::nullopt;
  for (const auto& h : holdings) {
    if (!cm.contains(h)) continue;
    const double c = cm.corr(new_ticker, h);
    if (std::fabs(c) > limit) {
      return "Correlation " + new_ticker + "\u2194" + h + " = " + fixed(c, 2) +
             " exceeds limit " + sdk::format::shortest_float(limit);
    }
  }
  for (const auto& cluster : cm.clusters) {
    if (std::find(cluster.begin(), cluster.end(), new_ticker) == cluster.end()) continue;
    std::vector<std::string> overlap;
    for (const auto& t : cluster) {
      if (std::binary_search(holdings.begin(), holdings.end(), t)) overlap.push_back(t);
    }
    if (static_cast<long long>(overlap.size()) >= static_cast<long long>(max_cluster_size) - 1) {
      std::string list;
      for (const auto& t : overlap) list += (list.empty() ? "" : ", ") + t;
      return "Adding " + new_ticker + " would create cluster of " +
             std::to_string(overlap.size() + 1) + " (limit " + std::to_string(max_cluster_size) +
             "): " + list;
    }
  }
  return std::nullopt;
}

// Mean |corr| over the unordered pairs of distinct `tickers` both present in the matrix, × 100,
// capped at 100; fewer than 2 tickers or no valid pair ⇒ 0.
inline double concentration_score(const CorrelationMatrix& cm,
                                  const std::vector<std::string>& tickers) {
  std::set<std::string> distinct(tickers.begin(), tickers.end());
  std::vector<std::string> t(distinct.begin(), distinct.end());
  if (t.size() < 2) return 0.0;
  double sum = 0;
  int pairs = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    for (std::size_t j = i + 1; j < t.size(); ++j) {
      if (!cm.contains(t[i]) || !cm.contains(t[j])) continue;
      sum += std::fabs(cm.corr(t[i], t[j]));
      ++pairs;
    }
  }
  if (pairs == 0) return 0.0;
  return std::min(100.0, sum / pairs * 100.0);
}

// ---- VaR sizer (§5.1.2) --------------------------------------------------------------------

struct VaRConfig {
  double confidence_level = 0.95;
  double max_portfolio_var_pct = 2.0;
  double max_position_var_pct = 0.5;
  int lookback_days = 252;
  bool use_cvar = true;
};

struct VaRResult {
  double var_pct = 0;
  double cvar_pct = 0;
  double max_position_size = 0;
  double risk_budget_remaining = 0;
  double confidence_level = 0.95;
  int data_points = 0;

  nlohmann::json to_dict() const {
    return {{"var_pct", var_pct},
            {"cvar_pct", cvar_pct},
            {"max_position_size", max_position_size},
            {"risk_budget_remaining", risk_budget_remaining},
            {"confidence_level", confidence_level},
            {"data_points", data_points}};
  }
};

// The tail index: int(n × (1 − confidence)) in doubles, clamped to [0, n − 1].
inline std::size_t var_index(std::size_t n, double confidence_level) {
  if (n == 0) return 0;
  double raw = static_cast<double>(n) * (1.0 - confidence_level);
  long long idx = static_cast<long long>(raw);  // int(): toward zero
  idx = std::clamp<long long>(idx, 0, static_cast<long long>(n) - 1);
  return static_cast<std::size_t>(idx);
}

inline VaRResult compute_var(const Series& returns, const VaRConfig& cfg, double equity) {
  VaRResult r;
  r.confidence_level = cfg.confidence_level;
  r.data_points = static_cast<int>(returns.size());
  if (returns.size() < 10) return r;
  Series sorted = returns;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t idx = var_index(sorted.size(), cfg.confidence_level);
  r.var_pct = std::fabs(sorted[idx]) * 100.0;
  double tail = 0;
  for (std::size_t i = 0; i <= idx; ++i) tail += sorted[i];
  r.cvar_pct = std::fabs(tail / static_cast<double>(idx + 1)) * 100.0;
  const double metric = cfg.use_cvar ? r.cvar_pct : r.var_pct;
  r.risk_budget_remaining = std::max(0.0, cfg.max_portfolio_var_pct - metric);
  r.max_position_size = r.risk_budget_remaining / 100.0 * equity;
  return r;
}

// The position (dollars) whose one-day metric loss is min(budget, max_position_var_pct) % of
// equity; nullopt = no VaR cap (too few returns or a metric <= 0).
inline std::optional<double> size_position(const Series& returns, double price,
                                           double existing_var_pct, const VaRConfig& cfg,
                                           double equity) {
  if (price <= 0 || equity <= 0) return 0.0;
  const VaRResult v = compute_var(returns, cfg, equity);
  const double metric = cfg.use_cvar ? v.cvar_pct : v.var_pct;
  if (returns.size() < 10 || metric <= 0) return std::nullopt;
  const double budget = cfg.max_portfolio_var_pct - existing_var_pct;
  if (budget <= 0) return 0.0;
  const double limit = std::min(budget, cfg.max_position_var_pct);
  return limit / metric * equity;
}

// Weighted sum of the series, truncated to the shortest length (most recent end aligned); fewer
// than 10 points (or no series) ⇒ empty.
inline Series compute_portfolio_var(const std::vector<Series>& series,
                                    const std::vector<double>& weights) {
  if (series.empty() || series.size() != weights.size()) return {};
  std::size_t n = series.front().size();
  for (const auto& s : series) n = std::min(n, s.size());
  if (n < 10) return {};
  Series out(n, 0.0);
  for (std::size_t k = 0; k < series.size(); ++k) {
    const std::size_t off = series[k].size() - n;
    for (std::size_t i = 0; i < n; ++i) out[i] += weights[k] * series[k][off + i];
  }
  return out;
}

// The last `n` values of a series.
inline Series last_n(const Series& s, int n) {
  if (n <= 0 || s.size() <= static_cast<std::size_t>(n)) return s;
  return Series(s.end() - n, s.end());
}

// ---- assess (§5.1) ---------------------------------------------------------------------------

struct RiskConfig {
  double max_daily_loss_pct = 10.0;
  int max_concurrent_positions = 10;
  double max_single_stock_pct = 15.0;
  double max_sector_pct = 30.0;
  std::string default_regime = "sideways";
  bool enable_correlation_guard = true;
  bool enable_var_sizing = true;
  CorrelationConfig correlation;
  VaRConfig var;
};

struct HeldPosition {
  std::string symbol;     // the underlying
  double market_value = 0;  // shares × current_price
  std::string side;       // underlying direction: "long" | "short"
};

struct AssessInput {
  std::string ticker;
  std::string direction;  // "long" | "short"
  double equity = 100000.0;
  double starting_equity = 0;  // <= 0 ⇒ equity
  double daily_pnl = 0;
  double min_account_equity = 25000.0;
  std::vector<HeldPosition> positions;
  std::string regime;  // empty ⇒ default_regime
  bool kill_switch_active = false;
  std::string circuit_breaker_status = "closed";
  ReturnsMap returns_by_ticker;  // full series as read; windows are applied here
  std::string timestamp;
};

struct Assessment {
  bool approved = true;
  std::string rejection_reason;
  double daily_pnl = 0;
  double daily_pnl_pct = 0;
  int current_positions = 0;
  std::string regime;
  RegimeLimits regime_limits;
  std::optional<CorrelationMatrix> correlation_matrix;
  double concentration_score = 0;
  std::optional<VaRResult> portfolio_var;
  double max_position_size = 0;
  std::string circuit_breaker_status = "closed";
  bool kill_switch_active = false;
  std::vector<std::string> warnings;
  std::vector<std::string> checks_run;
  std::string timestamp;
  std::optional<double> var_cap;  // dollars, when the VaR sizer produced a cap (step 11)

  nlohmann::json to_dict() const {
    return {{"approved", approved},
            {"rejection_reason",
             approved ? nlohmann::json(nullptr) : nlohmann::json(rejection_reason)},
            {"daily_pnl", round_to(daily_pnl, 2)},
            {"daily_pnl_pct", round_to(daily_pnl_pct, 2)},
            {"current_positions", current_positions},
            {"regime", regime},
            {"regime_limits", regime_limits.to_dict()},
            {"concentration_score", round_to(concentration_score, 1)},
            {"portfolio_var", portfolio_var ? portfolio_var->to_dict() : nlohmann::json(nullptr)},
            {"max_position_size", round_to(max_position_size, 2)},
            {"circuit_breaker_status", circuit_breaker_status},
            {"kill_switch_active", kill_switch_active},
            {"warnings", warnings},
            {"checks_run", checks_run},
            {"timestamp", timestamp}};
  }
};

inline const char* opposite(const std::string& dir) { return dir == "long" ? "short" : "long"; }

inline Assessment assess(const AssessInput& in, const RiskConfig& cfg) {
  Assessment a;
  const double equity = in.equity;
  const double starting = in.starting_equity > 0 ? in.starting_equity : equity;
  a.daily_pnl = in.daily_pnl;
  a.daily_pnl_pct = std::fabs(in.daily_pnl) / std::max(starting, 1.0) * 100.0;
  a.current_positions = static_cast<int>(in.positions.size());
  a.circuit_breaker_status = in.circuit_breaker_status;
  a.kill_switch_active = in.kill_switch_active;
  a.timestamp = in.timestamp;
  auto reject = [&a](std::string why) {
    a.approved = false;
    a.rejection_reason = std::move(why);
    return a;
  };

  // 1. regime
  a.regime = in.regime.empty() ? cfg.default_regime : in.regime;
  a.regime_limits = regime_limits(a.regime);
  const RegimeLimits& rl = a.regime_limits;

  // 2. kill switch
  a.checks_run.push_back("kill_switch");
  if (in.kill_switch_active) return reject("Kill switch is active");

  // 3. circuit breaker
  a.checks_run.push_back("circuit_breaker");
  if (in.circuit_breaker_status == "open") return reject("Circuit breaker is OPEN");

  // 4. daily loss
  if (starting > 0) {
    a.checks_run.push_back("daily_loss_limit");
    const double pct = std::fabs(in.daily_pnl) / starting * 100.0;
    if (in.daily_pnl < 0 && pct >= cfg.max_daily_loss_pct) {
      return reject("Daily loss " + fixed(pct, 1) + "% >= limit " +
                    sdk::format::shortest_float(cfg.max_daily_loss_pct) + "%");
    }
  }

  // 5. minimum equity
  a.checks_run.push_back("min_equity");
  if (equity < in.min_account_equity) {
    return reject("Equity $" + thousands0(equity) + " below minimum $" +
                  thousands0(in.min_account_equity));
  }

  // 6. max positions
  a.checks_run.push_back("max_positions");
  const long long adjusted_max = std::max<long long>(
      1, static_cast<long long>(cfg.max_concurrent_positions * rl.max_positions_mult));
  if (static_cast<long long>(in.positions.size()) >= adjusted_max) {
    return reject("Max positions reached: " + std::to_string(in.positions.size()) + "/" +
                  std::to_string(adjusted_max) + " (regime=" + a.regime + ")");
  }

  // 7. conflicting direction
  a.checks_run.push_back("conflicting_direction");
  for (const auto& p : in.positions) {
    if (p.symbol == in.ticker && p.side != in.direction) {
      return reject("Conflicting signal: existing " + p.side + " vs new " + in.direction +
                    " for " + in.ticker);
    }
  }

  // 8. single-stock concentration
  a.checks_run.push_back("single_stock_concentration");
  {
    double in_ticker = 0;
    for (const auto& p : in.positions) {
      if (p.symbol == in.ticker) in_ticker += std::fabs(p.market_value);
    }
    const double pct = in_ticker / equity * 100.0;
    if (pct >= cfg.max_single_stock_pct) {
      return reject(in.ticker + " exposure " + fixed(pct, 1) + "% >= " +
                    sdk::format::shortest_float(cfg.max_single_stock_pct) + "%");
    }
  }

  // 9. sector concentration
  a.checks_run.push_back("sector_concentration");
  if (const std::string_view sector = sector_of(in.ticker); !sector.empty()) {
    double in_sector = 0;
    for (const auto& p : in.positions) {
      if (sector_of(p.symbol) == sector) in_sector += std::fabs(p.market_value);
    }
    const double pct = in_sector / equity * 100.0;
    const double limit = cfg.max_sector_pct * rl.sector_concentration_mult;
    if (pct >= limit) {
      return reject(std::string(sector) + " exposure " + fixed(pct, 1) + "% >= " +
                    fixed(limit, 1) + "%");
    }
  }

  std::vector<std::string> held;
  for (const auto& p : in.positions) held.push_back(p.symbol);

  // 10. correlation guard
  if (cfg.enable_correlation_guard && !in.returns_by_ticker.empty()) {
    a.checks_run.push_back("correlation_guard");
    ReturnsMap window;
    for (const auto& [t, s] : in.returns_by_ticker) {
      window[t] = last_n(s, cfg.correlation.lookback_days);
    }
    a.correlation_matrix = compute_correlation_matrix(window, cfg.correlation, in.timestamp);
    const double limit = effective_correlation_limit(cfg.correlation, rl);
    if (auto msg = check_new_trade(in.ticker, *a.correlation_matrix, held, limit,
                                   cfg.correlation.max_cluster_size)) {
      return reject(*msg);
    }
    std::vector<std::string> all = held;
    all.push_back(in.ticker);
    a.concentration_score = concentration_score(*a.correlation_matrix, all);
    if (a.concentration_score > 75.0) {
      a.warnings.push_back("High portfolio concentration: " + fixed(a.concentration_score, 0) +
                           "/100");
    }
  }

  // 11. VaR sizing and the max size
  a.max_position_size = 0.15 * equity;
  if (cfg.enable_var_sizing && !in.returns_by_ticker.empty()) {
    a.checks_run.push_back("var_sizing");
    auto own = in.returns_by_ticker.find(in.ticker);
    if (own != in.returns_by_ticker.end() && !own->second.empty()) {
      const Series ticker_returns = last_n(own->second, cfg.var.lookback_days);
      a.portfolio_var = compute_var(ticker_returns, cfg.var, equity);
      // Existing VaR: the holdings' returns weighted by signed market value / equity.
      std::map<std::string, double> weight_by_symbol;
      for (const auto& p : in.positions) {
        const double w = std::fabs(p.market_value) / equity * (p.side == "short" ? -1.0 : 1.0);
        weight_by_symbol[p.symbol] += w;
      }
      std::vector<Series> series;
      std::vector<double> weights;
      for (const auto& [sym, w] : weight_by_symbol) {
        auto it = in.returns_by_ticker.find(sym);
        if (it == in.returns_by_ticker.end() || it->second.empty()) continue;
        series.push_back(last_n(it->second, cfg.var.lookback_days));
        weights.push_back(w);
      }
      double existing = 0;
      const Series port = compute_portfolio_var(series, weights);
      if (!port.empty()) existing = compute_var(port, cfg.var, equity).var_pct;
      if (auto cap = size_position(ticker_returns, 1.0, existing, cfg.var, equity)) {
        a.max_position_size = *cap;
        a.var_cap = *cap;
      }
    }
  }
  a.max_position_size *= rl.position_size_mult;
  if (in.circuit_breaker_status == "half_open") a.max_position_size *= 0.5;
  if (a.var_cap) a.var_cap = a.max_position_size;

  // 12. approved
  return a;
}

}  // namespace axion::unified_risk
