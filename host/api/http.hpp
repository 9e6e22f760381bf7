// The REST layer without the wire (control.md §0.1, §1.2, §2): requests and replies as plain
// values, JSON reply and error helpers, 422 validation items in the spec's shape, the lax
// coercions of request bodies, a method + path router, and dispatch(), which applies the error
// precedence 404/405 → auth 401/403 (auth off: the cross-site guard's 403) → 429 → handler
// (whose own validation gives 422) and turns any exception into a JSON 500. server.cpp puts
// this on Pistache; tests can call it directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "api/csrf.hpp"
#include "api/rate_limit.hpp"
#include "key_store.hpp"
#include "axion/core/control/controller.hpp"
#include "axion/core/domain/types.hpp"

namespace axion::api {

using json = core::json;

struct Request {
  std::string method;  // GET, POST, …
  std::string path;    // without the query
  std::map<std::string, std::string> query;    // first value of each name, percent-decoded
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::map<std::string, std::string> params;   // path parameters, filled by the router
  // Case-insensitive header lookup.
  std::optional<std::string> header(const std::string& name) const;
};

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  void set_header(const std::string& name, const std::string& value);
};

Reply json_reply(int status, const json& body);
Reply error_reply(int status, const std::string& detail);  // {"detail": "..."}
Reply message_reply(const std::string& message);           // 200 {"message": "..."}
// The HTTP status of a control outcome: Done 200, Invalid 400, NotFound 404, Conflict 409,
// Failed 500.
int http_status_of(core::ControlOutcome outcome);

// One 422 item: {type, loc, msg[, input][, ctx]}.
json validation_item(const std::string& type, json loc, const std::string& msg,
                     std::optional<json> input = std::nullopt, std::optional<json> ctx = std::nullopt);

// Thrown by handlers while validating; dispatch() answers 422 {"detail": items}.
class ValidationError : public std::runtime_error {
 public:
  explicit ValidationError(std::vector<json> items);
  const std::vector<json>& items() const { return items_; }

 private:
  std::vector<json> items_;
};

// Collects items; throws once at the end so a reply lists every problem.
class Validator {
 public:
  void add(json item) { items_.push_back(std::move(item)); }
  bool ok() const { return items_.empty(); }
  void raise_if_any() const;

 private:
  std::vector<json> items_;
};

// The request body as JSON: nullopt when absent (no bytes or only whitespace). Malformed JSON
// throws a `json_invalid` item; `required` turns an absent body into one `missing` item at
// ["body"]. A present JSON `null` is returned as json(nullptr).
std::optional<json> parse_body(const Request& r, bool required);
// A body that must be an object (or absent/null when optional): returns the object, or an
// empty object for absent/null optional bodies. Other types ⇒ `model_attributes_type`.
json body_object(const Request& r, bool required);

// Lax coercions (pydantic lax mode). Each returns the value or adds the matching 422 item at
// `loc` to `v` and returns nullopt.
std::optional<bool> lax_bool(const json& x, const json& loc, Validator& v);
std::optional<std::int64_t> lax_int(const json& x, const json& loc, Validator& v);
std::optional<double> lax_number(const json& x, const json& loc, Validator& v);
std::optional<std::string> strict_string(const json& x, const json& loc, Validator& v);
// Query parameter as an int (absent ⇒ fallback), with bounds checks; items at ["query", name].
std::optional<std::int64_t> query_int(const Request& r, const std::string& name, std::int64_t fallback,
                                      std::optional<std::int64_t> ge, std::optional<std::int64_t> le,
                                      Validator& v);
// A `literal_error` item listing the allowed values the way pydantic does ('a', 'b' or 'c').
json literal_item(const json& loc, const json& input, const std::vector<std::string>& allowed);

// ---- routing -------------------------------------------------------------------------------

using Handler = std::function<Reply(const Request&, const Principal&)>;

struct Route {
  std::string method;
  std::string pattern;         // "/api/v1/strategies/:name"; ":x" is one path segment
  std::string scope;           // "" = unauthenticated, else read | write | admin
  bool rate_limited = true;    // ignored for unauthenticated routes
  Handler handler;
  // For the OpenAPI document.
  std::string summary;
  json request_body = nullptr;  // JSON schema of the body, or null
  std::vector<int> responses;   // documented status codes besides the auth/429/422 ones
};

class Router {
 public:
  Route& add(Route r);
  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    bool path_known = false;  // some route has this path (⇒ 405 when route is null)
  };
  Match match(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> segments_;  // per route, split pattern
};

// Auth and rate-limit settings of dispatch() ([api] auth, rate_limit).
struct Security {
  Security() = default;
  Security(bool auth_on, bool rate_limit_on, KeyStore* key_store, RateLimiter* rate_limiter)
      : auth(auth_on), rate_limit(rate_limit_on), keys(key_store), limiter(rate_limiter) {}
  bool auth = true;
  bool rate_limit = true;
  KeyStore* keys = nullptr;        // required when auth is on
  RateLimiter* limiter = nullptr;  // required when rate_limit is on
  // With auth off, state-changing requests must come from this server (csrf.hpp); Server
  // fills it from its bind address, port and CORS origins.
  SameOrigin same_origin;
};

// Request counters for /metrics (updated by the server for every reply).
struct ApiStats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> status_2xx{0}, status_3xx{0}, status_4xx{0}, status_5xx{0};
  std::atomic<std::uint64_t> rate_limited{0};
  std::atomic<std::uint64_t> auth_failures{0};
  void count(int status);
};

// Routing, auth, rate limit, handler; exceptions become 500 {"detail":"Internal server error"}
// (ValidationError ⇒ 422). Never throws.
Reply dispatch(const Router& router, const Security& sec, Request& req, ApiStats* stats = nullptr);

// Percent-decoding of a path segment or query component ('+' ⇒ ' ' when `plus_is_space`).
std::string url_decode(std::string_view s, bool plus_is_space);
// Percent-encoding of everything but RFC 3986 unreserved characters: safe to put in a header,
// whatever the input held. `path`: a raw (still encoded) path, whose '/', '%' and
// sub-delimiters stay as they are.
std::string url_encode(std::string_view s, bool path);

// The host's "axion.bot" logger (the default logger when it is not registered).
spdlog::logger& api_logger();

// Python-style rendering of a list of strings: ['a', 'b'].
std::string py_list(const std::vector<std::string>& items);

}  // namespace axion::api
