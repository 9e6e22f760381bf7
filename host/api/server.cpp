#include "api/server.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace axion::api {

namespace Http = Pistache::Http;
namespace Tcp = Pistache::Tcp;

namespace {

constexpr const char* kConnKey = "axion.api.conn";
// Room for the request line and headers on top of the body limit.
constexpr std::size_t kHeaderSlack = 64 * 1024;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// A response header with a name chosen at run time (Pistache only ships typed headers).
class DynHeader : public Http::Header::Header {
 public:
  DynHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  std::uint64_t hash() const override { return Http::Header::detail::hash(name_.c_str()); }

 private:
  std::string name_;
  std::string value_;
};

// Header values from clients are echoed (X-Request-ID): keep them printable and short.
std::string sanitize_echo(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c >= 0x20 && c != 0x7f) out += c;
    if (out.size() >= 200) break;
  }
  return out;
}

std::string new_request_id() {
  auto h = core::random_hex(16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

const std::vector<std::string> kCorsMethods = {"GET", "POST", "PUT", "DELETE", "OPTIONS"};
const std::vector<std::string> kCorsHeaders = {"Authorization", "Content-Type", "X-API-Key", "X-Request-ID",
                                               "X-Workspace-ID"};
// CORS-safelisted request headers are always allowed (as Starlette's CORSMiddleware does).
const std::vector<std::string> kSafelisted = {"accept", "accept-language", "content-language", "content-type"};

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

struct Conn {
  bool closing = false;  // after a 413 or a malformed request: input is discarded
};

}  // namespace

void ServerOptions::read_environment() {
  if (const char* o = std::getenv("AXION_CORS_ORIGINS")) {
    std::vector<std::string> list;
    std::stringstream ss(o);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item = trim(item);
      if (!item.empty()) list.push_back(item);
    }
    if (!list.empty()) cors_origins = list;
  }
  if (const char* h = std::getenv("AXION_ENABLE_HSTS")) hsts = lower(trim(h)) == "true";
}

struct Server::Impl {
  ServerOptions opts;
  std::shared_ptr<const Router> router;
  Security sec;
  std::shared_ptr<ApiStats> stats;
  std::unique_ptr<Http::Endpoint> endpoint;
  bool running = false;
  std::atomic<int> bound_port{0};  // the port actually bound (differs from opts.port when that is 0)

  bool origin_allowed(const std::string& origin) const {
    return std::find(opts.cors_origins.begin(), opts.cors_origins.end(), origin) != opts.cors_origins.end() ||
           std::find(opts.cors_origins.begin(), opts.cors_origins.end(), "*") != opts.cors_origins.end();
  }

  // CORS preflight (an OPTIONS with Origin and Access-Control-Request-Method), answered before
  // routing like Starlette's CORSMiddleware.
  Reply preflight(const Request& r, const std::string& origin) const {
    std::vector<std::string> failures;
    if (!origin_allowed(origin)) failures.push_back("origin");
    auto method = r.header("access-control-request-method").value_or("");
    if (std::find(kCorsMethods.begin(), kCorsMethods.end(), method) == kCorsMethods.end()) {
      failures.push_back("method");
    }
    if (auto req_headers = r.header("access-control-request-headers")) {
      std::stringstream ss(*req_headers);
      std::string h;
      while (std::getline(ss, h, ',')) {
        h = lower(trim(h));
        if (h.empty()) continue;
        bool ok = std::find(kSafelisted.begin(), kSafelisted.end(), h) != kSafelisted.end();
        for (const auto& a : kCorsHeaders) ok = ok || lower(a) == h;
        if (!ok) {
          failures.push_back("headers");
          break;
        }
      }
    }
    Reply reply = failures.empty() ? message_reply("OK")
                                   : error_reply(400, "Disallowed CORS " + join(failures, ", "));
    if (failures.empty() || origin_allowed(origin)) {
      reply.set_header("Access-Control-Allow-Origin", origin);
      reply.set_header("Access-Control-Allow-Credentials", "true");
    }
    reply.set_header("Access-Control-Allow-Methods", join(kCorsMethods, ", "));
    reply.set_header("Access-Control-Allow-Headers", join(kCorsHeaders, ", "));
    reply.set_header("Access-Control-Max-Age", "600");
    return reply;
  }

