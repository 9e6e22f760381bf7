#include "axion/core/signals/feedback.hpp"

#include <algorithm>
#include <cmath>

#include "axion/core/control/metrics.hpp"
#include "axion/sdk/time.hpp"

namespace axion::core {
namespace {

constexpr std::size_t kKeepSnapshots = 1000;

}  // namespace

// ---- PerformanceTracker ------------------------------------------------------------------

void PerformanceTracker::record(const std::string& source, double pnl, double conviction, double ret) {
  auto& q = trades_[source];
  q.push_back({pnl, conviction, ret});
  while (q.size() > cfg_.rolling_window) q.pop_front();
}

std::optional<SourcePerformance> PerformanceTracker::performance(const std::string& source) const {
  auto it = trades_.find(source);
  if (it == trades_.end() || it->second.empty()) return std::nullopt;
  SourcePerformance p;
  p.source = source;
  std::vector<double> pnls, rets;
  double conv = 0;
  for (const auto& t : it->second) {
    pnls.push_back(t.pnl), rets.push_back(t.ret);
    p.total_pnl += t.pnl;
    conv += t.conviction;
    if (t.pnl > 0) ++p.win_count;
  }
  p.trade_count = static_cast<int>(it->second.size());
  p.win_rate = static_cast<double>(p.win_count) / p.trade_count;
  p.avg_pnl = p.total_pnl / p.trade_count;
  p.avg_conviction = conv / p.trade_count;
  p.profit_factor = metrics::profit_factor(pnls);
  p.sharpe = p.trade_count < cfg_.min_trades_for_stats ? 0.0 : metrics::sharpe_ratio(rets, cfg_.risk_free_rate);
  return p;
}

std::vector<std::string> PerformanceTracker::sources() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : trades_) out.push_back(k);
  return out;
}

std::vector<SourcePerformance> PerformanceTracker::ranked() const {
  std::vector<SourcePerformance> out;
  for (const auto& [k, v] : trades_) {
    if (auto p = performance(k)) out.push_back(*p);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.sharpe > b.sharpe; });
  return out;
}

// ---- WeightAdjuster ----------------------------------------------------------------------

WeightUpdate WeightAdjuster::compute_weights(const std::map<std::string, double>& current,
                                             const PerformanceTracker& tracker) const {
  WeightUpdate u;
  u.old_weights = current;
  for (const auto& [source, w] : current) {
    WeightChange c;
    c.source = source;
    c.old_weight = w;
    auto perf = tracker.performance(source);
    const int n = perf ? perf->trade_count : 0;
    c.trade_count = n;
    if (!perf || n < cfg_.min_trades_to_adjust) {
      c.action = "no_change";
      c.reason = "Insufficient trades (" + std::to_string(n) + " < " + std::to_string(cfg_.min_trades_to_adjust) + ")";
    } else {
      const double s = perf->sharpe;
      c.sharpe = s;
      c.win_rate = perf->win_rate;
      if (s >= cfg_.sharpe_target) {
        c.factor = 1 + cfg_.learning_rate * (s / cfg_.sharpe_target - 1), c.action = "increase";
      } else if (s > 0) {
        c.factor = 1 + 0.05 * (s / cfg_.sharpe_target), c.action = "slight_increase";
      } else if (s > -0.5) {
        c.factor = 0.95, c.action = "decay";
      } else {
        c.factor = 0.9025, c.action = "strong_decay";
      }
    }
    u.new_weights[source] = std::clamp(w * c.factor, cfg_.min_weight, cfg_.max_weight);
    u.changes.push_back(c);
  }
  if (cfg_.normalize) u.new_weights = normalise_weights(u.new_weights);
  for (auto& c : u.changes) c.new_weight = u.new_weights[c.source];
  return u;
}

