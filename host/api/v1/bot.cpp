// Bot endpoints (control.md §1.1 #1–11, §1.3, §1.4): the BotController of the running engine.
#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/v1/routes.hpp"

namespace axion::api::v1 {

using core::json;

// The same value with insertion-ordered objects (keys in their stored order), without text.
ojson to_ordered(const json& j) {
  switch (j.type()) {
    case json::value_t::object: {
      ojson out = ojson::object();
      for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = to_ordered(it.value());
      return out;
    }
    case json::value_t::array: {
      ojson out = ojson::array();
      for (const auto& v : j) out.push_back(to_ordered(v));
      return out;
    }
    case json::value_t::string: return j.get_ref<const std::string&>();
    case json::value_t::boolean: return j.get<bool>();
    case json::value_t::number_integer: return j.get<std::int64_t>();
    case json::value_t::number_unsigned: return j.get<std::uint64_t>();
    case json::value_t::number_float: return j.get<double>();
    case json::value_t::null:
    case json::value_t::discarded:
    case json::value_t::binary: break;
  }
  return nullptr;
}

ojson ordered(const json& j, const std::vector<std::string>& order) {
  if (!j.is_object()) return to_ordered(j);
  ojson out = ojson::object();
  for (const auto& k : order) {
    if (auto it = j.find(k); it != j.end()) out[k] = to_ordered(*it);
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!out.contains(it.key())) out[it.key()] = to_ordered(it.value());
  }
  return out;
}

Reply ojson_reply(int status, const ojson& body) {
  Reply r;
  r.status = status;
  // Echoed input (a path or query value) may not be UTF-8: replaced, never a 500.
  r.body = body.dump(-1, ' ', false, ojson::error_handler_t::replace);
  return r;
}

std::shared_ptr<const core::ReadSnapshot> snapshot(core::Engine* e) {
  auto s = e->read_snapshot();
  if (!s) throw std::runtime_error("no read snapshot published");
  return s;
}

Reply control_reply(const core::ControlResult& r) {
  if (!r.ok()) return error_reply(http_status_of(r.outcome), r.message);
  if (!r.durable) return json_reply(200, {{"message", r.message}, {"durable", false}, {"error", r.error}});
  return message_reply(r.message);
}

