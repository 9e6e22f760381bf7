// The only translation unit of the plugin that includes Boost.Beast.
//
// Boost 1.74 asio's awaitable.hpp uses std::exchange without including <utility>, which g++ 12
// rejects under C++20 (deps-notes P-17); including it first is enough.
#include <utility>

#include "server.hpp"

#include <atomic>
#include <charconv>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "axion/sdk/error.hpp"
#include "protocol.hpp"

namespace axion::plugins::ws {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

// How long an HTTP upgrade request may take to arrive, and how long a close handshake may wait
// (a slow client's stuck write included) before the socket is simply dropped.
constexpr auto kRequestTimeout = std::chrono::seconds(30);
constexpr auto kCloseTimeout = std::chrono::seconds(5);
// A message read before authentication can only be {"action":"auth","token":"ax_…"}.
constexpr std::size_t kPreAuthMessageMax = 1024;

std::optional<std::int64_t> parse_since(const std::optional<std::string>& s) {
  if (!s || s->empty()) return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || end != s->data() + s->size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Hub& hub;
  Authenticate authenticate;
  Tick tick;

  std::unique_ptr<net::io_context> ioc;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> tick_timer;
  std::optional<net::steady_timer> accept_retry;
  std::vector<std::thread> threads;
  std::atomic<bool> running{false};
  std::atomic<std::size_t> sessions{0};  // open sockets, for max_connections

  Impl(ServerOptions o, Hub& h, Authenticate a, Tick t)
      : options(std::move(o)), hub(h), authenticate(std::move(a)), tick(std::move(t)) {}

  void do_accept();
  void refuse_busy(tcp::socket socket);
  void arm_tick();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server)
      : ws_(std::move(socket)), ex_(ws_.get_executor()), close_timer_(ex_), auth_timer_(ex_), server_(server) {
    ++server_.sessions;
  }

  ~Session() {
    if (conn_) server_.hub.detach(conn_);
    --server_.sessions;
  }

  void run() {
    net::dispatch(ex_, [self = shared_from_this()] { self->read_request(); });
  }

