#include <utility>  // before Boost 1.74 asio under C++20 on g++ 12 (deps-notes P-17)

#include "load_ws.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <future>
#include <optional>
#include <thread>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace axion::bench::load {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kEventPrefix = R"({"channel":)";
constexpr std::string_view kSnapshotMarker = R"("event":"performance_snapshot")";
constexpr char kSubscribeAll[] =
    R"({"action":"subscribe","channels":["alerts","lifecycle","metrics","orders","signals"]})";
constexpr int kChannels = 5;
constexpr auto kMaxReconnectDelay = std::chrono::seconds(5);

// One socket's life: handlers hold it, so a reconnect never frees a buffer an operation uses.
struct Conn {
  explicit Conn(net::io_context& ioc) : ws(ioc) {}
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buf;
  std::deque<std::string> outbox;
  bool writing = false;
  bool open = false;  // handshake done, not yet lost
  bool close_after_write = false;
};

}  // namespace

struct WsFleet::Impl {
  explicit Impl(WsOptions o) : options(std::move(o)) {}

  struct Client;

  WsOptions options;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::thread thread;
  std::future<void> finished;
  std::vector<std::shared_ptr<Client>> clients;
  std::atomic<int> first_connected{0};
  bool stopping = false;  // client thread only, like everything below
  WsResult tally;
  std::unordered_set<std::int64_t> seen;               // sequences some client received
  std::map<std::int64_t, Clock::time_point> snapshots;  // performance_snapshot: first receipt
};

struct WsFleet::Impl::Client : std::enable_shared_from_this<Client> {
  Client(Impl& f, int i) : fleet(f), index(i), heartbeat(f.ioc), retry(f.ioc) {}

  Impl& fleet;
  int index;
  std::shared_ptr<Conn> conn;
  net::steady_timer heartbeat, retry;
  std::chrono::milliseconds delay{0};
  bool ever_connected = false;
  bool have_last = false;
  std::int64_t last = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> missing;  // inclusive ranges

  std::string target() const {
    std::string t = fleet.options.path + "?token=" + fleet.options.api_key;
    if (have_last) t += "&since=" + std::to_string(last);
    return t;
  }

  void connect() {
    if (fleet.stopping) return;
    auto self = shared_from_this();
    auto c = std::make_shared<Conn>(fleet.ioc);
    conn = c;
    c->ws.next_layer().expires_after(std::chrono::seconds(5));
    c->ws.next_layer().async_connect(
        tcp::endpoint(net::ip::make_address("127.0.0.1"), fleet.options.port), [self, c](beast::error_code ec) {
          if (c != self->conn) return;
          if (ec) return self->connect_failed("connect: " + ec.message());
          c->ws.next_layer().expires_never();  // the websocket stream has its own timeouts
          c->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
          c->ws.async_handshake("127.0.0.1:" + std::to_string(self->fleet.options.port), self->target(),
                                [self, c](beast::error_code hec) {
                                  if (c != self->conn) return;
                                  if (hec) return self->connect_failed("handshake: " + hec.message());
                                  c->open = true;
                                  self->read(c);
                                });
        });
  }

  void connect_failed(const std::string& why) {
    if (fleet.stopping) return;  // our own abort at the end
    ++fleet.tally.connect_failures[why];
    schedule_reconnect();
  }

