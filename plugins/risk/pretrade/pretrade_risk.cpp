// risk/pretrade: pre-trade controls on the built order (pipeline.md §5.5), stage `pretrade`.
//
// check_order runs on every order the engine shows it. Entry orders are checked against the
// rules below, in this order; the first failure rejects with
//   `Pre-trade {rule}: value {value}, limit {limit}`
// and publishes `pretrade_rejected` {rule, value, limit, ticker, signal_id}:
//   price_collar        |reference − last| / last × 100 > price_collar_pct (no last price: skipped)
//   max_order_notional  qty × reference price > max_order_notional
//   max_order_qty       qty > max_order_qty
//   order_rate_per_second / order_rate_per_minute
//                       orders sent in the last 1 s / 60 s, this one included, > limit
//   duplicate_order     an order with the same ticker, side and qty sent within
//                       duplicate_window_seconds (value: seconds since the latest such order)
//   repeated_execution  fills in the ticker within execution_window_seconds >= limit; also asks
//                       the engine for a global `block_new` kill (§4.7)
// Close and unwind orders (order.purpose) are never rejected but are recorded as sent, so they
// count toward the rates (and the duplicate window). An entry that passes is recorded as sent.
// Fills (on_fill) feed repeated_execution. Every window is half-open on the engine clock: an
// event at age `age` is inside a window `w` when age < w. Signals are not checked
// (kChecksSignals = false: the engine does not call check_signal).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>

#include "axion/sdk/format.hpp"
#include "axion/sdk/plugin.hpp"

