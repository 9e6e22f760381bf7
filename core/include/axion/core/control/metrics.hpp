// The unified performance convention (control.md §5.1), shared by the feedback tracker and the
// analytics: returns from an equity path, sample-deviation Sharpe, Sortino, drawdown, Calmar.
#pragma once

#include <cmath>
#include <limits>
#include <vector>

namespace axion::core::metrics {

inline double mean(const std::vector<double>& r) {
  if (r.empty()) return 0.0;
  double s = 0;
  for (double x : r) s += x;
  return s / static_cast<double>(r.size());
}

inline double sharpe_ratio(const std::vector<double>& r, double risk_free_rate = 0.05,
                           double periods_per_year = 252) {
  const std::size_t n = r.size();
  if (n < 2) return 0.0;
  const double m = mean(r);
  double ss = 0;
  for (double x : r) ss += (x - m) * (x - m);
  const double s = std::sqrt(ss / static_cast<double>(n - 1));
  if (s < 1e-10) return 0.0;
  return (m - risk_free_rate / periods_per_year) / s * std::sqrt(periods_per_year);
}

inline double sortino_ratio(const std::vector<double>& r, double risk_free_rate = 0.05,
                            double periods_per_year = 252) {
  const std::size_t n = r.size();
  if (n < 2) return 0.0;
  const double excess = mean(r) - risk_free_rate / periods_per_year;
  double down = 0;
  bool any_negative = false;
  for (double x : r) {
    if (x < 0) down += x * x, any_negative = true;
  }
  if (!any_negative) return excess > 0 ? 10.0 : 0.0;
  const double delta = std::sqrt(down / static_cast<double>(n));
  if (delta < 1e-10) return 0.0;
  return excess / delta * std::sqrt(periods_per_year);
}

// Positive fraction; the peak starts at the first value.
inline double max_drawdown(const std::vector<double>& equity) {
  if (equity.empty()) return 0.0;
  double peak = equity.front(), dd = 0;
  for (double e : equity) {
    peak = std::max(peak, e);
    if (peak > 0) dd = std::max(dd, (peak - e) / peak);
  }
  return dd;
}

inline double calmar_ratio(const std::vector<double>& r, const std::vector<double>& equity,
                           double periods_per_year = 252) {
  if (r.size() < 2) return 0.0;
  const double dd = max_drawdown(equity);
  if (dd < 1e-10) return 0.0;
  return mean(r) * periods_per_year / dd;
}

// Gross profit / |gross loss|; no loss ⇒ +∞ when there is profit, else 0.
inline double profit_factor(const std::vector<double>& pnls) {
  double gp = 0, gl = 0;
  for (double p : pnls) {
    if (p > 0) gp += p;
    if (p < 0) gl += -p;
  }
  if (gl == 0) return gp > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  return gp / gl;
}

}  // namespace axion::core::metrics