std::map<std::string, double> WeightAdjuster::recommended_weights(const std::vector<std::string>& sources,
                                                                  const PerformanceTracker& tracker) const {
  std::map<std::string, double> out;
  if (sources.size() == 1) return {{sources.front(), 1.0}};
  std::vector<std::pair<std::string, double>> has;
  std::vector<std::string> none;
  for (const auto& s : sources) {
    auto p = tracker.performance(s);
    if (p && p->trade_count >= cfg_.min_trades_to_adjust) has.emplace_back(s, p->sharpe);
    else none.push_back(s);
  }
  if (!has.empty()) {
    double min_s = has.front().second;
    for (const auto& [s, v] : has) min_s = std::min(min_s, v);
    double sum = 0;
    std::vector<double> shifted;
    for (const auto& [s, v] : has) shifted.push_back(std::max(0.01, v - min_s + 0.5)), sum += shifted.back();
    const double budget = 1.0 - cfg_.min_weight * static_cast<double>(none.size());
    for (std::size_t i = 0; i < has.size(); ++i) {
      out[has[i].first] = std::clamp(shifted[i] / sum * budget, cfg_.min_weight, cfg_.max_weight);
    }
    for (const auto& s : none) out[s] = cfg_.min_weight;
  } else {
    for (const auto& s : none) out[s] = 1.0 / static_cast<double>(none.size());
  }
  return normalise_weights(out);
}

// ---- WeightSnapshot ----------------------------------------------------------------------

json WeightSnapshot::to_json() const {
  return {{"weights", weights}, {"trigger", trigger}, {"trade_count", trade_count},
          {"timestamp", sdk::time::to_iso(ts_us)}, {"ts_us", ts_us}};
}

WeightSnapshot WeightSnapshot::from_json(const json& j) {
  WeightSnapshot s;
  s.weights = j.at("weights").get<std::map<std::string, double>>();
  s.trigger = j.value("trigger", "auto");
  s.trade_count = j.value("trade_count", 0);
  s.ts_us = j.value("ts_us", std::int64_t{0});
  return s;
}

// ---- FeedbackBridge ----------------------------------------------------------------------

FeedbackBridge::FeedbackBridge(Config cfg, FusionBridge* fusion, Persist persist,
                               std::function<void(const json&)> publish)
    : cfg_(cfg), fusion_(fusion), persist_(std::move(persist)), publish_(std::move(publish)) {
  if (cfg_.adjust_every_n_trades < 1) cfg_.adjust_every_n_trades = 1;
}

void FeedbackBridge::restore(const json& history) {
  if (!history.is_array()) return;
  history_.clear();
  history_text_.clear();
  for (const auto& j : history) {
    try {
      keep(WeightSnapshot::from_json(j));
    } catch (const std::exception&) {
      // a malformed snapshot is skipped; the rest of the history still restores
    }
  }
  if (!history_.empty()) {
    current_ = history_.back().weights;
    trade_count_ = std::max(trade_count_, history_.back().trade_count);
    push_to_fusion();
  }
}

void FeedbackBridge::replay_trade(const std::string& source, double pnl, double conviction, double ret) {
  tracker_.record(source, pnl, conviction, ret);
  ++trade_count_;
}

void FeedbackBridge::on_trade_closed(const std::string& source, double pnl, double conviction, double ret,
                                     std::int64_t now_us) {
  tracker_.record(source, pnl, conviction, ret);
  ++trade_count_;
  if (trade_count_ % cfg_.adjust_every_n_trades == 0) force_adjustment(now_us, "auto");
}

void FeedbackBridge::set_initial_weights(const std::map<std::string, double>& w, std::int64_t now_us) {
  current_ = w;
  record_snapshot("initial", now_us);
}

