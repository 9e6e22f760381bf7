// What the live-mode engine tests share: a manifest with broker/alpaca on the stand-in, a signal
// the default stages accept, and a loop that runs the engine's order flows until a condition.
#pragma once

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

#include "axion/sdk/testing/signals.hpp"
#include "engine_fixture.hpp"
#include "eventually.hpp"
#include "standin.hpp"

namespace axion::test::live {

// Live mode, broker/alpaca on `s`, on `base` (the pipeline scenarios' default manifest). Fills
// come from the stream (the poll is a 10-minute safety net); `broker_keys` are appended to
// [live_broker] ("key = value" lines).
inline std::string live_manifest(const axion::testing::alpaca::StandIn& s, const std::string& broker_keys = "",
                                 ManifestBuilder base = ManifestBuilder()) {
  ::setenv("AXION_ALPACA_API_KEY", "PKTESTKEY", 1);
  ::setenv("AXION_ALPACA_SECRET_KEY", "test-secret-value", 1);
  return base.set("engine", "mode", "live")
      .raw("[live_broker]\nplugin = \"broker/alpaca\"\nbase_url = \"" + s.base_url() +
           "\"\npoll_interval_ms = 600000\nsnapshot_interval_ms = 200\n" + broker_keys)
      .toml();
}

// A signal the stage plugins of the default manifest accept, stamped with the engine's clock.
inline sdk::Signal goog_long(core::Engine& e) {
  auto sig = sdk::testing::make_signal({.ticker = "GOOG", .entry_price = 100.0, .target_price = 110.0});
  sig.ts_us = e.now_us();
  return sig;
}

// Runs the engine's order flows (the host's loop does it between bars) until `done`.
inline bool run_until(core::Engine& e, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  return eventually(
      [&] {
        e.orchestrator().poll();
        return done();
      },
      timeout);
}

}  // namespace axion::test::live
