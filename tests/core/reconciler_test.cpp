// PositionReconciler (pipeline.md §9): every mismatch type with its severity and text.
#include <catch2/catch.hpp>

#include "axion/core/pipeline/reconciler.hpp"

using namespace axion::core;
using axion::sdk::BrokerPosition;

namespace {
Position pos(const std::string& t, std::int64_t shares, double price, const std::string& dir = "long") {
  Position p;
  p.ticker = p.underlying = t;
  p.shares = shares;
  p.current_price = p.entry_price = price;
  p.direction = parse_direction(dir).value();
  return p;
}
}  // namespace

TEST_CASE("Matching books are clean; local positions aggregate per ticker") {
  auto r = reconcile({pos("AAPL", 60, 100), pos("AAPL", 40, 110)}, {{"AAPL", 100, "buy", 104, 104.0}});
  CHECK(r.is_clean());
  CHECK(r.matched == std::vector<std::string>{"AAPL"});
  CHECK(r.total_local == 2);
  CHECK(r.total_broker == 1);
}

TEST_CASE("Ghosts, orphans, quantity, direction and price drift, sorted by ticker") {
  auto r = reconcile({pos("AAPL", 10, 100), pos("MSFT", 5, 300), pos("NVDA", 3, 500, "short"),
                      pos("TSLA", 2, 200)},
                     {{"MSFT", 7, "long", 300, 300}, {"NVDA", 3, "long", 500, 500},
                      {"QQQ", 4, "long", 400, 400}, {"TSLA", 2, "long", 200, 211}, {"", 1, "long", 1, 1}});
  REQUIRE(r.mismatches.size() == 5);
  CHECK(r.mismatches[0].ticker == "AAPL");
  CHECK(r.mismatches[0].mismatch_type == "ghost");
  CHECK(r.mismatches[0].severity == "critical");
  CHECK(r.mismatches[0].detail == "Ghost position: 10 long AAPL not at broker");
  CHECK(r.mismatches[1].mismatch_type == "qty_mismatch");
  CHECK(r.mismatches[1].detail == "MSFT: qty mismatch: local=5, broker=7");
  CHECK(r.mismatches[2].mismatch_type == "direction_mismatch");
  CHECK(r.mismatches[2].severity == "high");
  CHECK(r.mismatches[2].detail == "NVDA: direction mismatch: local=short, broker=long");
  CHECK(r.mismatches[3].mismatch_type == "orphaned");
  CHECK(r.mismatches[3].detail == "Orphaned position: 4 QQQ at broker, not tracked locally");
  CHECK(r.mismatches[4].mismatch_type == "price_drift");
  CHECK(r.mismatches[4].severity == "medium");
  CHECK(r.mismatches[4].detail == "TSLA: price drift 5.5%: local=$200.00, broker=$211.00");
  CHECK_FALSE(r.is_clean());
  CHECK(r.to_dict()["is_clean"] == false);
}

TEST_CASE("Mixed local directions in one ticker are a direction mismatch") {
  auto r = reconcile({pos("AAPL", 2, 100), pos("AAPL", 1, 100, "short")}, {{"AAPL", 3, "long", 100, 100}});
  REQUIRE(r.mismatches.size() == 1);
  CHECK(r.mismatches[0].detail == "AAPL: direction mismatch: local=mixed, broker=long");
}

TEST_CASE("A long and a short of one ticker are compared with the broker by their net") {
  Position a;
  a.ticker = "AAPL";
  a.direction = Direction::Long;
  a.shares = 62;
  a.current_price = 100;
  Position b = a;
  b.direction = Direction::Short;
  b.shares = 31;
  std::vector<BrokerPosition> broker = {{"AAPL", 31, "long", 100.0, 100.0}};
  auto r = reconcile({a, b}, broker, 5.0, 0);
  CHECK(r.is_clean());
  // A net of zero is flat at the broker; any other difference is still a mismatch.
  b.shares = 62;
  CHECK(reconcile({a, b}, {}, 5.0, 0).is_clean());
  broker[0].qty = 40;
  b.shares = 31;
  CHECK_FALSE(reconcile({a, b}, broker, 5.0, 0).is_clean());
}
