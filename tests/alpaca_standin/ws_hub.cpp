#include "ws_hub.hpp"

#include <algorithm>

namespace axion::testing::alpaca {

WsHub::WsHub(std::string key_id, std::string secret_key)
    : key_id_(std::move(key_id)), secret_key_(std::move(secret_key)) {}

WsConnPtr WsHub::open(std::function<void()> wake) {
  WsConnPtr c = make_conn();
  c->wake = std::move(wake);
  std::lock_guard lock(mutex_);
  conns_.push_back(c);
  on_open(*c, Clock::now());
  return c;
}

void WsHub::on_message(WsConn& c, std::string text) {
  std::lock_guard lock(mutex_);
  received_.push_back(text);
  if (c.closing || c.half_open) return;
  handle(c, text);
}

WsStep WsHub::next(WsConn& c, Clock::time_point now, bool can_write) {
  std::lock_guard lock(mutex_);
  WsStep step;
  if (c.drop_now) {
    c.drop_now = false;
    step.kind = WsStep::Kind::close;
    step.close_code = kCloseGoingAway;
    step.close_reason = "stream dropped";
    return step;
  }
  if (c.half_open) {
    step.kind = WsStep::Kind::half_open;
    return step;
  }
  const auto tick = c.closing ? std::nullopt : on_tick(c, now);
  if (c.out.empty()) {
    if (tick) {
      step.kind = WsStep::Kind::wait;
      step.until = *tick;
    }
    return step;
  }
  WsConn::Out& head = c.out.front();
  if (head.due > now) {
    step.kind = WsStep::Kind::wait;
    step.until = tick ? std::min(head.due, *tick) : head.due;
    return step;
  }
  if (!can_write) return step;  // the session asks again when its write completes
  if (head.close) {
    step.kind = WsStep::Kind::close;
    step.close_code = head.close_code;
    step.close_reason = std::move(head.close_reason);
  } else {
    step.kind = WsStep::Kind::write;
    step.text = head.text;
    step.payload = std::move(head.payload);
  }
  c.out.pop_front();
  return step;
}

void WsHub::closed(WsConn& c) {
  std::lock_guard lock(mutex_);
  c.closing = true;
  c.out.clear();
  if (const auto slot = slots_.find(c.key_id); slot != slots_.end() && slot->second == &c)
    slots_.erase(slot);
  std::erase_if(conns_, [&](const WsConnPtr& p) { return p.get() == &c; });
}

void WsHub::drop_all() {
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

void WsHub::half_open_all() {
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

int WsHub::connections() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(conns_.size());
}

std::vector<std::string> WsHub::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

bool WsHub::keys_match(const std::string& key, const std::string& secret) const {
  return !key.empty() && key == key_id_ && secret == secret_key_;
}

bool WsHub::take_slot(WsConn& c, const std::string& key) {
  if (const auto slot = slots_.find(key); slot != slots_.end() && slot->second != &c) return false;
  slots_[key] = &c;
  c.key_id = key;
  return true;
}

void WsHub::push(WsConn& c, Clock::time_point due, bool text, std::string payload) {
  c.out.push_back(WsConn::Out{due, false, text, std::move(payload), 0, {}});
}

void WsHub::queue_close(WsConn& c, Clock::time_point due, std::uint16_t code, std::string reason) {
  c.out.push_back(WsConn::Out{due, true, false, {}, code, std::move(reason)});
  c.closing = true;
}

void WsHub::wake_all(const std::vector<std::function<void()>>& wakes) {
  for (const auto& wake : wakes) {
    if (wake) wake();
  }
}

}  // namespace axion::testing::alpaca
