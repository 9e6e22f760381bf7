// The Qullamaggie pattern helpers (strategies.md §2.11) and the incremental pieces the Qullamaggie
// strategies use, against the spec's examples and direct recomputations.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "axion/sdk/indicators.hpp"

namespace ind = axion::sdk::ind;

namespace {

// (high − low)/low·100 over every pair i ≤ j, the low first.
double pairwise_run_up(const std::vector<double>& x) {
  double best = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (std::size_t j = i; j < x.size(); ++j) best = std::max(best, (x[j] - x[i]) / x[i] * 100.0);
  }
  return best;
}

}  // namespace

TEST_CASE("detect_higher_lows: the examples of §2.11", "[patterns]") {
  CHECK(ind::detect_higher_lows(std::vector<double>{15, 10, 15, 12, 16, 14, 18}));
  CHECK_FALSE(ind::detect_higher_lows(std::vector<double>{15, 10, 15, 12, 16, 11, 18}));
  CHECK_FALSE(ind::detect_higher_lows(std::vector<double>(10, 5.0)));  // flat
  CHECK_FALSE(ind::detect_higher_lows(std::vector<double>{}));
  CHECK_FALSE(ind::detect_higher_lows(std::vector<double>{3, 1}));
  // A single swing low is not enough; ≤ both neighbours is a swing low (non-strict).
  CHECK_FALSE(ind::detect_higher_lows(std::vector<double>{15, 10, 15, 16, 17}));
  CHECK(ind::detect_higher_lows(std::vector<double>{15, 10, 10, 12, 11.5, 13}) == false);
  CHECK(ind::detect_higher_lows(std::vector<double>{15, 10, 12, 12, 14, 13, 15}));
  // Lookback: only the last `lookback` values count.
  const std::vector<double> lows{15, 10, 15, 12, 16, 11, 18, 13, 19, 15, 20};
  CHECK_FALSE(ind::detect_higher_lows(lows));
  CHECK(ind::detect_higher_lows(lows, 6));  // 11, 18, 13, 19, 15, 20 → swings 13, 15
  CHECK_FALSE(ind::detect_higher_lows(lows, 2));
}

TEST_CASE("volume_contraction", "[patterns]") {
  std::vector<double> v(19, 100.0);
  CHECK(ind::volume_contraction(v) == 1.0);  // fewer than 20
  v.push_back(100.0);
  CHECK(ind::volume_contraction(v) == 1.0);
  std::vector<double> w(15, 200.0);
  for (int i = 0; i < 5; ++i) w.push_back(50.0);
  CHECK(ind::volume_contraction(w) == Approx(50.0 / ((15 * 200.0 + 5 * 50.0) / 20)));
  CHECK(ind::volume_contraction(std::vector<double>(25, 0.0)) == 1.0);
  std::vector<double> x(30, 10.0);
  x[29] = 60.0;
  CHECK(ind::volume_contraction(x, 10) == Approx((4 * 10.0 + 60) / 5 / ((9 * 10.0 + 60) / 10)));
}

