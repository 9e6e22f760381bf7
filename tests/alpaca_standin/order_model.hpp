// One order as the stand-in holds it, with Alpaca's vocabulary as enums: names are parsed once
// at the request's edge and written once in the answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire_format.hpp"

namespace axion::testing::alpaca {

enum class Side { buy, sell };
enum class OrderType { market, limit, stop, stop_limit };
enum class TimeInForce { day, gtc, opg, cls, ioc, fok };
// The statuses the stand-in produces (Alpaca has more; none of the others is reached yet).
enum class OrderStatus { new_, partially_filled, filled, canceled, rejected };

std::string_view to_string(Side s);
std::string_view to_string(OrderType t);
std::string_view to_string(TimeInForce t);
std::string_view to_string(OrderStatus s);
std::optional<Side> parse_side(std::string_view s);
std::optional<OrderType> parse_order_type(std::string_view s);
std::optional<TimeInForce> parse_time_in_force(std::string_view s);

// What a valid POST /v2/orders asks for.
struct NewOrder {
  std::string symbol, client_order_id;
  Side side = Side::buy;
  OrderType type = OrderType::market;
  TimeInForce time_in_force = TimeInForce::day;
  double qty = 0;
  std::optional<double> limit_price, stop_price;
  bool extended_hours = false;
};

struct Order {
  std::uint64_t seq = 0;  // submission order: ties on created_at sort by it
  std::string id, asset_id;
  NewOrder request;
  OrderStatus status = OrderStatus::new_;
  double filled_qty = 0, filled_avg_price = 0;
  bool held = false;  // accepted while fills were held: only fill()/cancel/reject move it
  SysTime created_at, updated_at;
  std::optional<SysTime> filled_at, canceled_at, failed_at;

  // Alpaca's "open": working at the broker, cancelable.
  bool open() const {
    return status == OrderStatus::new_ || status == OrderStatus::partially_filled;
  }
  double remaining() const { return request.qty - filled_qty; }
};

}  // namespace axion::testing::alpaca
