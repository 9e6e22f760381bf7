// The v1 resources (control.md §1), one file each; every handler acts on the running engine
// through Engine::call (the engine thread is the single writer). A future v2/ sits beside v1/.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/http.hpp"
#include "axion/core/engine.hpp"

namespace axion::api::v1 {

using ojson = nlohmann::ordered_json;

struct Context {
  core::Engine* engine = nullptr;
  std::shared_ptr<ApiStats> stats;  // request counters for /metrics
  std::string version = "1.0.0";    // /health "version"
  int max_page_size = 100;          // history `limit` bound
};

void add_bot_routes(Router& r, const Context& c);         // bot.cpp (§1.1 #1–11)
void add_strategy_routes(Router& r, const Context& c);    // strategies.cpp (§1.5)
void add_key_routes(Router& r, const Context& c);         // keys.cpp (§1.6)
void add_plugin_routes(Router& r, const Context& c);      // plugins.cpp (§1.8)
void add_health_routes(Router& r, const Context& c);      // health.cpp (§1.7, /metrics)
void add_openapi_route(Router& r);                        // openapi.cpp: describes r's routes

// Every v1 route, plus /health, /metrics and the OpenAPI document.
inline std::shared_ptr<Router> build_router(const Context& c) {
  auto r = std::make_shared<Router>();
  add_bot_routes(*r, c);
  add_strategy_routes(*r, c);
  add_key_routes(*r, c);
  add_plugin_routes(*r, c);
  add_health_routes(*r, c);
  add_openapi_route(*r);
  return r;
}

// A copy of `j` whose object keys come in `order` (the wire order the spec lists), others after.
ojson ordered(const core::json& j, const std::vector<std::string>& order);
Reply ojson_reply(int status, const ojson& body);
// A ControlResult as the reply: 200 {"message"} or {"detail"} with its status.
Reply control_reply(const core::ControlResult& r);

inline constexpr const char* kPrefix = "/api/v1";

}  // namespace axion::api::v1
