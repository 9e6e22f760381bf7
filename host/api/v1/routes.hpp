// The v1 resources (control.md §1), one file each. Writes act on the running engine through
// Engine::call (the engine thread is the single writer) and publish a read snapshot before they
// answer; reads serve the latest snapshot and the journal through a read-only connection, so
// they never queue behind the engine (issue 9 #14). A future v2/ sits beside v1/.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/http.hpp"
#include "axion/core/engine/engine.hpp"
#include "axion/core/state/journal_reader.hpp"

namespace axion::api::v1 {

using ojson = nlohmann::ordered_json;

struct Context {
  core::Engine* engine = nullptr;
  KeyStore* keys = nullptr;         // the key routes' store (the server's Security uses it too)
  std::shared_ptr<ApiStats> stats;  // request counters for /metrics
  std::string version = "1.0.0";    // /health "version"
  int max_page_size = 100;          // history `limit` bound
  // History and the /health database probe; build_router opens one on the engine's journal.
  std::shared_ptr<core::JournalReader> journal;
};

void add_bot_routes(Router& r, const Context& c);         // bot.cpp (§1.1 #1–11)
void add_strategy_routes(Router& r, const Context& c);    // strategies.cpp (§1.5)
void add_key_routes(Router& r, const Context& c);         // keys.cpp (§1.6)
void add_plugin_routes(Router& r, const Context& c);      // plugins.cpp (§1.8)
void add_health_routes(Router& r, const Context& c);      // health.cpp (§1.7, /metrics)
void add_openapi_route(Router& r);                        // openapi.cpp: describes r's routes

// Every v1 route, plus /health, /metrics and the OpenAPI document.
inline std::shared_ptr<Router> build_router(Context c) {
  if (!c.journal && c.engine) {
    c.journal = std::make_shared<core::JournalReader>(std::filesystem::path(c.engine->manifest().engine.state_dir) /
                                                      "axion.db");
  }
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

// Runs a state-changing `fn` on the engine thread (ahead of queued bars when `urgent`) and
// publishes a read snapshot before returning, so the caller's next GET sees the change.
template <class Fn>
auto command(core::Engine* e, Fn fn, bool urgent = false) -> decltype(fn()) {
  auto run = [e, &fn] {
    auto result = fn();
    e->publish_read_snapshot();
    return result;
  };
  return urgent ? e->call_urgent(run) : e->call(run);
}
// The latest read snapshot; throws when none can be had (the handler answers 500).
std::shared_ptr<const core::ReadSnapshot> snapshot(core::Engine* e);

inline constexpr const char* kPrefix = "/api/v1";

}  // namespace axion::api::v1
