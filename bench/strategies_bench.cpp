// axion-bench-strategies: the strategy plugins' bar-update throughput through the C ABI.
//   1. per strategy: one plugin alone, 50 symbols × 20,000 one-minute bars;
//   2. universe: all strategies together over SYMBOLS synthetic symbols × DAYS sessions of
//      one-minute bars (default 500 × 252 = one year), bars interleaved by time as a feed
//      delivers them; the symbols split between workers (threads), each with its own instances.
// Prints bar updates per second, signals per strategy and the peak RSS. Run by hand:
//   build/bin/axion-bench-strategies [--symbols 500] [--days 252] [--skip-universe] [--only NAME]
//                                    [--workers N (default: the cores)]
#include <dlfcn.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <algorithm>
#include <memory>

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

// The synthetic symbols S<first>, S<first+step>, ... below `symbols`: one random walk each.
struct Universe {
  std::vector<Walk> walks;
  std::vector<std::string> names;
  Universe(int symbols, int first = 0, int step = 1) {
    for (int i = first; i < symbols; i += step) {
      walks.emplace_back(static_cast<std::uint64_t>(i + 1));
      names.push_back("S" + std::to_string(i));
    }
  }
  // Each bar at `stamps`, in time order then symbol order (views into `names`).
  template <class Fn>
  void for_each_bar(const std::vector<std::int64_t>& stamps, Fn&& fn) {
    axion_bar b{};
    b.size = sizeof b;
    b.timeframe = {"1m", 2};
    for (auto ts : stamps) {
      b.ts_us = ts;
      for (std::size_t i = 0; i < walks.size(); ++i) {
        walks[i].next(b.open, b.high, b.low, b.close, b.volume);
        b.symbol = {names[i].data(), names[i].size()};
        fn(b);
      }
    }
  }
};

// One strategy alone: the bars are generated first and the whole loop is timed once, so two
// clock reads per call (~40 ns, as much as the fastest strategies' whole update) do not count.
void run_alone(Loaded& strategy, int symbols, const std::vector<std::int64_t>& stamps) {
  Universe u(symbols);
  std::vector<axion_bar> bars;
  bars.reserve(stamps.size() * static_cast<std::size_t>(symbols));
  u.for_each_bar(stamps, [&](const axion_bar& b) { bars.push_back(b); });
  auto t0 = Clock::now();
  for (const axion_bar& bar : bars) strategy.on_bar(bar);
  strategy.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
}

// Every strategy on every bar of a share of the symbols, as one worker of the universe run.
// Each strategy's time is sampled on one bar in 16 (timing every call would add two clock reads
// per call, ~20% of the whole run) and scaled up.
void run_share(std::vector<Loaded*>& strategies, Universe& u, const std::vector<std::int64_t>& stamps) {
  constexpr std::uint64_t kSampleEvery = 16;
  std::uint64_t n = 0;
  u.for_each_bar(stamps, [&](const axion_bar& b) {
    if (++n % kSampleEvery != 0) {
      for (auto* s : strategies) s->on_bar(b);
      return;
    }
    for (auto* s : strategies) {
      auto t0 = Clock::now();
      s->on_bar(b);
      s->seconds += kSampleEvery * std::chrono::duration<double>(Clock::now() - t0).count();
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  int symbols = 500, days = 252;
  bool universe = true;
  int workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string only;  // one strategy alone (for profiling)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--symbols" && i + 1 < argc) symbols = std::atoi(argv[++i]);
    else if (a == "--days" && i + 1 < argc) days = std::atoi(argv[++i]);
    else if (a == "--skip-universe") universe = false;
    else if (a == "--only" && i + 1 < argc) only = argv[++i], universe = false;
    else if (a == "--workers" && i + 1 < argc) workers = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--symbols N] [--days N] [--skip-universe] [--only NAME] [--workers N]\n", argv[0]);
      return 2;
    }
  }
  axion::sdk::testing::FakeHost host;

  std::printf("per strategy: 50 symbols x 20,000 one-minute bars, alone\n");
  std::printf("%-30s %14s %10s\n", "strategy", "bar updates/s", "signals");
  auto stamps = minute_stamps(52);  // 20,280 bars
  stamps.resize(20'000);
  for (const char* n : kStrategies) {
    if (!only.empty() && only != n) continue;
    Loaded s(n, host.api());
    run_alone(s, 50, stamps);
    std::printf("%-30s %14.0f %10llu\n", n, 50.0 * 20'000 / s.seconds, static_cast<unsigned long long>(s.signals));
  }

  if (!universe) return 0;
  // Strategies keep their state per symbol, so the symbols split exactly between workers, each
  // with its own instances: this is how a backtest uses both cores.
  std::printf("\nuniverse: %d symbols x %d sessions of one-minute bars, all %zu strategies, %d workers\n", symbols,
              days, std::size(kStrategies), workers);
  const auto stamps_all = minute_stamps(days);
  std::vector<std::unique_ptr<axion::sdk::testing::FakeHost>> hosts;
  std::vector<std::vector<std::unique_ptr<Loaded>>> owned(static_cast<std::size_t>(workers));
  std::vector<std::vector<Loaded*>> sets(static_cast<std::size_t>(workers));
  std::vector<Universe> shares;
  for (int w = 0; w < workers; ++w) {
    hosts.push_back(std::make_unique<axion::sdk::testing::FakeHost>());
    for (const char* n : kStrategies) {
      owned[static_cast<std::size_t>(w)].push_back(std::make_unique<Loaded>(n, hosts.back()->api()));
      sets[static_cast<std::size_t>(w)].push_back(owned[static_cast<std::size_t>(w)].back().get());
    }
    shares.emplace_back(symbols, w, workers);
  }
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      run_share(sets[static_cast<std::size_t>(w)], shares[static_cast<std::size_t>(w)], stamps_all);
    });
  }
  for (auto& t : threads) t.join();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double bars = static_cast<double>(symbols) * days * 390;
  const double updates = bars * static_cast<double>(std::size(kStrategies));
  std::printf("bars %.0f, bar updates %.0f, wall %.1f s, %.0f bars/s, %.0f bar updates/s, peak RSS %ld MB\n", bars,
              updates, wall, bars / wall, updates / wall, peak_rss_mb());
  for (std::size_t k = 0; k < std::size(kStrategies); ++k) {
    double seconds = 0;
    std::uint64_t signals = 0;
    for (auto& set : sets) seconds += set[k]->seconds, signals += set[k]->signals;
    std::printf("  %-30s %8.1f s in on_bar (all workers, sampled), %10llu signals\n", kStrategies[k], seconds,
                static_cast<unsigned long long>(signals));
  }
  return 0;
}
