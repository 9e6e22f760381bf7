// A tiny blocking HTTP/1.1 client over a POSIX socket for the REST tests: real requests on
// loopback, one connection per call unless a Connection object is reused (keep-alive).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace axion::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  nlohmann::json json() const;
  std::string header(const std::string& name) const;  // "" when absent
  bool has(const std::string& name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;
  // Sends raw bytes and reads one response (Content-Length framed, or until EOF).
  HttpResponse roundtrip(const std::string& raw);
  void send_raw(const std::string& raw);
  HttpResponse read_response();
  // True when the server ended the stream (recv returns 0).
  bool peer_closed();

 private:
  int fd_ = -1;
  std::string buf_;
};

// A request's bytes; "Host: 127.0.0.1" unless `headers` name one, Content-Type: application/json
// with a body.
std::string build_request(const std::string& method, const std::string& path, const std::optional<std::string>& body,
                          const Headers& headers, bool keep_alive = false);

// One request on a fresh connection; the Host is 127.0.0.1:<port> unless `headers` name one.

HttpResponse http(std::uint16_t port, const std::string& method, const std::string& path,
                  const std::optional<std::string>& body = std::nullopt, const Headers& headers = {});

}  // namespace axion::test
