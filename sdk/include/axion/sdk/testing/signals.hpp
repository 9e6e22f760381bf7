// One way for tests to build a signal, so each test names only the fields it is about:
// make_signal({.ticker = "MSFT", .direction = "short"}) is a valid short MSFT 5m signal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "axion/sdk/types.hpp"

namespace axion::sdk::testing {

// A signal's fields with the defaults most tests share (a long AAPL 5m entry at 100). Designated
// initializers must follow this order.
struct SignalSpec {
  std::string ticker = "AAPL";
  std::string direction = "long";
  std::string signal_type = "cloud_flip_bullish";
  std::string timeframe = "5m";
  int conviction = 80;
  double entry_price = 100.0;
  std::optional<double> stop_loss = std::nullopt;  // none: 2 % on the losing side of the entry
  double target_price = 0;                         // <= 0: none
  std::int64_t ts_us = 0;
  std::string strategy = "";
};

inline Signal make_signal(const SignalSpec& spec = {}) {
  Signal s;
  s.signal_type = spec.signal_type;
  s.direction = spec.direction;
  s.ticker = spec.ticker;
  s.timeframe = spec.timeframe;
  s.conviction = spec.conviction;
  s.entry_price = spec.entry_price;
  s.stop_loss = spec.stop_loss.value_or(spec.direction == "long" ? spec.entry_price * 0.98
                                                                 : spec.entry_price * 1.02);
  s.target_price = spec.target_price;
  s.ts_us = spec.ts_us;
  s.strategy = spec.strategy;
  return s;
}

}  // namespace axion::sdk::testing
