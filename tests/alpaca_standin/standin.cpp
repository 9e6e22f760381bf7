// The stand-in: one lock over the broker's state (and the bar history), shared by the io thread
// (requests) and the test thread (scripting and inspection). The two streams' hubs have their own
// locks, taken after it.
#include "standin.hpp"

#include <algorithm>
#include <iterator>
#include <mutex>
#include <stdexcept>

#include "api.hpp"
#include "data_hub.hpp"
#include "http_server.hpp"
#include "stream_hub.hpp"

namespace axion::testing::alpaca {

struct StandIn::Impl {
  explicit Impl(StandInOptions options)
      : hub(options.key_id, options.secret_key),
        data(options.key_id, options.secret_key, options.data_auth_timeout),
        state(std::move(options)),
        server(
            [this](const HttpRequest& req) {
              std::lock_guard lock(mutex);
              return handle(state, req);
            },
            websockets(), TlsFiles{state.options.tls_cert_file, state.options.tls_key_file}) {
    // Every book event goes to the stream, in the order it happens (under the lock).
    std::lock_guard lock(mutex);
    state.book.on_event([this](const BookEvent& e) { hub.publish(e); });
  }

  Order& order(const std::string& cid) {
    Order* o = state.book.by_client_id(cid);
    if (!o) throw std::invalid_argument("alpaca stand-in: no order with client_order_id " + cid);
    return *o;
  }

  std::vector<WsRoute> websockets() {
    std::vector<WsRoute> routes{{std::string(kStreamPath), &hub}};
    for (std::string_view feed : kDataFeeds)
      routes.push_back({std::string(kDataPathPrefix) + std::string(feed), &data});
    return routes;
  }

  mutable std::mutex mutex;
  StreamHub hub;  // the trade_updates stream; its own lock, taken after `mutex`
  DataHub data;   // the market data stream; likewise
  ApiState state;
  HttpServer server;  // last: it serves from the moment it is built, and stops first
};

namespace {

OrderView view(const Order& o) {
  OrderView v;
  v.id = o.id;
  v.client_order_id = o.request.client_order_id;
  v.symbol = o.request.symbol;
  v.side = to_string(o.request.side);
  v.type = to_string(o.request.type);
  v.time_in_force = to_string(o.request.time_in_force);
  v.status = to_string(o.status);
  v.qty = o.request.qty;
  v.filled_qty = o.filled_qty;
  v.filled_avg_price = o.filled_avg_price;
  v.limit_price = o.request.limit_price.value_or(0);
  v.stop_price = o.request.stop_price.value_or(0);
  return v;
}

void require_status(int status, std::initializer_list<int> allowed, const char* what) {
  for (int a : allowed) {
    if (status == a) return;
  }
  throw std::invalid_argument(std::string("alpaca stand-in: ") + what +
                              ": unexpected HTTP status " + std::to_string(status));
}

void require_symbols(const std::vector<BarRecord>& bars, const char* what) {
  for (const BarRecord& b : bars) {
    if (b.symbol.empty())
      throw std::invalid_argument(std::string("alpaca stand-in: ") + what +
                                  ": a bar without a symbol");
  }
}

}  // namespace

StandIn::StandIn(StandInOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

std::int64_t steady_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

StandIn::~StandIn() { impl_->server.stop(); }

std::uint16_t StandIn::port() const { return impl_->server.port(); }

std::string StandIn::base_url() const {
  return (impl_->server.tls() ? "https://127.0.0.1:" : "http://127.0.0.1:") +
         std::to_string(port());
}

void StandIn::set_price(const std::string& symbol, double price) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.book.set_price(symbol, price);
}

void StandIn::hold_fills(bool hold) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.book.hold_fills(hold);
}

void StandIn::fill(const std::string& client_order_id, double qty, double price) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.book.fill(impl_->order(client_order_id), qty, price);
}

void StandIn::cancel_order(const std::string& client_order_id) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.book.cancel(impl_->order(client_order_id));
}

void StandIn::reject_after_accept(const std::string& client_order_id) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.book.reject(impl_->order(client_order_id));
}

void StandIn::set_clock(bool is_open) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.clock_open = is_open;
}

void StandIn::fail_next_submit_after_accept(int http_status) {
  require_status(http_status / 100, {4, 5}, "fail_next_submit_after_accept");
  std::lock_guard lock(impl_->mutex);
  impl_->state.faults.fail_after_accept.push_back(http_status);
}

void StandIn::delay_next_submit_after_accept(std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.faults.delay_after_accept.push_back(delay);
}

