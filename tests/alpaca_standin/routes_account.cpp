// /v2/positions, /v2/account and /v2/clock.
#include "routes.hpp"

namespace axion::testing::alpaca {

using nlohmann::json;

namespace {

Reply position_not_found() { return error(404, kCodeNotFound, "position does not exist"); }

}  // namespace

Reply list_positions(ApiState& s, const Call&) {
  return Reply{200, positions_json(s.book).dump(), {}};
}

Reply get_position(ApiState& s, const Call& c) {
  const json p = position_json(s.book, c.param);
  return p.is_null() ? position_not_found() : Reply{200, p.dump(), {}};
}

Reply close_position(ApiState& s, const Call& c) {
  if (!s.book.positions().count(c.param)) return position_not_found();
  return Reply{200, order_json(s.book.close_position(c.param)).dump(), {}};
}

// The broker-side flatten: working orders canceled first when asked, then one closing market
// order per position, each answered with its own status (207).
Reply close_all_positions(ApiState& s, const Call& c) {
  const auto cancel = c.query.find("cancel_orders");
  if (cancel != c.query.end() && cancel->second == "true") {
    for (const Order& o : s.book.orders()) {
      if (o.open()) s.book.cancel(*s.book.by_id(o.id));
    }
  }
  std::vector<std::string> symbols;
  for (const auto& [symbol, p] : s.book.positions()) symbols.push_back(symbol);
  json out = json::array();
  for (const auto& symbol : symbols) {
    out.push_back(json{
        {"symbol", symbol}, {"status", 200}, {"body", order_json(s.book.close_position(symbol))}});
  }
  return Reply{207, out.dump(), {}};
}

Reply get_account(ApiState& s, const Call&) {
  return Reply{200, account_json(s.book, s.account).dump(), {}};
}

Reply get_clock(ApiState& s, const Call&) {
  return Reply{200, clock_json(s.clock_open, std::chrono::system_clock::now()).dump(), {}};
}

}  // namespace axion::testing::alpaca
