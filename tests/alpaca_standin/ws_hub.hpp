// What every websocket protocol of the stand-in shares, without any networking: the open
// connections, each one's queue of frames, server-side closes, the one-connection-per-key slot,
// and the record of what clients sent. The trade_updates stream (stream_hub) and market data
// (data_hub) derive from it and add their protocol in hooks; one websocket session
// (stream_session.cpp, io thread) drives either through this interface. One lock guards every
// connection's fields; the hooks run under it. A hub's lock is taken after the stand-in's, never
// before.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace axion::testing::alpaca {

// Websocket close codes the stand-in sends (RFC 6455 §7.4.1).
constexpr std::uint16_t kCloseGoingAway = 1001;  // a dropped stream
constexpr std::uint16_t kClosePolicy = 1008;     // refused authentication, connection limit

// What a session does next.
struct WsStep {
  enum class Kind {
    idle,       // nothing to do until woken
    write,      // send `payload` as a text or binary frame, then ask again
    wait,       // ask again at `until` (a delayed frame, a timeout)
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

// One connection. Its fields are the hub's, guarded by the hub's lock; `wake` is set once.
// Protocols derive from it for their own per-connection state.
struct WsConn {
  struct Out {
    std::chrono::steady_clock::time_point due;
    bool close = false;  // a close marker: the frames before it go out first
    bool text = false;
    std::string payload;
    std::uint16_t close_code = 0;
    std::string close_reason;
  };

  virtual ~WsConn() = default;

  std::function<void()> wake;  // has the session call next() soon, on its own thread
  bool authenticated = false;
  bool half_open = false;
  bool closing = false;   // a close is queued or under way: nothing more is queued
  bool drop_now = false;  // close at once, ahead of the queue (a dropped stream)
  std::string key_id;
  std::deque<Out> out;
};
using WsConnPtr = std::shared_ptr<WsConn>;

class WsHub {
 public:
  using Clock = std::chrono::steady_clock;

  virtual ~WsHub() = default;
  WsHub(const WsHub&) = delete;
  WsHub& operator=(const WsHub&) = delete;

  // Sessions (io thread).
  WsConnPtr open(std::function<void()> wake);
  void on_message(WsConn& c, std::string text);
  WsStep next(WsConn& c, Clock::time_point now, bool can_write);
  void closed(WsConn& c);  // idempotent; frees the key's slot if this connection held it

  // Scripting and inspection (any thread).
  void drop_all();       // every connection closed now (1001), ahead of what is queued
  void half_open_all();  // the connections open now stop reading and writing
  int connections() const;
  std::vector<std::string> received() const;

 protected:
  WsHub(std::string key_id, std::string secret_key);

  // Hooks, called under the lock.
  virtual WsConnPtr make_conn() { return std::make_shared<WsConn>(); }
  virtual void on_open(WsConn& /*c*/, Clock::time_point /*now*/) {}
  // A message from a connection that is neither closing nor half-open.
  virtual void handle(WsConn& c, const std::string& text) = 0;
  // Lets a protocol act on time (an authentication timeout) before the queue is looked at: it may
  // queue frames, and returns when it wants to be asked again, if ever.
  virtual std::optional<Clock::time_point> on_tick(WsConn& /*c*/, Clock::time_point /*now*/) {
    return std::nullopt;
  }

  // Helpers for the hooks (under the lock).
  bool keys_match(const std::string& key, const std::string& secret) const;
  // Gives `key`'s slot to `c`: false if another open connection holds it.
  bool take_slot(WsConn& c, const std::string& key);
  void push(WsConn& c, Clock::time_point due, bool text, std::string payload);
  void queue_close(WsConn& c, Clock::time_point due, std::uint16_t code, std::string reason);
  // Wakes are called after the lock is released (a wake only posts to the io thread).
  static void wake_all(const std::vector<std::function<void()>>& wakes);

  mutable std::mutex mutex_;
  std::vector<WsConnPtr> conns_;  // open, in connection order

 private:
  const std::string key_id_, secret_key_;
  std::map<std::string, const WsConn*> slots_;  // key_id -> the connection holding it
  std::vector<std::string> received_;
};

}  // namespace axion::testing::alpaca
