// What GET requests read (ARCHITECTURE §6, "reads never queue behind the engine"): the engine
// thread publishes an immutable snapshot of its read models after each bar, each command and at
// least every ~200 ms; readers on any thread take the latest one without waiting for the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "axion/core/domain/types.hpp"

namespace axion::core {

struct ReadSnapshot {
  std::uint64_t version = 0;             // increases with every publication
  std::int64_t published_wall_us = 0;
  json status = json::object();          // GET /bot/status (control.md §1.3)
  json positions = json::array();        // PositionItem array, oldest first
  json config = json::object();          // GET /bot/config
  json strategies = json::array();       // the strategy registry (strategy_list())
  json strategy_stats = json::object();  // live A/B statistics
  json plugins = json::array();          // loaded plugins {kind, name, version, state}
  std::string strategies_error;          // set when the registry could not be read
  std::string strategy_stats_error;
  // Engine counters for /metrics.
  std::uint64_t bars = 0;
  std::uint64_t closes = 0;
};

// The latest snapshot; any thread. The lock covers only a pointer copy, never the building.
class SnapshotCell {
 public:
  std::shared_ptr<const ReadSnapshot> load() const {
    std::lock_guard lock(mu_);
    return snap_;
  }
  void store(std::shared_ptr<const ReadSnapshot> s) {
    std::lock_guard lock(mu_);
    snap_ = std::move(s);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ReadSnapshot> snap_;
};

}  // namespace axion::core
