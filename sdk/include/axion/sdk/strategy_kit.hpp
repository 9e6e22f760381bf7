// What every strategy plugin repeats: the `timeframes` filter, per-(symbol, timeframe) state,
// bar validation and a signal with its protective-side check (strategies.md §0, §9).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "axion/sdk/config.hpp"
#include "axion/sdk/error.hpp"
#include "axion/sdk/types.hpp"

namespace axion::sdk {

inline constexpr const char* kTimeframes[] = {"1m", "5m", "10m", "1h", "1d"};

// The `timeframes` key (StringList, "[]" = every timeframe received), validated at load.
class TimeframeFilter {
 public:
  TimeframeFilter() = default;
  explicit TimeframeFilter(const Config& config, const std::string& key = "timeframes")
      : allowed_(config.get_strings(key)) {
    for (const auto& tf : allowed_) {
      bool known = false;
      for (const char* k : kTimeframes) known = known || tf == k;
      if (!known) throw Error(key + ": '" + tf + "' is not one of 1m, 5m, 10m, 1h, 1d", key);
    }
  }
  bool accepts(std::string_view timeframe) const {
    if (allowed_.empty()) return true;
    for (const auto& tf : allowed_) {
      if (tf == timeframe) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> allowed_;
};

// Cross-key check of two int keys (e.g. a short EMA period below its long one); the error names
// the first key.
inline void require_less(const Config& c, const char* first_key, const char* second_key) {
  const auto a = c.get_int(first_key), b = c.get_int(second_key);
  if (a >= b) {
    throw Error(std::string(first_key) + " (" + std::to_string(a) + ") must be less than " + second_key + " (" +
                    std::to_string(b) + ")",
                first_key);
  }
}

// Rejects a bar that would corrupt a series: non-finite, non-positive prices, high < low,
// negative volume. The caller's state is left untouched.
inline void require_valid_bar(const BarView& b) {
  bool finite = std::isfinite(b.open) && std::isfinite(b.high) && std::isfinite(b.low) &&
                std::isfinite(b.close) && std::isfinite(b.volume);
  if (!finite || b.high < b.low || b.low <= 0 || b.open <= 0 || b.close <= 0 || b.volume < 0) {
    throw Error("invalid bar for " + std::string(b.symbol) + " " + std::string(b.timeframe));
  }
}

// One incremental state per (symbol, timeframe). Lookup reuses an internal key buffer, so a known
// series costs no allocation; a new series is built once with `make()`.
template <class State>
class SeriesMap {
 public:
  template <class Make>
  State& get(std::string_view symbol, std::string_view timeframe, Make&& make) {
    key_.assign(symbol);
    key_.push_back('\0');
    key_.append(timeframe);
    auto it = map_.find(key_);
    if (it == map_.end()) it = map_.emplace(key_, make()).first;
    return it->second;
  }
  std::size_t size() const { return map_.size(); }

 private:
  std::unordered_map<std::string, State> map_;
  std::string key_;
};

// Stop strictly on the protective side of entry, target (when > 0) strictly on the profit side.
inline bool protective_sides_ok(std::string_view direction, double entry, double stop,
                                double target) {
  if (!(std::isfinite(entry) && std::isfinite(stop) && std::isfinite(target))) return false;
  if (direction == "long") return stop < entry && (target <= 0 || target > entry);
  if (direction == "short") return stop > entry && (target <= 0 || target < entry);
  return false;
}

// A strategy signal: `strategy` set, timestamp = the engine clock. target ≤ 0 = none.
inline Signal make_strategy_signal(std::string_view strategy, const BarView& bar,
                                   std::string_view signal_type, std::string_view direction,
                                   std::string_view timeframe_label, int conviction, double entry,
                                   double stop, double target, std::int64_t now_us) {
  Signal s;
  s.signal_type = std::string(signal_type);
  s.direction = std::string(direction);
  s.ticker = std::string(bar.symbol);
  s.timeframe = std::string(timeframe_label);
  s.conviction = conviction;
  s.entry_price = entry;
  s.stop_loss = stop;
  s.target_price = target > 0 ? target : 0.0;
  s.ts_us = now_us;
  s.strategy = std::string(strategy);
  return s;
}

}  // namespace axion::sdk
