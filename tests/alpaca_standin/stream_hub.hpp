// The trade_updates stream's protocol and state (live.md §3), without any networking: the
// connections, authentication and the one-connection-per-key slot, listen sets, each
// connection's queue of frames, and the scripted stream faults. The websocket sessions
// (stream_session.cpp, io thread) feed it what clients send and ask it what to do next; the book
// publishes its events into it (under the stand-in's lock, from any thread). It has its own lock,
// always taken after the stand-in's, never before.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "book.hpp"

namespace axion::testing::alpaca {

// The stream's path on the stand-in's port (Alpaca: wss://paper-api.alpaca.markets/stream).
inline constexpr std::string_view kStreamPath = "/stream";

// Websocket close codes the stand-in sends (RFC 6455 §7.4.1).
constexpr std::uint16_t kCloseGoingAway = 1001;  // drop_stream, drop_stream_before_next_fill
constexpr std::uint16_t kClosePolicy = 1008;     // refused authentication, connection limit

// What a session does next.
struct StreamStep {
  enum class Kind {
    idle,       // nothing to do until woken
    write,      // send `payload` as a text or binary frame, then ask again
    wait,       // the head of the queue is due at `until` (delayed events)
    close,      // websocket close with `close_code`, `close_reason`
    half_open,  // stop reading and writing; keep the socket until the client closes it
  };
  Kind kind = Kind::idle;
  bool text = false;
  std::string payload;
  std::uint16_t close_code = 0;
  std::string close_reason;
  std::chrono::steady_clock::time_point until{};
};

// One stream connection. Its fields are the hub's, guarded by the hub's lock; `wake` is set once.
struct StreamConn {
  struct Out {
    std::chrono::steady_clock::time_point due;
    bool close = false;  // a close marker: the frames before it go out first
    bool text = false;
    std::string payload;
    std::uint16_t close_code = 0;
    std::string close_reason;
  };

  std::function<void()> wake;  // has the session call next() soon, on its own thread
  bool authenticated = false;
  bool listening = false;  // to trade_updates
  bool half_open = false;
  bool closing = false;   // a close is queued or under way: nothing more is queued
  bool drop_now = false;  // close at once, ahead of the queue (drop_stream)
  std::string key_id;
  std::deque<Out> out;
};
using StreamConnPtr = std::shared_ptr<StreamConn>;

class StreamHub {
 public:
  using Clock = std::chrono::steady_clock;

  StreamHub(std::string key_id, std::string secret_key);

  // Sessions (io thread).
  StreamConnPtr open(std::function<void()> wake);
  void on_message(StreamConn& c, std::string text);
  StreamStep next(StreamConn& c, Clock::time_point now, bool can_write);
  void closed(StreamConn& c);  // idempotent; frees the key's slot if this connection held it

  // The book (under the stand-in's lock).
  void publish(const BookEvent& e);

  // Scripting and inspection (any thread).
  void text_frames(bool text);
  void drop_all();
  void drop_before_next_fill();
  void delay_events(std::chrono::milliseconds d);
  void duplicate_next_fill();
  void half_open_all();
  int connections() const;
  int listening() const;
  std::vector<std::string> received() const;

 private:
  // Queues `payload` on `c` (due now, in the current frame type); with close, then closes.
  void reply(StreamConn& c, const std::string& payload, bool then_close = false);
  void queue_close(StreamConn& c, Clock::time_point due, std::uint16_t code, std::string reason);
  static void wake_all(const std::vector<std::function<void()>>& wakes);

  const std::string key_id_, secret_key_;
  mutable std::mutex mutex_;
  std::vector<StreamConnPtr> conns_;  // open, in connection order
  std::map<std::string, const StreamConn*> slots_;  // key_id -> the connection holding it
  std::vector<std::string> received_;
  bool text_frames_ = false;  // the paper environment's binary frames by default
  std::chrono::milliseconds delay_{0};
  int drop_before_fill_ = 0;
  int duplicate_fill_ = 0;
};

}  // namespace axion::testing::alpaca
