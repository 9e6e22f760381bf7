// broker/paper: the simulated broker of paper and backtest mode (pipeline.md §7.3).
//
// Fills at the feed's current price (host last_price), else the order's own prices; market and
// stop orders pay slippage, limit orders are immediate-or-cancel at the limit price. Optional
// commission, partial fills, latency on the engine clock and fault injection (rejects, timeouts,
// ghost fills), every draw from one seeded PRNG. It keeps a netting book per symbol (positions,
// average price, realized P&L, cash) and journals book, orders and PRNG position through the host
// after every change, so a restart neither loses positions nor repeats order ids. An optional
// submit log records every new order and every settlement outside the journal, for the crash
// harness (tests/crash) to see what the broker did even when a crash rolls its state back.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "axion/sdk/format.hpp"
#include "axion/sdk/json_text.hpp"
#include "axion/sdk/plugin.hpp"

namespace {

using axion::sdk::Account;
using axion::sdk::BrokerPosition;
using axion::sdk::Config;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
using axion::sdk::Order;
using axion::sdk::OrderResult;
using axion::sdk::OrderStatus;
using nlohmann::json;

const KeySpec kKeys[] = {
    {"slippage_bps", KeyType::Double, "10.0",
     "Slippage of market and stop fills in basis points: a buy fills at P x (1 + bps/10000), a "
     "sell at P x (1 - bps/10000)",
     0, 10000},
    {"commission_per_share", KeyType::Double, "0.0",
     "Commission per filled share in dollars (OrderResult.commission)", 0, kNoBound},
    {"commission_min", KeyType::Double, "0.0",
     "Minimum commission in dollars of an order that fills at least one share", 0, kNoBound},
    {"partial_fill_rate", KeyType::Double, "0.0",
     "Fraction of orders (qty >= 2) filled for a random 1..qty-1 shares, status partial", 0, 1},
    {"latency_ms", KeyType::Double, "0.0",
     "Engine-clock delay before an order fills; > 0 makes submit answer pending", 0, 86400000},
    {"reject_rate", KeyType::Double, "0.0", "Fraction of orders rejected (fault injection)", 0, 1},
    {"timeout_rate", KeyType::Double, "0.0",
     "Fraction of submit calls that fail with a timeout error (fault injection)", 0, 1},
    {"ghost_fill_rate", KeyType::Double, "0.0",
     "Fraction of orders reported filled but kept out of the book (fault injection: the "
     "reconciler finds a ghost)",
     0, 1},
    {"seed", KeyType::Int, "42", "Seed of every random draw (order ids and fault injection)", 0,
     kNoBound},
    {"starting_equity", KeyType::Double, "0.0",
     "Starting equity in dollars; 0 = the engine's starting_equity, else 100000", 0, kNoBound},
    {"submit_log", KeyType::Path, "\"\"",
     "File to append one JSON line to per new order and per settlement of a pending order (for "
     "crash tests); empty = off"},
};

constexpr double kFallbackEquity = 100000.0;
// Terminal orders kept for idempotency and query_order; pending orders are never dropped.
constexpr std::size_t kMaxOrderHistory = 1000;
// Finished orders written to the durable state: a restart needs the book, the cash, the
// generator, every pending order and the most recent finished ones (the engine resolves its
// unanswered intents against those). Writing all 1,000 on every change cost milliseconds.
constexpr std::size_t kPersistedFinishedOrders = 16;
constexpr int kStateVersion = 1;

// The validated configuration, read once.
struct Settings {
  double slippage = 0;  // fraction
  double commission_per_share = 0;
  double commission_min = 0;
  double partial_fill_rate = 0;
  std::int64_t latency_us = 0;
  double reject_rate = 0;
  double timeout_rate = 0;
  double ghost_fill_rate = 0;
  std::uint64_t seed = 42;
  double starting_equity = 0;  // 0 = ask the engine
  std::string submit_log;      // empty = off

