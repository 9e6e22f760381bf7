// The JSON objects Alpaca answers with (Order, Position, Account, Clock): decimals as strings,
// times as RFC3339, absent values as null. Market data's bars are the exception: numbers there
// are JSON numbers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "book.hpp"
#include "standin.hpp"

namespace axion::testing::alpaca {

nlohmann::json order_json(const Order& o);
// Null when the symbol has no position.
nlohmann::json position_json(const Book& book, const std::string& symbol);
nlohmann::json positions_json(const Book& book);

struct AccountIdentity {
  std::string id, account_number;
  SysTime created_at;
};
nlohmann::json account_json(const Book& book, const AccountIdentity& who);
nlohmann::json clock_json(bool is_open, SysTime now);

// A bar as GET /v2/stocks/bars lists it: {"t","o","h","l","c","v","n","vw"}.
nlohmann::json bar_json(const BarRecord& b);
// A bar as the market data stream sends it: the same with "T":"b" and "S" (the symbol).
nlohmann::json stream_bar_json(const BarRecord& b);

// Alpaca's error body: {"code": <int>, "message": "..."}.
std::string error_body(long code, const std::string& message);

}  // namespace axion::testing::alpaca
