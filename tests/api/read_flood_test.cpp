// Issue 9 #14: reads never queue behind the engine. /health used to make three engine-thread
// calls, so a flood of it on a busy engine held every REST thread and a kill could not even be
// read. Here the engine always has queued work (as a backlog of bars would give it) while 64
// keep-alive connections hammer /health and a kill is sent.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "api_fixture.hpp"
#include "eventually.hpp"

using namespace axion;
using namespace std::chrono_literals;
using core::json;
using test::ApiFixture;

TEST_CASE("REST kill is answered within a second while 64 connections flood /health on a busy engine") {
  ApiFixture fx("flood");
  auto w = fx.key({"write"});
  fx.run_engine();
  const std::string host = "127.0.0.1:" + std::to_string(fx.port());

  // The engine stays busy: about a second of work always queued (10 ms tasks, refilled), as a
  // backlog of bars would keep it. Shared with the tasks, which may outlive this scope.
  std::atomic<bool> stop{false};
  auto outstanding = std::make_shared<std::atomic<int>>(0);
  std::thread busy([&, outstanding] {
    while (!stop.load()) {
      if (outstanding->load() >= 100) {
        std::this_thread::sleep_for(1ms);
        continue;
      }
      ++*outstanding;
      fx.engine().post([outstanding] {
        std::this_thread::sleep_for(10ms);
        --*outstanding;
      });
    }
  });

  std::atomic<int> served{0}, bad{0};
  std::vector<std::thread> flood;
  for (int c = 0; c < 64; ++c) {
    flood.emplace_back([&] {
      try {
        test::HttpConnection conn(fx.port());
        const auto request = test::build_request("GET", "/health", std::nullopt, {{"Host", host}}, /*keep_alive=*/true);
        const auto until = std::chrono::steady_clock::now() + 20s;  // stops by itself
        while (!stop.load() && std::chrono::steady_clock::now() < until) {
          auto r = conn.roundtrip(request);
          if (r.status == 200 || r.status == 503) ++served;
          else ++bad;
        }
      } catch (const std::exception&) {
        ++bad;
      }
    });
  }
  // The flood is on: every connection has been answered at least once (bounded wait).
  CHECK(test::eventually([&] { return served.load() >= 64; }, 5s));
  INFO("flood answers before the kill: " << served.load());

  const auto t0 = std::chrono::steady_clock::now();
  test::HttpResponse r;
  try {
    r = fx.post("/api/v1/bot/kill", w, R"({"reason":"flood"})");
  } catch (const std::exception& ex) {  // no answer within the client's 30 s
    FAIL_CHECK("kill not answered: " << ex.what());
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  stop = true;
  for (auto& t : flood) t.join();
  busy.join();

  REQUIRE(r.status == 200);
  CHECK(r.json()["message"] == "Kill switch activated: flood");
  INFO("kill answered after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < 1s);
  CHECK(bad.load() == 0);
  // The published state has the kill at once: /health reports it, without asking the engine.
  auto h = fx.get("/health");
  CHECK(h.status == 503);
  CHECK(h.json()["components"]["bot"] == "killed");
}
