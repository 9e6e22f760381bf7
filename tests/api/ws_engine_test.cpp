// The WS add-on on a real engine (control.md §4): a client authenticated with a key of the
// state directory's store (the host's, wired to the engine)
// receives the engine's own order event after a paper fill, and a reconnect with ?since=N first
// receives, in sequence order, the events it missed.
#include <catch2/catch.hpp>

#include <chrono>

#include "engine_fixture.hpp"
#include "ws_test_client.hpp"

using axion::plugins::ws::testing::free_port;
using axion::plugins::ws::testing::TestClient;
using axion::test::EngineFixture;
using axion::test::ManifestBuilder;
using namespace axion::core;
using namespace std::chrono_literals;

TEST_CASE("a WS client receives the engine's order event after a fill and resumes with since") {
  EngineFixture fx("ws-engine");
  const auto port = free_port();
  auto& e = fx.start(
      ManifestBuilder().add("addon/ws", {{"port", port}, {"max_queued_frames", 1000000}}).toml());
  const std::string key = fx.keys().create("tester", "ws", {"read"}, "enterprise", std::nullopt).raw;

  TestClient bad(port, "/ws/bot?token=ax_" + std::string(48, '0'));
  auto closed = bad.wait_close();
  REQUIRE(closed);
  CHECK(closed->code == 4001);

  auto client = std::make_unique<TestClient>(port, "/ws/bot?token=" + key);
  auto hello = client->read();
  REQUIRE(hello);
  CHECK(json::parse(*hello)["event"] == "connected");

  // Feed bars until the engine fills an entry; the client must see trade_executed on `orders`.
  std::int64_t last_seen = 0;
  bool traded = false;
  for (int bars = 0; bars < 1047 && !traded; ++bars) {
    e.run_feed_to_end(1);
    while (auto frame = client->read(traded ? 2000ms : 20ms)) {
      auto f = json::parse(*frame);
      REQUIRE(f["sequence"].get<std::int64_t>() > last_seen);
      last_seen = f["sequence"];
      if (f["event"] == "trade_executed") {
        CHECK(f["channel"] == "orders");
        CHECK(f["data"]["ticker"] == "GOOG");
        CHECK(e.orchestrator().positions().size() >= 1);
        traded = true;
        break;
      }
    }
  }
  REQUIRE(traded);
  // Drain what is already published, then disconnect.
  const std::int64_t published = e.bus().last_sequence();
  while (last_seen < published) {
    auto frame = client->read();
    REQUIRE(frame);
    last_seen = json::parse(*frame)["sequence"];
  }
  client->close();
  client.reset();

  // Missed while away: more bars, more events.
  e.run_feed_to_end(50);
  const std::int64_t now_last = e.bus().last_sequence();
  REQUIRE(now_last > last_seen + 5);

  TestClient again(port, "/ws/bot?token=" + key + "&since=" + std::to_string(last_seen));
  auto hi = again.read();
  REQUIRE(hi);
  CHECK(json::parse(*hi)["event"] == "connected");
  std::int64_t expect = last_seen + 1;
  while (expect <= now_last) {
    auto frame = again.read();
    REQUIRE(frame);
    auto f = json::parse(*frame);
    REQUIRE(f["sequence"].get<std::int64_t>() == expect);  // every missed event, in order
    ++expect;
  }
  // Then live events follow.
  e.run_feed_to_end(20);
  if (e.bus().last_sequence() > now_last) {
    auto frame = again.read();
    REQUIRE(frame);
    CHECK(json::parse(*frame)["sequence"].get<std::int64_t>() == now_last + 1);
  }
}