WeightUpdate FeedbackBridge::force_adjustment(std::int64_t now_us, const std::string& trigger) {
  if (current_.empty()) {
    auto sources = tracker_.sources();
    current_ = sources.empty()
                   ? std::map<std::string, double>{{"ema_cloud", 0.25}, {"mean_reversion", 0.15},
                                                   {"qullamaggie_breakout", 0.25}, {"qullamaggie_ep", 0.20},
                                                   {"qullamaggie_parabolic_short", 0.15}}
                   : adjuster_.recommended_weights(sources, tracker_);
  }
  // Sources that traded since the weights were set join with the minimum weight.
  for (const auto& s : tracker_.sources()) current_.emplace(s, 0.02);
  WeightUpdate u = adjuster_.compute_weights(current_, tracker_);
  if (cfg_.auto_apply) {
    current_ = u.new_weights;
    pending_.reset();
  } else {
    pending_ = u;
  }
  record_snapshot(trigger, now_us);
  json changes = json::array();
  for (const auto& c : u.changes) {
    changes.push_back({{"source", c.source}, {"action", c.action}, {"sharpe", c.sharpe}, {"factor", c.factor},
                       {"old_weight", c.old_weight}, {"new_weight", c.new_weight}, {"win_rate", c.win_rate},
                       {"trade_count", c.trade_count}});
  }
  if (publish_) {
    publish_({{"trigger", trigger}, {"trade_count", trade_count_}, {"weights", current_},
              {"applied", cfg_.auto_apply}, {"changes", changes}});
  }
  if (cfg_.auto_apply) push_to_fusion();
  return u;
}

void FeedbackBridge::keep(WeightSnapshot s) {
  // Source names are plugin text: invalid UTF-8 is replaced, never a throw that would skip the
  // adjustment's publish and its push to fusion.
  std::string text = s.to_json().dump(-1, ' ', false, json::error_handler_t::replace);
  history_.push_back(std::move(s));
  try {
    history_text_.push_back(std::move(text));
  } catch (...) {
    history_.pop_back();  // the two stay in lock step
    throw;
  }
  while (history_.size() > kKeepSnapshots) {
    history_.pop_front();
    history_text_.pop_front();
  }
}

void FeedbackBridge::record_snapshot(const std::string& trigger, std::int64_t now_us) {
  keep({current_, trigger, trade_count_, now_us});
  if (!persist_) return;
  std::size_t size = 2;
  for (const auto& t : history_text_) size += t.size() + 1;
  std::string all;
  all.reserve(size);
  all.push_back('[');
  for (const auto& t : history_text_) {
    if (all.size() > 1) all.push_back(',');
    all += t;
  }
  all.push_back(']');
  persist_(std::move(all));
}

// Strategy names map to `technical`, fusion source names to themselves; mapped weights are
// normalised over the mapped fusion sources and scaled to the weight those sources hold now.
void FeedbackBridge::push_to_fusion() {
  if (!fusion_ || current_.empty()) return;
  std::map<std::string, double> mapped;
  for (const auto& [source, w] : current_) mapped[is_fusion_source(source) ? source : "technical"] += w;
  double mapped_total = 0, held = 0;
  for (const auto& [k, v] : mapped) {
    mapped_total += v;
    auto it = fusion_->weights().find(k);
    held += it == fusion_->weights().end() ? 0.0 : it->second;
  }
  if (mapped_total <= 0 || held <= 0) return;
  for (auto& [k, v] : mapped) v = v / mapped_total * held;
  fusion_->update_weights(mapped);
}

json FeedbackBridge::status() const {
  json perf = json::array();
  for (const auto& p : tracker_.ranked()) {
    perf.push_back({{"source", p.source}, {"trade_count", p.trade_count}, {"win_rate", p.win_rate},
                    {"total_pnl", p.total_pnl}, {"avg_pnl", p.avg_pnl}, {"sharpe", p.sharpe}});
  }
  return {{"trade_count", trade_count_}, {"adjust_every_n_trades", cfg_.adjust_every_n_trades},
          {"current_weights", current_}, {"performance", perf}, {"total_updates", history_.size()}};
}

}  // namespace axion::core
