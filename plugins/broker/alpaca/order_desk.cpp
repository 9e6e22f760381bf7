#include "order_desk.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>

#include "axion/sdk/error.hpp"

namespace axion::alpaca {

namespace {

constexpr std::int64_t kFirstBackoffUs = 250'000;
constexpr std::int64_t kMaxBackoffUs = 30'000'000;
constexpr std::int64_t kMinRefreshGapUs = 250'000;  // snapshots after fills, at most this often
constexpr std::size_t kFinishedKept = 1000;         // ended orders kept for idempotent submits

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool is_duplicate_id(const RestResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.value("code", 0) == 40010001) return true;
  return r.message().find("client_order_id must be unique") != std::string::npos;
}

sdk::OrderResult ended(sdk::OrderStatus status, std::string reason, std::int64_t ts) {
  sdk::OrderResult r;
  r.status = status;
  r.broker = "alpaca";
  r.ts_us = ts;
  r.rejection_reason = std::move(reason);
  return r;
}

}  // namespace

std::int64_t OrderDesk::steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

OrderDesk::OrderDesk(const sdk::Host& host, DeskSettings settings)
    : host_(host), settings_(std::move(settings)), client_(settings_.rest), sync_client_(settings_.rest) {
  client_.abort_when(&abort_requests_);
  thread_ = std::thread([this] { run(); });
  TradeStream::Callbacks callbacks;
  callbacks.on_update = [this](const TradeUpdate& u) { on_stream_update(u); };
  callbacks.on_listening = [this] { on_stream_listening(); };
  callbacks.on_down = [this](const std::string& why) {
    stream_down_since_us_ = wall_us();
    host_.error("Alpaca trade stream down (" + why + "): new orders are refused until it is back");
  };
  stream_down_since_us_ = wall_us();  // not listening yet
  try {
    stream_ = std::make_unique<TradeStream>(host_, settings_.stream, std::move(callbacks));
  } catch (...) {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    throw;
  }
}

