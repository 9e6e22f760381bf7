// axion-load-test: REST reads at a constant rate plus N WebSocket clients against a running,
// paper-trading axion-host, then one summary block: achieved req/s, REST latency, errors by kind,
// WS events, sequence gaps and disconnects, and how far the engine's bar processing fell behind
// the feed. Started by bench/load_test.sh (which starts and stops the host); never run in CI.
//
// The engine exposes no bar lag of its own (no feed-side count, queue depth or bar age), so it is
// measured from outside: GET /metrics (axion_bars_total) once a second, compared with the feed's
// nominal pace; the rate of an idle period before the load is shown for comparison.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "load_http.hpp"
#include "load_rest.hpp"
#include "load_ws.hpp"

namespace po = boost::program_options;
using namespace axion::bench::load;
using Clock = std::chrono::steady_clock;

namespace {

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::lround(p / 100.0 * static_cast<double>(v.size() - 1)));
  return v[std::min(i, v.size() - 1)];
}

// The value of an unlabelled sample in the Prometheus text format.
std::optional<double> metric(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 && line[name.size()] == ' ') {
      try {
        return std::stod(line.substr(name.size() + 1));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

struct Sample {
  Clock::time_point t;
  double bars = 0, closes = 0, signals = 0, executed = 0;
};

// GET /metrics once a second on its own connection (not part of the measured load).
class EngineSampler {
 public:
  EngineSampler(std::uint16_t port, std::string key) : client_(port, std::move(key), std::chrono::seconds(10)) {}
  ~EngineSampler() { stop(); }

  std::optional<Sample> sample_now() {
    auto r = client_.get("/metrics");
    if (!r.error.empty() || r.status != 200) {
      last_error_ = r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error;
      return std::nullopt;
    }
    auto bars = metric(r.body, "axion_bars_total");
    if (!bars) {
      last_error_ = "no axion_bars_total in /metrics";
      return std::nullopt;
    }
    Sample s;
    s.t = Clock::now();  // the counters are read just before the reply
    s.bars = *bars;
    s.closes = metric(r.body, "axion_position_closes_total").value_or(0);
    s.signals = metric(r.body, "axion_signals_processed_total").value_or(0);
    s.executed = metric(r.body, "axion_signals_executed_total").value_or(0);
    return s;
  }

  void start() {
    thread_ = std::thread([this] {
      auto next = Clock::now();
      while (!stop_.load()) {
        if (auto s = sample_now()) {
          std::lock_guard lock(mu_);
          samples_.push_back(*s);
        } else {
          ++failures_;
        }
        next += std::chrono::seconds(1);
        std::unique_lock lock(mu_);
        cv_.wait_until(lock, next, [this] { return stop_.load(); });
      }
    });
  }

  void stop() {
    stop_.store(true);
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::vector<Sample> samples() {
    std::lock_guard lock(mu_);
    return samples_;
  }
  int failures() const { return failures_.load(); }
  const std::string& last_error() const { return last_error_; }

 private:
  KeepAliveClient client_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0};
  std::vector<Sample> samples_;
  std::string last_error_;
};

// The samples from the last one at or before `from` to the first one at or after `to`.
std::vector<Sample> window(const std::vector<Sample>& all, Clock::time_point from, Clock::time_point to) {
  std::vector<Sample> out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool before_next = i + 1 < all.size() && all[i + 1].t <= from;
    if (before_next) continue;
    out.push_back(all[i]);
    if (all[i].t >= to) break;
  }
  return out;
}

// The 1-minute load average: the machine is shared, so the figures need it beside them.
std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double rate_of(const std::vector<Sample>& w) {
  if (w.size() < 2) return 0;
  return (w.back().bars - w.front().bars) / secs(w.back().t - w.front().t);
}

struct Lag {
  double end_bars = 0, max_bars = 0, worst_5s_rate = 0;
};

// Bars the engine is short of `pace` bars/s since the window's first sample.
Lag lag_against(const std::vector<Sample>& w, double pace) {
  Lag l;
  if (w.size() < 2) return l;
  l.worst_5s_rate = -1;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double short_by = pace * secs(w[i].t - w[0].t) - (w[i].bars - w[0].bars);
    l.max_bars = std::max(l.max_bars, short_by);
    l.end_bars = short_by;
    for (std::size_t j = i + 1; j < w.size(); ++j) {
      if (w[j].t - w[i].t >= std::chrono::seconds(5)) {
        const double r = (w[j].bars - w[i].bars) / secs(w[j].t - w[i].t);
        if (l.worst_5s_rate < 0 || r < l.worst_5s_rate) l.worst_5s_rate = r;
        break;
      }
    }
  }
  if (l.worst_5s_rate < 0) l.worst_5s_rate = rate_of(w);
  return l;
}

