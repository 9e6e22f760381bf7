// How the engine trades (ARCHITECTURE §7): paper (the embedded or replayed market, the paper
// broker), live (a real broker), backtest (history as fast as possible). Text only at the edges
// (manifest, status, banner).
#pragma once

#include <optional>
#include <string_view>

namespace axion::core {

enum class Mode { Paper, Live, Backtest };

constexpr std::string_view to_string(Mode m) {
  switch (m) {
    case Mode::Paper: return "paper";
    case Mode::Live: return "live";
    case Mode::Backtest: return "backtest";
  }
  return "paper";
}

constexpr std::optional<Mode> parse_mode(std::string_view s) {
  if (s == "paper") return Mode::Paper;
  if (s == "live") return Mode::Live;
  if (s == "backtest") return Mode::Backtest;
  return std::nullopt;
}

}  // namespace axion::core
