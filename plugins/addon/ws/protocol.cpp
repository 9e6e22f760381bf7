#include "protocol.hpp"

#include <cstdio>
#include <mutex>
#include <random>

#include "axion/sdk/json_limits.hpp"
#include "axion/sdk/time.hpp"

namespace axion::plugins::ws {

using ojson = nlohmann::ordered_json;  // replies keep the key order the spec lists

std::optional<std::uint8_t> channel_bit(std::string_view name) {
  for (std::size_t i = 0; i < kChannels.size(); ++i) {
    if (kChannels[i] == name) return static_cast<std::uint8_t>(1u << i);
  }
  return std::nullopt;
}

std::uint8_t event_channel_bit(std::string_view channel) {
  if (auto b = channel_bit(channel)) return *b;
  return *channel_bit("lifecycle");
}

std::string python_repr(const nlohmann::json& v, bool top_level) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "None";
    case nlohmann::json::value_t::boolean: return v.get<bool>() ? "True" : "False";
    case nlohmann::json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      return top_level ? s : "'" + s + "'";
    }
    case nlohmann::json::value_t::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ", ";
        out += python_repr(v[i], false);
      }
      return out + "]";
    }
    case nlohmann::json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, item] : v.items()) {
        if (!first) out += ", ";
        first = false;
        out += "'" + k + "': " + python_repr(item, false);
      }
      return out + "}";
    }
    default: return v.dump();  // numbers: nlohmann prints shortest round-trip, 1.0 keeps its point
  }
}

std::string connected_frame(std::string_view connection_id) {
  return ojson{{"event", "connected"}, {"connection_id", connection_id}}.dump();
}

std::string replay_gap_frame(std::int64_t since, std::int64_t oldest) {
  return ojson{{"event", "replay_gap"},
               {"since", since},
               {"oldest_sequence", oldest},
               {"message", "Events after " + std::to_string(since) +
                               " are no longer available; replaying from " + std::to_string(oldest)}}
      .dump();
}

std::string subscribed_frame(std::string_view channel, bool ok, std::string_view message) {
  return ojson{{"action", "subscribed"}, {"channel", channel}, {"ok", ok}, {"message", message}}.dump();
}

std::string unsubscribed_frame(std::string_view channel) {
  return ojson{{"action", "unsubscribed"}, {"channel", channel}, {"ok", true}}.dump();
}

std::string heartbeat_ack_frame(std::int64_t wall_us) {
  return ojson{{"action", "heartbeat_ack"}, {"timestamp", sdk::time::to_iso(wall_us)}}.dump();
}

std::string error_frame(std::string_view message) { return ojson{{"error", message}}.dump(); }

std::string unknown_channel_frame(std::string_view rendered_channel) {
  ojson available = ojson::array();
  for (auto c : kChannels) available.push_back(c);
  return ojson{{"error", "Unknown channel: " + std::string(rendered_channel)}, {"available", available}}
      .dump();
}

namespace {

// One requested channel value: a known name, an unknown one (error frame), or not a name at all.
// Returns false when the value is not acceptable as a channel (a non-string other than null).
bool channel_entry(const nlohmann::json& v, Request::Channel& out) {
  if (v.is_null()) {
    out.error = unknown_channel_frame("None");
    return true;
  }
  if (!v.is_string()) return false;
  out.name = v.get<std::string>();
  if (!channel_bit(out.name)) out.error = unknown_channel_frame(out.name);
  return true;
}

Request reply(std::string frame) {
  Request r;
  r.reply = std::move(frame);
  return r;
}

}  // namespace

Request parse_request(std::string_view text) {
  // Before parsing: rendering a parsed value (python_repr, dump) recurses once per level.
  if (!sdk::json_depth_within(text)) {
    return reply(error_frame("JSON nested deeper than " + std::to_string(sdk::kMaxJsonDepth) + " levels"));
  }
  auto msg = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (msg.is_discarded()) return reply(error_frame("Invalid JSON"));
  if (!msg.is_object()) return reply(error_frame("Invalid message"));

  const auto action = msg.contains("action") ? msg["action"] : nlohmann::json();
  Request r;
  if (action == "heartbeat") {
    r.kind = Request::Kind::Heartbeat;
    return r;
  }
  if (action == "subscribe") {
    r.kind = Request::Kind::Subscribe;
  } else if (action == "unsubscribe") {
    r.kind = Request::Kind::Unsubscribe;
  } else {
    return reply(error_frame("Unknown action: " + python_repr(action)));
  }

  // Plural form: one reply per entry; an empty or non-list `channels` is not a valid message.
  if (msg.contains("channels")) {
    const auto& list = msg["channels"];
    if (!list.is_array() || list.empty()) return reply(error_frame("Invalid message"));
    for (const auto& v : list) {
      Request::Channel c;
      if (!channel_entry(v, c)) c.error = error_frame("Invalid message");
      r.channels.push_back(std::move(c));
    }
    return r;
  }
  Request::Channel c;
  if (!msg.contains("channel")) {
    c.error = unknown_channel_frame("");  // missing => ""
  } else if (!channel_entry(msg["channel"], c)) {
    return reply(error_frame("Invalid message"));
  }
  r.channels.push_back(std::move(c));
  return r;
}

std::optional<std::string> auth_message_token(std::string_view text) {
  if (!sdk::json_depth_within(text)) return std::nullopt;
  auto msg = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!msg.is_object() || msg.value("action", nlohmann::json()) != "auth") return std::nullopt;
  auto it = msg.find("token");
  if (it == msg.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::string new_connection_id() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t v = 0;
  {
    std::lock_guard lock(mu);
    v = rng();
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string url_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    auto eq = part.find('=');
    if (url_decode(part.substr(0, eq)) == key) {
      return eq == std::string_view::npos ? std::string() : url_decode(part.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace axion::plugins::ws
