#include "axion/core/state/event_bus.hpp"

#include <algorithm>

#include "axion/sdk/json_text.hpp"
#include "axion/sdk/time.hpp"

namespace axion::core {

EventBus::EventBus(std::size_t replay_capacity)
    : buffer_(replay_capacity), keep_events_(replay_capacity > 0) {}

std::string EventBus::channel_for(std::string_view e) {
  if (e == "trade_executed" || e == "position_closed" || e == "order_submitted") return "orders";
  if (e == "signal_received" || e == "signal_rejected" || e == "signal_fused") return "signals";
  if (e == "kill_switch" || e == "emergency_close" || e == "daily_loss_warning" || e == "error" ||
      e == "pretrade_rejected") {
    return "alerts";
  }
  if (e == "performance_snapshot" || e == "weight_update" || e == "regime_update") return "metrics";
  return "lifecycle";
}

void EventBus::set_next_sequence(std::int64_t next) {
  std::lock_guard lock(mu_);
  next_seq_ = next;
}

void EventBus::set_recorder(Recorder recorder) {
  std::lock_guard lock(mu_);
  recorder_ = std::move(recorder);
}

std::int64_t EventBus::publish(std::string_view name, const json& data, std::int64_t ts_us) {
  // Event data carries plugin text (strategy and source names): not UTF-8 is replaced, not thrown.
  return publish_text(name, data.dump(-1, ' ', false, json::error_handler_t::replace), ts_us);
}

std::int64_t EventBus::publish_text(std::string_view name, std::string_view data, std::int64_t ts_us) {
  std::shared_ptr<Event> ev = spare_events_.take();  // as its last owner left it
  ev->ts_us = ts_us;
  ev->channel = channel_for(name);
  ev->event.assign(name);
  std::shared_ptr<const std::vector<Sink>> sinks;
  Recorder recorder;
  {
    std::lock_guard lock(mu_);
    ev->sequence = next_seq_++;
    // The envelope wraps the already-serialized data (no second serialization per event).
    std::string& env = ev->envelope;
    reuse_buffer(env, data.size() + 128);  // as its last owner left it
    env.append("{\"channel\":\"").append(ev->channel).append("\",\"event\":");
    sdk::json_text::append_string(env, ev->event);
    env.append(",\"data\":");
    ev->data_at = static_cast<std::uint32_t>(env.size());
    ev->data_size = static_cast<std::uint32_t>(data.size());
    env.append(data);
    env.append(",\"timestamp\":\"");
    sdk::time::append_iso(env, ts_us);
    env.append("\",\"sequence\":");
    sdk::json_text::append_int(env, ev->sequence);
    env += '}';
    // The oldest, once full, goes back to spare_events_ with its last owner.
    if (keep_events_) buffer_.push(ev);
    if (recorder_) recorder = recorder_;
    sinks = sink_list_;
  }
  if (recorder) recorder(ev);
  for (const auto& s : *sinks) s(*ev);
  return ev->sequence;
}

int EventBus::subscribe(Sink sink, std::int64_t since, std::int64_t* oldest_available) {
  std::lock_guard lock(mu_);
  if (since >= 0) {
    if (oldest_available) {
      *oldest_available = buffer_.empty() ? next_seq_ : buffer_.at(0)->sequence;
    }
    buffer_.for_each_last(buffer_.size(), [&](const EventPtr& ev) {
      if (ev->sequence > since) sink(*ev);
    });
  }
  int id = next_id_++;
  sinks_[id] = std::move(sink);
  rebuild_sink_list();
  return id;
}

void EventBus::unsubscribe(int id) {
  std::lock_guard lock(mu_);
  sinks_.erase(id);
  rebuild_sink_list();
}

void EventBus::rebuild_sink_list() {
  auto list = std::make_shared<std::vector<Sink>>();
  list->reserve(sinks_.size());
  for (const auto& [id, s] : sinks_) list->push_back(s);
  sink_list_ = std::move(list);
}

std::vector<Event> EventBus::recent(std::size_t n) const {
  std::lock_guard lock(mu_);
  const std::size_t m = std::min(n, buffer_.size());
  std::vector<Event> out;
  out.reserve(m);
  buffer_.for_each_last(m, [&](const EventPtr& ev) { out.push_back(*ev); });
  return out;
}

std::int64_t EventBus::last_sequence() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

}  // namespace axion::core
