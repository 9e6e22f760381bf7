#include "alpaca_json.hpp"

#include <cmath>
#include <stdexcept>

namespace axion::alpaca {

using nlohmann::json;

double decimal(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return 0;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    try {
      std::size_t used = 0;
      double v = std::stod(s, &used);
      if (used == s.size() && std::isfinite(v)) return v;
    } catch (const std::exception&) {
    }
  }
  throw std::runtime_error(std::string("Alpaca field '") + field + "' is not a number: " + it->dump());
}

namespace {

std::string text(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) throw std::runtime_error(std::string("Alpaca field '") + field + "' is not a string");
  return it->get<std::string>();
}

// Alpaca takes prices as strings with two decimals at $1 and above, four below (its sub-penny
// rule). `toward` -1 rounds down, +1 up, 0 to nearest: a buy limit is never raised, a sell limit
// never lowered.
std::string price_text(double v, int toward) {
  const double scale = v >= 1.0 ? 100.0 : 10000.0;
  double q = v * scale;
  const double nearest = std::round(q);
  if (std::fabs(q - nearest) < 1e-6) {
    q = nearest;  // already on the grid (up to binary noise)
  } else {
    q = toward < 0 ? std::floor(q) : toward > 0 ? std::ceil(q) : nearest;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v >= 1.0 ? "%.2f" : "%.4f", q / scale);
  return buf;
}

}  // namespace

std::string order_body(const sdk::Order& o) {
  if (o.instrument_type == "option") throw std::invalid_argument("broker/alpaca does not trade options");
  if (o.side != "buy" && o.side != "sell") throw std::invalid_argument("side must be buy or sell, got '" + o.side + "'");
  if (o.qty <= 0) throw std::invalid_argument("qty must be positive");
  const std::string& type = o.order_type;
  if (type != "market" && type != "limit" && type != "stop" && type != "stop_limit") {
    throw std::invalid_argument("order type '" + type + "' is not one Alpaca takes here");
  }
  const bool needs_limit = type == "limit" || type == "stop_limit";
  const bool needs_stop = type == "stop" || type == "stop_limit";
  if (needs_limit && !(o.limit_price > 0)) throw std::invalid_argument(type + " order without a positive limit_price");
  if (needs_stop && !(o.stop_price > 0)) throw std::invalid_argument(type + " order without a positive stop_price");
  const std::string& tif = o.time_in_force.empty() ? std::string("day") : o.time_in_force;
  if (tif != "day" && tif != "gtc" && tif != "opg" && tif != "cls" && tif != "ioc" && tif != "fok") {
    throw std::invalid_argument("time_in_force '" + tif + "' is not one Alpaca takes");
  }
  json body = {{"symbol", o.ticker},
               {"qty", std::to_string(o.qty)},
               {"side", o.side},
               {"type", type},
               {"time_in_force", tif},
               {"client_order_id", o.client_order_id}};
  if (needs_limit) body["limit_price"] = price_text(o.limit_price, o.side == "buy" ? -1 : 1);
  if (needs_stop) body["stop_price"] = price_text(o.stop_price, 0);
  return body.dump();
}

AlpacaOrder parse_order(const json& j) {
  if (!j.is_object()) throw std::runtime_error("Alpaca order is not an object");
  AlpacaOrder o;
  o.id = text(j, "id");
  o.client_order_id = text(j, "client_order_id");
  o.status = text(j, "status");
  o.symbol = text(j, "symbol");
  o.qty = decimal(j, "qty");
  o.filled_qty = decimal(j, "filled_qty");
  o.filled_avg_price = decimal(j, "filled_avg_price");
  if (o.id.empty()) throw std::runtime_error("Alpaca order without an id");
  if (o.status.empty()) throw std::runtime_error("Alpaca order " + o.id + " without a status");
  return o;
}

bool is_open_status(const std::string& s) {
  // Only these end an order. Everything else (new, partially_filled, done_for_day, which can
  // fill again next session, pending_*, and any status Alpaca adds later) may still fill.
  return !(s == "filled" || s == "canceled" || s == "expired" || s == "rejected" || s == "replaced");
}

sdk::OrderResult to_result(const AlpacaOrder& o, std::int64_t ts_us) {
  sdk::OrderResult r;
  r.order_id = o.id;
  r.broker = "alpaca";
  r.ts_us = ts_us;
  r.filled_qty = static_cast<std::int64_t>(std::llround(o.filled_qty));
  r.filled_price = o.filled_avg_price;
  if (is_open_status(o.status)) {
    r.status = sdk::OrderStatus::Pending;
  } else if (o.status == "filled") {
    r.status = sdk::OrderStatus::Filled;
  } else if (o.status == "rejected") {
    r.status = sdk::OrderStatus::Rejected;
    r.rejection_reason = "Rejected by Alpaca";
  } else if (r.filled_qty > 0) {
    r.status = sdk::OrderStatus::Partial;  // closed (canceled, expired, ...) after some fills
  } else {
    r.status = sdk::OrderStatus::Cancelled;
    r.rejection_reason = "Alpaca order " + o.status;
  }
  return r;
}

TradeUpdate parse_trade_update(const json& data) {
  if (!data.is_object()) throw std::runtime_error("trade update data is not an object");
  TradeUpdate u;
  u.event = text(data, "event");
  if (u.event.empty()) throw std::runtime_error("trade update without an event");
  auto order = data.find("order");
  if (order == data.end()) throw std::runtime_error("trade update '" + u.event + "' without an order");
  u.order = parse_order(*order);
  if (is_fill_event(u.event)) {
    u.execution_id = text(data, "execution_id");
    u.price = decimal(data, "price");
    u.qty = decimal(data, "qty");
  }
  return u;
}

bool is_fill_event(const std::string& event) { return event == "fill" || event == "partial_fill"; }

std::vector<sdk::BrokerPosition> parse_positions(const json& j) {
  if (!j.is_array()) throw std::runtime_error("Alpaca positions are not an array");
  std::vector<sdk::BrokerPosition> out;
  for (const auto& p : j) {
    sdk::BrokerPosition b;
    b.symbol = text(p, "symbol");
    const double qty = decimal(p, "qty");
    b.qty = static_cast<std::int64_t>(std::llround(std::fabs(qty)));
    const std::string side = text(p, "side");
    b.side = side.empty() ? (qty < 0 ? "short" : "long") : side;
    b.avg_price = decimal(p, "avg_entry_price");
    b.current_price = decimal(p, "current_price");
    if (b.symbol.empty()) throw std::runtime_error("Alpaca position without a symbol");
    out.push_back(std::move(b));
  }
  return out;
}

sdk::Account parse_account(const json& j) {
  if (!j.is_object()) throw std::runtime_error("Alpaca account is not an object");
  sdk::Account a;
  a.equity = decimal(j, "equity");
  a.cash = decimal(j, "cash");
  a.buying_power = decimal(j, "buying_power");
  a.starting_equity = decimal(j, "last_equity");
  return a;
}

}  // namespace axion::alpaca
