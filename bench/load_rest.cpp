#include "load_rest.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "load_http.hpp"

namespace axion::bench::load {

const std::vector<std::string>& rest_endpoints() {
  static const std::vector<std::string> endpoints = {
      "/api/v1/bot/status", "/api/v1/bot/positions", "/api/v1/bot/history?limit=50",
      "/api/v1/bot/config", "/api/v1/strategies",    "/health",
      "/metrics",
  };
  return endpoints;
}

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// One connection's share of the run; merged at the end so the hot loop takes no lock.
struct WorkerResult {
  std::uint64_t sent = 0, responses = 0, ok = 0, connects = 0;
  Clock::time_point last_reply{};
  std::vector<double> latency_ms, service_ms;
  std::map<std::string, EndpointStats> by_endpoint;
  std::map<std::string, std::uint64_t> errors;
};

}  // namespace

RestResult run_rest_load(const RestOptions& o, SteadyTime start) {
  const auto& endpoints = rest_endpoints();
  const auto period = std::chrono::duration<double>(1.0 / o.rate);
  const auto total = static_cast<std::uint64_t>(std::floor(o.rate * std::chrono::duration<double>(o.duration).count()));
  const auto end = start + o.duration;
  std::atomic<std::uint64_t> next{0};
  std::vector<WorkerResult> parts(static_cast<std::size_t>(std::max(1, o.connections)));
  std::vector<std::thread> workers;
  for (auto& part : parts) {
    workers.emplace_back([&, w = &part] {
      KeepAliveClient client(o.port, o.api_key, o.timeout);
      w->latency_ms.reserve(total / parts.size() + 16);
      w->service_ms.reserve(total / parts.size() + 16);
      for (;;) {
        const std::uint64_t i = next.fetch_add(1);
        if (i >= total) break;
        const auto due = start + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(i));
        std::this_thread::sleep_until(due);
        if (Clock::now() > end + o.grace) break;  // hopelessly behind: the rest count as not sent
        const std::string& path = endpoints[i % endpoints.size()];
        const auto sent_at = Clock::now();
        ++w->sent;
        auto r = client.get(path);
        const auto done = Clock::now();
        if (!r.error.empty()) {
          ++w->errors[r.error];
          continue;
        }
        ++w->responses;
        w->last_reply = done;
        const double lat = ms_between(due, done);
        w->latency_ms.push_back(lat);
        w->service_ms.push_back(ms_between(sent_at, done));
        auto& ep = w->by_endpoint[path];
        ++ep.responses;
        ep.latency_ms.push_back(lat);
        if (r.status >= 200 && r.status < 300) {
          ++w->ok;
        } else {
          ++w->errors["http_" + std::to_string(r.status) + " " + path];
        }
      }
      w->connects = client.connects();
    });
  }
  for (auto& t : workers) t.join();

  RestResult out;
  out.scheduled = total;
  Clock::time_point last = start;
  for (auto& w : parts) {
    out.sent += w.sent;
    out.responses += w.responses;
    out.ok += w.ok;
    out.connects += w.connects;
    last = std::max(last, w.last_reply);
    out.latency_ms.insert(out.latency_ms.end(), w.latency_ms.begin(), w.latency_ms.end());
    out.service_ms.insert(out.service_ms.end(), w.service_ms.begin(), w.service_ms.end());
    for (auto& [k, v] : w.errors) out.errors[k] += v;
    for (auto& [k, v] : w.by_endpoint) {
      auto& dst = out.by_endpoint[k];
      dst.responses += v.responses;
      dst.latency_ms.insert(dst.latency_ms.end(), v.latency_ms.begin(), v.latency_ms.end());
    }
  }
  out.not_sent = total - out.sent;
  out.elapsed_s = std::chrono::duration<double>(last - start).count();
  return out;
}

}  // namespace axion::bench::load
