// The /ws/bot wire protocol of control.md §4 as pure functions: channel names, the exact reply
// frames, and the Python-style rendering the error texts use. No sockets, no locks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace axion::plugins::ws {

// The five channels, in the order the `available` list shows them (sorted).
inline constexpr std::array<std::string_view, 5> kChannels = {"alerts", "lifecycle", "metrics",
                                                              "orders", "signals"};
inline constexpr std::uint8_t kAllChannels = 0x1f;

// Bit of a channel name, or nullopt for anything else.
std::optional<std::uint8_t> channel_bit(std::string_view name);
// The bit an event's channel is delivered on: the host names one of the five; anything else is
// treated as `lifecycle` (§4.5 "anything else").
std::uint8_t event_channel_bit(std::string_view channel);

// Python-style rendering used inside error texts: null => None, true => True, strings bare at
// the top level (quoted with '' inside lists and objects), lists ['a', 5], objects {'k': 1}.
std::string python_repr(const nlohmann::json& v, bool top_level = true);

// Reply frames (keys in the order the spec lists them).
std::string connected_frame(std::string_view connection_id);
std::string replay_gap_frame(std::int64_t since, std::int64_t oldest);
std::string subscribed_frame(std::string_view channel, bool ok, std::string_view message);
std::string unsubscribed_frame(std::string_view channel);
std::string heartbeat_ack_frame(std::int64_t wall_us);
std::string error_frame(std::string_view message);
std::string unknown_channel_frame(std::string_view rendered_channel);

// What a client asked for, after parsing one text frame.
struct Request {
  enum class Kind { Subscribe, Unsubscribe, Heartbeat, Reply } kind = Kind::Reply;
  // Subscribe/Unsubscribe: each requested channel, already validated; an entry with
  // `error` set is answered with that frame instead (validation per channel).
  struct Channel {
    std::string name;
    std::string error;  // a complete error frame, or empty when `name` is one of the five
  };
  std::vector<Channel> channels;
  std::string reply;  // Kind::Reply: the complete frame to send back
};
// Nothing deeper than sdk::kMaxJsonDepth is parsed: such a message is answered with an error.
Request parse_request(std::string_view text);

// The token of a first-message authentication {"action":"auth","token":"ax_…"} (issue 9 #13:
// a key in the URL ends up in access logs); nullopt for anything else. Parses only small,
// shallow text (the caller caps the size of a message read before authentication).
std::optional<std::string> auth_message_token(std::string_view text);

// 16 lower-case hex digits from a process-wide random source.
std::string new_connection_id();

// Percent-decoding of one query-string value ('+' is a space).
std::string url_decode(std::string_view s);
// The value of `key` in a query string ("a=1&b=2"), decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view key);

}  // namespace axion::plugins::ws
