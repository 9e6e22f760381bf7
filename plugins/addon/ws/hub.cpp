#include "hub.hpp"

#include <bit>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "protocol.hpp"
#include "axion/sdk/time.hpp"

namespace axion::plugins::ws {

namespace {

// Open connections per user_id across the whole process (§4.4: "whole process"), so two add-on
// instances cannot give a user twice the limit. Only ever locked inside Hub::mu_.
class UserSlots {
 public:
  static UserSlots& instance() {
    static UserSlots slots;
    return slots;
  }
  bool acquire(const std::string& user, std::size_t limit) {
    std::lock_guard lock(mu_);
    auto& n = open_[user];
    if (n >= limit) return false;
    ++n;
    return true;
  }
  void release(const std::string& user) {
    std::lock_guard lock(mu_);
    auto it = open_.find(user);
    if (it == open_.end()) return;
    if (--it->second == 0) open_.erase(it);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::size_t> open_;
};

std::int64_t wall_now_us() { return axion::sdk::time::system_now_us(); }

Frame frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

constexpr std::string_view kRevokedMarker = R"("event":"api_key_revoked")";

}  // namespace

Hub::Hub(Limits limits) : limits_(limits) {}

Hub::~Hub() { detach_all(); }

void Hub::set_scheduler(std::function<void()> schedule) {
  std::vector<Inbound> left;
  {
    std::lock_guard lock(inbox_mu_);
    inbox_schedule_ = schedule;
    inbox_scheduled_ = false;
    if (!schedule) left.swap(inbox_);  // no dispatch will come for these
  }
  {
    std::lock_guard lock(mu_);
    schedule_ = std::move(schedule);
    dispatch_pending_ = false;
  }
  if (!left.empty()) fan_out_now(std::move(left));
}

void Hub::dispatch() {
  std::vector<Inbound> events;
  {
    std::lock_guard lock(inbox_mu_);
    events.swap(inbox_);
    inbox_scheduled_ = false;
  }
  std::vector<ConnectionPtr> todo;
  {
    std::lock_guard lock(mu_);
    bool schedule = false;  // this dispatch wakes them below
    drain_inbox_locked(events, schedule);
    todo.swap(dirty_);
    dispatch_pending_ = false;
  }
  for (auto& c : todo) {
    if (c->wake) c->wake();
  }
}

void Hub::mark_dirty_locked(const ConnectionPtr& c, bool& schedule) {
  if (c->wake_pending) return;  // the pump is scheduled or running and will see the new state
  c->wake_pending = true;
  dirty_.push_back(c);
  if (!dispatch_pending_ && schedule_) {
    dispatch_pending_ = true;
    schedule = true;
  }
}

bool Hub::enqueue_locked(Connection& c, Frame f) {
  if (c.close_pending) return false;
  // The attach-time backlog (connected, replay) does not count: the limit is about live frames.
  if (c.queue.size() - c.backlog >= limits_.max_queued_frames) {
    return close_locked(c, kCloseSlow, "Slow client: send queue full");
  }
  c.queue.push_back(std::move(f));
  return true;
}

bool Hub::close_locked(Connection& c, std::uint16_t code, std::string reason, bool drop_queue) {
  if (c.close_pending) return false;
  c.close_pending = true;
  c.close_code = code;
  c.close_reason = std::move(reason);
  if (drop_queue) {
    c.queue.clear();
    c.backlog = 0;
  }
  return true;
}

void Hub::on_event(std::int64_t sequence, std::string_view channel, std::string_view envelope) {
  Inbound ev{sequence, 0, nullptr, {}};
  // A revoked key is a control message for this add-on, not something to show other users
  // (its key_id belongs to someone else's account): close that key's connections, in order.
  if (envelope.find(kRevokedMarker) != std::string_view::npos) {
    auto env = nlohmann::json::parse(envelope, nullptr, false);
    if (!env.is_discarded() && env.value("event", "") == "api_key_revoked") {
      const auto data = env.value("data", nlohmann::json::object());
      if (data.is_object() && data.contains("key_id") && data["key_id"].is_string()) {
        ev.revoked_key = data["key_id"].get<std::string>();
      }
    }
  }
  if (ev.revoked_key.empty()) {
    ev.frame = frame(std::string(envelope));  // built once, shared by every queue
    ev.channel_bit = event_channel_bit(channel);
  }
  if (!ev.frame && ev.revoked_key.empty()) {  // a revocation notice without a key: nothing to do
    std::lock_guard lock(mu_);
    last_sequence_ = std::max(last_sequence_, sequence);
    return;
  }
  std::function<void()> run;
  bool queued = false;
  {
    std::lock_guard lock(inbox_mu_);
    if (inbox_schedule_) {
      queued = true;
      inbox_.push_back(std::move(ev));
      if (!inbox_scheduled_) {
        inbox_scheduled_ = true;
        run = inbox_schedule_;
      }
    }
  }
  if (run) run();
  if (queued) return;
  std::vector<Inbound> now;
  now.push_back(std::move(ev));
  fan_out_now(std::move(now));  // no server: fan out on this thread
}

void Hub::fan_out_now(std::vector<Inbound> events) {
  bool schedule = false;
  std::function<void()> run;
  {
    std::lock_guard lock(mu_);
    drain_inbox_locked(events, schedule);
    if (schedule) run = schedule_;
  }
  if (run) run();
}

void Hub::drain_inbox_locked(std::vector<Inbound>& events, bool& schedule) {
  for (auto& ev : events) {
    if (ev.sequence <= last_sequence_) continue;  // already seen (seeding overlaps the live stream)
    last_sequence_ = ev.sequence;
    if (!ev.revoked_key.empty()) {
      for (auto& [id, c] : connections_) {
        if (c->key_id != ev.revoked_key) continue;
        if (close_locked(*c, kCloseAuth, "Invalid or expired token")) mark_dirty_locked(c, schedule);
      }
      continue;
    }
    if (limits_.replay_buffer_events > 0) {
      buffer_.push_back({ev.sequence, ev.channel_bit, ev.frame});
      while (buffer_.size() > limits_.replay_buffer_events) buffer_.pop_front();
    }
    for (auto& [id, c] : connections_) {
      if (!(c->channels & ev.channel_bit)) continue;
      if (enqueue_locked(*c, ev.frame)) mark_dirty_locked(c, schedule);
    }
  }
}

bool Hub::attach(const ConnectionPtr& c, std::optional<std::int64_t> since, SteadyTime now) {
  bool schedule = false;
  std::function<void()> run;
  bool ok = false;
  {
    std::lock_guard lock(mu_);
    if (!UserSlots::instance().acquire(c->user_id, limits_.max_connections_per_user)) {
      c->queue.push_back(frame(error_frame("Max connections per user exceeded")));
      c->backlog = c->queue.size();
      close_locked(*c, kCloseNormal, "", /*drop_queue=*/false);
    } else {
      ok = true;
      c->attached = true;
      c->channels = kAllChannels;
      c->last_heartbeat = now;
      c->queue.push_back(frame(connected_frame(c->id)));
      if (since) {
        // Our buffer holds every channel, so its sequences are contiguous: anything between
        // `since` and its oldest entry is lost (older than the buffer, or from before a restart).
        if (!buffer_.empty() && buffer_.front().sequence > *since + 1) {
          c->queue.push_back(frame(replay_gap_frame(*since, buffer_.front().sequence)));
        }
        for (const auto& b : buffer_) {
          if (b.sequence > *since && (c->channels & b.channel_bit)) c->queue.push_back(b.frame);
        }
      }
      c->backlog = c->queue.size();
      connections_[c->id] = c;
    }
    mark_dirty_locked(c, schedule);
    if (schedule) run = schedule_;
  }
  if (run) run();
  return ok;
}

void Hub::detach(const ConnectionPtr& c) {
  std::lock_guard lock(mu_);
  c->queue.clear();
  c->backlog = 0;
  if (!c->attached) return;
  c->attached = false;
  c->channels = 0;
  UserSlots::instance().release(c->user_id);
  connections_.erase(c->id);
}

void Hub::detach_all() {
  std::lock_guard lock(mu_);
  for (auto& [id, c] : connections_) {
    c->attached = false;
    c->channels = 0;
    c->queue.clear();
    c->backlog = 0;
    UserSlots::instance().release(c->user_id);
  }
  connections_.clear();
  dirty_.clear();
}

bool Hub::rate_limited_locked(Connection& c, SteadyTime now) {
  const auto window_start = now - std::chrono::seconds(1);
  while (!c.recent_messages.empty() && c.recent_messages.front() <= window_start) {
    c.recent_messages.pop_front();
  }
  if (c.recent_messages.size() >= limits_.message_rate_limit) return true;  // not counted
  c.recent_messages.push_back(now);
  return false;
}

void Hub::handle_text(Connection& c, std::string_view text, SteadyTime now) {
  Request req = parse_request(text);  // outside the lock: parsing is the expensive part
  std::lock_guard lock(mu_);
  ++c.message_count;
  if (rate_limited_locked(c, now)) {
    enqueue_locked(c, frame(error_frame("Rate limit exceeded")));
    return;
  }
  switch (req.kind) {
    case Request::Kind::Reply:
      enqueue_locked(c, frame(std::move(req.reply)));
      return;
    case Request::Kind::Heartbeat:
      c.last_heartbeat = now;
      enqueue_locked(c, frame(heartbeat_ack_frame(wall_now_us())));
      return;
    case Request::Kind::Subscribe:
      for (auto& ch : req.channels) {
        if (!ch.error.empty()) {
          enqueue_locked(c, frame(std::move(ch.error)));
          continue;
        }
        const std::uint8_t bit = *channel_bit(ch.name);
        if (!(c.channels & bit) &&
            static_cast<std::size_t>(std::popcount(c.channels)) >= limits_.max_subscriptions_per_connection) {
          enqueue_locked(c, frame(subscribed_frame(ch.name, false, "Max subscriptions exceeded")));
          continue;
        }
        if (c.attached) c.channels |= bit;
        enqueue_locked(c, frame(subscribed_frame(ch.name, true, "subscribed")));
      }
      return;
    case Request::Kind::Unsubscribe:
      for (auto& ch : req.channels) {
        if (!ch.error.empty()) {
          enqueue_locked(c, frame(std::move(ch.error)));
          continue;
        }
        c.channels &= static_cast<std::uint8_t>(~*channel_bit(ch.name));
        enqueue_locked(c, frame(unsubscribed_frame(ch.name)));
      }
      return;
  }
}

void Hub::handle_binary(Connection& c, SteadyTime now) {
  std::lock_guard lock(mu_);
  ++c.message_count;
  if (rate_limited_locked(c, now)) {
    enqueue_locked(c, frame(error_frame("Rate limit exceeded")));
    return;
  }
  enqueue_locked(c, frame(error_frame("Binary frames are not supported")));
}

Hub::Next Hub::next(Connection& c, bool frames_allowed) {
  std::lock_guard lock(mu_);
  Next n;
  if (c.close_pending && !c.close_taken && (c.queue.empty() || !frames_allowed || c.close_code != kCloseNormal)) {
    // A normal close (max connections) first flushes its error frame; the others drop the queue.
    c.close_taken = true;
    n.close = true;
    n.code = c.close_code;
    n.reason = c.close_reason;
    return n;
  }
  if (!frames_allowed) return n;
  if (!c.close_taken && !c.queue.empty()) {
    n.frame = std::move(c.queue.front());
    c.queue.pop_front();
    if (c.backlog > 0) --c.backlog;
    return n;
  }
  c.wake_pending = false;
  return n;
}

void Hub::request_close(const ConnectionPtr& c, std::uint16_t code, std::string reason) {
  bool schedule = false;
  std::function<void()> run;
  {
    std::lock_guard lock(mu_);
    if (close_locked(*c, code, std::move(reason))) mark_dirty_locked(c, schedule);
    if (schedule) run = schedule_;
  }
  if (run) run();
}

std::size_t Hub::close_key(std::string_view key_id, std::uint16_t code, const std::string& reason) {
  bool schedule = false;
  std::function<void()> run;
  std::size_t n = 0;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : connections_) {
      if (key_id.empty() || c->key_id != key_id) continue;
      if (close_locked(*c, code, reason)) {
        ++n;
        mark_dirty_locked(c, schedule);
      }
    }
    if (schedule) run = schedule_;
  }
  if (run) run();
  return n;
}

