// strategy/trend_day: the built plugin driven through its C ABI with FakeHost, checked against
// the golden vectors of strategies.md §16.5, a direct array recomputation of §10.5 on every GOLD
// window, and hand-built scenarios (§17: convictions 80 / 90 / 90 / 95, no target) in
// compatibility mode and with timestamps (sessions by the ET clock).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "axion/sdk/testing/alloc_counter.hpp"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/series.hpp"
#include "axion/sdk/testing/strategy_support.hpp"
#include "axion/sdk/time.hpp"

namespace {

using axion::sdk::BarView;
using axion::sdk::Signal;
using namespace axion::sdk::testing;
using nlohmann::json;
namespace axt = axion::sdk::time;  // not `tm`: clang finds ::tm too (ambiguous)

constexpr std::int64_t kNow = 1'770'000'000'000'000;  // the engine clock the tests set
constexpr std::int64_t k5m = 300'000'000;

// ---- direct recomputation of §10.5 over one window ---------------------------------------------

struct Params {
  long N = 6, D = 12;
  double volume_threshold = 1.5, atr_expansion = 1.2;
  int atr_period = 14, ema_short = 5, ema_long = 12, macro_short = 34, macro_long = 50;
};

struct Expected {
  std::string type, direction;
  int conviction = 0;
  double entry = 0, stop = 0;
  double or_high = 0, or_low = 0, volume_ratio = 0, atr_expansion = 0;
};

std::vector<double> ema(const std::vector<double>& x, int p) {
  const double a = 2.0 / (p + 1.0);
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    out[i] = i == 0 ? x[0] : a * x[i] + (1 - a) * out[i - 1];
  return out;
}

// The session's bar indices: the last D bars without timestamps; else bar t's ET trading day
// from 09:30 (empty when bar t is before the open).
std::vector<long> session_of(const Series& w, long D) {
  const long n = static_cast<long>(w.size());
  std::vector<long> idx;
  if (w.ts_us.empty()) {
    for (long i = std::max(0L, n - D); i < n; ++i) idx.push_back(i);
    return idx;
  }
  const auto day = axt::to_eastern(w.ts_us.back()).day_number;
  for (long i = 0; i < n; ++i) {
    const auto et = axt::to_eastern(w.ts_us[static_cast<std::size_t>(i)]);
    if (et.day_number == day && et.minute_of_day() >= 9 * 60 + 30) idx.push_back(i);
  }
  if (!idx.empty() && idx.back() != n - 1) idx.clear();
  return idx;
}

std::optional<Expected> reference(const Series& w, const Params& p = {}) {
  const long n = static_cast<long>(w.size());
  const long min_bars = std::max(p.D + p.atr_period + 5, static_cast<long>(p.macro_long) + 2);
  if (n < min_bars) return std::nullopt;
  const long t = n - 1;
  const auto at = [](const std::vector<double>& v, long i) {
    return v[static_cast<std::size_t>(i)];
  };
  const std::vector<long> idx = session_of(w, p.D);
  const long k = static_cast<long>(idx.size());
  if (k == 0) return std::nullopt;
  double orh = -1e300, orl = 1e300;
  for (long j = 0; j < std::min(p.N, k); ++j) {
    orh = std::max(orh, at(w.high, idx[static_cast<std::size_t>(j)]));
    orl = std::min(orl, at(w.low, idx[static_cast<std::size_t>(j)]));
  }
  int dir = 0;
  long brk = -1;
  for (long j = p.N; j <= std::min(p.D - 1, k - 1); ++j) {
    const long i = idx[static_cast<std::size_t>(j)];
    if (at(w.close, i) > orh) {
      dir = 1, brk = i;
      break;
    }
    if (at(w.close, i) < orl) {
      dir = -1, brk = i;
      break;
    }
  }
  if (dir == 0) return std::nullopt;
  double vs = 0;
  long cnt = 0;
  for (long i = std::max(0L, t - 19); i <= t; ++i) vs += at(w.volume, i), ++cnt;
  const double vr = at(w.volume, brk) / std::max(vs / static_cast<double>(cnt), 1.0);
  if (vr < p.volume_threshold) return std::nullopt;

  double atr = 0;
  if (n >= p.atr_period + 1) {
    for (long i = n - p.atr_period; i < n; ++i) {
      atr += std::max({at(w.high, i) - at(w.low, i), std::fabs(at(w.high, i) - at(w.close, i - 1)),
                       std::fabs(at(w.low, i) - at(w.close, i - 1))});
    }
    atr /= p.atr_period;
  }
  double sh = -1e300, sl = 1e300;
  for (long i : idx) sh = std::max(sh, at(w.high, i)), sl = std::min(sl, at(w.low, i));
  const double range = sh - sl;
  if (atr > 0 && range / atr < p.atr_expansion) return std::nullopt;

  const double es = ema(w.close, p.ema_short).back(), el = ema(w.close, p.ema_long).back();
  const double ms = ema(w.close, p.macro_short).back(), ml = ema(w.close, p.macro_long).back();
  Expected e;
  e.entry = at(w.close, t);
  if (dir > 0 && es > el && ms > ml) {
    e.type = "trend_aligned_long", e.direction = "long", e.stop = std::min(ms, ml) * 0.995;
    if (!(e.stop < e.entry)) return std::nullopt;
  } else if (dir < 0 && es < el && ms < ml) {
    e.type = "trend_aligned_short", e.direction = "short", e.stop = std::max(ms, ml) * 1.005;
    if (!(e.stop > e.entry)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  const double expansion = range / std::max(atr, 0.01);
  double conv = 80 + (vr >= 2.5 ? 10 : vr >= 2.0 ? 5 : 0) + (expansion >= 2.0 ? 5 : 0);
  e.conviction = static_cast<int>(std::min(95.0, conv));
  e.or_high = orh, e.or_low = orl, e.volume_ratio = vr, e.atr_expansion = expansion;
  return e;
}

// ---- helpers -----------------------------------------------------------------------------------

double r2(double x) { return std::round(x * 100) / 100; }

// All of `s` through a fresh instance built with `cfg`, the engine clock at kNow.
std::map<std::size_t, std::vector<Signal>> run_fresh(const Series& s, const json& cfg = {},
                                                     const std::string& tf = "5m") {
  return signals_by_bar_fresh(AXION_PLUGIN_SO, s, cfg, "GOLD", tf, kNow);
}

void check_matches(const Signal& s, const Expected& e, const std::string& ticker = "GOLD") {
  CHECK(s.signal_type == e.type);
  CHECK(s.direction == e.direction);
  CHECK(s.ticker == ticker);
  CHECK(s.timeframe == "5m");
  CHECK(s.conviction == e.conviction);
  CHECK(rel_close(s.entry_price, e.entry));
  CHECK(rel_close(s.stop_loss, e.stop));
  CHECK(s.target_price == 0.0);  // no target
  CHECK(s.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(s).size() == 5);
  CHECK(axion::sdk::metadata_json(s).value("strategy", "") == "trend_day");
  CHECK(axion::sdk::metadata_json(s).value("or_high", -1.0) == Approx(r2(e.or_high)));
  CHECK(axion::sdk::metadata_json(s).value("or_low", -1.0) == Approx(r2(e.or_low)));
  CHECK(axion::sdk::metadata_json(s).value("volume_ratio", -1.0) == Approx(r2(e.volume_ratio)));
  CHECK(axion::sdk::metadata_json(s).value("atr_expansion", -1.0) == Approx(r2(e.atr_expansion)));
}

// Every bar of `s` against the reference on its window; returns the number of firing bars.
std::size_t check_every_window(const Series& s, const json& cfg = {}, const Params& p = {},
                               std::size_t from = 0) {
  const auto fired = run_fresh(s, cfg);
  std::size_t n = 0;
  for (std::size_t b = from; b < s.size(); ++b) {
    INFO(cfg.dump() << " window ending at bar " << b);
    const auto ref = reference(s.window(b), p);
    const auto it = fired.find(b);
    REQUIRE(ref.has_value() == (it != fired.end()));
    if (!ref) continue;
    REQUIRE(it->second.size() == 1);
    check_matches(it->second.front(), *ref);
    ++n;
  }
  return n;
}

// ---- hand-built scenarios -----------------------------------------------------------------------

// `pre` bars of a slow rise (+0.2 a bar from 100), then a 12-bar session: 6 quiet opening-range
// bars, a breakout bar on volume `vb`, 5 more bars. `wide`: the session trends away (range ≫ ATR);
// else its bars are wide and it drifts (range ≈ 1.8 ATR). All other volumes 1e6.
Series trend_session(double vb, bool wide, std::size_t pre = 48) {
  Series s;
  for (std::size_t i = 0; i < pre; ++i) {
    const double c = 100 + 0.2 * static_cast<double>(i);
    s.push(c - 0.05, c + 0.1, c - 0.1, c, 1e6);
  }
  const double base = s.close.back();
  const double half = wide ? 0.15 : 0.45;
  for (int j = 0; j < 6; ++j) {
    const double c = base + 0.1 + (wide ? (j % 2 ? 0.05 : 0.0) : 0.02 * j);
    s.push(c - 0.05, c + half, c - half, c, 1e6);
  }
  const double orh = *std::max_element(s.high.end() - 6, s.high.end());
  double prev = s.close.back();
  double c = orh + (wide ? 0.3 : 0.02);
  s.push(prev, c + 0.1, prev - (wide ? 0.05 : 0.4), c, vb);
  for (int j = 0; j < 5; ++j) {
    prev = s.close.back();
    c = prev + (wide ? 0.4 : 0.01);
    if (wide) {
      s.push(prev, c + 0.1, prev - 0.05, c, 1e6);
    } else {
      s.push(prev, c + 0.4, c - 0.45, c, 1e6);
    }
  }
  return s;
}

Series mirror(const Series& s, double k = 300) {
  Series m;
  for (std::size_t i = 0; i < s.size(); ++i) {
    m.push(k - s.open[i], k - s.low[i], k - s.high[i], k - s.close[i], s.volume[i]);
  }
  m.ts_us = s.ts_us;
  return m;
}

// Stamps bars [from, to) at 5-minute steps from an ET wall-clock time.
void stamp_run(Series& s, std::size_t from, std::size_t to, unsigned month, unsigned day,
               unsigned hh, unsigned mm) {
  s.ts_us.resize(s.size());
  const std::int64_t t0 = axt::eastern_to_utc(2026, month, day, hh, mm);
  for (std::size_t i = from; i < to; ++i)
    s.ts_us[i] = t0 + static_cast<std::int64_t>(i - from) * k5m;
}

// The first `first_day` bars on Fri 2026-02-06 from 09:30 ET; then `premarket` bars on Mon
// 2026-02-09 before 09:30, the rest from 09:30 Monday.
void stamp(Series& s, std::size_t first_day, std::size_t premarket) {
  stamp_run(s, 0, first_day, 2, 6, 9, 30);
  stamp_run(s, first_day, first_day + premarket, 2, 9, 9,
            30 - 5 * static_cast<unsigned>(premarket));
  stamp_run(s, first_day + premarket, s.size(), 2, 9, 9, 30);
}

}  // namespace

// ---- golden vectors
// ------------------------------------------------------------------------------

TEST_CASE("GOLD: 9 firing windows and the first firings of §16.5", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  const auto fired = run_fresh(g);
  CHECK(fired.size() == 9);
  struct Row {
    std::size_t bar;
    double entry, stop;
  };
  const Row rows[] = {{71, 112.0311, 102.0218}, {72, 112.6708, 102.4173}, {73, 112.1260, 102.7761}};
  REQUIRE(fired.size() >= 3);
  auto it = fired.begin();
  for (const Row& r : rows) {
    INFO("bar " << r.bar);
    REQUIRE(it->first == r.bar);
    REQUIRE(it->second.size() == 1);
    const Signal& s = it->second.front();
    CHECK(s.signal_type == "trend_aligned_long");
    CHECK(s.direction == "long");
    CHECK(printed(s.entry_price, r.entry, 4));
    CHECK(printed(s.stop_loss, r.stop, 4));
    CHECK(s.target_price == 0.0);
    CHECK(s.conviction == 85);
    CHECK(s.timeframe == "5m");
    ++it;
  }
}

TEST_CASE("GOLD: the plugin equals a direct recomputation on every window 4..299", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  CHECK(check_every_window(g, {}, {}, 4) == 9);
  for (const auto& [bar, sigs] : run_fresh(g)) CHECK(bar >= 4);
}

TEST_CASE("GOLD with other settings equals the direct recomputation", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  {
    Params p;
    p.N = 3, p.D = 8, p.volume_threshold = 1.2, p.atr_expansion = 2.0, p.atr_period = 10;
    CHECK(check_every_window(g,
                             {{"opening_range_bars", 3},
                              {"breakout_deadline_bars", 8},
                              {"volume_threshold", 1.2},
                              {"atr_expansion", 2.0},
                              {"atr_period", 10}},
                             p) == 21);
  }
  {
    Params p;
    p.ema_short = 8, p.ema_long = 21, p.macro_short = 20, p.macro_long = 60,
    p.volume_threshold = 1.0;
    CHECK(check_every_window(g,
                             {{"ema_short", 8},
                              {"ema_long", 21},
                              {"macro_short", 20},
                              {"macro_long", 60},
                              {"volume_threshold", 1.0}},
                             p) == 61);
  }
}

TEST_CASE("GOLD: every emitted stop is on its side and there is no target", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  for (const json& cfg :
       {json::object(), json{{"volume_threshold", 0.5}, {"atr_expansion", 0.0}}}) {
    const auto fired = run_fresh(g, cfg);
    CHECK_FALSE(fired.empty());
    for (const auto& [bar, sigs] : fired) {
      for (const Signal& s : sigs) {
        INFO(cfg.dump() << " bar " << bar);
        CHECK(s.target_price == 0.0);
        if (s.direction == "long") {
          CHECK(s.stop_loss < s.entry_price);
        } else {
          CHECK(s.direction == "short");
          CHECK(s.stop_loss > s.entry_price);
        }
      }
    }
  }
}

// ---- scenarios (§17 Ripster: trend-day convictions 80 / 90 / 90 / 95, no target) ----------------

TEST_CASE("scenario: trend day long and short fire with every field", "[scenario]") {
  // wide session, breakout volume 1.8e6: ratio 1.73 (+0), expansion 6.7 (+5) → 85
  const Series up = trend_session(1.8e6, true);
  REQUIRE(up.size() == 60);
  auto fired = run_fresh(up);
  REQUIRE(fired.count(59) == 1);
  {
    const Signal& s = fired.at(59).front();
    CHECK(s.signal_type == "trend_aligned_long");
    CHECK(s.direction == "long");
    CHECK(s.ticker == "GOLD");
    CHECK(s.timeframe == "5m");
    CHECK(s.conviction == 85);
    CHECK(printed(s.entry_price, 112.0, 9));
    CHECK(printed(s.stop_loss, 106.6671, 4));  // min(EMA34, EMA50)·0.995
    CHECK(s.target_price == 0.0);
    CHECK(s.ts_us == kNow);
    CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "trend_day"},
                             {"or_high", 109.7},
                             {"or_low", 109.35},
                             {"volume_ratio", 1.73},
                             {"atr_expansion", 6.7}});
    check_matches(s, *reference(up));
  }
  const Series down = mirror(up);
  fired = run_fresh(down);
  REQUIRE(fired.count(59) == 1);
  {
    const Signal& s = fired.at(59).front();
    CHECK(s.signal_type == "trend_aligned_short");
    CHECK(s.direction == "short");
    CHECK(s.ticker == "GOLD");
    CHECK(s.timeframe == "5m");
    CHECK(s.conviction == 85);
    CHECK(printed(s.entry_price, 188.0, 9));
    CHECK(printed(s.stop_loss, 193.7609, 4));  // max(EMA34, EMA50)·1.005
    CHECK(s.target_price == 0.0);
    CHECK(s.ts_us == kNow);
    CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "trend_day"},
                             {"or_high", 190.65},
                             {"or_low", 190.3},
                             {"volume_ratio", 1.73},
                             {"atr_expansion", 6.7}});
    check_matches(s, *reference(down));
  }
  check_every_window(up);
  check_every_window(down);
}

