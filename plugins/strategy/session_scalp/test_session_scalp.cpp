// strategy/session_scalp: the built plugin driven through its C ABI with FakeHost, checked
// against the golden vectors of strategies.md §16.5, a direct array recomputation of §10.6 on
// every GOLD window, and a timestamped two-day scenario where the session index comes from the
// ET clock (§17: k = 8, 12 → open bell; 20, 40 → midday; 54, 70 → power hour).
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

// ---- direct recomputation of §10.6 over one window ---------------------------------------------

struct Params {
  long open_bell_end = 12, power_hour_start = 54, M = 8;
  int fast = 5, slow = 12, pb_short = 8, pb_long = 9, macro_short = 34, macro_long = 50;
  int ob_boost = 10, md_penalty = 10, ph_boost = 5;
};

struct Expected {
  std::string type, direction, session;
  int conviction = 0;
  double entry = 0, stop = 0, target = 0;
  std::optional<double> volume_ratio;
};

std::vector<double> ema(const std::vector<double>& x, int p) {
  const double a = 2.0 / (p + 1.0);
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    out[i] = i == 0 ? x[0] : a * x[i] + (1 - a) * out[i - 1];
  return out;
}

// The session's bar indices: all bars without timestamps; else bar t's ET trading day from 09:30
// (empty when bar t is before the open).
std::vector<long> session_of(const Series& w) {
  const long n = static_cast<long>(w.size());
  std::vector<long> idx;
  if (w.ts_us.empty()) {
    for (long i = 0; i < n; ++i) idx.push_back(i);
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

double mean_volume(const Series& w, long t, long m) {
  double s = 0;
  long cnt = 0;
  for (long i = std::max(0L, t - m + 1); i <= t; ++i)
    s += w.volume[static_cast<std::size_t>(i)], ++cnt;
  return s / static_cast<double>(cnt);
}

std::optional<Expected> reference(const Series& w, const Params& p = {}) {
  const long n = static_cast<long>(w.size());
  if (n < std::max({static_cast<long>(p.macro_long) + 2, p.power_hour_start + 2, 2 * p.M - 1})) {
    return std::nullopt;
  }
  const long t = n - 1;
  const auto at = [](const std::vector<double>& v, long i) {
    return v[static_cast<std::size_t>(i)];
  };
  const std::vector<long> idx = session_of(w);
  const long k = static_cast<long>(idx.size());
  if (k == 0) return std::nullopt;
  const double e5 = ema(w.close, p.fast).back(), e12 = ema(w.close, p.slow).back();
  const auto m34 = ema(w.close, p.macro_short), m50 = ema(w.close, p.macro_long);
  const double c = at(w.close, t);
  Expected e;
  e.entry = c;
  if (k <= p.open_bell_end) {
    if (k < 4) return std::nullopt;
    double orh = -1e300, orl = 1e300;
    for (long j = 0; j < 3; ++j) {
      orh = std::max(orh, at(w.high, idx[static_cast<std::size_t>(j)]));
      orl = std::min(orl, at(w.low, idx[static_cast<std::size_t>(j)]));
    }
    const double vr = at(w.volume, t) / std::max(mean_volume(w, t, 10), 1.0);
    if (vr < 1.2) return std::nullopt;
    if (c > orh && e5 > e12) {
      e.type = "cloud_cross_bullish", e.direction = "long";
      e.stop = orl * 0.998, e.target = c + 2 * (c - e.stop);
    } else if (c < orl && e5 < e12) {
      e.type = "cloud_cross_bearish", e.direction = "short";
      e.stop = orh * 1.002, e.target = c - 2 * (e.stop - c);
    } else {
      return std::nullopt;
    }
    e.session = "open_bell";
    e.conviction = std::min(90, 65 + p.ob_boost);
    e.volume_ratio = vr;
  } else if (k >= p.power_hour_start) {
    const double vr = at(w.volume, t) / std::max(mean_volume(w, t, 20), 1.0);
    if (vr < 1.3) return std::nullopt;
    if (e5 > e12 && m34.back() > m50.back() && c > e5) {
      e.type = "trend_aligned_long", e.direction = "long";
      e.stop = std::min(e5, e12) * 0.998, e.target = c + 2.5 * (c - e.stop);
    } else if (e5 < e12 && m34.back() < m50.back() && c < e5) {
      e.type = "trend_aligned_short", e.direction = "short";
      e.stop = std::max(e5, e12) * 1.002, e.target = c - 2.5 * (e.stop - c);
    } else {
      return std::nullopt;
    }
    e.session = "power_hour";
    e.conviction = std::min(85, 60 + p.ph_boost);
    e.volume_ratio = vr;
  } else {
    bool up = true, down = true;
    for (long j = t - (p.M - 1); j >= t - (2 * p.M - 2); --j) {
      const double hi = std::max(at(m34, j), at(m50, j)), lo = std::min(at(m34, j), at(m50, j));
      up = up && at(w.close, j) > hi;
      down = down && at(w.close, j) < lo;
    }
    const double e8 = ema(w.close, p.pb_short).back(), e9 = ema(w.close, p.pb_long).back();
    const double pu = std::max(e8, e9), pl = std::min(e8, e9);
    if (up && at(w.low, t - 1) <= pu * 1.002 && c > pu) {
      e.type = "cloud_bounce_long", e.direction = "long";
      e.stop = std::min(m34.back(), m50.back()) * 0.998, e.target = c + 1.5 * (c - e.stop);
    } else if (down && at(w.high, t - 1) >= pl * 0.998 && c < pl) {
      e.type = "cloud_bounce_short", e.direction = "short";
      e.stop = std::max(m34.back(), m50.back()) * 1.002, e.target = c - 1.5 * (e.stop - c);
    } else {
      return std::nullopt;
    }
    e.session = "midday";
    e.conviction = std::max(40, 55 - p.md_penalty);
  }
  const bool ok = e.direction == "long" ? e.stop < c && e.target > c : e.stop > c && e.target < c;
  if (!ok) return std::nullopt;
  return e;
}

// ---- helpers -----------------------------------------------------------------------------------

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
  CHECK(rel_close(s.target_price, e.target));
  CHECK(s.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(s).value("strategy", "") == "session_scalp");
  CHECK(axion::sdk::metadata_json(s).value("session", "") == e.session);
  if (e.volume_ratio) {
    CHECK(axion::sdk::metadata_json(s).size() == 3);
    CHECK(axion::sdk::metadata_json(s).value("volume_ratio", -1.0) ==
          Approx(std::round(*e.volume_ratio * 100) / 100));
  } else {
    CHECK(axion::sdk::metadata_json(s).size() == 2);  // no volume_ratio at midday
  }
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

// ---- the two-day scenario
// ------------------------------------------------------------------------

// A steady rise of 0.1 a bar from 100 (O = C − 0.1, H = C + 0.1, L = C − 0.4, V = 1e6): Friday
// 2026-02-06 09:30–15:55 (78 bars), Monday 2026-02-09 two pre-market bars (09:20, 09:25) and
// 09:30–15:55 (78 bars, session index k = 1 … 78). Volume 3e6 on the pre-market bars and on
// Monday's bars k ∈ `spikes`. `mirror`: reflected around 300 (a steady fall).
constexpr std::size_t kMonday = 80;  // index of Monday's 09:30 bar (k = 1)

Series two_days(bool mirror = false, std::vector<int> spikes = {8, 12, 54, 70}) {
  Series s;
  const std::int64_t fri = axt::eastern_to_utc(2026, 2, 6, 9, 30);
  const std::int64_t mon = axt::eastern_to_utc(2026, 2, 9, 9, 20);
  for (std::size_t i = 0; i < 78 + 2 + 78; ++i) {
    const double c = 100 + 0.1 * static_cast<double>(i);
    double v = 1e6;
    if (i >= 78 && i < kMonday) v = 3e6;
    const int k = static_cast<int>(i) - static_cast<int>(kMonday) + 1;
    if (i >= kMonday && std::find(spikes.begin(), spikes.end(), k) != spikes.end()) v = 3e6;
    const std::int64_t ts = i < 78 ? fri + static_cast<std::int64_t>(i) * k5m
                                   : mon + static_cast<std::int64_t>(i - 78) * k5m;
    if (mirror) {
      s.push(300 - (c - 0.1), 300 - (c - 0.4), 300 - (c + 0.1), 300 - c, v, ts);
    } else {
      s.push(c - 0.1, c + 0.1, c - 0.4, c, v, ts);
    }
  }
  return s;
}

std::size_t monday_bar(int k) { return kMonday + static_cast<std::size_t>(k) - 1; }

}  // namespace

// ---- golden vectors
// ------------------------------------------------------------------------------

TEST_CASE("GOLD: 12 firing windows and the first firings of §16.5", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  const auto fired = run_fresh(g);
  CHECK(fired.size() == 12);
  struct Row {
    std::size_t bar;
    const char* dir;
    double entry, stop, target;
  };
  const Row rows[] = {{65, "long", 108.7124, 103.0795, 122.7946},
                      {70, "long", 110.4282, 106.2569, 120.8563},
                      {110, "short", 97.1094, 98.5316, 93.5540}};
  REQUIRE(fired.size() >= 3);
  auto it = fired.begin();
  for (const Row& r : rows) {
    INFO("bar " << r.bar);
    REQUIRE(it->first == r.bar);
    REQUIRE(it->second.size() == 1);
    const Signal& s = it->second.front();
    const bool is_long = std::string(r.dir) == "long";
    CHECK(s.signal_type == (is_long ? "trend_aligned_long" : "trend_aligned_short"));
    CHECK(s.direction == r.dir);
    CHECK(printed(s.entry_price, r.entry, 4));
    CHECK(printed(s.stop_loss, r.stop, 4));
    CHECK(printed(s.target_price, r.target, 4));
    CHECK(s.conviction == 65);
    CHECK(s.timeframe == "5m");
    CHECK(axion::sdk::metadata_json(s).value("session", "") == "power_hour");
    ++it;
  }
}

TEST_CASE("GOLD: the plugin equals a direct recomputation on every window 4..299", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  CHECK(check_every_window(g, {}, {}, 4) == 12);
  for (const auto& [bar, sigs] : run_fresh(g)) CHECK(bar >= 4);
}

TEST_CASE("GOLD in compatibility mode: only the power hour, whatever the settings", "[golden]") {
  // k = n and the minimum is ≥ power_hour_start_bar + 2, so k > power_hour_start_bar always.
  const Series g = axion::sdk::testing::gold_series();
  struct Case {
    json cfg;
    Params p;
    std::size_t fires;
  };
  std::vector<Case> cases;
  {
    Params p;
    p.open_bell_end = 100, p.power_hour_start = 120, p.ob_boost = 30;
    cases.push_back({{{"open_bell_end_bar", 100},
                      {"power_hour_start_bar", 120},
                      {"open_bell_conviction_boost", 30}},
                     p,
                     9});
  }
  {
    Params p;
    p.power_hour_start = 200, p.md_penalty = 20, p.M = 5;
    cases.push_back({{{"power_hour_start_bar", 200},
                      {"midday_conviction_penalty", 20},
                      {"midday_min_trend_bars", 5}},
                     p,
                     5});
  }
  {
    Params p;
    p.fast = 8, p.slow = 21, p.macro_short = 20, p.macro_long = 60, p.ph_boost = 40;
    cases.push_back({{{"ema_fast", 8},
                      {"ema_slow", 21},
                      {"macro_short", 20},
                      {"macro_long", 60},
                      {"power_hour_conviction_boost", 40}},
                     p,
                     15});
  }
  for (const auto& c : cases) {
    CHECK(check_every_window(g, c.cfg, c.p) == c.fires);
    for (const auto& [bar, sigs] : run_fresh(g, c.cfg)) {
      CHECK(axion::sdk::metadata_json(sigs.front()).at("session") == "power_hour");
    }
  }
}

TEST_CASE("GOLD: every emitted stop and target is on its side", "[golden]") {
  const Series g = axion::sdk::testing::gold_series();
  for (const json& cfg : {json::object(), json{{"power_hour_start_bar", 100}},
                          json{{"power_hour_start_bar", 20}, {"open_bell_end_bar", 19}}}) {
    for (const auto& [bar, sigs] : run_fresh(g, cfg)) {
      for (const Signal& s : sigs) {
        INFO(cfg.dump() << " bar " << bar);
        if (s.direction == "long") {
          CHECK(s.stop_loss < s.entry_price);
          CHECK(s.target_price > s.entry_price);
        } else {
          CHECK(s.direction == "short");
          CHECK(s.stop_loss > s.entry_price);
          CHECK(s.target_price < s.entry_price);
        }
      }
    }
  }
}

// ---- sessions by clock (§17 Ripster)
// ----------------------------------------------------------------

TEST_CASE("timestamps: session index 8, 12 open bell, 20, 40 midday, 54, 70 power hour",
          "[session]") {
  const Series up = two_days(false), down = two_days(true);
  REQUIRE(axt::to_eastern(up.ts_us[kMonday]).minute_of_day() == 9 * 60 + 30);
  REQUIRE(axt::to_eastern(up.ts_us[monday_bar(13)]).minute_of_day() == 10 * 60 + 30);
  REQUIRE(axt::to_eastern(up.ts_us[monday_bar(54)]).minute_of_day() == 13 * 60 + 55);
  struct Row {
    int k;
    const char* session;
    const char* up_type;
    const char* down_type;
  };
  const Row rows[] = {{8, "open_bell", "cloud_cross_bullish", "cloud_cross_bearish"},
                      {12, "open_bell", "cloud_cross_bullish", "cloud_cross_bearish"},
                      {20, "midday", "cloud_bounce_long", "cloud_bounce_short"},
                      {40, "midday", "cloud_bounce_long", "cloud_bounce_short"},
                      {54, "power_hour", "trend_aligned_long", "trend_aligned_short"},
                      {70, "power_hour", "trend_aligned_long", "trend_aligned_short"}};
  const auto f_up = run_fresh(up), f_down = run_fresh(down);
  for (const Row& r : rows) {
    INFO("k " << r.k);
    REQUIRE(f_up.count(monday_bar(r.k)) == 1);
    REQUIRE(f_down.count(monday_bar(r.k)) == 1);
    CHECK(axion::sdk::metadata_json(f_up.at(monday_bar(r.k)).front()).at("session") == r.session);
    CHECK(f_up.at(monday_bar(r.k)).front().signal_type == r.up_type);
    CHECK(axion::sdk::metadata_json(f_down.at(monday_bar(r.k)).front()).at("session") == r.session);
    CHECK(f_down.at(monday_bar(r.k)).front().signal_type == r.down_type);
  }
  // Open bell only on the volume spikes (k = 8, 12), midday on every bar 13 … 53 (no volume
  // check), power hour only on the spikes (54, 70); nothing on Friday, before 09:30 Monday or on
  // Monday's first three bars.
  for (const auto* f : {&f_up, &f_down}) {
    std::vector<int> ks;
    for (const auto& [bar, sigs] : *f) {
      REQUIRE(bar >= kMonday);
      ks.push_back(static_cast<int>(bar - kMonday) + 1);
    }
    std::vector<int> want{8, 12};
    for (int k = 13; k <= 53; ++k) want.push_back(k);
    want.push_back(54), want.push_back(70);
    CHECK(ks == want);
  }
  CHECK(check_every_window(up) == 45);
  CHECK(check_every_window(down) == 45);

  // The same bars without timestamps: k = n, so only the power hour is reachable.
  Series compat = up;
  compat.ts_us.clear();
  const auto f_compat = run_fresh(compat);
  for (const auto& [bar, sigs] : f_compat)
    CHECK(axion::sdk::metadata_json(sigs.front()).at("session") == "power_hour");
  CHECK(f_compat.size() == 6);  // the 2 pre-market spikes and the 4 Monday spikes
  CHECK(check_every_window(compat) == 6);
}

TEST_CASE("timestamps: open bell long and short with every field", "[session][scenario]") {
  const auto f_up = run_fresh(two_days(false));
  const Signal& l = f_up.at(monday_bar(8)).front();
  CHECK(l.signal_type == "cloud_cross_bullish");
  CHECK(l.direction == "long");
  CHECK(l.ticker == "GOLD");
  CHECK(l.timeframe == "5m");
  CHECK(l.conviction == 75);  // min(90, 65 + 10)
  CHECK(printed(l.entry_price, 108.7, 9));
  CHECK(printed(l.stop_loss, 107.3848, 9));     // ORL 107.6 (k = 1 low) · 0.998
  CHECK(printed(l.target_price, 111.3304, 9));  // C + 2·(C − stop)
  CHECK(l.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(l) ==
        json{{"strategy", "session_scalp"}, {"session", "open_bell"}, {"volume_ratio", 1.88}});

  const auto f_down = run_fresh(two_days(true));
  const Signal& s = f_down.at(monday_bar(8)).front();
  CHECK(s.signal_type == "cloud_cross_bearish");
  CHECK(s.direction == "short");
  CHECK(s.ticker == "GOLD");
  CHECK(s.timeframe == "5m");
  CHECK(s.conviction == 75);
  CHECK(printed(s.entry_price, 191.3, 9));
  CHECK(printed(s.stop_loss, 192.7848, 9));     // ORH 192.4 · 1.002
  CHECK(printed(s.target_price, 188.3304, 9));  // C − 2·(stop − C)
  CHECK(s.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(s) ==
        json{{"strategy", "session_scalp"}, {"session", "open_bell"}, {"volume_ratio", 1.88}});
}

TEST_CASE("timestamps: midday long and short with every field", "[session][scenario]") {
  const auto f_up = run_fresh(two_days(false));
  const Signal& l = f_up.at(monday_bar(20)).front();
  CHECK(l.signal_type == "cloud_bounce_long");
  CHECK(l.direction == "long");
  CHECK(l.ticker == "GOLD");
  CHECK(l.timeframe == "5m");
  CHECK(l.conviction == 45);  // max(40, 55 − 10)
  CHECK(printed(l.entry_price, 109.9, 9));
  CHECK(printed(l.stop_loss, 107.2817, 4));     // min(EMA34, EMA50)·0.998
  CHECK(printed(l.target_price, 113.8275, 4));  // C + 1.5·(C − stop)
  CHECK(l.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(l) == json{{"strategy", "session_scalp"}, {"session", "midday"}});

  const auto f_down = run_fresh(two_days(true));
  const Signal& s = f_down.at(monday_bar(20)).front();
  CHECK(s.signal_type == "cloud_bounce_short");
  CHECK(s.direction == "short");
  CHECK(s.ticker == "GOLD");
  CHECK(s.timeframe == "5m");
  CHECK(s.conviction == 45);
  CHECK(printed(s.entry_price, 190.1, 9));
  CHECK(printed(s.stop_loss, 192.8883, 4));     // max(EMA34, EMA50)·1.002
  CHECK(printed(s.target_price, 185.9175, 4));  // C − 1.5·(stop − C)
  CHECK(s.ts_us == kNow);
  CHECK(axion::sdk::metadata_json(s) == json{{"strategy", "session_scalp"}, {"session", "midday"}});
}

TEST_CASE("timestamps: power hour long and short with every field", "[session][scenario]") {
  const Signal l = run_fresh(two_days(false)).at(monday_bar(54)).front();
  CHECK(l.signal_type == "trend_aligned_long");
  CHECK(l.direction == "long");
  CHECK(l.conviction == 65);  // min(85, 60 + 5)
  CHECK(printed(l.entry_price, 113.3, 9));
  CHECK(printed(l.stop_loss, 112.5245, 4));     // min(EMA5, EMA12)·0.998
  CHECK(printed(l.target_price, 115.2387, 4));  // C + 2.5·(C − stop)
  CHECK(axion::sdk::metadata_json(l) ==
        json{{"strategy", "session_scalp"}, {"session", "power_hour"}, {"volume_ratio", 2.73}});
  const Signal s = run_fresh(two_days(true)).at(monday_bar(54)).front();
  CHECK(s.signal_type == "trend_aligned_short");
  CHECK(s.direction == "short");
  CHECK(s.conviction == 65);
  CHECK(printed(s.entry_price, 186.7, 9));
  CHECK(printed(s.stop_loss, 187.6245, 4));
  CHECK(printed(s.target_price, 184.3888, 4));
  CHECK(axion::sdk::metadata_json(s) ==
        json{{"strategy", "session_scalp"}, {"session", "power_hour"}, {"volume_ratio", 2.73}});
}

TEST_CASE("timestamps: daily bars are one-bar sessions, boundaries are configurable", "[session]") {
  // 100 daily bars stamped 16:00 ET: each its own session (k = 1), so never 4 session bars.
  Series d;
  for (std::size_t i = 0; i < 100; ++i) {
    const double c = 100 + static_cast<double>(i);
    const std::int64_t day = axt::days_from_civil(2025, 1, 1) + static_cast<std::int64_t>(i);
    d.push(c - 0.1, c + 0.1, c - 0.4, c, i % 3 ? 1e6 : 5e6,
           axt::eastern_to_utc(2025, 1, 1, 16, 0) +
               (day - axt::days_from_civil(2025, 1, 1)) * axt::kUsPerDay);
  }
  CHECK(run_fresh(d).empty());
  check_every_window(d);

  // open_bell_end_bar 20: k = 20 is still the open bell (no spike there → nothing); k = 13 … 19
  // too.
  Params p;
  p.open_bell_end = 20;
  const Series up = two_days(false);
  const auto f = run_fresh(up, {{"open_bell_end_bar", 20}});
  for (int k = 13; k <= 20; ++k) CHECK(f.count(monday_bar(k)) == 0);
  CHECK(axion::sdk::metadata_json(f.at(monday_bar(21)).front()).at("session") == "midday");
  CHECK(check_every_window(up, {{"open_bell_end_bar", 20}}, p) == 37);
  // power_hour_start_bar 40: k = 40 is the power hour now (no spike → nothing).
  p = Params{};
  p.power_hour_start = 40;
  const auto g = run_fresh(up, {{"power_hour_start_bar", 40}});
  CHECK(g.count(monday_bar(39)) == 1);
  CHECK(g.count(monday_bar(40)) == 0);
  CHECK(check_every_window(up, {{"power_hour_start_bar", 40}}, p) > 0);
}

// ---- minimum bars, warm-up
// ------------------------------------------------------------------------

TEST_CASE("minimum bars: 56 fire, 55 do not", "[warmup]") {
  // Compatibility mode (k = n): a steady rise with one volume spike on the last bar.
  auto rise = [](std::size_t n) {
    Series s;
    for (std::size_t i = 0; i < n; ++i) {
      const double c = 100 + 0.1 * static_cast<double>(i);
      s.push(c - 0.1, c + 0.1, c - 0.4, c, i + 1 == n ? 3e6 : 1e6);
    }
    return s;
  };
  const Series s56 = rise(56), s55 = rise(55);
  const auto f56 = run_fresh(s56);
  REQUIRE(f56.size() == 1);
  REQUIRE(f56.count(55) == 1);
  check_matches(f56.at(55).front(), *reference(s56));
  Params loose;
  loose.power_hour_start = 53;  // minimum 55: the same rule fires on 55 bars
  CHECK(reference(s55, loose).has_value());
  CHECK(run_fresh(s55, {{"power_hour_start_bar", 53}}).count(54) == 1);
  CHECK_FALSE(reference(s55).has_value());
  CHECK(run_fresh(s55).empty());

  Series one;
  one.push(100, 101, 99, 100.5, 1e6);
  CHECK(run_fresh(one).empty());
}

TEST_CASE("warm-up bars update the state but emit nothing", "[warmup]") {
  const Series up = two_days(false);
  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  for (std::size_t i = 0; i <= monday_bar(8); ++i)
    CHECK(h.on_bar(view_of(up, i, "GOLD", "5m", true)).empty());
  // Live from k = 9 on: the session state (opening range, k) kept from the warm-up bars.
  const auto live = signals_by_bar(h, up, "GOLD", "5m", monday_bar(9));
  const auto all = run_fresh(up);
  for (const auto& [bar, sigs] : all) {
    if (bar < monday_bar(9)) continue;
    REQUIRE(live.count(bar) == 1);
    check_matches(live.at(bar).front(), *reference(up.window(bar)));
  }
  CHECK(live.size() == all.size() - 1);  // all but k = 8
}

// ---- config
// --------------------------------------------------------------------------------------

TEST_CASE("config: schema, defaults and rejected tables", "[config]") {
  FakeHost host;
  {
    PluginHarness h(AXION_PLUGIN_SO, host);
    CHECK(std::string(h.manifest().name) == "session_scalp");
    CHECK(std::string(h.manifest().description) == "Intraday session scalping");
    CHECK(h.manifest().kind == AXION_KIND_STRATEGY);
    std::map<std::string, json> d = schema_defaults(h);
    CHECK(d.size() == 13);
    CHECK(d["open_bell_end_bar"] == 12);
    CHECK(d["power_hour_start_bar"] == 54);
    CHECK(d["midday_min_trend_bars"] == 8);
    CHECK(d["ema_fast"] == 5);
    CHECK(d["ema_slow"] == 12);
    CHECK(d["pullback_short"] == 8);
    CHECK(d["pullback_long"] == 9);
    CHECK(d["macro_short"] == 34);
    CHECK(d["macro_long"] == 50);
    CHECK(d["open_bell_conviction_boost"] == 10);
    CHECK(d["midday_conviction_penalty"] == 10);
    CHECK(d["power_hour_conviction_boost"] == 5);
    CHECK(d["timeframes"] == json::array());
  }
  const std::string so = AXION_PLUGIN_SO;
  CHECK(config_error_key(so, json::object()) == "<accepted>");
  CHECK(config_error_key(so, {{"open_bell_end_bar", 6}, {"timeframes", {"1m", "5m"}}}) ==
        "<accepted>");
  CHECK(config_error_key(so, {{"open_bell_end", 6}}) == "open_bell_end");
  CHECK(config_error_key(so, {{"open_bell_end_bar", 0}}) == "open_bell_end_bar");
  CHECK(config_error_key(so, {{"open_bell_end_bar", 54}}) == "open_bell_end_bar");  // ≥ power hour
  CHECK(config_error_key(so, {{"power_hour_start_bar", 10}}) == "open_bell_end_bar");
  CHECK(config_error_key(so, {{"midday_min_trend_bars", 0}}) == "midday_min_trend_bars");
  CHECK(config_error_key(so, {{"ema_fast", 12}}) == "ema_fast");
  CHECK(config_error_key(so, {{"pullback_long", 8}}) == "pullback_short");
  CHECK(config_error_key(so, {{"macro_short", 60}}) == "macro_short");
  CHECK(config_error_key(so, {{"open_bell_conviction_boost", 101}}) ==
        "open_bell_conviction_boost");
  CHECK(config_error_key(so, {{"midday_conviction_penalty", -1}}) == "midday_conviction_penalty");
  CHECK(config_error_key(so, {{"power_hour_conviction_boost", 2.5}}) ==
        "power_hour_conviction_boost");
  CHECK(config_error_key(so, {{"timeframes", {"5m", "4h"}}}) == "timeframes");
}

TEST_CASE("conviction settings: boosts and penalty with their caps", "[config]") {
  const Series up = two_days(false);
  const auto f = run_fresh(up, {{"open_bell_conviction_boost", 40},
                                {"midday_conviction_penalty", 30},
                                {"power_hour_conviction_boost", 0}});
  CHECK(f.at(monday_bar(8)).front().conviction == 90);   // min(90, 105)
  CHECK(f.at(monday_bar(20)).front().conviction == 40);  // max(40, 25)
  CHECK(f.at(monday_bar(54)).front().conviction == 60);  // min(85, 60)
  const auto g = run_fresh(up, {{"open_bell_conviction_boost", 0},
                                {"midday_conviction_penalty", 0},
                                {"power_hour_conviction_boost", 100}});
  CHECK(g.at(monday_bar(8)).front().conviction == 65);
  CHECK(g.at(monday_bar(20)).front().conviction == 55);
  CHECK(g.at(monday_bar(54)).front().conviction == 85);
}

TEST_CASE("timeframes selects the series, the label stays 5m", "[config]") {
  const Series up = two_days(false);
  CHECK(run_fresh(up, {{"timeframes", {"1m"}}}, "5m").empty());
  const auto f = run_fresh(up, {{"timeframes", {"1m"}}}, "1m");
  REQUIRE(f.size() == 45);
  CHECK(f.begin()->second.front().timeframe == "5m");
}

// ---- series state
// ----------------------------------------------------------------------------------

TEST_CASE("interleaved series keep separate state, bad bars are rejected untouched", "[state]") {
  const Series g = axion::sdk::testing::gold_series();
  const Series up = two_days(false);
  const auto g_alone = run_fresh(g), up_alone = run_fresh(up);
  FakeHost host;
  host.clock.set_us(kNow);
  PluginHarness h(AXION_PLUGIN_SO, host);
  std::map<std::size_t, std::vector<Signal>> g_mixed, up_mixed;
  for (std::size_t t = 0; t < g.size(); ++t) {
    for (auto& x : signals_by_bar(h, g, "GOLD", "5m", t, t + 1)) g_mixed[x.first] = x.second;
    for (auto& x : signals_by_bar(h, up, "SCEN", "5m", t, t + 1)) up_mixed[x.first] = x.second;
  }
  REQUIRE(g_mixed.size() == g_alone.size());
  for (const auto& [bar, sigs] : g_alone)
    CHECK(g_mixed.at(bar).front().stop_loss == sigs.front().stop_loss);
  REQUIRE(up_mixed.size() == up_alone.size());
  for (const auto& [bar, sigs] : up_alone) {
    check_matches(up_mixed.at(bar).front(), *reference(up.window(bar)), "SCEN");
  }

  FakeHost host2;
  host2.clock.set_us(kNow);
  PluginHarness h2(AXION_PLUGIN_SO, host2);
  auto fired = signals_by_bar(h2, up, "GOLD", "5m", 0, monday_bar(5));
  BarView bad = view_of(up, monday_bar(5), "GOLD", "5m");
  bad.close = -1;
  CHECK_THROWS_AS(h2.on_bar(bad), PluginCallError);
  bad = view_of(up, monday_bar(5), "GOLD", "5m");
  bad.volume = std::nan("");
  CHECK_THROWS_AS(h2.on_bar(bad), PluginCallError);
  CHECK_THROWS_AS(h2.on_bar(view_of(up, 10, "GOLD", "5m")), PluginCallError);  // Friday: too old
  for (auto& x : signals_by_bar(h2, up, "GOLD", "5m", monday_bar(5))) fired[x.first] = x.second;
  REQUIRE(fired.size() == up_alone.size());
  for (const auto& [bar, sigs] : up_alone) {
    REQUIRE(fired.count(bar) == 1);
    CHECK(fired.at(bar).front().stop_loss == sigs.front().stop_loss);
    CHECK(fired.at(bar).front().signal_type == sigs.front().signal_type);
  }
}

// ---- hot path ---------------------------------------------------------------------------------

TEST_CASE("no allocation per bar unless a signal is emitted", "[perf]") {
  const Series s = two_days(false);
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
  CHECK(quiet_bars > 100);
  CHECK(firing_bars > 0);
  CHECK(quiet_allocs == 0);
  CHECK(firing_allocs > 0);  // the counter does see the plugin's allocations
}
