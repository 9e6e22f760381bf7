#include "market_data.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "axion/sdk/time.hpp"

namespace axion::alpaca {

using nlohmann::json;

std::string rfc3339(std::int64_t utc_us) {
  return axion::sdk::time::to_iso(utc_us).substr(0, 19) + "Z";
}

std::string bars_path(const BarsQuery& q) {
  std::string symbols;
  for (const auto& s : q.symbols) symbols += (symbols.empty() ? "" : ",") + s;
  std::string p = "/v2/stocks/bars?symbols=" + symbols + "&timeframe=" + q.timeframe +
                  "&start=" + rfc3339(q.start_us) + "&end=" + rfc3339(q.end_us) +
                  "&limit=" + std::to_string(q.limit) + "&adjustment=" + q.adjustment +
                  "&feed=" + q.feed;
  // Tokens are base64: '+', '/' and '=' must be escaped in a query.
  if (!q.page_token.empty()) {
    p += "&page_token=";
    for (unsigned char c : q.page_token) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        p += static_cast<char>(c);
      } else {
        static const char* hex = "0123456789ABCDEF";
        p += '%';
        p += hex[c >> 4];
        p += hex[c & 15];
      }
    }
  }
  return p;
}

namespace {

double number(const json& j, const char* field, const std::string& symbol) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_number()) {
    throw std::invalid_argument("bar of " + symbol + ": field '" + field + "' is missing or not a number");
  }
  return it->get<double>();
}

}  // namespace

MinuteBar parse_bar(const json& j, const std::string& symbol) {
  if (!j.is_object()) throw std::invalid_argument("bar of " + symbol + " is not an object");
  MinuteBar b;
  b.symbol = symbol;
  auto t = j.find("t");
  if (t == j.end() || !t->is_string()) throw std::invalid_argument("bar of " + symbol + ": field 't' is missing");
  auto ts = axion::sdk::time::parse_iso(t->get<std::string>());
  if (!ts) throw std::invalid_argument("bar of " + symbol + ": field 't' is not an RFC3339 time");
  b.start_us = *ts;
  b.open = number(j, "o", symbol);
  b.high = number(j, "h", symbol);
  b.low = number(j, "l", symbol);
  b.close = number(j, "c", symbol);
  b.volume = number(j, "v", symbol);
  return b;
}

BarsPage parse_bars_page(const json& body) {
  if (!body.is_object()) throw std::invalid_argument("the bars answer is not a JSON object");
  BarsPage page;
  auto bars = body.find("bars");
  if (bars == body.end() || bars->is_null()) {
    // No bar in the range: Alpaca answers with null or an empty object.
  } else if (!bars->is_object()) {
    throw std::invalid_argument("'bars' is not an object of symbols");
  } else {
    for (const auto& [symbol, list] : bars->items()) {
      if (!list.is_array()) throw std::invalid_argument("bars of " + symbol + " are not an array");
      for (const auto& j : list) page.bars.push_back(parse_bar(j, symbol));
    }
  }
  auto token = body.find("next_page_token");
  if (token != body.end() && token->is_string()) page.next_page_token = token->get<std::string>();
  return page;
}

bool plausible(const MinuteBar& b) {
  const double v[] = {b.open, b.high, b.low, b.close};
  for (double x : v) {
    if (!std::isfinite(x) || x <= 0) return false;
  }
  return b.high >= std::max(b.open, b.close) && b.low <= std::min(b.open, b.close) &&
         std::isfinite(b.volume) && b.volume >= 0;
}

}  // namespace axion::alpaca
