// PositionReconciler (pipeline.md §9): a pure comparison of the journal's positions with the
// broker's. The engine runs it at start-up and every reconcile_interval_seconds; a report that
// is not clean halts new entries (reduce_only kill) until an operator resolves it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "axion/core/domain/types.hpp"
#include "axion/sdk/types.hpp"

namespace axion::core {

struct Mismatch {
  std::string ticker;
  std::string mismatch_type;  // ghost | orphaned | qty_mismatch | direction_mismatch | price_drift
  std::int64_t local_qty = 0;
  std::int64_t broker_qty = 0;
  std::string severity;       // medium | high | critical
  std::string detail;
};

struct ReconciliationReport {
  std::vector<Mismatch> mismatches;
  std::vector<std::string> matched;
  std::size_t total_local = 0;
  std::size_t total_broker = 0;
  std::int64_t timestamp_us = 0;
  bool is_clean() const { return mismatches.empty(); }
  json to_dict() const;
};

ReconciliationReport reconcile(const std::vector<Position>& local,
                               const std::vector<sdk::BrokerPosition>& broker,
                               double price_drift_threshold_pct = 5.0, std::int64_t now_us = 0);

}  // namespace axion::core
