// The stream tests' clients (Beast stays in ws_client.cpp): a small blocking websocket client,
// and one REST call on a fresh connection. Every call is bounded by a timeout, so a broken
// stand-in fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace axion::testing::alpaca::test {

struct WsMessage {
  std::string text;
  bool binary = false;  // the frame's type
};

class WsClient {
 public:
  // Connects to ws://127.0.0.1:<port><target> and completes the handshake; throws
  // std::runtime_error on failure. A read is always outstanding from then on: messages are queued
  // as they arrive, and the server's pongs counted.
  explicit WsClient(std::uint16_t port, const std::string& target = "/stream");
  ~WsClient();  // drops the socket (no close handshake)
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  void send(const std::string& text);  // a text frame; throws if it cannot be written
  // The next message (queued ones first), or nullopt if none came within `within`.
  std::optional<WsMessage> receive(std::chrono::milliseconds within = std::chrono::seconds(5));
  // Waits until the connection ends (the server's close frame, or the socket closing); messages
  // that arrive meanwhile stay queued for receive(). False if it is still open after `within`.
  bool wait_closed(std::chrono::milliseconds within = std::chrono::seconds(5));
  bool ended() const;
  std::uint16_t close_code() const;  // from the server's close frame; 0 if none came
  // Sends a ping; true if a pong came back within `within`.
  bool ping(std::chrono::milliseconds within);
  void close();  // the close handshake, bounded; the connection has ended after it
  void abort();  // closes the socket without a close frame

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct RestAnswer {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names as the server spelled them

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// The keys a REST call sends: the stand-in's defaults; an empty key_id sends no key headers.
struct RestKeys {
  std::string key_id = "PKTESTKEY";
  std::string secret_key = "test-secret-value";
};

// One request to the stand-in's REST API, on a fresh connection.
RestAnswer rest(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& body = "", const RestKeys& keys = {});

}  // namespace axion::testing::alpaca::test
