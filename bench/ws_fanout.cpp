// bench_ws_fanout: fan-out latency of addon/ws, from the engine's publish call to the receipt of
// the frame by each of N connected WebSocket clients on loopback.
//
//   build/bin/bench_ws_fanout [clients=1000] [events=200] [interval_ms=5] [io_threads=1]
//
// The real plugin .so runs under the SDK's FakeHost (no engine, so the figure is the add-on's
// cost alone); the clients share one thread of their own. Reported: the publish call's cost on
// the engine thread, the latency of every delivery, and per event the latency until the last
// client had it, and what the fake host's own envelope costs (the add-on's share of the publish
// call is the difference). Run by hand on a quiet machine (never as a timed test).
#include <utility>  // before Boost 1.74 asio under C++20 on g++ 12 (deps-notes P-17)

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "axion/sdk/testing/fakes.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

std::uint16_t free_port() {
  net::io_context ioc;
  tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

struct Client : std::enable_shared_from_this<Client> {
  Client(net::io_context& ioc, std::size_t events) : ws(ioc), recv_ns(events + 1, 0) {}
  websocket::stream<tcp::socket> ws;
  beast::flat_buffer buf;
  std::vector<std::int64_t> recv_ns;  // by sequence
  bool connected = false;
  bool failed = false;

  void start(std::uint16_t port, int index, std::atomic<int>& ready) {
    auto self = shared_from_this();
    ws.next_layer().async_connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [self, port, index, &ready](beast::error_code ec) {
          if (ec) return self->fail(ready);
          self->ws.async_handshake("127.0.0.1:" + std::to_string(port),
                                   "/ws/bot?user_id=bench" + std::to_string(index),
                                   [self, &ready](beast::error_code hec) {
                                     if (hec) return self->fail(ready);
                                     self->read(ready);
                                   });
        });
  }
  void fail(std::atomic<int>& ready) {
    failed = true;
    ++ready;
  }
  void read(std::atomic<int>& ready) {
    auto self = shared_from_this();
    ws.async_read(buf, [self, &ready](beast::error_code ec, std::size_t) {
      const std::int64_t t = now_ns();
      if (ec) return;
      const auto data = self->buf.cdata();
      std::string_view text(static_cast<const char*>(data.data()), data.size());
      if (!self->connected) {
        self->connected = true;  // the `connected` frame
        ++ready;
      } else if (auto p = text.find("\"sequence\":"); p != std::string_view::npos) {
        std::int64_t seq = 0;
        std::from_chars(text.data() + p + 11, text.data() + text.size(), seq);
        if (seq > 0 && static_cast<std::size_t>(seq) < self->recv_ns.size()) self->recv_ns[static_cast<std::size_t>(seq)] = t;
      }
      self->buf.consume(self->buf.size());
      self->read(ready);
    });
  }
};

double pct(std::vector<std::int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]) / 1000.0;  // µs
}

void report(const char* what, const std::vector<std::int64_t>& v) {
  std::printf("%-34s n=%-7zu p50 %9.1f us  p90 %9.1f us  p99 %9.1f us  max %9.1f us\n", what, v.size(),
              pct(v, 50), pct(v, 90), pct(v, 99), pct(v, 100));
}

}  // namespace

int main(int argc, char** argv) {
  const int clients = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int events = argc > 2 ? std::atoi(argv[2]) : 200;
  const int interval_ms = argc > 3 ? std::atoi(argv[3]) : 5;
  const int io_threads = argc > 4 ? std::atoi(argv[4]) : 1;

  // Two descriptors per client on this machine (client and server side).
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  axion::sdk::testing::FakeHost host;
  host.queries["verify_token"] = {{"auth", false}};
  const auto port = free_port();
  axion::sdk::testing::PluginHarness plugin(
      AXION_WS_PLUGIN_SO, host,
      {{"port", port}, {"io_threads", io_threads}});
  plugin.addon_start();

  net::io_context ioc;
  std::atomic<int> ready{0};
  std::vector<std::shared_ptr<Client>> all;
  for (int i = 0; i < clients; ++i) {
    all.push_back(std::make_shared<Client>(ioc, static_cast<std::size_t>(events)));
    all.back()->start(port, i, ready);
  }
  std::thread client_thread([&] { ioc.run(); });
  const auto t_conn = Clock::now();
  while (ready < clients && Clock::now() - t_conn < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int failed = 0;
  for (auto& c : all) failed += c->failed;
  std::printf("clients %d connected in %.0f ms (%d failed), io_threads %d, events %d every %d ms\n",
              clients - failed,
              std::chrono::duration<double, std::milli>(Clock::now() - t_conn).count(), failed, io_threads,
              events, interval_ms);

  std::vector<std::int64_t> emit_ns(static_cast<std::size_t>(events) + 1, 0), emit_cost, host_cost;
  const nlohmann::json data = {{"ticker", "AAPL"}, {"shares", 100}, {"entry_price", 187.25}};
  // What FakeHost::emit_event costs by itself (a JSON tree and its dump per event; the engine's
  // bus writes the envelope as text instead), at the same pace: the add-on's share of the
  // publish call below is the difference.
  {
    axion::sdk::testing::FakeHost bare;
    for (int i = 0; i < events; ++i) {
      const std::int64_t t0 = now_ns();
      bare.emit_event("orders", "trade_executed", data);
      host_cost.push_back(now_ns() - t0);
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  }
  for (int i = 0; i < events; ++i) {
    const std::int64_t t0 = now_ns();
    const auto seq = host.emit_event("orders", "trade_executed", data);
    const std::int64_t t1 = now_ns();
    if (seq > 0 && seq <= events) emit_ns[static_cast<std::size_t>(seq)] = t0;
    emit_cost.push_back(t1 - t0);
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the last frames land

  std::vector<std::int64_t> per_delivery, per_event_last;
  std::size_t missing = 0;
  for (int s = 1; s <= events; ++s) {
    std::int64_t last = 0;
    for (auto& c : all) {
      if (c->failed) continue;
      const auto r = c->recv_ns[static_cast<std::size_t>(s)];
      if (!r) {
        ++missing;
        continue;
      }
      per_delivery.push_back(r - emit_ns[static_cast<std::size_t>(s)]);
      last = std::max(last, r - emit_ns[static_cast<std::size_t>(s)]);
    }
    per_event_last.push_back(last);
  }
  report("FakeHost envelope alone", host_cost);
  report("publish call (engine thread)", emit_cost);
  report("emit -> receipt, every delivery", per_delivery);
  report("emit -> receipt by the last client", per_event_last);
  std::printf("missing deliveries: %zu\n", missing);

  plugin.addon_stop();
  ioc.stop();
  client_thread.join();
  return missing == 0 && failed == 0 ? 0 : 1;
}
