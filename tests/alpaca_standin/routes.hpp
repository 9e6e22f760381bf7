// The endpoints behind api.cpp's dispatch, in three files: routes_orders.cpp (orders),
// routes_account.cpp (positions, account, clock) and routes_bars.cpp (market data's bars). Each
// answers one authenticated request.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "api.hpp"

namespace axion::testing::alpaca {

struct Call {
  const HttpRequest& request;
  std::string path;                          // percent-decoded, without the query
  std::map<std::string, std::string> query;  // decoded
  std::string param;                         // the {id} or {symbol} of the path, if any
};

struct Reply {
  int status = 200;
  std::string body;
  std::chrono::milliseconds delay{0};
};

// Alpaca's error codes: the status followed by a reason number.
constexpr long kCodeUnauthorized = 40110000;
constexpr long kCodeNotFound = 40410000;
constexpr long kCodeUnprocessable = 42210000;
constexpr long kCodeDuplicateClientId = 40010001;
constexpr long kCodeBadBody = 40010000;
constexpr long kCodeRateLimited = 42900000;
// The code a scripted status carries: 403 -> 40310000, 503 -> 50310000.
constexpr long code_for(int status) { return static_cast<long>(status) * 100000 + 10000; }

Reply error(int status, long code, const std::string& message);

Reply submit_order(ApiState& s, const Call& c);
Reply list_orders(ApiState& s, const Call& c);
Reply get_order(ApiState& s, const Call& c);
Reply get_order_by_client_id(ApiState& s, const Call& c);
Reply cancel_order(ApiState& s, const Call& c);
Reply cancel_all_orders(ApiState& s, const Call& c);

Reply list_positions(ApiState& s, const Call& c);
Reply get_position(ApiState& s, const Call& c);
Reply close_position(ApiState& s, const Call& c);
Reply close_all_positions(ApiState& s, const Call& c);
Reply get_account(ApiState& s, const Call& c);
Reply get_clock(ApiState& s, const Call& c);

Reply get_bars(ApiState& s, const Call& c);         // /v2/stocks/bars?symbols=…
Reply get_symbol_bars(ApiState& s, const Call& c);  // /v2/stocks/{symbol}/bars

}  // namespace axion::testing::alpaca
