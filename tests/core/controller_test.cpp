// BotController state machine (control.md §3, §1.1 messages, §8 Controller library) over fake
// engine hooks: the kill switch is a flag, publishing is recorded.
#include <catch2/catch.hpp>

#include <regex>

#include "axion/core/control/controller.hpp"

using namespace axion::core;

namespace {

constexpr std::int64_t kSec = 1'000'000;

struct FakeEngine {
  std::int64_t wall = 1770647400 * kSec;
  bool kill_switch = false;
  bool live_configured = true;
  std::vector<std::string> kills;  // "level scope target actor: reason"
  std::vector<std::pair<std::string, std::string>> resets;
  std::vector<std::pair<std::string, json>> published;
  std::vector<bool> switches;
  bool fail_persist = false;

  BotController::Hooks hooks() {
    BotController::Hooks h;
    h.now = [this] { return wall; };
    h.wall_now = [this] { return wall; };
    h.activate_kill = [this](const std::string& reason, KillLevel level, KillScope scope, const std::string& target,
                             const std::string& actor) {
      // Like the engine's: the kill takes effect in memory first, then the save may fail.
      kills.push_back(std::string(to_string(level)) + " " + std::string(to_string(scope)) + " " + target + " " +
                      actor + ": " + reason);
      if (scope == KillScope::Global) kill_switch = true;
      return fail_persist ? std::string("disk full") : std::string();
    };
    h.reset_kill = [this](KillScope scope, const std::string& target, const std::string&) {
      resets.emplace_back(std::string(to_string(scope)), target);
      if (scope == KillScope::Global) {
        if (!kill_switch) return false;
        kill_switch = false;
        return true;
      }
      return target == "ema_cloud";  // the only scoped kill the fake knows
    };
    h.kill_switch_active = [this] { return kill_switch; };
    h.live_broker_configured = [this] { return live_configured; };
    h.live_broker_name = [] { return std::string("alpaca"); };
    h.switch_broker = [this](bool live) { switches.push_back(live); };
    h.publish = [this](const std::string& e, const json& d) { published.emplace_back(e, d); };
    return h;
  }
};

struct Fixture {
  FakeEngine fe;
  BotController c;
  explicit Fixture(const std::string& launch = "paper", DashboardConfig cfg = {})
      : c(fe.hooks(), launch, cfg) {}
  // Brings the controller into one of the five statuses.
  void into(const std::string& status) {
    if (status == "paper") return;
    if (status == "live") {
      REQUIRE(c.stop("t").ok());
      REQUIRE(c.start(false, true, "t").ok());
    } else if (status == "paused") {
      REQUIRE(c.pause("t").ok());
    } else if (status == "stopped") {
      REQUIRE(c.stop("t").ok());
    } else if (status == "killed") {
      REQUIRE(c.kill("test", KillLevel::Flatten, KillScope::Global, "", "t").ok());
    }
    REQUIRE(c.status() == status);
  }
};

constexpr auto kDone = ControlOutcome::Done;
constexpr auto kInvalid = ControlOutcome::Invalid;
constexpr auto kConflict = ControlOutcome::Conflict;

void expect(const ControlResult& r, ControlOutcome outcome, const std::string& msg) {
  INFO(msg);
  CHECK(r.outcome == outcome);
  CHECK(r.message == msg);
}

const char* kKillActive = "Kill switch is active \u2014 reset before starting";

}  // namespace

TEST_CASE("Controller starts in the launch mode with a session id and the uptime clock") {
  Fixture f;
  CHECK(f.c.status() == "paper");
  CHECK(f.c.mode() == "paper");
  CHECK(f.c.accepts_signals());
  CHECK(std::regex_match(f.c.session_id(), std::regex("[0-9a-f]{12}")));
  CHECK(f.c.active_broker() == "paper");
  f.fe.wall += 12 * kSec + 900000;
  CHECK(f.c.uptime_seconds() == 12);
  Fixture live("live");
  CHECK(live.c.status() == "live");
  CHECK(live.c.active_broker() == "alpaca");
}

TEST_CASE("Controller starts killed when the persisted kill switch is active") {
  FakeEngine fe;
  fe.kill_switch = true;
  BotController c(fe.hooks(), "paper", {});
  CHECK(c.status() == "killed");
  CHECK_FALSE(c.accepts_signals());
  expect(c.start(std::nullopt, false, "k"), kConflict, kKillActive);
}

