// Key management (control.md §1.6): K1 create (admin), K2 list (read), K3 revoke (admin). The
// key store is thread-safe, so these never queue behind the engine thread.
#include <stdexcept>
#include <string>
#include <vector>

#include "api/v1/routes.hpp"

namespace axion::api::v1 {

using core::json;

namespace {

const std::vector<std::string> kScopes = {"read", "write", "admin"};
const std::vector<std::string> kTiers = {"free", "pro", "enterprise"};
const std::vector<std::string> kKeyOrder = {"key_id",    "name",       "key",        "key_preview", "scopes",
                                            "tier",      "is_active",  "created_at", "expires_at",  "last_used"};

json at(const char* f) { return json::array({"body", f}); }

}  // namespace

void add_key_routes(Router& r, const Context& c) {
  KeyStore* keys = c.keys;
  if (!keys) throw std::invalid_argument("the key routes need a key store (v1::Context::keys)");
  const std::string p = std::string(kPrefix) + "/keys";

  r.add({"POST", p, "admin", true,
         [keys](const Request& req, const Principal& who) {
           json body = body_object(req, true);
           Validator v;
           std::string name;
           if (!body.contains("name")) {
             v.add(validation_item("missing", at("name"), "Field required", body));
           } else if (auto s = strict_string(body["name"], at("name"), v)) {
             if (s->empty()) {
               v.add(validation_item("string_too_short", at("name"), "String should have at least 1 character", *s,
                                     json{{"min_length", 1}}));
             } else if (s->size() > 128) {
               v.add(validation_item("string_too_long", at("name"), "String should have at most 128 characters", *s,
                                     json{{"max_length", 128}}));
             }
             name = *s;
           }
           std::vector<std::string> scopes;
           if (body.contains("scopes") && !body["scopes"].is_null()) {
             const json& s = body["scopes"];
             if (!s.is_array()) {
               v.add(validation_item("list_type", at("scopes"), "Input should be a valid list", s));
             } else {
               for (std::size_t i = 0; i < s.size(); ++i) {
                 json loc = json::array({"body", "scopes", i});
                 auto one = strict_string(s[i], loc, v);
                 if (!one) continue;
                 if (std::find(kScopes.begin(), kScopes.end(), *one) == kScopes.end()) {
                   v.add(literal_item(loc, s[i], kScopes));
                 } else if (std::find(scopes.begin(), scopes.end(), *one) == scopes.end()) {
                   scopes.push_back(*one);
                 }
               }
             }
           }
           if (scopes.empty()) scopes = {"read"};
           std::string tier = "free";
           if (body.contains("tier") && !body["tier"].is_null()) {
             if (auto t = strict_string(body["tier"], at("tier"), v)) {
               if (std::find(kTiers.begin(), kTiers.end(), *t) == kTiers.end()) {
                 v.add(literal_item(at("tier"), body["tier"], kTiers));
               } else {
                 tier = *t;
               }
             }
           }
           std::optional<int> days;
           if (body.contains("expires_in_days") && !body["expires_in_days"].is_null()) {
             const json& x = body["expires_in_days"];
             if (auto n = lax_int(x, at("expires_in_days"), v)) {
               if (*n < 0) {
                 v.add(validation_item("greater_than_equal", at("expires_in_days"),
                                       "Input should be greater than or equal to 0", x, json{{"ge", 0}}));
               } else if (*n > 36500) {
                 v.add(validation_item("less_than_equal", at("expires_in_days"),
                                       "Input should be less than or equal to 36500", x, json{{"le", 36500}}));
               } else if (*n > 0) {
                 days = static_cast<int>(*n);
               }
             }
           }
           v.raise_if_any();
           auto created = keys->create(who.user_id, name, scopes, tier, days);
           json out = created.key.to_json(created.key.key_preview);
           out["key"] = created.raw;
           return ojson_reply(201, ordered(out, kKeyOrder));
         },
         "Create an API key for the caller (the raw key is shown once)",
         json{{"type", "object"},
              {"required", {"name"}},
              {"properties",
               {{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 128}}},
                {"scopes", {{"type", "array"}, {"items", {{"type", "string"}, {"enum", kScopes}}}, {"default", {"read"}}}},
                {"expires_in_days", {{"type", {"integer", "null"}}, {"minimum", 0}}},
                {"tier", {{"type", "string"}, {"enum", kTiers}, {"default", "free"}}}}}},
         {201}});
  r.add({"GET", p, "read", true,
         [keys](const Request&, const Principal& who) {
           ojson out = ojson::array();
           for (const auto& k : keys->list(who.user_id)) out.push_back(ordered(k.to_json(k.key_preview), kKeyOrder));
           return ojson_reply(200, out);
         },
         "The caller's keys, revoked ones included (key: null)", nullptr, {200}});
  r.add({"DELETE", p + "/:key_id", "admin", true,
         [keys](const Request& req, const Principal& who) {
           const std::string id = req.params.at("key_id");
           if (!keys->revoke(who.user_id, id)) return error_reply(404, "Key not found");
           ojson out = ojson::object();
           out["key_id"] = id;
           out["revoked"] = true;
           return ojson_reply(200, out);
         },
         "Revoke one of the caller's keys (closes its WebSocket connections)", nullptr, {200, 404}});
}

}  // namespace axion::api::v1
