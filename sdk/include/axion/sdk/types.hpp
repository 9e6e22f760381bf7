// C++ views and values over the ABI records, and their conversions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/plugin_api.h"
#include "axion/sdk/metadata.hpp"

namespace axion::sdk {

inline std::string_view view(axion_str s) { return {s.data ? s.data : "", s.size}; }
inline axion_str make_str(std::string_view s) { return {s.data(), s.size()}; }

// Copies into a fixed C buffer, always NUL-terminated, truncating if needed.
template <std::size_t N>
inline void copy_to(char (&dst)[N], std::string_view src) {
  std::size_t n = src.size() < N - 1 ? src.size() : N - 1;
  if (n > 0) std::memcpy(dst, src.data(), n);  // an empty view may have no data (memcpy of null)
  dst[n] = '\0';
}

// A bar as a plugin sees it: string views valid for the duration of the call (no allocation).
struct BarView {
  std::string_view symbol;
  std::string_view timeframe;
  std::int64_t ts_us = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
  bool warmup = false;  // history before the market starts: warm indicators, do not trade
};

inline BarView from_c(const axion_bar& b) {
  // Fields after `volume` exist only when the producer's struct is that large.
  bool warmup = b.size >= offsetof(axion_bar, flags) + sizeof(b.flags) && (b.flags & AXION_BAR_WARMUP);
  return {view(b.symbol), view(b.timeframe), b.ts_us, b.open, b.high, b.low, b.close, b.volume,
          warmup};
}

inline axion_bar to_c(const BarView& b) {
  axion_bar c{};
  c.size = sizeof(axion_bar);
  c.symbol = make_str(b.symbol);
  c.timeframe = make_str(b.timeframe);
  c.ts_us = b.ts_us;
  c.open = b.open;
  c.high = b.high;
  c.low = b.low;
  c.close = b.close;
  c.volume = b.volume;
  c.flags = b.warmup ? AXION_BAR_WARMUP : 0u;
  return c;
}

// An owning bar, for feeds that keep their output alive until the next call.
struct Bar {
  std::string symbol;
  std::string timeframe;
  std::int64_t ts_us = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
  bool warmup = false;
  BarView as_view() const {
    return {symbol, timeframe, ts_us, open, high, low, close, volume, warmup};
  }
};

struct Signal {
  std::string signal_type;
  std::string direction;  // "long" | "short"
  std::string ticker;
  std::string timeframe;
  int conviction = 0;
  bool has_timezone = true;
  double entry_price = 0;
  double stop_loss = 0;
  double target_price = 0;  // <= 0: none
  std::int64_t ts_us = 0;
  std::string strategy;  // the producer's registry name; "" = the emitting plugin's
  std::string source;    // signal_source; "" = strategy
  Metadata metadata;
  std::vector<CloudState> cloud_states;
};

// Into an existing signal, reusing its strings and arrays (stage plugins convert the same
// kind of record on every call).
inline void from_c(const axion_signal& s, Signal& out) {
  auto assign = [](std::string& to, const axion_str& from) { to.assign(from.data ? from.data : "", from.size); };
  assign(out.signal_type, s.signal_type);
  assign(out.direction, s.direction);
  assign(out.ticker, s.ticker);
  assign(out.timeframe, s.timeframe);
  out.conviction = s.conviction;
  out.has_timezone = s.has_timezone != 0;
  out.entry_price = s.entry_price;
  out.stop_loss = s.stop_loss;
  out.target_price = s.target_price;
  out.ts_us = s.ts_us;
  // A record shorter than this one (a producer built before the typed metadata) has none of it:
  // nothing past its `size` is read.
  if (s.size < sizeof(axion_signal)) {
    out.strategy.clear();
    out.source.clear();
    out.metadata.clear();
    out.cloud_states.clear();
    return;
  }
  assign(out.strategy, s.strategy);
  assign(out.source, s.source);
  out.metadata.assign(s.fields, s.field_count);
  const std::size_t n = s.cloud_states ? s.cloud_state_count : 0;
  out.cloud_states.resize(n);
  for (std::size_t i = 0; i < n; ++i) from_c(s.cloud_states[i], out.cloud_states[i]);
}

inline Signal from_c(const axion_signal& s) {
  Signal out;
  from_c(s, out);
  return out;
}

// The C arrays behind a converted signal's fields and cloud states; must outlive the struct.
struct SignalArrays {
  std::vector<axion_field> fields;
  std::vector<axion_cloud_state> cloud_states;
};

inline axion_signal to_c(const Signal& s, SignalArrays& arrays) {
  axion_signal c{};
  c.size = sizeof(axion_signal);
  c.signal_type = make_str(s.signal_type);
  c.direction = make_str(s.direction);
  c.ticker = make_str(s.ticker);
  c.timeframe = make_str(s.timeframe);
  c.conviction = s.conviction;
  c.has_timezone = s.has_timezone ? 1 : 0;
  c.entry_price = s.entry_price;
  c.stop_loss = s.stop_loss;
  c.target_price = s.target_price;
  c.ts_us = s.ts_us;
  c.strategy = make_str(s.strategy);
  c.source = make_str(s.source);
  arrays.fields.clear();
  for (const Field& f : s.metadata) {
    arrays.fields.push_back({make_str(f.name), static_cast<std::int32_t>(f.kind), f.number, make_str(f.text)});
  }
  arrays.cloud_states.clear();
  for (const CloudState& cs : s.cloud_states) arrays.cloud_states.push_back(to_c(cs));
  c.fields = arrays.fields.data();
  c.field_count = arrays.fields.size();
  c.cloud_states = arrays.cloud_states.data();
  c.cloud_state_count = arrays.cloud_states.size();
  return c;
}

// The signal's metadata as JSON (strategies.md §1.2): the fields, with `strategy` and
// `signal_source` when set.
inline nlohmann::json metadata_json(const Signal& s) {
  nlohmann::json out = nlohmann::json::object();
  if (!s.strategy.empty()) out["strategy"] = s.strategy;
  if (!s.source.empty()) out["signal_source"] = s.source;
  append_json(s.metadata, out);
  return out;
}

inline nlohmann::json cloud_states_json(const Signal& s) {
  nlohmann::json out = nlohmann::json::array();
  for (const CloudState& cs : s.cloud_states) out.push_back(to_json(cs));
  return out;
}

// What an order is for (axion_order_purpose).
enum class OrderPurpose { Entry = AXION_PURPOSE_ENTRY, Close = AXION_PURPOSE_CLOSE, Unwind = AXION_PURPOSE_UNWIND };

inline const char* to_string(OrderPurpose p) {
  switch (p) {
    case OrderPurpose::Entry: return "entry";
    case OrderPurpose::Close: return "close";
    case OrderPurpose::Unwind: return "unwind";
  }
  return "entry";
}

inline std::optional<OrderPurpose> parse_order_purpose(std::string_view s) {
  if (s == "entry") return OrderPurpose::Entry;
  if (s == "close") return OrderPurpose::Close;
  if (s == "unwind") return OrderPurpose::Unwind;
  return std::nullopt;
}

struct Order {
  std::string ticker;
  std::string side;  // "buy" | "sell"
  std::int64_t qty = 0;
  std::string order_type = "market";
  double limit_price = 0;
  double stop_price = 0;
  std::string time_in_force = "day";
  std::string signal_id;
  std::string client_order_id;
  double reference_price = 0;
  std::string instrument_type = "stock";
  OrderPurpose purpose = OrderPurpose::Entry;
  std::string strategy;  // of the signal or position it trades for; "" unknown
};

inline Order from_c(const axion_order& o) {
  Order out;
  out.ticker = view(o.ticker);
  out.side = view(o.side);
  out.qty = o.qty;
  out.order_type = view(o.order_type);
  out.limit_price = o.limit_price;
  out.stop_price = o.stop_price;
  out.time_in_force = view(o.time_in_force);
  out.signal_id = view(o.signal_id);
  out.client_order_id = view(o.client_order_id);
  out.reference_price = o.reference_price;
  out.instrument_type = view(o.instrument_type);
  // An unknown purpose is treated as an entry: checked, never waved through as a close.
  out.purpose = o.purpose == AXION_PURPOSE_CLOSE    ? OrderPurpose::Close
                : o.purpose == AXION_PURPOSE_UNWIND ? OrderPurpose::Unwind
                                                    : OrderPurpose::Entry;
  out.strategy = view(o.strategy);
  return out;
}

inline axion_order to_c(const Order& o) {
  axion_order c{};
  c.size = sizeof(axion_order);
  c.ticker = make_str(o.ticker);
  c.side = make_str(o.side);
  c.qty = o.qty;
  c.order_type = make_str(o.order_type);
  c.limit_price = o.limit_price;
  c.stop_price = o.stop_price;
  c.time_in_force = make_str(o.time_in_force);
  c.signal_id = make_str(o.signal_id);
  c.client_order_id = make_str(o.client_order_id);
  c.reference_price = o.reference_price;
  c.instrument_type = make_str(o.instrument_type);
  c.purpose = static_cast<std::int32_t>(o.purpose);
  c.strategy = make_str(o.strategy);
  return c;
}

enum class OrderStatus { Filled = 0, Partial = 1, Pending = 2, Rejected = 3, Cancelled = 4 };

inline const char* to_string(OrderStatus s) {
  switch (s) {
    case OrderStatus::Filled: return "filled";
    case OrderStatus::Partial: return "partial";
    case OrderStatus::Pending: return "pending";
    case OrderStatus::Rejected: return "rejected";
    case OrderStatus::Cancelled: return "cancelled";
  }
  return "rejected";
}

struct OrderResult {
  std::string order_id;
  OrderStatus status = OrderStatus::Rejected;
  std::int64_t filled_qty = 0;
  double filled_price = 0;
  double commission = 0;
  std::string broker = "none";
  std::int64_t ts_us = 0;
  std::string rejection_reason;
};

inline OrderResult from_c(const axion_order_result& r) {
  OrderResult out;
  out.order_id = r.order_id;
  int st = r.status;
  out.status = (st >= 0 && st <= 4) ? static_cast<OrderStatus>(st) : OrderStatus::Rejected;
  out.filled_qty = r.filled_qty;
  out.filled_price = r.filled_price;
  out.commission = r.commission;
  out.broker = r.broker;
  out.ts_us = r.ts_us;
  out.rejection_reason = r.rejection_reason;
  return out;
}

inline axion_order_result to_c(const OrderResult& r) {
  axion_order_result c{};
  c.size = sizeof(axion_order_result);
  copy_to(c.order_id, r.order_id);
  c.status = static_cast<std::int32_t>(r.status);
  c.filled_qty = r.filled_qty;
  c.filled_price = r.filled_price;
  c.commission = r.commission;
  copy_to(c.broker, r.broker);
  c.ts_us = r.ts_us;
  copy_to(c.rejection_reason, r.rejection_reason);
  return c;
}

struct BrokerPosition {
  std::string symbol;
  std::int64_t qty = 0;
  std::string side = "long";
  double avg_price = 0;
  double current_price = 0;
};

struct Account {
  double equity = 0, cash = 0, buying_power = 0, starting_equity = 0;
};

struct PositionSize {
  std::int64_t shares = 0;
  double notional_value = 0;
  double risk_amount = 0;
  double conviction_multiplier = 1.0;
  std::string order_type = "market";
};

// Outcome of a check: pass, or reject with a reason.
struct Verdict {
  bool pass = true;
  std::string reason;
  // A rejection reason kept by the plugin (computed once, e.g. at construction), used when
  // `reason` is empty: a plugin that rejects in bursts copies no text per call.
  std::string_view kept_reason;
  Verdict() = default;
  Verdict(bool passes, std::string why) : pass(passes), reason(std::move(why)) {}
  static Verdict ok() { return {}; }
  static Verdict reject(std::string why) { return {false, std::move(why)}; }
  // `why` must outlive the call (a member of the plugin, a string literal).
  static Verdict reject_kept(std::string_view why) {
    Verdict v(false, {});
    v.kept_reason = why;
    return v;
  }
  std::string_view why() const { return reason.empty() ? kept_reason : std::string_view(reason); }
};

}  // namespace axion::sdk
