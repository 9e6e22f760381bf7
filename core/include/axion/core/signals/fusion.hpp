// Signal fusion (strategies.md §13.1–13.2) and the FusionBridge (pipeline.md §10.2): weighted,
// time-decayed consensus of per-source signals for one symbol.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "axion/core/domain/types.hpp"

namespace axion::core {

// The fusion sources, in their canonical order.
const std::vector<std::string>& fusion_sources();
std::map<std::string, double> default_fusion_weights();
bool is_fusion_source(const std::string& name);
// Scaled to sum 1 (unchanged when the sum is not positive).
std::map<std::string, double> normalise_weights(std::map<std::string, double> w);

struct RawSignal {
  std::string source;     // one of fusion_sources()
  std::string symbol;
  std::string direction;  // bullish | bearish | neutral
  double strength = 0;    // clamped to [0, 100]
  double confidence = 0.5;  // clamped to [0, 1]
  std::int64_t ts_us = 0;
};

// Validates and clamps (§13.1); throws std::invalid_argument on an unknown direction or source.
RawSignal make_raw_signal(std::string source, std::string symbol, std::string direction,
                          double strength, double confidence, std::int64_t ts_us);

struct FusionResult {
  std::string symbol = "UNKNOWN";
  std::string direction = "neutral";
  double composite = 0;   // −100 … 100
  double confidence = 0;  // 0 … 1
  int source_count = 0;
  double agreement = 0;
  std::vector<std::string> agreeing, dissenting;
  std::vector<std::string> reasoning;
  bool should_trade = false;
  std::int64_t ts_us = 0;
  json to_json() const;
};

struct FusionConfig {
  std::map<std::string, double> weights = default_fusion_weights();
  int min_sources = 2;
  double decay_minutes = 60.0;
  double min_score_to_trade = 30.0;
  double min_confidence = 0.4;
};

class FusionBridge {
 public:
  explicit FusionBridge(FusionConfig cfg = {});
  // §13.2 fuse + should_trade; the result is kept (last 500).
  FusionResult fuse(const std::vector<RawSignal>& signals, std::int64_t now_us);
  const std::map<std::string, double>& weights() const { return weights_; }
  // Named known sources take the given values, others keep theirs, then all are normalised
  // (total 0 ⇒ no change). Returns the unknown names (skipped).
  std::vector<std::string> update_weights(const std::map<std::string, double>& w);
  const std::deque<FusionResult>& recent() const { return recent_; }

 private:
  FusionConfig cfg_;
  std::map<std::string, double> weights_;
  std::deque<FusionResult> recent_;
};

}  // namespace axion::core