OrderDesk::~OrderDesk() {
  stream_.reset();  // no more updates into what is torn down below
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  abort_requests_ = true;  // the desk thread's request in flight ends now, not at its timeout
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// ---- the engine thread -------------------------------------------------------------------------

sdk::OrderResult OrderDesk::submit(const sdk::Order& order) {
  const std::int64_t ts = host_.wall_now_us();
  if (order.client_order_id.empty()) {
    return ended(sdk::OrderStatus::Rejected, "broker/alpaca needs a client_order_id", ts);
  }
  if (order.client_order_id.size() > 128) {
    return ended(sdk::OrderStatus::Rejected, "client_order_id longer than Alpaca's 128 characters", ts);
  }
  std::lock_guard lock(mu_);
  if (auto it = orders_.find(order.client_order_id); it != orders_.end()) return it->second.result;
  if (!stream_listening()) {
    // Not recorded: once the stream is back, a retry with the same id is sent.
    return ended(sdk::OrderStatus::Rejected,
                 "Alpaca trade stream is not listening: order not sent (its fills could be missed)", ts);
  }
  Tracked t;
  t.order = order;
  t.result = ended(sdk::OrderStatus::Pending, "", ts);
  try {
    t.body = order_body(order);
  } catch (const std::invalid_argument& e) {
    t.phase = Phase::Final;
    t.result = ended(sdk::OrderStatus::Rejected, e.what(), ts);
    auto r = t.result;
    orders_.emplace(order.client_order_id, std::move(t));
    return r;
  }
  t.due_us = steady_us();
  auto r = t.result;
  orders_.emplace(order.client_order_id, std::move(t));
  wake_.notify_all();
  return r;
}

std::optional<sdk::OrderResult> OrderDesk::query(const std::string& cid) {
  {
    std::lock_guard lock(mu_);
    if (auto it = orders_.find(cid); it != orders_.end()) return it->second.result;
  }
  // Not sent by this process: ask Alpaca (start-up recovery of an earlier process's intent).
  RestResponse r;
  {
    std::lock_guard lock(sync_mu_);
    auto take = host_.take_rate(settings_.budget, 1, true);
    if (!take.taken) throw sdk::Error("rate budget spent; order " + cid + " not looked up yet");
    r = sync_client_.get("/v2/orders:by_client_order_id?client_order_id=" + url_encode(cid));
  }
  if (r.transport == RestResponse::Transport::Ok && r.status == 404) return std::nullopt;
  if (!r.ok()) throw sdk::Error("Alpaca could not say whether it has order " + cid + ": " + r.message());
  AlpacaOrder o;
  try {
    o = parse_order(nlohmann::json::parse(r.body));
  } catch (const std::exception& e) {
    throw sdk::Error("Alpaca's answer for order " + cid + " is unreadable: " + e.what());
  }
  std::lock_guard lock(mu_);
  Tracked t;
  t.order.client_order_id = cid;
  t.order.ticker = o.symbol;
  t.ever_sent = true;
  t.alpaca_id = o.id;
  t.result = to_result(o, host_.wall_now_us());
  t.phase = t.result.status == sdk::OrderStatus::Pending ? Phase::Working : Phase::Final;
  t.due_us = steady_us() + settings_.poll_interval_us;
  auto result = t.result;
  orders_.emplace(cid, std::move(t));
  wake_.notify_all();
  return result;
}

bool OrderDesk::cancel(const std::string& cid) {
  std::lock_guard lock(mu_);
  auto it = orders_.find(cid);
  if (it == orders_.end()) return false;
  Tracked& t = it->second;
  if (t.phase == Phase::Final) return t.result.status == sdk::OrderStatus::Cancelled;
  if (t.phase == Phase::Queued && !t.ever_sent) {
    finish(cid, ended(sdk::OrderStatus::Cancelled, "Cancelled before it was sent", host_.wall_now_us()));
    return true;
  }
  t.cancel_wanted = true;
  if (t.phase == Phase::Working) t.due_us = steady_us();
  wake_.notify_all();
  return true;
}

nlohmann::json OrderDesk::fetch_now(const char* path, const char* what) {
  RestResponse r;
  {
    std::lock_guard lock(sync_mu_);
    if (try_budget() > 0) {
      throw sdk::Error(std::string("Alpaca ") + what + " not read: the account's rate budget is spent");
    }
    r = sync_client_.get(path);
  }
  if (!r.ok()) throw sdk::Error(std::string("Alpaca ") + what + " unavailable: " + r.message());
  return nlohmann::json::parse(r.body, nullptr, false);
}

std::vector<sdk::BrokerPosition> OrderDesk::positions() {
  std::uint64_t version;
  {
    std::lock_guard lock(mu_);
    if (positions_ && positions_version_ == fill_version_) return *positions_;
    version = fill_version_;
  }
  auto parsed = parse_positions(fetch_now("/v2/positions", "positions"));
  std::lock_guard lock(mu_);
  positions_ = parsed;
  positions_version_ = version;
  return parsed;
}

sdk::Account OrderDesk::account() {
  std::uint64_t version;
  {
    std::lock_guard lock(mu_);
    // The engine reads the account after every fill: a snapshot a fill behind (the desk thread
    // reads it again within kMinRefreshGapUs) is good enough for equity and buying power, and
    // the engine thread does not wait on Alpaca for it.
    if (account_) return *account_;
    version = fill_version_;
  }
  auto parsed = parse_account(fetch_now("/v2/account", "account"));
  std::lock_guard lock(mu_);
  account_ = parsed;
  account_version_ = version;
  return parsed;
}

// ---- the desk thread ---------------------------------------------------------------------------

void OrderDesk::run() {
  std::unique_lock lock(mu_);
  std::int64_t last_refresh = 0;
  while (!stopping_) {
    const std::int64_t now = steady_us();
    std::string pick;
    bool pick_urgent = false;
    std::int64_t next = std::numeric_limits<std::int64_t>::max();
    // New orders wait for a pending cancel-all or close-all: sent before it, it would cancel
    // them, or they would sell what it sells.
    const bool bulk_pending = !bulk_.empty();
    for (const auto& [cid, t] : orders_) {
      if (t.phase == Phase::Final) continue;
      if (bulk_pending && t.phase == Phase::Queued && !t.ever_sent) continue;
      if (t.due_us > now) {
        next = std::min(next, t.due_us);
        continue;
      }
      // Sends, lookups of ambiguous sends and cancels before polls.
      const bool urgent = t.phase != Phase::Working || (t.cancel_wanted && !t.cancel_sent);
      if (pick.empty() || (urgent && !pick_urgent)) {
        pick = cid;
        pick_urgent = urgent;
      }
    }
    if (!bulk_.empty() && bulk_due_us_ <= now) {  // kill actions before anything else
      const Bulk b = bulk_.front();
      lock.unlock();
      do_bulk(b);
      lock.lock();
      continue;
    }
    if (!bulk_.empty()) next = std::min(next, bulk_due_us_);
    if (catch_up_due_) {
      catch_up_due_ = false;
      lock.unlock();
      catch_up();
      lock.lock();
      continue;
    }
    const bool stale = positions_version_ != fill_version_ || account_version_ != fill_version_;
    const bool refresh_due = now >= next_refresh_us_ || (stale && now - last_refresh >= kMinRefreshGapUs);
    if (!pick.empty() && (pick_urgent || !refresh_due)) {
      lock.unlock();
      act(pick);
      lock.lock();
      continue;
    }
    if (refresh_due) {
      last_refresh = now;
      next_refresh_us_ = now + settings_.refresh_interval_us;
      lock.unlock();
      refresh_snapshots();
      lock.lock();
      continue;
    }
    next = std::min(next, next_refresh_us_);
    if (stale) next = std::min(next, last_refresh + kMinRefreshGapUs);
    wake_.wait_for(lock, std::chrono::microseconds(std::max<std::int64_t>(1000, next - now)));
  }
}

void OrderDesk::act(const std::string& cid) {
  Tracked t;
  {
    std::lock_guard lock(mu_);
    auto it = orders_.find(cid);
    if (it == orders_.end() || it->second.phase == Phase::Final) return;
    t = it->second;
    // Whatever the step below decides replaces this; a step that cannot decide (no budget
    // service, a stop) does not spin.
    it->second.due_us = steady_us() + kFirstBackoffUs;
  }
  switch (t.phase) {
    case Phase::Queued: send(cid, std::move(t)); break;
    case Phase::Unknown: lookup(cid, std::move(t), true); break;
    case Phase::Working:
      if (t.cancel_wanted && !t.cancel_sent) {
        send_cancel(cid, std::move(t));
      } else {
        lookup(cid, std::move(t), false);
      }
      break;
    case Phase::Final: break;
  }
}

void OrderDesk::send(const std::string& cid, Tracked t) {
  // A cancel while waiting for the budget ends the wait (and is handled below, unsent).
  if (!take_budget(true, [&] {
        const Tracked& cur = orders_.at(cid);
        return cur.phase == Phase::Final || cur.cancel_wanted;
      })) {
    return;
  }
  {
    std::lock_guard lock(mu_);
    auto& cur = orders_.at(cid);
    if (cur.phase == Phase::Final) return;  // cancelled locally meanwhile
    if (cur.cancel_wanted) {
      if (!cur.ever_sent) {
        finish(cid, ended(sdk::OrderStatus::Cancelled, "Cancelled before it was sent", host_.wall_now_us()));
      } else {
        // An earlier attempt may yet reach Alpaca: never send again, ask (a 404 ends it).
        cur.phase = Phase::Unknown;
        cur.due_us = steady_us();
      }
      return;
    }
    // From here the POST may be on the wire: a cancel must go to Alpaca, not stay local.
    cur.ever_sent = true;
  }
  const RestResponse r = client_.post("/v2/orders", t.body);
  if (r.transport != RestResponse::Transport::Ok || r.status >= 500) {
    // It may have been accepted (even a refused connection: libcurl may have sent it once on
    // a kept-alive connection that died). Ask by client_order_id before anything else.
    host_.warn("order " + cid + ": submit outcome unknown (" + r.message() + "); asking Alpaca by client_order_id");
    std::lock_guard lock(mu_);
    auto& cur = orders_.at(cid);
    if (cur.phase == Phase::Final) return;  // the stream told the end meanwhile
    cur.phase = Phase::Unknown;
    cur.due_us = steady_us();
    cur.backoff_us = 0;
    return;
  }
  if (r.status == 200 || r.status == 201) {
    try {
      apply(cid, parse_order(nlohmann::json::parse(r.body)));
    } catch (const std::exception& e) {
      host_.warn("order " + cid + ": unreadable answer (" + e.what() + "); asking Alpaca by client_order_id");
      std::lock_guard lock(mu_);
      auto& cur = orders_.at(cid);
      if (cur.phase != Phase::Final) {
        cur.phase = Phase::Unknown;
        cur.due_us = steady_us();
      }
    }
    return;
  }
  std::lock_guard lock(mu_);
  const std::int64_t ts = host_.wall_now_us();
  if (orders_.at(cid).phase == Phase::Final) return;  // the stream told the end meanwhile
  if (r.status == 429) {
    host_.warn("order " + cid + ": Alpaca's rate limit; sending again at its reset");
    auto& cur = orders_.at(cid);
    cur.phase = Phase::Queued;
    cur.ever_sent = t.ever_sent;  // a 429 is definite: this attempt was not taken
    cur.due_us = steady_us() + delay_until_reset(r);
    return;
  }
  if (r.status == 422 && is_duplicate_id(r)) {
    auto& cur = orders_.at(cid);  // Alpaca has an order with this id: find out which state
    cur.phase = Phase::Unknown;
    cur.due_us = steady_us();
    return;
  }
  if (r.status == 401) host_.error("Alpaca refused the API keys (401): check AXION_ALPACA_API_KEY / AXION_ALPACA_SECRET_KEY");
  finish(cid, ended(sdk::OrderStatus::Rejected, "Alpaca " + std::to_string(r.status) + ": " + r.message(), ts));
}

void OrderDesk::lookup(const std::string& cid, Tracked t, bool urgent) {
  if (urgent) {
    if (!take_budget(true)) return;
  } else if (const std::int64_t wait = try_budget(); wait > 0) {
    std::lock_guard lock(mu_);
    orders_.at(cid).due_us = steady_us() + wait;
    return;
  }
  const RestResponse r = client_.get("/v2/orders:by_client_order_id?client_order_id=" + url_encode(cid));
  if (r.transport == RestResponse::Transport::Ok && r.status == 200) {
    try {
      apply(cid, parse_order(nlohmann::json::parse(r.body)));
      return;
    } catch (const std::exception& e) {
      host_.warn("order " + cid + ": unreadable lookup answer: " + e.what());
    }
  }
  std::lock_guard lock(mu_);
  auto& cur = orders_.at(cid);
  if (r.transport == RestResponse::Transport::Ok && r.status == 404) {
    if (t.phase == Phase::Unknown) {
      if (cur.cancel_wanted) {
        finish(cid, ended(sdk::OrderStatus::Cancelled, "Cancelled; Alpaca never accepted it", host_.wall_now_us()));
        return;
      }
      // Definitely not accepted: the one case where the same order is sent again (same id).
      host_.warn("order " + cid + " is not at Alpaca: submitting it again with the same client_order_id");
      cur.phase = Phase::Queued;
      cur.due_us = steady_us();
      return;
    }
    host_.error("order " + cid + " (Alpaca id " + cur.alpaca_id + ") is no longer found by client id; still watched");
    retry_later(cid, cur.phase, settings_.poll_interval_us);
    return;
  }
  if (r.transport == RestResponse::Transport::Ok && r.status == 429) {
    cur.due_us = steady_us() + delay_until_reset(r);
    return;
  }
  if (t.phase == Phase::Working) {
    cur.due_us = steady_us() + settings_.poll_interval_us;
  } else {
    retry_later(cid, cur.phase, 0);
  }
}

void OrderDesk::send_cancel(const std::string& cid, Tracked t) {
  if (!take_budget(true)) return;
  const RestResponse r = client_.del("/v2/orders/" + url_encode(t.alpaca_id));
  std::lock_guard lock(mu_);
  auto& cur = orders_.at(cid);
  if (r.transport == RestResponse::Transport::Ok && (r.status == 204 || r.status == 200 || r.status == 422 || r.status == 404)) {
    // Accepted, or nothing left to cancel: the order's final state comes from the next poll.
    // A 422 can also come from a passing state: if the order is still open a while later, the
    // cancel goes again (apply_locked).
    cur.cancel_sent = true;
    cur.cancel_sent_us = steady_us();
    cur.due_us = steady_us();
    if (r.status == 422) host_.info("order " + cid + ": not cancelable (" + r.message() + ")");
    return;
  }
  if (r.transport == RestResponse::Transport::Ok && r.status == 429) {
    cur.due_us = steady_us() + delay_until_reset(r);
    return;
  }
  host_.warn("order " + cid + ": cancel not confirmed (" + r.message() + "); trying again");
  retry_later(cid, Phase::Working, 0);
}

void OrderDesk::refresh_snapshots() {
  std::uint64_t version;
  {
    std::lock_guard lock(mu_);
    version = fill_version_;
  }
  // Each half is kept as soon as it is read; a failure (or no budget) moves the next try back.
  auto later = [this](std::int64_t wait) {
    std::lock_guard lock(mu_);
    next_refresh_us_ = steady_us() + wait;
  };
  auto read = [&](const char* path, auto&& keep) -> bool {
    if (const std::int64_t wait = try_budget(); wait > 0) {
      later(wait);
      return false;
    }
    const RestResponse r = client_.get(path);
    if (!r.ok()) {
      host_.warn(std::string("Alpaca ") + path + " not read: " + r.message());
      later(r.transport == RestResponse::Transport::Ok && r.status == 429 ? delay_until_reset(r) : 1'000'000);
      return false;
    }
    try {
      auto j = nlohmann::json::parse(r.body);
      std::lock_guard lock(mu_);
      keep(j);
      return true;
    } catch (const std::exception& e) {
      host_.warn(std::string("Alpaca ") + path + " unreadable: " + e.what());
      later(1'000'000);
      return false;
    }
  };
  if (!read("/v2/positions", [&](const nlohmann::json& j) {
        positions_ = parse_positions(j);
        positions_version_ = version;
      })) {
    return;
  }
  read("/v2/account", [&](const nlohmann::json& j) {
    account_ = parse_account(j);
    account_version_ = version;
  });
}

void OrderDesk::apply(const std::string& cid, const AlpacaOrder& o) {
  std::lock_guard lock(mu_);
  apply_locked(cid, o);
}

void OrderDesk::apply_locked(const std::string& cid, const AlpacaOrder& o) {
  auto& cur = orders_.at(cid);
  if (cur.phase == Phase::Final) return;  // the engine may have booked it: an end stays an end
  cur.alpaca_id = o.id;
  cur.backoff_us = 0;
  sdk::OrderResult r = to_result(o, host_.wall_now_us());
  // A POST answer or a poll can arrive after the stream told more: never go back.
  if (r.filled_qty < cur.result.filled_qty) {
    if (cur.phase == Phase::Working) cur.due_us = steady_us() + settings_.poll_interval_us;
    return;
  }
  if (r.filled_qty != cur.result.filled_qty) ++fill_version_;
  if (r.status != sdk::OrderStatus::Pending) {
    finish(cid, std::move(r));
    return;
  }
  constexpr std::int64_t kCancelConfirmUs = 2'000'000;
  if (cur.cancel_wanted && cur.cancel_sent && o.status != "pending_cancel" &&
      steady_us() - cur.cancel_sent_us > kCancelConfirmUs) {
    cur.cancel_sent = false;  // still open, no cancel under way: ask again
  }
  cur.result = std::move(r);
  cur.phase = Phase::Working;
  cur.due_us = steady_us() + (cur.cancel_wanted && !cur.cancel_sent ? 0 : settings_.poll_interval_us);
}

void OrderDesk::on_stream_update(const TradeUpdate& u) {
  constexpr std::size_t kExecutionsKept = 10000;
  std::lock_guard lock(mu_);
  auto it = orders_.find(u.order.client_order_id);
  if (it == orders_.end()) return;  // not this process's order (nor one it was asked about)
  if (is_fill_event(u.event) && !u.execution_id.empty()) {
    if (!executions_.insert(u.execution_id).second) return;  // repeated after a reconnect
    execution_order_.push_back(u.execution_id);
    if (execution_order_.size() > kExecutionsKept) {
      executions_.erase(execution_order_.front());
      execution_order_.pop_front();
    }
  }
  // The order in the update is cumulative (filled_qty, filled_avg_price): applying it is exact
  // whatever was missed before.
  apply_locked(it->first, u.order);
}

void OrderDesk::on_stream_listening() {
  stream_down_since_us_ = 0;
  std::lock_guard lock(mu_);
  // What happened while disconnected is not replayed by Alpaca: the desk thread reads the open
  // orders first (catch_up), then asks by id for each of its orders no longer among them.
  catch_up_due_ = true;
  wake_.notify_all();
}

void OrderDesk::catch_up() {
  auto by_id = [this] {  // the fallback: every working order asked for by client id
    std::lock_guard lock(mu_);
    const std::int64_t now = steady_us();
    for (auto& [cid, t] : orders_) {
      if (t.phase == Phase::Working || t.phase == Phase::Unknown) t.due_us = now;
    }
  };
  if (try_budget() > 0) return by_id();
  const RestResponse r = client_.get("/v2/orders?status=open&limit=500&direction=desc");
  std::vector<AlpacaOrder> open;
  try {
    if (!r.ok()) throw std::runtime_error(r.message());
    for (const auto& j : nlohmann::json::parse(r.body)) open.push_back(parse_order(j));
  } catch (const std::exception& e) {
    host_.warn(std::string("Alpaca open orders not read after the reconnect (") + e.what() +
               "); asking for each working order instead");
    return by_id();
  }
  std::lock_guard lock(mu_);
  std::unordered_set<std::string> still_open;
  for (const AlpacaOrder& o : open) {
    still_open.insert(o.client_order_id);
    auto it = orders_.find(o.client_order_id);
    if (it == orders_.end()) {
      // Not placed by this engine (or by a run whose intents are settled): it can fill and
      // move the account behind the engine's back, which the reconciler would then find.
      if (foreign_open_.insert(o.client_order_id).second) {
        host_.warn("Alpaca has an open order this engine does not track: " + o.client_order_id + " (" +
                   o.symbol + ", id " + o.id + ")");
      }
      continue;
    }
    if (it->second.phase != Phase::Final) apply_locked(it->first, o);
  }
  const std::int64_t now = steady_us();
  for (auto& [cid, t] : orders_) {
    // Ours and no longer open (or never seen by Alpaca): its end is asked for by id.
    if ((t.phase == Phase::Working || t.phase == Phase::Unknown) && !still_open.count(cid)) t.due_us = now;
  }
}

void OrderDesk::cancel_all() { queue_bulk(Bulk::CancelAll); }
void OrderDesk::close_all() { queue_bulk(Bulk::CloseAll); }

void OrderDesk::queue_bulk(Bulk b) {
  std::lock_guard lock(mu_);
  if (std::find(bulk_.begin(), bulk_.end(), b) != bulk_.end()) return;  // its backoff stands
  bulk_.push_back(b);
  if (bulk_.size() == 1) bulk_due_us_ = 0;
  wake_.notify_all();
}

void OrderDesk::do_bulk(Bulk b) {
  const char* what = b == Bulk::CancelAll ? "cancel of every open order" : "close of every position";
  if (!take_budget(true)) {  // stopping, or no budget service: look again in a second
    std::lock_guard lock(mu_);
    bulk_due_us_ = steady_us() + 1'000'000;
    return;
  }
  const RestResponse r = b == Bulk::CancelAll ? client_.del("/v2/orders")
                                              : client_.del("/v2/positions?cancel_orders=true");
  std::string msg = r.message();
  client_.redact(msg);
  std::lock_guard lock(mu_);
  if (r.ok()) {
    // 207: one status per order or position; the ends come on the stream like any other.
    auto items = nlohmann::json::parse(r.body, nullptr, false);
    std::size_t n = 0, refused = 0;
    if (items.is_array()) {
      for (const auto& item : items) {
        ++n;
        const int st = item.is_object() ? item.value("status", 200) : 200;
        if (st < 200 || st >= 300) {
          ++refused;
          host_.warn(std::string("Alpaca ") + what + ": " + item.dump());
        }
      }
    }
    host_.info(std::string("Alpaca accepted the ") + what + " (" + std::to_string(n) + " item(s)" +
               (refused ? ", " + std::to_string(refused) + " refused" : std::string()) + ")");
    bulk_.pop_front();
    bulk_backoff_us_ = 0;
    bulk_due_us_ = 0;
    ++fill_version_;  // positions and account change: read them again
    catch_up_due_ = true;
    if (b == Bulk::CloseAll) {
      // Orders held back while it was pending would sell what Alpaca has just sold.
      const std::int64_t ts = wall_us();
      std::vector<std::string> superseded;
      for (const auto& [cid, t] : orders_) {
        if (t.phase == Phase::Queued && !t.ever_sent) superseded.push_back(cid);
      }
      for (const auto& cid : superseded) {
        finish(cid, ended(sdk::OrderStatus::Rejected, "not sent: Alpaca was asked to close every position", ts));
      }
    }
    return;
  }
  const bool again = r.transport != RestResponse::Transport::Ok || r.status == 429 || r.status >= 500;
  if (!again) {
    host_.error(std::string("Alpaca refused the ") + what + " (HTTP " + std::to_string(r.status) + ", " + msg + ")");
    bulk_.pop_front();
    return;
  }
  bulk_backoff_us_ = r.status == 429 ? delay_until_reset(r)
                                     : (bulk_backoff_us_ == 0 ? kFirstBackoffUs : std::min(kMaxBackoffUs, bulk_backoff_us_ * 2));
  bulk_due_us_ = steady_us() + bulk_backoff_us_;
  host_.warn(std::string("Alpaca ") + what + " failed (" + msg + "); asking again in " +
             std::to_string(bulk_backoff_us_ / 1000) + " ms");
}

nlohmann::json OrderDesk::status() const {
  const bool listening = stream_listening();
  std::size_t working = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [cid, t] : orders_) working += t.phase != Phase::Final;
  }
  nlohmann::json j = {{"ready", listening},
                      {"trade_stream", listening ? "listening" : "down"},
                      {"orders_working", working},
                      {"rate_budget", settings_.budget}};
  if (const std::int64_t since = stream_down_since_us_.load(); !listening && since > 0) {
    j["trade_stream_down_since_us"] = since;
  }
  if (auto left = host_.rate_remaining(settings_.budget)) j["rate_budget_remaining"] = *left;
  return j;
}