  // The §0.3 headers, request ids and CORS on every response.
  void decorate(Reply& reply, const Request& r) const {
    reply.set_header("X-Content-Type-Options", "nosniff");
    reply.set_header("X-Frame-Options", "DENY");
    reply.set_header("X-XSS-Protection", "1; mode=block");
    reply.set_header("Referrer-Policy", "strict-origin-when-cross-origin");
    if (opts.hsts) reply.set_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    auto rid = r.header("x-request-id");
    std::string id = rid ? sanitize_echo(*rid) : "";
    if (id.empty()) id = new_request_id();
    reply.set_header("X-Request-ID", id);
    auto cid = r.header("x-correlation-id");
    std::string corr = cid ? sanitize_echo(*cid) : "";
    reply.set_header("X-Correlation-ID", corr.empty() ? id : corr);
    if (auto origin = r.header("origin"); origin && origin_allowed(*origin)) {
      reply.set_header("Access-Control-Allow-Origin", *origin);
      reply.set_header("Access-Control-Allow-Credentials", "true");
      reply.set_header("Vary", "Origin");
    }
  }

  Reply handle(Request& r) const {
    if (r.method == "OPTIONS") {
      auto origin = r.header("origin");
      if (origin && r.header("access-control-request-method")) {
        auto reply = preflight(r, *origin);
        if (stats) stats->count(reply.status);
        return reply;
      }
    }
    if (r.body.size() > opts.max_request_bytes) {
      if (stats) stats->count(413);
      return error_reply(413, "Request too large");
    }
    if (!sec.auth && sec.same_origin.port == 0) {
      // Bound to "any free port" (tests): the cross-site guard learns the port once bound.
      Security late = sec;
      late.same_origin.port = bound_port.load();
      return dispatch(*router, late, r, stats.get());
    }
    return dispatch(*router, sec, r, stats.get());
  }
};

namespace {

class ApiHandler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(ApiHandler)

  explicit ApiHandler(const Server::Impl* impl) : impl_(impl) {}

  // Requests are read by onInput below, which owns parsing so that size errors answer JSON.
  void onRequest(const Http::Request&, Http::ResponseWriter) override {}

