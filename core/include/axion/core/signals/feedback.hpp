// The feedback loop (pipeline.md §10.5): per-source performance of closed trades, weight
// adjustment every N trades within bounds, a journaled weight history, and the push of the
// adjusted weights into fusion.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "axion/core/signals/fusion.hpp"
#include "axion/core/domain/types.hpp"

namespace axion::core {

struct SourcePerformance {
  std::string source;
  int trade_count = 0, win_count = 0;
  double win_rate = 0, total_pnl = 0, avg_pnl = 0, avg_conviction = 0, profit_factor = 0, sharpe = 0;
};

class PerformanceTracker {
 public:
  struct Config {
    std::size_t rolling_window = 100;
    int min_trades_for_stats = 10;
    double risk_free_rate = 0.05;
  };
  PerformanceTracker() = default;
  explicit PerformanceTracker(Config c) : cfg_(c) {}
  void record(const std::string& source, double pnl, double conviction, double ret);
  std::optional<SourcePerformance> performance(const std::string& source) const;
  std::vector<std::string> sources() const;
  std::vector<SourcePerformance> ranked() const;  // by Sharpe, descending

 private:
  struct Trade {
    double pnl, conviction, ret;
  };
  Config cfg_;
  std::map<std::string, std::deque<Trade>> trades_;
};

struct WeightChange {
  std::string source, action;
  double sharpe = 0, factor = 1, old_weight = 0, new_weight = 0, win_rate = 0;
  int trade_count = 0;
  std::string reason;
};

struct WeightUpdate {
  std::map<std::string, double> old_weights, new_weights;
  std::vector<WeightChange> changes;
};

class WeightAdjuster {
 public:
  struct Config {
    double learning_rate = 0.1, min_weight = 0.02, max_weight = 0.40, sharpe_target = 1.5;
    int min_trades_to_adjust = 20;
    bool normalize = true;
  };
  WeightAdjuster() = default;
  explicit WeightAdjuster(Config c) : cfg_(c) {}
  WeightUpdate compute_weights(const std::map<std::string, double>& current,
                               const PerformanceTracker& tracker) const;
  std::map<std::string, double> recommended_weights(const std::vector<std::string>& sources,
                                                    const PerformanceTracker& tracker) const;

 private:
  Config cfg_;
};

struct WeightSnapshot {
  std::map<std::string, double> weights;
  std::string trigger;  // initial | auto | manual
  int trade_count = 0;
  std::int64_t ts_us = 0;
  json to_json() const;
  static WeightSnapshot from_json(const json& j);
};

class FeedbackBridge {
 public:
  struct Config {
    int adjust_every_n_trades = 50;
    bool auto_apply = true;
  };
  // `persist` stores the snapshot history as one JSON array text (journaled); `publish` emits
  // weight_update.
  using Persist = std::function<void(std::string json_text)>;
  FeedbackBridge(Config cfg, FusionBridge* fusion, Persist persist, std::function<void(const json&)> publish);
  // Restores the latest snapshot's weights (and the fusion weights) from persisted history.
  void restore(const json& history);
  void on_trade_closed(const std::string& source, double pnl, double conviction, double ret,
                       std::int64_t now_us);
  // Rebuilds the tracker from journaled trades without adjusting (start-up).
  void replay_trade(const std::string& source, double pnl, double conviction, double ret);
  void set_initial_weights(const std::map<std::string, double>& w, std::int64_t now_us);
  WeightUpdate force_adjustment(std::int64_t now_us, const std::string& trigger = "manual");
  const std::map<std::string, double>& current_weights() const { return current_; }
  const std::optional<WeightUpdate>& pending() const { return pending_; }
  const std::deque<WeightSnapshot>& history() const { return history_; }
  const PerformanceTracker& tracker() const { return tracker_; }
  int trade_count() const { return trade_count_; }
  json status() const;

 private:
  void record_snapshot(const std::string& trigger, std::int64_t now_us);
  void keep(WeightSnapshot s);
  void push_to_fusion();

  Config cfg_;
  FusionBridge* fusion_;
  Persist persist_;
  std::function<void(const json&)> publish_;
  PerformanceTracker tracker_;
  WeightAdjuster adjuster_;
  std::map<std::string, double> current_;
  std::optional<WeightUpdate> pending_;
  std::deque<WeightSnapshot> history_;
  // history_[i] as JSON text, written once when kept: a snapshot never changes, and rebuilding
  // the whole history's tree on every adjustment cost more than the adjustment.
  std::deque<std::string> history_text_;
  int trade_count_ = 0;
};

}  // namespace axion::core
