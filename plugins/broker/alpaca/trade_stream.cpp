#include "trade_stream.hpp"

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
#include <cctype>
#include <optional>
#include <thread>
#include <type_traits>

#include "rest_client.hpp"

namespace axion::alpaca {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using nlohmann::json;

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

std::string check_stream_url(std::string_view url) {
  auto u = parse_url(url);
  if (!u) return "'" + std::string(url) + "' is not a ws:// or wss:// URL";
  if (u->tls) return "";
  // The same rule as the REST base URL: plain text only to a loopback stand-in.
  if (is_loopback_host(u->host)) return "";
  return "'" + std::string(url) + "': ws:// is allowed only for a loopback host; use wss://";
}

std::string stream_url_for(std::string_view base_url) {
  std::string url(base_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::string l = lower(url);
  if (l.rfind("https://", 0) == 0) return "wss://" + url.substr(8) + "/stream";
  if (l.rfind("http://", 0) == 0) return "ws://" + url.substr(7) + "/stream";
  return url + "/stream";
}

struct TradeStream::Session {
  using Plain = websocket::stream<beast::tcp_stream>;
  using Tls = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  enum class Phase { Auth, Listen, Live };

  Session(TradeStream& owner, const sdk::Host& host, StreamSettings settings, Callbacks callbacks)
      : owner_(owner),
        host_(host),
        settings_(std::move(settings)),
        callbacks_(std::move(callbacks)),
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
    net::post(io_, [this] { connect(); });
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Session() {
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

  void connect() {
    if (stopping_) return;
    plain_.reset();
    tls_.reset();
    if (url_.tls) {
      tls_.emplace(io_, tls_ctx_);
    } else {
      plain_.emplace(io_);
    }
    phase_ = Phase::Auth;
    resolver_.async_resolve(url_.host, url_.port, [this](beast::error_code ec, tcp::resolver::results_type results) {
      if (ec) return fail("resolve " + url_.host + ": " + ec.message());
      with_ws([&](auto& ws) {
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
        beast::get_lowest_layer(ws).async_connect(results, [this](beast::error_code e, const tcp::endpoint&) {
          if (e) return fail("connect: " + e.message());
          if (tls_) {
            if (!SSL_set_tlsext_host_name(tls_->next_layer().native_handle(), url_.host.c_str())) {
              return fail("TLS: cannot set the server name");
            }
            // The chain is checked by verify_peer; the name on the certificate must be the host's.
            tls_->next_layer().set_verify_callback(ssl::host_name_verification(url_.host));
            tls_->next_layer().async_handshake(ssl::stream_base::client, [this](beast::error_code e2) {
              if (e2) return fail("TLS handshake: " + e2.message());
              upgrade();
            });
          } else {
            upgrade();
          }
        });
      });
    });
  }

  void upgrade() {
    with_ws([&](auto& ws) {
      beast::get_lowest_layer(ws).expires_never();  // the websocket stream keeps its own timeouts
      websocket::stream_base::timeout t{};
      t.handshake_timeout = std::chrono::seconds(10);
      t.idle_timeout = std::chrono::milliseconds(settings_.idle_timeout_ms);
      t.keep_alive_pings = true;
      ws.set_option(t);
      ws.async_handshake(url_.host, url_.path, [this](beast::error_code ec) {
        if (ec) return fail("websocket handshake: " + ec.message());
        // The keys travel in this message only; it is never logged.
        send(json{{"action", "authenticate"},
                  {"data", {{"key_id", settings_.key_id}, {"secret_key", settings_.secret_key}}}}
                 .dump());
      });
    });
  }

  void send(std::string text) {
    out_ = std::move(text);
    with_ws([&](auto& ws) {
      ws.text(true);
      ws.async_write(net::buffer(out_), [this](beast::error_code ec, std::size_t) {
        if (ec) return fail("write: " + ec.message());
        read();
      });
    });
  }

  void read() {
    with_ws([&](auto& ws) {
      ws.async_read(in_, [this](beast::error_code ec, std::size_t) {
        if (ec) return fail(ec == websocket::error::closed ? "closed by Alpaca" : "read: " + ec.message());
        const std::string text = beast::buffers_to_string(in_.data());
        in_.consume(in_.size());
        if (on_message(text)) read();
      });
    });
  }

  // False when the session failed (already handled).
  bool on_message(const std::string& text) {
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
      host_.warn("Alpaca trade stream: a message that is not a JSON object was ignored");
      return true;
    }
    const std::string stream = j.value("stream", "");
    const json data = j.value("data", json::object());
    switch (phase_) {
      case Phase::Auth: {
        if (stream != "authorization" || data.value("status", "") != "authorized") {
          const std::string why = data.value("message", data.value("status", std::string("no answer")));
          host_.error("Alpaca trade stream refused the connection (" + why +
                      "): check AXION_ALPACA_API_KEY / AXION_ALPACA_SECRET_KEY, and that no other "
                      "process holds the account's stream");
          fail("not authorized: " + why);
          return false;
        }
        phase_ = Phase::Listen;
        send(json{{"action", "listen"}, {"data", {{"streams", {"trade_updates"}}}}}.dump());
        return false;  // send() reads the answer
      }
      case Phase::Listen: {
        if (stream == "authorization") return true;  // a repeat of the answer above
        const json streams = data.value("streams", json::array());
        if (stream != "listening" || !streams.is_array() ||
            std::find(streams.begin(), streams.end(), json("trade_updates")) == streams.end()) {
          fail("Alpaca did not confirm listening to trade_updates: " + j.dump());
          return false;
        }
        phase_ = Phase::Live;
        backoff_ms_ = settings_.first_backoff_ms;
        owner_.listening_ = true;
        ++owner_.sessions_;
        host_.info("Alpaca trade stream listening");
        guard("on_listening", callbacks_.on_listening);
        return true;
      }
      case Phase::Live: {
        if (stream != "trade_updates") return true;
        try {
          const TradeUpdate u = parse_trade_update(data);
          guard("on_update", [&] {
            if (callbacks_.on_update) callbacks_.on_update(u);
          });
        } catch (const std::exception& e) {
          host_.warn(std::string("Alpaca trade update ignored: ") + e.what());
        }
        return true;
      }
    }
    return true;
  }

  // A throwing callback must not end the io thread (its run() would stop for good).
  template <class Fn>
  void guard(const char* what, Fn&& fn) {
    try {
      if constexpr (std::is_constructible_v<bool, Fn>) {
        if (fn) fn();
      } else {
        fn();
      }
    } catch (const std::exception& e) {
      host_.error(std::string("Alpaca trade stream: ") + what + " failed: " + e.what());
    } catch (...) {
      host_.error(std::string("Alpaca trade stream: ") + what + " failed");
    }
  }

  void fail(const std::string& why) {
    if (stopping_) return;
    const bool was_listening = owner_.listening_.exchange(false);
    close_socket();
    if (was_listening) {
      host_.warn("Alpaca trade stream lost (" + why + "); reconnecting");
      guard("on_down", [&] {
        if (callbacks_.on_down) callbacks_.on_down(why);
      });
    } else {
      host_.warn("Alpaca trade stream not connected (" + why + "); next try in " +
                 std::to_string(backoff_ms_) + " ms");
    }
    timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
    backoff_ms_ = std::min(settings_.max_backoff_ms, backoff_ms_ * 2);
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec) connect();
    });
  }

  TradeStream& owner_;
  const sdk::Host host_;
  const StreamSettings settings_;
  const Callbacks callbacks_;
  const ParsedUrl url_;
  net::io_context io_;
  ssl::context tls_ctx_;
  tcp::resolver resolver_;
  net::steady_timer timer_;
  std::optional<Plain> plain_;
  std::optional<Tls> tls_;
  beast::flat_buffer in_;
  std::string out_;
  Phase phase_ = Phase::Auth;
  std::int64_t backoff_ms_;
  bool stopping_ = false;  // io thread only
  std::thread thread_;
};

TradeStream::TradeStream(const sdk::Host& host, StreamSettings settings, Callbacks callbacks) {
  if (auto why = check_stream_url(settings.url); !why.empty()) throw std::invalid_argument(why);
  session_ = std::make_unique<Session>(*this, host, std::move(settings), std::move(callbacks));
}

TradeStream::~TradeStream() { session_.reset(); }

}  // namespace axion::alpaca
