// The StrategyRegistry (strategies.md §9): every loaded strategy plugin with its name,
// description, category, enabled flag and registration time, in manifest order. Enable flags
// are persisted (journal key-value store) and restored at start-up; each change is published
// (and so journaled) as an event with its actor. Disabled strategies are never run by signal
// assembly or the selector. Engine thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "axion/core/domain/types.hpp"

namespace axion::core {

class PluginInstance;

struct StrategyInfo {
  std::string name, description, category = "general";
  bool enabled = true;
  std::int64_t registered_at_us = 0;
  PluginInstance* instance = nullptr;
  json to_json() const;
};

class StrategyRegistry {
 public:
  // Built-in description and category (§9), or the plugin's own description and "general".
  static std::pair<std::string, std::string> builtin_info(const std::string& name);

  // Re-registering a name replaces the strategy and resets its info; the position is kept.
  void add(PluginInstance* instance, const std::string& name, const std::string& description,
           const std::string& category, std::int64_t now_us);
  bool remove(const std::string& name);
  // False when unknown. The flag takes effect at the next bar.
  bool set_enabled(const std::string& name, bool enabled);
  bool is_enabled(const std::string& name) const;
  const StrategyInfo* find(const std::string& name) const;
  const std::vector<StrategyInfo>& all() const { return entries_; }
  std::vector<const StrategyInfo*> enabled() const;
  std::size_t count() const { return entries_.size(); }

  // {name: enabled} for persistence; restore applies only to known names.
  json flags() const;
  void restore_flags(const json& flags);
  json list() const;

 private:
  std::vector<StrategyInfo> entries_;
};

}  // namespace axion::core
