// Alpaca's Trading API v2 objects (live.md §2) read into the SDK's types, and the order body
// written from an sdk::Order. Alpaca sends decimals as JSON strings ("qty": "15"): both strings
// and numbers are read. A malformed object throws std::runtime_error naming the field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "axion/sdk/types.hpp"

namespace axion::alpaca {

struct AlpacaOrder {
  std::string id;
  std::string client_order_id;
  std::string status;  // Alpaca's word: new, partially_filled, filled, canceled, ...
  std::string symbol;
  double qty = 0;
  double filled_qty = 0;
  double filled_avg_price = 0;
};

// The POST /v2/orders body of `order`. Throws std::invalid_argument for what Alpaca cannot take
// (an option route, an order type it does not have).
std::string order_body(const sdk::Order& order);

AlpacaOrder parse_order(const nlohmann::json& j);

// True while Alpaca may still fill (part of) the order: all but filled, canceled, expired,
// rejected and replaced.
bool is_open_status(const std::string& status);

// The engine's view: open => pending; filled => filled; closed with some shares => partial;
// rejected => rejected; otherwise cancelled (canceled, expired, done_for_day, ...).
sdk::OrderResult to_result(const AlpacaOrder& o, std::int64_t ts_us);

// One trade_updates message's `data` (live.md §3): the event, the order as it is now and, for
// fills, this execution's id, price and shares.
struct TradeUpdate {
  std::string event;  // new, fill, partial_fill, canceled, expired, rejected, ...
  std::string execution_id;
  double price = 0;
  double qty = 0;
  AlpacaOrder order;
};
TradeUpdate parse_trade_update(const nlohmann::json& data);
bool is_fill_event(const std::string& event);

std::vector<sdk::BrokerPosition> parse_positions(const nlohmann::json& j);
sdk::Account parse_account(const nlohmann::json& j);

// A number Alpaca may send as a string; `field` names it in the error.
double decimal(const nlohmann::json& j, const char* field);

}  // namespace axion::alpaca
