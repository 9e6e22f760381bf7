#include "axion/core/pipeline/orchestrator.hpp"

#include "pipeline/internal.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "axion/sdk/time.hpp"

namespace axion::core {

using namespace detail;

// ---- OrderValidator (§7.4) -----------------------------------------------------------------

FillValidation validate_fill(const OrderResult& r, std::int64_t expected_qty,
                             double expected_price, std::int64_t now_us,
                             const OrchestratorConfig& cfg) {
  FillValidation v;
  auto invalid = [&](std::string reason) {
    v.is_valid = false;
    v.reason = std::move(reason);
    return v;
  };
  if (r.status == OrderStatus::Rejected) {
    return invalid("Order rejected by broker: " +
                   (r.rejection_reason.empty() ? std::string("unknown") : r.rejection_reason));
  }
  if (r.status == OrderStatus::Cancelled) return invalid("Order was cancelled");
  if (r.status == OrderStatus::Pending) return invalid("Order still pending \u2014 not yet filled");
  if (r.filled_qty <= 0) {
    return invalid("Zero fill quantity (status=" + order_status_text(r) + ")");
  }
  if (r.status == OrderStatus::Partial || r.filled_qty < expected_qty) {
    if (!cfg.allow_partial) {
      return invalid("Partial fill " + std::to_string(r.filled_qty) + "/" +
                     std::to_string(expected_qty) + " \u2014 partials disabled");
    }
    double ratio = static_cast<double>(r.filled_qty) / static_cast<double>(std::max<std::int64_t>(expected_qty, 1));
    if (ratio < 0.5) {
      v.warnings.push_back("Low fill ratio: " + std::to_string(r.filled_qty) + "/" +
                           std::to_string(expected_qty) + " (" + fmt("%.0f", ratio * 100) + "%)");
    }
  }
  if (!(r.filled_price > 0)) return invalid("Invalid fill price: " + float_text(r.filled_price));
  if (expected_price > 0) {
    double slip = std::fabs(r.filled_price - expected_price) / expected_price * 100.0;
    if (slip > cfg.max_slippage_pct) {
      return invalid("Excessive slippage: " + fmt("%.2f", slip) + "% (limit: " +
                     float_text(cfg.max_slippage_pct) + "%)");
    }
    if (slip > 1.0) v.warnings.push_back("Elevated slippage: " + fmt("%.2f", slip) + "%");
  }
  double age = static_cast<double>(now_us - r.ts_us) / 1e6;
  if (r.ts_us > 0 && age > cfg.max_fill_age_seconds) {
    return invalid("Stale fill: " + fmt("%.0f", age) + "s old (limit: " +
                   fmt("%.0f", cfg.max_fill_age_seconds) + "s)");
  }
  v.is_valid = true;
  v.adjusted_qty = r.filled_qty;
  v.fill_price = r.filled_price;
  v.reason = "Fill validated successfully";
  return v;
}

Orchestrator::DeferScope::~DeferScope() {
  --o_.depth_;
  o_.run_deferred();
}

Orchestrator::Orchestrator(OrchestratorConfig cfg, StageSet stages, StateManager& state,
                           Journal& journal, EventBus& bus, Clock now_us)
    : cfg_(std::move(cfg)), stages_(stages), state_(state), journal_(journal), bus_(bus),
      now_(std::move(now_us)) {
  account_.equity = account_.cash = account_.buying_power = account_.starting_equity = 100000.0;
  // Without regime adaptation the profile multipliers are neutral (pipeline.md §6.2, §2.3).
  base_limits_ = base_limits(cfg_.executor, cfg_.lifecycle);
  base_limits_c_ = sdk::to_c(base_limits_, base_limits_lists_);
  current_effective_ = base_limits_;
  exit_rules_ = ExitRules::from(current_effective_);
}

Orchestrator::~Orchestrator() = default;

void Orchestrator::publish(const std::string& event, const json& data) {
  bus_.publish(event, data, now_());
}

void Orchestrator::publish_text(const std::string& event, std::string_view data_json) {
  bus_.publish_text(event, data_json, now_());
}

void Orchestrator::replace_stage(PluginInstance* from, PluginInstance* to) { stages_.replace(from, to); }

void Orchestrator::alert_error(const std::string& stage, const std::string& error) {
  logf(3, "Error in pipeline stage '" + stage + "': " + error);
  publish("error", {{"stage", stage}, {"error", error}});
}

void Orchestrator::intent_before_send(const PluginInstance* broker) {
  if (broker && broker->book_in_host_state()) {
    journal_.checkpoint();
  } else {
    journal_.make_durable();
  }
}

void Orchestrator::persist(const Position& p) {
  try {
    journal_.upsert_position(p);
    journal_.checkpoint();  // a unit of its own: never lost with a later part of the bar
  } catch (const std::exception& e) {
    alert_error("journal", e.what());
  }
}

double Orchestrator::base_equity() const {
  if (account_.starting_equity > 0) return account_.starting_equity;
  return account_.equity > 0 ? account_.equity : 100000.0;
}

void Orchestrator::refresh_account() {
  if (!stages_.broker) return;
  try {
    account_ = stages_.broker->account();
    account_known_ = true;
  } catch (const std::exception& e) {
    alert_error("account", e.what());
  }
}

json Orchestrator::stats() {
  json by_stage = json::object();
  for (std::size_t i = 0; i < kStageCount; ++i) {
    if (by_stage_[i] != 0) by_stage[std::string(to_string(static_cast<Stage>(i)))] = by_stage_[i];
  }
  return {{"total_signals_processed", total_},
          {"successful_executions", successes_},
          {"rejection_rate", total_ == 0 ? 0.0
                                         : static_cast<double>(total_ - successes_) /
                                               static_cast<double>(std::max<std::uint64_t>(total_, 1)) * 100.0},
          {"open_positions", positions_.size()},
          {"kill_switch_active", global_kill() != nullptr},
          {"circuit_breaker_status", state_.circuit_breaker_status()},
          {"daily_pnl", state_.daily_pnl()},
          {"daily_trades", state_.daily_trade_count()},
          {"history_size", history_.size()},
          {"history_max_size", cfg_.max_history_size},
          {"rejections_by_stage", by_stage}};
}

}  // namespace axion::core
