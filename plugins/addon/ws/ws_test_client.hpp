// A small blocking WebSocket client for the tests and the fan-out bench (Beast stays in the .cpp).
// Every call has a timeout, so a broken server fails a test instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace axion::plugins::ws::testing {

struct CloseInfo {
  std::uint16_t code = 0;
  std::string reason;
};

class TestClient {
 public:
  // Connects to ws://127.0.0.1:<port><target> and completes the handshake; throws on failure.
  // receive_buffer > 0 shrinks the socket's receive buffer (a slow client fills up sooner);
  // `headers` are added to the upgrade request (e.g. X-API-Key).
  explicit TestClient(std::uint16_t port, const std::string& target = "/ws/bot",
                      int receive_buffer = 0,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                      std::vector<std::pair<std::string, std::string>> headers = {});
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // The next message (text or binary), or nullopt on timeout or when the server closed
  // (then closed() tells the code and reason).
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  bool last_was_binary() const { return last_binary_; }
  void send_text(const std::string& text);
  void send_binary(const std::string& data);
  // Reads until the server closes; the messages seen on the way go to `drained`. nullopt on timeout.
  std::optional<CloseInfo> wait_close(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                                      std::vector<std::string>* drained = nullptr);
  const std::optional<CloseInfo>& closed() const { return closed_; }
  bool is_open() const;
  // Normal close from the client side (best effort).
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::optional<CloseInfo> closed_;
  bool last_binary_ = false;
};

// A TCP port that was free a moment ago (bind port 0, read it, close).
std::uint16_t free_port();

}  // namespace axion::plugins::ws::testing