TEST_CASE("scenario: convictions 80 / 85 / 90 / 90 / 95, cap 95", "[scenario]") {
  struct Case {
    double vb;
    bool wide;
    int conviction;
    double volume_ratio, expansion;
  };
  const Case cases[] = {
      {1.8e6, false, 80, 1.73, 1.83},  // 80
      {2.5e6, false, 85, 2.33, 1.83},  // +5 volume ≥ 2.0
      {4.0e6, false, 90, 3.48, 1.83},  // +10 volume ≥ 2.5
      {2.5e6, true, 90, 2.33, 6.7},    // +5 volume, +5 expansion ≥ 2.0
      {4.0e6, true, 95, 3.48, 6.7},    // +10 +5
      {1.8e6, true, 85, 1.73, 6.7},
  };
  for (const auto& c : cases) {
    INFO("vb " << c.vb << " wide " << c.wide);
    const Series up = trend_session(c.vb, c.wide);
    for (const Series& s : {up, mirror(up)}) {
      const auto fired = run_fresh(s);
      REQUIRE(fired.count(59) == 1);
      const Signal& sig = fired.at(59).front();
      CHECK(sig.conviction == c.conviction);
      CHECK(sig.target_price == 0.0);
      CHECK(axion::sdk::metadata_json(sig).at("volume_ratio").get<double>() == Approx(c.volume_ratio));
      CHECK(axion::sdk::metadata_json(sig).at("atr_expansion").get<double>() == Approx(c.expansion));
      check_matches(sig, *reference(s));
    }
  }
  // 95 is the most: huge volume and expansion still give 95.
  const auto top = run_fresh(trend_session(1e9, true));
  REQUIRE(top.count(59) == 1);
  CHECK(top.at(59).front().conviction == 95);
}

