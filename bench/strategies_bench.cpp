// axion-bench-strategies: the strategy plugins' bar-update throughput through the C ABI.
//   1. per strategy: one plugin alone, 50 symbols × 20,000 one-minute bars;
//   2. universe: all strategies together over SYMBOLS synthetic symbols × DAYS sessions of
//      one-minute bars (default 500 × 252 = one year), bars interleaved by time as a feed
//      delivers them.
// Prints bar updates per second, signals per strategy and the peak RSS. Run by hand:
//   build/bin/axion-bench-strategies [--symbols 500] [--days 252] [--skip-universe]
#include <dlfcn.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "axion/plugin_api.h"
#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/time.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* kStrategies[] = {"ema_cloud",       "vwap_reversion",       "orb_breakout",
                             "rsi_divergence",  "pullback_to_cloud",    "trend_day",
                             "session_scalp",   "qullamaggie_breakout", "qullamaggie_ep",
                             "qullamaggie_parabolic_short", "mean_reversion"};

// One strategy instance driven through its C vtable, counting the signals it emits.
struct Loaded {
  std::string name;
  void* lib = nullptr;
  const axion_plugin_manifest* m = nullptr;
  const axion_strategy_vtable* vt = nullptr;
  void* self = nullptr;
  std::uint64_t signals = 0;
  double seconds = 0;

  Loaded(const std::string& n, const axion_host_api* host) : name(n) {
    fs::path so = fs::path(AXION_BUILTIN_PLUGIN_DIR) / ("axion-strategy-" + n + ".so");
    lib = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) throw std::runtime_error(dlerror());
    auto entry = reinterpret_cast<axion_entry_fn>(dlsym(lib, AXION_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error("no entry in " + so.string());
    m = entry();
    vt = static_cast<const axion_strategy_vtable*>(m->vtable);
    axion_error err{};
    err.size = sizeof err;
    const char* cfg = std::getenv("AXION_BENCH_EMA_MIN_CONVICTION") && n == "ema_cloud"
                          ? nullptr : "{}";
    std::string text = cfg ? cfg : std::string("{\"min_conviction\":") + std::getenv("AXION_BENCH_EMA_MIN_CONVICTION") + "}";
    if (m->create(host, {text.data(), text.size()}, &self, &err) != AXION_OK) throw std::runtime_error(err.message);
  }
  ~Loaded() {
    if (self) m->destroy(self);
    if (lib) dlclose(lib);
  }
  void on_bar(const axion_bar& b) {
    axion_error err{};
    err.size = sizeof err;
    vt->on_bar(self, &b, [](void* ctx, const axion_signal*) { ++*static_cast<std::uint64_t*>(ctx); },
               &signals, &err);
  }
};

// A regime-free random walk per symbol with intraday ranges and volume; deterministic.
struct Walk {
  std::uint64_t s;
  double price;
  explicit Walk(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 1), price(20 + (seed % 480)) {}
  double u() {  // xorshift64*, uniform [0, 1)
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    return static_cast<double>((s * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
  }
  void next(double& o, double& h, double& l, double& c, double& v) {
    o = price;
    c = o * (1 + (u() - 0.5) * 0.004);
    h = std::max(o, c) * (1 + u() * 0.001);
    l = std::min(o, c) * (1 - u() * 0.001);
    v = 10'000 + u() * 90'000;
    price = c;
  }
};

// 09:31 … 16:00 ET, end-stamped, over `days` weekdays from 2025-01-06.
std::vector<std::int64_t> minute_stamps(int days) {
  using namespace axion::sdk::time;
  std::vector<std::int64_t> out;
  std::int64_t day = days_from_civil(2025, 1, 6);
  for (int d = 0; d < days; ++day) {
    if (weekday_from_days(day) == 0 || weekday_from_days(day) == 6) continue;
    Civil c = civil_from_days(day);
    std::int64_t open = eastern_to_utc(c.year, c.month, c.day, 9, 30);
    for (int m = 1; m <= 390; ++m) out.push_back(open + m * 60 * kUsPerSec);
    ++d;
  }
  return out;
}

long peak_rss_mb() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_maxrss / 1024;
}

void run(std::vector<Loaded*>& strategies, int symbols, const std::vector<std::int64_t>& stamps) {
  std::vector<Walk> walks;
  std::vector<std::string> names;
  for (int i = 0; i < symbols; ++i) walks.emplace_back(static_cast<std::uint64_t>(i + 1)), names.push_back("S" + std::to_string(i));
  axion_bar b{};
  b.size = sizeof b;
  b.timeframe = {"1m", 2};
  for (auto ts : stamps) {
    b.ts_us = ts;
    for (int i = 0; i < symbols; ++i) {
      walks[static_cast<std::size_t>(i)].next(b.open, b.high, b.low, b.close, b.volume);
      b.symbol = {names[static_cast<std::size_t>(i)].data(), names[static_cast<std::size_t>(i)].size()};
      for (auto* s : strategies) {
        auto t0 = Clock::now();
        s->on_bar(b);
        s->seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int symbols = 500, days = 252;
  bool universe = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--symbols" && i + 1 < argc) symbols = std::atoi(argv[++i]);
    else if (a == "--days" && i + 1 < argc) days = std::atoi(argv[++i]);
    else if (a == "--skip-universe") universe = false;
    else {
      std::fprintf(stderr, "usage: %s [--symbols N] [--days N] [--skip-universe]\n", argv[0]);
      return 2;
    }
  }
  axion::sdk::testing::FakeHost host;

  std::printf("per strategy: 50 symbols x 20,000 one-minute bars, alone\n");
  std::printf("%-30s %14s %10s\n", "strategy", "bar updates/s", "signals");
  auto stamps = minute_stamps(52);  // 20,280 bars
  stamps.resize(20'000);
  for (const char* n : kStrategies) {
    Loaded s(n, host.api());
    std::vector<Loaded*> one{&s};
    run(one, 50, stamps);
    std::printf("%-30s %14.0f %10llu\n", n, 50.0 * 20'000 / s.seconds, static_cast<unsigned long long>(s.signals));
  }

  if (!universe) return 0;
  std::printf("\nuniverse: %d symbols x %d sessions of one-minute bars, all %zu strategies\n", symbols, days,
              std::size(kStrategies));
  std::vector<std::unique_ptr<Loaded>> owned;
  std::vector<Loaded*> all;
  for (const char* n : kStrategies) owned.push_back(std::make_unique<Loaded>(n, host.api())), all.push_back(owned.back().get());
  auto t0 = Clock::now();
  run(all, symbols, minute_stamps(days));
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double bars = static_cast<double>(symbols) * days * 390;
  std::printf("bars %.0f, bar updates %.0f, wall %.1f s, %.0f bars/s, %.0f bar updates/s, peak RSS %ld MB\n", bars,
              bars * static_cast<double>(all.size()), wall, bars / wall, bars * static_cast<double>(all.size()) / wall,
              peak_rss_mb());
  for (auto* s : all) {
    std::printf("  %-30s %8.1f s in on_bar, %10llu signals\n", s->name.c_str(), s->seconds,
                static_cast<unsigned long long>(s->signals));
  }
  return 0;
}
