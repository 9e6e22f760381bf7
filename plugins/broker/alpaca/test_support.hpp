// Helpers shared by the plugin's tests (test_alpaca_broker.cpp, test_alpaca_tls.cpp): the keys,
// a config against a stand-in, an order, and waits for what the plugin's threads do.
#pragma once

#include <cstdlib>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "axion/sdk/testing/eventually.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "alpaca_json.hpp"
#include "standin.hpp"

namespace alpaca_test {

using axion::sdk::Order;
using axion::sdk::OrderResult;
using axion::sdk::OrderStatus;
using axion::sdk::testing::eventually;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::PluginHarness;
using axion::testing::alpaca::StandIn;
using nlohmann::json;

inline const char* const kSo = AXION_PLUGIN_SO;

// The stand-in's default keys, where the plugin reads them.
inline void set_keys() {
  ::setenv("AXION_ALPACA_API_KEY", "PKTESTKEY", 1);
  ::setenv("AXION_ALPACA_SECRET_KEY", "test-secret-value", 1);
}

inline json config_for(const StandIn& s, json extra = json::object()) {
  json c = {{"base_url", s.base_url()}, {"poll_interval_ms", 20}, {"timeout_ms", 1000},
            {"snapshot_interval_ms", 200}};
  for (auto& [k, v] : extra.items()) c[k] = v;
  return c;
}

inline Order market(const std::string& ticker, const std::string& side, std::int64_t qty,
                    const std::string& cid) {
  Order o;
  o.ticker = ticker;
  o.side = side;
  o.qty = qty;
  o.client_order_id = cid;
  o.signal_id = "sig-" + cid;
  return o;
}

// Submits once the plugin's trade stream listens: until then it refuses, recording nothing.
inline OrderResult submit(PluginHarness& h, const Order& o) {
  OrderResult r;
  REQUIRE(eventually([&] {
    r = h.submit(o);
    return r.rejection_reason.find("not listening") == std::string::npos;
  }));
  return r;
}

// Waits until the broker reports a final state for `cid`.
inline OrderResult final_state(PluginHarness& h, const std::string& cid) {
  std::optional<OrderResult> r;
  eventually([&] {
    r = h.query_order(cid);
    return r && r->status != OrderStatus::Pending;
  });
  REQUIRE(r);
  return *r;
}

inline void no_secret_logged(FakeHost& host) {
  std::lock_guard lock(host.logs_mu);
  for (const auto& [level, line] : host.logs) {
    INFO(line);
    CHECK(line.find("test-secret-value") == std::string::npos);
  }
}

}  // namespace alpaca_test
