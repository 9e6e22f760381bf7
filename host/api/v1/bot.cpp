// Bot endpoints (control.md §1.1 #1–11, §1.3, §1.4): the BotController of the running engine.
#include <string>
#include <vector>

#include "api/v1/routes.hpp"

namespace axion::api::v1 {

using core::json;

ojson ordered(const json& j, const std::vector<std::string>& order) {
  if (!j.is_object()) return ojson::parse(j.dump());
  ojson out = ojson::object();
  for (const auto& k : order) {
    if (j.contains(k)) out[k] = ojson::parse(j[k].dump());
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!out.contains(it.key())) out[it.key()] = ojson::parse(it.value().dump());
  }
  return out;
}

Reply ojson_reply(int status, const ojson& body) {
  Reply r;
  r.status = status;
  r.body = body.dump();
  return r;
}

Reply control_reply(const core::ControlResult& r) {
  return r.ok() ? message_reply(r.message) : error_reply(r.http_status, r.message);
}

namespace {

const std::vector<std::string> kLevels = {"block_new", "reduce_only", "cancel_all", "flatten"};
const std::vector<std::string> kScopes = {"global", "strategy", "symbol"};
const std::vector<std::string> kOutcomes = {"executed", "rejected", "all"};

json at(const char* field) { return json::array({"body", field}); }

// A present, non-null body field.
const json* field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> choice(const json& body, const char* name, const std::vector<std::string>& allowed,
                                  const std::string& fallback, Validator& v) {
  const json* x = field(body, name);
  if (!x) return fallback;
  auto s = strict_string(*x, at(name), v);
  if (!s) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
    v.add(literal_item(at(name), *x, allowed));
    return std::nullopt;
  }
  return s;
}

// scope/target of kill and kill/reset: a target is required unless the scope is global.
std::string target_of(const json& body, const std::optional<std::string>& scope, Validator& v) {
  const json* t = field(body, "target");
  std::optional<std::string> target;
  if (t) target = strict_string(*t, at("target"), v);
  if (scope && *scope != "global" && (!target || target->empty()) && !(t && !t->is_string())) {
    v.add(validation_item("value_error", json::array({"body"}),
                          "Value error, target is required unless scope is 'global'", body,
                          json{{"error", "target is required unless scope is 'global'"}}));
  }
  return scope && *scope == "global" ? std::string() : target.value_or("");
}

const std::vector<std::string> kStatusOrder = {
    "status", "instrument_mode", "uptime_seconds", "account_equity", "daily_pnl", "daily_pnl_pct", "win_rate",
    "total_trades_today", "open_positions", "kill_switch_active", "data_feed_status", "mode", "regime", "kill",
    "signals_processed", "signals_executed", "rejections_by_stage", "last_signal_time", "last_trade_time",
    "performance"};

ojson status_body(const json& s) {
  ojson out = ordered(s, kStatusOrder);
  if (s.contains("regime") && s["regime"].is_object()) {
    ojson regime = ordered(s["regime"], {"regime", "confidence", "effective"});
    if (s["regime"].contains("effective")) {
      regime["effective"] = ordered(s["regime"]["effective"],
                                    {"max_concurrent_positions", "position_size_multiplier", "min_conviction"});
    }
    out["regime"] = regime;
  }
  if (s.contains("kill") && s["kill"].is_array()) {
    ojson kills = ojson::array();
    for (const auto& k : s["kill"]) kills.push_back(ordered(k, {"level", "scope", "target", "reason", "actor", "activated_at"}));
    out["kill"] = kills;
  }
  return out;
}

}  // namespace

