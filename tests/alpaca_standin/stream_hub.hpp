// The trade_updates stream's protocol and state (live.md §3), without any networking:
// authentication and the one-connection-per-key slot, listen sets, and the scripted stream
// faults. The connections and their frame queues are WsHub's (ws_hub.hpp); the websocket session
// (stream_session.cpp, io thread) drives it through that base. The book publishes its events into
// it (under the stand-in's lock, from any thread).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "book.hpp"
#include "ws_hub.hpp"

namespace axion::testing::alpaca {

// The stream's path on the stand-in's port (Alpaca: wss://paper-api.alpaca.markets/stream).
inline constexpr std::string_view kStreamPath = "/stream";

class StreamHub : public WsHub {
 public:
  StreamHub(std::string key_id, std::string secret_key);

  // The book (under the stand-in's lock).
  void publish(const BookEvent& e);

  // Scripting and inspection (any thread). drop_all, half_open_all, connections and received
  // are WsHub's.
  void text_frames(bool text);
  void drop_before_next_fill();
  void delay_events(std::chrono::milliseconds d);
  void duplicate_next_fill();
  int listening() const;

 private:
  struct Conn;  // a WsConn with its listen set

  WsConnPtr make_conn() override;
  void handle(WsConn& c, const std::string& text) override;
  // Queues `payload` on `c` (due now, in the current frame type); with close, then closes.
  void reply(WsConn& c, const std::string& payload, bool then_close = false);

  bool text_frames_ = false;  // the paper environment's binary frames by default
  std::chrono::milliseconds delay_{0};
  int drop_before_fill_ = 0;
  int duplicate_fill_ = 0;
};

}  // namespace axion::testing::alpaca