 private:
  void read_request() {
    beast::get_lowest_layer(ws_).expires_after(kRequestTimeout);
    http::async_read(ws_.next_layer(), buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->on_request();
                     });
  }

  void on_request() {
    const std::string_view target(req_.target().data(), req_.target().size());
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    query_ = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
    if (auto h = req_.find("X-API-Key"); h != req_.end()) header_key_ = std::string(h->value());
    if (path != server_.options.path) return send_http(http::status::not_found, R"({"detail":"Not Found"})");
    if (!websocket::is_upgrade(req_)) {
      return send_http(http::status::upgrade_required, R"({"detail":"Upgrade Required"})");
    }
    beast::get_lowest_layer(ws_).expires_never();  // the websocket stream has its own timeouts
    websocket::stream_base::timeout t{};
    t.handshake_timeout = kCloseTimeout;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    // Accept first, always: refusals are close codes the client can read (§4.2), not HTTP 403.
    ws_.async_accept(req_, [self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_accept();
    });
  }

  void send_http(http::status status, std::string body) {
    auto res = std::make_shared<http::response<http::string_body>>(status, req_.version());
    res->set(http::field::content_type, "application/json");
    res->keep_alive(false);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(ws_.next_layer(), *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  AuthResult authenticate() {
    try {
      return server_.authenticate(params_);
    } catch (...) {
      AuthResult refused;  // fails closed
      refused.close_code = kCloseAuth;
      refused.close_reason = "Invalid or expired token";
      return refused;
    }
  }

  void on_accept() {
    // The header keeps the key out of URLs (and so out of proxies' access logs); ?token= still works.
    params_.token = header_key_ ? header_key_ : query_param(query_, "token");
    params_.user_id = query_param(query_, "user_id");
    params_.since = parse_since(query_param(query_, "since"));
    AuthResult auth = authenticate();

    conn_ = std::make_shared<Connection>();
    conn_->id = new_connection_id();
    // Holds no asio object: a Connection may outlive the io_context (the hub drops it later).
    conn_->wake = [weak = weak_from_this()] {
      if (auto self = weak.lock()) net::post(self->ex_, [self] { self->pump(); });
    };
    ws_.text(true);
    // Until a connection is admitted nothing it sends is larger than an auth message.
    ws_.read_message_max(kPreAuthMessageMax);
    if (auth.pending) {
      // No token yet: the first message must carry it, small and soon.
      pending_ = auth;
      auth_timer_.expires_after(server_.options.auth_timeout);
      auth_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec || !self->pending_) return;
        auto refused = *self->pending_;
        self->pending_.reset();
        self->admit(refused);
      });
      return do_read();
    }
    do_read();
    admit(auth);
  }

  // Attaches an authenticated connection to the hub, or starts the refusal's close.
  void admit(const AuthResult& auth) {
    if (!auth.ok) {
      server_.hub.request_close(conn_, auth.close_code, auth.close_reason);
    } else {
      authenticated_ = true;
      ws_.read_message_max(server_.options.max_message_bytes);
      conn_->user_id = auth.user_id;
      conn_->key_id = auth.key_id;
      conn_->token = auth.token;
      server_.hub.attach(conn_, params_.since, std::chrono::steady_clock::now());
    }
    pump();
  }

  // The first message of a connection that brought no token: only an auth message is parsed.
  void on_auth_message() {
    const auto data = buffer_.cdata();
    std::optional<std::string> token;
    if (ws_.got_text()) token = auth_message_token(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());
    AuthResult auth = *pending_;  // refused with "Missing authentication token" unless…
    pending_.reset();
    auth_timer_.cancel();
    if (token && !token->empty()) {
      params_.token = token;
      auth = authenticate();
      if (auth.pending) {  // cannot happen with a token; never admit on it
        auth = AuthResult{};
        auth.close_code = kCloseAuth;
        auth.close_reason = "Invalid or expired token";
      }
    }
    admit(auth);
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) return finish();
    if (pending_) {
      on_auth_message();
      return do_read();
    }
    if (!authenticated_) {
      // Refused or timed out: its messages are dropped unparsed while the close completes.
      buffer_.consume(buffer_.size());
      return do_read();
    }
    const auto now = std::chrono::steady_clock::now();
    if (ws_.got_text()) {
      const auto data = buffer_.cdata();
      server_.hub.handle_text(
          *conn_, std::string_view(static_cast<const char*>(data.data()), data.size()), now);
    } else {
      server_.hub.handle_binary(*conn_, now);
    }
    buffer_.consume(buffer_.size());
    pump();
    do_read();
  }

  // Writes queued frames one at a time (Beast allows one outstanding write per stream) and
  // starts a requested close, even while a write is stuck on a client that stopped reading.
  void pump() {
    if (!conn_ || closing_) return;
    auto n = server_.hub.next(*conn_, !writing_);
    if (n.close) return start_close(n.code, n.reason);
    if (!n.frame) return;
    writing_ = true;
    current_ = std::move(n.frame);
    ws_.async_write(net::buffer(*current_), [self = shared_from_this()](beast::error_code wec, std::size_t) {
      self->writing_ = false;
      self->current_.reset();
      if (!wec) self->pump();
    });
  }

  void start_close(std::uint16_t code, const std::string& reason) {
    closing_ = true;
    close_timer_.expires_after(kCloseTimeout);
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) beast::get_lowest_layer(self->ws_).close();  // handshake never finished: drop it
    });
    websocket::close_reason cr(code);
    cr.reason = reason;
    ws_.async_close(cr, [self = shared_from_this()](beast::error_code) {});
  }

  void finish() {
    close_timer_.cancel();
    auth_timer_.cancel();
    if (conn_) server_.hub.detach(conn_);
    if (!closing_) {
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  net::any_io_executor ex_;
  net::steady_timer close_timer_;
  net::steady_timer auth_timer_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  std::string query_;
  std::optional<std::string> header_key_;
  ConnectParams params_;
  std::optional<AuthResult> pending_;  // waiting for the auth message; the refusal if none comes
  bool authenticated_ = false;
  ConnectionPtr conn_;
  Frame current_;
  bool writing_ = false;
  bool closing_ = false;
};

}  // namespace