std::size_t Hub::close_token(std::string_view token, std::uint16_t code, const std::string& reason) {
  bool schedule = false;
  std::function<void()> run;
  std::size_t n = 0;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : connections_) {
      if (token.empty() || c->token != token) continue;
      if (close_locked(*c, code, reason)) {
        ++n;
        mark_dirty_locked(c, schedule);
      }
    }
    if (schedule) run = schedule_;
  }
  if (run) run();
  return n;
}

std::size_t Hub::sweep_heartbeats(SteadyTime now) {
  bool schedule = false;
  std::function<void()> run;
  std::size_t n = 0;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : connections_) {
      if (now - c->last_heartbeat < limits_.heartbeat_timeout) continue;
      if (close_locked(*c, kCloseHeartbeat, "Heartbeat timeout")) {
        ++n;
        mark_dirty_locked(c, schedule);
      }
    }
    if (schedule) run = schedule_;
  }
  if (run) run();
  return n;
}

std::vector<std::string> Hub::open_tokens() const {
  std::lock_guard lock(mu_);
  std::set<std::string> tokens;
  for (const auto& [id, c] : connections_) {
    if (!c->token.empty() && !c->close_pending) tokens.insert(c->token);
  }
  return {tokens.begin(), tokens.end()};
}

std::size_t Hub::connection_count() const {
  std::lock_guard lock(mu_);
  return connections_.size();
}

std::size_t Hub::buffered_events() const {
  std::lock_guard lock(mu_);
  return buffer_.size();
}

}  // namespace axion::plugins::ws
