// The engine's control plane (control.md §1.3, §1.4, §2, §3, §5.3): the controller wired to the
// orchestrator's kills and the persistent kill switch, the analytics tracker fed by every close,
// the host's token verifier (the key store is the host API's), and the read models the REST
// layer serves.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "axion/core/engine/engine.hpp"
#include "axion/sdk/time.hpp"

namespace axion::core {

namespace {

std::int64_t wall_us() { return sdk::time::system_now_us(); }

// A journaled trade (orchestrator close record) as the tracker's input.
// One rule for what analytics counts of a close, whether it was just made or replayed from the
// journal at start-up.
ClosedTradeRecord trade_record(const ClosedTrade& t) {
  auto or_default = [](const std::string& v, const char* def) { return v.empty() ? std::string(def) : v; };
  ClosedTradeRecord r;
  r.ticker = t.ticker;
  r.direction = to_string(t.direction);
  r.signal_type = or_default(t.signal_type, "unknown");
  r.strategy = or_default(t.strategy, "unknown");
  r.exit_reason = t.exit_reason;
  r.pnl = t.pnl;
  r.entry_price = t.entry_price;
  r.exit_price = t.exit_price;
  r.shares = t.shares;
  r.closed_us = t.exit_time_us;
  return r;
}

// A journaled trade row (ClosedTrade::to_json), tolerant of rows older versions wrote.
ClosedTradeRecord trade_record(const json& t) {
  auto str = [&](const char* k) {
    auto it = t.find(k);
    return it != t.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  ClosedTrade c;
  c.ticker = str("ticker");
  c.direction = parse_direction(str("direction")).value_or(Direction::Long);  // older rows: none
  c.signal_type = str("signal_type");
  c.strategy = str("strategy");
  c.exit_reason = str("exit_reason");
  c.pnl = t.value("pnl", 0.0);
  c.entry_price = t.value("entry_price", 0.0);
  c.exit_price = t.value("exit_price", 0.0);
  c.shares = t.value("shares", std::int64_t{0});
  c.exit_time_us = sdk::time::parse_iso(str("exit_time")).value_or(0);
  return trade_record(c);
}

}  // namespace

// ---- construction ------------------------------------------------------------------------------

void Engine::init_control(const std::vector<json>& trades_oldest_first) {
  analytics_ = std::make_unique<BotPerformanceTracker>(manifest_.engine.starting_equity, 10000,
                                                       [this] { return now_us(); });
  for (const auto& t : trades_oldest_first) {
    if (!t.is_object()) continue;
    auto rec = trade_record(t);
    analytics_->record_trade(rec);
    count_close_today(rec.closed_us, rec.pnl);
  }
  const bool live_launch = manifest_.engine.mode == Mode::Live;
  BotController::Hooks h;
  h.now = [this] { return now_us(); };
  h.wall_now = wall_us;
  h.activate_kill = [this](const std::string& reason, KillLevel level, KillScope scope, const std::string& target,
                           const std::string& actor) {
    KillRecord k;
    k.level = level;
    k.scope = scope;
    k.target = target;
    k.reason = reason;
    k.actor = actor;
    // In effect at once; durable (journal + bot_state.json) before it returns, or says why not.
    return orch_->activate_kill(k).error;
  };
  // A state file showing the switch on without a kill record (an older engine's) became a kill
  // record at start-up (Orchestrator::restore): the orchestrator's kills are the only state.
  h.reset_kill = [this](KillScope scope, const std::string& target, const std::string& actor) {
    return orch_->reset_kill(scope, target, actor);
  };
  h.kill_switch_active = [this] { return orch_->global_kill() != nullptr; };
  // Only a live launch loads the [live_broker] plugin, and the broker stage cannot be swapped
  // while running: live is available exactly when the engine was launched live (fail closed).
  h.live_broker_configured = [this, live_launch] { return live_launch && manifest_.live_broker.has_value(); };
  h.live_broker_name = [this] { return manifest_.live_broker ? manifest_.live_broker->name : std::string(); };
  h.switch_broker = [live_launch](bool live) {
    if (live != live_launch) {
      throw std::runtime_error(live_launch ? "Paper mode needs a restart: the engine was launched live"
                                           : "Live broker not configured");
    }
  };
  h.publish = [this](const std::string& event, const json& data) {
    // The orchestrator's reset_kill already published kill_switch_reset (with scope, target and
    // actor): one event per reset on the stream.
    if (event == "kill_switch_reset") return;
    bus_.publish(event, data, now_us());
  };
  DashboardConfig dc;
  dc.paper_mode = !live_launch;  // a body-less start restarts the launch mode
  dc.require_confirmation_for_live = manifest_.api.require_confirmation_for_live;
  controller_ = std::make_unique<BotController>(std::move(h), std::string(to_string(manifest_.engine.mode)), dc);
  last_snapshot_wall_us_ = wall_us();
}

// ---- accessors ---------------------------------------------------------------------------------

BotController& Engine::controller() { return *controller_; }
BotPerformanceTracker& Engine::analytics() { return *analytics_; }
void Engine::publish_event(const std::string& event, const json& data) {
  call([&] { bus_.publish(event, data, now_us()); });
}

// ---- analytics feed ----------------------------------------------------------------------------

void Engine::count_close_today(std::int64_t closed_us, double pnl) {
  const std::string date = sdk::time::trading_date(closed_us);
  if (date != today_date_) {
    today_date_ = date;
    today_closes_ = today_wins_ = 0;
  }
  ++today_closes_;
  if (pnl > 0) ++today_wins_;
}

void Engine::record_close(const ClosedTrade& trade) {
  // The journal's record of this close is what a restart replays; feeding the tracker the same
  // record keeps its figures identical across restarts.
  ClosedTradeRecord rec = trade_record(trade);
  analytics_->record_trade(rec);
  count_close_today(rec.closed_us, rec.pnl);
}

void Engine::maybe_publish_snapshot() {
  publish_read_snapshot(/*if_due=*/true);  // the engine loop's beat: at least every ~200 ms
  if (options_.scan_mode || !controller_) return;
  // Measured from the last push, so a new refresh_interval_seconds applies at once.
  const std::int64_t now = wall_us();
  const std::int64_t every =
      std::max(1, controller_->config().refresh_interval_seconds) * sdk::time::kUsPerSec;
  if (now - last_snapshot_wall_us_ < every) return;
  last_snapshot_wall_us_ = now;
  bus_.publish("performance_snapshot", analytics_->snapshot().to_json(), now_us());
}

// ---- read models -------------------------------------------------------------------------------

json Engine::status_json() {
  const auto& a = orch_->account();
  const auto& eff = orch_->current_effective();
  const double daily_pnl = state_->daily_pnl();
  const bool today = today_date_ == sdk::time::trading_date(now_us());
  const int closes = today ? today_closes_ : 0;
  const int wins = today ? today_wins_ : 0;
  const auto poll_us = static_cast<std::int64_t>(manifest_.engine.poll_interval_seconds * 2e6);
  const std::int64_t last_bar = last_bar_wall_us_.load();
  const bool connected = last_bar > 0 && wall_us() - last_bar <= poll_us;

  json j = json::object();
  j["status"] = controller_->status();
  j["instrument_mode"] = eff.instrument_mode;
  j["uptime_seconds"] = controller_->uptime_seconds();
  j["account_equity"] = round_dp(a.equity, 2);
  j["daily_pnl"] = round_dp(daily_pnl, 2);
  j["daily_pnl_pct"] = a.starting_equity > 0 ? round_dp(daily_pnl / a.starting_equity, 4) : 0.0;
  j["win_rate"] = closes > 0 ? round_dp(static_cast<double>(wins) / closes, 4) : 0.0;
  j["total_trades_today"] = state_->daily_trade_count();
  j["open_positions"] = orch_->positions().size();
  j["kill_switch_active"] = orch_->global_kill() != nullptr;
  j["data_feed_status"] = connected ? "connected" : "disconnected";
  j["last_bar_time"] = last_bar_ts_us_ > 0 ? json(sdk::time::to_iso(last_bar_ts_us_)) : json(nullptr);
  if (json live = live_status(); !live.empty()) j["live"] = std::move(live);
  j["mode"] = controller_->mode();
  // Without a regime stage: the sideways defaults the risk stages assume (pipeline.md §2.3).
  const bool adapted = !eff.regime.empty();
  json effective = json::object();
  effective["max_concurrent_positions"] = eff.max_concurrent_positions;
  effective["position_size_multiplier"] = eff.position_size_multiplier;
  effective["min_conviction"] = eff.min_conviction ? json(*eff.min_conviction) : json(nullptr);
  j["regime"] = {{"regime", adapted ? eff.regime : std::string("sideways")},
                 {"confidence", adapted ? eff.regime_confidence : 0.5},
                 {"effective", effective}};
  auto kills = orch_->kills();
  std::stable_partition(kills.begin(), kills.end(), [](const KillRecord& k) { return k.scope == KillScope::Global; });
  json karr = json::array();
  for (const auto& k : kills) {
    karr.push_back({{"level", k.level},
                    {"scope", k.scope},
                    {"target", k.target.empty() ? json(nullptr) : json(k.target)},
                    {"reason", k.reason},
                    {"actor", k.actor},
                    {"activated_at", sdk::time::to_iso(k.activated_at_us)}});
  }
  j["kill"] = karr;
  auto stats = orch_->stats();
  j["signals_processed"] = stats.value("total_signals_processed", std::uint64_t{0});
  j["signals_executed"] = stats.value("successful_executions", std::uint64_t{0});
  j["rejections_by_stage"] = stats.value("rejections_by_stage", json::object());
  auto st = state_->snapshot();
  j["last_signal_time"] = st.value("last_signal_time", json(nullptr));
  j["last_trade_time"] = st.value("last_trade_time", json(nullptr));
  j["performance"] = analytics_->snapshot().to_json();
  return j;
}

json Engine::positions_json() {
  std::vector<const Position*> open;
  for (const auto& p : orch_->positions()) open.push_back(&p);
  std::stable_sort(open.begin(), open.end(),
                   [](const Position* a, const Position* b) { return a->entry_time_us < b->entry_time_us; });
  json arr = json::array();
  for (const auto* p : open) {
    json j = json::object();
    j["ticker"] = p->ticker;
    j["direction"] = to_string(p->direction);
    j["entry_price"] = p->entry_price;
    j["current_price"] = p->current_price;
    j["shares"] = p->shares;
    j["pnl"] = round_dp(p->unrealized_pnl(), 2);
    j["pnl_pct"] = round_dp(p->unrealized_pnl_pct(), 4);
    arr.push_back(std::move(j));
  }
  return arr;
}

std::pair<json, std::int64_t> Engine::history_json(int limit, int offset, const std::string& outcome) {
  const std::string o = outcome == "executed" || outcome == "rejected" ? outcome : "all";
  json arr = json::array();
  if (limit > 0) {
    for (const auto& r : journal_->results(limit, std::max(0, offset), o)) {
      if (!r.is_object()) continue;
      json j = json::object();
      for (const char* k : {"success", "ticker", "direction", "conviction", "pipeline_stage",
                            "rejection_reason", "signal_id", "timestamp"}) {
        j[k] = r.value(k, json(nullptr));
      }
      arr.push_back(std::move(j));
    }
  }
  return {arr, journal_->result_count(o)};
}

// ---- live health --------------------------------------------------------------------------------

json Engine::live_status() {
  json out = json::object();
  auto read = [&](const char* name, PluginInstance* p) {
    if (!p) return;
    try {
      if (auto st = p->status(); st && !st->empty()) out[name] = std::move(*st);
    } catch (const std::exception& e) {
      out[name] = {{"error", e.what()}};
    }
  };
  if (manifest_.engine.mode == Mode::Live) read("broker", stages_.broker);
  read("feed", feed_);
  if (out.contains("broker")) watch_live_broker(out["broker"]);
  return out;
}

void Engine::wait_for_live_broker() {
  auto log = spdlog::get("axion.bot");
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(manifest_.engine.live_ready_timeout_seconds);
  for (;;) {
    std::optional<json> st;
    bool answered = true;
    try {
      st = stages_.broker->status();
    } catch (const std::exception& e) {
      answered = false;  // not known to be ready: wait, as for a stream still connecting
      st = json{{"ready", false}, {"error", e.what()}};
    }
    if (answered && (!st || st->value("ready", true))) {
      log->info("Live broker {} ready{}", stages_.broker->id(), st ? ": " + st->dump() : std::string());
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      orch_->alert_error("live_broker", "not ready after " + float_text(manifest_.engine.live_ready_timeout_seconds) +
                                            " s (" + st->dump() + "): start-up goes on; the broker refuses orders until it is ready");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Engine::watch_live_broker(const json& broker) {
  const bool ready = !broker.is_object() || broker.value("ready", true);
  const std::int64_t now = wall_us();
  if (ready) {
    if (broker_not_ready_alerted_) {
      spdlog::get("axion.bot")->info("Live broker ready again");
      bus_.publish("live_broker_ready", broker, now_us());
    }
    broker_not_ready_since_us_ = 0;
    broker_not_ready_alerted_ = false;
    return;
  }
  if (broker_not_ready_since_us_ == 0) broker_not_ready_since_us_ = now;
  const auto limit = static_cast<std::int64_t>(manifest_.engine.live_stream_alert_seconds * 1e6);
  if (!broker_not_ready_alerted_ && now - broker_not_ready_since_us_ >= limit) {
    broker_not_ready_alerted_ = true;
    // Entries are refused meanwhile by the broker itself (an order sent now could fill unseen).
    orch_->alert_error("live_broker", "not ready for " + float_text(manifest_.engine.live_stream_alert_seconds) +
                                          " s (" + broker.dump() + "): new orders are refused until it is back");
  }
}

// ---- read snapshots ----------------------------------------------------------------------------

std::shared_ptr<const ReadSnapshot> Engine::read_snapshot() {
  // No engine thread: nothing publishes, and rebuilding here waits for no one (call() runs
  // inline). Also the first read after start-up, before the loop's first publication.
  if (!engine_running_.load() || !read_cell_.load()) call([this] { publish_read_snapshot(); });
  return read_cell_.load();
}

void Engine::publish_read_snapshot(bool if_due) {
  if (options_.scan_mode || !controller_ || !orch_) return;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  constexpr std::int64_t kMinGapUs = 50'000;  // bounds the cost on an unpaced feed
  if (if_due && read_published_steady_us_ != 0 && now - read_published_steady_us_ < kMinGapUs) return;
  try {
    auto s = std::make_shared<ReadSnapshot>();
    s->version = ++read_version_;
    s->published_wall_us = wall_us();
    s->status = status_json();
    s->positions = positions_json();
    s->config = controller_->config().to_json();
    try {
      s->strategies = strategy_list();
    } catch (const std::exception& e) {
      s->strategies_error = e.what();
    }
    try {
      s->strategy_stats = assembly_->ab().stats();
    } catch (const std::exception& e) {
      s->strategy_stats_error = e.what();
    }
    s->plugins = plugins_json();
    s->bars = counters_.bars;
    s->closes = counters_.closes;
    read_cell_.store(std::move(s));
    read_published_steady_us_ = now;
  } catch (const std::exception& e) {
    // Readers keep the previous snapshot; the bar or command that called this goes on.
    spdlog::get("axion.bot")->error("read snapshot not published: {}", e.what());
  }
}

// ---- host query (any thread) -------------------------------------------------------------------

std::optional<json> Engine::query(std::string_view what, const json& args) {
  if (what == "verify_token") {
    // Touches only the manifest (immutable) and the host's thread-safe verifier: answerable
    // from the WS add-on's threads without queueing behind the engine.
    if (!manifest_.api.auth) return json{{"auth", false}};
    std::string token = args.is_object() ? args.value("token", std::string()) : std::string();
    if (token.empty()) return json{{"ok", false}, {"reason", "Missing authentication token"}};
    std::optional<TokenIdentity> key;
    if (options_.verify_token) {
      try {
        key = options_.verify_token(token);
      } catch (const std::exception& e) {
        spdlog::get("axion.bot")->error("key validation failed: {}", e.what());
      }
    }
    if (!key) return json{{"ok", false}, {"reason", "Invalid or expired token"}};
    return json{{"ok", true},
                {"key_id", key->key_id},
                {"user_id", key->user_id},
                {"scopes", key->scopes},
                {"tier", key->tier}};
  }
  return call([&] { return query_state(what, args); });
}

}  // namespace axion::core
