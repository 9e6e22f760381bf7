// The SDK indicator library against the golden vectors of strategies.md §16 and against direct,
// array-at-a-time recomputations of the §2 formulas (1e-9 relative) at every bar.
#include <algorithm>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/testing/series.hpp"

namespace ind = axion::sdk::ind;
using axion::sdk::testing::gold_series;
using axion::sdk::testing::Series;

namespace {

bool rel_eq(double a, double b, double tol = 1e-9) {
  return std::fabs(a - b) <= tol * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// ---- direct recomputations over arrays (the spec's formulas, nothing incremental) ----------

double direct_rsi(const std::vector<double>& c, std::size_t n, int p) {
  if (n < static_cast<std::size_t>(p) + 1) return 50.0;
  double g = 0, lo = 0;
  for (std::size_t i = n - static_cast<std::size_t>(p); i < n; ++i) {
    double d = c[i] - c[i - 1];
    if (d > 0) g += d; else lo += -d;
  }
  g /= p, lo /= p;
  if (lo < 1e-10) return 100.0;
  return 100.0 - 100.0 / (1.0 + g / lo);
}

double direct_adx(const Series& s, std::size_t n, int p) {
  if (n < static_cast<std::size_t>(2 * p + 1)) return 0.0;
  std::vector<double> tr, pdm, mdm;
  for (std::size_t i = 1; i < n; ++i) {
    double up = s.high[i] - s.high[i - 1], down = s.low[i - 1] - s.low[i];
    pdm.push_back(up > down && up > 0 ? up : 0);
    mdm.push_back(down > up && down > 0 ? down : 0);
    tr.push_back(std::max({s.high[i] - s.low[i], std::fabs(s.high[i] - s.close[i - 1]),
                           std::fabs(s.low[i] - s.close[i - 1])}));
  }
  double atr = 0, sp = 0, sm = 0;
  for (int k = 0; k < p; ++k) atr += tr[k], sp += pdm[k], sm += mdm[k];
  atr /= p, sp /= p, sm /= p;
  std::vector<double> dx;
  for (std::size_t k = static_cast<std::size_t>(p); k < tr.size(); ++k) {
    atr = (atr * (p - 1) + tr[k]) / p;
    sp = (sp * (p - 1) + pdm[k]) / p;
    sm = (sm * (p - 1) + mdm[k]) / p;
    double a = atr > 0 ? 100 * sp / atr : 0, b = atr > 0 ? 100 * sm / atr : 0;
    dx.push_back(a + b > 0 ? 100 * std::fabs(a - b) / (a + b) : 0);
  }
  double adx = 0;
  for (int k = 0; k < p; ++k) adx += dx[k];
  adx /= p;
  for (std::size_t k = static_cast<std::size_t>(p); k < dx.size(); ++k) adx = (adx * (p - 1) + dx[k]) / p;
  return adx;
}

double direct_mean_tr(const Series& s, std::size_t n, int p) {
  if (n < static_cast<std::size_t>(p) + 1) return 0.0;
  double sum = 0;
  for (std::size_t i = n - static_cast<std::size_t>(p); i < n; ++i) {
    sum += std::max({s.high[i] - s.low[i], std::fabs(s.high[i] - s.close[i - 1]),
                     std::fabs(s.low[i] - s.close[i - 1])});
  }
  return sum / p;
}

double direct_adr(const Series& s, std::size_t n, int p) {
  if (n < static_cast<std::size_t>(p)) return 0.0;
  double sum = 0;
  int k = 0;
  for (std::size_t i = n - static_cast<std::size_t>(p); i < n; ++i) {
    if (s.low[i] > 0) sum += (s.high[i] - s.low[i]) / s.low[i] * 100, ++k;
  }
  return sum / std::max(k, 1);
}

struct Fed {
  ind::Ema ema5{5};
  ind::CutlerRsi rsi{14};
  ind::WilderAdx adx{14};
  ind::MeanTrueRange atr{14};
  ind::WindowDx dx{14};
  ind::AdrPercent adr{20};
  ind::Ring<double> closes{50};
  void update(const Series& s, std::size_t i) {
    ema5.update(s.close[i]);
    rsi.update(s.close[i]);
    adx.update(s.high[i], s.low[i], s.close[i]);
    atr.update(s.high[i], s.low[i], s.close[i]);
    dx.update(s.high[i], s.low[i], s.close[i]);
    adr.update(s.high[i], s.low[i]);
    closes.push(s.close[i]);
  }
};

// The episodic-pivot scenario of §16.6 (65 bars).
Series ep_series() {
  Series s;
  for (int t = 0; t <= 62; ++t) {
    double c = 30 + 0.4 * std::sin(t), o = c - 0.05;
    s.push(o, std::max(o, c) + 0.6, std::min(o, c) - 0.6, c, 300'000.0 + 1000.0 * t);
  }
  s.push(29.95, 30.6, 29.35, 30.0, 363'000);
  s.push(34.5, 35.3, 34.2, 35.0, 1'500'000);
  return s;
}

}  // namespace

TEST_CASE("EMA seeded with the first value matches the small check and the GOLD table", "[indicators]") {
  const double closes[] = {100, 101, 99, 102, 104, 103, 105, 107, 106, 108};
  const double want[] = {100.0, 100.333333, 99.888889, 100.592593, 101.728395,
                         102.152263, 103.101509, 104.401006, 104.934004, 105.956003};
  ind::Ema e(5);
  for (int i = 0; i < 10; ++i) REQUIRE(e.update(closes[i]) == Approx(want[i]).margin(5e-7));

  struct Row { int p; double b1, b90, b299; };
  const Row rows[] = {{5, 100.686325, 105.331715, 112.126063},  {12, 100.316765, 107.256791, 110.659882},
                      {8, 100.45755, 106.410706, 111.373217},   {9, 100.411795, 106.678595, 111.157181},
                      {20, 100.196093, 107.65956, 110.224276},  {21, 100.18718, 107.639054, 110.226694},
                      {34, 100.117656, 106.916135, 110.581688}, {50, 100.080744, 105.929594, 110.988694},
                      {72, 100.05641, 104.944157, 111.155399},  {89, 100.045755, 104.396195, 111.086923}};
  const Series g = gold_series();
  for (const auto& r : rows) {
    ind::Ema ema(r.p);
    double alpha = 2.0 / (r.p + 1.0), direct = g.close[0];
    for (std::size_t i = 0; i < g.size(); ++i) {
      double v = ema.update(g.close[i]);
      if (i > 0) direct = alpha * g.close[i] + (1 - alpha) * direct;
      REQUIRE(rel_eq(v, direct));
      if (i == 1) CHECK(v == Approx(r.b1).margin(5e-7));
      if (i == 90) CHECK(v == Approx(r.b90).margin(5e-7));
      if (i == 299) CHECK(v == Approx(r.b299).margin(5e-7));
    }
  }
}

TEST_CASE("compute_ema and compute_sma follow the library examples", "[indicators]") {
  CHECK(ind::compute_ema({10, 20, 30, 40, 50, 60, 70}, 3) == std::vector<double>{20, 20, 20, 30, 40, 50, 60});
  CHECK(ind::compute_sma({10, 20, 30, 40, 50}, 3) == std::vector<double>{20, 30, 40});
  CHECK(ind::compute_ema({1, 2}, 3).empty());
  CHECK(ind::compute_sma({1, 2}, 3).empty());
}

TEST_CASE("Wilder ADX matches the GOLD gate values of 16.4 and a direct recomputation", "[indicators]") {
  const Series g = gold_series();
  ind::WilderAdx adx(14);
  for (std::size_t i = 0; i < g.size(); ++i) {
    adx.update(g.high[i], g.low[i], g.close[i]);
    REQUIRE(rel_eq(adx.value(), direct_adx(g, i + 1, 14)));
  }
  auto at = [&](std::size_t b) {
    ind::WilderAdx a(14);
    for (std::size_t i = 0; i <= b; ++i) a.update(g.high[i], g.low[i], g.close[i]);
    return a.value();
  };
  CHECK(at(27) == 0.0);  // < 29 bars
  CHECK(at(28) == Approx(36.4516).margin(5e-5));
  CHECK(at(29) == Approx(34.3682).margin(5e-5));
  CHECK(at(59) == Approx(27.0149).margin(5e-5));
  CHECK(at(99) == Approx(36.0360).margin(5e-5));
  CHECK(at(149) == Approx(29.6897).margin(5e-5));
  CHECK(at(199) == Approx(46.6854).margin(5e-5));
  CHECK(at(299) == Approx(27.5514).margin(5e-5));
}

TEST_CASE("RSI, ATR, DX and ADR match direct recomputation on GOLD at every bar", "[indicators]") {
  const Series g = gold_series();
  Fed f;
  for (std::size_t i = 0; i < g.size(); ++i) {
    f.update(g, i);
    const std::size_t n = i + 1;
    REQUIRE(rel_eq(f.rsi.value(), direct_rsi(g.close, n, 14)));
    REQUIRE(rel_eq(f.atr.value(), direct_mean_tr(g, n, 14)));
    REQUIRE(rel_eq(f.adr.value(), direct_adr(g, n, 20)));
  }
}

TEST_CASE("the episodic-pivot arrays give the 16.6 ADR, ATR, DX and RSI", "[indicators]") {
  const Series s = ep_series();
  Fed f;
  for (std::size_t i = 0; i < s.size(); ++i) f.update(s, i);
  CHECK(f.adr.value() == Approx(4.2074).margin(5e-5));
  CHECK(f.atr.value() == Approx(1.5393).margin(5e-5));
  CHECK(f.dx.value() == Approx(60.3542).margin(5e-5));
  CHECK(f.rsi.value() == Approx(80.8970).margin(5e-5));
}

TEST_CASE("RSI edge rules: short series 50, flat series 100, rising series above 50", "[indicators]") {
  ind::CutlerRsi r(14);
  for (int i = 0; i < 14; ++i) r.update(100);
  CHECK(r.value() == 50.0);  // 14 closes: n < p+1
  r.update(100);
  CHECK(r.value() == 100.0);       // flat: Lo < 1e-10
  CHECK(r.series_value() == 50.0);  // divergence series: flat → 50
  ind::CutlerRsi up(14);
  for (int i = 0; i < 20; ++i) up.update(100 + i + (i % 3 == 0 ? -0.5 : 0.0));
  CHECK(up.value() > 50.0);
}

TEST_CASE("z-score and Bollinger position follow 2.9", "[indicators]") {
  ind::Ring<double> c(50);
  for (int i = 0; i < 19; ++i) c.push(100);
  auto b = ind::bollinger_last(c, 20, 2.0);
  CHECK(b.position == 0.5);
  CHECK(b.mid == 100.0);
  CHECK(ind::zscore_last(c, 50) == 0.0);  // n < 50
  c.push(100);
  CHECK(ind::bollinger_last(c, 20, 2.0).position == 0.5);  // zero width
  for (int i = 0; i < 30; ++i) c.push(100 + (i % 2));
  c.push(110);
  double mu = 0, var = 0;
  for (std::size_t i = 0; i < 50; ++i) mu += c.back(i);
  mu /= 50;
  for (std::size_t i = 0; i < 50; ++i) var += (c.back(i) - mu) * (c.back(i) - mu);
  CHECK(rel_eq(ind::zscore_last(c, 50), (110 - mu) / std::sqrt(var / 50)));
  CHECK(ind::bollinger_last(c, 20, 2.0).position == 1.0);  // clamped
}

TEST_CASE("the session clock counts ET session bars and falls back to compatibility mode", "[indicators]") {
  using axion::sdk::time::eastern_to_utc;
  ind::SessionClock clock;
  CHECK_FALSE(clock.update(eastern_to_utc(2026, 3, 9, 9, 25)));  // pre-market
  CHECK(clock.index() == 0);
  CHECK(clock.update(eastern_to_utc(2026, 3, 9, 9, 30)));
  CHECK(clock.index() == 1);
  clock.update(eastern_to_utc(2026, 3, 9, 9, 35));
  CHECK(clock.index() == 2);
  CHECK(clock.update(eastern_to_utc(2026, 3, 10, 9, 30)));  // next day resets
  CHECK(clock.index() == 1);
  ind::SessionClock compat;
  for (int i = 0; i < 7; ++i) compat.update(0);
  CHECK(compat.compat());
  CHECK(compat.index() == 7);
}

TEST_CASE("session VWAP is the volume-weighted typical price and 0 without volume", "[indicators]") {
  ind::SessionVwap v;
  CHECK(v.value() == 0.0);
  v.add(11, 9, 10, 0);
  CHECK(v.value() == 0.0);
  v.add(12, 10, 11, 100);
  v.add(14, 12, 13, 300);
  double want = (11.0 * 100 + 13.0 * 300) / 400;
  CHECK(v.value() == Approx(want));
  CHECK(v.value() > 11.0);
  CHECK(v.value() < 13.0);
}

TEST_CASE("parse_iso reads what to_iso writes, offsets and dates, and refuses impossible ones", "[time]") {
  using namespace axion::sdk::time;
  const std::int64_t t = eastern_to_utc(2026, 2, 9, 9, 30) + 123456;
  CHECK(parse_iso(to_iso(t)) == t);
  CHECK(parse_iso("2026-02-09T14:30:00Z") == parse_iso("2026-02-09T09:30:00-05:00"));
  CHECK(parse_iso("2026-02-09") == days_from_civil(2026, 2, 9) * kUsPerDay);
  CHECK_FALSE(parse_iso("2026-02-31T10:00:00Z"));
  CHECK_FALSE(parse_iso("2026-13-01"));
  CHECK_FALSE(parse_iso("2026-02-09T14:30:00+0"));
  CHECK_FALSE(parse_iso("yesterday"));
  CHECK(parse_iso("2024-02-29"));  // leap day
}

TEST_CASE("Ring: back, at and for_each_last agree with a plain history across every wrap") {
  for (std::size_t cap : {1u, 2u, 3u, 7u}) {
    ind::Ring<double> r(cap);
    std::vector<double> all;
    for (int i = 0; i < 25; ++i) {
      r.push(i * 1.5);
      all.push_back(i * 1.5);
      const std::size_t kept = std::min(all.size(), cap);
      REQUIRE(r.size() == kept);
      for (std::size_t k = 0; k < kept; ++k) CHECK(r.back(k) == all[all.size() - 1 - k]);
      for (std::size_t i2 = 0; i2 < kept; ++i2) CHECK(r.at(i2) == all[all.size() - kept + i2]);
      for (std::size_t m = 0; m <= kept; ++m) {
        std::vector<double> seen;
        r.for_each_last(m, [&](double v) { seen.push_back(v); });
        CHECK(seen == std::vector<double>(all.end() - static_cast<std::ptrdiff_t>(m), all.end()));
      }
    }
    r.clear();
    CHECK(r.empty());
    r.push(4.0);
    CHECK(r.back() == 4.0);
  }
}
