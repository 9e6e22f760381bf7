// BotController (control.md §3): the control façade of the running engine. Engine thread only:
// REST handlers reach it through Engine::call. Every accepted transition is published (and so
// journaled) on `lifecycle` with its actor; refused calls (Conflict) record nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "axion/core/domain/kill.hpp"
#include "axion/core/domain/types.hpp"

namespace axion::core {

struct DashboardConfig {
  int refresh_interval_seconds = 5;
  int pnl_chart_lookback_days = 30;
  int max_signals_displayed = 50;
  int max_events_displayed = 100;
  bool enable_sound_alerts = true;
  bool paper_mode = true;
  bool require_confirmation_for_live = true;  // launch configuration only ([api])
  json to_json() const;  // the six settable fields, in declared order
};

struct BotEvent {
  std::string event_type;  // lifecycle | kill | config_change
  std::string severity;    // info | warning | error | critical
  std::string message;
  std::int64_t ts_us = 0;
  std::string actor;  // API key id, "cli" or "engine"
  json metadata = json::object();
  json to_json() const;
};

// How a control request ended, in the engine's terms (control.md §1.1, §3.4). The REST layer
// (host/api) maps it to an HTTP status: Invalid 400, NotFound 404, Conflict 409, Failed 500.
enum class ControlOutcome : std::uint8_t {
  Done,      // applied (or already so, where the spec says a repeat succeeds)
  Invalid,   // the request itself is wrong (a missing confirmation, no field to change)
  NotFound,  // it names nothing the engine has
  Conflict,  // refused in the engine's current state (killed, already paused, a reload failed)
  Failed,    // the engine could not do it (a kill or reset hook threw)
};

// A controller answer: Done with `message`, or a refusal with `message` as the reason.
struct ControlResult {
  ControlOutcome outcome = ControlOutcome::Done;
  std::string message;
  // A kill is in effect even when it could not be saved; then this is false and `error` says
  // why (the reply must say so, not pretend success or answer 500 with trading left on).
  bool durable = true;
  std::string error;
  ControlResult() = default;
  ControlResult(ControlOutcome o, std::string msg) : outcome(o), message(std::move(msg)) {}
  bool ok() const { return outcome == ControlOutcome::Done; }
};

class BotController {
 public:
  // What the controller does to the engine, injected so it can be tested alone.
  struct Hooks {
    std::function<std::int64_t()> now;  // engine clock
    std::function<std::int64_t()> wall_now;
    // Applies the kill (in memory first, always) and makes it durable: returns "" when it is,
    // else why not. Throws only for a kill it cannot apply at all.
    std::function<std::string(const std::string& reason, KillLevel level, KillScope scope,
                              const std::string& target, const std::string& actor)>
        activate_kill;
    // Ends that kill; false when no such kill is active.
    std::function<bool(KillScope scope, const std::string& target, const std::string& actor)> reset_kill;
    std::function<bool()> kill_switch_active;  // the persistent global kill
    std::function<bool()> live_broker_configured;
    std::function<std::string()> live_broker_name;  // e.g. "alpaca"
    std::function<void(bool live)> switch_broker;   // may be empty
    std::function<void(const std::string& event, const json& data)> publish;
  };

  BotController(Hooks hooks, std::string launch_mode, DashboardConfig config);

  ControlResult start(std::optional<bool> paper_mode, bool confirm_live, const std::string& actor);
  ControlResult stop(const std::string& actor);
  ControlResult pause(const std::string& actor);
  ControlResult resume(const std::string& actor);
  ControlResult kill(const std::string& reason, KillLevel level, KillScope scope, const std::string& target,
                     const std::string& actor);
  ControlResult reset_kill(KillScope scope, const std::string& target, const std::string& actor);
  // `changes` holds only known, validated, non-null fields; returns "Config updated: ['k', …]"
  // listing them in declared order, or Invalid "No config fields provided".
  ControlResult update_config(const json& changes, const std::string& actor);

  // paper | live | paused | stopped | killed (killed ⇔ the persistent kill switch is active).
  std::string status() const;
  bool accepts_signals() const;  // status paper or live
  std::string mode() const { return to_string(mode_); }  // mode of the last start (or the launch)
  std::string session_id() const { return session_id_; }
  std::string active_broker() const { return active_broker_; }
  std::int64_t uptime_seconds() const;
  const DashboardConfig& config() const { return config_; }
  // Filtered by exact severity (empty = all), then the last `limit`, oldest first.
  std::vector<BotEvent> events(std::size_t limit = 50, const std::string& severity = "") const;

 private:
  void record(const std::string& type, const std::string& severity, const std::string& message,
              const std::string& actor, const std::string& ws_event, json data);
  void sync_killed() const;

  Hooks h_;
  // The state machine of control.md §3.4. Paper and Live are the running states.
  enum class BotState { Paper, Live, Paused, Stopped, Killed };
  static std::string to_string(BotState s);
  static bool running(BotState s) { return s == BotState::Paper || s == BotState::Live; }
  mutable BotState status_ = BotState::Paper;
  BotState mode_ = BotState::Paper;         // Paper or Live: the mode of the last start
  BotState paused_from_ = BotState::Paper;  // what resume returns to
  std::string session_id_;
  std::string active_broker_ = "paper";
  std::int64_t started_wall_us_ = 0;
  DashboardConfig config_;
  std::deque<BotEvent> events_;
};

}  // namespace axion::core
