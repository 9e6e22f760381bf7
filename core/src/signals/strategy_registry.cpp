#include "axion/core/signals/strategy_registry.hpp"

#include <algorithm>
#include <map>

#include "axion/sdk/time.hpp"

namespace axion::core {

json StrategyInfo::to_json() const {
  return {{"name", name},
          {"description", description},
          {"category", category},
          {"enabled", enabled},
          {"registered_at", sdk::time::to_iso(registered_at_us)}};
}

std::pair<std::string, std::string> StrategyRegistry::builtin_info(const std::string& name) {
  static const std::map<std::string, std::pair<std::string, std::string>> table{
      {"ema_cloud", {"EMA cloud signals", "trend"}},
      {"vwap_reversion", {"VWAP mean-reversion", "mean-reversion"}},
      {"orb_breakout", {"Opening range breakout", "breakout"}},
      {"rsi_divergence", {"RSI divergence detection", "divergence"}},
      {"pullback_to_cloud", {"Pullback to EMA cloud", "trend"}},
      {"trend_day", {"Trend day momentum", "trend"}},
      {"session_scalp", {"Intraday session scalping", "scalping"}},
      {"qullamaggie_breakout", {"Qullamaggie flag breakout", "momentum"}},
      {"qullamaggie_ep", {"Qullamaggie episodic pivot", "momentum"}},
      {"qullamaggie_parabolic_short", {"Qullamaggie parabolic short", "momentum"}},
      {"mean_reversion", {"Mean reversion (RSI, z-score, Bollinger)", "mean-reversion"}}};
  auto it = table.find(name);
  if (it == table.end()) return {"", "general"};
  return it->second;
}

void StrategyRegistry::add(PluginInstance* instance, const std::string& name, const std::string& description,
                           const std::string& category, std::int64_t now_us) {
  StrategyInfo info{name, description, category.empty() ? "general" : category, true, now_us, instance};
  for (auto& e : entries_) {
    if (e.name == name) {
      e = info;
      return;
    }
  }
  entries_.push_back(std::move(info));
}

bool StrategyRegistry::remove(const std::string& name) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.name == name; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

bool StrategyRegistry::set_enabled(const std::string& name, bool enabled) {
  for (auto& e : entries_) {
    if (e.name == name) {
      e.enabled = enabled;
      return true;
    }
  }
  return false;
}

bool StrategyRegistry::is_enabled(const std::string& name) const {
  const auto* e = find(name);
  return e && e->enabled;
}

const StrategyInfo* StrategyRegistry::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::vector<const StrategyInfo*> StrategyRegistry::enabled() const {
  std::vector<const StrategyInfo*> out;
  for (const auto& e : entries_) {
    if (e.enabled) out.push_back(&e);
  }
  return out;
}

json StrategyRegistry::flags() const {
  json j = json::object();
  for (const auto& e : entries_) j[e.name] = e.enabled;
  return j;
}

void StrategyRegistry::restore_flags(const json& flags) {
  if (!flags.is_object()) return;
  for (auto& e : entries_) {
    auto it = flags.find(e.name);
    if (it != flags.end() && it->is_boolean()) e.enabled = it->get<bool>();
  }
}

json StrategyRegistry::list() const {
  json arr = json::array();
  for (const auto& e : entries_) arr.push_back(e.to_json());
  return arr;
}

}  // namespace axion::core
