#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "axion/core/state/event_bus.hpp"
#include "axion/core/state/recycler.hpp"

using namespace axion::core;

TEST_CASE("A recycled object comes back with its capacity once its last owner lets go") {
  Recycler<std::string> pool(4);
  auto a = pool.take();
  a->assign(1000, 'x');
  const char* buffer = a->data();
  auto b = a;  // two owners
  a.reset();
  CHECK(pool.idle() == 0);  // b still holds it
  b.reset();
  REQUIRE(pool.idle() == 1);
  auto c = pool.take();
  CHECK(pool.idle() == 0);
  CHECK(c->capacity() >= 1000);  // as it was left: the caller resets what it reuses
  CHECK(c->data() == buffer);    // the same buffer, not a new one
}

TEST_CASE("A recycler keeps at most max_spare idle objects and outlives none of them") {
  std::vector<std::shared_ptr<std::string>> held;
  {
    Recycler<std::string> pool(2);
    for (int i = 0; i < 5; ++i) held.push_back(pool.take());
    held.resize(1);  // four let go: two kept, two freed
    CHECK(pool.idle() == 2);
  }
  // The recycler is gone; the one still held is returned to its (shared) pool and freed with it.
  held.front()->assign("still usable");
  CHECK(*held.front() == "still usable");
  held.clear();
}

TEST_CASE("Objects released on another thread come back to the taking thread") {
  Recycler<std::string> pool(64);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::shared_ptr<std::string>> batch;
    for (int i = 0; i < 16; ++i) {
      auto s = pool.take();
      s->assign(64, static_cast<char>('a' + i));
      batch.push_back(std::move(s));
    }
    std::size_t seen = 0;
    std::thread writer([b = std::move(batch), &seen]() mutable {
      for (auto& s : b) seen += s->size();
      b.clear();  // the last owners, on this thread
    });
    writer.join();
    CHECK(seen == 16 * 64);
    CHECK(pool.idle() == 16);
  }
}

TEST_CASE("The event bus reuses events that fell out of its replay buffer, envelopes rewritten") {
  EventBus bus(2);
  std::vector<std::string> envelopes;
  bus.subscribe([&](const Event& e) { envelopes.push_back(e.envelope); });
  bus.publish("error", {{"text", std::string(300, 'a')}}, 0);
  bus.publish("error", {{"i", 2}}, 0);
  bus.publish("trade_executed", {{"i", 3}}, 0);  // the first event leaves the buffer: reused
  bus.publish("bot_started", {{"i", 4}}, 0);
  REQUIRE(envelopes.size() == 4);
  CHECK(envelopes[2] ==
        R"({"channel":"orders","event":"trade_executed","data":{"i":3},"timestamp":"1970-01-01T00:00:00.000000+00:00","sequence":3})");
  CHECK(envelopes[3] ==
        R"({"channel":"lifecycle","event":"bot_started","data":{"i":4},"timestamp":"1970-01-01T00:00:00.000000+00:00","sequence":4})");
  auto recent = bus.recent(10);
  REQUIRE(recent.size() == 2);
  CHECK(recent[0].sequence == 3);
  CHECK(recent[0].data() == R"({"i":3})");
  CHECK(recent[1].sequence == 4);
}

TEST_CASE("A recycled buffer keeps a similar size's capacity but lets a large one go") {
  std::string s(300, 'x');
  reuse_buffer(s, 700);
  CHECK(s.empty());
  CHECK(s.capacity() >= 1024);  // 700 rounded up to 512-byte steps
  const auto kept = s.capacity();
  reuse_buffer(s, 900);
  CHECK(s.capacity() == kept);  // fits: no new buffer
  s.assign(100'000, 'y');       // one large event
  reuse_buffer(s, 700);
  CHECK(s.capacity() < 4096);   // not carried into every later use
}

TEST_CASE("An event bus with no replay capacity keeps no event") {
  EventBus bus(0);
  bus.publish("error", {{"i", 1}}, 0);
  CHECK(bus.recent(10).empty());
  std::int64_t oldest = -1;
  int replayed = 0;
  bus.subscribe([&](const Event&) { ++replayed; }, 0, &oldest);
  CHECK(replayed == 0);
  CHECK(oldest == 2);  // the next sequence: nothing older can be replayed
}
