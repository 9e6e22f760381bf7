// Issue 10: a rejected signal costs the engine no heap allocation. The duplicate (dedup guard)
// and kill-switch paths run through the whole engine (journal on, events published, results
// kept), first long enough to fill the event replay buffer and the result ring, so what is
// counted is the steady state: texts, events and reasons come back from earlier signals.
//
// This executable's one translation unit that replaces operator new (it counts the calling
// thread only: the journal writer's allocations are its own).
#include <catch2/catch.hpp>

#include "axion/sdk/testing/alloc_counter.hpp"
#include "axion/sdk/testing/signals.hpp"
#include "engine_fixture.hpp"

using axion::test::EngineFixture;
using axion::test::ManifestBuilder;
using namespace axion;

namespace {

sdk::Signal signal_for(core::Engine& e, const std::string& ticker) {
  return sdk::testing::make_signal({.ticker = ticker,
                                    .signal_type = "cloud_bounce_long",
                                    .target_price = 104.0,
                                    .ts_us = e.now_us()});
}

// Rejects `warmup` signals, then counts the allocations of `counted` more, one by one, each
// after the journal's writer has caught up (a writer that falls behind makes the engine take a
// new op list: that is the writer's pace, not this path's cost). The signals are built before
// each count: they are the strategy's, not the engine's.
std::size_t allocations_per_rejection(core::Engine& e, const std::string& ticker, const std::string& stage,
                                      int warmup, int counted) {
  auto reject_one = [&](bool count) -> std::size_t {
    auto s = signal_for(e, ticker);
    if (count) e.journal().sync();
    sdk::testing::AllocationCounter counter;
    auto r = e.process_signal(std::move(s));
    const bool at_stage = r && r->pipeline_stage() == stage;
    if (r) e.orchestrator().recycle(std::move(*r));  // as the engine's bar loop does
    const std::size_t n = counter.stop();
    REQUIRE(at_stage);
    return count ? n : 0;
  };
  for (int i = 0; i < warmup; ++i) reject_one(false);
  std::size_t total = 0;
  for (int i = 0; i < counted; ++i) total += reject_one(true);
  return total;
}

// Past the 10,000-event replay buffer (two events per rejection) and the result ring.
constexpr int kWarmup = 5200;

}  // namespace

TEST_CASE("A duplicate rejected at the dedup guard allocates nothing, once warm") {
  EngineFixture fx("allocs-duplicate");
  auto& e = fx.start(ManifestBuilder()
                         .set("engine", "max_history_size", 100)
                         .add("guard/dedup", {{"window_seconds", 864000.0}})
                         .toml(),
                     /*capture_events=*/false);
  auto first = e.process_signal(signal_for(e, "DUP"));
  REQUIRE(first);
  REQUIRE(first->pipeline_stage() != "signal_guard");  // the original passes the guard
  CHECK(allocations_per_rejection(e, "DUP", "signal_guard", kWarmup, 200) == 0);
}

TEST_CASE("A signal rejected by the kill switch allocates nothing, once warm") {
  EngineFixture fx("allocs-kill");
  auto& e = fx.start(ManifestBuilder().set("engine", "max_history_size", 100).toml(), false);
  core::KillRecord k;
  k.level = core::KillLevel::BlockNew;
  k.reason = "allocation test: a reason longer than any short-string buffer";
  e.orchestrator().activate_kill(k);
  CHECK(allocations_per_rejection(e, "KILLED", "kill_switch", kWarmup, 200) == 0);
  // The result ring (100 here) has wrapped many times and still reads newest 100, oldest first.
  for (int c = 1; c <= 150; ++c) {
    auto s = signal_for(e, "KILLED");
    s.conviction = c;
    REQUIRE(e.process_signal(std::move(s)));
  }
  const auto history = e.orchestrator().history();
  REQUIRE(history.size() == 100);
  for (std::size_t i = 0; i < history.size(); ++i) {
    CHECK(core::json::parse(*history[i])["conviction"] == static_cast<int>(51 + i));
  }
}