 private:
  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    // The parser goes where Pistache's own code (timeouts, keep-alive) looks for it.
    peer->putData(ParserData, std::make_shared<Http::RequestParser>(impl_->opts.max_request_bytes + kHeaderSlack));
    peer->putData(kConnKey, std::make_shared<Conn>());
  }

  void onInput(const char* buffer, std::size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    auto conn = std::static_pointer_cast<Conn>(peer->tryGetData(kConnKey));
    auto parser_ptr = std::static_pointer_cast<Http::RequestParser>(peer->tryGetData(ParserData));
    if (!conn || !parser_ptr || conn->closing) return;  // discard what follows a fatal error
    peer->setIdle(false);
    auto& parser = *parser_ptr;
    try {
      if (!parser.feed(buffer, len)) {
        fail(peer, *conn, parser, error_reply(413, "Request too large"));
        return;
      }
      auto state = parser.parse();
      if (state != Http::Private::State::Done) {
        // Refuse an announced oversized body as soon as the headers are in.
        auto* step = parser.step();
        if (step && step->id() == Http::Private::BodyStep::Id) {
          auto cl = parser.request.headers().tryGet<Http::Header::ContentLength>();
          if (cl && cl->value() > impl_->opts.max_request_bytes) {
            fail(peer, *conn, parser, error_reply(413, "Request too large"));
          }
        }
        return;
      }
      Http::Request request = parser.request;
      parser.reset();
      if (serve(request, peer)) conn->closing = true;
    } catch (const Http::HttpError& e) {
      int code = e.code() == 413 ? 413 : e.code();
      fail(peer, *conn, parser, code == 413 ? error_reply(413, "Request too large")
                                                    : error_reply(code, e.reason()));
    } catch (const std::exception& e) {
      api_logger().error("REST connection error: {}", e.what());
      fail(peer, *conn, parser, error_reply(500, "Internal server error"));
    }
  }

  static Request to_request(const Http::Request& in) {
    Request r;
    r.method = Http::methodString(in.method());
    r.path = in.resource();
    for (auto it = in.query().parameters_begin(); it != in.query().parameters_end(); ++it) {
      r.query.emplace(url_decode(it->first, true), url_decode(it->second, true));
    }
    for (const auto& [name, raw] : in.headers().rawList()) r.headers[lower(name)] = raw.value();
    r.body = in.body();
    return r;
  }

  // Returns true when the connection ends after this reply (the client asked to close).
  bool serve(const Http::Request& in, const std::shared_ptr<Tcp::Peer>& peer) {
    Request r = to_request(in);
    Reply reply = impl_->handle(r);
    impl_->decorate(reply, r);
    // P-13: HTTP/1.1 defaults to keep-alive; Pistache would answer "Connection: Close".
    std::string connection = in.version() == Http::Version::Http11 ? "keep-alive" : "close";
    if (auto c = r.header("connection")) connection = lower(trim(*c)) == "close" ? "close" : "keep-alive";
    reply.set_header("Connection", connection);
    const bool close = connection == "close";
    send(in.version(), peer, reply, close);
    return close;
  }

  // Answers an error that ends the connection (the rest of the request cannot be trusted).
  void fail(const std::shared_ptr<Tcp::Peer>& peer, Conn& conn, Http::RequestParser& parser, Reply reply) {
    conn.closing = true;
    const Http::Request partial = parser.request;
    parser.reset();
    Request r;
    for (const auto& [name, raw] : partial.headers().rawList()) r.headers[lower(name)] = raw.value();
    if (impl_->stats) impl_->stats->count(reply.status);
    impl_->decorate(reply, r);
    reply.set_header("Connection", "close");
    send(Http::Version::Http11, peer, reply, true);
  }

  void send(Http::Version version, const std::shared_ptr<Tcp::Peer>& peer, const Reply& reply, bool close) {
    Http::ResponseWriter rw(version, transport(), this, peer);
    if (!reply.content_type.empty()) rw.headers().add(std::make_shared<DynHeader>("Content-Type", reply.content_type));
    for (const auto& [k, v] : reply.headers) rw.headers().add(std::make_shared<DynHeader>(k, v));
    auto sent = rw.send(static_cast<Http::Code>(reply.status), reply.body);
    if (close) {
      // Half-close once the reply is out; the client sees the reply, then end of stream.
      sent.then([peer](ssize_t) { ::shutdown(peer->fd(), SHUT_WR); }, Pistache::Async::IgnoreException);
    }
  }

  const Server::Impl* impl_;
};

}  // namespace

Server::Server(ServerOptions options, std::shared_ptr<const Router> router, Security security,
               std::shared_ptr<ApiStats> stats)
    : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(options);
  impl_->router = std::move(router);
  impl_->sec = security;
  impl_->stats = stats ? std::move(stats) : std::make_shared<ApiStats>();
}

Server::~Server() { stop(); }

void Server::start() {
  if (impl_->running) return;
  const auto where = impl_->opts.bind + ":" + std::to_string(impl_->opts.port);
  try {
    Pistache::Address addr(impl_->opts.bind, Pistache::Port(static_cast<std::uint16_t>(impl_->opts.port)));
    impl_->endpoint = std::make_unique<Http::Endpoint>(addr);
    auto o = Http::Endpoint::options()
                 .threads(std::max(1, impl_->opts.threads))
                 .flags(Tcp::Options::ReuseAddr)
                 .maxRequestSize(impl_->opts.max_request_bytes + kHeaderSlack);
    impl_->endpoint->init(o);
    impl_->sec.same_origin = SameOrigin::for_bind(impl_->opts.bind, impl_->opts.port, impl_->opts.cors_origins);
    impl_->endpoint->setHandler(std::make_shared<ApiHandler>(impl_.get()));
    impl_->endpoint->serveThreaded();
    impl_->bound_port.store(static_cast<int>(static_cast<std::uint16_t>(impl_->endpoint->getPort())));
  } catch (const std::exception& e) {
    impl_->endpoint.reset();
    throw std::runtime_error("cannot listen on " + where + ": " + e.what());
  }
  impl_->running = true;
}

void Server::stop() {
  if (!impl_->running) return;
  impl_->running = false;
  impl_->endpoint->shutdown();
  impl_->endpoint.reset();
}

std::uint16_t Server::port() const {
  if (!impl_->endpoint) return 0;
  return static_cast<std::uint16_t>(impl_->endpoint->getPort());
}

const ServerOptions& Server::options() const { return impl_->opts; }

}  // namespace axion::api
