// The kill switch's cover rule (control.md §2), shared by the engine's kill_state host service,
// its pipeline stage 1 and the SDK's FakeHost so that they cannot disagree.
#pragma once

#include <cstdint>
#include <string_view>

#include "axion/plugin_api.h"

namespace axion::sdk {

// Whether a kill of `scope` (AXION_KILL_SCOPE_*) on `target` covers work for `strategy` on
// `symbol` (an order's underlying): a global kill covers everything, a strategy kill its
// strategy, a symbol kill its symbol. A scoped kill without a target covers nothing.
constexpr bool kill_covers(std::int32_t scope, std::string_view target, std::string_view strategy,
                           std::string_view symbol) {
  if (scope == AXION_KILL_SCOPE_GLOBAL) return true;
  if (target.empty()) return false;
  if (scope == AXION_KILL_SCOPE_STRATEGY) return target == strategy;
  if (scope == AXION_KILL_SCOPE_SYMBOL) return target == symbol;
  return false;
}

// Folds one active kill into a kill_state answer: the strongest covering kill wins; any global
// kill sets global_active.
inline void fold_kill(axion_kill_state& out, std::int32_t level, std::int32_t scope, bool covers) {
  if (scope == AXION_KILL_SCOPE_GLOBAL) out.global_active = 1;
  if (covers && level > out.level) {
    out.level = level;
    out.scope = scope;
  }
}

}  // namespace axion::sdk
