// The REST half of the load driver: an open-loop (constant-rate) schedule of GETs rotating over
// the read endpoints, served by a few keep-alive connections. Request i is due at
// start + i / rate whatever happened to earlier ones; a connection that is late sends at once, and
// the latency is counted from the due time, so a stalled server shows up as latency instead of a
// lower request rate (no coordinated omission).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace axion::bench::load {

using SteadyTime = std::chrono::steady_clock::time_point;

// The rotation: the GET endpoints an operator's dashboard polls.
const std::vector<std::string>& rest_endpoints();

struct RestOptions {
  std::uint16_t port = 0;
  std::string api_key;
  double rate = 1000;  // requests per second
  int connections = 8;
  std::chrono::milliseconds duration{60000};
  std::chrono::milliseconds timeout{5000};  // per connect, send and receive
  // Requests still unsent this long after the end are given up (counted as not sent).
  std::chrono::milliseconds grace{2000};
};

struct EndpointStats {
  std::uint64_t responses = 0;
  std::vector<double> latency_ms;  // from the due time
};

struct RestResult {
  std::uint64_t scheduled = 0;  // due before the end
  std::uint64_t sent = 0;
  std::uint64_t responses = 0;  // any status
  std::uint64_t ok = 0;         // 2xx
  std::uint64_t not_sent = 0;   // due but never sent (every connection was busy or stuck)
  std::uint64_t connects = 0;   // sockets opened (connections at the start included)
  double elapsed_s = 0;         // start to the last reply
  std::vector<double> latency_ms;  // due time to reply, every response
  std::vector<double> service_ms;  // send to reply, every response
  std::map<std::string, EndpointStats> by_endpoint;
  std::map<std::string, std::uint64_t> errors;  // kind ("timeout", "http_503 /health", …) -> count
};

// Runs the schedule from `start` (which may be slightly in the future) for options.duration and
// returns when every connection is done. Blocks.
RestResult run_rest_load(const RestOptions& options, SteadyTime start);

}  // namespace axion::bench::load
