// In-process event bus (ARCHITECTURE §1): every event gets the next engine-wide sequence number
// (durable: the journal records each event and the next start continues after the last one),
// its channel from the event→channel map of control.md §4.5, and lands in a bounded replay
// buffer so a subscriber can resume from a sequence number.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "axion/core/domain/types.hpp"
#include "axion/core/state/recycler.hpp"
#include "axion/sdk/indicators/ring.hpp"

namespace axion::core {

struct Event {
  std::int64_t sequence = 0;
  std::int64_t ts_us = 0;
  std::string channel;
  std::string event;
  std::string envelope;  // {"channel","event","data","timestamp","sequence"} as sent to clients
  // The data's JSON text: the span of the envelope that holds it (written once, not twice).
  std::uint32_t data_at = 0, data_size = 0;
  std::string_view data() const { return std::string_view(envelope).substr(data_at, data_size); }
};

// One event is built once and shared, never copied: by the replay buffer, the journal's record
// of it and every subscriber. Its last owner gives it back to the bus (envelope capacity kept),
// so a steady stream of events allocates nothing.
using EventPtr = std::shared_ptr<const Event>;

class EventBus {
 public:
  using Sink = std::function<void(const Event&)>;
  using Recorder = std::function<void(const EventPtr&)>;

  explicit EventBus(std::size_t replay_capacity = 10'000);

  static std::string channel_for(std::string_view event);

  void set_next_sequence(std::int64_t next);
  // Called synchronously for every event, before subscribers (the journal).
  void set_recorder(Recorder recorder);

  std::int64_t publish(std::string_view event, const json& data, std::int64_t ts_us);
  // The same with the data already written as JSON text (one object; valid UTF-8), copied once
  // into the event's envelope.
  std::int64_t publish_text(std::string_view event, std::string_view data, std::int64_t ts_us);

  // Subscribe; buffered events with sequence > since are delivered first (since < 0: none).
  // Returns the oldest buffered sequence through *oldest when the gap cannot be filled.
  int subscribe(Sink sink, std::int64_t since = -1, std::int64_t* oldest_available = nullptr);
  void unsubscribe(int id);

  std::vector<Event> recent(std::size_t n) const;
  std::int64_t last_sequence() const;

 private:
  mutable std::mutex mu_;
  sdk::ind::Ring<EventPtr> buffer_;  // the replay buffer: the newest `capacity` events
  bool keep_events_;                 // capacity 0: none (a Ring holds at least one)
  Recycler<Event> spare_events_{1024};
  std::int64_t next_seq_ = 1;
  Recorder recorder_;
  std::map<int, Sink> sinks_;
  // sinks_ as publish() calls them: replaced on (un)subscribe, so a publish takes a reference
  // instead of copying every sink.
  std::shared_ptr<const std::vector<Sink>> sink_list_ = std::make_shared<std::vector<Sink>>();
  void rebuild_sink_list();
  int next_id_ = 1;
};

}  // namespace axion::core
