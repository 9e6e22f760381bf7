// The REST routes (Trading API v2, and Market Data v2's bars): one request in, one answer out,
// against the stand-in's state.
// Everything here runs under the stand-in's lock; nothing blocks (a slow answer is a delay the
// server applies after the lock is released).
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "bar_store.hpp"
#include "book.hpp"
#include "http_server.hpp"
#include "rate_limiter.hpp"
#include "render.hpp"
#include "standin.hpp"

namespace axion::testing::alpaca {

// Scripted faults, each entry consumed once (README "Faults").
struct Faults {
  std::deque<int> fail_requests;  // status per request, before anything else
  int burst_429 = 0;
  struct Refusal {
    int status;
    std::string message;
  };
  std::deque<Refusal> reject_submit;
  std::deque<int> fail_after_accept;
  std::deque<std::chrono::milliseconds> delay_after_accept;
};

struct ApiState {
  explicit ApiState(StandInOptions o);

  StandInOptions options;
  Book book;
  RateLimiter limiter;
  Faults faults;
  AccountIdentity account;
  bool clock_open = true;
  std::vector<RequestRecord> records;
  std::unordered_map<std::string, int> submits;  // client_order_id -> POST /v2/orders carrying it
  BarStore bars;
  int bars_requests = 0;  // GET to either bars endpoint, whatever the answer
};

HttpResponse handle(ApiState& state, const HttpRequest& request);

}  // namespace axion::testing::alpaca