namespace {

// The operator's bot controls run ahead of queued bars, as the kill does: a pause or a stop
// means now, not after a backlog of a fast feed.
constexpr bool kOperator = true;

const std::vector<std::string> kLevels = {"block_new", "reduce_only", "cancel_all", "flatten"};
const std::vector<std::string> kScopes = {"global", "strategy", "symbol"};
const std::vector<std::string> kOutcomes = {"executed", "rejected", "all"};
// Scoped kills kept at once (issue 9 #17); one more is refused with 409. A global kill, and a
// repeat of a kill already stored, are never refused.
constexpr std::size_t kMaxScopedKills = 256;

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
  if (!scope || *scope == "global") return std::string();
  // One spelling per target: a symbol is a ticker (trimmed, upper case); a strategy name is
  // exact (control.md §1.5), only trimmed.
  std::string norm = target.value_or("");
  auto b = norm.find_first_not_of(" \t\r\n");
  auto e = norm.find_last_not_of(" \t\r\n");
  norm = b == std::string::npos ? std::string() : norm.substr(b, e - b + 1);
  if (*scope == "symbol") {
    for (auto& ch : norm) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return norm;
}

// A kill must name something the engine trades: a strategy of the registry, or a symbol of the
// manifest or of an open position. Anything else would be stored forever and match nothing.
void require_known_target(core::Engine* e, const std::string& scope, const std::string& target, Validator& v) {
  if (scope == "global" || target.empty()) return;
  auto snap = snapshot(e);
  bool known = false;
  if (scope == "strategy") {
    for (const auto& s : snap->strategies) known = known || (s.is_object() && s.value("name", "") == target);
  } else {
    const auto& symbols = e->manifest().engine.symbols;
    known = std::find(symbols.begin(), symbols.end(), target) != symbols.end();
    for (const auto& p : snap->positions) known = known || (p.is_object() && p.value("ticker", "") == target);
  }
  if (known) return;
  const std::string msg = scope == "strategy" ? "unknown strategy '" + target + "' (not in the strategy registry)"
                                              : "unknown symbol '" + target +
                                                    "' (not in the manifest's symbols or the open positions)";
  v.add(validation_item("value_error", at("target"), "Value error, " + msg, target, json{{"error", msg}}));
}

// 409 when one more scoped kill would pass the cap (engine thread: exact at the moment it runs).
std::optional<core::ControlResult> scoped_kill_cap(core::Engine* e, core::KillScope scope,
                                                   const std::string& target) {
  if (scope == core::KillScope::Global) return std::nullopt;
  std::size_t scoped = 0;
  for (const auto& k : e->orchestrator().kills()) {
    if (k.scope == core::KillScope::Global) continue;
    if (k.scope == scope && k.target == target) return std::nullopt;  // a repeat replaces it
    ++scoped;
  }
  if (scoped < kMaxScopedKills) return std::nullopt;
  core::ControlResult r;
  r.outcome = core::ControlOutcome::Conflict;
  r.message = "Too many scoped kills \u2014 at most " + std::to_string(kMaxScopedKills) +
              " are kept; reset one before adding another";
  return r;
}

const std::vector<std::string> kStatusOrder = {
    "status", "instrument_mode", "uptime_seconds", "account_equity", "daily_pnl", "daily_pnl_pct", "win_rate",
    "total_trades_today", "open_positions", "kill_switch_active", "data_feed_status", "last_bar_time", "mode", "regime", "kill",
    "signals_processed", "signals_executed", "rejections_by_stage", "last_signal_time", "last_trade_time",
    "performance", "live"};

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
         [e](const Request& req, const Principal& who) {
           json body = body_object(req, false);
           Validator v;
           std::optional<bool> paper;
           bool confirm = false;
           if (const json* x = field(body, "paper_mode")) paper = lax_bool(*x, at("paper_mode"), v);
           if (const json* x = field(body, "confirm_live")) confirm = lax_bool(*x, at("confirm_live"), v).value_or(false);
           v.raise_if_any();
           return control_reply(command(e, [&] { return e->controller().start(paper, confirm, who.actor()); }, kOperator));
         },
         "Start the bot in paper or live mode (live needs confirm_live: true and a configured live broker)",
         json{{"type", "object"},
              {"properties", {{"paper_mode", {{"type", "boolean"}}}, {"confirm_live", {{"type", "boolean"}, {"default", false}}}}}},
         {200, 400, 409}});
  r.add({"POST", p + "/stop", "write", true,
         [e](const Request&, const Principal& who) {
           return control_reply(command(e, [&] { return e->controller().stop(who.actor()); }, kOperator));
         },
         "Graceful stop: signal intake ends, open positions stay and keep their exits", nullptr, {200}});
  r.add({"POST", p + "/pause", "write", true,
         [e](const Request&, const Principal& who) {
           return control_reply(command(e, [&] { return e->controller().pause(who.actor()); }, kOperator));
         },
         "Pause new entries (exits, prices and reconciliation continue)", nullptr, {200, 409}});
  r.add({"POST", p + "/resume", "write", true,
         [e](const Request&, const Principal& who) {
           return control_reply(command(e, [&] { return e->controller().resume(who.actor()); }, kOperator));
         },
         "Resume into the mode the bot was paused from", nullptr, {200, 409}});
  // The kill is never rate limited: an emergency stop must always get through (§2.4).
  r.add({"POST", p + "/kill", "write", false,
         [e](const Request& req, const Principal& who) {
           json body = body_object(req, false);
           Validator v;
           std::string reason = "API kill switch";
           if (const json* x = field(body, "reason")) reason = strict_string(*x, at("reason"), v).value_or("");
           auto level = choice(body, "level", kLevels, "flatten", v);
           auto scope = choice(body, "scope", kScopes, "global", v);
           auto target = target_of(body, scope, v);
           if (v.ok()) require_known_target(e, *scope, target, v);
           v.raise_if_any();
           return control_reply(command(
               e,
               [&] {
                 // Validated against kLevels and kScopes above: the parses cannot fail.
                 const auto kill_scope = core::parse_kill_scope(*scope).value_or(core::KillScope::Global);
                 const auto kill_level = core::parse_kill_level(*level).value_or(core::KillLevel::Flatten);
                 if (auto refused = scoped_kill_cap(e, kill_scope, target)) return *refused;
                 return e->controller().kill(reason, kill_level, kill_scope, target, who.actor());
               },
               /*urgent=*/true));
         },
         "Activate a kill (default: global flatten); durable before the reply. A scoped kill names a known "
         "strategy or symbol (422 otherwise; symbols are trimmed and upper-cased); at most 256 scoped kills are "
         "kept (409 past that); a global kill is never refused",
         json{{"type", "object"},
              {"properties",
               {{"reason", {{"type", "string"}, {"default", "API kill switch"}}},
                {"level", {{"type", "string"}, {"enum", kLevels}, {"default", "flatten"}}},
                {"scope", {{"type", "string"}, {"enum", kScopes}, {"default", "global"}}},
                {"target", {{"type", "string"}}}}}},
         {200, 409, 500}});
  r.add({"POST", p + "/kill/reset", "write", true,
         [e](const Request& req, const Principal& who) {
           json body = body_object(req, false);
           Validator v;
           auto scope = choice(body, "scope", kScopes, "global", v);
           auto target = target_of(body, scope, v);
           v.raise_if_any();
           const auto kill_scope = core::parse_kill_scope(*scope).value_or(core::KillScope::Global);
           return control_reply(
               command(e, [&] { return e->controller().reset_kill(kill_scope, target, who.actor()); }, kOperator));
         },
         "End a kill (default the global kill; the bot is then paused)",
         json{{"type", "object"},
              {"properties",
               {{"scope", {{"type", "string"}, {"enum", kScopes}, {"default", "global"}}}, {"target", {{"type", "string"}}}}}},
         {200, 409}});
  // The body is the same for every request on one snapshot: rendered once per snapshot.
  struct RenderedStatus {
    std::mutex mu;
    std::uint64_t version = 0;
    std::shared_ptr<const std::string> body;
  };
  auto rendered = std::make_shared<RenderedStatus>();
  r.add({"GET", p + "/status", "read", true,
         [e, rendered](const Request&, const Principal&) {
           auto snap = snapshot(e);
           std::shared_ptr<const std::string> body;
           {
             std::lock_guard lock(rendered->mu);
             if (rendered->body && rendered->version == snap->version) body = rendered->body;
           }
           if (!body) {
             body = std::make_shared<const std::string>(ojson_reply(200, status_body(snap->status)).body);
             std::lock_guard lock(rendered->mu);
             if (snap->version >= rendered->version) {
               rendered->version = snap->version;
               rendered->body = body;
             }
           }
           Reply out;
           out.body = *body;
           return out;
         },
         "Status snapshot of the running engine", nullptr, {200}});
  r.add({"GET", p + "/positions", "read", true,
         [e](const Request&, const Principal&) {
           auto snap = snapshot(e);
           ojson out = ojson::array();
           for (const auto& x : snap->positions) {
             out.push_back(ordered(x, {"ticker", "direction", "entry_price", "current_price", "shares", "pnl", "pnl_pct"}));
           }
           return ojson_reply(200, out);
         },
         "Open positions, oldest first", nullptr, {200}});
  const int max_page = c.max_page_size;
  auto journal = c.journal;
  r.add({"GET", p + "/history", "read", true,
         [e, journal, max_page](const Request& req, const Principal&) {
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
           // The journal's own read-only connection: history never waits for the engine thread,
           // only for the writer to commit what the engine already handed it (read your writes).
           e->journal().drain();
           auto items = journal->results(static_cast<int>(*limit), *offset, outcome);
           auto total = journal->result_count(outcome);
           ojson out = ojson::array();
           for (const auto& x : items) {
             if (!x.is_object()) continue;
             ojson item = ojson::object();
             for (const char* k : {"success", "ticker", "direction", "conviction", "pipeline_stage",
                                   "rejection_reason", "signal_id", "timestamp"}) {
               item[k] = ojson::parse(x.value(k, json(nullptr)).dump());
             }
             out.push_back(std::move(item));
           }
           auto reply = ojson_reply(200, out);
           reply.set_header("X-Total-Count", std::to_string(total));
           return reply;
         },
         "Pipeline results (executions and rejections), newest first; query limit 1..100, offset >= 0, "
         "outcome executed|rejected|all; header X-Total-Count",
         nullptr, {200}});

  r.add({"PUT", p + "/config", "write", true,
         [e](const Request& req, const Principal& who) {
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
           return control_reply(command(e, [&] { return e->controller().update_config(changes, who.actor()); }));
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
         [e](const Request&, const Principal&) {
           return ojson_reply(200, ordered(snapshot(e)->config, {"refresh_interval_seconds", "pnl_chart_lookback_days",
                                                 "max_signals_displayed", "max_events_displayed",
                                                 "enable_sound_alerts", "paper_mode"}));
         },
         "Current dashboard config", nullptr, {200}});
}

}  // namespace axion::api::v1
