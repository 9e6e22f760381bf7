#include "order_model.hpp"

#include <array>
#include <utility>

namespace axion::testing::alpaca {

namespace {

// One table per enum: the only place a name is spelled.
constexpr std::array<std::pair<Side, std::string_view>, 2> kSides{
    {{Side::buy, "buy"}, {Side::sell, "sell"}}};
constexpr std::array<std::pair<OrderType, std::string_view>, 4> kTypes{
    {{OrderType::market, "market"},
     {OrderType::limit, "limit"},
     {OrderType::stop, "stop"},
     {OrderType::stop_limit, "stop_limit"}}};
constexpr std::array<std::pair<TimeInForce, std::string_view>, 6> kTifs{
    {{TimeInForce::day, "day"},
     {TimeInForce::gtc, "gtc"},
     {TimeInForce::opg, "opg"},
     {TimeInForce::cls, "cls"},
     {TimeInForce::ioc, "ioc"},
     {TimeInForce::fok, "fok"}}};
constexpr std::array<std::pair<OrderStatus, std::string_view>, 5> kStatuses{
    {{OrderStatus::new_, "new"},
     {OrderStatus::partially_filled, "partially_filled"},
     {OrderStatus::filled, "filled"},
     {OrderStatus::canceled, "canceled"},
     {OrderStatus::rejected, "rejected"}}};

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "?";
}

template <class E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view s) {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Side s) { return name_of(kSides, s); }
std::string_view to_string(OrderType t) { return name_of(kTypes, t); }
std::string_view to_string(TimeInForce t) { return name_of(kTifs, t); }
std::string_view to_string(OrderStatus s) { return name_of(kStatuses, s); }
std::optional<Side> parse_side(std::string_view s) { return value_of(kSides, s); }
std::optional<OrderType> parse_order_type(std::string_view s) { return value_of(kTypes, s); }
std::optional<TimeInForce> parse_time_in_force(std::string_view s) { return value_of(kTifs, s); }

}  // namespace axion::testing::alpaca
