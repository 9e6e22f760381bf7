#include "stream_hub.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "render.hpp"

namespace axion::testing::alpaca {

using nlohmann::json;

namespace {

std::string frame(const char* stream, json data) {
  return json{{"stream", stream}, {"data", std::move(data)}}.dump();
}

std::string string_field(const json* data, const char* field) {
  if (!data) return {};
  const auto it = data->find(field);
  return it != data->end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

StreamHub::StreamHub(std::string key_id, std::string secret_key)
    : key_id_(std::move(key_id)), secret_key_(std::move(secret_key)) {}

StreamConnPtr StreamHub::open(std::function<void()> wake) {
  auto c = std::make_shared<StreamConn>();
  c->wake = std::move(wake);
  std::lock_guard lock(mutex_);
  conns_.push_back(c);
  return c;
}

void StreamHub::reply(StreamConn& c, const std::string& payload, bool then_close) {
  const auto now = Clock::now();
  c.out.push_back(StreamConn::Out{now, false, text_frames_, payload, 0, {}});
  if (then_close) queue_close(c, now, kClosePolicy, "unauthorized");
}

void StreamHub::queue_close(StreamConn& c, Clock::time_point due, std::uint16_t code,
                            std::string reason) {
  c.out.push_back(StreamConn::Out{due, true, false, {}, code, std::move(reason)});
  c.closing = true;
}

void StreamHub::on_message(StreamConn& c, std::string text) {
  std::lock_guard lock(mutex_);
  const auto msg = json::parse(text, nullptr, false);
  received_.push_back(std::move(text));
  if (c.closing || c.half_open) return;

  std::string action;
  const json* data = nullptr;
  if (msg.is_object()) {
    if (const auto it = msg.find("action"); it != msg.end() && it->is_string())
      action = it->get<std::string>();
    if (const auto it = msg.find("data"); it != msg.end() && it->is_object()) data = &*it;
  }

  if (action == "authenticate") {
    json answer{{"status", "unauthorized"}, {"action", "authenticate"}};
    const std::string key = string_field(data, "key_id");
    if (key.empty() || key != key_id_ || string_field(data, "secret_key") != secret_key_)
      return reply(c, frame("authorization", answer), true);
    if (const auto slot = slots_.find(key); slot != slots_.end() && slot->second != &c) {
      answer["message"] = "connection limit exceeded";
      return reply(c, frame("authorization", answer), true);
    }
    slots_[key] = &c;
    c.authenticated = true;
    c.key_id = key;
    answer["status"] = "authorized";
    return reply(c, frame("authorization", answer));
  }

  if (!c.authenticated) {
    json answer{{"status", "unauthorized"}};
    if (!action.empty()) answer["action"] = action;
    return reply(c, frame("authorization", answer), true);
  }

  if (action == "listen") {
    const json* streams = nullptr;
    if (data) {
      if (const auto it = data->find("streams"); it != data->end() && it->is_array())
        streams = &*it;
    }
    if (!streams)
      return reply(c, frame("error", json{{"message", "listen needs data.streams, an array"}}));
    // The whole set is replaced; only trade_updates exists on this endpoint.
    c.listening = std::find(streams->begin(), streams->end(), json("trade_updates")) !=
                  streams->end();
    json echoed = json::array();
    if (c.listening) echoed.push_back("trade_updates");
    return reply(c, frame("listening", json{{"streams", echoed}}));
  }

  reply(c, frame("error", json{{"message", action.empty() ? std::string("invalid syntax")
                                                           : "unknown action " + action}}));
}

StreamStep StreamHub::next(StreamConn& c, Clock::time_point now, bool can_write) {
  std::lock_guard lock(mutex_);
  StreamStep step;
  if (c.drop_now) {
    c.drop_now = false;
    step.kind = StreamStep::Kind::close;
    step.close_code = kCloseGoingAway;
    step.close_reason = "stream dropped";
    return step;
  }
  if (c.half_open) {
    step.kind = StreamStep::Kind::half_open;
    return step;
  }
  if (c.out.empty()) return step;
  StreamConn::Out& head = c.out.front();
  if (head.due > now) {
    step.kind = StreamStep::Kind::wait;
    step.until = head.due;
    return step;
  }
  if (!can_write) return step;  // the session asks again when its write completes
  if (head.close) {
    step.kind = StreamStep::Kind::close;
    step.close_code = head.close_code;
    step.close_reason = std::move(head.close_reason);
  } else {
    step.kind = StreamStep::Kind::write;
    step.text = head.text;
    step.payload = std::move(head.payload);
  }
  c.out.pop_front();
  return step;
}

void StreamHub::closed(StreamConn& c) {
  std::lock_guard lock(mutex_);
  c.closing = true;
  c.out.clear();
  if (const auto slot = slots_.find(c.key_id); slot != slots_.end() && slot->second == &c)
    slots_.erase(slot);
  std::erase_if(conns_, [&](const StreamConnPtr& p) { return p.get() == &c; });
}

void StreamHub::publish(const BookEvent& e) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    const bool is_fill = e.event == "fill" || e.event == "partial_fill";
    const auto due = Clock::now() + delay_;
    if (is_fill && drop_before_fill_ > 0) {
      // The fill is not delivered: every connection is closed in its place, after what is
      // queued before it (a fill missed while disconnected; REST has it).
      --drop_before_fill_;
      for (const auto& c : conns_) {
        if (c->closing) continue;
        if (c->half_open) {
          c->drop_now = true;
          c->closing = true;
        } else {
          queue_close(*c, due, kCloseGoingAway, "stream dropped");
        }
        wakes.push_back(c->wake);
      }
    } else {
      json data{{"event", std::string(e.event)},
                {"order", order_json(e.order)},
                {"timestamp", rfc3339_utc(e.at)}};
      int copies = 1;
      if (is_fill) {
        data["execution_id"] = new_uuid();
        data["price"] = decimal(e.price);
        data["qty"] = decimal(e.qty);
        data["position_qty"] = decimal(e.position_qty);
        if (duplicate_fill_ > 0) {
          --duplicate_fill_;
          copies = 2;
        }
      }
      const std::string payload = frame("trade_updates", std::move(data));
      for (const auto& c : conns_) {
        if (!c->authenticated || !c->listening || c->half_open || c->closing) continue;
        for (int i = 0; i < copies; ++i)
          c->out.push_back(StreamConn::Out{due, false, text_frames_, payload, 0, {}});
        wakes.push_back(c->wake);
      }
    }
  }
  wake_all(wakes);
}

void StreamHub::wake_all(const std::vector<std::function<void()>>& wakes) {
  for (const auto& wake : wakes) {
    if (wake) wake();
  }
}

void StreamHub::text_frames(bool text) {
  std::lock_guard lock(mutex_);
  text_frames_ = text;
}

void StreamHub::drop_all() {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : conns_) {
      if (c->drop_now) continue;
      c->drop_now = true;
      c->closing = true;
      c->out.clear();
      wakes.push_back(c->wake);
    }
  }
  wake_all(wakes);
}

void StreamHub::drop_before_next_fill() {
  std::lock_guard lock(mutex_);
  ++drop_before_fill_;
}

void StreamHub::delay_events(std::chrono::milliseconds d) {
  std::lock_guard lock(mutex_);
  delay_ = std::max(d, std::chrono::milliseconds(0));
}

void StreamHub::duplicate_next_fill() {
  std::lock_guard lock(mutex_);
  ++duplicate_fill_;
}

void StreamHub::half_open_all() {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : conns_) {
      if (c->half_open || c->closing) continue;
      c->half_open = true;
      c->out.clear();
      wakes.push_back(c->wake);
    }
  }
  wake_all(wakes);
}

int StreamHub::connections() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(conns_.size());
}

int StreamHub::listening() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count_if(conns_.begin(), conns_.end(), [](const StreamConnPtr& c) {
    return c->authenticated && c->listening && !c->half_open && !c->closing;
  }));
}

std::vector<std::string> StreamHub::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

}  // namespace axion::testing::alpaca
