// The real engine running live (its own engine and feed threads) with feed/alpaca and
// broker/alpaca against the Alpaca stand-in (issue 11): the market-data gap after a dropped
// stream is backfilled so the engine sees every bar once and in order, and bars keep flowing
// through the engine while Alpaca holds an order's answer back.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "axion/sdk/testing/signals.hpp"
#include "engine_fixture.hpp"
#include "eventually.hpp"
#include "standin.hpp"

using namespace axion;
using axion::test::EngineFixture;
using axion::test::eventually;
using axion::test::ManifestBuilder;
using axion::testing::alpaca::BarRecord;
using axion::testing::alpaca::StandIn;

namespace {

constexpr std::int64_t kMin = 60'000'000;

// Live with both Alpaca plugins on the stand-in. Minute bars at any hour (the test runs at any
// time of day); one bar of warm-up history, so the bars the test pushes may lie in the past (a
// backfill asks for history up to now only).
std::string live_manifest(const StandIn& s) {
  ::setenv("AXION_ALPACA_API_KEY", "PKTESTKEY", 1);
  ::setenv("AXION_ALPACA_SECRET_KEY", "test-secret-value", 1);
  return ManifestBuilder()
      .set("engine", "mode", "live")
      .add("feed/alpaca", {{"symbols", {"GOOG"}},
                           {"timeframe", "1m"},
                           {"data_url", s.data_url()},
                           {"stream_url", s.data_stream_url()},
                           {"warmup_bars", 1},
                           {"regular_hours_only", false},
                           {"backfill_delay_ms", 0},
                           {"close_grace_ms", 600000}})
      .raw("[live_broker]\nplugin = \"broker/alpaca\"\nbase_url = \"" + s.base_url() +
           "\"\npoll_interval_ms = 600000\nsnapshot_interval_ms = 200\n")
      .toml();
}

// Minute bars of GOOG starting `from`, one per minute.
std::vector<BarRecord> minutes(std::int64_t from, int n, double base) {
  std::vector<BarRecord> out;
  for (int i = 0; i < n; ++i) {
    const double p = base + i;
    out.push_back(BarRecord{"GOOG", from + i * kMin, p, p + 0.5, p - 0.5, p + 0.25, 100});
  }
  return out;
}

// Half an hour ago, on a minute; the stand-in's history gets the minute before it, which the
// feed delivers as its one warm-up bar.
std::int64_t start_minute(StandIn& s) {
  const std::int64_t now = sdk::time::system_now_us();
  const std::int64_t t0 = now - now % kMin - 30 * kMin;
  s.add_history("1Min", minutes(t0 - kMin, 1, 50));
  return t0;
}

// The engine's host loop on a thread, stopped (and joined) at the end of the test.
struct Running {
  explicit Running(core::Engine& e) : engine(e), thread([this] { engine.run(); }) {}
  ~Running() {
    engine.request_stop();
    thread.join();
  }
  core::Engine& engine;
  std::thread thread;
};

std::uint64_t bars_seen(core::Engine& e) { return e.read_snapshot()->bars; }

}  // namespace

TEST_CASE("a dropped market-data stream: the engine gets the missed bars once, in order, before newer ones") {
  StandIn s;
  EngineFixture fx("alpaca-feed-gap");
  const std::int64_t t0 = start_minute(s);
  auto& e = fx.start(live_manifest(s));
  Running run(e);
  REQUIRE(eventually([&] { return s.data_subscriptions() == std::vector<std::string>{"GOOG"}; }));
  REQUIRE(eventually([&] { return bars_seen(e) == 1; }));  // the warm-up bar, before any push
  s.push_bars(minutes(t0, 2, 100));
  REQUIRE(eventually([&] { return bars_seen(e) == 3; }));

  // Down: three minutes reach only Alpaca's history; then the stream comes back (1 s backoff).
  s.drop_data_stream();
  s.push_bars(minutes(t0 + 2 * kMin, 3, 200));
  REQUIRE(eventually([&] { return bars_seen(e) == 6; }, std::chrono::seconds(10)));
  // The stream goes on; a repeat of the last backfilled minute is not a new bar.
  s.push_bars(minutes(t0 + 4 * kMin, 2, 300), false);
  REQUIRE(eventually([&] { return bars_seen(e) == 7; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(bars_seen(e) == 7);
  const auto status = e.read_snapshot()->status;
  // The newest bar: the minute starting t0 + 5 min, closing at t0 + 6 min.
  CHECK(status["last_bar_time"] == sdk::time::to_iso(t0 + 6 * kMin));
  REQUIRE(status.contains("live"));
  CHECK(status["live"]["feed"]["stream"] == "subscribed");
  CHECK(status["live"]["feed"]["stream_sessions"] == 2);
  CHECK(status["live"]["broker"]["trade_stream"] == "listening");
}

TEST_CASE("bars keep flowing through the engine while Alpaca holds an order's answer back") {
  StandIn s;
  s.set_price("GOOG", 100.0);
  s.hold_fills(true);
  EngineFixture fx("alpaca-slow-answer");
  const std::int64_t t0 = start_minute(s);
  auto& e = fx.start(live_manifest(s));
  Running run(e);
  REQUIRE(eventually([&] { return !s.data_subscriptions().empty(); }));
  REQUIRE(eventually([&] { return bars_seen(e) == 1; }));  // the warm-up bar, before any push
  s.push_bars(minutes(t0, 1, 100));
  REQUIRE(eventually([&] { return bars_seen(e) == 2; }));

  // Alpaca takes the order and holds its answer for 5 s.
  s.delay_next_submit_after_accept(std::chrono::seconds(5));
  e.call([&] {
    auto sig = sdk::testing::make_signal({.ticker = "GOOG", .entry_price = 100.0, .target_price = 110.0});
    sig.ts_us = e.now_us();
    e.process_signal(sig);
  });
  REQUIRE(eventually([&] { return s.orders().size() == 1; }));
  std::int64_t answer_due = 0;
  for (const auto& r : s.requests()) {
    if (r.method == "POST" && r.target == "/v2/orders") answer_due = r.received_steady_us + r.answer_delay_ms * 1000;
  }
  REQUIRE(answer_due > 0);
  // Meanwhile bars arrive and the engine thread processes them: it never waits on HTTP.
  s.push_bars(minutes(t0 + kMin, 3, 200));
  REQUIRE(eventually([&] { return bars_seen(e) == 5; }));
  CHECK(axion::testing::alpaca::steady_now_us() < answer_due);
}
