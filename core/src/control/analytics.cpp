// BotPerformanceTracker (control.md §5.3) and PerformanceSnapshot (§5.4). Every figure is over
// the retained window (the last max_history trades): aggregates, breakdowns and the curve alike.
#include "axion/core/control/analytics.hpp"

#include <chrono>
#include <cmath>

#include "axion/core/control/metrics.hpp"
#include "axion/sdk/time.hpp"

namespace axion::core {

namespace {

using sdk::time::system_now_us;

json breakdown_json(const Breakdown& b) {
  json j = json::object();
  j["trades"] = b.trades;
  j["wins"] = b.wins;
  j["win_rate"] = round_dp(b.win_rate, 3);
  j["total_pnl"] = round_dp(b.total_pnl, 2);
  j["avg_pnl"] = round_dp(b.avg_pnl, 2);
  j["sharpe"] = round_dp(b.sharpe, 2);
  return j;
}

json breakdowns_json(const std::map<std::string, Breakdown>& m) {
  json j = json::object();
  for (const auto& [k, b] : m) j[k] = breakdown_json(b);
  return j;
}

// Per-key figures from the key's retained trades and the returns they were recorded with.
std::map<std::string, Breakdown> breakdowns(const std::deque<ClosedTradeRecord>& trades,
                                            std::string ClosedTradeRecord::*key) {
  std::map<std::string, std::vector<const ClosedTradeRecord*>> groups;
  for (const auto& t : trades) groups[t.*key].push_back(&t);
  std::map<std::string, Breakdown> out;
  for (const auto& [k, list] : groups) {
    Breakdown b;
    std::vector<double> rets;
    for (const auto* t : list) {
      ++b.trades;
      if (t->pnl > 0) ++b.wins;
      b.total_pnl += t->pnl;
      rets.push_back(t->ret);
    }
    b.win_rate = static_cast<double>(b.wins) / b.trades;
    b.avg_pnl = b.total_pnl / b.trades;
    b.sharpe = metrics::sharpe_ratio(rets);
    out[k] = b;
  }
  return out;
}

}  // namespace

json PerformanceSnapshot::to_json() const {
  json j = json::object();
  j["total_trades"] = total_trades;
  j["winning_trades"] = winning_trades;
  j["losing_trades"] = losing_trades;
  j["win_rate"] = round_dp(win_rate, 3);
  j["total_pnl"] = round_dp(total_pnl, 2);
  j["avg_pnl"] = round_dp(avg_pnl, 2);
  // +∞ (profit without any loss) has no JSON form: null (control.md §0.1).
  j["profit_factor"] = std::isfinite(profit_factor) ? json(round_dp(profit_factor, 2)) : json(nullptr);
  j["sharpe"] = round_dp(sharpe, 2);
  j["sortino"] = round_dp(sortino, 2);
  j["calmar"] = round_dp(calmar, 2);
  j["max_drawdown"] = round_dp(max_drawdown, 6);
  j["current_drawdown"] = round_dp(current_drawdown, 6);
  j["by_signal"] = breakdowns_json(by_signal);
  j["by_strategy"] = breakdowns_json(by_strategy);
  j["equity_curve_len"] = equity_curve.size();
  j["timestamp"] = sdk::time::to_iso(ts_us);
  return j;
}

BotPerformanceTracker::BotPerformanceTracker(double starting_equity, std::size_t max_history, Clock now)
    : max_history_(max_history == 0 ? 1 : max_history),
      now_(now ? std::move(now) : Clock(system_now_us)),
      starting_(starting_equity),
      equity_(starting_equity),
      peak_(starting_equity) {
  curve_.push_back(starting_equity);
}

void BotPerformanceTracker::record_trade(const ClosedTradeRecord& t) {
  cached_.reset();
  ClosedTradeRecord rec = t;
  if (rec.signal_type.empty()) rec.signal_type = "unknown";
  if (rec.strategy.empty()) rec.strategy = "unknown";
  rec.ret = equity_ != 0 ? rec.pnl / equity_ : 0.0;
  if (rec.closed_us == 0) rec.closed_us = now_();
  equity_ += rec.pnl;
  peak_ = std::max(peak_, equity_);
  trades_.push_back(std::move(rec));
  curve_.push_back(equity_);
  while (trades_.size() > max_history_) trades_.pop_front();
  while (curve_.size() > max_history_ + 1) curve_.pop_front();
}

PerformanceSnapshot BotPerformanceTracker::snapshot() const {
  // The figures change only with a trade: status, /health and the periodic push reuse them.
  if (!cached_) cached_ = compute_snapshot();
  PerformanceSnapshot s = *cached_;
  s.ts_us = now_();
  return s;
}

PerformanceSnapshot BotPerformanceTracker::compute_snapshot() const {
  PerformanceSnapshot s;
  const std::size_t first_point = curve_.size() > 500 ? curve_.size() - 500 : 0;
  s.equity_curve.assign(curve_.begin() + static_cast<std::ptrdiff_t>(first_point), curve_.end());
  if (trades_.empty()) return s;
  std::vector<double> rets, pnls;
  for (const auto& t : trades_) {
    ++s.total_trades;
    if (t.pnl > 0) ++s.winning_trades;
    if (t.pnl < 0) ++s.losing_trades;
    s.total_pnl += t.pnl;
    rets.push_back(t.ret);
    pnls.push_back(t.pnl);
  }
  const auto n = static_cast<double>(s.total_trades);
  s.win_rate = s.winning_trades / n;
  s.avg_pnl = s.total_pnl / n;
  s.profit_factor = metrics::profit_factor(pnls);
  const std::vector<double> curve(curve_.begin(), curve_.end());
  s.sharpe = metrics::sharpe_ratio(rets);
  s.sortino = metrics::sortino_ratio(rets);
  s.calmar = metrics::calmar_ratio(rets, curve);
  s.max_drawdown = metrics::max_drawdown(curve);
  s.current_drawdown = peak_ > 0 ? (peak_ - equity_) / peak_ : 0.0;
  s.by_signal = breakdowns(trades_, &ClosedTradeRecord::signal_type);
  s.by_strategy = breakdowns(trades_, &ClosedTradeRecord::strategy);
  return s;
}

json BotPerformanceTracker::recent_trades(std::size_t limit) const {
  json arr = json::array();
  const std::size_t first = trades_.size() > limit ? trades_.size() - limit : 0;
  for (std::size_t i = first; i < trades_.size(); ++i) {
    const auto& t = trades_[i];
    json j = json::object();
    j["ticker"] = t.ticker;
    j["direction"] = t.direction;
    j["pnl"] = round_dp(t.pnl, 2);
    j["signal_type"] = t.signal_type;
    j["strategy"] = t.strategy;
    j["exit_reason"] = t.exit_reason;
    j["closed_at"] = sdk::time::to_iso(t.closed_us);
    arr.push_back(std::move(j));
  }
  return arr;
}

}  // namespace axion::core