  void schedule_reconnect() {
    if (fleet.stopping) return;
    delay = std::min<std::chrono::milliseconds>(
        kMaxReconnectDelay, delay.count() ? delay * 2 : fleet.options.reconnect_delay);
    retry.expires_after(delay);
    retry.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->connect();
    });
  }

  void arm_heartbeat() {
    heartbeat.expires_after(fleet.options.heartbeat_every);
    heartbeat.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->fleet.stopping) return;
      if (self->conn && self->conn->open) {
        ++self->fleet.tally.heartbeats_sent;
        self->send(R"({"action":"heartbeat"})");
      }
      self->arm_heartbeat();
    });
  }

  void send(std::string text) {
    conn->outbox.push_back(std::move(text));
    if (!conn->writing) write_next(conn);
  }

  void write_next(const std::shared_ptr<Conn>& c) {
    c->writing = true;
    c->ws.text(true);
    c->ws.async_write(net::buffer(c->outbox.front()),
                      [self = shared_from_this(), c](beast::error_code ec, std::size_t) {
                        c->writing = false;
                        if (ec || !c->open) return;  // the read side reports the loss
                        c->outbox.pop_front();
                        if (c->close_after_write) return self->close(c);
                        if (!c->outbox.empty()) self->write_next(c);
                      });
  }

  void read(const std::shared_ptr<Conn>& c) {
    c->ws.async_read(c->buf, [self = shared_from_this(), c](beast::error_code ec, std::size_t) {
      if (ec) return self->lost(c, ec);
      const auto data = c->buf.cdata();
      self->on_frame(std::string_view(static_cast<const char*>(data.data()), data.size()));
      c->buf.consume(c->buf.size());
      self->read(c);
    });
  }

  void lost(const std::shared_ptr<Conn>& c, beast::error_code ec) {
    c->open = false;
    if (c != conn || fleet.stopping) return;  // a stale socket, or our own close at the end
    ++fleet.tally.disconnects;
    std::string why;
    if (ec == websocket::error::closed) {
      const auto& r = c->ws.reason();
      why = "close " + std::to_string(r.code) + (r.reason.empty() ? "" : " " + std::string(r.reason.c_str()));
    } else {
      why = "error: " + ec.message();
    }
    ++fleet.tally.disconnect_reasons[why];
    schedule_reconnect();
  }

  void on_frame(std::string_view text) {
    if (text.substr(0, kEventPrefix.size()) == kEventPrefix) return on_event(text);
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) {
      ++fleet.tally.error_frames["unparsable frame"];
      return;
    }
    const std::string event = j.value("event", "");
    const std::string action = j.value("action", "");
    if (event == "connected") {
      ++fleet.tally.connects;
      delay = std::chrono::milliseconds(0);
      if (!ever_connected) {
        ever_connected = true;
        ++fleet.first_connected;
        arm_heartbeat();
      }
      fleet.tally.subscribe_expected += kChannels;
      send(kSubscribeAll);
    } else if (event == "replay_gap") {
      // Announced loss on resume: the replay starts at oldest_sequence.
      const auto since = j.value("since", std::int64_t{0});
      const auto oldest = j.value("oldest_sequence", std::int64_t{0});
      ++fleet.tally.replay_gaps;
      if (oldest > since + 1) fleet.tally.replay_gap_events += static_cast<std::uint64_t>(oldest - since - 1);
      last = std::max(last, oldest - 1);
      have_last = true;
    } else if (action == "subscribed") {
      if (j.value("ok", false)) ++fleet.tally.subscribe_acks;
    } else if (action == "heartbeat_ack") {
      ++fleet.tally.heartbeat_acks;
    } else if (j.contains("error")) {
      ++fleet.tally.error_frames[j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump()];
    } else {
      ++fleet.tally.error_frames["unexpected frame: " + std::string(text.substr(0, 80))];
    }
  }

  void on_event(std::string_view text) {
    // The envelope ends with "sequence":N} (the host writes it last), so the last match is it.
    const auto p = text.rfind("\"sequence\":");
    std::int64_t seq = 0;
    if (p == std::string_view::npos ||
        std::from_chars(text.data() + p + 11, text.data() + text.size(), seq).ec != std::errc()) {
      ++fleet.tally.error_frames["event without a sequence"];
      return;
    }
    ++fleet.tally.events;
    fleet.seen.insert(seq);
    if (text.substr(0, 80).find(kSnapshotMarker) != std::string_view::npos) {
      fleet.snapshots.emplace(seq, Clock::now());
    }
    if (have_last) {
      if (seq <= last) {
        ++fleet.tally.out_of_order;
        return;
      }
      if (seq > last + 1) missing.emplace_back(last + 1, seq - 1);
    }
    last = seq;
    have_last = true;
  }

  void close(const std::shared_ptr<Conn>& c) {
    if (c->writing) {
      c->close_after_write = true;  // one write (a close counts) at a time
      return;
    }
    c->ws.async_close(websocket::close_code::normal, [c](beast::error_code) {});
  }

  void shutdown() {
    retry.cancel();
    heartbeat.cancel();
    if (!conn) return;
    if (conn->open) {
      close(conn);
    } else {
      beast::get_lowest_layer(conn->ws).close();  // still connecting: abandon it
    }
  }
};

WsFleet::WsFleet(WsOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

WsFleet::~WsFleet() {
  if (impl_->thread.joinable()) stop();
}

void WsFleet::start() {
  auto& f = *impl_;
  f.tally.clients = f.options.clients;
  for (int i = 0; i < f.options.clients; ++i) f.clients.push_back(std::make_shared<Impl::Client>(f, i));
  f.guard.emplace(f.ioc.get_executor());
  for (auto& c : f.clients) net::post(f.ioc, [c] { c->connect(); });
  std::promise<void> done;
  f.finished = done.get_future();
  f.thread = std::thread([&f, done = std::move(done)]() mutable {
    f.ioc.run();
    done.set_value();
  });
}

int WsFleet::wait_connected(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (impl_->first_connected.load() < impl_->options.clients && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return impl_->first_connected.load();
}

WsResult WsFleet::stop() {
  auto& f = *impl_;
  net::post(f.ioc, [&f] {
    f.stopping = true;
    for (auto& c : f.clients) c->shutdown();
  });
  f.guard.reset();
  if (f.finished.wait_for(std::chrono::seconds(5)) != std::future_status::ready) f.ioc.stop();
  f.thread.join();

  WsResult out = f.tally;
  for (auto& c : f.clients) {
    for (auto [from, to] : c->missing) {
      std::uint64_t elsewhere = 0, nowhere = 0;
      for (auto s = from; s <= to; ++s) (f.seen.count(s) ? elsewhere : nowhere) += 1;
      if (elsewhere) {
        ++out.gaps;
        out.gap_events += elsewhere;
      }
      if (nowhere) {
        ++out.filtered_gaps;
        out.filtered_events += nowhere;
      }
    }
  }
  out.distinct_sequences = f.seen.size();
  if (!f.seen.empty()) {
    out.first_sequence = *std::min_element(f.seen.begin(), f.seen.end());
    out.last_sequence = *std::max_element(f.seen.begin(), f.seen.end());
  }
  std::optional<Clock::time_point> prev;
  for (const auto& [seq, t] : f.snapshots) {
    if (prev) out.snapshot_interval_s.push_back(std::chrono::duration<double>(t - *prev).count());
    prev = t;
  }
  f.clients.clear();  // their timers and sockets belong to the io_context below
  return out;
}

}  // namespace axion::bench::load
