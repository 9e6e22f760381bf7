#include <catch2/catch.hpp>

#include "axion/core/pipeline/orchestrator.hpp"

using namespace axion::core;

namespace {
OrderResult filled(std::int64_t qty, double price, std::int64_t ts = 0) {
  OrderResult r;
  r.order_id = "PAPER-00000001";
  r.status = OrderStatus::Filled;
  r.filled_qty = qty;
  r.filled_price = price;
  r.broker = "paper";
  r.ts_us = ts;
  return r;
}
const std::int64_t kNow = 1'000'000'000'000;
}  // namespace

TEST_CASE("Fill validation rules in order (§7.4)") {
  OrchestratorConfig cfg;
  auto r = filled(100, 100.0, kNow);
  r.status = OrderStatus::Rejected;
  r.rejection_reason = "";
  CHECK(validate_fill(r, 100, 100, kNow, cfg).reason == "Order rejected by broker: unknown");
  r.status = OrderStatus::Cancelled;
  CHECK(validate_fill(r, 100, 100, kNow, cfg).reason == "Order was cancelled");
  r.status = OrderStatus::Pending;
  CHECK(validate_fill(r, 100, 100, kNow, cfg).reason == "Order still pending \u2014 not yet filled");
  auto z = filled(0, 100.0, kNow);
  CHECK(validate_fill(z, 100, 100, kNow, cfg).reason == "Zero fill quantity (status=filled)");
  auto bad_price = filled(100, 0.0, kNow);
  CHECK(validate_fill(bad_price, 100, 100, kNow, cfg).reason == "Invalid fill price: 0.0");
}

TEST_CASE("Partial fills are valid when allowed, with a low-ratio warning (§13 ex. 8)") {
  OrchestratorConfig cfg;
  auto r = filled(50, 100.0, kNow);
  r.status = OrderStatus::Partial;
  auto v = validate_fill(r, 100, 100.0, kNow, cfg);
  CHECK(v.is_valid);
  CHECK(v.adjusted_qty == 50);
  auto low = filled(40, 100.0, kNow);
  v = validate_fill(low, 100, 100.0, kNow, cfg);
  REQUIRE(v.warnings.size() == 1);
  CHECK(v.warnings[0] == "Low fill ratio: 40/100 (40%)");
  cfg.allow_partial = false;
  CHECK(validate_fill(r, 100, 100.0, kNow, cfg).reason == "Partial fill 50/100 \u2014 partials disabled");
}

TEST_CASE("Slippage: 0.27 % passes silently, 1.5 % warns, 2.5 % is invalid") {
  OrchestratorConfig cfg;
  auto v = validate_fill(filled(10, 100.27, kNow), 10, 100.0, kNow, cfg);
  CHECK(v.is_valid);
  CHECK(v.warnings.empty());
  v = validate_fill(filled(10, 101.5, kNow), 10, 100.0, kNow, cfg);
  CHECK(v.is_valid);
  CHECK(v.warnings == std::vector<std::string>{"Elevated slippage: 1.50%"});
  v = validate_fill(filled(10, 102.5, kNow), 10, 100.0, kNow, cfg);
  CHECK_FALSE(v.is_valid);
  CHECK(v.reason == "Excessive slippage: 2.50% (limit: 2.0%)");
}

TEST_CASE("A fill 301 s old is stale and 300 s is not") {
  OrchestratorConfig cfg;
  CHECK(validate_fill(filled(10, 100, kNow - 300'000'000), 10, 100, kNow, cfg).is_valid);
  auto v = validate_fill(filled(10, 100, kNow - 301'000'000), 10, 100, kNow, cfg);
  CHECK_FALSE(v.is_valid);
  CHECK(v.reason == "Stale fill: 301s old (limit: 300s)");
}