std::optional<nlohmann::json> bot_status(std::uint16_t port, const std::string& key) {
  KeepAliveClient c(port, key, std::chrono::seconds(10));
  auto r = c.get("/api/v1/bot/status");
  if (!r.error.empty() || r.status != 200) return std::nullopt;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

std::string join_counts(const std::map<std::string, std::uint64_t>& m) {
  if (m.empty()) return "none";
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : ", ") + k + ": " + std::to_string(v);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 60, connections = 8, ws_clients = 100, baseline_s = 10, timeout_ms = 5000;
  int rest_port = 0, ws_port = 0, symbols = 1;
  double rate = 1000, feed_pace = 0, warmup_bars = 0;
  std::string key_file;
  po::options_description desc(
      "axion-load-test: REST reads at a constant rate plus WebSocket clients against a running "
      "paper-trading axion-host (bench/load_test.sh starts one)");
  desc.add_options()("help", "this text")(
      "rest-port", po::value(&rest_port)->required(), "REST port on 127.0.0.1")(
      "ws-port", po::value(&ws_port)->required(), "addon/ws port on 127.0.0.1")(
      "key-file", po::value(&key_file)->required(), "file holding an API key with the read scope")(
      "seconds", po::value(&seconds)->default_value(60), "length of the loaded period")(
      "rate", po::value(&rate)->default_value(1000), "REST requests per second (open loop)")(
      "connections", po::value(&connections)->default_value(8), "keep-alive REST connections")(
      "ws-clients", po::value(&ws_clients)->default_value(100), "WebSocket clients")(
      "feed-bars-per-second", po::value(&feed_pace)->required(),
      "the feed's nominal pace: symbols x 1000 / pace_ms")(
      "symbols", po::value(&symbols)->default_value(1), "bars the feed delivers per timestamp")(
      "warmup-bars", po::value(&warmup_bars)->default_value(0),
      "bars the engine must have processed before measuring (the unpaced warm-up)")(
      "baseline-seconds", po::value(&baseline_s)->default_value(10), "idle period measured before the load")(
      "timeout-ms", po::value(&timeout_ms)->default_value(5000), "REST connect/send/receive timeout");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
    if (seconds < 1 || rate <= 0 || connections < 1 || ws_clients < 0 || feed_pace <= 0 || baseline_s < 0 ||
        rest_port < 1 || rest_port > 65535 || ws_port < 1 || ws_port > 65535) {
      throw std::runtime_error("--seconds, --rate, --connections, --feed-bars-per-second must be positive, "
                               "ports 1-65535");
    }
  } catch (const std::exception& e) {
    std::cerr << "axion-load-test: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  std::string key;
  {
    std::ifstream in(key_file);
    std::getline(in, key);
    if (key.empty()) {
      std::cerr << "axion-load-test: no API key in --key-file " << key_file << "\n";
      return 2;
    }
  }
  const auto rport = static_cast<std::uint16_t>(rest_port);
  const auto wport = static_cast<std::uint16_t>(ws_port);

  // 1. The unpaced warm-up must be over, or it would count as the engine outrunning the feed.
  EngineSampler sampler(rport, key);
  {
    const auto deadline = Clock::now() + std::chrono::seconds(180);
    double bars = -1;
    for (;;) {
      if (auto s = sampler.sample_now()) bars = s->bars;
      if (bars >= warmup_bars) break;
      if (Clock::now() > deadline) {
        std::cerr << "axion-load-test: the engine did not finish its warm-up of " << warmup_bars
                  << " bars within 180 s (bars " << bars << ", last error '" << sampler.last_error() << "')\n";
        return 2;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    std::cerr << "load: warm-up done (" << bars << " bars)\n";
  }
  sampler.start();

  // 2. An idle baseline: the feed's real pace through an unloaded engine.
  const auto base_from = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(baseline_s));
  const auto base_to = Clock::now();
  const auto status_before = bot_status(rport, key);
  const std::string load_before = loadavg();

  // 3. The load: WS clients first (they stay for the whole period), then the REST schedule.
  WsOptions wo;
  wo.port = wport;
  wo.api_key = key;
  wo.clients = ws_clients;
  WsFleet fleet(wo);
  fleet.start();
  const int ws_connected = fleet.wait_connected(std::chrono::seconds(30));
  std::cerr << "load: " << ws_connected << "/" << ws_clients << " WS clients connected; REST " << rate
            << " req/s over " << connections << " connections for " << seconds << " s\n";
  RestOptions ro;
  ro.port = rport;
  ro.api_key = key;
  ro.rate = rate;
  ro.connections = connections;
  ro.duration = std::chrono::seconds(seconds);
  ro.timeout = std::chrono::milliseconds(timeout_ms);
  const auto load_from = Clock::now() + std::chrono::milliseconds(100);
  RestResult rest = run_rest_load(ro, load_from);
  const auto load_to = Clock::now();
  const std::string load_after = loadavg();
  WsResult ws = fleet.stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // one sample after the end
  sampler.stop();
  const auto status_after = bot_status(rport, key);

  // 4. The summary.
  const auto samples = sampler.samples();
  const auto base = window(samples, base_from, base_to);
  const auto loaded = window(samples, load_from, load_to);
  const double base_rate = rate_of(base);
  const double load_rate = rate_of(loaded);
  const Lag vs_feed = lag_against(loaded, feed_pace);

  std::uint64_t rest_errors = rest.not_sent;
  for (const auto& [k, v] : rest.errors) rest_errors += v;
  // Over the scheduled period, or longer when the last replies came late.
  const double achieved =
      static_cast<double>(rest.responses) / std::max<double>(rest.elapsed_s, static_cast<double>(seconds));

  std::printf("==== axion load test: %d s, REST %.0f req/s over %d keep-alive connections, %d WS clients ====\n",
              seconds, rate, connections, ws_clients);
  std::printf("REST    scheduled %llu, sent %llu, responses %llu (2xx %llu), not sent %llu; achieved %.1f req/s; "
              "reconnects %llu\n",
              static_cast<unsigned long long>(rest.scheduled), static_cast<unsigned long long>(rest.sent),
              static_cast<unsigned long long>(rest.responses), static_cast<unsigned long long>(rest.ok),
              static_cast<unsigned long long>(rest.not_sent), achieved,
              static_cast<unsigned long long>(rest.connects > static_cast<std::uint64_t>(connections)
                                                  ? rest.connects - static_cast<std::uint64_t>(connections)
                                                  : 0));
  std::printf("REST    latency from due time: p50 %.2f ms, p99 %.2f ms, max %.1f ms | service time p50 %.2f ms, "
              "p99 %.2f ms\n",
              pct(rest.latency_ms, 50), pct(rest.latency_ms, 99), pct(rest.latency_ms, 100), pct(rest.service_ms, 50),
              pct(rest.service_ms, 99));
  std::string per;
  for (auto& [path, st] : rest.by_endpoint) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s%s p50 %.2f/p99 %.2f ms", per.empty() ? "" : "; ", path.c_str(),
                  pct(st.latency_ms, 50), pct(st.latency_ms, 99));
    per += buf;
  }
  std::printf("REST    by endpoint: %s\n", per.c_str());
  std::printf("REST    errors: %s\n", join_counts(rest.errors).c_str());
  std::printf("WS      clients connected %d/%d, handshakes %llu, connect failures: %s\n", ws_connected,
              ws_clients, static_cast<unsigned long long>(ws.connects), join_counts(ws.connect_failures).c_str());
  std::printf("WS      events received %llu (%llu distinct sequences, %lld..%lld)\n",
              static_cast<unsigned long long>(ws.events), static_cast<unsigned long long>(ws.distinct_sequences),
              static_cast<long long>(ws.first_sequence), static_cast<long long>(ws.last_sequence));
  std::printf("WS      sequence gaps %llu (%llu events another client got), out of order %llu; replay_gap %llu "
              "(%llu events); missing at every client %llu (%llu events)\n",
              static_cast<unsigned long long>(ws.gaps), static_cast<unsigned long long>(ws.gap_events),
              static_cast<unsigned long long>(ws.out_of_order), static_cast<unsigned long long>(ws.replay_gaps),
              static_cast<unsigned long long>(ws.replay_gap_events),
              static_cast<unsigned long long>(ws.filtered_gaps), static_cast<unsigned long long>(ws.filtered_events));
  std::printf("WS      disconnects %llu (%s); subscribe acks %llu/%llu, heartbeat acks %llu/%llu; error frames: %s\n",
              static_cast<unsigned long long>(ws.disconnects), join_counts(ws.disconnect_reasons).c_str(),
              static_cast<unsigned long long>(ws.subscribe_acks),
              static_cast<unsigned long long>(ws.subscribe_expected),
              static_cast<unsigned long long>(ws.heartbeat_acks),
              static_cast<unsigned long long>(ws.heartbeats_sent), join_counts(ws.error_frames).c_str());
  std::printf("ENGINE  bars/s: feed nominal %.2f, idle baseline %.2f (%d s), under load %.2f (worst 5 s: %.2f)\n",
              feed_pace, base_rate, baseline_s, load_rate, vs_feed.worst_5s_rate);
  // The feed delivers one timestamp (every symbol's bar) at a time: a shortfall up to that many
  // bars is sampling resolution, not lag.
  std::printf("ENGINE  bar lag under load (bars short of the nominal pace): end %.1f bars (%.2f s), max %.1f bars "
              "(%.2f s); resolution %d bars\n",
              vs_feed.end_bars, vs_feed.end_bars / feed_pace, vs_feed.max_bars, vs_feed.max_bars / feed_pace,
              symbols);
  if (!ws.snapshot_interval_s.empty()) {
    std::printf("ENGINE  performance_snapshot interval (engine thread cadence): p50 %.2f s, max %.2f s (n=%zu)\n",
                pct(ws.snapshot_interval_s, 50), pct(ws.snapshot_interval_s, 100), ws.snapshot_interval_s.size());
  }
  if (loaded.size() >= 2) {
    const auto& a = loaded.front();
    const auto& b = loaded.back();
    std::printf("ENGINE  during load: signals processed +%.0f, executed +%.0f, positions closed +%.0f; "
                "/metrics samples %zu (failed %d)\n",
                b.signals - a.signals, b.executed - a.executed, b.closes - a.closes, samples.size(),
                sampler.failures());
  }
  if (status_before && status_after) {
    std::printf("ENGINE  status %s -> %s, open positions %s, equity %s -> %s\n",
                status_before->value("status", "?").c_str(), status_after->value("status", "?").c_str(),
                status_after->value("open_positions", nlohmann::json()).dump().c_str(),
                status_before->value("account_equity", nlohmann::json()).dump().c_str(),
                status_after->value("account_equity", nlohmann::json()).dump().c_str());
  }
  std::printf("MACHINE 1-min load average %s at the start of the load, %s at its end (%u cores)\n",
              load_before.c_str(), load_after.c_str(), std::thread::hardware_concurrency());
  std::vector<std::string> failed;
  if (rest_errors) failed.push_back("REST errors");
  if (ws_connected < ws_clients) failed.push_back("WS clients not connected");
  if (ws.gaps || ws.out_of_order) failed.push_back("WS sequence gaps");
  if (ws.disconnects) failed.push_back("WS disconnects");
  std::string verdict = failed.empty() ? "PASS" : "FAIL:";
  for (const auto& f : failed) verdict += " " + f + ";";
  std::printf("RESULT  %s\n", verdict.c_str());
  std::fflush(stdout);
  return failed.empty() ? 0 : 1;
}
