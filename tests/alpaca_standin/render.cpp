#include "render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace axion::testing::alpaca {

using nlohmann::json;

namespace {

json opt_decimal(const std::optional<double>& v) { return v ? json(decimal(*v)) : json(nullptr); }
json opt_time(const std::optional<SysTime>& t) { return t ? json(rfc3339_utc(*t)) : json(nullptr); }

// What a position can still sell (long) or buy back (short): open orders on the reducing side
// hold part of it, as Alpaca's qty_available shows.
double qty_available(const Book& book, const std::string& symbol, double qty) {
  const Side reducing = qty > 0 ? Side::sell : Side::buy;
  double held = 0;
  for (const Order& o : book.orders()) {
    if (o.open() && o.request.symbol == symbol && o.request.side == reducing) held += o.remaining();
  }
  const double left = std::max(0.0, std::fabs(qty) - held);
  return qty > 0 ? left : -left;
}

// A number as Alpaca's servers (Go) write it: 186 rather than 186.0, so a client that reads
// volumes or prices as integers where they are whole sees what it will see live.
json number(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9e15)
    return json(static_cast<std::int64_t>(v));
  return json(v);
}

}  // namespace

json bar_json(const BarRecord& b) {
  // The stand-in keeps no trades: the trade count and the volume-weighted price are derived
  // (a trade per 100 shares, the typical price), zero for a bar without volume.
  const std::int64_t n = b.v > 0 ? std::max<std::int64_t>(1, std::llround(b.v / 100)) : 0;
  const double vw = b.v > 0 ? std::round((b.h + b.l + b.c) / 3 * 1e6) / 1e6 : 0;
  return json{{"t", rfc3339_utc_bar(from_epoch_us(b.t_us))},
              {"o", number(b.o)},
              {"h", number(b.h)},
              {"l", number(b.l)},
              {"c", number(b.c)},
              {"v", number(b.v)},
              {"n", n},
              {"vw", number(vw)}};
}

json stream_bar_json(const BarRecord& b) {
  json out = bar_json(b);
  out["T"] = "b";
  out["S"] = b.symbol;
  return out;
}

json order_json(const Order& o) {
  const std::string type(to_string(o.request.type));
  return json{
      {"id", o.id},
      {"client_order_id", o.request.client_order_id},
      {"created_at", rfc3339_utc(o.created_at)},
      {"updated_at", rfc3339_utc(o.updated_at)},
      {"submitted_at", rfc3339_utc(o.created_at)},
      {"filled_at", opt_time(o.filled_at)},
      {"expired_at", nullptr},
      {"canceled_at", opt_time(o.canceled_at)},
      {"failed_at", opt_time(o.failed_at)},
      {"replaced_at", nullptr},
      {"replaced_by", nullptr},
      {"replaces", nullptr},
      {"asset_id", o.asset_id},
      {"symbol", o.request.symbol},
      {"asset_class", "us_equity"},
      {"notional", nullptr},
      {"qty", decimal(o.request.qty)},
      {"filled_qty", decimal(o.filled_qty)},
      {"filled_avg_price", o.filled_qty > 0 ? json(decimal(o.filled_avg_price)) : json(nullptr)},
      {"order_class", ""},
      {"order_type", type},
      {"type", type},
      {"side", to_string(o.request.side)},
      {"time_in_force", to_string(o.request.time_in_force)},
      {"limit_price", opt_decimal(o.request.limit_price)},
      {"stop_price", opt_decimal(o.request.stop_price)},
      {"status", to_string(o.status)},
      {"extended_hours", o.request.extended_hours},
      {"legs", nullptr},
      {"trail_percent", nullptr},
      {"trail_price", nullptr},
      {"hwm", nullptr}};
}

