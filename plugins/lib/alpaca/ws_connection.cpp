#include "ws_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
#include <stdexcept>
#include <thread>

#include "rest_client.hpp"

namespace axion::alpaca {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

struct ParsedUrl {
  bool tls = false;
  std::string host, port, path;
};

std::optional<ParsedUrl> parse_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  ParsedUrl u;
  const std::string scheme = lower(url.substr(0, sep));
  if (scheme == "wss") {
    u.tls = true;
  } else if (scheme != "ws") {
    return std::nullopt;
  }
  std::string_view rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  u.host = std::string(host);
  u.port = port.empty() ? (u.tls ? "443" : "80") : std::string(port);
  return u;
}

}  // namespace

std::string check_ws_url(std::string_view url) {
  auto u = parse_url(url);
  if (!u) return "'" + std::string(url) + "' is not a ws:// or wss:// URL";
  if (u->tls) return "";
  // The same rule as a REST base URL: plain text only to a loopback stand-in.
  if (is_loopback_host(u->host)) return "";
  return "'" + std::string(url) + "': ws:// is allowed only for a loopback host; use wss://";
}

struct WsConnection::Session {
  using Plain = websocket::stream<beast::tcp_stream>;
  using Tls = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

  Session(const sdk::Host& host, WsSettings settings, Handlers handlers)
      : host_(host),
        settings_(std::move(settings)),
        handlers_(std::move(handlers)),
        url_(*parse_url(settings_.url)),
        tls_ctx_(ssl::context::tls_client),
        resolver_(io_),
        timer_(io_),
        backoff_ms_(settings_.first_backoff_ms) {
    tls_ctx_.set_verify_mode(ssl::verify_peer);
    if (settings_.ca_file.empty()) {
      tls_ctx_.set_default_verify_paths();
    } else {
      tls_ctx_.load_verify_file(settings_.ca_file);
    }
  }

  // Apart from the constructor: a handler may call back into the WsConnection that owns this.
  void start() {
    net::post(io_, [this] { connect(); });
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Session() { stop(); }

  void stop() {
    if (!thread_.joinable()) return;
    net::post(io_, [this] {
      stopping_ = true;
      timer_.cancel();
      resolver_.cancel();
      close_socket();
      // The websocket's own ping timer would keep run() going for up to half the idle timeout.
      io_.stop();
    });
    thread_.join();
  }

  template <class Fn>
  void with_ws(Fn&& fn) {
    if (plain_) {
      fn(*plain_);
    } else if (tls_) {
      fn(*tls_);
    }
  }

  void close_socket() {
    beast::error_code ec;
    if (plain_) beast::get_lowest_layer(*plain_).socket().close(ec);
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ec);
  }

  // Completions of an earlier connection (aborted by its close) must not touch the current one.
  bool stale(std::uint64_t generation) const { return stopping_ || generation != generation_; }

  void connect() {
    if (stopping_ || given_up_.load()) return;
    const std::uint64_t gen = ++generation_;
    plain_.reset();
    tls_.reset();
    out_.clear();
    writing_ = false;
    opened_ = false;
    in_.consume(in_.size());
    if (url_.tls) {
      tls_.emplace(io_, tls_ctx_);
    } else {
      plain_.emplace(io_);
    }
    resolver_.async_resolve(url_.host, url_.port, [this, gen](beast::error_code ec, tcp::resolver::results_type results) {
      if (stale(gen)) return;
      if (ec) return drop("resolve " + url_.host + ": " + ec.message());
      with_ws([&](auto& ws) {
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
        beast::get_lowest_layer(ws).async_connect(results, [this, gen](beast::error_code e, const tcp::endpoint&) {
          if (stale(gen)) return;
          if (e) return drop("connect: " + e.message());
          if (!tls_) return upgrade(gen);
          if (!SSL_set_tlsext_host_name(tls_->next_layer().native_handle(), url_.host.c_str())) {
            return drop("TLS: cannot set the server name");
          }
          // The chain is checked by verify_peer; the name on the certificate must be the host's.
          tls_->next_layer().set_verify_callback(ssl::host_name_verification(url_.host));
          tls_->next_layer().async_handshake(ssl::stream_base::client, [this, gen](beast::error_code e2) {
            if (stale(gen)) return;
            if (e2) return drop("TLS handshake: " + e2.message());
            upgrade(gen);
          });
        });
      });
    });
  }

