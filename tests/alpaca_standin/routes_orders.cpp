// /v2/orders: submit (with its validation and scripted faults), look up, list, cancel.
#include <algorithm>
#include <charconv>
#include <variant>

#include "routes.hpp"

namespace axion::testing::alpaca {

using nlohmann::json;

namespace {

// Alpaca accepts client_order_id up to 128 characters (live.md §2).
constexpr std::size_t kMaxClientOrderId = 128;
constexpr int kListDefault = 50;
constexpr int kListMax = 500;

// A decimal field given as a JSON string ("15") or number (15): nullopt if absent, the error
// message if present but not a positive decimal.
std::variant<std::monostate, double, std::string> positive_decimal(const json& body,
                                                                   const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::monostate{};
  std::optional<double> v;
  if (it->is_string())
    v = parse_decimal(it->get<std::string>());
  else if (it->is_number())
    v = it->get<double>();
  if (!v) return "invalid " + std::string(field);
  if (!(*v > 0)) return std::string(field) + " must be > 0";
  return *v;
}

std::optional<std::string> string_field(const json& body, const char* field) {
  const auto it = body.find(field);
  if (it == body.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The order a body asks for, or the 422 message naming the field at fault.
std::variant<NewOrder, std::string> parse_new_order(const json& body) {
  NewOrder o;
  const auto symbol = string_field(body, "symbol");
  if (!symbol || symbol->empty()) return std::string("symbol is required");
  o.symbol = *symbol;

  const auto qty = positive_decimal(body, "qty");
  if (const auto* msg = std::get_if<std::string>(&qty)) return *msg;
  if (std::holds_alternative<std::monostate>(qty)) {
    if (body.contains("notional"))
      return std::string("notional orders are not supported by the stand-in; use qty");
    return std::string("qty is required");
  }
  o.qty = std::get<double>(qty);

  const auto side = string_field(body, "side");
  if (!side) return std::string("side is required");
  const auto parsed_side = parse_side(*side);
  if (!parsed_side) return "invalid side: " + *side;
  o.side = *parsed_side;

  const auto type = string_field(body, "type");
  if (!type) return std::string("type is required");
  if (*type == "trailing_stop")
    return std::string("type trailing_stop is not supported by the stand-in");
  const auto parsed_type = parse_order_type(*type);
  if (!parsed_type) return "invalid type: " + *type;
  o.type = *parsed_type;

  const auto tif = string_field(body, "time_in_force");
  if (!tif) return std::string("time_in_force is required");
  const auto parsed_tif = parse_time_in_force(*tif);
  if (!parsed_tif) return "invalid time_in_force: " + *tif;
  o.time_in_force = *parsed_tif;

  const bool needs_limit = o.type == OrderType::limit || o.type == OrderType::stop_limit;
  const bool needs_stop = o.type == OrderType::stop || o.type == OrderType::stop_limit;
  const auto limit = positive_decimal(body, "limit_price");
  if (const auto* msg = std::get_if<std::string>(&limit)) return *msg;
  if (const auto* v = std::get_if<double>(&limit)) o.limit_price = *v;
  if (needs_limit && !o.limit_price) return "limit_price is required for " + *type + " orders";
  const auto stop = positive_decimal(body, "stop_price");
  if (const auto* msg = std::get_if<std::string>(&stop)) return *msg;
  if (const auto* v = std::get_if<double>(&stop)) o.stop_price = *v;
  if (needs_stop && !o.stop_price) return "stop_price is required for " + *type + " orders";
  // A price the order type does not use is not echoed back (Alpaca's answer shows null).
  if (!needs_limit) o.limit_price.reset();
  if (!needs_stop) o.stop_price.reset();

  if (const auto it = body.find("client_order_id"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) return std::string("invalid client_order_id");
    o.client_order_id = it->get<std::string>();
    if (o.client_order_id.size() > kMaxClientOrderId)
      return std::string("client_order_id must be no more than 128 characters");
  }
  if (const auto it = body.find("extended_hours"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return std::string("invalid extended_hours");
    o.extended_hours = it->get<bool>();
  }
  if (const auto cls = string_field(body, "order_class");
      cls && !cls->empty() && *cls != "simple") {
    return "order_class " + *cls + " is not supported by the stand-in";
  }
  return o;
}

Reply order_reply(int status, const Order& o) { return Reply{status, order_json(o).dump(), {}}; }

Reply order_not_found(const std::string& what) {
  return error(404, kCodeNotFound, "order not found for " + what);
}

}  // namespace

Reply submit_order(ApiState& s, const Call& c) {
  auto& faults = s.faults;
  if (!faults.reject_submit.empty()) {
    const auto refusal = faults.reject_submit.front();
    faults.reject_submit.pop_front();
    return error(refusal.status, code_for(refusal.status), refusal.message);
  }
  const auto body = json::parse(c.request.body, nullptr, false);
  if (!body.is_object()) return error(400, kCodeBadBody, "request body format is invalid");
  auto parsed = parse_new_order(body);
  if (const auto* msg = std::get_if<std::string>(&parsed))
    return error(422, kCodeUnprocessable, *msg);
  NewOrder request = std::move(std::get<NewOrder>(parsed));
  if (request.client_order_id.empty()) request.client_order_id = new_uuid();
  if (s.book.known_client_id(request.client_order_id)) {
    return error(422, kCodeDuplicateClientId, "client_order_id must be unique");
  }

  const Order& o = s.book.accept(std::move(request));
  Reply reply = order_reply(200, o);
  // The order is stored (and filled per the rules) whatever the client is told next.
  if (!faults.delay_after_accept.empty()) {
    reply.delay = faults.delay_after_accept.front();
    faults.delay_after_accept.pop_front();
  }
  if (!faults.fail_after_accept.empty()) {
    const int status = faults.fail_after_accept.front();
    faults.fail_after_accept.pop_front();
    reply.status = status;
    reply.body = error_body(code_for(status), "internal server error occurred");
  }
  return reply;
}

Reply get_order_by_client_id(ApiState& s, const Call& c) {
  const auto it = c.query.find("client_order_id");
  if (it == c.query.end() || it->second.empty())
    return error(422, kCodeUnprocessable, "client_order_id is required");
  const Order* o = s.book.by_client_id(it->second);
  return o ? order_reply(200, *o) : order_not_found(it->second);
}

Reply get_order(ApiState& s, const Call& c) {
  const Order* o = s.book.by_id(c.param);
  return o ? order_reply(200, *o) : order_not_found(c.param);
}

Reply list_orders(ApiState& s, const Call& c) {
  const auto param = [&](const char* name) -> std::optional<std::string> {
    const auto it = c.query.find(name);
    return it == c.query.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  const std::string status = param("status").value_or("open");
  if (status != "open" && status != "closed" && status != "all")
    return error(422, kCodeUnprocessable, "invalid status");
  int limit = kListDefault;
  if (const auto l = param("limit")) {
    const auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc() || end != l->data() + l->size() || limit < 1)
      return error(422, kCodeUnprocessable, "invalid limit");
    limit = std::min(limit, kListMax);  // Alpaca's maximum
  }
  const std::string direction = param("direction").value_or("desc");
  if (direction != "asc" && direction != "desc")
    return error(422, kCodeUnprocessable, "invalid direction");
  std::optional<SysTime> after, until;
  if (const auto a = param("after")) {
    if (!(after = parse_rfc3339(*a))) return error(422, kCodeUnprocessable, "invalid after");
  }
  if (const auto u = param("until")) {
    if (!(until = parse_rfc3339(*u))) return error(422, kCodeUnprocessable, "invalid until");
  }
  std::vector<std::string> symbols;
  if (const auto list = param("symbols")) {
    std::string_view rest = *list;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      if (comma != 0) symbols.emplace_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }

  std::vector<const Order*> picked;
  for (const Order& o : s.book.orders()) {
    if (status == "open" && !o.open()) continue;
    if (status == "closed" && o.open()) continue;
    if (after && !(o.created_at > *after)) continue;  // after and until are exclusive
    if (until && !(o.created_at < *until)) continue;
    if (!symbols.empty() &&
        std::find(symbols.begin(), symbols.end(), o.request.symbol) == symbols.end())
      continue;
    picked.push_back(&o);
  }
  // Stored in submission order, oldest first.
  if (direction == "desc") std::reverse(picked.begin(), picked.end());
  if (picked.size() > static_cast<std::size_t>(limit))
    picked.resize(static_cast<std::size_t>(limit));
  json out = json::array();
  for (const Order* o : picked) out.push_back(order_json(*o));
  return Reply{200, out.dump(), {}};
}

Reply cancel_order(ApiState& s, const Call& c) {
  Order* o = s.book.by_id(c.param);
  if (!o) return order_not_found(c.param);
  if (!o->open()) return error(422, kCodeUnprocessable, "order is not cancelable");
  s.book.cancel(*o);
  return Reply{204, {}, {}};
}

Reply cancel_all_orders(ApiState& s, const Call&) {
  json out = json::array();
  for (const Order& o : s.book.orders()) {
    if (!o.open()) continue;
    Order& open = *s.book.by_id(o.id);
    s.book.cancel(open);
    out.push_back(json{{"id", open.id}, {"status", 200}, {"body", order_json(open)}});
  }
  return Reply{207, out.dump(), {}};
}

}  // namespace axion::testing::alpaca
