#include "api/http.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

#include "api/csrf.hpp"
#include "axion/sdk/json_limits.hpp"

namespace axion::api {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Header names compare without case (RFC 9110 §5.1), and without allocating: every response
// sets a dozen of them.
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;  // paths start with '/'
  if (path.empty() || path[0] != '/') start = 0;
  while (true) {
    auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

// Integer text as Python's int() reads it: optional sign, digits, '_' between digits.
std::optional<std::int64_t> parse_int_text(const std::string& raw) {
  std::string s = trim(raw);
  std::string digits;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_' && i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
        std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      continue;
    }
    digits += c;
  }
  if (digits.empty()) return std::nullopt;
  std::size_t pos = (digits[0] == '+' || digits[0] == '-') ? 1 : 0;
  if (pos == digits.size()) return std::nullopt;
  for (std::size_t i = pos; i < digits.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(digits[i]))) return std::nullopt;
  }
  std::int64_t v = 0;
  const char* first = digits.data() + (digits[0] == '+' ? 1 : 0);
  auto [p, ec] = std::from_chars(first, digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_float_text(const std::string& raw) {
  std::string s = trim(raw);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

spdlog::logger& api_logger() {
  auto log = spdlog::get("axion.bot");
  return log ? *log : *spdlog::default_logger();
}

// ---- values ----------------------------------------------------------------------------------

std::optional<std::string> Request::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

void Reply::set_header(const std::string& name, const std::string& value) {
  for (auto& [k, v] : headers) {
    if (iequals(k, name)) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

Reply json_reply(int status, const json& body) {
  Reply r;
  r.status = status;
  // Echoed input (a decoded path or query value) may not be UTF-8: replaced, never a 500.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

Reply error_reply(int status, const std::string& detail) { return json_reply(status, {{"detail", detail}}); }

Reply message_reply(const std::string& message) { return json_reply(200, {{"message", message}}); }

int http_status_of(core::ControlOutcome outcome) {
  switch (outcome) {
    case core::ControlOutcome::Done: return 200;
    case core::ControlOutcome::Invalid: return 400;
    case core::ControlOutcome::NotFound: return 404;
    case core::ControlOutcome::Conflict: return 409;
    case core::ControlOutcome::Failed: return 500;
  }
  return 500;  // an outcome this table does not know is the server's error
}

json validation_item(const std::string& type, json loc, const std::string& msg, std::optional<json> input,
                     std::optional<json> ctx) {
  json j = json::object();
  j["type"] = type;
  j["loc"] = std::move(loc);
  j["msg"] = msg;
  if (input) j["input"] = std::move(*input);
  if (ctx) j["ctx"] = std::move(*ctx);
  return j;
}

ValidationError::ValidationError(std::vector<json> items)
    : std::runtime_error("validation failed"), items_(std::move(items)) {}

void Validator::raise_if_any() const {
  if (!items_.empty()) throw ValidationError(items_);
}

std::string py_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", '" : "'") + items[i] + "'";
  return out + "]";
}

std::string url_decode(std::string_view s, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::string url_encode(std::string_view s, bool path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr std::string_view kPathKeeps = "/%!$&'()*+,;=:@";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x80 && std::isalnum(c)) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (path && kPathKeeps.find(ch) != std::string_view::npos)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// ---- bodies and coercions --------------------------------------------------------------------

std::optional<json> parse_body(const Request& r, bool required) {
  if (r.body.empty()) {
    if (required) {
      throw ValidationError(std::vector<json>{validation_item("missing", json::array({"body"}), "Field required", json(nullptr))});
    }
    return std::nullopt;
  }
  // Refused before parsing: a deeply nested value would overflow the stack of every later
  // copy or dump (issue 9). The body is already capped at max_request_bytes by the server.
  if (!sdk::json_depth_within(r.body)) {
    const std::string reason = "nesting deeper than " + std::to_string(sdk::kMaxJsonDepth) + " levels";
    throw ValidationError(std::vector<json>{validation_item("json_invalid", json::array({"body"}), "JSON decode error",
                                                            json::object(), json{{"error", reason}})});
  }
  try {
    return json::parse(r.body);
  } catch (const json::parse_error& e) {
    // nlohmann's byte is 1-based; Python reports the 0-based index of the offending char.
    std::int64_t pos = e.byte > 0 ? static_cast<std::int64_t>(e.byte) - 1 : 0;
    std::string what = e.what();
    auto colon = what.find(": ", what.find("column"));
    std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
    throw ValidationError(std::vector<json>{validation_item("json_invalid", json::array({"body", pos}), "JSON decode error",
                                           json::object(), json{{"error", reason}})});
  }
}

json body_object(const Request& r, bool required) {
  auto body = parse_body(r, required);
  if (!body || body->is_null()) {
    if (required) {
      throw ValidationError(std::vector<json>{validation_item("missing", json::array({"body"}), "Field required", json(nullptr))});
    }
    return json::object();
  }
  if (!body->is_object()) {
    throw ValidationError(std::vector<json>{validation_item("model_attributes_type", json::array({"body"}),
                                           "Input should be a valid dictionary or object to extract fields from",
                                           *body)});
  }
  return *body;
}

std::optional<bool> lax_bool(const json& x, const json& loc, Validator& v) {
  if (x.is_boolean()) return x.get<bool>();
  if (x.is_number_integer() || x.is_number_unsigned()) {
    auto n = x.get<std::int64_t>();
    if (n == 0 || n == 1) return n == 1;
  } else if (x.is_number_float()) {
    double d = x.get<double>();
    if (d == 0.0 || d == 1.0) return d == 1.0;
  } else if (x.is_string()) {
    auto s = lower(trim(x.get<std::string>()));
    if (s == "1" || s == "on" || s == "t" || s == "true" || s == "y" || s == "yes") return true;
    if (s == "0" || s == "off" || s == "f" || s == "false" || s == "n" || s == "no") return false;
  } else {
    v.add(validation_item("bool_type", loc, "Input should be a valid boolean", x));
    return std::nullopt;
  }
  v.add(validation_item("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", x));
  return std::nullopt;
}

std::optional<std::int64_t> lax_int(const json& x, const json& loc, Validator& v) {
  if (x.is_boolean()) return x.get<bool>() ? 1 : 0;
  if (x.is_number_integer()) return x.get<std::int64_t>();
  if (x.is_number_unsigned()) {
    auto u = x.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(u);
  } else if (x.is_number_float()) {
    double d = x.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.2e18) return static_cast<std::int64_t>(d);
    if (std::isfinite(d)) {
      v.add(validation_item("int_from_float", loc,
                            "Input should be a valid integer, got a number with a fractional part", x));
      return std::nullopt;
    }
  } else if (x.is_string()) {
    if (auto n = parse_int_text(x.get<std::string>())) return n;
    v.add(validation_item("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer",
                          x));
    return std::nullopt;
  } else {
    v.add(validation_item("int_type", loc, "Input should be a valid integer", x));
    return std::nullopt;
  }
  v.add(validation_item("int_parsing_size", loc, "Unable to parse input string as an integer, exceeded maximum size",
                        x));
  return std::nullopt;
}

std::optional<double> lax_number(const json& x, const json& loc, Validator& v) {
  if (x.is_number()) return x.get<double>();
  if (x.is_boolean()) return x.get<bool>() ? 1.0 : 0.0;
  if (x.is_string()) {
    if (auto d = parse_float_text(x.get<std::string>())) return d;
    v.add(validation_item("float_parsing", loc, "Input should be a valid number, unable to parse string as a number",
                          x));
    return std::nullopt;
  }
  v.add(validation_item("float_type", loc, "Input should be a valid number", x));
  return std::nullopt;
}

std::optional<std::string> strict_string(const json& x, const json& loc, Validator& v) {
  if (x.is_string()) return x.get<std::string>();
  v.add(validation_item("string_type", loc, "Input should be a valid string", x));
  return std::nullopt;
}

std::optional<std::int64_t> query_int(const Request& r, const std::string& name, std::int64_t fallback,
                                      std::optional<std::int64_t> ge, std::optional<std::int64_t> le,
                                      Validator& v) {
  auto it = r.query.find(name);
  if (it == r.query.end()) return fallback;
  json loc = json::array({"query", name});
  auto n = parse_int_text(it->second);
  if (!n) {
    v.add(validation_item("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer",
                          it->second));
    return std::nullopt;
  }
  if (ge && *n < *ge) {
    v.add(validation_item("greater_than_equal", loc, "Input should be greater than or equal to " + std::to_string(*ge),
                          it->second, json{{"ge", *ge}}));
    return std::nullopt;
  }
  if (le && *n > *le) {
    v.add(validation_item("less_than_equal", loc, "Input should be less than or equal to " + std::to_string(*le),
                          it->second, json{{"le", *le}}));
    return std::nullopt;
  }
  return n;
}

json literal_item(const json& loc, const json& input, const std::vector<std::string>& allowed) {
  std::string expected;
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i) expected += (i + 1 == allowed.size()) ? " or " : ", ";
    expected += "'" + allowed[i] + "'";
  }
  return validation_item("literal_error", loc, "Input should be " + expected, input, json{{"expected", expected}});
}

// ---- router ----------------------------------------------------------------------------------

Route& Router::add(Route r) {
  segments_.push_back(split_path(r.pattern));
  routes_.push_back(std::move(r));
  return routes_.back();
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match out;
  auto segs = split_path(path);
  for (std::size_t ri = 0; ri < routes_.size(); ++ri) {
    const auto& r = routes_[ri];
    const auto& pat = segments_[ri];
    if (pat.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& p = pat[i];
      if (!p.empty() && p[0] == ':') {
        if (segs[i].empty()) ok = false;
        else params[p.substr(1)] = url_decode(segs[i], false);
      } else {
        ok = p == segs[i];
      }
    }
    if (!ok) continue;
    out.path_known = true;
    if (r.method == method) {
      out.route = &r;
      out.params = std::move(params);
      return out;
    }
  }
  return out;
}

// ---- dispatch --------------------------------------------------------------------------------

void ApiStats::count(int status) {
  requests.fetch_add(1, std::memory_order_relaxed);
  if (status < 300) status_2xx.fetch_add(1, std::memory_order_relaxed);
  else if (status < 400) status_3xx.fetch_add(1, std::memory_order_relaxed);
  else if (status < 500) status_4xx.fetch_add(1, std::memory_order_relaxed);
  else status_5xx.fetch_add(1, std::memory_order_relaxed);
  if (status == 429) rate_limited.fetch_add(1, std::memory_order_relaxed);
  if (status == 401 || status == 403) auth_failures.fetch_add(1, std::memory_order_relaxed);
}

namespace {

Reply unauthorized(const std::string& detail) {
  auto r = error_reply(401, detail);
  r.set_header("WWW-Authenticate", "ApiKey");
  return r;
}

std::string allowed_methods(const Router& router, const std::string& path) {
  std::string out;
  for (const auto& m : {"GET", "POST", "PUT", "DELETE"}) {
    auto hit = router.match(m, path);
    if (hit.route) out += (out.empty() ? "" : ", ") + std::string(m);
  }
  return out;
}

Reply run_handler(const Route& route, const Request& req, const Principal& who) {
  try {
    return route.handler(req, who);
  } catch (const ValidationError& e) {
    return json_reply(422, {{"detail", e.items()}});
  } catch (const std::exception& e) {
    // Never the exception text on the wire (deps-notes P-15); the log keeps it.
    api_logger().error("REST {} {} failed: {}", req.method, req.path, e.what());
    return error_reply(500, "Internal server error");
  } catch (...) {
    api_logger().error("REST {} {} failed with an unknown exception", req.method, req.path);
    return error_reply(500, "Internal server error");
  }
}

}  // namespace

Reply dispatch(const Router& router, const Security& sec, Request& req, ApiStats* stats) {
  auto finish = [&](Reply r) {
    if (stats) stats->count(r.status);
    return r;
  };
  try {
    auto m = router.match(req.method, req.path);
    if (!m.route) {
      if (m.path_known) {
        auto r = error_reply(405, "Method Not Allowed");
        r.set_header("Allow", allowed_methods(router, req.path));
        return finish(r);
      }
      // A trailing slash on a known path redirects to the canonical path (control.md §1.5).
      if (req.path.size() > 1 && req.path.back() == '/') {
        std::string canonical = req.path.substr(0, req.path.size() - 1);
        if (router.match(req.method, canonical).path_known) {
          // Re-encoded, never echoed: decoded input in a header is a CRLF injection (issue 9 #15).
          std::string query;
          for (const auto& [k, v] : req.query) {
            query += (query.empty() ? "?" : "&") + url_encode(k, false) + "=" + url_encode(v, false);
          }
          Reply r;
          r.status = 307;
          r.content_type.clear();
          r.set_header("Location", url_encode(canonical, true) + query);
          return finish(r);
        }
      }
      return finish(error_reply(404, "Not Found"));
    }
    req.params = m.params;
    const Route& route = *m.route;
    Principal who;  // auth disabled: dev, enterprise, admin (control.md §2.1)
    if (!sec.auth && is_state_changing(req.method)) {
      if (auto refusal = same_origin_refusal(req, sec.same_origin)) return finish(error_reply(403, *refusal));
    }
    if (route.scope.empty()) return finish(run_handler(route, req, who));

    if (sec.auth) {
      auto raw = req.header("x-api-key");
      if (!raw || trim(*raw).empty()) return finish(unauthorized("Missing API key \u2014 provide X-API-Key header"));
      auto key = sec.keys ? sec.keys->validate(trim(*raw)) : std::nullopt;
      if (!key) return finish(unauthorized("Invalid or expired API key"));
      who.key_id = key->key_id;
      who.user_id = key->user_id;
      who.tier = key->tier;
      who.scopes = key->scopes;
      who.authenticated = true;
      if (!who.has_scope(route.scope)) {
        return finish(error_reply(403, "Insufficient scope \u2014 requires '" + route.scope + "'"));
      }
    }

    std::optional<RateDecision> rate;
    if (sec.rate_limit && route.rate_limited && sec.limiter) {
      rate = sec.limiter->check(who.key_id.empty() ? who.user_id : who.key_id, who.tier);
      if (!rate->allowed) {
        auto r = error_reply(429, "Rate limit exceeded (" + rate->reason + ")");
        r.set_header("Retry-After", std::to_string(rate->retry_after_seconds));
        r.set_header("X-RateLimit-Limit", std::to_string(rate->limit));
        r.set_header("X-RateLimit-Remaining", "0");
        return finish(r);
      }
    }
    auto r = run_handler(route, req, who);
    if (rate) {
      r.set_header("X-RateLimit-Limit", std::to_string(rate->limit));
      r.set_header("X-RateLimit-Remaining", std::to_string(rate->remaining));
      r.set_header("X-RateLimit-Daily-Remaining", rate->daily_remaining);
    }
    return finish(r);
  } catch (const std::exception& e) {
    api_logger().error("REST {} {} failed: {}", req.method, req.path, e.what());
    return finish(error_reply(500, "Internal server error"));
  }
}

}  // namespace axion::api