void add_bot_routes(Router& r, const Context& c) {
  core::Engine* e = c.engine;
  const std::string p = std::string(kPrefix) + "/bot";

  r.add({"POST", p + "/start", "write", true,
         [e](const Request& req, const core::Principal& who) {
           json body = body_object(req, false);
           Validator v;
           std::optional<bool> paper;
           bool confirm = false;
           if (const json* x = field(body, "paper_mode")) paper = lax_bool(*x, at("paper_mode"), v);
           if (const json* x = field(body, "confirm_live")) confirm = lax_bool(*x, at("confirm_live"), v).value_or(false);
           v.raise_if_any();
           return control_reply(e->call([&] { return e->controller().start(paper, confirm, who.actor()); }));
         },
         "Start the bot in paper or live mode (live needs confirm_live: true and a configured live broker)",
         json{{"type", "object"},
              {"properties", {{"paper_mode", {{"type", "boolean"}}}, {"confirm_live", {{"type", "boolean"}, {"default", false}}}}}},
         {200, 400, 409}});
  r.add({"POST", p + "/stop", "write", true,
         [e](const Request&, const core::Principal& who) {
           return control_reply(e->call([&] { return e->controller().stop(who.actor()); }));
         },
         "Graceful stop: signal intake ends, open positions stay and keep their exits", nullptr, {200}});
  r.add({"POST", p + "/pause", "write", true,
         [e](const Request&, const core::Principal& who) {
           return control_reply(e->call([&] { return e->controller().pause(who.actor()); }));
         },
         "Pause new entries (exits, prices and reconciliation continue)", nullptr, {200, 409}});
  r.add({"POST", p + "/resume", "write", true,
         [e](const Request&, const core::Principal& who) {
           return control_reply(e->call([&] { return e->controller().resume(who.actor()); }));
         },
         "Resume into the mode the bot was paused from", nullptr, {200, 409}});
  // The kill is never rate limited: an emergency stop must always get through (§2.4).
  r.add({"POST", p + "/kill", "write", false,
         [e](const Request& req, const core::Principal& who) {
           json body = body_object(req, false);
           Validator v;
           std::string reason = "API kill switch";
           if (const json* x = field(body, "reason")) reason = strict_string(*x, at("reason"), v).value_or("");
           auto level = choice(body, "level", kLevels, "flatten", v);
           auto scope = choice(body, "scope", kScopes, "global", v);
           auto target = target_of(body, scope, v);
           v.raise_if_any();
           return control_reply(
               e->call_urgent([&] { return e->controller().kill(reason, *level, *scope, target, who.actor()); }));
         },
         "Activate a kill (default: global flatten); durable before the reply",
         json{{"type", "object"},
              {"properties",
               {{"reason", {{"type", "string"}, {"default", "API kill switch"}}},
                {"level", {{"type", "string"}, {"enum", kLevels}, {"default", "flatten"}}},
                {"scope", {{"type", "string"}, {"enum", kScopes}, {"default", "global"}}},
                {"target", {{"type", "string"}}}}}},
         {200, 500}});
  r.add({"POST", p + "/kill/reset", "write", true,
         [e](const Request& req, const core::Principal& who) {
           json body = body_object(req, false);
           Validator v;
           auto scope = choice(body, "scope", kScopes, "global", v);
           auto target = target_of(body, scope, v);
           v.raise_if_any();
           return control_reply(e->call([&] { return e->controller().reset_kill(*scope, target, who.actor()); }));
         },
         "End a kill (default the global kill; the bot is then paused)",
         json{{"type", "object"},
              {"properties",
               {{"scope", {{"type", "string"}, {"enum", kScopes}, {"default", "global"}}}, {"target", {{"type", "string"}}}}}},
         {200, 409}});
  r.add({"GET", p + "/status", "read", true,
         [e](const Request&, const core::Principal&) {
           return ojson_reply(200, status_body(e->call([&] { return e->status_json(); })));
         },
         "Status snapshot of the running engine", nullptr, {200}});
  r.add({"GET", p + "/positions", "read", true,
         [e](const Request&, const core::Principal&) {
           json arr = e->call([&] { return e->positions_json(); });
           ojson out = ojson::array();
           for (const auto& x : arr) {
             out.push_back(ordered(x, {"ticker", "direction", "entry_price", "current_price", "shares", "pnl", "pnl_pct"}));
           }
           return ojson_reply(200, out);
         },
         "Open positions, oldest first", nullptr, {200}});
  const int max_page = c.max_page_size;
  r.add({"GET", p + "/history", "read", true,
         [e, max_page](const Request& req, const core::Principal&) {
           Validator v;
           auto limit = query_int(req, "limit", 50, 1, max_page, v);
           auto offset = query_int(req, "offset", 0, 0, std::nullopt, v);
           std::string outcome = "all";
           if (auto it = req.query.find("outcome"); it != req.query.end()) {
             if (std::find(kOutcomes.begin(), kOutcomes.end(), it->second) == kOutcomes.end()) {
               v.add(literal_item(json::array({"query", "outcome"}), it->second, kOutcomes));
             } else {
               outcome = it->second;
             }
           }
           v.raise_if_any();
           auto [items, total] = e->call([&] {
             return e->history_json(static_cast<int>(*limit), static_cast<int>(std::min<std::int64_t>(*offset, INT32_MAX)),
                                    outcome);
           });
           ojson out = ojson::array();
           for (const auto& x : items) {
             out.push_back(ordered(x, {"success", "ticker", "direction", "conviction", "pipeline_stage",
                                       "rejection_reason", "signal_id", "timestamp"}));
           }
           auto reply = ojson_reply(200, out);
           reply.set_header("X-Total-Count", std::to_string(total));
           return reply;
         },
         "Pipeline results (executions and rejections), newest first; query limit 1..100, offset >= 0, "
         "outcome executed|rejected|all; header X-Total-Count",
         nullptr, {200}});

  r.add({"PUT", p + "/config", "write", true,
         [e](const Request& req, const core::Principal& who) {
           json body = body_object(req, true);
           Validator v;
           json changes = json::object();
           for (const char* k : {"refresh_interval_seconds", "pnl_chart_lookback_days", "max_signals_displayed",
                                 "max_events_displayed"}) {
             const json* x = field(body, k);
             if (!x) continue;
             auto n = lax_int(*x, at(k), v);
             if (!n) continue;
             if (*n < 1) {
               v.add(validation_item("greater_than_equal", at(k), "Input should be greater than or equal to 1", *x,
                                     json{{"ge", 1}}));
               continue;
             }
             if (*n > INT32_MAX) {
               v.add(validation_item("less_than_equal", at(k), "Input should be less than or equal to 2147483647",
                                     *x, json{{"le", INT32_MAX}}));
               continue;
             }
             changes[k] = *n;
           }
           for (const char* k : {"enable_sound_alerts", "paper_mode"}) {
             const json* x = field(body, k);
             if (!x) continue;
             if (auto b = lax_bool(*x, at(k), v)) changes[k] = *b;
           }
           v.raise_if_any();
           return control_reply(e->call([&] { return e->controller().update_config(changes, who.actor()); }));
         },
         "Hot-update dashboard config (any subset; ints >= 1); replies with the changed keys",
         json{{"type", "object"},
              {"properties",
               {{"refresh_interval_seconds", {{"type", "integer"}, {"minimum", 1}}},
                {"pnl_chart_lookback_days", {{"type", "integer"}, {"minimum", 1}}},
                {"max_signals_displayed", {{"type", "integer"}, {"minimum", 1}}},
                {"max_events_displayed", {{"type", "integer"}, {"minimum", 1}}},
                {"enable_sound_alerts", {{"type", "boolean"}}},
                {"paper_mode", {{"type", "boolean"}}}}}},
         {200, 400}});
  r.add({"GET", p + "/config", "read", true,
         [e](const Request&, const core::Principal&) {
           json cfg = e->call([&] { return e->controller().config().to_json(); });
           return ojson_reply(200, ordered(cfg, {"refresh_interval_seconds", "pnl_chart_lookback_days",
                                                 "max_signals_displayed", "max_events_displayed",
                                                 "enable_sound_alerts", "paper_mode"}));
         },
         "Current dashboard config", nullptr, {200}});
}

}  // namespace axion::api::v1
