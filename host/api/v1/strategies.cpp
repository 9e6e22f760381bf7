// Strategy endpoints (control.md §1.5): the engine's registry, live A/B table, hot
// enable/disable and on-demand analysis.
#include <cstdio>
#include <string>
#include <vector>

#include "api/v1/routes.hpp"
#include "axion/sdk/time.hpp"

namespace axion::api::v1 {

using core::json;

namespace {

const std::vector<std::string> kItemOrder = {"name", "description", "category", "enabled", "registered_at"};
const std::vector<std::string> kStatsOrder = {"signals", "trades", "wins", "win_rate", "total_pnl", "avg_pnl"};
const std::vector<std::string> kArrays = {"opens", "highs", "lows", "closes", "volumes"};

// StrategyItem (control.md §1.5): exactly its five fields; live stats are GET /strategies/stats.
ojson strategy_item(const json& s) {
  json item = json::object();
  for (const auto& k : kItemOrder) {
    if (s.contains(k)) item[k] = s[k];
  }
  return ordered(item, kItemOrder);
}

std::optional<json> find_strategy(const json& list, const std::string& name) {
  for (const auto& s : list) {
    if (s.is_object() && s.value("name", std::string()) == name) return s;
  }
  return std::nullopt;
}

core::Engine::AnalyzeInput analyze_input(const Request& req) {
  json body = body_object(req, true);
  Validator v;
  // Every missing field is listed (§1.5), then the type of each present one.
  std::vector<std::string> required = {"ticker"};
  required.insert(required.end(), kArrays.begin(), kArrays.end());
  for (const auto& f : required) {
    if (!body.contains(f)) v.add(validation_item("missing", json::array({"body", f}), "Field required", body));
  }
  core::Engine::AnalyzeInput in;
  if (body.contains("ticker")) in.ticker = strict_string(body["ticker"], json::array({"body", "ticker"}), v).value_or("");
  std::vector<std::vector<double>*> outs = {&in.opens, &in.highs, &in.lows, &in.closes, &in.volumes};
  for (std::size_t a = 0; a < kArrays.size(); ++a) {
    const auto& f = kArrays[a];
    if (!body.contains(f)) continue;
    const json& x = body[f];
    if (!x.is_array()) {
      v.add(validation_item("list_type", json::array({"body", f}), "Input should be a valid list", x));
      continue;
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (auto d = lax_number(x[i], json::array({"body", f, i}), v)) outs[a]->push_back(*d);
    }
  }
  if (body.contains("timestamps") && !body["timestamps"].is_null()) {
    const json& t = body["timestamps"];
    if (!t.is_array()) {
      v.add(validation_item("list_type", json::array({"body", "timestamps"}), "Input should be a valid list", t));
    } else {
      for (std::size_t i = 0; i < t.size(); ++i) {
        json loc = json::array({"body", "timestamps", i});
        auto s = strict_string(t[i], loc, v);
        if (!s) continue;
        if (auto us = sdk::time::parse_iso(*s)) {
          in.timestamps_us.push_back(*us);
        } else {
          v.add(validation_item("datetime_from_date_parsing", loc,
                                "Input should be a valid datetime or date, invalid character in year", t[i],
                                json{{"error", "invalid character in year"}}));
        }
      }
    }
  }
  v.raise_if_any();
  // Equal lengths (timestamps too, when given).
  std::vector<std::size_t> lens;
  for (auto* o : outs) lens.push_back(o->size());
  if (!in.timestamps_us.empty()) lens.push_back(in.timestamps_us.size());
  for (auto n : lens) {
    if (n != lens.front()) {
      std::string msg = "All OHLCV arrays must have the same length";
      throw ValidationError(std::vector<json>{validation_item("value_error", json::array({"body"}), "Value error, " + msg, body,
                                             json{{"error", msg}})});
    }
  }
  return in;
}

}  // namespace

void add_strategy_routes(Router& r, const Context& c) {
  core::Engine* e = c.engine;
  const std::string p = std::string(kPrefix) + "/strategies";

  r.add({"GET", p, "read", true,
         [e](const Request&, const Principal&) {
           auto snap = snapshot(e);
           if (!snap->strategies_error.empty()) {
             return error_reply(500, "Failed to list strategies: " + snap->strategies_error);
           }
           ojson out = ojson::array();
           for (const auto& s : snap->strategies) out.push_back(strategy_item(s));
           return ojson_reply(200, out);
         },
         "Registered strategies in registry order", nullptr, {200, 500}});
  // Registered before /{name}: `stats` is never looked up as a strategy name.
  r.add({"GET", p + "/stats", "read", true,
         [e](const Request&, const Principal&) {
           auto snap = snapshot(e);
           if (!snap->strategy_stats_error.empty()) {
             return error_reply(500, "Failed to get strategy stats: " + snap->strategy_stats_error);
           }
           const json& stats = snap->strategy_stats;
           ojson out = ojson::object();
           for (auto it = stats.begin(); it != stats.end(); ++it) out[it.key()] = ordered(it.value(), kStatsOrder);
           return ojson_reply(200, out);
         },
         "Live A/B statistics keyed by strategy", nullptr, {200, 500}});
  r.add({"GET", p + "/:name", "read", true,
         [e](const Request& req, const Principal&) {
           const std::string name = req.params.at("name");
           auto snap = snapshot(e);
           if (!snap->strategies_error.empty()) {
             return error_reply(500, "Failed to get strategy: " + snap->strategies_error);
           }
           auto s = find_strategy(snap->strategies, name);
           if (!s) return error_reply(404, "Strategy '" + name + "' not found");
           return ojson_reply(200, strategy_item(*s));
         },
         "One strategy (exact, case-sensitive name)", nullptr, {200, 404, 500}});
  for (bool enable : {true, false}) {
    const std::string verb = enable ? "enable" : "disable";
    r.add({"PUT", p + "/:name/" + verb, "write", true,
           [e, enable, verb](const Request& req, const Principal& who) {
             const std::string name = req.params.at("name");
             std::optional<json> s;
             try {
               s = command(e, [&] { return e->set_strategy_enabled(name, enable, who.actor()); });
             } catch (const std::exception& ex) {
               return error_reply(500, "Failed to " + verb + " strategy: " + ex.what());
             }
             if (!s) return error_reply(404, "Strategy '" + name + "' not found");
             return message_reply("Strategy '" + name + "' " + verb + "d");
           },
           enable ? "Enable a strategy from the next bar (persisted, journaled with the actor)"
                  : "Disable a strategy from the next bar (persisted, journaled with the actor)",
           nullptr, {200, 404, 500}});
  }
  r.add({"POST", p + "/:name/analyze", "read", true,
         [e](const Request& req, const Principal&) {
           const std::string name = req.params.at("name");
           auto in = analyze_input(req);  // 422 before the strategy lookup (§1.2)
           std::optional<json> sig;
           try {
             sig = e->call([&] { return e->analyze_strategy(name, in); });
           } catch (const std::exception& ex) {
             return error_reply(500, std::string("Strategy analysis failed: ") + ex.what());
           }
           if (!sig) return error_reply(404, "Strategy '" + name + "' not found");
           ojson out = ojson::object();
           out["strategy"] = name;
           out["signal"] = sig->is_null() ? ojson(nullptr)
                                          : ordered(*sig, {"signal_type", "direction", "ticker", "timeframe", "conviction",
                                                           "entry_price", "stop_loss", "target_price", "cloud_states",
                                                           "timestamp", "metadata"});
           return ojson_reply(200, out);
         },
         "Run one strategy on posted OHLCV arrays; its signal on the last bar or null",
         json{{"type", "object"},
              {"required", {"ticker", "opens", "highs", "lows", "closes", "volumes"}},
              {"properties",
               {{"ticker", {{"type", "string"}}},
                {"opens", {{"type", "array"}, {"items", {{"type", "number"}}}}},
                {"highs", {{"type", "array"}, {"items", {{"type", "number"}}}}},
                {"lows", {{"type", "array"}, {"items", {{"type", "number"}}}}},
                {"closes", {{"type", "array"}, {"items", {{"type", "number"}}}}},
                {"volumes", {{"type", "array"}, {"items", {{"type", "number"}}}}},
                {"timestamps", {{"type", "array"}, {"items", {{"type", "string"}, {"format", "date-time"}}}}}}}},
         {200, 404, 500}});
}

}  // namespace axion::api::v1