namespace {

using axion::sdk::Config;
using axion::sdk::Context;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
using axion::sdk::Order;
using axion::sdk::OrderPurpose;
using axion::sdk::OrderResult;
using axion::sdk::Verdict;
using nlohmann::json;

constexpr const char* kCollarPct = "price_collar_pct";
constexpr const char* kMaxNotional = "max_order_notional";
constexpr const char* kMaxQty = "max_order_qty";
constexpr const char* kPerSecond = "max_orders_per_second";
constexpr const char* kPerMinute = "max_orders_per_minute";
constexpr const char* kDuplicateWindow = "duplicate_window_seconds";
constexpr const char* kMaxExecutions = "max_executions_per_symbol";
constexpr const char* kExecutionWindow = "execution_window_seconds";

const KeySpec kKeys[] = {
    {kCollarPct, KeyType::Double, "5.0",
     "price_collar: reject an entry whose reference price deviates from the traded ticker's last "
     "price by more than this percent (5.0 = 5 %); must be > 0",
     0, kNoBound, "", /*min_exclusive=*/true},
    {kMaxNotional, KeyType::Double, "100000.0",
     "max_order_notional: reject an entry whose qty x reference price exceeds this many dollars; "
     "must be > 0",
     0, kNoBound, "", /*min_exclusive=*/true},
    {kMaxQty, KeyType::Int, "10000",
     "max_order_qty: reject an entry of more than this many shares; >= 1", 1, kNoBound},
    {kPerSecond, KeyType::Int, "5",
     "order_rate_per_second: reject an entry when more than this many orders (entries and closes, "
     "this one included) would be sent within 1 s; >= 1",
     1, kNoBound},
    {kPerMinute, KeyType::Int, "60",
     "order_rate_per_minute: reject an entry when more than this many orders (entries and closes, "
     "this one included) would be sent within 60 s; >= 1",
     1, kNoBound},
    {kDuplicateWindow, KeyType::Double, "2.0",
     "duplicate_order: reject an entry when an order with the same ticker, side and qty was sent "
     "less than this many seconds ago; must be > 0",
     0, kNoBound, "", /*min_exclusive=*/true},
    {kMaxExecutions, KeyType::Int, "10",
     "repeated_execution: reject an entry, and request a global block_new kill, once the traded "
     "ticker has had this many fills within execution_window_seconds; >= 1",
     1, kNoBound},
    {kExecutionWindow, KeyType::Double, "300.0",
     "repeated_execution: window in seconds over which fills are counted; must be > 0", 0, kNoBound,
     "", /*min_exclusive=*/true},
};

constexpr std::int64_t kUsPerSec = 1'000'000;
constexpr std::int64_t kMinuteUs = 60 * kUsPerSec;

// `${x:,.2f}`: dollars, two decimals, thousands separators; a negative amount prints `$-1,234.50`
// as Python does.
std::string money(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", x);
  std::string s(buf);
  if (!std::isfinite(x)) return "$" + s;
  std::string sign;
  if (!s.empty() && s.front() == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  const auto dot = s.find('.');
  std::string grouped;
  for (std::size_t i = 0; i < dot; ++i) {
    if (i > 0 && (dot - i) % 3 == 0) grouped += ',';
    grouped += s[i];
  }
  return "$" + sign + grouped + s.substr(dot);
}

// `{x:.2f}%`.
std::string percent2(double pct) { return axion::sdk::format::fixed2(pct) + "%"; }

// Only closes and unwinds are exempt, by the purpose the engine gives the order; anything else
// (an entry, or a purpose the SDK did not recognise, which it reads as an entry) is checked
// (fail closed).
bool is_close(const Order& order) {
  return order.purpose == OrderPurpose::Close || order.purpose == OrderPurpose::Unwind;
}

// The validated configuration.
struct Settings {
  double collar_pct;
  double max_notional;
  std::int64_t max_qty;
  std::int64_t per_second;
  std::int64_t per_minute;
  double duplicate_window_s;
  double duplicate_window_us;
  std::int64_t max_executions;
  double execution_window_s;
  double execution_window_us;

  explicit Settings(const Config& c)
      : collar_pct(c.get_double(kCollarPct)),
        max_notional(c.get_double(kMaxNotional)),
        max_qty(c.get_int(kMaxQty)),
        per_second(c.get_int(kPerSecond)),
        per_minute(c.get_int(kPerMinute)),
        duplicate_window_s(c.get_double(kDuplicateWindow)),
        duplicate_window_us(duplicate_window_s * 1e6),
        max_executions(c.get_int(kMaxExecutions)),
        execution_window_s(c.get_double(kExecutionWindow)),
        execution_window_us(execution_window_s * 1e6) {}

  // How long a sent order must be remembered: the longest window that looks at sent orders.
  double sent_horizon_us() const {
    return std::max(static_cast<double>(kMinuteUs), duplicate_window_us);
  }
};

// One rule's failure: the reason text and the event's numbers.
struct Breach {
  std::string rule;
  json value;
  json limit;
  std::string value_text;
  std::string limit_text;
};

class PretradeRisk final : public axion::sdk::Risk {
 public:
  static constexpr const char* kStageLabel = "pretrade";
  static constexpr bool kChecksSignals = false;

  PretradeRisk(const Host& host, const Config& config) : Risk(host), settings_(config) {}

  Verdict check_order(const Order& order, const Context& /*context*/) override {
    const std::int64_t now = monotonic_now();
    forget_old(now);
    if (is_close(order)) {
      record_sent(order, now);
      return Verdict::ok();
    }
    if (auto breach = first_breach(order, now)) {
      std::string reason = "Pre-trade " + breach->rule + ": value " + breach->value_text +
                           ", limit " + breach->limit_text;
      host().publish("pretrade_rejected", json{{"rule", breach->rule},
                                               {"value", breach->value},
                                               {"limit", breach->limit},
                                               {"ticker", order.ticker},
                                               {"signal_id", order.signal_id}});
      if (breach->rule == "repeated_execution") request_kill(order, *breach);
      return Verdict::reject(std::move(reason));
    }
    record_sent(order, now);
    return Verdict::ok();
  }

  // Every fill (entry, close or unwind) counts as one execution in its ticker.
  void on_fill(const Order& order, const OrderResult& result) override {
    if (result.filled_qty <= 0) return;
    const std::int64_t now = monotonic_now();
    fills_.push_back({order.ticker, now});
    fills_by_ticker_[order.ticker].push_back(now);
    forget_old(now);
  }

 private:
  struct Sent {
    std::string ticker;
    std::string side;
    std::int64_t qty;
    std::int64_t at_us;
  };
  struct Fill {
    std::string ticker;
    std::int64_t at_us;
  };

  std::optional<Breach> first_breach(const Order& order, std::int64_t now) const {
    const Settings& s = settings_;

    if (auto last = host().last_price(order.ticker); last && *last > 0) {
      const double pct = std::fabs(order.reference_price - *last) / *last * 100.0;
      if (pct > s.collar_pct) {
        return Breach{"price_collar", pct, s.collar_pct, percent2(pct), percent2(s.collar_pct)};
      }
    }

    const double notional = static_cast<double>(order.qty) * order.reference_price;
    if (notional > s.max_notional) {
      return Breach{"max_order_notional", notional, s.max_notional, money(notional),
                    money(s.max_notional)};
    }

    if (order.qty > s.max_qty) {
      return Breach{"max_order_qty", order.qty, s.max_qty, std::to_string(order.qty),
                    std::to_string(s.max_qty)};
    }

    const std::int64_t per_second = sent_within(now, static_cast<double>(kUsPerSec)) + 1;
    if (per_second > s.per_second) {
      return Breach{"order_rate_per_second", per_second, s.per_second, std::to_string(per_second),
                    std::to_string(s.per_second)};
    }
    const std::int64_t per_minute = sent_within(now, static_cast<double>(kMinuteUs)) + 1;
    if (per_minute > s.per_minute) {
      return Breach{"order_rate_per_minute", per_minute, s.per_minute, std::to_string(per_minute),
                    std::to_string(s.per_minute)};
    }

    // The latest matching order decides (the newest is the one the window is about).
    if (auto it = last_sent_.find(duplicate_key(order.ticker, order.side, order.qty));
        it != last_sent_.end()) {
      const auto age = now - it->second;
      if (static_cast<double>(age) < s.duplicate_window_us) {
        const double since = static_cast<double>(age) / 1e6;
        return Breach{"duplicate_order", since, s.duplicate_window_s,
                      axion::sdk::format::shortest_float(since),
                      axion::sdk::format::shortest_float(s.duplicate_window_s)};
      }
    }

    std::int64_t fills = 0;
    if (auto it = fills_by_ticker_.find(order.ticker); it != fills_by_ticker_.end()) {
      const auto& times = it->second;  // time order: the ones inside the window are a suffix
      auto first_inside = std::partition_point(times.begin(), times.end(), [&](std::int64_t at) {
        return static_cast<double>(now - at) >= s.execution_window_us;
      });
      fills = static_cast<std::int64_t>(times.end() - first_inside);
    }
    if (fills >= s.max_executions) {
      return Breach{"repeated_execution", fills, s.max_executions, std::to_string(fills),
                    std::to_string(s.max_executions)};
    }
    return std::nullopt;
  }

  // Orders sent at an age below `window_us`. sent_ is in time order: the ones too old for the
  // window are a prefix, found by binary search (a burst fills the minute window quickly).
  std::int64_t sent_within(std::int64_t now, double window_us) const {
    auto first_inside = std::partition_point(sent_.begin(), sent_.end(), [&](const Sent& e) {
      return static_cast<double>(now - e.at_us) >= window_us;
    });
    return static_cast<std::int64_t>(sent_.end() - first_inside);
  }

  // The execution throttle disables trading: a global block_new kill with this plugin as its
  // actor (the host names the actor), until a human resets it.
  void request_kill(const Order& order, const Breach& b) const {
    const std::string reason = "Pre-trade repeated_execution: " + b.value_text + " fills in " +
                               order.ticker + " within " +
                               axion::sdk::format::shortest_float(settings_.execution_window_s) +
                               "s, limit " + b.limit_text;
    auto answer = host().command(
        "activate_kill", json{{"level", "block_new"}, {"scope", "global"}, {"reason", reason}});
    if (!answer) host().error("activate_kill refused or unavailable: " + reason);
  }

  static std::string duplicate_key(const std::string& ticker, const std::string& side, std::int64_t qty) {
    return ticker + '\x1f' + side + '\x1f' + std::to_string(qty);
  }

  void record_sent(const Order& order, std::int64_t now) {
    sent_.push_back({order.ticker, order.side, order.qty, now});
    last_sent_[duplicate_key(order.ticker, order.side, order.qty)] = now;
  }

  // Drops what no window can see any more. Both queues are in time order (monotonic clock).
  void forget_old(std::int64_t now) {
    const double sent_horizon = settings_.sent_horizon_us();
    while (!sent_.empty() && static_cast<double>(now - sent_.front().at_us) >= sent_horizon) {
      const Sent& old = sent_.front();
      // The key's latest order is leaving the horizon: no order of that key is left in sent_.
      auto it = last_sent_.find(duplicate_key(old.ticker, old.side, old.qty));
      if (it != last_sent_.end() && it->second == old.at_us) last_sent_.erase(it);
      sent_.pop_front();
    }
    while (!fills_.empty() &&
           static_cast<double>(now - fills_.front().at_us) >= settings_.execution_window_us) {
      auto it = fills_by_ticker_.find(fills_.front().ticker);
      if (it != fills_by_ticker_.end()) {
        it->second.pop_front();  // both queues are in time order: this is the same fill
        if (it->second.empty()) fills_by_ticker_.erase(it);
      }
      fills_.pop_front();
    }
  }

  // The engine clock as seen here never runs backwards, so ages are never negative.
  std::int64_t monotonic_now() {
    last_now_us_ = std::max(last_now_us_, host().now_us());
    return last_now_us_;
  }

  const Settings settings_;
  std::deque<Sent> sent_;   // orders sent (passed entries, closes, unwinds), oldest first
  std::deque<Fill> fills_;  // fills, oldest first
  // Indexes of the two queues, so a check does not walk them: the newest send per (ticker, side,
  // qty) and each ticker's fill times (oldest first).
  std::unordered_map<std::string, std::int64_t> last_sent_;
  std::unordered_map<std::string, std::deque<std::int64_t>> fills_by_ticker_;
  std::int64_t last_now_us_ = std::numeric_limits<std::int64_t>::min();
};

}  // namespace

AXION_PLUGIN(PretradeRisk, AXION_KIND_RISK, "pretrade", "1.0.0",
             "Pre-trade controls on entry orders: price collar, max notional and qty, order "
             "rates, duplicate orders, repeated executions with a global block_new kill "
             "(pipeline.md 5.5)",
             kKeys)
