// Waits for what another thread (a plugin's own thread, a server, the engine loop) makes true:
// polls `done` every few milliseconds until it holds or `within` has passed. Tests use it
// instead of bare sleeps, so they are as fast as the machine and bounded when it is slow.
#pragma once

#include <chrono>
#include <thread>

namespace axion::sdk::testing {

template <class Done>
bool eventually(Done&& done, std::chrono::milliseconds within = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + within;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace axion::sdk::testing
