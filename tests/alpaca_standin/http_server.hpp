// A small HTTP/1.1 server on 127.0.0.1 for the stand-in: keep-alive, many connections on one
// io thread, answers that may be held back by a timer without blocking the other connections.
// The Beast code is all in http_server.cpp and stream_session.cpp. The streams (trade_updates,
// market data) are a second kind of session on the same port: a request that asks for a
// websocket upgrade to one of their paths is handed over to that stream's hub.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace axion::testing::alpaca {

class WsHub;  // ws_hub.hpp

struct HttpRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // names as sent; repeated headers joined by ", "
  std::string body;

  // The value of a header by case-insensitive name, or nullptr.
  const std::string* header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;  // sent as application/json (none for 204)
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // hold the answer back this long (a slow broker)
};

// PEM files for TLS; both empty = plain HTTP. With them the port speaks HTTPS, and the streams WSS.
struct TlsFiles {
  std::string cert_file, key_file;
};

// A websocket path and the hub that serves it (which must outlive the server).
struct WsRoute {
  std::string path;  // matched without the query string
  WsHub* hub = nullptr;
};

class HttpServer {
 public:
  // Runs on the io thread, one request at a time; must not block (use `delay` to be slow).
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Listens on 127.0.0.1 on a free port and serves on its own thread. Throws std::runtime_error
  // if it cannot listen. A websocket upgrade to one of the `streams` paths is served by its hub;
  // any other request, an upgrade to another path included, is a plain request.
  // With `tls` files, every connection starts with a TLS handshake; one that fails (a client
  // that rejects the certificate) closes that connection only.
  explicit HttpServer(Handler handler, std::vector<WsRoute> streams = {}, TlsFiles tls = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  bool tls() const;
  // Closes the listener and every connection, joins the thread. Idempotent.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace axion::testing::alpaca