  static Settings from(const Config& c) {
    Settings s;
    s.slippage = c.get_double("slippage_bps") / 10000.0;
    s.commission_per_share = c.get_double("commission_per_share");
    s.commission_min = c.get_double("commission_min");
    s.partial_fill_rate = c.get_double("partial_fill_rate");
    s.latency_us = std::llround(c.get_double("latency_ms") * 1000.0);
    s.reject_rate = c.get_double("reject_rate");
    s.timeout_rate = c.get_double("timeout_rate");
    s.ghost_fill_rate = c.get_double("ghost_fill_rate");
    s.seed = static_cast<std::uint64_t>(c.get_int("seed"));
    s.starting_equity = c.get_double("starting_equity");
    s.submit_log = c.get_string("submit_log");
    return s;
  }
};

// splitmix64: one 64-bit word of state, so its position is trivially journaled, and the same
// sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  std::uint64_t state() const { return state_; }

 private:
  std::uint64_t state_;
};

std::uint64_t parse_hex16(const std::string& s) {
  if (s.empty() || s.size() > 16 || s.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw Error("bad PRNG state '" + s + "'");
  }
  return std::stoull(s, nullptr, 16);
}

// "{x}" for messages: shortest round-trip form.
using axion::sdk::format::shortest_float;

// Every draw an order needs, taken at submit in a fixed number so that order ids depend only on
// the seed and the count of orders, whatever the fault-injection rates are.
struct Draws {
  double timeout = 1, reject = 1, partial = 1, partial_qty = 0, ghost = 1;
  std::uint64_t id_bits = 0;
};

struct OrderRecord {
  Order order;
  OrderResult result;
  std::int64_t due_us = 0;  // pending: when the latency has elapsed
  double submit_price = 0;  // P at submission, the fallback when the order matures
  bool partial = false;     // draws decided at submission
  double partial_qty_u = 0;
  bool ghost = false;
  // The record's saved JSON once it is final (a final record never changes again): each save
  // then serializes only the orders still moving.
  mutable std::string saved_json;
};

struct Position {
  std::int64_t qty = 0;  // signed: > 0 long, < 0 short
  double avg_price = 0;
};

