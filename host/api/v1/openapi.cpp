// GET /api/v1/openapi.json (control.md §0.1): an OpenAPI 3 document generated from the router's
// own route table, so every served endpoint is described and nothing else is.
#include <string>

#include "api/v1/routes.hpp"

namespace axion::api::v1 {

using core::json;

namespace {

const char* reason(int code) {
  switch (code) {
    case 200: return "Successful Response";
    case 201: return "Created";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Missing, invalid or expired API key";
    case 403: return "Insufficient scope";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 422: return "Validation Error";
    case 429: return "Rate limit exceeded";
    case 500: return "Internal server error";
    case 503: return "Degraded";
    default: return "Response";
  }
}

json document(const Router& router) {
  json paths = json::object();
  for (const auto& rt : router.routes()) {
    std::string path;
    json params = json::array();
    std::vector<std::string> segments;
    for (std::size_t start = 1; start <= rt.pattern.size();) {
      auto slash = rt.pattern.find('/', start);
      if (slash == std::string::npos) slash = rt.pattern.size();
      segments.push_back(rt.pattern.substr(start, slash - start));
      start = slash + 1;
    }
    for (const auto& seg : segments) {
      if (!seg.empty() && seg[0] == ':') {
        path += "/{" + seg.substr(1) + "}";
        params.push_back({{"name", seg.substr(1)}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
      } else {
        path += "/" + seg;
      }
    }
    if (rt.pattern.find("/bot/history") != std::string::npos) {
      params.push_back({{"name", "limit"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}, {"default", 50}}}});
      params.push_back({{"name", "offset"}, {"in", "query"}, {"schema", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}});
      params.push_back({{"name", "outcome"}, {"in", "query"},
                        {"schema", {{"type", "string"}, {"enum", {"executed", "rejected", "all"}}, {"default", "all"}}}});
    }
    json op = json::object();
    op["summary"] = rt.summary;
    std::string id = rt.method + rt.pattern;
    for (auto& ch : id) {
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    op["operationId"] = id;
    if (!params.empty()) op["parameters"] = params;
    if (!rt.request_body.is_null()) {
      op["requestBody"] = {{"required", rt.method == "PUT" || rt.pattern.find("/keys") != std::string::npos ||
                                            rt.pattern.find("/analyze") != std::string::npos},
                           {"content", {{"application/json", {{"schema", rt.request_body}}}}}};
    }
    json responses = json::object();
    std::vector<int> codes = rt.responses;
    if (!rt.scope.empty()) {
      codes.insert(codes.end(), {401, 403, 422});
      if (rt.rate_limited) codes.push_back(429);
      op["security"] = json::array({{{"ApiKeyAuth", json::array()}}});
      op["x-required-scope"] = rt.scope;
    }
    for (int code : codes) {
      json resp = {{"description", reason(code)}};
      if (rt.pattern == "/metrics" && code == 200) {
        resp["content"] = {{"text/plain", {{"schema", {{"type", "string"}}}}}};
      } else if (code >= 400) {
        json ref = {{"$ref", code == 422 ? "#/components/schemas/ValidationError" : "#/components/schemas/Error"}};
        resp["content"]["application/json"]["schema"] = ref;
      } else {
        resp["content"]["application/json"]["schema"] = json::object();
      }
      responses[std::to_string(code)] = resp;
    }
    op["responses"] = responses;
    std::string method = rt.method;
    for (auto& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    paths[path][method] = op;
  }
  json doc = json::object();
  doc["openapi"] = "3.0.3";
  doc["info"] = {{"title", "Axion engine control API"}, {"version", "1.0.0"}};
  doc["paths"] = paths;
  doc["components"]["securitySchemes"]["ApiKeyAuth"] = {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}};
  json detail = json::object();
  detail["type"] = "string";
  doc["components"]["schemas"]["Error"]["type"] = "object";
  doc["components"]["schemas"]["Error"]["properties"]["detail"] = detail;
  json item = json::object();
  item["type"] = "object";
  for (const char* k : {"type", "msg"}) item["properties"][k]["type"] = "string";
  item["properties"]["loc"]["type"] = "array";
  item["properties"]["input"] = json::object();
  item["properties"]["ctx"]["type"] = "object";
  json& ve = doc["components"]["schemas"]["ValidationError"];
  ve["type"] = "object";
  ve["properties"]["detail"]["type"] = "array";
  ve["properties"]["detail"]["items"] = item;
  return doc;
}

}  // namespace

void add_openapi_route(Router& r) {
  const Router* router = &r;  // the router outlives its routes' handlers
  r.add({"GET", std::string(kPrefix) + "/openapi.json", "", false,
         [router](const Request&, const Principal&) { return json_reply(200, document(*router)); },
         "This OpenAPI 3 document", nullptr, {200}});
}

}  // namespace axion::api::v1