TEST_CASE("Transition table: start column") {
  {
    Fixture f;
    expect(f.c.start(std::nullopt, false, "k"), kConflict, "Bot is already running");
    CHECK(f.c.status() == "paper");
  }
  {
    Fixture f;
    f.into("live");
    expect(f.c.start(true, false, "k"), kConflict, "Bot is already running");
    CHECK(f.c.status() == "live");
  }
  for (const char* from : {"paused", "stopped"}) {
    Fixture f;
    f.into(from);
    expect(f.c.start(false, false, "k"), kInvalid, "Live mode requires confirmation \u2014 set confirm_live: true");
    CHECK(f.c.status() == from);
    f.fe.live_configured = false;
    expect(f.c.start(false, true, "k"), kConflict, "Live broker not configured");
    CHECK(f.c.status() == from);
    f.fe.live_configured = true;
    expect(f.c.start(false, true, "k"), kDone, "Bot started in live mode");
    CHECK(f.c.status() == "live");
    CHECK(f.c.active_broker() == "alpaca");
  }
  for (const char* from : {"paused", "stopped"}) {
    Fixture f;
    f.into(from);
    expect(f.c.start(std::nullopt, false, "k"), kDone, "Bot started in paper mode");
    CHECK(f.c.status() == "paper");
    CHECK(f.c.active_broker() == "paper");
  }
  {
    Fixture f;
    f.into("killed");
    const auto events = f.c.events(1000).size();
    expect(f.c.start(true, false, "k"), kConflict, kKillActive);
    CHECK(f.c.status() == "killed");
    CHECK(f.c.events(1000).size() == events);  // refused calls record nothing
  }
}

TEST_CASE("Transition table: stop column") {
  for (const char* from : {"paper", "live", "paused", "stopped"}) {
    Fixture f;
    f.into(from);
    expect(f.c.stop("k"), kDone, "Bot stopped");
    CHECK(f.c.status() == "stopped");
    CHECK_FALSE(f.c.accepts_signals());
  }
  Fixture f;
  f.into("killed");
  expect(f.c.stop("k"), kDone, "Bot stopped");
  CHECK(f.c.status() == "killed");
}

TEST_CASE("Transition table: pause column") {
  for (const char* from : {"paper", "live"}) {
    Fixture f;
    f.into(from);
    expect(f.c.pause("k"), kDone, "Bot paused");
    CHECK(f.c.status() == "paused");
    CHECK_FALSE(f.c.accepts_signals());
    auto ev = f.c.events(1);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].message == std::string("Bot paused from ") + from + " mode");
    CHECK(ev[0].severity == "warning");
  }
  {
    Fixture f;
    f.into("paused");
    expect(f.c.pause("k"), kConflict, "Bot is already paused");
  }
  for (const char* from : {"stopped", "killed"}) {
    Fixture f;
    f.into(from);
    expect(f.c.pause("k"), kConflict, "Bot is not running");
    CHECK(f.c.status() == from);
  }
}

TEST_CASE("Transition table: resume column") {
  for (const char* from : {"paper", "live", "stopped", "killed"}) {
    Fixture f;
    f.into(from);
    expect(f.c.resume("k"), kConflict, "Bot is not paused");
    CHECK(f.c.status() == from);
  }
  Fixture f;
  f.into("paused");
  expect(f.c.resume("k"), kDone, "Bot resumed");
  CHECK(f.c.status() == "paper");
}

TEST_CASE("Transition table: kill column") {
  for (const char* from : {"paper", "live", "paused", "stopped", "killed"}) {
    Fixture f;
    f.into(from);
    expect(f.c.kill("bar check", KillLevel::Flatten, KillScope::Global, "", "key1"), kDone, "Kill switch activated: bar check");
    CHECK(f.c.status() == "killed");
    CHECK(f.fe.kill_switch);
    CHECK(f.fe.kills.back() == "flatten global  key1: bar check");
  }
  // A scoped kill leaves the status unchanged.
  Fixture f;
  expect(f.c.kill("bad", KillLevel::BlockNew, KillScope::Strategy, "ema_cloud", "key1"), kDone, "Kill switch activated: bad");
  CHECK(f.c.status() == "paper");
  CHECK_FALSE(f.fe.kill_switch);
  // A kill that cannot be made durable still stops trading: killed, and the answer says it is
  // not durable (never a 500 that leaves trading on).
  f.fe.fail_persist = true;
  auto r = f.c.kill("x", KillLevel::Flatten, KillScope::Global, "", "key1");
  CHECK(r.outcome == kDone);
  CHECK_FALSE(r.durable);
  CHECK(r.error == "disk full");
  CHECK(r.message == "Kill switch activated: x (active now, but NOT durable: it may not survive a restart: disk full)");
  CHECK(f.c.status() == "killed");
}

