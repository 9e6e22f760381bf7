// Alpaca Market Data v2 messages (live.md §4), parsed: a page of historical bars, the requests
// for them, and what a real-time stream frame carries. Pure functions on text and JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bar_aggregator.hpp"

namespace axion::alpaca {

// "2024-01-03T14:30:00Z" (what Alpaca's query parameters take; no '+' to escape).
std::string rfc3339(std::int64_t utc_us);

struct BarsQuery {
  std::vector<std::string> symbols;
  std::string timeframe;  // Alpaca's: "1Min", "1Day"
  std::int64_t start_us = 0, end_us = 0;
  int limit = 10000;
  std::string adjustment = "raw";
  std::string feed = "iex";
  std::string page_token;  // "" = the first page
};
// "/v2/stocks/bars?symbols=…&timeframe=…&start=…&end=…&limit=…&adjustment=…&feed=…[&page_token=…]"
std::string bars_path(const BarsQuery& q);

struct BarsPage {
  std::vector<MinuteBar> bars;  // a 1Day bar too (start = its "t")
  std::string next_page_token;  // "" when this was the last page
};
// Throws std::invalid_argument naming the symbol and the field when a bar is malformed.
BarsPage parse_bars_page(const nlohmann::json& body);

// One bar object, {"t" (or "T":"b" with "S"), "o","h","l","c","v"}; throws naming the field.
MinuteBar parse_bar(const nlohmann::json& j, const std::string& symbol);

// Prices positive and finite, high the highest, low the lowest, volume not negative.
bool plausible(const MinuteBar& b);

}  // namespace axion::alpaca
