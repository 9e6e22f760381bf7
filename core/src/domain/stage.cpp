#include "axion/core/domain/stage.hpp"

namespace axion::core {

namespace {

constexpr std::array<std::string_view, kStageCount> kLabels = {
    "kill_switch",
    "signal_guard",
    "regime",
    "risk_assessment",
    "basic_risk_check",
    "routing",
    "sizing",
    "pretrade",
    "fill_validation",
    "completed",
    "signal_guard_error",
    "regime_error",
    "risk_assessment_error",
    "basic_risk_check_error",
    "routing_error",
    "sizing_error",
    "pretrade_error",
    "order_submission_error",
};

constexpr std::size_t index(Stage s) { return static_cast<std::size_t>(s); }

}  // namespace

std::string_view to_string(Stage s) { return index(s) < kStageCount ? kLabels[index(s)] : "unknown"; }

std::optional<Stage> parse_stage(std::string_view label) {
  for (std::size_t i = 0; i < kStageCount; ++i) {
    if (kLabels[i] == label) return static_cast<Stage>(i);
  }
  return std::nullopt;
}

std::optional<Stage> parse_plugin_stage(std::string_view label) {
  for (Stage s : kPluginStages) {
    if (to_string(s) == label) return s;
  }
  return std::nullopt;
}

std::string plugin_stage_list() {
  std::string out;
  for (Stage s : kPluginStages) out.append(out.empty() ? "" : ", ").append(to_string(s));
  return out;
}

Stage error_stage(Stage s) {
  switch (s) {
    case Stage::SignalGuard: return Stage::SignalGuardError;
    case Stage::Regime: return Stage::RegimeError;
    case Stage::RiskAssessment: return Stage::RiskAssessmentError;
    case Stage::BasicRiskCheck: return Stage::BasicRiskCheckError;
    case Stage::Routing: return Stage::RoutingError;
    case Stage::Sizing: return Stage::SizingError;
    case Stage::Pretrade: return Stage::PretradeError;
    default: return s;  // not a plugin stage (a plugin instance's stage always is): no twin
  }
}

std::string_view display_name(Stage s) {
  switch (s) {
    case Stage::SignalGuard: return "Signal guard";
    case Stage::Regime: return "Regime";
    case Stage::RiskAssessment: return "Risk assessment";
    case Stage::BasicRiskCheck: return "Basic risk check";
    case Stage::Routing: return "Routing";
    case Stage::Sizing: return "Sizing";
    case Stage::Pretrade: return "Pre-trade";
    case Stage::OrderSubmissionError: return "Order submission";
    default: return to_string(s);
  }
}

}  // namespace axion::core
