// The broker's orders, sent and watched on the desk's own thread so the engine thread never waits
// on HTTP (live.md §5 "Sending"). Orders are refused while the trade stream is not listening
// (fills would be missed). submit() records the order and returns `pending`; the thread
// POSTs it and never retries blindly: after a timeout, a reset or a 5xx it asks Alpaca by
// client_order_id and resubmits (same id) only on a 404; a duplicate-id 422 is resolved by the
// same lookup; 403/422 are final rejections with Alpaca's message; a 429 waits for
// X-Ratelimit-Reset. Fills and ends come from the trade stream, each execution_id applied once;
// after every (re)connection the open orders are read in one request and each working order no
// longer among them is asked for by client id, so nothing missed while disconnected is lost;
// working orders are also polled slowly as a safety net. Every request takes
// from the account's shared rate budget, orders and cancels first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alpaca_json.hpp"
#include "axion/sdk/host.hpp"
#include "rest_client.hpp"
#include "trade_stream.hpp"
#include <unordered_set>

namespace axion::alpaca {

struct DeskSettings {
  RestSettings rest;
  StreamSettings stream;
  std::string budget = "alpaca";          // the shared rate budget's name (declared by the caller)
  std::int64_t poll_interval_us = 10'000'000;  // a safety net: the stream tells first
  std::int64_t refresh_interval_us = 15'000'000;  // positions and account snapshots
};

class OrderDesk {
 public:
  OrderDesk(const sdk::Host& host, DeskSettings settings);
  ~OrderDesk();  // stops the thread; orders still working stay at Alpaca
  OrderDesk(const OrderDesk&) = delete;
  OrderDesk& operator=(const OrderDesk&) = delete;

  // Engine thread, never blocks on HTTP.
  sdk::OrderResult submit(const sdk::Order& order);
  // The desk's answer for an order it tracks; for one it never saw (a previous process's intent,
  // at start-up) it asks Alpaca on the calling thread: nullopt = Alpaca has no such order.
  // Throws when Alpaca's answer is not definite.
  std::optional<sdk::OrderResult> query(const std::string& client_order_id);
  // Queues a cancel; false when the desk does not know the order.
  bool cancel(const std::string& client_order_id);
  // Positions newer than the last fill the desk saw (the reconciler compares them with the
  // engine's book), fetched on the calling thread otherwise; the account's latest snapshot,
  // fetched only when there is none yet (start-up).
  std::vector<sdk::BrokerPosition> positions();
  sdk::Account account();

  bool stream_listening() const { return stream_ && stream_->listening(); }

  // Broker-side kill actions (live.md §5), queued for the desk thread ahead of everything else;
  // the engine thread does not wait. DELETE /v2/orders; DELETE /v2/positions?cancel_orders=true.
  // Both are idempotent, so a failure is simply asked again with backoff.
  void cancel_all();
  void close_all();
  // Health: ready (the stream listens), the stream's state and since when, the budget left.
  nlohmann::json status() const;

 private:
  enum class Phase { Queued, Unknown, Working, Final };
  struct Tracked {
    sdk::Order order;
    std::string body;  // the POST body, kept for a resubmission with the same id
    Phase phase = Phase::Queued;
    sdk::OrderResult result;
    std::string alpaca_id;
    bool cancel_wanted = false;
    bool cancel_sent = false;
    std::int64_t cancel_sent_us = 0;
    bool ever_sent = false;  // a POST may have reached Alpaca (set just before it leaves)
    std::int64_t due_us = 0;     // when the thread acts on it next (steady clock)
    std::int64_t backoff_us = 0;
  };

  enum class Bulk { CancelAll, CloseAll };
  void queue_bulk(Bulk b);
  void do_bulk(Bulk b);

  void run();
  void act(const std::string& cid);  // one step for one order, on the desk thread
  void send(const std::string& cid, Tracked snapshot);
  void lookup(const std::string& cid, Tracked snapshot, bool urgent);
  void send_cancel(const std::string& cid, Tracked snapshot);
  void refresh_snapshots();
  // A GET on the calling thread (start-up, a stale positions snapshot), parsed; throws
  // sdk::Error naming `what` when it cannot be had.
  nlohmann::json fetch_now(const char* path, const char* what);
  // Applies Alpaca's view of an order; marks the snapshots stale when fills moved.
  void apply(const std::string& cid, const AlpacaOrder& o);
  void apply_locked(const std::string& cid, const AlpacaOrder& o);
  void on_stream_update(const TradeUpdate& u);
  void on_stream_listening();
  void catch_up();  // after a (re)connection: the open orders in one request
  void finish(const std::string& cid, sdk::OrderResult r);
  void retry_later(const std::string& cid, Phase phase, std::int64_t delay_us);
  // Urgent (sends, lookups of ambiguous sends, cancels): waits for the budget; false when
  // stopping. Others never wait (they would hold up the urgent ones): 0 when taken, else the
  // wait before trying again.
  // `give_up` (checked under the lock) ends the wait early, returning false.
  bool take_budget(bool urgent, const std::function<bool()>& give_up = {});
  std::int64_t try_budget();
  std::int64_t delay_until_reset(const RestResponse& r) const;
  static std::int64_t steady_us();
  static std::int64_t wall_us();  // the real clock (the engine's may be simulated)

  const sdk::Host host_;
  const DeskSettings settings_;
  RestClient client_;       // the desk thread's connection
  RestClient sync_client_;  // the calling thread's (start-up lookups, stale snapshots)
  std::mutex sync_mu_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> abort_requests_{false};  // set by the destructor: in-flight requests end
  std::map<std::string, Tracked> orders_;  // by client_order_id
  std::uint64_t fill_version_ = 0;         // bumped when a fill is seen
  std::optional<std::vector<sdk::BrokerPosition>> positions_;
  std::optional<sdk::Account> account_;
  std::uint64_t positions_version_ = 0, account_version_ = 0;  // fill_version_ when fetched
  std::int64_t next_refresh_us_ = 0;
  // execution_ids applied, the newest kExecutionsKept (a reconnect may repeat some).
  std::unordered_set<std::string> executions_;
  std::deque<std::string> execution_order_;
  bool catch_up_due_ = false;
  std::deque<Bulk> bulk_;  // broker-side kill actions waiting for the desk thread
  std::int64_t bulk_due_us_ = 0;
  std::int64_t bulk_backoff_us_ = 0;
  std::atomic<std::int64_t> stream_down_since_us_{0};  // wall clock; 0 while listening
  std::unordered_set<std::string> foreign_open_;  // open orders at Alpaca not ours, warned once
  std::thread thread_;
  std::unique_ptr<TradeStream> stream_;  // last: it calls into everything above
};

}  // namespace axion::alpaca
