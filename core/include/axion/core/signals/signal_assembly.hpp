// Signal assembly (strategies.md §15 steps 2–5): what the strategies emitted for a bar becomes
// the signals handed to the pipeline — strategy selection, conviction thresholds, the daily
// macro-bias filter, the scanner-preset universe, signal fusion and A/B attribution. Owns the
// selector's A/B table, the FusionBridge and the FeedbackBridge (closed trades feed it back).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "axion/core/signals/feedback.hpp"
#include "axion/core/signals/fusion.hpp"
#include "axion/core/signals/scanner_presets.hpp"
#include "axion/core/signals/selector.hpp"
#include "axion/core/domain/types.hpp"
#include "axion/sdk/indicators.hpp"

namespace axion::core {

struct AssemblySettings {
  bool strategy_selection = true;
  bool signal_fusion = true;
  bool feedback_loop = true;
  bool macro_bias_filter = true;
  int min_conviction_to_signal = 25;
  int min_conviction_to_execute = 50;
  int high_conviction_threshold = 75;
  int feedback_adjust_every_n_trades = 50;
  double fusion_decay_minutes = 60.0;
  SelectorConfig selector;
  std::vector<std::string> scanner_presets;  // empty = every symbol
};

class SignalAssembly {
 public:
  using Publish = std::function<void(const std::string& event, const json& data)>;
  using Persist = std::function<void(const std::string& key, std::string json_text)>;
  SignalAssembly(AssemblySettings s, Publish publish, Persist persist);

  // Every bar the engine sees (before the strategies' output is assembled).
  void on_bar(std::string_view symbol, std::string_view timeframe, std::int64_t ts_us, double o,
              double h, double l, double c, double v);
  // The bar's signals by strategy (enabled strategies only, manifest order in `order`) →
  // the signals to hand to the pipeline, attributed and counted.
  std::vector<Signal> assemble(const std::string& symbol, const std::string& timeframe,
                               const std::vector<std::string>& order, SignalsByStrategy& by_strategy,
                               const std::string& regime, std::int64_t now_us);

  // Every close (pipeline.md §2.4 steps 7.4–7.5).
  void on_trade_closed(const Position& closed, double pnl, double ret, std::int64_t now_us);
  // Start-up: persisted weights, signal counts and the journal's closed trades (oldest first).
  void restore(const json& weights_history, const json& signal_counts, const std::vector<json>& trades);

  bool universe_allows(const std::string& symbol) const;
  const char* macro_bias(const std::string& symbol) const;
  const AssemblySettings& settings() const { return s_; }
  AbStats& ab() { return ab_; }
  const AbStats& ab() const { return ab_; }
  FusionBridge& fusion() { return fusion_; }
  FeedbackBridge& feedback() { return feedback_; }
  const std::deque<StrategyChoice>& decisions() const { return decisions_; }
  json signal_counts() const { return signal_counts_; }

 private:
  bool fusion_allows(const Signal& s, std::int64_t now_us);

  AssemblySettings s_;
  Publish publish_;
  Persist persist_;
  AbStats ab_;
  FusionBridge fusion_;
  FeedbackBridge feedback_;
  std::map<std::string, sdk::ind::WilderAdx, std::less<>> adx_;  // "symbol\0timeframe"
  std::map<std::string, DailyContext, std::less<>> daily_;
  std::map<std::string, std::map<std::string, RawSignal>> recent_raw_;  // ticker → source → latest
  std::deque<StrategyChoice> decisions_;
  json signal_counts_ = json::object();
  std::string key_;
};

}  // namespace axion::core
