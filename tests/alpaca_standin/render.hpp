// The JSON objects Alpaca answers with (Order, Position, Account, Clock): decimals as strings,
// times as RFC3339, absent values as null.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "book.hpp"

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

// Alpaca's error body: {"code": <int>, "message": "..."}.
std::string error_body(long code, const std::string& message);

}  // namespace axion::testing::alpaca
