// Helpers shared by strategy plugin tests: tolerant comparisons, feeding a Series through a
// PluginHarness (with or without an advancing engine clock), Eastern-time timestamps and the
// schema's defaults. Builds on fakes.hpp (FakeHost, PluginHarness) and series.hpp (Series).
// For allocation checks see alloc_counter.hpp (one translation unit per executable only).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/series.hpp"
#include "axion/sdk/time.hpp"
#include "axion/sdk/types.hpp"

namespace axion::sdk::testing {

// ---- comparisons ---------------------------------------------------------------------------

// a and b agree to `rel` relative to the larger magnitude, with a 1e-15 absolute floor so that two
// zeros (or denormal noise around zero) compare equal. No other absolute slack: values near zero
// are held to the same relative precision as large ones.
inline bool rel_close(double a, double b, double rel = 1e-9) {
  return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)) + 1e-15;
}

// `actual` matches a value printed to `dp` decimals as `shown` (± half a unit in the last place).
inline bool printed(double actual, double shown, int dp) {
  return std::fabs(actual - shown) <= 0.5 * std::pow(10.0, -dp) + 1e-12;
}

// ---- time ----------------------------------------------------------------------------------

// 2026-02-<day> (the month FakeClock's default falls in; Eastern Standard Time, UTC−5) at `minute`
// minutes after midnight ET, in µs since the epoch.
inline std::int64_t et_us(unsigned day, unsigned minute) {
  return time::eastern_to_utc(2026, 2, day, minute / 60, minute % 60);
}

// ---- feeding a series ----------------------------------------------------------------------

inline constexpr std::int64_t kClock0 = 1'770'000'000'000'000;  // engine clock of bar 0, µs
inline constexpr std::int64_t kClockStep5m = 300'000'000;       // five minutes, µs

// The engine clock while a series is fed: bar t is fed at start_us + t·step_us.
struct FeedClock {
  std::int64_t start_us = kClock0;
  std::int64_t step_us = kClockStep5m;
};

// One signal and the index of the bar that produced it.
struct Fired {
  std::size_t bar;
  Signal sig;
};

// Feeds bars [from, to) of `s` as `sym`/`tf`, setting host's clock per `clock` before each bar;
// bars before `warmup_until` are flagged warm-up. Returns every signal in emission order.
inline std::vector<Fired> run_series(PluginHarness& h, FakeHost& host, const Series& s,
                                     std::size_t from = 0, std::size_t to = SIZE_MAX,
                                     const std::string& sym = "GOLD", const std::string& tf = "5m",
                                     FeedClock clock = {}, std::size_t warmup_until = 0) {
  std::vector<Fired> out;
  for (std::size_t t = from; t < std::min(to, s.size()); ++t) {
    host.clock.set_us(clock.start_us + static_cast<std::int64_t>(t) * clock.step_us);
    Bar b = s.bar(t, sym, tf);
    b.warmup = t < warmup_until;
    for (auto& sig : h.on_bar(b.as_view())) out.push_back({t, std::move(sig)});
  }
  return out;
}

// Bar i of `s` as a view (symbol and timeframe refer to the arguments: keep them alive).
// string_view parameters, so literals ("GOLD") stay valid after the call; a std::string
// parameter made them temporaries, and the view dangled (found by the ASan build).
inline BarView view_of(const Series& s, std::size_t i, std::string_view sym, std::string_view tf,
                       bool warmup = false) {
  BarView b{sym,        tf,         s.ts_us.empty() ? 0 : s.ts_us[i],
            s.open[i],  s.high[i],  s.low[i],
            s.close[i], s.volume[i]};
  b.warmup = warmup;
  return b;
}

// Feeds bars [from, to) of `s` without touching the engine clock; returns each bar's emissions by
// bar index (bars that emitted nothing are absent).
inline std::map<std::size_t, std::vector<Signal>> signals_by_bar(PluginHarness& h, const Series& s,
                                                                 const std::string& sym = "GOLD",
                                                                 const std::string& tf = "5m",
                                                                 std::size_t from = 0,
                                                                 std::size_t to = SIZE_MAX) {
  std::map<std::size_t, std::vector<Signal>> out;
  for (std::size_t t = from; t < std::min(to, s.size()); ++t) {
    auto sigs = h.on_bar(view_of(s, t, sym, tf));
    if (!sigs.empty()) out[t] = std::move(sigs);
  }
  return out;
}

// signals_by_bar over all of `s` through a fresh instance of the plugin at `so_path` built with
// `config`, on a host whose clock stands still at `now_us`.
inline std::map<std::size_t, std::vector<Signal>> signals_by_bar_fresh(
    const std::string& so_path, const Series& s, const nlohmann::json& config = {},
    const std::string& sym = "GOLD", const std::string& tf = "5m", std::int64_t now_us = kClock0) {
  FakeHost host;
  host.clock.set_us(now_us);
  PluginHarness h(so_path, host, config);
  return signals_by_bar(h, s, sym, tf);
}

// ---- config ----------------------------------------------------------------------------------

// The plugin's schema as key → default.
inline std::map<std::string, nlohmann::json> schema_defaults(const PluginHarness& h) {
  std::map<std::string, nlohmann::json> d;
  for (const auto& k : h.schema()) d[k.at("key").get<std::string>()] = k.at("default");
  return d;
}

}  // namespace axion::sdk::testing