void StandIn::reject_next_submit(int http_status, std::string message) {
  require_status(http_status, {403, 422}, "reject_next_submit");
  std::lock_guard lock(impl_->mutex);
  impl_->state.faults.reject_submit.push_back({http_status, std::move(message)});
}

void StandIn::rate_limit_burst(int n) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.faults.burst_429 += std::max(0, n);
}

void StandIn::fail_next_requests(int n, int http_status) {
  require_status(http_status / 100, {4, 5}, "fail_next_requests");
  std::lock_guard lock(impl_->mutex);
  for (int i = 0; i < n; ++i) impl_->state.faults.fail_requests.push_back(http_status);
}

std::string StandIn::stream_url() const {
  return (impl_->server.tls() ? "wss://127.0.0.1:" : "ws://127.0.0.1:") +
         std::to_string(port()) + std::string(kStreamPath);
}

void StandIn::stream_text_frames(bool text) { impl_->hub.text_frames(text); }

void StandIn::drop_stream() { impl_->hub.drop_all(); }

void StandIn::drop_stream_before_next_fill() { impl_->hub.drop_before_next_fill(); }

void StandIn::delay_stream_events(std::chrono::milliseconds d) { impl_->hub.delay_events(d); }

void StandIn::duplicate_next_fill_event() { impl_->hub.duplicate_next_fill(); }

void StandIn::half_open_stream() { impl_->hub.half_open_all(); }

int StandIn::stream_connections() const { return impl_->hub.connections(); }

int StandIn::listening_connections() const { return impl_->hub.listening(); }

std::vector<std::string> StandIn::stream_messages_received() const {
  return impl_->hub.received();
}

void StandIn::add_history(const std::string& timeframe, std::vector<BarRecord> bars) {
  const auto canonical = canonical_timeframe(timeframe);
  if (!canonical)
    throw std::invalid_argument("alpaca stand-in: add_history: unknown timeframe " + timeframe);
  require_symbols(bars, "add_history");
  std::lock_guard lock(impl_->mutex);
  impl_->state.bars.add(*canonical, bars);
}

void StandIn::push_bars(const std::vector<BarRecord>& bars, bool record_history) {
  require_symbols(bars, "push_bars");
  std::lock_guard lock(impl_->mutex);
  // Recorded before it is sent: a client that backfills on seeing the bar finds it.
  if (record_history) impl_->state.bars.add("1Min", bars);
  impl_->data.publish_bars(bars);
}

std::string StandIn::data_url() const { return base_url(); }

std::string StandIn::data_stream_url(const std::string& feed) const {
  if (std::find(std::begin(kDataFeeds), std::end(kDataFeeds), feed) == std::end(kDataFeeds))
    throw std::invalid_argument("alpaca stand-in: no market data feed " + feed);
  return (impl_->server.tls() ? "wss://127.0.0.1:" : "ws://127.0.0.1:") + std::to_string(port()) +
         std::string(kDataPathPrefix) + feed;
}

void StandIn::drop_data_stream() { impl_->data.drop_all(); }

void StandIn::fail_next_data_auth(int code) { impl_->data.fail_next_auth(code); }

int StandIn::data_connections() const { return impl_->data.connections(); }

std::vector<std::string> StandIn::data_subscriptions() const { return impl_->data.subscriptions(); }

std::vector<std::string> StandIn::data_messages_received() const { return impl_->data.received(); }

int StandIn::bars_requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state.bars_requests;
}

std::vector<OrderView> StandIn::orders() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<OrderView> out;
  for (const Order& o : impl_->state.book.orders()) out.push_back(view(o));
  return out;
}

std::optional<OrderView> StandIn::order_by_client_id(const std::string& cid) const {
  std::lock_guard lock(impl_->mutex);
  const Order* o = impl_->state.book.by_client_id(cid);
  return o ? std::optional<OrderView>(view(*o)) : std::nullopt;
}

int StandIn::submits_for(const std::string& cid) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->state.submits.find(cid);
  return it == impl_->state.submits.end() ? 0 : it->second;
}

std::vector<RequestRecord> StandIn::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state.records;
}

std::map<std::string, double> StandIn::positions() const {
  std::lock_guard lock(impl_->mutex);
  std::map<std::string, double> out;
  for (const auto& [symbol, p] : impl_->state.book.positions()) out[symbol] = p.qty;
  return out;
}

double StandIn::cash() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state.book.cash();
}

}  // namespace axion::testing::alpaca