TEST_CASE("scenario: weak volume, no expansion, no alignment, no breakout emit nothing",
          "[scenario]") {
  const Series ok = trend_session(1.8e6, true);
  REQUIRE(run_fresh(ok).count(59) == 1);
  CHECK(run_fresh(trend_session(1.2e6, true)).count(59) == 0);  // ratio 1.19 < 1.5
  CHECK(run_fresh(ok, {{"volume_threshold", 1.8}}).count(59) == 0);
  CHECK(run_fresh(trend_session(1.8e6, false), {{"atr_expansion", 1.9}}).count(59) == 0);  // 1.83
  CHECK(reference(trend_session(1.8e6, false)).has_value());
  {  // the same session after a falling history: the macro EMAs are bearish
    Series s = mirror(trend_session(1.8e6, true));
    Series t;
    for (std::size_t i = 0; i < 48; ++i)
      t.push(s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    const Series up = trend_session(1.8e6, true);
    const double d = t.close.back() - up.close[47];
    for (std::size_t i = 48; i < up.size(); ++i) {
      t.push(up.open[i] + d, up.high[i] + d, up.low[i] + d, up.close[i] + d, up.volume[i]);
    }
    CHECK(run_fresh(t).count(59) == 0);
    CHECK_FALSE(reference(t).has_value());
    check_every_window(t);
  }
  {  // every close stays inside the opening range: no breakout
    Series s;
    for (int i = 0; i < 60; ++i) s.push(100, 101, 99, 100 + 0.1 * (i % 3), 1e6);
    CHECK(run_fresh(s).empty());
  }
}

// ---- sessions by clock --------------------------------------------------------------------------

TEST_CASE("timestamps: the session is the ET day from 09:30, the breakout persists", "[session]") {
  // Friday: the 48 history bars; Monday: 2 pre-market bars, then the 12-bar session and 8 more
  // bars trending on. Compatibility mode would see only the last 12 bars.
  Series s = trend_session(4.0e6, true);
  {
    Series t;
    for (std::size_t i = 0; i < 48; ++i)
      t.push(s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    const double c = t.close.back();
    t.push(c, c + 0.1, c - 0.1, c, 5e5);  // 09:20 pre-market
    t.push(c, c + 0.1, c - 0.1, c, 5e5);  // 09:25
    for (std::size_t i = 48; i < s.size(); ++i)
      t.push(s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]);
    for (int j = 0; j < 8; ++j) {
      const double p = t.close.back(), c2 = p + 0.3;
      t.push(p, c2 + 0.1, p - 0.05, c2, 1e6);
    }
    s = t;
  }
  stamp(s, 48, 2);
  REQUIRE(s.size() == 70);
  REQUIRE(axt::to_eastern(s.ts_us[48]).minute_of_day() == 9 * 60 + 20);
  REQUIRE(axt::to_eastern(s.ts_us[50]).minute_of_day() == 9 * 60 + 30);

  const auto fired = run_fresh(s);
  // The breakout is Monday's 7th session bar (bar 56); from there every bar fires.
  for (std::size_t b = 0; b < 56; ++b) CHECK(fired.count(b) == 0);
  for (std::size_t b = 56; b < 70; ++b) CHECK(fired.count(b) == 1);
  const Signal& last = fired.at(69).front();
  CHECK(last.signal_type == "trend_aligned_long");
  CHECK(last.direction == "long");
  CHECK(last.conviction == 95);
  CHECK(printed(last.entry_price, 114.4, 9));
  CHECK(axion::sdk::metadata_json(last).at("or_high").get<double>() == Approx(109.7));
  CHECK(axion::sdk::metadata_json(last).at("or_low").get<double>() == Approx(109.35));
  CHECK(check_every_window(s) == 14);

  // Without the timestamps the last 12 bars are the session: no breakout after its 6th bar.
  Series compat = s;
  compat.ts_us.clear();
  CHECK(run_fresh(compat).count(69) == 0);
  check_every_window(compat);
}

TEST_CASE("timestamps: pre-market bars and a breakout after the deadline emit nothing",
          "[session]") {
  // Thursday: the history; Friday: the firing 12-bar session; Monday 09:25 (pre-market) must not
  // fire although Friday's session did.
  Series s = trend_session(4.0e6, true);
  const double c = s.close.back();
  s.push(c, c + 0.3, c - 0.1, c + 0.2, 1e6);  // Monday 09:25
  s.push(c, c + 0.3, c - 0.1, c + 0.3, 1e6);  // Monday 09:30: session bar 1
  stamp_run(s, 0, 48, 2, 5, 9, 30);
  stamp_run(s, 48, 60, 2, 6, 9, 30);
  stamp_run(s, 60, 62, 2, 9, 9, 25);
  const auto fired = run_fresh(s);
  CHECK(fired.count(59) == 1);  // Friday's 12th session bar
  CHECK(fired.count(60) == 0);  // pre-market
  CHECK(fired.count(61) == 0);  // a new session of one bar
  check_every_window(s);

  // The breakout on session bar 13, after the deadline of 12: nothing.
  Series late;
  for (int i = 0; i < 48; ++i) {
    const double x = 100 + 0.2 * i;
    late.push(x - 0.05, x + 0.1, x - 0.1, x, 1e6);
  }
  const double base = late.close.back();
  for (int j = 0; j < 12; ++j) late.push(base, base + 0.15, base - 0.15, base + 0.05, 1e6);
  late.push(base, base + 1.1, base - 0.05, base + 1.0, 4e6);
  for (int j = 0; j < 4; ++j) {
    const double p = late.close.back();
    late.push(p, p + 0.5, p - 0.05, p + 0.4, 1e6);
  }
  stamp(late, 48, 0);
  CHECK(run_fresh(late).empty());
  check_every_window(late);
  Params p;
  p.D = 13;
  CHECK(check_every_window(late, {{"breakout_deadline_bars", 13}}, p) > 0);
}

// ---- minimum bars, warm-up
// ------------------------------------------------------------------------

TEST_CASE("minimum bars: 52 fire, 51 do not", "[warmup]") {
  const Series s52 = trend_session(4.0e6, true, 40);
  REQUIRE(s52.size() == 52);
  const auto fired = run_fresh(s52);
  REQUIRE(fired.count(51) == 1);
  check_matches(fired.at(51).front(), *reference(s52));

  // 51 bars: drop the first history bar. The rule (without the minimum) would fire.
  Series s51;
  for (std::size_t i = 1; i < s52.size(); ++i) {
    s51.push(s52.open[i], s52.high[i], s52.low[i], s52.close[i], s52.volume[i]);
  }
  CHECK(run_fresh(s51).empty());
  CHECK_FALSE(reference(s51).has_value());
  CHECK(run_fresh(s51, {{"macro_long", 49}}).count(50) == 1);  // minimum 51 → fires

  Series one;
  one.push(100, 101, 99, 100.5, 1e6);
  CHECK(run_fresh(one).empty());
}

TEST_CASE("warm-up bars update the state but emit nothing", "[warmup]") {
  const Series s = trend_session(4.0e6, true);
  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  for (std::size_t i = 0; i < s.size(); ++i)
    CHECK(h.on_bar(view_of(s, i, "GOLD", "5m", true)).empty());
  // The next live bar continues the series: it is compared with the rule on all 61 bars.
  Series more = s;
  const double c = s.close.back();
  more.push(c, c + 0.5, c - 0.05, c + 0.4, 1e6);
  const auto live = h.on_bar(view_of(more, more.size() - 1, "GOLD", "5m"));
  const auto ref = reference(more);
  REQUIRE(live.size() == (ref ? 1u : 0u));
  if (ref) check_matches(live.front(), *ref);
}

// ---- config
// --------------------------------------------------------------------------------------

TEST_CASE("config: schema, defaults and rejected tables", "[config]") {
  FakeHost host;
  {
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(std::string(h.manifest().name) == "trend_day");
    CHECK(std::string(h.manifest().description) == "Trend day momentum");
    CHECK(h.manifest().kind == AXION_KIND_STRATEGY);
    std::map<std::string, json> d = schema_defaults(h);
    CHECK(d.size() == 10);
    CHECK(d["opening_range_bars"] == 6);
    CHECK(d["breakout_deadline_bars"] == 12);
    CHECK(d["volume_threshold"] == 1.5);
    CHECK(d["atr_expansion"] == 1.2);
    CHECK(d["atr_period"] == 14);
    CHECK(d["ema_short"] == 5);
    CHECK(d["ema_long"] == 12);
    CHECK(d["macro_short"] == 34);
    CHECK(d["macro_long"] == 50);
    CHECK(d["timeframes"] == json::array());
  }
  const std::string so = AXION_PLUGIN_SO;
  CHECK(config_error_key(so, json::object()) == "<accepted>");
  CHECK(config_error_key(so, {{"opening_range_bars", 3}, {"timeframes", {"5m"}}}) == "<accepted>");
  CHECK(config_error_key(so, {{"opening_range_bar", 3}}) == "opening_range_bar");
  CHECK(config_error_key(so, {{"opening_range_bars", 0}}) == "opening_range_bars");
  CHECK(config_error_key(so, {{"opening_range_bars", 12}}) == "opening_range_bars");  // ≥ deadline
  CHECK(config_error_key(so, {{"breakout_deadline_bars", 5}}) == "opening_range_bars");
  CHECK(config_error_key(so, {{"volume_threshold", -1.0}}) == "volume_threshold");
  CHECK(config_error_key(so, {{"atr_expansion", "1.2"}}) == "atr_expansion");
  CHECK(config_error_key(so, {{"atr_period", 0}}) == "atr_period");
  CHECK(config_error_key(so, {{"ema_short", 12}}) == "ema_short");
  CHECK(config_error_key(so, {{"macro_short", 50}}) == "macro_short");
  CHECK(config_error_key(so, {{"timeframes", {"2h"}}}) == "timeframes");
}

TEST_CASE("timeframes selects the series, the label stays 5m", "[config]") {
  const Series s = trend_session(4.0e6, true);
  CHECK(run_fresh(s, {{"timeframes", {"1d"}}}, "5m").empty());
  const auto fired = run_fresh(s, {{"timeframes", {"1d"}}}, "1d");
  REQUIRE(fired.count(59) == 1);
  CHECK(fired.at(59).front().timeframe == "5m");
}

// ---- series state
// ----------------------------------------------------------------------------------

TEST_CASE("interleaved series keep separate state, bad bars are rejected untouched", "[state]") {
  const Series g = axion::sdk::testing::gold_series();
  const Series s = trend_session(4.0e6, true);
  const auto g_alone = run_fresh(g);
  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::map<std::size_t, std::vector<Signal>> g_mixed, s_mixed;
  for (std::size_t t = 0; t < g.size(); ++t) {
    for (auto& x : signals_by_bar(h, g, "GOLD", "5m", t, t + 1)) g_mixed[x.first] = x.second;
    for (auto& x : signals_by_bar(h, s, "SCEN", "5m", t, t + 1)) s_mixed[x.first] = x.second;
  }
  REQUIRE(g_mixed.size() == g_alone.size());
  for (const auto& [bar, sigs] : g_alone)
    CHECK(g_mixed.at(bar).front().stop_loss == sigs.front().stop_loss);
  REQUIRE(s_mixed.count(59) == 1);
  check_matches(s_mixed.at(59).front(), *reference(s), "SCEN");

  Series st = trend_session(4.0e6, true);
  stamp(st, 48, 0);
  FakeHost host2;
  host2.clock.set_us(kNow);
  PluginHarness h2(AXION_PLUGIN_SO, host2);
  auto fired = signals_by_bar(h2, st, "GOLD", "5m", 0, 55);
  BarView bad = view_of(st, 55, "GOLD", "5m");
  bad.open = 0;
  CHECK_THROWS_AS(h2.on_bar(bad), PluginCallError);
  bad = view_of(st, 55, "GOLD", "5m");
  bad.low = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(h2.on_bar(bad), PluginCallError);
  CHECK_THROWS_AS(h2.on_bar(view_of(st, 20, "GOLD", "5m")), PluginCallError);  // out of order
  for (auto& x : signals_by_bar(h2, st, "GOLD", "5m", 55)) fired[x.first] = x.second;
  const auto clean = run_fresh(st);
  REQUIRE(fired.size() == clean.size());
  for (const auto& [bar, sigs] : clean) {
    REQUIRE(fired.count(bar) == 1);
    CHECK(fired.at(bar).front().stop_loss == sigs.front().stop_loss);
    CHECK(fired.at(bar).front().conviction == sigs.front().conviction);
  }
}

// ---- hot path ---------------------------------------------------------------------------------

TEST_CASE("no allocation per bar unless a signal is emitted", "[perf]") {
  const Series s = axion::sdk::testing::gold_series();
  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::size_t quiet_allocs = 0, firing_allocs = 0, quiet_bars = 0, firing_bars = 0;
  for (std::size_t t = 0; t < s.size(); ++t) {
    const BarView bar = view_of(s, t, "GOLD", "5m");
    AllocationCounter counter;
    const auto sigs = h.on_bar(bar);
    const std::size_t allocs = counter.stop();
    if (t == 0) continue;  // creates the series
    if (sigs.empty()) {
      quiet_allocs += allocs, ++quiet_bars;
    } else {
      firing_allocs += allocs, ++firing_bars;
    }
  }
  CHECK(quiet_bars > 200);
  CHECK(firing_bars > 0);
  CHECK(quiet_allocs == 0);
  CHECK(firing_allocs > 0);  // the counter does see the plugin's allocations
}
