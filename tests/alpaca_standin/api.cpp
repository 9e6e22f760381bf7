// The order every request goes through: scripted request faults, authentication, the rate
// budget, then the route. Every answer carries the three rate-limit headers and is recorded.
// Market data's bars go through the same: one budget per account (live.md §5).
#include "api.hpp"

#include <array>
#include <cctype>
#include <string_view>

#include "routes.hpp"

namespace axion::testing::alpaca {

ApiState::ApiState(StandInOptions o)
    : options(std::move(o)),
      book(options.starting_cash),
      limiter(options.rate_limit, options.rate_window),
      account{stable_uuid("account:" + options.key_id),
              "PA" + stable_uuid(options.key_id).substr(0, 10), std::chrono::system_clock::now()} {
  for (char& ch : account.account_number)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
}

namespace {

using Handler = Reply (*)(ApiState&, const Call&);

struct Route {
  std::string_view pattern;  // "{}" stands for one path segment
  std::string_view method;
  Handler handler;
};

constexpr std::array<Route, 14> kRoutes{{
    {"/v2/orders", "POST", submit_order},
    {"/v2/orders", "GET", list_orders},
    {"/v2/orders", "DELETE", cancel_all_orders},
    {"/v2/orders:by_client_order_id", "GET", get_order_by_client_id},
    {"/v2/orders/{}", "GET", get_order},
    {"/v2/orders/{}", "DELETE", cancel_order},
    {"/v2/positions", "GET", list_positions},
    {"/v2/positions", "DELETE", close_all_positions},
    {"/v2/positions/{}", "GET", get_position},
    {"/v2/positions/{}", "DELETE", close_position},
    {"/v2/account", "GET", get_account},
    {"/v2/clock", "GET", get_clock},
    {"/v2/stocks/bars", "GET", get_bars},
    {"/v2/stocks/{}/bars", "GET", get_symbol_bars},
}};

// Whether `path` matches `pattern`; the segment "{}" stands for is stored in `param`.
bool matches(std::string_view pattern, std::string_view path, std::string& param) {
  const auto hole = pattern.find("{}");
  if (hole == std::string_view::npos) return pattern == path;
  const auto suffix = pattern.substr(hole + 2);
  if (path.size() <= hole + suffix.size() || path.substr(0, hole) != pattern.substr(0, hole) ||
      !path.ends_with(suffix))
    return false;
  const auto segment = path.substr(hole, path.size() - hole - suffix.size());
  if (segment.find('/') != std::string_view::npos) return false;
  param = std::string(segment);
  return true;
}

bool bars_path(std::string_view path) {
  std::string ignored;
  return path == "/v2/stocks/bars" || matches("/v2/stocks/{}/bars", path, ignored);
}

int hex(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Percent-decoding (and '+' as a space in a query), so "%3A" reaches the same route as ':'.
std::string decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto part = q.substr(0, amp);
    const auto eq = part.find('=');
    if (!part.empty()) {
      out[decode(part.substr(0, eq), true)] =
          eq == std::string_view::npos ? std::string() : decode(part.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

void count_submit(ApiState& s, const HttpRequest& req) {
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_object() && body.contains("client_order_id") && body["client_order_id"].is_string()) {
    ++s.submits[body["client_order_id"].get<std::string>()];
  }
}

Reply route(ApiState& s, const HttpRequest& req, const std::string& path, std::string_view query,
            std::string& allow) {
  Call call{req, path, parse_query(query), {}};
  bool path_known = false;
  for (const Route& r : kRoutes) {
    std::string param;
    if (!matches(r.pattern, path, param)) continue;
    path_known = true;
    if (r.method == req.method) {
      call.param = std::move(param);
      return r.handler(s, call);
    }
    allow += (allow.empty() ? "" : ", ") + std::string(r.method);
  }
  if (path_known) return error(405, 40510000, "method not allowed");
  return error(404, kCodeNotFound, "endpoint not found");
}

void add_rate_headers(HttpResponse& out, const RateHeaders& h) {
  out.headers.emplace_back("X-Ratelimit-Limit", std::to_string(h.limit));
  out.headers.emplace_back("X-Ratelimit-Remaining", std::to_string(h.remaining));
  out.headers.emplace_back("X-Ratelimit-Reset", std::to_string(h.reset_epoch_s));
}

}  // namespace

Reply error(int status, long code, const std::string& message) {
  return Reply{status, error_body(code, message), {}};
}

HttpResponse handle(ApiState& s, const HttpRequest& req) {
  const auto now = RateLimiter::Clock::now();
  const std::string_view target = req.target;
  const auto qmark = target.find('?');
  const std::string path = decode(target.substr(0, qmark), false);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);

  const std::size_t record = s.records.size();
  s.records.push_back(RequestRecord{req.method, req.target, req.headers, req.body, 0, steady_now_us(), 0});
  if (req.method == "POST" && path == "/v2/orders") count_submit(s, req);
  if (req.method == "GET" && bars_path(path)) ++s.bars_requests;

  const std::string* key = req.header("APCA-API-KEY-ID");
  const std::string* secret = req.header("APCA-API-SECRET-KEY");
  const std::string key_id = key ? *key : std::string();

  HttpResponse out;
  RateHeaders rate;
  std::string allow;
  Reply reply;
  if (!s.faults.fail_requests.empty()) {
    const int status = s.faults.fail_requests.front();
    s.faults.fail_requests.pop_front();
    reply = error(status, code_for(status), "scripted failure");
    rate = s.limiter.peek(key_id, now);
  } else if (s.faults.burst_429 > 0) {
    --s.faults.burst_429;
    reply = error(429, kCodeRateLimited, "rate limit exceeded");
    rate = s.limiter.exhausted(now);
  } else if (!key || !secret || *key != s.options.key_id || *secret != s.options.secret_key) {
    // Not charged: the budget belongs to an account, and this request has none.
    reply = error(401, kCodeUnauthorized, "request is not authorized");
    rate = s.limiter.peek(key_id, now);
  } else if (!s.limiter.take(key_id, now, rate)) {
    reply = error(429, kCodeRateLimited, "rate limit exceeded");
  } else {
    try {
      reply = route(s, req, path, query, allow);
    } catch (const std::exception&) {  // a stand-in bug: answered (and recorded) as Alpaca would
      reply = error(500, code_for(500), "internal server error occurred");
    }
  }

  out.status = reply.status;
  out.body = std::move(reply.body);
  out.delay = reply.delay;
  add_rate_headers(out, rate);
  if (!allow.empty() && out.status == 405) out.headers.emplace_back("Allow", allow);
  s.records[record].status = out.status;
  s.records[record].answer_delay_ms = out.delay.count();
  return out;
}

}  // namespace axion::testing::alpaca
