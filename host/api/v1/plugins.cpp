// Plugin operations (control.md §1.8): list the loaded plugins and reload one in place on the
// engine thread (positions, orders and engine state are kept; a failure keeps the old version).
#include <string>

#include "api/v1/routes.hpp"

namespace axion::api::v1 {

using core::json;

void add_plugin_routes(Router& r, const Context& c) {
  core::Engine* e = c.engine;
  const std::string p = std::string(kPrefix) + "/plugins";

  r.add({"GET", p, "read", true,
         [e](const Request&, const Principal&) {
           auto snap = snapshot(e);
           ojson out = ojson::array();
           for (const auto& x : snap->plugins) out.push_back(ordered(x, {"kind", "name", "version", "state"}));
           return ojson_reply(200, out);
         },
         "Loaded plugins in manifest order", nullptr, {200}});
  r.add({"POST", p + "/:kind/:name/reload", "admin", true,
         [e](const Request& req, const Principal& who) {
           const std::string kind = req.params.at("kind"), name = req.params.at("name");
           auto res = command(e, [&] { return e->reload_plugin_versioned(kind, name, who.actor()); });
           if (!res.result.ok()) {
             return error_reply(http_status_of(res.result.outcome), res.result.message);
           }
           ojson out = ojson::object();
           out["message"] = res.result.message;
           out["version"] = res.version;
           return ojson_reply(200, out);
         },
         "Reload a plugin's shared library in place (drain, swap, re-init from its manifest table)", nullptr,
         {200, 404, 409}});
}

}  // namespace axion::api::v1
