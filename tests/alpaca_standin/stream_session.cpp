// The websocket side of the stand-in's streams (trade_updates, market data): one session per
// connection, on the io thread. It reads what the client sends and hands it to the connection's
// hub, and writes what the hub queues, one frame at a time (Beast allows one outstanding write),
// waiting on a timer when the hub asks to be asked again later (delayed events, timeouts).
// Beast answers the client's pings while a read is outstanding, and cancelling that read is not
// enough (a read op that is between two socket reads, sending a pong, reads again afterwards). So a
// half-open session takes the descriptor away from Beast: any further websocket read or write
// fails at once, and the session reads raw bytes (dropped) on its own socket to notice the client
// closing.
// Plain and TLS sessions are one template over the websocket's next layer: only the stream type
// differs, since everything else works on the websocket or on the lowest (TCP) layer.
#include <utility>

#include "stream_session.hpp"

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>
#include <optional>

#include "ws_hub.hpp"

namespace axion::testing::alpaca {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// How long a close handshake may take before the socket is simply closed.
constexpr auto kCloseTimeout = std::chrono::seconds(5);
constexpr std::size_t kMessageMax = 64 * 1024;

template <class NextLayer>
class StreamSession : public std::enable_shared_from_this<StreamSession<NextLayer>> {
  using Base = std::enable_shared_from_this<StreamSession<NextLayer>>;
  using Base::shared_from_this;
  using Base::weak_from_this;

 public:
  // `next`: a tcp::socket, or an ssl_stream after its handshake.
  template <class Next>
  StreamSession(Next&& next, WsHub& hub)
      : ws_(std::forward<Next>(next)),
        ex_(ws_.get_executor()),
        timer_(ex_),
        close_timer_(ex_),
        raw_(ex_),
        hub_(hub) {}

  ~StreamSession() {
    if (conn_) hub_.closed(*conn_);  // idempotent; here when the server stops first
  }

  void start(http::request<http::string_body> upgrade) {
    // The wake may be called from any thread: it only posts. The strong reference is moved
    // into the posted handler, so the session is never destroyed on the caller's thread.
    conn_ = hub_.open([weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        auto ex = self->ex_;
        net::post(ex, [s = std::move(self)] { s->pump(); });
      }
    });
    beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts apply
    websocket::stream_base::timeout t{};
    t.handshake_timeout = kHandshakeTimeout;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(http::field::server, "axion-alpaca-standin");
    }));
    ws_.read_message_max(kMessageMax);
    upgrade_ = std::move(upgrade);
    ws_.async_accept(upgrade_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->finish();
      self->accepted_ = true;
      self->do_read();
      self->pump();
    });
  }

 private:
  void do_read() {
    if (done_ || closing_ || half_open_) return;
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (done_) return;
    if (half_open_) return;  // the descriptor is raw_'s now; this read failed or is dropped
    if (closing_) return;  // the close handshake reads the rest and ends the session
    if (ec) return finish();
    hub_.on_message(*conn_, beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    do_read();
    pump();
  }

  // What the hub has for this connection now: a frame, a wait, a close or half-open.
  void pump() {
    if (!accepted_ || done_ || closing_) return;
    WsStep step = hub_.next(*conn_, WsHub::Clock::now(), !writing_ && !half_open_);
    switch (step.kind) {
      case WsStep::Kind::idle:
        return;
      case WsStep::Kind::half_open:
        if (!half_open_) enter_half_open();
        return;
      case WsStep::Kind::close:
        if (half_open_) return finish();  // it stopped writing: no close frame, just the socket
        return start_close(step.close_code, step.close_reason);
      case WsStep::Kind::wait:
        return arm(step.until);
      case WsStep::Kind::write:
        break;
    }
    writing_ = true;
    current_ = std::move(step.payload);
    ws_.text(step.text);
    ws_.async_write(net::buffer(current_),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->current_.clear();
                      if (self->done_ || self->half_open_ || self->closing_) return;
                      if (ec) return self->finish();
                      self->pump();
                    });
  }

  void arm(WsHub::Clock::time_point until) {
    if (armed_ && *armed_ == until) return;
    armed_ = until;
    timer_.expires_at(until);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // re-armed or cancelled
      self->armed_.reset();
      self->pump();
    });
  }

  // Stops reading and writing for good: the connection stays open on raw_, which only watches for
  // the client closing. Beast's pending operations finish with errors, ignored.
  void enter_half_open() {
    half_open_ = true;
    timer_.cancel();
    armed_.reset();
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    const auto protocol = socket.local_endpoint(ec).protocol();
    if (ec) return finish();
    const auto fd = socket.release(ec);
    if (!ec) raw_.assign(protocol, fd, ec);
    if (ec) return finish();
    read_raw();
  }

  void read_raw() {
    raw_.async_read_some(
        net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (self->done_) return;
          if (ec) return self->finish();  // the client closed: the slot frees
          self->read_raw();
        });
  }

  void start_close(std::uint16_t code, const std::string& reason) {
    closing_ = true;
    timer_.cancel();
    close_timer_.expires_after(kCloseTimeout);
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      beast::error_code ignored;  // the handshake never finished: drop the socket
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    });
    websocket::close_reason why(code);
    why.reason = reason;
    ws_.async_close(why,
                    [self = shared_from_this()](beast::error_code) { self->finish(); });
  }

  void finish() {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    close_timer_.cancel();
    hub_.closed(*conn_);
    beast::error_code ignored;
    for (tcp::socket* socket : {&beast::get_lowest_layer(ws_).socket(), &raw_}) {
      if (!socket->is_open()) continue;
      socket->shutdown(tcp::socket::shutdown_both, ignored);
      socket->close(ignored);
    }
  }

  websocket::stream<NextLayer> ws_;
  net::any_io_executor ex_;
  net::steady_timer timer_;        // the next delayed frame
  net::steady_timer close_timer_;  // bounds the close handshake
  tcp::socket raw_;                // the connection once half-open
  WsHub& hub_;
  WsConnPtr conn_;
  http::request<http::string_body> upgrade_;
  beast::flat_buffer buffer_;
  std::string current_;  // the frame being written
  std::array<char, 512> scratch_{};
  std::optional<WsHub::Clock::time_point> armed_;
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool half_open_ = false;
  bool done_ = false;
};

}  // namespace

void start_stream_session(tcp::socket socket, http::request<http::string_body> upgrade,
                          WsHub& hub) {
  std::make_shared<StreamSession<beast::tcp_stream>>(std::move(socket), hub)
      ->start(std::move(upgrade));
}

void start_stream_session(beast::ssl_stream<beast::tcp_stream> stream,
                          http::request<http::string_body> upgrade, WsHub& hub) {
  std::make_shared<StreamSession<beast::ssl_stream<beast::tcp_stream>>>(std::move(stream), hub)
      ->start(std::move(upgrade));
}

}  // namespace axion::testing::alpaca