TEST_CASE("Transition table: kill reset column") {
  for (const char* from : {"paper", "live", "paused", "stopped"}) {
    Fixture f;
    f.into(from);
    expect(f.c.reset_kill(KillScope::Global, "", "k"), kConflict, "Kill switch is not active");
    CHECK(f.c.status() == from);
  }
  Fixture f;
  f.into("killed");
  expect(f.c.reset_kill(KillScope::Global, "", "k"), kDone, "Kill switch reset \u2014 bot paused");
  CHECK(f.c.status() == "paused");
  CHECK_FALSE(f.fe.kill_switch);
  // Scoped: the kill's own reset, status unchanged; an unknown scoped kill is a 409.
  expect(f.c.reset_kill(KillScope::Strategy, "ema_cloud", "k"), kDone, "Kill switch reset: strategy ema_cloud");
  CHECK(f.c.status() == "paused");
  expect(f.c.reset_kill(KillScope::Symbol, "AAPL", "k"), kConflict, "Kill switch is not active");
}

TEST_CASE("Controller library: start live uses the live broker") {
  Fixture f;
  f.into("stopped");
  REQUIRE(f.c.start(false, true, "k").ok());
  CHECK(f.c.active_broker() == "alpaca");
  CHECK(f.c.mode() == "live");
  CHECK(f.fe.switches == std::vector<bool>{true});
  // Without the confirmation requirement, live starts without confirm_live.
  DashboardConfig cfg;
  cfg.require_confirmation_for_live = false;
  Fixture g("paper", cfg);
  g.into("stopped");
  expect(g.c.start(false, false, "k"), kDone, "Bot started in live mode");
}

TEST_CASE("Controller: a broker switch the engine refuses is a 409 and changes nothing") {
  FakeEngine fe;
  auto h = fe.hooks();
  h.switch_broker = [](bool) { throw std::runtime_error("Paper mode needs a restart: the engine was launched live"); };
  BotController c(h, "live", {});
  REQUIRE(c.stop("k").ok());
  auto r = c.start(true, false, "k");
  CHECK(r.outcome == kConflict);
  CHECK(r.message == "Paper mode needs a restart: the engine was launched live");
  CHECK(c.status() == "stopped");
  CHECK(c.mode() == "live");
}

TEST_CASE("Controller library: pause and resume return to the paused-from mode") {
  Fixture f;
  f.into("live");
  REQUIRE(f.c.pause("k").ok());
  REQUIRE(f.c.resume("k").ok());
  CHECK(f.c.status() == "live");
  // paper_mode in the config does not decide the resumed mode.
  REQUIRE(f.c.update_config({{"paper_mode", true}}, "k").ok());
  REQUIRE(f.c.pause("k").ok());
  REQUIRE(f.c.resume("k").ok());
  CHECK(f.c.status() == "live");
}

TEST_CASE("Controller library: kill sets the flag, reset pauses and clears it, resume returns to the mode") {
  Fixture f;
  f.into("live");
  REQUIRE(f.c.kill("Manual kill switch", KillLevel::Flatten, KillScope::Global, "", "k").ok());
  CHECK(f.fe.kill_switch);
  CHECK(f.c.status() == "killed");
  REQUIRE(f.c.reset_kill(KillScope::Global, "", "k").ok());
  CHECK(f.c.status() == "paused");
  CHECK_FALSE(f.fe.kill_switch);
  REQUIRE(f.c.resume("k").ok());
  CHECK(f.c.status() == "live");
}

TEST_CASE("Controller library: stop is not pause, only start leaves stopped") {
  Fixture f;
  REQUIRE(f.c.stop("k").ok());
  expect(f.c.resume("k"), kConflict, "Bot is not paused");
  REQUIRE(f.c.start(std::nullopt, false, "k").ok());
  CHECK(f.c.status() == "paper");
}

TEST_CASE("Controller library: a kill ended elsewhere leaves the bot paused, never running") {
  Fixture f;
  f.into("killed");
  f.fe.kill_switch = false;
  CHECK(f.c.status() == "paused");
}

TEST_CASE("Controller library: start restarts the uptime clock") {
  Fixture f;
  f.fe.wall += 100 * kSec;
  CHECK(f.c.uptime_seconds() == 100);
  REQUIRE(f.c.stop("k").ok());
  f.fe.wall += 5 * kSec;
  REQUIRE(f.c.start(std::nullopt, false, "k").ok());
  f.fe.wall += 3 * kSec;
  CHECK(f.c.uptime_seconds() == 3);
  // It keeps counting while paused or killed.
  REQUIRE(f.c.kill("x", KillLevel::Flatten, KillScope::Global, "", "k").ok());
  f.fe.wall += 2 * kSec;
  CHECK(f.c.uptime_seconds() == 5);
}

