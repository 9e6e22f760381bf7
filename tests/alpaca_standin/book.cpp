#include "book.hpp"

#include <cmath>
#include <stdexcept>

namespace axion::testing::alpaca {

namespace {

// Quantities are decimals carried in doubles: anything closer than this is equal.
constexpr double kEps = 1e-9;

void require_open(const Order& o, const char* what) {
  if (!o.open()) {
    throw std::invalid_argument(std::string(what) + ": order " + o.request.client_order_id +
                                " is " + std::string(to_string(o.status)) + ", not open");
  }
}

}  // namespace

Order& Book::accept(NewOrder request) {
  Order& o = orders_.emplace_back();
  o.seq = orders_.size();
  o.id = new_uuid();
  o.asset_id = stable_uuid(request.symbol);
  o.request = std::move(request);
  o.held = hold_;
  o.created_at = o.updated_at = std::chrono::system_clock::now();
  by_id_[o.id] = orders_.size() - 1;
  by_cid_[o.request.client_order_id] = orders_.size() - 1;
  emit(BookEvent{"new", o, o.created_at, 0, 0, 0});
  apply_fill_rules(o);
  return o;
}

Order* Book::by_id(const std::string& id) {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &orders_[it->second];
}

Order* Book::by_client_id(const std::string& cid) {
  const auto it = by_cid_.find(cid);
  return it == by_cid_.end() ? nullptr : &orders_[it->second];
}

const Order* Book::by_client_id(const std::string& cid) const {
  const auto it = by_cid_.find(cid);
  return it == by_cid_.end() ? nullptr : &orders_[it->second];
}

void Book::set_price(const std::string& symbol, double price) {
  if (!(price > 0) || !std::isfinite(price))
    throw std::invalid_argument("set_price: price must be > 0");
  prices_[symbol] = price;
  for (Order& o : orders_) {
    if (o.request.symbol == symbol) apply_fill_rules(o);
  }
}

void Book::apply_fill_rules(Order& o) {
  if (o.held || !o.open()) return;
  const auto p = prices_.find(o.request.symbol);
  if (p == prices_.end()) return;
  const double price = p->second;
  switch (o.request.type) {
    case OrderType::market:
      fill(o, o.remaining(), price);
      break;
    case OrderType::limit: {
      const double limit = *o.request.limit_price;
      const bool crosses = o.request.side == Side::buy ? price <= limit : price >= limit;
      if (crosses) fill(o, o.remaining(), limit);
      break;
    }
    case OrderType::stop:
    case OrderType::stop_limit:
      break;  // never triggered by the stand-in: a test fills them with fill()
  }
}

void Book::fill(Order& o, double qty, double price) {
  require_open(o, "fill");
  if (!(qty > 0) || qty > o.remaining() + kEps) {
    throw std::invalid_argument("fill: qty must be > 0 and at most the " + decimal(o.remaining()) +
                                " left of " + o.request.client_order_id);
  }
  if (!(price > 0) || !std::isfinite(price)) throw std::invalid_argument("fill: price must be > 0");
  const auto now = std::chrono::system_clock::now();
  o.filled_avg_price = (o.filled_qty * o.filled_avg_price + qty * price) / (o.filled_qty + qty);
  o.filled_qty += qty;
  o.updated_at = now;
  if (o.remaining() < kEps) {
    o.filled_qty = o.request.qty;  // no 9.999999 left over from rounding
    o.status = OrderStatus::filled;
    o.filled_at = now;
  } else {
    o.status = OrderStatus::partially_filled;
  }
  const double signed_qty = o.request.side == Side::buy ? qty : -qty;
  cash_ -= signed_qty * price;
  last_fill_[o.request.symbol] = price;
  move_position(o.request.symbol, signed_qty, price);
  const auto pos = positions_.find(o.request.symbol);
  emit(BookEvent{o.status == OrderStatus::filled ? "fill" : "partial_fill", o, now, price, qty,
                 pos == positions_.end() ? 0.0 : pos->second.qty});
}

// Netting as a broker does: adding to a position averages the entry price, reducing keeps it,
// crossing through zero starts the new side at the fill price.
void Book::move_position(const std::string& symbol, double signed_qty, double price) {
  Position& p = positions_[symbol];
  const double before = p.qty;
  const double after = before + signed_qty;
  if (std::fabs(after) < kEps) {
    positions_.erase(symbol);
    return;
  }
  if (std::fabs(before) < kEps || (before > 0) == (signed_qty > 0)) {
    p.avg_entry_price = (std::fabs(before) * p.avg_entry_price + std::fabs(signed_qty) * price) /
                        (std::fabs(before) + std::fabs(signed_qty));
  } else if ((after > 0) != (before > 0)) {
    p.avg_entry_price = price;
  }
  p.qty = after;
}

void Book::cancel(Order& o) {
  require_open(o, "cancel");
  o.status = OrderStatus::canceled;
  o.canceled_at = o.updated_at = std::chrono::system_clock::now();
  emit(BookEvent{"canceled", o, o.updated_at, 0, 0, 0});
}

void Book::reject(Order& o) {
  require_open(o, "reject");
  o.status = OrderStatus::rejected;
  o.failed_at = o.updated_at = std::chrono::system_clock::now();
  emit(BookEvent{"rejected", o, o.updated_at, 0, 0, 0});
}

Order& Book::close_position(const std::string& symbol) {
  const auto it = positions_.find(symbol);
  if (it == positions_.end())
    throw std::invalid_argument("close_position: no position in " + symbol);
  NewOrder request;
  request.symbol = symbol;
  request.client_order_id = new_uuid();
  request.side = it->second.qty > 0 ? Side::sell : Side::buy;
  request.qty = std::fabs(it->second.qty);
  Order& o = accept(std::move(request));
  // A traded symbol always has a price: the set one filled it above, else the last fill's.
  if (!o.held && o.open()) fill(o, o.remaining(), *current_price(symbol));
  return o;
}

std::optional<double> Book::current_price(const std::string& symbol) const {
  if (const auto it = prices_.find(symbol); it != prices_.end()) return it->second;
  if (const auto it = last_fill_.find(symbol); it != last_fill_.end()) return it->second;
  return std::nullopt;
}

}  // namespace axion::testing::alpaca
