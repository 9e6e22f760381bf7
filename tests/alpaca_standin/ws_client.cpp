// Boost 1.74 asio needs <utility> first under C++20 on g++ 12 (deps-notes P-17).
#include <utility>

#include "ws_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <stdexcept>

namespace axion::testing::alpaca::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr auto kWriteTimeout = std::chrono::seconds(5);
constexpr auto kCloseTimeout = std::chrono::seconds(3);

// Runs `ioc`'s handlers until `done()` holds or `within` has passed; false on timeout.
template <class Done>
bool run_until(net::io_context& ioc, Done done, std::chrono::milliseconds within) {
  const auto until = Clock::now() + within;
  if (ioc.stopped()) ioc.restart();
  while (!done()) {
    if (Clock::now() >= until) return false;
    if (ioc.run_one_until(until) == 0 && ioc.stopped()) {  // out of work: nothing more happens
      ioc.restart();
      return done();
    }
  }
  return true;
}

}  // namespace

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::deque<WsMessage> messages;
  std::optional<beast::error_code> ended;  // why the read loop stopped
  int pongs = 0;
  std::string out;  // the frame being written
  bool writing = false;
  beast::error_code write_ec;
  bool closed = false;  // our close handshake completed

  void read() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        ended = ec;
        return;
      }
      messages.push_back(WsMessage{beast::buffers_to_string(buffer.data()), ws.got_binary()});
      buffer.consume(buffer.size());
      read();
    });
  }
};

WsClient::WsClient(std::uint16_t port, const std::string& target)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  auto& lowest = beast::get_lowest_layer(s.ws);
  std::optional<beast::error_code> result;
  lowest.expires_after(kConnectTimeout);
  lowest.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code ec) { result = ec; });
  run_until(s.ioc, [&] { return result.has_value(); }, kConnectTimeout);
  if (!result || *result)
    throw std::runtime_error("ws connect failed: " + (result ? result->message() : "timeout"));
  lowest.expires_never();  // the websocket stream has its own timeouts from here

  websocket::stream_base::timeout t{};
  t.handshake_timeout = kConnectTimeout;
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
  s.ws.set_option(t);
  s.ws.control_callback([&s](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ++s.pongs;
  });
  result.reset();
  s.ws.async_handshake("127.0.0.1:" + std::to_string(port), target,
                       [&](beast::error_code ec) { result = ec; });
  run_until(s.ioc, [&] { return result.has_value(); }, kConnectTimeout);
  if (!result || *result)
    throw std::runtime_error("ws handshake failed: " + (result ? result->message() : "timeout"));
  s.read();
}

WsClient::~WsClient() { abort(); }

void WsClient::send(const std::string& text) {
  auto& s = *impl_;
  if (s.writing) throw std::runtime_error("ws send: the previous write never completed");
  s.out = text;
  s.writing = true;
  s.ws.text(true);
  s.ws.async_write(net::buffer(s.out), [&s](beast::error_code ec, std::size_t) {
    s.writing = false;
    s.write_ec = ec;
  });
  if (!run_until(s.ioc, [&] { return !s.writing; }, kWriteTimeout))
    throw std::runtime_error("ws send timed out");
  if (s.write_ec) throw std::runtime_error("ws send failed: " + s.write_ec.message());
}

std::optional<WsMessage> WsClient::receive(std::chrono::milliseconds within) {
  auto& s = *impl_;
  run_until(s.ioc, [&] { return !s.messages.empty() || s.ended; }, within);
  if (s.messages.empty()) return std::nullopt;
  WsMessage m = std::move(s.messages.front());
  s.messages.pop_front();
  return m;
}

bool WsClient::wait_closed(std::chrono::milliseconds within) {
  auto& s = *impl_;
  return run_until(s.ioc, [&] { return s.ended.has_value(); }, within);
}

bool WsClient::ended() const { return impl_->ended.has_value(); }

std::uint16_t WsClient::close_code() const { return impl_->ws.reason().code; }

bool WsClient::ping(std::chrono::milliseconds within) {
  auto& s = *impl_;
  const int before = s.pongs;
  s.ws.async_ping({}, [](beast::error_code) {});
  return run_until(s.ioc, [&] { return s.pongs > before; }, within);
}

void WsClient::close() {
  auto& s = *impl_;
  if (s.ended) return;
  s.ws.async_close(websocket::close_code::normal, [&s](beast::error_code) { s.closed = true; });
  const auto finished = [&] { return s.closed && s.ended; };
  if (!run_until(s.ioc, finished, kCloseTimeout)) {
    abort();  // the server never answered: drop it, and let the handlers finish
    run_until(s.ioc, finished, kCloseTimeout);
  }
}

void WsClient::abort() {
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
}

RestAnswer rest(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& body, const RestKeys& keys) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(10));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!keys.key_id.empty()) {
    req.set("APCA-API-KEY-ID", keys.key_id);
    req.set("APCA-API-SECRET-KEY", keys.secret_key);
  }
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  beast::error_code ec;
  stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code e) {
                         if ((ec = e)) return;
                         http::async_write(stream, req, [&](beast::error_code we, std::size_t) {
                           if ((ec = we)) return;
                           http::async_read(stream, buffer, res,
                                            [&](beast::error_code re, std::size_t) { ec = re; });
                         });
                       });
  ioc.run();  // the stream's expiry bounds it
  if (ec) throw std::runtime_error(method + " " + target + " failed: " + ec.message());
  RestAnswer out{static_cast<int>(res.result_int()), res.body(), {}};
  for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
  return out;
}

}  // namespace axion::testing::alpaca::test
