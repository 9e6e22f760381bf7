// Boost 1.74 asio needs <utility> first under C++20 on g++ 12 (deps-notes P-17).
#include <utility>

#include "ws_test_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace axion::plugins::ws::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

struct TestClient::Impl {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  // A read that timed out stays outstanding and is picked up by the next read(): cancelling a
  // Beast websocket read would leave the stream unusable.
  bool read_pending = false;
  bool read_done = false;
  beast::error_code read_ec;

  // Runs the io_context until `done` or the timeout, without cancelling anything.
  bool wait(const bool& done, std::chrono::milliseconds timeout) {
    ioc.restart();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      ioc.run_one_for(deadline - now);
    }
    return done;
  }

  // Runs the io_context until `done` or the timeout; on timeout cancels the socket's
  // operations and lets them finish. Returns false on timeout.
  bool run_until(const bool& done, std::chrono::milliseconds timeout) {
    ioc.restart();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      ioc.run_one_for(deadline - now);
    }
    if (done) return true;
    beast::error_code ignored;
    ws.next_layer().cancel(ignored);
    ioc.restart();
    while (!done && ioc.run_one_for(std::chrono::seconds(1))) {
    }
    return false;
  }
};

TestClient::TestClient(std::uint16_t port, const std::string& target, int receive_buffer,
                       std::chrono::milliseconds timeout, std::vector<std::pair<std::string, std::string>> headers)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  auto& sock = s.ws.next_layer();
  sock.open(tcp::v4());
  if (receive_buffer > 0) sock.set_option(net::socket_base::receive_buffer_size(receive_buffer));
  bool done = false;
  beast::error_code ec;
  sock.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!s.run_until(done, timeout) || ec) throw std::runtime_error("connect failed: " + ec.message());
  done = false;
  if (!headers.empty()) {
    s.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
  }
  s.ws.async_handshake("127.0.0.1:" + std::to_string(port), target, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!s.run_until(done, timeout) || ec) throw std::runtime_error("handshake failed: " + ec.message());
}

TestClient::~TestClient() {
  beast::error_code ignored;
  impl_->ws.next_layer().close(ignored);
}

bool TestClient::is_open() const { return impl_->ws.is_open() && !closed_; }

std::optional<std::string> TestClient::read(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  if (closed_) return std::nullopt;
  if (!s.read_pending) {
    s.read_pending = true;
    s.read_done = false;
    s.ws.async_read(s.buffer, [&s](beast::error_code e, std::size_t) {
      s.read_ec = e;
      s.read_done = true;
    });
  }
  if (!s.wait(s.read_done, timeout)) return std::nullopt;
  s.read_pending = false;
  if (s.read_ec) {
    CloseInfo info;
    if (s.read_ec == websocket::error::closed) {
      info.code = static_cast<std::uint16_t>(s.ws.reason().code);
      info.reason = std::string(s.ws.reason().reason.c_str());
    } else {
      info.code = 1006;  // abnormal: no close frame
      info.reason = s.read_ec.message();
    }
    closed_ = info;
    return std::nullopt;
  }
  last_binary_ = s.ws.got_binary();
  std::string out = beast::buffers_to_string(s.buffer.data());
  s.buffer.consume(s.buffer.size());
  return out;
}

void TestClient::send_text(const std::string& text) {
  auto& s = *impl_;
  s.ws.text(true);
  bool done = false;
  beast::error_code ec;
  s.ws.async_write(net::buffer(text), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!s.wait(done, std::chrono::milliseconds(5000)) || ec) throw std::runtime_error("write failed");
}

void TestClient::send_binary(const std::string& data) {
  auto& s = *impl_;
  s.ws.binary(true);
  bool done = false;
  beast::error_code ec;
  s.ws.async_write(net::buffer(data), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  const bool ok = s.wait(done, std::chrono::milliseconds(5000));
  s.ws.text(true);
  if (!ok || ec) throw std::runtime_error("write failed");
}

std::optional<CloseInfo> TestClient::wait_close(std::chrono::milliseconds timeout,
                                                std::vector<std::string>* drained) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto m = read(left);
    if (m && drained) drained->push_back(std::move(*m));
    if (!m && !closed_) return std::nullopt;
  }
  return closed_;
}

void TestClient::close() {
  auto& s = *impl_;
  if (closed_ || !s.ws.is_open()) return;
  bool done = false;
  s.ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
  s.wait(done, std::chrono::milliseconds(2000));
  closed_ = CloseInfo{1000, ""};
}

std::uint16_t free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace axion::plugins::ws::testing
