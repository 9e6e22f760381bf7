#include "stream_hub.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "render.hpp"

namespace axion::testing::alpaca {

using nlohmann::json;

struct StreamHub::Conn : WsConn {
  bool listening = false;  // to trade_updates
};

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
    : WsHub(std::move(key_id), std::move(secret_key)) {}

WsConnPtr StreamHub::make_conn() { return std::make_shared<Conn>(); }

void StreamHub::reply(WsConn& c, const std::string& payload, bool then_close) {
  const auto now = Clock::now();
  push(c, now, text_frames_, payload);
  if (then_close) queue_close(c, now, kClosePolicy, "unauthorized");
}

void StreamHub::handle(WsConn& wc, const std::string& text) {
  auto& c = static_cast<Conn&>(wc);
  const auto msg = json::parse(text, nullptr, false);
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
    if (!keys_match(key, string_field(data, "secret_key")))
      return reply(c, frame("authorization", answer), true);
    if (!take_slot(c, key)) {
      answer["message"] = "connection limit exceeded";
      return reply(c, frame("authorization", answer), true);
    }
    c.authenticated = true;
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
      for (const auto& p : conns_) {
        const auto& c = static_cast<const Conn&>(*p);
        if (!c.authenticated || !c.listening || c.half_open || c.closing) continue;
        for (int i = 0; i < copies; ++i) push(*p, due, text_frames_, payload);
        wakes.push_back(c.wake);
      }
    }
  }
  wake_all(wakes);
}

void StreamHub::text_frames(bool text) {
  std::lock_guard lock(mutex_);
  text_frames_ = text;
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

int StreamHub::listening() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(std::count_if(conns_.begin(), conns_.end(), [](const WsConnPtr& p) {
    const auto& c = static_cast<const Conn&>(*p);
    return c.authenticated && c.listening && !c.half_open && !c.closing;
  }));
}

}  // namespace axion::testing::alpaca
