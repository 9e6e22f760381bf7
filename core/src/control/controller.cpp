// BotController (control.md §3): the state machine of §3.4 over hooks into the engine. `killed`
// is never stored as the truth: it is read from the persistent kill switch, so a kill from the
// pipeline (auto-kill, reconciliation, emergency close) shows here too.
#include "axion/core/control/controller.hpp"

#include <spdlog/spdlog.h>

#include "axion/sdk/time.hpp"

namespace axion::core {

namespace {

constexpr std::size_t kMaxEvents = 10000;
constexpr const char* kKillActiveStart = "Kill switch is active \u2014 reset before starting";
constexpr const char* kLiveNeedsConfirm = "Live mode requires confirmation \u2014 set confirm_live: true";
constexpr const char* kResetGlobal = "Kill switch reset \u2014 bot paused";

}  // namespace

std::string BotController::to_string(BotState s) {
  switch (s) {
    case BotState::Paper: return "paper";
    case BotState::Live: return "live";
    case BotState::Paused: return "paused";
    case BotState::Stopped: return "stopped";
    case BotState::Killed: return "killed";
  }
  return "stopped";
}

json DashboardConfig::to_json() const {
  json j = json::object();
  j["refresh_interval_seconds"] = refresh_interval_seconds;
  j["pnl_chart_lookback_days"] = pnl_chart_lookback_days;
  j["max_signals_displayed"] = max_signals_displayed;
  j["max_events_displayed"] = max_events_displayed;
  j["enable_sound_alerts"] = enable_sound_alerts;
  j["paper_mode"] = paper_mode;
  return j;
}

json BotEvent::to_json() const {
  json j = json::object();
  j["event_type"] = event_type;
  j["severity"] = severity;
  j["message"] = message;
  j["timestamp"] = sdk::time::to_iso(ts_us);
  j["actor"] = actor;
  j["metadata"] = metadata;
  return j;
}

BotController::BotController(Hooks hooks, std::string launch_mode, DashboardConfig config)
    : h_(std::move(hooks)), config_(std::move(config)) {
  mode_ = launch_mode == "live" ? BotState::Live : BotState::Paper;
  status_ = mode_;
  paused_from_ = mode_;
  session_id_ = random_hex(6);
  active_broker_ = mode_ == BotState::Live && h_.live_broker_name ? h_.live_broker_name() : "paper";
  started_wall_us_ = h_.wall_now ? h_.wall_now() : 0;
}

void BotController::sync_killed() const {
  const bool killed = h_.kill_switch_active && h_.kill_switch_active();
  if (killed) {
    status_ = BotState::Killed;
  } else if (status_ == BotState::Killed) {
    status_ = BotState::Paused;  // the kill ended elsewhere: never resume trading on our own
  }
}

std::string BotController::status() const {
  sync_killed();
  return to_string(status_);
}

bool BotController::accepts_signals() const {
  sync_killed();
  return running(status_);
}

std::int64_t BotController::uptime_seconds() const {
  if (!h_.wall_now) return 0;
  const std::int64_t d = h_.wall_now() - started_wall_us_;
  return d > 0 ? d / 1'000'000 : 0;
}

void BotController::record(const std::string& type, const std::string& severity,
                           const std::string& message, const std::string& actor,
                           const std::string& ws_event, json data) {
  BotEvent ev;
  ev.event_type = type;
  ev.severity = severity;
  ev.message = message;
  ev.ts_us = h_.wall_now ? h_.wall_now() : (h_.now ? h_.now() : 0);
  ev.actor = actor;
  ev.metadata = data.is_object() ? data : json::object();
  events_.push_back(ev);
  while (events_.size() > kMaxEvents) events_.pop_front();
  if (ws_event.empty() || !h_.publish) return;
  json out = json::object();
  out["status"] = status();
  out["message"] = message;
  out["actor"] = actor;
  if (data.is_object()) {
    for (auto& [k, v] : data.items()) out[k] = v;
  }
  h_.publish(ws_event, out);
}

ControlResult BotController::start(std::optional<bool> paper_mode, bool confirm_live,
                                   const std::string& actor) {
  sync_killed();
  if (status_ == BotState::Killed) return {ControlOutcome::Conflict, kKillActiveStart};
  if (running(status_)) return {ControlOutcome::Conflict, "Bot is already running"};
  const bool live = !paper_mode.value_or(config_.paper_mode);
  if (live && config_.require_confirmation_for_live && !confirm_live) {
    return {ControlOutcome::Invalid, kLiveNeedsConfirm};
  }
  if (live && !(h_.live_broker_configured && h_.live_broker_configured())) {
    return {ControlOutcome::Conflict, "Live broker not configured"};
  }
  // The engine refuses a broker it cannot switch to (e.g. paper on a live launch): Conflict, no change.
  try {
    if (h_.switch_broker) h_.switch_broker(live);
  } catch (const std::exception& e) {
    return {ControlOutcome::Conflict, e.what()};
  }
  mode_ = live ? BotState::Live : BotState::Paper;
  status_ = mode_;
  paused_from_ = mode_;
  active_broker_ = live && h_.live_broker_name ? h_.live_broker_name() : "paper";
  if (h_.wall_now) started_wall_us_ = h_.wall_now();
  const std::string msg = "Bot started in " + to_string(mode_) + " mode";
  record("lifecycle", "info", msg, actor, "bot_started",
         {{"mode", to_string(mode_)}, {"broker", active_broker_}, {"session_id", session_id_}});
  return {ControlOutcome::Done, msg};
}

ControlResult BotController::stop(const std::string& actor) {
  sync_killed();
  // Killed stays killed (the kill switch decides); underneath, only start leaves `stopped`.
  status_ = status_ == BotState::Killed ? BotState::Killed : BotState::Stopped;
  paused_from_ = mode_;
  record("lifecycle", "info", "Bot stopped", actor, "bot_stopped", json::object());
  return {ControlOutcome::Done, "Bot stopped"};
}

ControlResult BotController::pause(const std::string& actor) {
  sync_killed();
  if (status_ == BotState::Paused) return {ControlOutcome::Conflict, "Bot is already paused"};
  if (!running(status_)) return {ControlOutcome::Conflict, "Bot is not running"};
  paused_from_ = status_;
  status_ = BotState::Paused;
  record("lifecycle", "warning", "Bot paused from " + to_string(paused_from_) + " mode", actor, "bot_paused",
         {{"paused_from", to_string(paused_from_)}});
  return {ControlOutcome::Done, "Bot paused"};
}

ControlResult BotController::resume(const std::string& actor) {
  sync_killed();
  if (status_ != BotState::Paused) return {ControlOutcome::Conflict, "Bot is not paused"};
  status_ = running(paused_from_) ? paused_from_ : mode_;
  record("lifecycle", "info", "Bot resumed", actor, "bot_resumed", {{"mode", to_string(status_)}});
  return {ControlOutcome::Done, "Bot resumed"};
}

ControlResult BotController::kill(const std::string& reason, KillLevel level, KillScope scope,
                                  const std::string& target, const std::string& actor) {
  sync_killed();
  const bool global = scope == KillScope::Global;
  // Remember what to resume after a reset (the kill itself hides it behind `killed`).
  if (global && running(status_)) paused_from_ = status_;
  std::string not_durable;
  try {
    if (!h_.activate_kill) throw std::runtime_error("no kill hook");
    not_durable = h_.activate_kill(reason, level, scope, target, actor);
  } catch (const std::exception& e) {
    auto log = spdlog::get("axion.bot");
    (log ? log : spdlog::default_logger())->error("kill switch not applied: {}", e.what());
    return {ControlOutcome::Failed, std::string("Kill switch not applied: ") + e.what()};
  }
  if (global) {
    auto log = spdlog::get("axion.bot");
    (log ? log : spdlog::default_logger())->critical("BOT KILLED: {}", reason);
    status_ = BotState::Killed;
  }
  std::string msg = "Kill switch activated: " + reason;
  if (!not_durable.empty()) {
    msg += " (active now, but NOT durable: it may not survive a restart: " + not_durable + ")";
  }
  record("kill", "critical", msg, actor, global ? "bot_killed" : "",
         {{"reason", reason},
          {"level", level},
          {"scope", scope},
          {"target", target.empty() ? json(nullptr) : json(target)},
          {"durable", not_durable.empty()}});
  ControlResult out{ControlOutcome::Done, msg};
  out.durable = not_durable.empty();
  out.error = not_durable;
  return out;
}

ControlResult BotController::reset_kill(KillScope scope, const std::string& target,
                                        const std::string& actor) {
  sync_killed();
  const bool global = scope == KillScope::Global;
  if (global && status_ != BotState::Killed) {
    return {ControlOutcome::Conflict, "Kill switch is not active"};
  }
  bool reset = false;
  try {
    reset = h_.reset_kill && h_.reset_kill(scope, global ? "" : target, actor);
  } catch (const std::exception& e) {
    return {ControlOutcome::Failed, std::string("Failed to reset kill switch: ") + e.what()};
  }
  if (!reset) return {ControlOutcome::Conflict, "Kill switch is not active"};
  if (global) {
    status_ = BotState::Paused;
    paused_from_ = mode_;  // resume returns to the mode of the last start
    record("lifecycle", "info", kResetGlobal, actor, "bot_paused",
           {{"reason", "kill_switch_reset"}, {"scope", scope}, {"target", nullptr}});
    return {ControlOutcome::Done, kResetGlobal};
  }
  const std::string msg = "Kill switch reset: " + std::string(core::to_string(scope)) + " " + target;
  record("lifecycle", "info", msg, actor, "kill_switch_reset", {{"scope", scope}, {"target", target}});
  return {ControlOutcome::Done, msg};
}

ControlResult BotController::update_config(const json& changes, const std::string& actor) {
  std::vector<std::string> applied;
  auto has = [&](const char* k) { return changes.is_object() && changes.contains(k) && !changes[k].is_null(); };
  auto set_int = [&](const char* k, int& field) {
    if (!has(k)) return;
    field = changes[k].is_number() ? static_cast<int>(changes[k].get<double>()) : std::stoi(changes[k].get<std::string>());
    applied.emplace_back(k);
  };
  auto set_bool = [&](const char* k, bool& field) {
    if (!has(k)) return;
    field = changes[k].is_boolean() ? changes[k].get<bool>() : changes[k].get<double>() != 0;
    applied.emplace_back(k);
  };
  // Declared field order (control.md §1.3), whatever the order of the request.
  set_int("refresh_interval_seconds", config_.refresh_interval_seconds);
  set_int("pnl_chart_lookback_days", config_.pnl_chart_lookback_days);
  set_int("max_signals_displayed", config_.max_signals_displayed);
  set_int("max_events_displayed", config_.max_events_displayed);
  set_bool("enable_sound_alerts", config_.enable_sound_alerts);
  set_bool("paper_mode", config_.paper_mode);
  if (applied.empty()) return {ControlOutcome::Invalid, "No config fields provided"};
  std::string list;
  for (const auto& k : applied) list += (list.empty() ? "'" : ", '") + k + "'";
  const std::string msg = "Config updated: [" + list + "]";
  record("config_change", "info", msg, actor, "config_changed", {{"changes", config_.to_json()}, {"fields", applied}});
  return {ControlOutcome::Done, msg};
}

std::vector<BotEvent> BotController::events(std::size_t limit, const std::string& severity) const {
  std::vector<BotEvent> matched;
  for (const auto& e : events_) {
    if (severity.empty() || e.severity == severity) matched.push_back(e);
  }
  if (matched.size() > limit) matched.erase(matched.begin(), matched.end() - static_cast<std::ptrdiff_t>(limit));
  return matched;
}

}  // namespace axion::core
