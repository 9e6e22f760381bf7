#include "axion/core/signals/fusion.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace axion::core {
namespace {

constexpr std::size_t kKeepResults = 500;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

const std::vector<std::string>& fusion_sources() {
  static const std::vector<std::string> s{"ema_cloud", "social",    "factor",      "ml_ranking",
                                          "sentiment", "technical", "fundamental", "news"};
  return s;
}

std::map<std::string, double> default_fusion_weights() {
  return {{"ema_cloud", 0.25}, {"social", 0.15},    {"factor", 0.20},      {"ml_ranking", 0.15},
          {"sentiment", 0.10}, {"technical", 0.10}, {"fundamental", 0.05}, {"news", 0.0}};
}

bool is_fusion_source(const std::string& name) {
  const auto& all = fusion_sources();
  return std::find(all.begin(), all.end(), name) != all.end();
}

std::map<std::string, double> normalise_weights(std::map<std::string, double> w) {
  double total = 0;
  for (const auto& [k, v] : w) total += v;
  if (total > 0) {
    for (auto& [k, v] : w) v /= total;
  }
  return w;
}

RawSignal make_raw_signal(std::string source, std::string symbol, std::string direction,
                          double strength, double confidence, std::int64_t ts_us) {
  if (!is_fusion_source(source)) {
    throw std::invalid_argument("unknown signal source '" + source + "'");
  }
  if (direction != "bullish" && direction != "bearish" && direction != "neutral") {
    throw std::invalid_argument("direction must be bullish, bearish or neutral, got '" + direction + "'");
  }
  return {std::move(source), std::move(symbol), std::move(direction),
          std::clamp(strength, 0.0, 100.0), std::clamp(confidence, 0.0, 1.0), ts_us};
}

json FusionResult::to_json() const {
  return {{"symbol", symbol},
          {"direction", direction},
          {"composite_score", std::round(composite * 100) / 100},
          {"confidence", std::round(confidence * 1000) / 1000},
          {"source_count", source_count},
          {"agreement", agreement},
          {"agreeing_sources", agreeing},
          {"dissenting_sources", dissenting},
          {"should_trade", should_trade},
          {"reasoning", reasoning}};
}

FusionBridge::FusionBridge(FusionConfig cfg) : cfg_(std::move(cfg)), weights_(normalise_weights(cfg_.weights)) {}

std::vector<std::string> FusionBridge::update_weights(const std::map<std::string, double>& w) {
  std::vector<std::string> unknown;
  auto next = weights_;
  for (const auto& [k, v] : w) {
    if (!next.count(k)) {
      unknown.push_back(k);
      continue;
    }
    next[k] = std::max(0.0, v);
  }
  double total = 0;
  for (const auto& [k, v] : next) total += v;
  if (total > 0) weights_ = normalise_weights(next);
  return unknown;
}

FusionResult FusionBridge::fuse(const std::vector<RawSignal>& signals, std::int64_t now_us) {
  FusionResult r;
  r.ts_us = now_us;
  if (signals.empty()) {
    r.reasoning = {"No signals provided"};
    return r;
  }
  r.symbol = signals.front().symbol;
  // One signal per source: the latest; ties keep the earlier-listed. Sources in first-seen order.
  std::vector<const RawSignal*> kept;
  for (const auto& s : signals) {
    auto it = std::find_if(kept.begin(), kept.end(), [&](const RawSignal* k) { return k->source == s.source; });
    if (it == kept.end()) kept.push_back(&s);
    else if (s.ts_us > (*it)->ts_us) *it = &s;
  }
  r.source_count = static_cast<int>(kept.size());

  double bull = 0, bear = 0, neutral = 0, total_w = 0, weighted_conf = 0;
  std::vector<double> decays;
  for (const RawSignal* s : kept) {
    auto wit = weights_.find(s->source);
    const double w = wit == weights_.end() ? 0.0 : wit->second;
    const double age_min = static_cast<double>(now_us - s->ts_us) / 60e6;
    const double decay =
        (cfg_.decay_minutes <= 0 || age_min <= 0) ? 1.0 : std::exp(-0.693 * age_min / cfg_.decay_minutes);
    decays.push_back(decay);
    const double eff = w * decay * s->strength / 100.0;
    (s->direction == "bullish" ? bull : s->direction == "bearish" ? bear : neutral) += eff;
    total_w += w * decay;
    weighted_conf += s->confidence * w * decay;
  }
  const double top = std::max({bull, bear, neutral});
  const int at_top = (bull == top) + (bear == top) + (neutral == top);
  // A zero or shared maximum is no consensus (never silently bullish).
  r.direction = (top <= 0 || at_top > 1) ? "neutral" : bull == top ? "bullish" : bear == top ? "bearish" : "neutral";
  for (const RawSignal* s : kept) (s->direction == r.direction ? r.agreeing : r.dissenting).push_back(s->source);
  r.agreement = static_cast<double>(r.agreeing.size()) / r.source_count;
  if (total_w > 0) {
    r.composite = std::clamp((bull - bear) / total_w * 100.0, -100.0, 100.0);
    r.confidence = std::clamp(weighted_conf / total_w * (0.5 + 0.5 * r.agreement), 0.0, 1.0);
  }
  r.reasoning.push_back("Consensus: " + r.direction + " | Agreement: " + fmt("%.0f", r.agreement * 100) +
                        "% (" + std::to_string(r.agreeing.size()) + "/" + std::to_string(r.source_count) +
                        " sources) | Score: " + fmt("%+.1f", r.composite));
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const RawSignal* s = kept[i];
    r.reasoning.push_back(s->source + ": " + s->direction + " (str=" + fmt("%.0f", s->strength) +
                          ", conf=" + fmt("%.2f", s->confidence) + ", decay=" + fmt("%.2f", decays[i]) + ")");
  }
  r.should_trade = std::fabs(r.composite) >= cfg_.min_score_to_trade && r.confidence >= cfg_.min_confidence &&
                   r.source_count >= cfg_.min_sources;
  recent_.push_back(r);
  if (recent_.size() > kKeepResults) recent_.pop_front();
  return r;
}

}  // namespace axion::core