// The submit log: an O_APPEND file written with one write(2) per line, so a line is either
// whole or absent after a SIGKILL, and it stays written whatever the journal later rolls back.
class AppendLog {
 public:
  AppendLog() = default;
  explicit AppendLog(const std::string& path) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw Error("key 'submit_log': cannot open '" + path + "': " + std::strerror(errno),
                  "submit_log");
    }
  }
  ~AppendLog() {
    if (fd_ >= 0) ::close(fd_);
  }
  AppendLog(const AppendLog&) = delete;
  AppendLog& operator=(const AppendLog&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // False when the line could not be written whole.
  bool append(std::string line) const {
    line += '\n';
    std::size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

 private:
  int fd_ = -1;
};

json order_to_json(const Order& o) {
  return {{"ticker", o.ticker},
          {"side", o.side},
          {"qty", o.qty},
          {"order_type", o.order_type},
          {"limit_price", o.limit_price},
          {"stop_price", o.stop_price},
          {"time_in_force", o.time_in_force},
          {"signal_id", o.signal_id},
          {"client_order_id", o.client_order_id},
          {"reference_price", o.reference_price},
          {"instrument_type", o.instrument_type}};
}

Order order_from_json(const json& j) {
  Order o;
  o.ticker = j.at("ticker").get<std::string>();
  o.side = j.at("side").get<std::string>();
  o.qty = j.at("qty").get<std::int64_t>();
  o.order_type = j.at("order_type").get<std::string>();
  o.limit_price = j.at("limit_price").get<double>();
  o.stop_price = j.at("stop_price").get<double>();
  o.time_in_force = j.at("time_in_force").get<std::string>();
  o.signal_id = j.at("signal_id").get<std::string>();
  o.client_order_id = j.at("client_order_id").get<std::string>();
  o.reference_price = j.at("reference_price").get<double>();
  o.instrument_type = j.at("instrument_type").get<std::string>();
  return o;
}

OrderResult result_from_json(const json& j) {
  OrderResult r;
  r.order_id = j.at("order_id").get<std::string>();
  int st = j.at("status").get<int>();
  if (st < 0 || st > 4) throw Error("bad order status " + std::to_string(st));
  r.status = static_cast<OrderStatus>(st);
  r.filled_qty = j.at("filled_qty").get<std::int64_t>();
  r.filled_price = j.at("filled_price").get<double>();
  r.commission = j.at("commission").get<double>();
  r.broker = "paper";
  r.ts_us = j.at("ts_us").get<std::int64_t>();
  r.rejection_reason = j.at("rejection_reason").get<std::string>();
  return r;
}

// One order record of the saved state, as restore() reads it (order_from_json,
// result_from_json), written without building a JSON tree.
void append_record(std::string& s, std::uint64_t seq, const OrderRecord& rec) {
  namespace jt = axion::sdk::json_text;
  const Order& o = rec.order;
  const OrderResult& r = rec.result;
  s += '{';
  jt::append_field(s, "seq", seq);
  jt::append_field(s, "order");
  s += '{';
  jt::append_field(s, "ticker", o.ticker);
  jt::append_field(s, "side", o.side);
  jt::append_field(s, "qty", o.qty);
  jt::append_field(s, "order_type", o.order_type);
  jt::append_field(s, "limit_price", o.limit_price);
  jt::append_field(s, "stop_price", o.stop_price);
  jt::append_field(s, "time_in_force", o.time_in_force);
  jt::append_field(s, "signal_id", o.signal_id);
  jt::append_field(s, "client_order_id", o.client_order_id);
  jt::append_field(s, "reference_price", o.reference_price);
  jt::append_field(s, "instrument_type", o.instrument_type);
  s += '}';
  jt::append_field(s, "result");
  s += '{';
  jt::append_field(s, "order_id", r.order_id);
  jt::append_field(s, "status", static_cast<int>(r.status));
  jt::append_field(s, "filled_qty", r.filled_qty);
  jt::append_field(s, "filled_price", r.filled_price);
  jt::append_field(s, "commission", r.commission);
  jt::append_field(s, "ts_us", r.ts_us);
  jt::append_field(s, "rejection_reason", r.rejection_reason);
  s += '}';
  jt::append_field(s, "due_us", rec.due_us);
  jt::append_field(s, "submit_price", rec.submit_price);
  jt::append_field(s, "partial", rec.partial);
  jt::append_field(s, "partial_qty_u", rec.partial_qty_u);
  jt::append_field(s, "ghost", rec.ghost);
  s += '}';
}

class PaperBroker final : public axion::sdk::Broker {
 public:
  static constexpr bool kCanTradeOptions = false;

  PaperBroker(const Host& h, const Config& config)
      : Broker(h), cfg_(Settings::from(config)), rng_(cfg_.seed), log_(cfg_.submit_log) {
    auto saved = host().load_state();
    if (saved && !saved->is_null()) {
      restore(*saved);
      if (config.was_set("starting_equity") && cfg_.starting_equity > 0 &&
          cfg_.starting_equity != starting_equity_) {
        host().warn("starting_equity " + shortest_float(cfg_.starting_equity) +
                    " ignored: the journaled paper account started with " + shortest_float(starting_equity_));
      }
      if (saved->value("seed", cfg_.seed) != cfg_.seed) {
        host().warn("seed " + std::to_string(cfg_.seed) +
                    " ignored: the journaled paper broker continues its own generator");
      }
      host().info("paper broker restored: " + std::to_string(positions_.size()) + " position(s), " +
                  std::to_string(orders_.size()) + " order(s), equity base " +
                  axion::sdk::format::fixed2(starting_equity_));
    } else {
      starting_equity_ = resolve_starting_equity();
      host().info("paper broker ready: starting equity " + axion::sdk::format::fixed2(starting_equity_));
    }
  }

  OrderResult submit(const Order& order) override {
    settle();
    if (!order.client_order_id.empty()) {
      auto known = by_cid_.find(order.client_order_id);
      if (known != by_cid_.end()) {
        const OrderRecord& rec = orders_.at(known->second);
        if (order_to_json(rec.order) != order_to_json(order)) {
          host().warn("client_order_id '" + order.client_order_id +
                      "' resubmitted with different fields; returning the existing order " +
                      rec.result.order_id);
        }
        return rec.result;
      }
    }

    Draws d = draw();
    if (d.timeout < cfg_.timeout_rate) {
      save();  // the PRNG moved; a restart must not replay this draw
      throw Error("timeout: paper broker did not answer (simulated, timeout_rate " +
                  shortest_float(cfg_.timeout_rate) + ")");
    }

    OrderRecord rec;
    rec.order = order;
    rec.result.order_id = unique_id(d.id_bits);
    rec.result.broker = "paper";
    rec.result.ts_us = host().now_us();
    rec.partial = d.partial < cfg_.partial_fill_rate;
    rec.partial_qty_u = d.partial_qty;
    rec.ghost = d.ghost < cfg_.ghost_fill_rate;

    if (auto why = invalid(order)) {
      reject(rec, *why);
    } else if (auto p = reference_price(order); !p) {
      reject(rec, "No reference price for paper fill");
    } else if (d.reject < cfg_.reject_rate) {
      reject(rec, "Simulated rejection (reject_rate " + shortest_float(cfg_.reject_rate) + ")");
    } else {
      rec.submit_price = *p;
      if (cfg_.latency_us > 0) {
        rec.result.status = OrderStatus::Pending;
        rec.due_us = rec.result.ts_us + cfg_.latency_us;
      } else {
        execute(rec, *p, rec.result.ts_us);
      }
    }

    std::uint64_t seq = next_seq_++;
    if (!order.client_order_id.empty()) by_cid_[order.client_order_id] = seq;
    log_order("new", seq, rec);
    OrderResult out = rec.result;
    if (rec.result.status == OrderStatus::Pending) pending_.insert(seq);
    order_ids_.insert(rec.result.order_id);
    orders_.emplace(seq, std::move(rec));
    trim_history();
    save();
    return out;
  }

  // Every call that changes the book saves it through the host (save()), in the journal's stream
  // after the engine's intent, so the engine need not wait for the disk before an order here.
  // A submit log is a record outside the host (the crash harness reads it as "the broker"):
  // with one, every intent is durable first, as for a broker outside the process.
  bool book_in_host_state() const override { return !log_.enabled(); }

  std::optional<OrderResult> query_order(const std::string& client_order_id) override {
    settle();
    auto it = by_cid_.find(client_order_id);
    if (it == by_cid_.end()) return std::nullopt;
    return orders_.at(it->second).result;
  }

  bool cancel_order(const std::string& client_order_id) override {
    settle();
    auto it = by_cid_.find(client_order_id);
    if (it == by_cid_.end()) throw Error("unknown client_order_id '" + client_order_id + "'");
    OrderResult& r = orders_.at(it->second).result;
    if (r.status == OrderStatus::Cancelled) return true;  // cancelling twice is harmless
    if (r.status != OrderStatus::Pending) {
      throw Error("cannot cancel '" + client_order_id + "': order " + r.order_id + " is already " +
                  axion::sdk::to_string(r.status));
    }
    r.status = OrderStatus::Cancelled;
    r.ts_us = host().now_us();
    r.rejection_reason = "Cancelled by request";
    pending_.erase(it->second);
    log_order("settled", it->second, orders_.at(it->second));
    save();
    return true;
  }

  std::vector<BrokerPosition> positions() override {
    settle();
    std::vector<BrokerPosition> out;
    for (const auto& [symbol, p] : positions_) {
      out.push_back({symbol, p.qty > 0 ? p.qty : -p.qty, p.qty > 0 ? "long" : "short", p.avg_price,
                     mark(symbol, p)});
    }
    return out;
  }

  // equity = starting + realized + unrealized (marks from the feed, else the average price);
  // cash = starting + realized - open notional at cost (longs and shorts alike); buying power =
  // cash. Realized P&L is net of commissions.
  Account account() override {
    settle();
    double unrealized = 0, notional = 0;
    for (const auto& [symbol, p] : positions_) {
      unrealized += static_cast<double>(p.qty) * (mark(symbol, p) - p.avg_price);
      notional += static_cast<double>(p.qty > 0 ? p.qty : -p.qty) * p.avg_price;
    }
    Account a;
    a.starting_equity = starting_equity_;
    a.equity = starting_equity_ + realized_ + unrealized;
    a.cash = starting_equity_ + realized_ - notional;
    a.buying_power = a.cash;
    return a;
  }

 private:
  double resolve_starting_equity() const {
    if (cfg_.starting_equity > 0) return cfg_.starting_equity;
    if (auto engine = host().query("engine"); engine && engine->is_object()) {
      auto it = engine->find("starting_equity");
      if (it != engine->end() && it->is_number() && it->get<double>() > 0) return it->get<double>();
    }
    return kFallbackEquity;
  }

  Draws draw() {
    Draws d;
    d.timeout = rng_.uniform();
    d.id_bits = rng_.next();
    d.reject = rng_.uniform();
    d.partial = rng_.uniform();
    d.partial_qty = rng_.uniform();
    d.ghost = rng_.uniform();
    return d;
  }

  std::string unique_id(std::uint64_t bits) {
    for (;;) {
      char buf[24];
      std::snprintf(buf, sizeof buf, "PAPER-%08" PRIx32, static_cast<std::uint32_t>(bits >> 32));
      if (!order_ids_.count(buf)) return buf;
      bits = rng_.next();  // a 32-bit collision: draw again (still deterministic)
    }
  }

  static std::optional<std::string> invalid(const Order& o) {
    if (o.ticker.empty()) return "Missing ticker";
    if (o.qty <= 0) return "Invalid quantity " + std::to_string(o.qty);
    if (o.side != "buy" && o.side != "sell") {
      return "Invalid side '" + o.side + "' (expected buy or sell)";
    }
    if (o.instrument_type == "option") return "Paper broker cannot trade options";
    const std::string& t = o.order_type;
    if (t != "market" && t != "limit" && t != "stop" && t != "stop_limit") {
      return "Unsupported order type '" + t + "'";
    }
    if ((t == "limit" || t == "stop_limit") && !(o.limit_price > 0)) {
      return "Limit order without a positive limit_price";
    }
    return std::nullopt;
  }

  // P: the feed's latest close, else the first positive of limit, stop and reference price.
  std::optional<double> reference_price(const Order& o) const {
    if (auto p = host().last_price(o.ticker); p && *p > 0 && std::isfinite(*p)) return *p;
    for (double x : {o.limit_price, o.stop_price, o.reference_price}) {
      if (x > 0 && std::isfinite(x)) return x;
    }
    return std::nullopt;
  }

  static void reject(OrderRecord& rec, std::string reason) {
    rec.result.status = OrderStatus::Rejected;
    rec.result.filled_qty = 0;
    rec.result.filled_price = 0;
    rec.result.rejection_reason = std::move(reason);
  }

  // Fills (or cancels) an accepted order at price P, reported at ts_us.
  void execute(OrderRecord& rec, double p, std::int64_t ts_us) {
    const Order& o = rec.order;
    const bool buy = o.side == "buy";
    OrderResult& r = rec.result;
    r.ts_us = ts_us;
    double price;
    if (o.order_type == "limit" || o.order_type == "stop_limit") {
      bool reached = buy ? p <= o.limit_price : p >= o.limit_price;
      if (!reached) {
        r.status = OrderStatus::Cancelled;
        r.filled_qty = 0;
        r.filled_price = 0;
        r.rejection_reason = "Limit " + shortest_float(o.limit_price) + " not reached at " + shortest_float(p) +
                             " (paper limit orders are immediate-or-cancel)";
        return;
      }
      price = o.limit_price;
    } else {
      price = p * (buy ? 1.0 + cfg_.slippage : 1.0 - cfg_.slippage);
    }

    std::int64_t qty = o.qty;
    r.status = OrderStatus::Filled;
    if (rec.ghost) {
      // Reported as a complete fill; the book never sees it.
    } else if (rec.partial && o.qty >= 2) {
      auto extra = static_cast<std::int64_t>(rec.partial_qty_u * static_cast<double>(o.qty - 1));
      qty = std::clamp<std::int64_t>(1 + extra, 1, o.qty - 1);
      r.status = OrderStatus::Partial;
    }
    r.filled_qty = qty;
    r.filled_price = price;
    r.commission =
        std::max(cfg_.commission_min, cfg_.commission_per_share * static_cast<double>(qty));
    r.rejection_reason.clear();
    if (!rec.ghost) book(o.ticker, buy ? qty : -qty, price, r.commission);
  }

  // Netting book: same direction averages in; the opposite direction realizes P&L on the closed
  // shares and, past flat, opens the other side at the fill price.
  void book(const std::string& symbol, std::int64_t signed_qty, double price, double commission) {
    Position& pos = positions_[symbol];
    if (pos.qty == 0 || (pos.qty > 0) == (signed_qty > 0)) {
      double old_abs = static_cast<double>(pos.qty > 0 ? pos.qty : -pos.qty);
      double add_abs = static_cast<double>(signed_qty > 0 ? signed_qty : -signed_qty);
      pos.avg_price = (old_abs * pos.avg_price + add_abs * price) / (old_abs + add_abs);
      pos.qty += signed_qty;
    } else {
      std::int64_t held = pos.qty > 0 ? pos.qty : -pos.qty;
      std::int64_t traded = signed_qty > 0 ? signed_qty : -signed_qty;
      std::int64_t closed = std::min(held, traded);
      double mult = pos.qty > 0 ? 1.0 : -1.0;
      realized_ += mult * (price - pos.avg_price) * static_cast<double>(closed);
      pos.qty += signed_qty;
      if (traded > held) pos.avg_price = price;  // flipped
    }
    realized_ -= commission;
    if (pos.qty == 0) positions_.erase(symbol);
  }

  double mark(const std::string& symbol, const Position& p) const {
    if (auto px = host().last_price(symbol); px && *px > 0 && std::isfinite(*px)) return *px;
    return p.avg_price;
  }

  // Fills the pending orders whose latency has elapsed on the engine clock, oldest due first.
  void settle() {
    const std::int64_t now = host().now_us();
    if (pending_.empty()) return;
    std::vector<std::pair<std::int64_t, std::uint64_t>> due;
    for (std::uint64_t seq : pending_) {
      const OrderRecord& rec = orders_.at(seq);
      if (rec.due_us <= now) due.emplace_back(rec.due_us, seq);
    }
    if (due.empty()) return;
    std::sort(due.begin(), due.end());
    for (const auto& [when, seq] : due) {
      OrderRecord& rec = orders_.at(seq);
      double p = rec.submit_price;
      if (auto px = host().last_price(rec.order.ticker); px && *px > 0 && std::isfinite(*px))
        p = *px;
      execute(rec, p, when);
      pending_.erase(seq);
      log_order("settled", seq, rec);
    }
    trim_history();
    save();
  }

  void trim_history() {
    std::size_t terminal = orders_.size() - pending_.size();
    for (auto it = orders_.begin(); terminal > kMaxOrderHistory && it != orders_.end();) {
      if (it->second.result.status == OrderStatus::Pending) {
        ++it;
        continue;
      }
      by_cid_.erase(it->second.order.client_order_id);
      order_ids_.erase(it->second.result.order_id);
      it = orders_.erase(it);
      --terminal;
    }
  }

  // One submit-log line: a new order ("new", whatever its status) or a pending order reaching
  // its final state ("settled"). `seq` identifies the order across a rollback of the broker's
  // state, where client and broker order ids can come back for different orders.
  void log_order(const char* event, std::uint64_t seq, const OrderRecord& rec) const {
    if (!log_.enabled()) return;
    const Order& o = rec.order;
    const OrderResult& r = rec.result;
    json line = {{"event", event},
                 {"seq", seq},
                 {"client_order_id", o.client_order_id},
                 {"order_id", r.order_id},
                 {"status", axion::sdk::to_string(r.status)},
                 {"signal_id", o.signal_id},
                 {"ticker", o.ticker},
                 {"side", o.side},
                 {"qty", o.qty},
                 {"filled_qty", r.filled_qty},
                 {"filled_price", r.filled_price},
                 {"ghost", rec.ghost && r.filled_qty > 0},
                 {"ts_us", r.ts_us}};
    if (!log_.append(line.dump())) {
      host().warn(std::string("submit_log: cannot write '") + cfg_.submit_log +
                  "': " + std::strerror(errno));
    }
  }

  // Written straight into a reused buffer: this runs after every order, and a JSON tree of the
  // whole book (then its text, then a splice) was a quarter of the engine's time per order.
  void save() const {
    namespace jt = axion::sdk::json_text;
    // Every pending order, and the newest finished ones (walking back from the newest).
    keep_.assign(pending_.begin(), pending_.end());
    std::size_t finished = 0;
    for (auto it = orders_.rbegin(); it != orders_.rend() && finished < kPersistedFinishedOrders; ++it) {
      if (it->second.result.status != OrderStatus::Pending) {
        keep_.push_back(it->first);
        ++finished;
      }
    }
    std::sort(keep_.begin(), keep_.end());
    std::string& s = state_text_;
    s.clear();
    s += '{';
    jt::append_field(s, "version", kStateVersion);
    jt::append_field(s, "seed", cfg_.seed);
    jt::append_field(s, "rng");
    char rng[20];
    std::snprintf(rng, sizeof rng, "\"%016" PRIx64 "\"", rng_.state());
    s += rng;
    jt::append_field(s, "next_seq", next_seq_);
    jt::append_field(s, "starting_equity", starting_equity_);
    jt::append_field(s, "realized_pnl", realized_);
    jt::append_field(s, "positions");
    s += '[';
    bool first = true;
    for (const auto& [symbol, p] : positions_) {
      if (!first) s += ',';
      first = false;
      s += '{';
      jt::append_field(s, "symbol", symbol);
      jt::append_field(s, "qty", p.qty);
      jt::append_field(s, "avg_price", p.avg_price);
      s += '}';
    }
    s += ']';
    jt::append_field(s, "orders");
    s += '[';
    first = true;
    for (std::uint64_t seq : keep_) {
      const OrderRecord& rec = orders_.at(seq);
      if (!first) s += ',';
      first = false;
      if (!rec.saved_json.empty()) {
        s += rec.saved_json;
        continue;
      }
      const std::size_t at = s.size();
      append_record(s, seq, rec);
      if (rec.result.status != OrderStatus::Pending) rec.saved_json.assign(s, at, std::string::npos);
    }
    s += "]}";
    host().save_state_text(s);
  }

  void restore(const json& s) {
    try {
      if (s.at("version").get<int>() != kStateVersion) {
        throw Error("unsupported state version " + s.at("version").dump());
      }
      rng_ = Rng(parse_hex16(s.at("rng").get<std::string>()));
      next_seq_ = s.at("next_seq").get<std::uint64_t>();
      starting_equity_ = s.at("starting_equity").get<double>();
      realized_ = s.at("realized_pnl").get<double>();
      for (const auto& p : s.at("positions")) {
        Position pos{p.at("qty").get<std::int64_t>(), p.at("avg_price").get<double>()};
        if (pos.qty != 0) positions_[p.at("symbol").get<std::string>()] = pos;
      }
      for (const auto& o : s.at("orders")) {
        OrderRecord rec;
        rec.order = order_from_json(o.at("order"));
        rec.result = result_from_json(o.at("result"));
        rec.due_us = o.at("due_us").get<std::int64_t>();
        rec.submit_price = o.at("submit_price").get<double>();
        rec.partial = o.at("partial").get<bool>();
        rec.partial_qty_u = o.at("partial_qty_u").get<double>();
        rec.ghost = o.at("ghost").get<bool>();
        auto seq = o.at("seq").get<std::uint64_t>();
        if (!rec.order.client_order_id.empty()) by_cid_[rec.order.client_order_id] = seq;
        if (rec.result.status == OrderStatus::Pending) pending_.insert(seq);
        order_ids_.insert(rec.result.order_id);
        orders_.emplace(seq, std::move(rec));
      }
    } catch (const Error& e) {
      throw Error(std::string("broker/paper: journaled state is unusable: ") + e.what());
    } catch (const json::exception& e) {
      throw Error(std::string("broker/paper: journaled state is unusable: ") + e.what());
    }
  }

  const Settings cfg_;
  Rng rng_;
  AppendLog log_;
  double starting_equity_ = 0;
  double realized_ = 0;  // net of commissions
  std::map<std::string, Position> positions_;
  std::map<std::uint64_t, OrderRecord> orders_;  // by submission sequence
  std::map<std::string, std::uint64_t> by_cid_;
  std::unordered_set<std::string> order_ids_;  // the broker ids of orders_, kept unique
  std::set<std::uint64_t> pending_;  // sequences of orders still pending (latency)
  std::uint64_t next_seq_ = 1;
  // save()'s buffers, kept so that their capacity outlives each call.
  mutable std::string state_text_;
  mutable std::vector<std::uint64_t> keep_;
};

}  // namespace

AXION_PLUGIN(PaperBroker, AXION_KIND_BROKER, "paper", "1.0.0",
             "Paper broker: simulated fills with slippage, commission, partial fills, latency and "
             "fault injection (pipeline.md 7.3)",
             kKeys)
