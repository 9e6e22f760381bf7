#include <catch2/catch.hpp>

#include "axion/core/state/event_bus.hpp"

using namespace axion::core;

TEST_CASE("Events map to their documented channels") {
  CHECK(EventBus::channel_for("trade_executed") == "orders");
  CHECK(EventBus::channel_for("position_closed") == "orders");
  CHECK(EventBus::channel_for("order_submitted") == "orders");
  CHECK(EventBus::channel_for("signal_received") == "signals");
  CHECK(EventBus::channel_for("signal_rejected") == "signals");
  CHECK(EventBus::channel_for("signal_fused") == "signals");
  CHECK(EventBus::channel_for("kill_switch") == "alerts");
  CHECK(EventBus::channel_for("emergency_close") == "alerts");
  CHECK(EventBus::channel_for("daily_loss_warning") == "alerts");
  CHECK(EventBus::channel_for("error") == "alerts");
  CHECK(EventBus::channel_for("bot_started") == "lifecycle");
  CHECK(EventBus::channel_for("performance_snapshot") == "metrics");
  CHECK(EventBus::channel_for("weight_update") == "metrics");
  CHECK(EventBus::channel_for("something_new") == "lifecycle");
}

TEST_CASE("Sequences continue from the recorded one and envelopes keep the documented key order") {
  EventBus bus(3);
  bus.set_next_sequence(41);
  std::vector<Event> recorded;
  bus.set_recorder([&](const EventPtr& e) { recorded.push_back(*e); });
  bus.publish("trade_executed", {{"ticker", "AAPL"}}, 0);
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].sequence == 41);
  CHECK(recorded[0].data() == R"({"ticker":"AAPL"})");  // the envelope's span: copies keep it
  CHECK(recorded[0].envelope ==
        R"({"channel":"orders","event":"trade_executed","data":{"ticker":"AAPL"},"timestamp":"1970-01-01T00:00:00.000000+00:00","sequence":41})");
}

TEST_CASE("A subscriber resumes from a sequence number within the replay buffer") {
  EventBus bus(3);
  for (int i = 0; i < 5; ++i) bus.publish("error", {{"i", i}}, 0);  // sequences 1..5, buffer 3..5
  std::vector<std::int64_t> got;
  std::int64_t oldest = 0;
  int id = bus.subscribe([&](const Event& e) { got.push_back(e.sequence); }, 3, &oldest);
  CHECK(oldest == 3);
  CHECK(got == std::vector<std::int64_t>{4, 5});
  bus.publish("error", {}, 0);
  CHECK(got.back() == 6);
  bus.unsubscribe(id);
  bus.publish("error", {}, 0);
  CHECK(got.back() == 6);
  got.clear();
  bus.subscribe([&](const Event& e) { got.push_back(e.sequence); }, 0, &oldest);
  CHECK(oldest == 5);  // events 1..4 are gone: the caller reports the gap
  CHECK(got.front() == 5);
}

TEST_CASE("A plugin's odd event name still yields a valid JSON envelope") {
  EventBus bus(4);
  bus.publish("we\"ird\\name", {{"x", "a\"b"}}, 0);
  auto ev = bus.recent(1).at(0);
  auto env = json::parse(ev.envelope);
  CHECK(env["event"] == "we\"ird\\name");
  CHECK(env["channel"] == "lifecycle");
  CHECK(env["data"]["x"] == "a\"b");
  CHECK(env["sequence"] == 1);
}

TEST_CASE("Event data with plugin text that is not UTF-8 is published with replacement characters") {
  EventBus bus(3);
  std::vector<Event> recorded;
  bus.set_recorder([&](const EventPtr& e) { recorded.push_back(*e); });
  REQUIRE_NOTHROW(bus.publish("weight_update", {{"weights", {{"strat\xff", 0.5}}}}, 0));
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].data() == "{\"weights\":{\"strat\xEF\xBF\xBD\":0.5}}");
}
