// The pipeline_stage vocabulary (pipeline.md §1.1): one enum, each value's label, the seven a
// plugin may report under and their `_error` twins.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "axion/core/domain/stage.hpp"

using namespace axion::core;

TEST_CASE("Every stage has its own label and is found again by it") {
  std::set<std::string> labels;
  for (std::size_t i = 0; i < kStageCount; ++i) {
    const auto s = static_cast<Stage>(i);
    const std::string label(to_string(s));
    CHECK(labels.insert(label).second);
    REQUIRE(parse_stage(label).has_value());
    CHECK(*parse_stage(label) == s);
  }
  CHECK(labels.size() == 18);  // 10 stages and 8 error labels (§1.1)
  CHECK(to_string(Stage::KillSwitch) == "kill_switch");
  CHECK(to_string(Stage::BasicRiskCheck) == "basic_risk_check");
  CHECK(to_string(Stage::OrderSubmissionError) == "order_submission_error");
  CHECK_FALSE(parse_stage("Kill_Switch"));
  CHECK_FALSE(parse_stage(""));
}

TEST_CASE("A plugin reports under one of seven stages; each fails at its _error twin") {
  CHECK(plugin_stage_list() ==
        "signal_guard, regime, risk_assessment, basic_risk_check, routing, sizing, pretrade");
  for (Stage s : kPluginStages) {
    REQUIRE(parse_plugin_stage(to_string(s)) == s);
    CHECK(to_string(error_stage(s)) == std::string(to_string(s)) + "_error");
  }
  // The engine's own stages are not a plugin's to report under.
  CHECK_FALSE(parse_plugin_stage("kill_switch"));
  CHECK_FALSE(parse_plugin_stage("completed"));
  CHECK_FALSE(parse_plugin_stage("fill_validation"));
  CHECK_FALSE(parse_plugin_stage("sizing_error"));
  CHECK(display_name(Stage::BasicRiskCheck) == "Basic risk check");
  CHECK(display_name(Stage::Pretrade) == "Pre-trade");
  CHECK(display_name(Stage::SignalGuard) == "Signal guard");
}