TEST_CASE("Controller library: events with actors, the critical filter finds the kill") {
  Fixture f;
  f.into("stopped");
  REQUIRE(f.c.start(std::nullopt, false, "key-a").ok());
  REQUIRE(f.c.pause("key-a").ok());
  CHECK(f.c.events().size() >= 2);
  REQUIRE(f.c.kill("boom", KillLevel::Flatten, KillScope::Global, "", "key-b").ok());
  auto crit = f.c.events(50, "critical");
  REQUIRE(crit.size() == 1);
  CHECK(crit[0].event_type == "kill");
  CHECK(crit[0].message == "Kill switch activated: boom");
  CHECK(crit[0].actor == "key-b");
  auto j = crit[0].to_json();
  CHECK(j["timestamp"] == "2026-02-09T14:30:00.000000+00:00");
  CHECK(j["metadata"]["reason"] == "boom");
  auto all = f.c.events(50);
  REQUIRE(all.size() == 4);
  CHECK(all[0].message == "Bot stopped");  // oldest first
  CHECK(all[1].message == "Bot started in paper mode");
  CHECK(all[1].actor == "key-a");
  CHECK(f.c.events(2).size() == 2);
  CHECK(f.c.events(2)[1].message == "Kill switch activated: boom");
  CHECK(f.c.events(0).empty());
  CHECK(f.c.events(50, "info").size() == 2);
}

TEST_CASE("Controller publishes lifecycle events with status, message and actor") {
  Fixture f;
  REQUIRE(f.c.pause("k1").ok());
  REQUIRE(f.c.resume("k1").ok());
  REQUIRE(f.c.stop("k1").ok());
  REQUIRE(f.c.start(std::nullopt, false, "k1").ok());
  REQUIRE(f.c.kill("why", KillLevel::Flatten, KillScope::Global, "", "k2").ok());
  REQUIRE(f.c.reset_kill(KillScope::Global, "", "k3").ok());
  REQUIRE(f.c.kill("s", KillLevel::BlockNew, KillScope::Strategy, "ema_cloud", "k4").ok());
  REQUIRE(f.c.reset_kill(KillScope::Strategy, "ema_cloud", "k5").ok());
  std::vector<std::string> names;
  for (auto& [e, d] : f.fe.published) names.push_back(e);
  CHECK(names == std::vector<std::string>{"bot_paused", "bot_resumed", "bot_stopped", "bot_started",
                                          "bot_killed", "bot_paused", "kill_switch_reset"});
  const auto& paused = f.fe.published[0].second;
  CHECK(paused["status"] == "paused");
  CHECK(paused["message"] == "Bot paused from paper mode");
  CHECK(paused["actor"] == "k1");
  const auto& killed = f.fe.published[4].second;
  CHECK(killed["status"] == "killed");
  CHECK(killed["reason"] == "why");
  CHECK(killed["level"] == "flatten");
  CHECK(killed["scope"] == "global");
  CHECK(killed["actor"] == "k2");
  const auto& reset = f.fe.published[5].second;
  CHECK(reset["reason"] == "kill_switch_reset");
  CHECK(reset["status"] == "paused");
  CHECK(reset["message"] == "Kill switch reset \u2014 bot paused");
  CHECK(f.fe.published[6].second["status"] == "paused");
  CHECK(f.fe.published[6].second["actor"] == "k5");
}

TEST_CASE("update_config lists the applied fields in declared order") {
  Fixture f;
  expect(f.c.update_config(json::object(), "k"), kInvalid, "No config fields provided");
  expect(f.c.update_config({{"foo", 1}}, "k"), kInvalid, "No config fields provided");
  expect(f.c.update_config({{"refresh_interval_seconds", nullptr}}, "k"), kInvalid, "No config fields provided");
  expect(f.c.update_config({{"paper_mode", false}, {"max_events_displayed", 7}, {"refresh_interval_seconds", 2}}, "k"),
         kDone, "Config updated: ['refresh_interval_seconds', 'max_events_displayed', 'paper_mode']");
  CHECK(f.c.config().refresh_interval_seconds == 2);
  CHECK(f.c.config().max_events_displayed == 7);
  CHECK_FALSE(f.c.config().paper_mode);
  auto ev = f.c.events(1);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].event_type == "config_change");
  // Journaled like every controller event: published (lifecycle channel) with its actor.
  REQUIRE_FALSE(f.fe.published.empty());
  CHECK(f.fe.published.back().first == "config_changed");
  CHECK(f.fe.published.back().second["actor"] == "k");
  auto j = DashboardConfig{}.to_json();
  CHECK(j == json({{"refresh_interval_seconds", 5}, {"pnl_chart_lookback_days", 30}, {"max_signals_displayed", 50},
                   {"max_events_displayed", 100}, {"enable_sound_alerts", true}, {"paper_mode", true}}));
  CHECK(j.size() == 6);
  // paper_mode false: a body-less start goes live (and needs the confirmation).
  REQUIRE(f.c.stop("k").ok());
  expect(f.c.start(std::nullopt, false, "k"), kInvalid, "Live mode requires confirmation \u2014 set confirm_live: true");
}
