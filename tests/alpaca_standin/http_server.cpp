// The HTTP half of the stand-in's server (Boost.Beast, with stream_session.cpp the only files that
// include it: slow to compile). A request that asks for a websocket upgrade to a stream's path
// (/stream, /v2/iex, /v2/sip) is handed over to a stream session on that path's hub. With TLS
// files every connection is HTTPS (and the streams WSS) on the same port; one Session template
// serves both kinds.
//
// Boost 1.74 asio's awaitable.hpp uses std::exchange without including <utility>, which g++ 12
// rejects under C++20 (deps-notes P-17); including it first is enough.
#include <utility>

#include "http_server.hpp"

#include <strings.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>

#include "stream_session.hpp"

namespace axion::testing::alpaca {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr auto kTlsHandshakeTimeout = std::chrono::seconds(10);
// A keep-alive connection idle this long is closed (clients reconnect), as real servers do.
constexpr auto kIdleTimeout = std::chrono::seconds(90);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr std::uint64_t kBodyLimit = 1 << 20;

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
  }
  return nullptr;
}

struct HttpServer::Impl {
  Handler handler;
  std::vector<WsRoute> streams;
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>(1);
  std::optional<ssl::context> tls;  // set: every connection is TLS
  std::optional<tcp::acceptor> acceptor;
  std::thread thread;
  std::uint16_t port = 0;

  void do_accept();
  // The hub serving websocket upgrades to `path`, or nullptr.
  WsHub* stream_for(std::string_view path) const {
    for (const WsRoute& r : streams) {
      if (r.path == path) return r.hub;
    }
    return nullptr;
  }
};

namespace {

// One connection, plain (Stream = beast::tcp_stream) or TLS (beast::ssl_stream over it): the
// two differ only in the handshake first and in how the connection is handed to the stream.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;

 public:
  // `args` build the stream: a socket, or a socket and the TLS context.
  template <class... Args>
  explicit Session(HttpServer::Impl& server, Args&&... args)
      : stream_(std::forward<Args>(args)...), delay_(stream_.get_executor()), server_(server) {}

  void start() {
    if constexpr (kTls) {
      tcp_layer().expires_after(kTlsHandshakeTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                // A client that rejects the certificate ends here: only this
                                // connection closes.
                                if (ec) return self->close();
                                self->read();
                              });
    } else {
      read();
    }
  }

 private:
  beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

  void read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    tcp_layer().expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec)
                         self->on_request();
                       else
                         self->close();  // end of stream, timeout, or a request it cannot parse
                     });
  }

  void on_request() {
    const auto& req = parser_->get();
    if (beast::websocket::is_upgrade(req)) {
      const std::string_view target(req.target().data(), req.target().size());
      if (WsHub* hub = server_.stream_for(target.substr(0, target.find('?')))) {
        // The connection becomes the stream's; this session ends here.
        if constexpr (kTls) {
          tcp_layer().expires_never();  // the websocket keeps its own timeouts
          return start_stream_session(std::move(stream_), parser_->release(), *hub);
        } else {
          return start_stream_session(stream_.release_socket(), parser_->release(), *hub);
        }
      }
    }
    HttpRequest in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    for (const auto& field : req) {
      auto [it, fresh] =
          in.headers.emplace(std::string(field.name_string()), std::string(field.value()));
      if (!fresh) it->second += ", " + std::string(field.value());
    }
    in.body = req.body();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();

    HttpResponse out;
    try {
      out = server_.handler(in);
    } catch (...) {  // the stand-in answers its own errors; this is the last resort
      out = HttpResponse{
          500, R"({"code":50010000,"message":"internal server error occurred"})", {}, {}};
    }

    res_ = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), version);
    res_->set(http::field::server, "axion-alpaca-standin");
    res_->set(http::field::content_type, "application/json");
    for (const auto& [name, value] : out.headers) res_->set(name, value);
    res_->keep_alive(keep_alive);
    if (out.status != 204) {  // a 204 carries no body and no Content-Length (RFC 9110 §8.6)
      res_->body() = std::move(out.body);
      res_->prepare_payload();
    }
    if (out.delay.count() > 0) {
      // Only this connection waits: the timer runs on the io thread with everything else.
      tcp_layer().expires_never();
      delay_.expires_after(out.delay);
      delay_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->write();
      });
      return;
    }
    write();
  }

  void write() {
    tcp_layer().expires_after(kWriteTimeout);
    http::async_write(stream_, *res_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        const bool again = self->res_->keep_alive();
                        self->res_.reset();
                        if (again) return self->read();
                        // TCP only, also under TLS: the answer's length is known, and a client
                        // need not wait for a close_notify.
                        beast::error_code ignored;
                        self->tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
                      });
  }

  void close() {
    beast::error_code ignored;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_layer().socket().close(ignored);
  }

  Stream stream_;
  net::steady_timer delay_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
};

}  // namespace

void HttpServer::Impl::do_accept() {
  acceptor->async_accept(*ioc, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec && tls) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(socket),
                                                                      *tls)
          ->start();
    } else if (!ec) {
      std::make_shared<Session<beast::tcp_stream>>(*this, std::move(socket))->start();
    }
    do_accept();
  });
}

HttpServer::HttpServer(Handler handler, std::vector<WsRoute> streams, TlsFiles tls)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.handler = std::move(handler);
  s.streams = std::move(streams);
  if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    try {
      s.tls.emplace(ssl::context::tls_server);
      s.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
      s.tls->use_certificate_chain_file(tls.cert_file);
      s.tls->use_private_key_file(tls.key_file, ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("alpaca stand-in cannot load its TLS certificate or key: " +
                               std::string(e.what()));
    }
  }
  beast::error_code ec;
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"),
                         0);  // port 0: the system picks a free one
  s.acceptor.emplace(*s.ioc);
  s.acceptor->open(ep.protocol(), ec);
  if (!ec) s.acceptor->bind(ep, ec);
  if (!ec) s.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (!ec) s.port = s.acceptor->local_endpoint(ec).port();
  if (ec) throw std::runtime_error("alpaca stand-in cannot listen on 127.0.0.1: " + ec.message());
  s.do_accept();
  net::io_context* ioc = s.ioc.get();
  s.thread = std::thread([ioc] {
    for (;;) {
      try {
        ioc->run();
        return;
      } catch (...) {
        // A handler threw past its session (should not happen): keep serving the others.
      }
    }
  });
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return impl_->port; }

bool HttpServer::tls() const { return impl_->tls.has_value(); }

void HttpServer::stop() {
  auto& s = *impl_;
  if (!s.ioc) return;
  s.ioc->stop();
  if (s.thread.joinable()) s.thread.join();
  // The thread is joined: destroying the io_context destroys the sessions its pending handlers
  // own, which closes their sockets. The acceptor goes first, it uses the context's services.
  s.acceptor.reset();
  s.ioc.reset();
}

}  // namespace axion::testing::alpaca
