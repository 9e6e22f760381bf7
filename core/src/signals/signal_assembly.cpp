#include "axion/core/signals/signal_assembly.hpp"

#include <algorithm>

namespace axion::core {
namespace {

constexpr std::size_t kKeepDecisions = 500;

}  // namespace

SignalAssembly::SignalAssembly(AssemblySettings s, Publish publish, Persist persist)
    : s_(std::move(s)),
      publish_(std::move(publish)),
      persist_(std::move(persist)),
      fusion_(FusionConfig{default_fusion_weights(), 2, s_.fusion_decay_minutes, 30.0, 0.4}),
      feedback_(FeedbackBridge::Config{s_.feedback_adjust_every_n_trades, true}, &fusion_,
                [this](std::string history_text) {
                  if (persist_) persist_("feedback_weights", std::move(history_text));
                },
                [this](const json& d) {
                  if (publish_) publish_("weight_update", d);
                }) {}

void SignalAssembly::on_bar(std::string_view symbol, std::string_view timeframe, std::int64_t ts_us, double o,
                            double h, double l, double c, double v) {
  key_.assign(symbol);
  key_.push_back('\0');
  key_.append(timeframe);
  auto it = adx_.find(key_);
  if (it == adx_.end()) it = adx_.emplace(key_, sdk::ind::WilderAdx(14)).first;
  it->second.update(h, l, c);
  auto d = daily_.find(symbol);
  if (d == daily_.end()) d = daily_.emplace(std::string(symbol), DailyContext()).first;
  d->second.on_bar(timeframe, ts_us, o, h, l, c, v);
}

bool SignalAssembly::universe_allows(const std::string& symbol) const {
  if (s_.scanner_presets.empty()) return true;
  auto d = daily_.find(symbol);
  if (d == daily_.end()) return false;
  for (const auto& key : s_.scanner_presets) {
    const ScannerPreset* p = find_preset(key);
    if (p && preset_matches(*p, d->second.fields())) return true;
  }
  return false;
}

const char* SignalAssembly::macro_bias(const std::string& symbol) const {
  auto d = daily_.find(symbol);
  return d == daily_.end() ? "neutral" : d->second.macro_bias();
}

std::vector<Signal> SignalAssembly::assemble(const std::string& symbol, const std::string& timeframe,
                                             const std::vector<std::string>& order,
                                             SignalsByStrategy& by_strategy, const std::string& regime,
                                             std::int64_t now_us) {
  std::vector<Signal> out;
  if (by_strategy.empty()) return out;
  if (!universe_allows(symbol)) return out;

  // Step 2: selection, or every enabled strategy's signals in manifest order.
  std::vector<Signal> candidates;
  if (s_.strategy_selection) {
    key_.assign(symbol);
    key_.push_back('\0');
    key_.append(timeframe);
    auto it = adx_.find(key_);
    const double adx = it == adx_.end() ? 0.0 : it->second.value();
    StrategyChoice choice = select_strategy(symbol, adx, regime, by_strategy, s_.selector, now_us);
    candidates = std::move(choice.signals);
    choice.signals.clear();
    decisions_.push_back(std::move(choice));
    if (decisions_.size() > kKeepDecisions) decisions_.pop_front();
  } else {
    for (const auto& name : order) {
      auto it = by_strategy.find(name);
      if (it == by_strategy.end()) continue;
      for (auto& s : it->second) candidates.push_back(std::move(s));
    }
  }

  // Step 3: conviction, daily macro bias, conviction to execute.
  const std::string bias = s_.macro_bias_filter ? macro_bias(symbol) : "neutral";
  for (auto& sig : candidates) {
    if (sig.conviction < s_.min_conviction_to_signal) continue;
    if (!passes_bias(sig, bias, s_.high_conviction_threshold)) continue;
    if (sig.conviction < s_.min_conviction_to_execute) continue;
    // Step 4: fusion can confirm or veto only when another source has spoken.
    if (s_.signal_fusion && !fusion_allows(sig, now_us)) continue;
    // Step 5: attribution and the A/B count.
    const std::string strategy = strategy_of(sig);
    if (sig.strategy.empty()) sig.strategy = strategy;
    ab_.record_signal(strategy);
    signal_counts_[strategy] = signal_counts_.value(strategy, std::int64_t{0}) + 1;
    out.push_back(std::move(sig));
  }
  if (!out.empty() && persist_) persist_("ab_signal_counts", signal_counts_.dump(-1, ' ', false, json::error_handler_t::replace));
  return out;
}

bool SignalAssembly::fusion_allows(const Signal& s, std::int64_t now_us) {
  const std::string strategy = strategy_of(s);
  const std::string source = strategy == "ema_cloud" ? "ema_cloud" : "technical";
  RawSignal mine = make_raw_signal(source, s.ticker, s.direction == "long" ? "bullish" : "bearish",
                                   s.conviction, s.conviction / 100.0, s.ts_us);
  auto& recent = recent_raw_[s.ticker];
  std::vector<RawSignal> set{mine};
  // Other sources' latest signals still worth something after decay (three half-lives).
  const std::int64_t horizon = static_cast<std::int64_t>(s_.fusion_decay_minutes * 3 * 60e6);
  for (const auto& [src, raw] : recent) {
    if (src != source && now_us - raw.ts_us <= horizon) set.push_back(raw);
  }
  recent[source] = mine;
  if (set.size() < 2) return true;  // one source cannot confirm or veto
  FusionResult r = fusion_.fuse(set, now_us);
  json data = r.to_json();
  data["candidate"] = {{"strategy", strategy}, {"direction", s.direction}, {"conviction", s.conviction}};
  const bool pass = r.should_trade && r.direction == mine.direction;
  data["proceeds"] = pass;
  if (publish_) publish_("signal_fused", data);
  return pass;
}

void SignalAssembly::on_trade_closed(const Position& closed, double pnl, double ret, std::int64_t now_us) {
  const std::string strategy = closed.strategy.empty() ? "ema_cloud" : closed.strategy;
  const std::string source = closed.signal_source.empty() ? strategy : closed.signal_source;
  ab_.record_outcome(strategy, pnl);
  if (s_.feedback_loop) feedback_.on_trade_closed(source, pnl, closed.conviction, ret, now_us);
}

void SignalAssembly::restore(const json& weights_history, const json& signal_counts, const std::vector<json>& trades) {
  if (signal_counts.is_object()) {
    signal_counts_ = signal_counts;
    for (const auto& [name, n] : signal_counts.items()) {
      if (!n.is_number_integer()) continue;
      ab_.record_signal(name, n.get<std::int64_t>());
    }
  }
  for (const auto& t : trades) {
    if (!t.is_object()) continue;
    const std::string strategy = t.value("strategy", std::string("ema_cloud"));
    const double pnl = t.value("pnl", 0.0);
    ab_.record_outcome(strategy.empty() ? "ema_cloud" : strategy, pnl);
    if (s_.feedback_loop) {
      feedback_.replay_trade(t.value("signal_source", strategy), pnl, t.value("conviction", 0.0),
                             t.value("ret", 0.0));
    }
  }
  if (s_.feedback_loop) feedback_.restore(weights_history);
}

}  // namespace axion::core
