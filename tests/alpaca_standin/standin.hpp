// A stand-in for Alpaca's Trading API v2 and Market Data v2 on 127.0.0.1 (live.md §2–§4, §6):
// tests point the broker plugin's base URL and stream URL, and the feed plugin's data URL and
// data stream URL, at it and script the market, the fills, the bars and the faults from the test
// thread.
// README.md lists what it implements and what it does not yet.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace axion::testing::alpaca {

struct StandInOptions {
  std::string key_id = "PKTESTKEY";
  std::string secret_key = "test-secret-value";
  int rate_limit = 200;                          // requests per window, per key (Alpaca: 200/min)
  std::chrono::milliseconds rate_window{60000};  // a rolling window (README "Rate limit")
  double starting_cash = 100000.0;
  // PEM paths (self_signed.hpp makes them). Both set: the port speaks HTTPS and WSS instead of
  // HTTP and WS; both empty: plain. A client that rejects the certificate loses only its own
  // connection.
  std::string tls_cert_file{}, tls_key_file{};
  // Market data stream: a connection that has not authenticated this long after it opened is
  // answered 404 "auth timeout" and closed (Alpaca: 10 s). Shorter in tests that check it.
  std::chrono::milliseconds data_auth_timeout{10000};
};

// One bar of market data (live.md §4). Prices and volume as numbers; `n` (trade count) and `vw`
// (volume-weighted price) are derived when rendered (README "Market data").
struct BarRecord {
  std::string symbol;
  std::int64_t t_us = 0;  // the bar's START time, microseconds since the epoch, UTC
  double o = 0, h = 0, l = 0, c = 0, v = 0;
};

struct OrderView {  // what the stand-in holds for one order
  std::string id, client_order_id, symbol, side, type, time_in_force, status;
  double qty = 0, filled_qty = 0, filled_avg_price = 0, limit_price = 0, stop_price = 0;
};

struct RequestRecord {
  std::string method, target;
  std::map<std::string, std::string> headers;  // names as the client spelled them
  std::string body;
  int status = 0;
  // When it arrived (steady_now_us(), the process's steady clock, so a test or bench can time
  // a request from its own side) and how long its answer was held back (a scripted delay).
  std::int64_t received_steady_us = 0;
  std::int64_t answer_delay_ms = 0;
};

// std::chrono::steady_clock in µs: the clock of RequestRecord::received_steady_us.
std::int64_t steady_now_us();

class StandIn {
 public:
  explicit StandIn(StandInOptions options = {});
  ~StandIn();  // stops the server, joins its thread
  StandIn(const StandIn&) = delete;
  StandIn& operator=(const StandIn&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>", "https://…" with TLS

  // Market and fills. Misuse (an unknown client_order_id, a fill of a closed order, a fill larger
  // than what is left) throws std::invalid_argument: it is a bug in the test, not a broker event.
  // set_price: the fill price for market orders of that symbol; open market orders (and limit
  // orders it crosses) that are not held are filled at once. Without a price, market orders stay
  // "new" until a price is set or fill() is called.
  void set_price(const std::string& symbol, double price);
  // true: orders accepted from now on stay "new" until fill()/cancel_order()/reject_after_accept();
  // setting it back to false does not release the orders it held.
  void hold_fills(bool hold);
  void fill(const std::string& client_order_id, double qty,
            double price);                                       // partially_filled or filled
  void cancel_order(const std::string& client_order_id);         // broker-side cancel
  void reject_after_accept(const std::string& client_order_id);  // rejected, failed_at set
  void set_clock(bool is_open);                                  // GET /v2/clock (default open)

  // Scripted faults. The two "after accept" ones are consumed by the next POST /v2/orders that
  // stores an order; reject_next_submit by the next POST /v2/orders whatever it carries; the
  // last two by the next requests to any endpoint, before authentication. Calls queue up.
  void fail_next_submit_after_accept(int http_status = 500);
  void delay_next_submit_after_accept(std::chrono::milliseconds delay);
  void reject_next_submit(int http_status, std::string message);  // 403 or 422, nothing stored
  void rate_limit_burst(int n);                                   // 429 regardless of budget
  void fail_next_requests(int n, int http_status = 503);          // that status, nothing done

  // The trade_updates stream (live.md §3), a websocket on the same port (README "Stream").
  std::string stream_url() const;  // "ws://127.0.0.1:<port>/stream", "wss://…" with TLS
  // Binary frames (the paper environment's way) by default; true sends text frames (live's way).
  // Applies to frames queued from then on.
  void stream_text_frames(bool text);
  // Stream faults. The "next fill" ones are consumed by the next fill or partial_fill event, even
  // with no connection listening; calls queue up. The others act on the connections open now.
  void drop_stream();                   // close every stream connection now (server side)
  void drop_stream_before_next_fill();  // that fill is not sent; every connection is closed instead
  void delay_stream_events(std::chrono::milliseconds d);  // events go out d later; 0 = at once
  void duplicate_next_fill_event();  // that fill is sent twice, with the same execution_id
  // Open connections stop reading and writing (no events, no pongs) but stay open, keeping the
  // key's slot until the client closes them.
  void half_open_stream();
  int stream_connections() const;     // open stream connections, authenticated or not
  int listening_connections() const;  // authenticated, listening to trade_updates, not half-open
  std::vector<std::string> stream_messages_received() const;  // every message clients sent

  // Market Data v2 (live.md §4), on the same port with the same keys (README "Market data").
  // History for GET /v2/stocks/bars, per Alpaca timeframe ("1Min", "5Min", "15Min", "1Hour",
  // "1Day", …; aliases such as "5T" are the same). Merged and kept sorted by (symbol, t); a bar
  // at the same (symbol, t) replaces the one there. An unknown timeframe or an empty symbol
  // throws std::invalid_argument.
  void add_history(const std::string& timeframe, std::vector<BarRecord> bars);
  // Real time: one frame (a JSON array of {"T":"b",…}) to each authenticated market-data
  // connection, holding the bars of the symbols it subscribed to, in the order given; a
  // connection subscribed to none of them gets nothing. Each bar is also recorded in the "1Min"
  // history (so a backfill after a reconnect finds it) unless record_history is false.
  void push_bars(const std::vector<BarRecord>& bars, bool record_history = true);
  std::string data_url() const;  // "http://127.0.0.1:<port>" ("https://…" with TLS)
  // "ws://127.0.0.1:<port>/v2/<feed>" ("wss://…" with TLS); feed "iex" or "sip", else
  // std::invalid_argument.
  std::string data_stream_url(const std::string& feed = "iex") const;
  void drop_data_stream();  // every market-data connection closed now (server side, 1001)
  // The next auth message, whatever its keys, is answered [{"T":"error","code":code,"msg":…}]
  // and the connection closed (402 auth failed, 406 connection limit exceeded, …). Calls queue.
  void fail_next_data_auth(int code);
  int data_connections() const;  // open market-data connections, authenticated or not
  // Bar subscriptions of the authenticated, open market-data connections: sorted, unique.
  std::vector<std::string> data_subscriptions() const;
  std::vector<std::string> data_messages_received() const;  // every message clients sent
  int bars_requests() const;  // GET requests to either bars endpoint, whatever their answer

  // Inspection (thread-safe).
  std::vector<OrderView> orders() const;  // in submission order
  std::optional<OrderView> order_by_client_id(const std::string& cid) const;
  int submits_for(const std::string& cid) const;    // every POST /v2/orders carrying it
  std::vector<RequestRecord> requests() const;      // every request in arrival order
  std::map<std::string, double> positions() const;  // symbol -> signed qty
  double cash() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace axion::testing::alpaca
