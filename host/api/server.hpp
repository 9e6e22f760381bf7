// The REST server on Pistache (control.md §0; deps-notes §2.4, P-13…P-16). It owns the wire
// only: HTTP parsing with our own size limit (413 as JSON), keep-alive for HTTP/1.1, the §0.3
// headers on every response, X-Request-ID, CORS and preflight. Routing, auth, rate limits and
// the handlers come from http.hpp's dispatch().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/http.hpp"

namespace axion::api {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8000;  // 0 = any free port (tests); port() tells which
  // Reads are served from published snapshots and never wait for the engine; writes do, so a
  // few threads keep a kill reachable while others wait (issue 9 #14).
  int threads = 4;
  std::size_t max_request_bytes = 1 << 20;  // [api] max_request_bytes: larger bodies ⇒ 413
  std::vector<std::string> cors_origins = {"http://localhost:8501", "http://localhost:8000",
                                           "http://localhost:3000"};
  bool hsts = false;
  // CORS origins from AXION_CORS_ORIGINS (comma-separated; empty ⇒ defaults) and HSTS from
  // AXION_ENABLE_HSTS=true (control.md §0.3, §7).
  void read_environment();
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<const Router> router, Security security,
         std::shared_ptr<ApiStats> stats = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and serves on background threads. Throws std::runtime_error "cannot listen on
  // <bind>:<port>: <reason>" when the address cannot be bound.
  void start();
  // Stops serving; idempotent. In-flight handlers finish first.
  void stop();
  std::uint16_t port() const;
  const ServerOptions& options() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace axion::api
