// The fan-out core of addon/ws, free of sockets: the replay buffer, the registry of open
// connections with their channel masks and bounded send queues, and the per-message protocol
// state (subscriptions, rate limit, heartbeat time). One mutex guards all of it.
//
// Threads: on_event() runs on the engine's publishing thread. It builds the frame once and only
// appends it to an inbox (its own small lock, never the hub's), asking the server at most once
// per burst to run dispatch(); the fan-out to every connection's queue happens there, on an I/O
// thread, so the engine's cost does not grow with the number of clients. Everything else runs
// on the server's I/O threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace axion::plugins::ws {

using Frame = std::shared_ptr<const std::string>;
using SteadyTime = std::chrono::steady_clock::time_point;

struct Limits {
  std::size_t max_connections_per_user = 5;
  std::size_t replay_buffer_events = 10'000;
  std::size_t max_queued_frames = 1'000;
  std::size_t max_subscriptions_per_connection = 50;
  std::chrono::seconds heartbeat_timeout{90};
  std::size_t message_rate_limit = 100;  // client messages per second per connection
};

// Standard and application close codes (control.md §4).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseHeartbeat = 4000;
inline constexpr std::uint16_t kCloseAuth = 4001;
inline constexpr std::uint16_t kCloseScope = 4003;
inline constexpr std::uint16_t kCloseSlow = 4008;

// One client connection as the hub sees it. The identity is fixed before attach(); the rest is
// guarded by the hub's mutex.
struct Connection {
  std::string id;        // 16 hex
  std::string user_id;
  std::string key_id;    // empty when auth is disabled
  std::string token;     // raw key, kept to re-verify it (expiry); empty when auth is disabled
  // Called without the hub lock when the connection has new frames or must close; the server
  // posts the write pump onto the connection's strand.
  std::function<void()> wake;

  // ---- guarded by Hub::mu_
  bool attached = false;
  std::uint8_t channels = 0;
  std::deque<Frame> queue;
  std::size_t backlog = 0;    // frames at the queue's front queued at attach (connected, replay)
  bool wake_pending = false;  // a wake is scheduled or the pump runs; cleared when it idles
  bool close_pending = false;
  bool close_taken = false;   // the pump has started the close handshake
  std::uint16_t close_code = 0;
  std::string close_reason;
  SteadyTime last_heartbeat{};
  std::deque<SteadyTime> recent_messages;  // accepted messages in the last second
  std::uint64_t message_count = 0;         // every client message (§4.4)
};
using ConnectionPtr = std::shared_ptr<Connection>;

class Hub {
 public:
  explicit Hub(Limits limits);
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;
  ~Hub();

  const Limits& limits() const { return limits_; }

  // The server's hook: run dispatch() soon on an I/O thread. Called without the lock, at most
  // once until dispatch() runs.
  void set_scheduler(std::function<void()> schedule);
  // I/O thread: fan the inbox's events out to the connections' queues, in sequence order, then
  // wake every connection that got frames since the last dispatch.
  void dispatch();

  // Engine thread (and the seeding replay at start). Must not block. Without a scheduler (before
  // the server starts, after it stops) the event is fanned out at once on the calling thread.
  void on_event(std::int64_t sequence, std::string_view channel, std::string_view envelope);

  // After authentication: registers the connection with all five channels and queues
  // `connected`, then (with `since`) the replay_gap notice and the buffered events after it.
  // When the user already has max_connections_per_user open connections, queues the error
  // frame and a normal close instead and returns false.
  bool attach(const ConnectionPtr& c, std::optional<std::int64_t> since, SteadyTime now);
  // The connection is gone: leaves every index. Idempotent.
  void detach(const ConnectionPtr& c);
  // Drops every connection (server stopped).
  void detach_all();

  // One client text frame; queues exactly the replies of §4.3. Caller pumps afterwards.
  void handle_text(Connection& c, std::string_view text, SteadyTime now);
  // A binary client frame.
  void handle_binary(Connection& c, SteadyTime now);

  // The pump's next step for a connection. With frames_allowed false (a write is in flight)
  // only a pending close is returned, so a close starts even while a slow client blocks a write.
  struct Next {
    Frame frame;                // a frame to write, or
    bool close = false;         // the close to start (once), with
    std::uint16_t code = 0;
    std::string reason;
  };                            // or neither: idle (wake_pending is cleared)
  Next next(Connection& c, bool frames_allowed = true);

  // Marks a connection to close (its queue is dropped) and wakes it.
  void request_close(const ConnectionPtr& c, std::uint16_t code, std::string reason);
  // Closes every connection opened with this key / this raw token.
  std::size_t close_key(std::string_view key_id, std::uint16_t code, const std::string& reason);
  std::size_t close_token(std::string_view token, std::uint16_t code, const std::string& reason);
  // Closes connections whose last heartbeat is older than the timeout.
  std::size_t sweep_heartbeats(SteadyTime now);
  // Distinct raw tokens of the open connections (to re-verify them).
  std::vector<std::string> open_tokens() const;

  // Introspection (tests, logs).
  std::size_t connection_count() const;
  std::size_t buffered_events() const;

 private:
  struct Buffered {
    std::int64_t sequence;
    std::uint8_t channel_bit;
    Frame frame;
  };
  // All *_locked helpers need mu_ held. They return true when the caller must wake `c`.
  bool enqueue_locked(Connection& c, Frame f);
  bool close_locked(Connection& c, std::uint16_t code, std::string reason, bool drop_queue = true);
  void mark_dirty_locked(const ConnectionPtr& c, bool& schedule);
  bool rate_limited_locked(Connection& c, SteadyTime now);
  struct Inbound {
    std::int64_t sequence;
    std::uint8_t channel_bit;
    Frame frame;
    std::string revoked_key;  // an api_key_revoked control event: close this key's connections
  };
  // Takes the inbox (inbox_mu_), then fans it out under mu_; connections to close for a revoked
  // key are returned (closing takes mu_ itself).
  void drain_inbox_locked(std::vector<Inbound>& events, bool& schedule);
  void fan_out_now(std::vector<Inbound> events);

  const Limits limits_;
  mutable std::mutex mu_;
  std::deque<Buffered> buffer_;
  std::unordered_map<std::string, ConnectionPtr> connections_;  // by connection id
  std::int64_t last_sequence_ = 0;
  std::vector<ConnectionPtr> dirty_;
  bool dispatch_pending_ = false;
  std::function<void()> schedule_;

  std::mutex inbox_mu_;  // only the inbox and its copy of the scheduler: the engine's one lock here
  std::vector<Inbound> inbox_;
  bool inbox_scheduled_ = false;
  std::function<void()> inbox_schedule_;
};

}  // namespace axion::plugins::ws