json position_json(const Book& book, const std::string& symbol) {
  const auto it = book.positions().find(symbol);
  if (it == book.positions().end()) return nullptr;
  const Position& p = it->second;
  const double price = book.current_price(symbol).value_or(p.avg_entry_price);
  const double market_value = p.qty * price;
  const double cost_basis = p.qty * p.avg_entry_price;
  const double pl = market_value - cost_basis;
  const double plpc = cost_basis != 0 ? pl / std::fabs(cost_basis) : 0;
  return json{{"asset_id", stable_uuid(symbol)},
              {"symbol", symbol},
              {"exchange", "NASDAQ"},
              {"asset_class", "us_equity"},
              {"asset_marginable", true},
              {"qty", decimal(p.qty)},
              {"qty_available", decimal(qty_available(book, symbol, p.qty))},
              {"avg_entry_price", decimal(p.avg_entry_price)},
              {"side", p.qty > 0 ? "long" : "short"},
              {"market_value", decimal(market_value)},
              {"cost_basis", decimal(cost_basis)},
              {"unrealized_pl", decimal(pl)},
              {"unrealized_plpc", decimal(plpc)},
              {"unrealized_intraday_pl", decimal(pl)},
              {"unrealized_intraday_plpc", decimal(plpc)},
              {"current_price", decimal(price)},
              {"lastday_price", decimal(price)},
              {"change_today", "0"}};
}

json positions_json(const Book& book) {
  json out = json::array();
  for (const auto& [symbol, p] : book.positions()) out.push_back(position_json(book, symbol));
  return out;
}

json account_json(const Book& book, const AccountIdentity& who) {
  double long_mv = 0, short_mv = 0;
  for (const auto& [symbol, p] : book.positions()) {
    const double mv = p.qty * book.current_price(symbol).value_or(p.avg_entry_price);
    (mv > 0 ? long_mv : short_mv) += mv;
  }
  const double equity = book.cash() + long_mv + short_mv;
  // A cash account (multiplier 1): what it can buy is its cash.
  const std::string buying_power = decimal(std::max(0.0, book.cash()));
  return json{{"id", who.id},
              {"account_number", who.account_number},
              {"status", "ACTIVE"},
              {"crypto_status", "INACTIVE"},
              {"currency", "USD"},
              {"cash", decimal(book.cash())},
              {"buying_power", buying_power},
              {"regt_buying_power", buying_power},
              {"daytrading_buying_power", "0"},
              {"non_marginable_buying_power", buying_power},
              {"accrued_fees", "0"},
              {"pending_transfer_in", "0"},
              {"equity", decimal(equity)},
              {"last_equity", decimal(book.starting_cash())},
              {"portfolio_value", decimal(equity)},
              {"long_market_value", decimal(long_mv)},
              {"short_market_value", decimal(short_mv)},
              {"initial_margin", "0"},
              {"maintenance_margin", "0"},
              {"last_maintenance_margin", "0"},
              {"sma", "0"},
              {"multiplier", "1"},
              {"shorting_enabled", true},
              {"pattern_day_trader", false},
              {"trading_blocked", false},
              {"transfers_blocked", false},
              {"account_blocked", false},
              {"trade_suspended_by_user", false},
              {"daytrade_count", 0},
              {"created_at", rfc3339_utc(who.created_at)}};
}

json clock_json(bool is_open, SysTime now) {
  // Derived from now, whole seconds: open closes in an hour and reopens 17.5 h later (an
  // overnight); closed opens in an hour for a 6.5 h session.
  const auto base = std::chrono::floor<std::chrono::seconds>(now);
  const SysTime next_open =
      is_open ? base + std::chrono::minutes(18 * 60 + 30) : base + std::chrono::hours(1);
  const SysTime next_close =
      is_open ? base + std::chrono::hours(1) : next_open + std::chrono::minutes(6 * 60 + 30);
  return json{{"timestamp", rfc3339_new_york(now, true)},
              {"is_open", is_open},
              {"next_open", rfc3339_new_york(next_open, false)},
              {"next_close", rfc3339_new_york(next_close, false)}};
}

std::string error_body(long code, const std::string& message) {
  // Messages may echo client input: bytes that are not UTF-8 are replaced, not thrown on.
  return json{{"code", code}, {"message", message}}.dump(-1, ' ', false,
                                                         json::error_handler_t::replace);
}

}  // namespace axion::testing::alpaca