void Server::Impl::do_accept() {
  acceptor->async_accept(net::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      if (sessions.load() >= options.max_connections) {
        refuse_busy(std::move(socket));
      } else {
        std::make_shared<Session>(std::move(socket), *this)->run();
      }
      return do_accept();
    }
    // e.g. out of file descriptors: retry shortly instead of spinning.
    accept_retry->expires_after(std::chrono::milliseconds(100));
    accept_retry->async_wait([this](beast::error_code wec) {
      if (!wec) do_accept();
    });
  });
}

void Server::Impl::refuse_busy(tcp::socket socket) {
  // Answered without reading the request: a plain HTTP refusal a client can report.
  static const std::string kBody = R"({"detail":"Too many connections"})";
  static const std::string kReply = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                    "Content-Length: " + std::to_string(kBody.size()) +
                                    "\r\nConnection: close\r\n\r\n" + kBody;
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  net::async_write(*sock, net::buffer(kReply), [sock](beast::error_code, std::size_t) {
    beast::error_code ignored;
    sock->shutdown(tcp::socket::shutdown_send, ignored);
    sock->close(ignored);
  });
}

void Server::Impl::arm_tick() {
  tick_timer->expires_after(options.tick_interval);
  tick_timer->async_wait([this](beast::error_code ec) {
    if (ec) return;
    if (tick) tick();
    arm_tick();
  });
}

Server::Server(ServerOptions options, Hub& hub, Authenticate authenticate, Tick tick)
    : impl_(std::make_unique<Impl>(std::move(options), hub, std::move(authenticate), std::move(tick))) {}

Server::~Server() { stop(); }

bool Server::valid_address(const std::string& address) {
  beast::error_code ec;
  net::ip::make_address(address, ec);
  return !ec;
}

bool Server::running() const { return impl_->running; }

void Server::start() {
  auto& s = *impl_;
  if (s.running) return;
  const int threads = std::max(1, s.options.io_threads);
  s.ioc = std::make_unique<net::io_context>(threads);
  const std::string where = s.options.bind + ":" + std::to_string(s.options.port);

  beast::error_code ec;
  const auto address = net::ip::make_address(s.options.bind, ec);
  if (ec) throw sdk::Error("addon/ws: `bind` is not an IP address: " + s.options.bind, "bind");
  const tcp::endpoint ep(address, s.options.port);
  s.acceptor.emplace(net::make_strand(*s.ioc));
  s.acceptor->open(ep.protocol(), ec);
  if (!ec) s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(ep, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    s.acceptor.reset();
    s.ioc.reset();
    throw sdk::Error("addon/ws cannot listen on " + where + " (`port` " + std::to_string(s.options.port) +
                         "): " + ec.message(),
                     "port");
  }
  s.tick_timer.emplace(s.acceptor->get_executor());
  s.accept_retry.emplace(s.acceptor->get_executor());

  net::io_context* ioc = s.ioc.get();
  Hub* hub = &s.hub;
  s.hub.set_scheduler([ioc, hub] { net::post(*ioc, [hub] { hub->dispatch(); }); });

  s.do_accept();
  s.arm_tick();
  s.running = true;
  for (int i = 0; i < threads; ++i) {
    s.threads.emplace_back([ioc] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (...) {
          // A handler threw (should not happen): keep serving the other connections.
        }
      }
    });
  }
}

void Server::stop() {
  auto& s = *impl_;
  if (!s.ioc) return;
  s.running = false;
  s.ioc->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  s.hub.set_scheduler(nullptr);
  s.hub.detach_all();
  // Threads are joined, so these can be torn down from here; destroying the io_context
  // destroys the sessions still owned by its pending handlers (their sockets close).
  s.tick_timer.reset();
  s.accept_retry.reset();
  s.acceptor.reset();
  s.ioc.reset();
}

}  // namespace axion::plugins::ws