void OrderDesk::finish(const std::string& cid, sdk::OrderResult r) {
  auto& cur = orders_.at(cid);
  cur.result = std::move(r);
  cur.phase = Phase::Final;
  // Ended orders stay for idempotent submits and queries; the oldest go past a bound.
  std::size_t finished = 0;
  for (const auto& [id, t] : orders_) finished += t.phase == Phase::Final;
  for (auto it = orders_.begin(); finished > kFinishedKept && it != orders_.end();) {
    if (it->second.phase == Phase::Final && it->first != cid) {
      it = orders_.erase(it);
      --finished;
    } else {
      ++it;
    }
  }
}

void OrderDesk::retry_later(const std::string& cid, Phase phase, std::int64_t delay_us) {
  auto& cur = orders_.at(cid);
  cur.phase = phase;
  if (delay_us <= 0) {
    cur.backoff_us = cur.backoff_us == 0 ? kFirstBackoffUs : std::min(kMaxBackoffUs, cur.backoff_us * 2);
    delay_us = cur.backoff_us;
  }
  cur.due_us = steady_us() + delay_us;
}

std::int64_t OrderDesk::try_budget() {
  try {
    const auto take = host_.take_rate(settings_.budget, 1, false);
    return take.taken ? 0 : std::max<std::int64_t>(1000, take.retry_after_us);
  } catch (const std::exception& e) {
    host_.error(std::string("rate budget: ") + e.what());
    return 1'000'000;
  }
}

bool OrderDesk::take_budget(bool urgent, const std::function<bool()>& give_up) {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (give_up && give_up()) return false;
    sdk::Host::RateTake take;
    try {
      take = host_.take_rate(settings_.budget, 1, urgent);
    } catch (const std::exception& e) {
      host_.error(std::string("rate budget: ") + e.what());
      return false;
    }
    if (take.taken) return true;
    // Checked again at least every 200 ms: the budget is shared, others' use moves the wait.
    wake_.wait_for(lock, std::chrono::microseconds(std::clamp<std::int64_t>(take.retry_after_us, 1000, 200'000)));
  }
  return false;
}

std::int64_t OrderDesk::wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t OrderDesk::delay_until_reset(const RestResponse& r) const {
  if (r.ratelimit_reset_epoch_s <= 0) return 1'000'000;
  // Alpaca's reset is epoch seconds of the real clock (not the engine's, which may be simulated).
  const std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::int64_t d = r.ratelimit_reset_epoch_s * 1'000'000 - now;
  return std::clamp<std::int64_t>(d, 100'000, 60'000'000);
}

}  // namespace axion::alpaca
