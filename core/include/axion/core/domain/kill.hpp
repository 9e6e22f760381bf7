// The kill switch's vocabulary (pipeline.md §4): levels ordered by what they stop, scopes, and
// the record of one kill. Text only at the edges (journal, bot_state.json, REST, events).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "axion/core/domain/types.hpp"
#include "axion/sdk/kill_rule.hpp"

namespace axion::core {

// Each level includes the ones before it: block_new < reduce_only < cancel_all < flatten.
enum class KillLevel : std::uint8_t { BlockNew = 1, ReduceOnly = 2, CancelAll = 3, Flatten = 4 };
enum class KillScope : std::uint8_t { Global, Strategy, Symbol };
// The ABI's numbers (plugin_api.h AXION_KILL_*), so the host service and the cover rule share them.
static_assert(static_cast<int>(KillScope::Global) == AXION_KILL_SCOPE_GLOBAL &&
              static_cast<int>(KillScope::Strategy) == AXION_KILL_SCOPE_STRATEGY &&
              static_cast<int>(KillScope::Symbol) == AXION_KILL_SCOPE_SYMBOL);
static_assert(static_cast<int>(KillLevel::BlockNew) == AXION_KILL_BLOCK_NEW &&
              static_cast<int>(KillLevel::Flatten) == AXION_KILL_FLATTEN);
// The same numbers as the plugin ABI's (host().kill_state()).
static_assert(static_cast<int>(KillLevel::BlockNew) == AXION_KILL_BLOCK_NEW &&
              static_cast<int>(KillLevel::ReduceOnly) == AXION_KILL_REDUCE_ONLY &&
              static_cast<int>(KillLevel::CancelAll) == AXION_KILL_CANCEL_ALL &&
              static_cast<int>(KillLevel::Flatten) == AXION_KILL_FLATTEN);
static_assert(static_cast<int>(KillScope::Global) == AXION_KILL_SCOPE_GLOBAL &&
              static_cast<int>(KillScope::Strategy) == AXION_KILL_SCOPE_STRATEGY &&
              static_cast<int>(KillScope::Symbol) == AXION_KILL_SCOPE_SYMBOL);

constexpr std::string_view to_string(KillLevel l) {
  switch (l) {
    case KillLevel::BlockNew: return "block_new";
    case KillLevel::ReduceOnly: return "reduce_only";
    case KillLevel::CancelAll: return "cancel_all";
    case KillLevel::Flatten: return "flatten";
  }
  return "block_new";
}

constexpr std::string_view to_string(KillScope s) {
  switch (s) {
    case KillScope::Global: return "global";
    case KillScope::Strategy: return "strategy";
    case KillScope::Symbol: return "symbol";
  }
  return "global";
}

constexpr std::optional<KillLevel> parse_kill_level(std::string_view s) {
  if (s == "block_new") return KillLevel::BlockNew;
  if (s == "reduce_only") return KillLevel::ReduceOnly;
  if (s == "cancel_all") return KillLevel::CancelAll;
  if (s == "flatten") return KillLevel::Flatten;
  return std::nullopt;
}

constexpr std::optional<KillScope> parse_kill_scope(std::string_view s) {
  if (s == "global") return KillScope::Global;
  if (s == "strategy") return KillScope::Strategy;
  if (s == "symbol") return KillScope::Symbol;
  return std::nullopt;
}

// As JSON the names above (events, status, journal rows).
inline void to_json(json& j, KillLevel l) { j = std::string(to_string(l)); }
inline void to_json(json& j, KillScope s) { j = std::string(to_string(s)); }

struct KillRecord {
  KillLevel level = KillLevel::Flatten;
  KillScope scope = KillScope::Global;
  std::string target;  // "" for global; else the strategy or the symbol
  std::string reason;
  std::string actor = "engine";
  std::int64_t activated_at_us = 0;

  // Whether the kill covers something of this strategy and underlying.
  bool covers(std::string_view strategy, std::string_view underlying) const {
    return sdk::kill_covers(static_cast<std::int32_t>(scope), target, strategy, underlying);
  }
};

}  // namespace axion::core
