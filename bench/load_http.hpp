// A blocking HTTP/1.1 keep-alive GET client for the load driver (bench/load_test.cpp). Unlike the
// tests' client (tests/api/http_client.*) it never throws: every failure comes back as a short
// error kind (connect_refused, timeout, reset, closed_by_server, …) that the driver counts, and
// its socket timeouts are set by the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace axion::bench::load {

struct HttpResult {
  int status = 0;     // 0 when no complete response was read
  std::string error;  // empty when a response was read; else the kind of failure
  std::string body;
};

class KeepAliveClient {
 public:
  // Connects lazily to 127.0.0.1:port on the first get(); every request carries X-API-Key when
  // api_key is not empty. timeout bounds each connect, send and receive.
  KeepAliveClient(std::uint16_t port, std::string api_key, std::chrono::milliseconds timeout);
  ~KeepAliveClient();
  KeepAliveClient(const KeepAliveClient&) = delete;
  KeepAliveClient& operator=(const KeepAliveClient&) = delete;

  // One GET on the kept-alive connection (opened again after any failure or a
  // `Connection: close`). A failure closes the socket; the next call reconnects.
  HttpResult get(const std::string& target);
  // Sockets opened so far (1 for a connection that was never dropped).
  std::uint64_t connects() const { return connects_; }

 private:
  std::string connect();
  void drop();
  std::string fill();  // one recv into buf_; "" on success, else the error kind

  std::uint16_t port_;
  std::string api_key_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buf_;
  std::uint64_t connects_ = 0;
};

}  // namespace axion::bench::load
