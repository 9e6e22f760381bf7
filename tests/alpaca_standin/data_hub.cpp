#include "data_hub.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <utility>

#include "render.hpp"

namespace axion::testing::alpaca {

using nlohmann::json;

struct DataHub::Conn : WsConn {
  Clock::time_point auth_deadline;
  // Subscriptions per channel ("trades", "quotes", "bars"); only bars are ever sent.
  std::map<std::string, std::set<std::string>> channels{
      {"trades", {}}, {"quotes", {}}, {"bars", {}}};

  bool wants(const std::string& symbol) const {
    const auto& bars = channels.at("bars");
    return bars.count(symbol) != 0 || bars.count("*") != 0;  // "*": every symbol
  }
};

namespace {

// Alpaca's stream error messages by code.
constexpr std::pair<int, std::string_view> kErrors[] = {
    {400, "invalid syntax"},
    {401, "not authenticated"},
    {402, "auth failed"},
    {403, "already authenticated"},
    {404, "auth timeout"},
    {405, "symbol limit exceeded"},
    {406, "connection limit exceeded"},
    {407, "slow client"},
    {409, "insufficient subscription"},
    {500, "internal error"},
};

std::string error_text(int code) {
  for (const auto& [known, text] : kErrors) {
    if (known == code) return std::string(text);
  }
  return "error";
}

std::string success(const char* msg) {
  return json::array({json{{"T", "success"}, {"msg", msg}}}).dump();
}

std::string string_field(const json& msg, const char* field) {
  const auto it = msg.find(field);
  return it != msg.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Whether every channel the message names is an array of strings (Alpaca: 400 otherwise).
bool valid_lists(const json& msg) {
  for (const auto& [name, value] : msg.items()) {
    if (name == "action") continue;
    if (!value.is_array()) return false;
    for (const auto& symbol : value) {
      if (!symbol.is_string()) return false;
    }
  }
  return true;
}

}  // namespace

DataHub::DataHub(std::string key_id, std::string secret_key, std::chrono::milliseconds auth_timeout)
    : WsHub(std::move(key_id), std::move(secret_key)), auth_timeout_(auth_timeout) {}

WsConnPtr DataHub::make_conn() { return std::make_shared<Conn>(); }

void DataHub::on_open(WsConn& wc, Clock::time_point now) {
  static_cast<Conn&>(wc).auth_deadline = now + auth_timeout_;
  send(wc, success("connected"));
}

void DataHub::send(WsConn& c, std::string payload) {
  push(c, Clock::now(), true, std::move(payload));
}

void DataHub::error(WsConn& c, int code, bool then_close) {
  const std::string msg = error_text(code);
  send(c, json::array({json{{"T", "error"}, {"code", code}, {"msg", msg}}}).dump());
  if (then_close) queue_close(c, Clock::now(), kClosePolicy, msg);
}

void DataHub::handle(WsConn& wc, const std::string& text) {
  auto& c = static_cast<Conn&>(wc);
  const auto msg = json::parse(text, nullptr, false);
  if (!msg.is_object()) return error(c, 400, false);
  const std::string action = string_field(msg, "action");

  if (action == "auth") {
    if (!fail_auth_.empty()) {
      const int code = fail_auth_.front();
      fail_auth_.pop_front();
      return error(c, code, true);
    }
    if (c.authenticated) return error(c, 403, false);
    const std::string key = string_field(msg, "key");
    if (!keys_match(key, string_field(msg, "secret"))) return error(c, 402, true);
    if (!take_slot(c, key)) return error(c, 406, true);  // the open one keeps working
    c.authenticated = true;
    return send(c, success("authenticated"));
  }
  if (!c.authenticated) return error(c, 401, false);

  if ((action != "subscribe" && action != "unsubscribe") || !valid_lists(msg))
    return error(c, 400, false);
  for (auto& [channel, symbols] : c.channels) {
    const auto it = msg.find(channel);
    if (it == msg.end()) continue;
    for (const auto& symbol : *it) {
      if (action == "subscribe")
        symbols.insert(symbol.get<std::string>());
      else
        symbols.erase(symbol.get<std::string>());
    }
  }
  json answer{{"T", "subscription"}};
  for (const auto& [channel, symbols] : c.channels) answer[channel] = symbols;  // sorted
  send(c, json::array({answer}).dump());
}

std::optional<WsHub::Clock::time_point> DataHub::on_tick(WsConn& wc, Clock::time_point now) {
  auto& c = static_cast<Conn&>(wc);
  if (c.authenticated) return std::nullopt;
  if (now < c.auth_deadline) return c.auth_deadline;
  error(c, 404, true);
  return std::nullopt;
}

void DataHub::publish_bars(const std::vector<BarRecord>& bars) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    for (const auto& p : conns_) {
      const auto& c = static_cast<const Conn&>(*p);
      if (!c.authenticated || c.closing || c.half_open) continue;
      json frame = json::array();
      for (const BarRecord& b : bars) {
        if (c.wants(b.symbol)) frame.push_back(stream_bar_json(b));
      }
      if (frame.empty()) continue;
      send(*p, frame.dump());
      wakes.push_back(c.wake);
    }
  }
  wake_all(wakes);
}

void DataHub::fail_next_auth(int code) {
  std::lock_guard lock(mutex_);
  fail_auth_.push_back(code);
}

std::vector<std::string> DataHub::subscriptions() const {
  std::lock_guard lock(mutex_);
  std::set<std::string> all;
  for (const auto& p : conns_) {
    const auto& c = static_cast<const Conn&>(*p);
    if (!c.authenticated || c.closing) continue;
    const auto& bars = c.channels.at("bars");
    all.insert(bars.begin(), bars.end());
  }
  return {all.begin(), all.end()};
}

}  // namespace axion::testing::alpaca
