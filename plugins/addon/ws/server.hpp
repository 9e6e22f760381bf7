// The network side of addon/ws: a Boost.Beast WebSocket server on its own io_context threads.
// All Beast code lives in server.cpp (slow to compile, and Boost 1.74 asio needs care under
// C++20, deps-notes P-17); this header shows none of it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "hub.hpp"

namespace axion::plugins::ws {

// The credentials and query parameters of a connect (§4.1). The token comes from the upgrade's
// X-API-Key header, else ?token=, else the first message ({"action":"auth","token":…}).
struct ConnectParams {
  std::optional<std::string> token;
  std::optional<std::string> user_id;
  std::optional<std::int64_t> since;
};

// The outcome of authenticating a connect: an identity, a close code and reason, or (`pending`)
// "auth is on and no token came with the upgrade": the first message must bring it, within the
// auth timeout, else the close code and reason apply.
struct AuthResult {
  bool ok = false;
  bool pending = false;
  std::uint16_t close_code = 0;
  std::string close_reason;
  std::string user_id, key_id, token;
};

struct ServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8001;
  std::string path = "/ws/bot";
  int io_threads = 1;
  std::chrono::seconds tick_interval{30};  // heartbeat sweep and token re-verification period
  // Open sockets (upgraded or not, authenticated or not); more are answered 503 and closed.
  std::size_t max_connections = 1024;
  // Largest client message once authenticated; a larger one closes the connection with 1009.
  std::size_t max_message_bytes = 64 * 1024;
  // How long a connection without a token may take to send its auth message.
  std::chrono::seconds auth_timeout{5};
};

class Server {
 public:
  using Authenticate = std::function<AuthResult(const ConnectParams&)>;
  using Tick = std::function<void()>;  // runs on an I/O thread every tick_interval

  Server(ServerOptions options, Hub& hub, Authenticate authenticate, Tick tick);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens, then starts the I/O threads; returns once connections are accepted.
  // Throws sdk::Error with key "port" (address in use, no permission) or "bind".
  void start();
  // Closes the listener and every connection, stops and joins the threads. Idempotent.
  void stop();
  bool running() const;

  // Whether `address` is a literal IPv4/IPv6 address (config validation).
  static bool valid_address(const std::string& address);

  struct Impl;  // opaque; public only so server.cpp's sessions can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace axion::plugins::ws
