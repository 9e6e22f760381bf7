// Which way a position faces and which way an order trades. Text only at the edges: signals
// and plugin records carry "long"/"short" and "buy"/"sell", the journal and REST write them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace axion::core {

enum class Direction : std::uint8_t { Long, Short };
enum class Side : std::uint8_t { Buy, Sell };

constexpr std::string_view to_string(Direction d) { return d == Direction::Short ? "short" : "long"; }
constexpr std::string_view to_string(Side s) { return s == Side::Sell ? "sell" : "buy"; }

// Exactly "long" or "short": anything else is no direction (a caller rejects, never guesses).
constexpr std::optional<Direction> parse_direction(std::string_view s) {
  if (s == "long") return Direction::Long;
  if (s == "short") return Direction::Short;
  return std::nullopt;
}

// The order side that opens a position of direction d, and the one that closes it.
constexpr Side opening_side(Direction d) { return d == Direction::Long ? Side::Buy : Side::Sell; }
constexpr Side closing_side(Direction d) { return d == Direction::Long ? Side::Sell : Side::Buy; }

}  // namespace axion::core
