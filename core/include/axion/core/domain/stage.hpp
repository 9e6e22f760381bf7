// Where a signal's pipeline ended (pipeline.md §1.1 `pipeline_stage`). One closed set: the
// engine's own stages, the seven a stage plugin may report under (its manifest names one), and
// each of those seven's `_error` twin for a plugin that failed. Text only at the edges: the
// label is what results, events, the journal and REST carry.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace axion::core {

enum class Stage : std::uint8_t {
  KillSwitch,
  SignalGuard,
  Regime,
  RiskAssessment,
  BasicRiskCheck,
  Routing,
  Sizing,
  Pretrade,
  FillValidation,
  Completed,
  SignalGuardError,
  RegimeError,
  RiskAssessmentError,
  BasicRiskCheckError,
  RoutingError,
  SizingError,
  PretradeError,
  OrderSubmissionError,
};

inline constexpr std::size_t kStageCount = static_cast<std::size_t>(Stage::OrderSubmissionError) + 1;

// The label of pipeline.md §1.1 ("basic_risk_check", "sizing_error", ...).
std::string_view to_string(Stage s);
std::optional<Stage> parse_stage(std::string_view label);

// The seven stages a plugin may report under, in pipeline order.
inline constexpr std::array<Stage, 7> kPluginStages = {Stage::SignalGuard,    Stage::Regime,
                                                       Stage::RiskAssessment, Stage::BasicRiskCheck,
                                                       Stage::Routing,        Stage::Sizing,
                                                       Stage::Pretrade};
// One of kPluginStages by its label, else nothing (a manifest naming another is refused).
std::optional<Stage> parse_plugin_stage(std::string_view label);
std::string plugin_stage_list();  // "signal_guard, regime, ..." for that refusal's message

// A plugin stage's `_error` twin: where a plugin that threw or failed rejects (any other stage
// has none and is returned as it is).
Stage error_stage(Stage plugin_stage);
// How an error reason names the stage: "Basic risk check" in "Basic risk check error: ...".
std::string_view display_name(Stage plugin_stage);

}  // namespace axion::core