TEST_CASE("detect_consolidation: peak, span, pullback and higher lows", "[patterns]") {
  // 10 rising bars to a peak high of 20 at bar 9, then 12 bars in 17.5 … 19.5 with higher lows.
  std::vector<double> h, l, c;
  for (int i = 0; i < 10; ++i) {
    c.push_back(10 + i), h.push_back(11 + i), l.push_back(9.5 + i);
  }
  const double flag[12][2] = {{19.0, 18.0}, {18.6, 17.5}, {19.2, 18.2}, {18.9, 17.9},
                              {19.4, 18.5}, {19.1, 18.3}, {19.5, 18.7}, {19.2, 18.6},
                              {19.3, 18.9}, {19.3, 18.8}, {19.4, 19.1}, {19.4, 19.0}};
  for (const auto& f : flag) h.push_back(f[0]), l.push_back(f[1]), c.push_back((f[0] + f[1]) / 2);
  REQUIRE(h.size() == 22);
  const auto cons = ind::detect_consolidation(h, l, c);
  REQUIRE(cons.has_value());
  CHECK(cons->peak_index == 9);
  CHECK(cons->peak_high == 20.0);
  CHECK(cons->first == 10);
  CHECK(cons->last == 21);
  CHECK(cons->duration == 12);
  CHECK(cons->high == 19.5);
  CHECK(cons->low == 17.5);
  CHECK(cons->range_pct == Approx(2.0 / 17.5 * 100));
  CHECK(cons->pullback_pct == Approx(2.5 / 20.0 * 100));
  CHECK(cons->has_higher_lows);
  CHECK(cons->volume_ratio == 1.0);

  // The peak is the FIRST index of the strict maximum: an equal later high does not move it.
  auto h2 = h;
  h2[11] = 20.0;
  CHECK(ind::detect_consolidation(h2, l, c)->peak_index == 9);
  // A higher high inside the last m bars is outside the search: still peak 9.
  auto h3 = h;
  h3[15] = 21.0;
  const auto c3 = ind::detect_consolidation(h3, l, c);
  REQUIRE(c3.has_value());
  CHECK(c3->peak_index == 9);
  CHECK(c3->high == 21.0);
  // Too short a history (n < m+5), too long a consolidation, too deep a pullback.
  CHECK_FALSE(ind::detect_consolidation(std::vector<double>(h.begin(), h.begin() + 14),
                                        std::vector<double>(l.begin(), l.begin() + 14),
                                        std::vector<double>(c.begin(), c.begin() + 14))
                  .has_value());
  CHECK_FALSE(ind::detect_consolidation(h, l, c, {10, 11, 25.0}).has_value());
  CHECK_FALSE(ind::detect_consolidation(h, l, c, {10, 60, 12.0}).has_value());
  CHECK(ind::detect_consolidation(h, l, c, {10, 60, 12.5}).has_value());
  // The arrays are zipped to the shortest.
  CHECK(ind::detect_consolidation(h, l, std::vector<double>(c.begin(), c.end() - 1))->last == 20);
}

TEST_CASE("largest run-up: the low must precede the high", "[patterns]") {
  CHECK(ind::largest_run_up(std::vector<double>{10, 12, 15, 11, 20}).pct == Approx(100.0));
  CHECK(ind::largest_run_up(std::vector<double>{20, 15, 10}).pct == 0.0);  // a decline
  const auto r = ind::largest_run_up(std::vector<double>{30, 12, 18, 10, 14, 9});
  CHECK(r.pct == Approx(50.0));
  CHECK(r.low_index == 1);
  CHECK(r.high_index == 2);
  CHECK(ind::largest_run_up(std::vector<double>{5, 0.0, 8}).pct == 0.0);  // a min ≤ 0
  CHECK(ind::largest_run_up(std::vector<double>{}).pct == 0.0);

  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(1.0, 100.0);
  ind::Ring<double> ring(30);
  std::vector<double> all;
  for (int i = 0; i < 200; ++i) {
    all.push_back(u(rng));
    ring.push(all.back());
    const std::size_t k = std::min<std::size_t>(all.size(), 30);
    const std::vector<double> last(all.end() - static_cast<long>(k), all.end());
    CHECK(ind::largest_run_up_last(ring, 30).pct == Approx(pairwise_run_up(last)).epsilon(1e-12));
    CHECK(ind::largest_run_up(last).pct == ind::largest_run_up_last(ring, 30).pct);
  }
}

TEST_CASE("up-day counter: 5 for 10,11,12,13,14,15,14.5 (§17)", "[patterns]") {
  const std::vector<double> closes{10, 11, 12, 13, 14, 15, 14.5};
  CHECK(ind::count_up_days(closes) == 5);
  CHECK(ind::count_up_days(std::vector<double>{10, 11, 12, 13, 14, 15, 16}) == 5);
  CHECK(ind::count_up_days(std::vector<double>{10, 10, 11}) == 0);
  CHECK(ind::count_up_days(std::vector<double>{10}) == 0);
  ind::UpDayStreak streak;
  for (double c : closes) streak.update(c);
  CHECK(streak.before_latest() == 5);
  CHECK(streak.ending_latest() == 0);

  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  ind::UpDayStreak s2;
  std::vector<double> all;
  double x = 50;
  for (int i = 0; i < 500; ++i) {
    x += u(rng) < 0.7 ? 1.0 : -1.5;
    all.push_back(x);
    s2.update(x);
    CHECK(s2.before_latest() == ind::count_up_days(all));
  }
}

TEST_CASE("running peak keeps the first index of the strict maximum", "[patterns]") {
  ind::RunningPeak p;
  CHECK(p.empty());
  for (double v : {3.0, 5.0, 4.0, 5.0, 2.0}) p.push(v);
  CHECK(p.value() == 5.0);
  CHECK(p.index() == 1);
  CHECK(p.count() == 5);
  p.push(6.0);
  CHECK(p.index() == 5);
}