  void upgrade(std::uint64_t gen) {
    with_ws([&](auto& ws) {
      beast::get_lowest_layer(ws).expires_never();  // the websocket stream keeps its own timeouts
      websocket::stream_base::timeout t{};
      t.handshake_timeout = std::chrono::seconds(10);
      t.idle_timeout = std::chrono::milliseconds(settings_.idle_timeout_ms);
      t.keep_alive_pings = true;
      ws.set_option(t);
      ws.text(true);
      ws.async_handshake(url_.host, url_.path, [this, gen](beast::error_code ec) {
        if (stale(gen)) return;
        if (ec) return drop("websocket handshake: " + ec.message());
        opened_ = true;
        read(gen);
        guard("on_open", [&] {
          if (handlers_.on_open) handlers_.on_open();
        });
      });
    });
  }

  void send(std::string text) {
    if (!opened_) return;
    out_.push_back(std::move(text));
    if (!writing_) write(generation_);
  }

  void write(std::uint64_t gen) {
    writing_ = true;
    with_ws([&](auto& ws) {
      ws.async_write(net::buffer(out_.front()), [this, gen](beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        if (ec) return drop("write: " + ec.message());
        out_.pop_front();
        writing_ = false;
        if (!out_.empty()) write(gen);
      });
    });
  }

  void read(std::uint64_t gen) {
    with_ws([&](auto& ws) {
      ws.async_read(in_, [this, gen](beast::error_code ec, std::size_t) {
        if (stale(gen)) return;
        if (ec) return drop(ec == websocket::error::closed ? "closed by the server" : "read: " + ec.message());
        const std::string text = beast::buffers_to_string(in_.data());
        in_.consume(in_.size());
        guard("on_message", [&] {
          if (handlers_.on_message) handlers_.on_message(text);
        });
        // The handler may have dropped this connection (a new generation) or given up.
        if (!stale(gen) && !given_up_.load()) read(gen);
      });
    });
  }

  // A throwing handler must not end the io thread (its run() would stop for good).
  template <class Fn>
  void guard(const char* what, Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      host_.error(settings_.name + ": " + what + " failed: " + e.what());
    } catch (...) {
      host_.error(settings_.name + ": " + what + " failed");
    }
  }

  // Ends the current connection; tells the owner when it had opened.
  void end(const std::string& why) {
    ++generation_;  // completions still pending belong to the closed connection
    close_socket();
    const bool was_open = std::exchange(opened_, false);
    out_.clear();
    writing_ = false;
    if (was_open) {
      guard("on_closed", [&] {
        if (handlers_.on_closed) handlers_.on_closed(why);
      });
    }
  }

  void drop(const std::string& why) {
    if (stopping_ || given_up_.load()) return;
    end(why);
    host_.warn(settings_.name + ": " + why + "; next try in " + std::to_string(backoff_ms_) + " ms");
    timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
    backoff_ms_ = std::min(settings_.max_backoff_ms, backoff_ms_ * 2);
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec) connect();
    });
  }

  void give_up(const std::string& why) {
    if (stopping_ || given_up_.exchange(true)) return;
    host_.error(settings_.name + ": " + why + " (not retried)");
    timer_.cancel();
    end(why);
  }

  const sdk::Host host_;
  const WsSettings settings_;
  const Handlers handlers_;
  const ParsedUrl url_;
  net::io_context io_;
  ssl::context tls_ctx_;
  tcp::resolver resolver_;
  net::steady_timer timer_;
  std::optional<Plain> plain_;
  std::optional<Tls> tls_;
  beast::flat_buffer in_;
  std::deque<std::string> out_;  // the front one is being written while writing_
  bool writing_ = false;
  bool opened_ = false;
  std::uint64_t generation_ = 0;
  std::int64_t backoff_ms_;
  bool stopping_ = false;  // io thread only
  std::atomic<bool> given_up_{false};
  std::thread thread_;
};

WsConnection::WsConnection(const sdk::Host& host, WsSettings settings, Handlers handlers) {
  if (auto why = check_ws_url(settings.url); !why.empty()) throw std::invalid_argument(why);
  session_ = std::make_unique<Session>(host, std::move(settings), std::move(handlers));
}

void WsConnection::start() { session_->start(); }

WsConnection::~WsConnection() { stop(); }

void WsConnection::stop() {
  // The thread ends before anything is destroyed: a handler running now may still call back
  // into this object and its owner.
  if (session_) session_->stop();
}

void WsConnection::send(std::string text) { session_->send(std::move(text)); }
void WsConnection::reconnect(const std::string& why) { session_->drop(why); }
void WsConnection::give_up(const std::string& why) { session_->give_up(why); }
void WsConnection::reset_backoff() { session_->backoff_ms_ = session_->settings_.first_backoff_ms; }
bool WsConnection::given_up() const { return session_->given_up_.load(); }

}  // namespace axion::alpaca
