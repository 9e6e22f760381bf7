// The broker's state: orders, netted positions, cash and the fill rules. Not thread-safe: the
// stand-in calls it under its one lock, from the io thread (requests) and the test thread.
// Every change of an order's state is reported, as it happens, to the event listener (the
// trade_updates stream).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "order_model.hpp"

namespace axion::testing::alpaca {

struct Position {
  double qty = 0;  // signed: negative is short
  double avg_entry_price = 0;
};

// One change of an order's state, as the trade_updates stream reports it (live.md §3).
struct BookEvent {
  std::string_view event;  // "new", "fill", "partial_fill", "canceled", "rejected"
  const Order& order;      // after the change
  SysTime at;
  // fill and partial_fill only: this execution, and the symbol's signed position after it.
  double price, qty, position_qty;
};

class Book {
 public:
  explicit Book(double starting_cash) : cash_(starting_cash), starting_cash_(starting_cash) {}

  // Called, in the order they happen, with every event: inside the mutation, under the caller's
  // lock. Must not call back into the book.
  void on_event(std::function<void(const BookEvent&)> listener) { listener_ = std::move(listener); }

  // Whether an order ever carried this client_order_id (Alpaca refuses it again, forever).
  bool known_client_id(const std::string& cid) const { return by_cid_.count(cid) != 0; }
  // Stores a "new" order, then fills it per the fill rules unless fills are held. The reference
  // stays valid (orders live in a deque and are never removed).
  Order& accept(NewOrder request);

  Order* by_id(const std::string& id);
  Order* by_client_id(const std::string& cid);
  const Order* by_client_id(const std::string& cid) const;
  const std::deque<Order>& orders() const { return orders_; }

  // The market price of a symbol: fills market orders, crosses limit orders (not held ones).
  void set_price(const std::string& symbol, double price);
  void hold_fills(bool hold) { hold_ = hold; }
  // Throws std::invalid_argument unless the order is open, 0 < qty <= remaining and price > 0.
  void fill(Order& order, double qty, double price);
  void cancel(Order& order);  // throws std::invalid_argument unless open
  void reject(Order& order);  // throws std::invalid_argument unless open
  // Accepts a market order that closes the position and, unless fills are held, fills it at the
  // current price (the set price, else the last fill's). Throws std::invalid_argument if flat.
  Order& close_position(const std::string& symbol);

  const std::map<std::string, Position>& positions() const { return positions_; }
  // The set price, else the last fill price; nullopt for a symbol never priced nor traded.
  std::optional<double> current_price(const std::string& symbol) const;
  double cash() const { return cash_; }
  double starting_cash() const { return starting_cash_; }

 private:
  void apply_fill_rules(Order& order);
  void move_position(const std::string& symbol, double signed_qty, double price);
  void emit(const BookEvent& e) const {
    if (listener_) listener_(e);
  }

  std::deque<Order> orders_;
  std::unordered_map<std::string, std::size_t> by_id_, by_cid_;
  std::map<std::string, Position> positions_;
  std::unordered_map<std::string, double> prices_, last_fill_;
  double cash_;
  double starting_cash_;
  bool hold_ = false;
  std::function<void(const BookEvent&)> listener_;
};

}  // namespace axion::testing::alpaca
