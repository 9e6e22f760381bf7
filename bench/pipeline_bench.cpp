// process_signal throughput and latency percentiles with the journal on: the accepted path
// (guards, paper broker, fill validation, position, records) and two rejected paths (duplicate
// at the dedup guard, kill switch), with their heap allocations per call (`allocs`: operator new
// on the engine thread during the call; this program replaces operator new with a counting
// one over malloc, jemalloc here). Run: build/bench/bench_pipeline (never as a timed test).
#include <benchmark/benchmark.h>

#include <chrono>

#include "axion/core/state/journal.hpp"
#include "axion/sdk/testing/alloc_counter.hpp"  // this program's one translation unit counting
#include "axion/sdk/testing/signals.hpp"
#include "bench_common.hpp"

using namespace axion;
namespace fs = std::filesystem;

namespace {

sdk::Signal signal_for(core::Engine& e, const std::string& ticker, int n) {
  return sdk::testing::make_signal(
      {.ticker = ticker,
       .signal_type = n % 2 ? "cloud_bounce_long" : "cloud_cross_bullish",
       .target_price = 104.0,
       .ts_us = e.now_us()});
}

struct BenchEngine {
  fs::path dir;
  std::unique_ptr<core::Engine> engine;
  explicit BenchEngine(const char* name) {
    dir = fs::temp_directory_path() / (std::string("axion-bench-") + name);
    fs::remove_all(dir);
    engine = bench::make_engine(fs::path(AXION_BENCH_DIR) / "pipeline_bench.toml", dir);
  }
  ~BenchEngine() {
    engine.reset();
    fs::remove_all(dir);
  }
};

void report(benchmark::State& st, std::vector<double>& lat) {
  st.counters["p50_us"] = bench::percentile(lat, 50);
  st.counters["p99_us"] = bench::percentile(lat, 99);
  st.counters["p999_us"] = bench::percentile(lat, 99.9);
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}

// Accepted signals, each on a fresh ticker (nothing is a duplicate); old positions are closed
// outside the timing to stay steady. `decorate` adds what the variant's signals carry.
template <class Decorate>
void run_accepted(benchmark::State& st, const char* name, Decorate decorate) {
  BenchEngine b(name);
  std::vector<double> lat;
  int n = 0;
  for (auto _ : st) {
    auto s = signal_for(*b.engine, "T" + std::to_string(n), n);
    decorate(s);
    ++n;
    auto a = std::chrono::steady_clock::now();
    auto r = b.engine->process_signal(s);
    lat.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
    if (!r || !r->success) st.SkipWithError("signal was not accepted");
    st.PauseTiming();
    bench::trim_positions(*b.engine, 8);
    st.ResumeTiming();
  }
  report(st, lat);
}

void BM_AcceptedPath(benchmark::State& st) {
  run_accepted(st, "accepted", [](sdk::Signal&) {});
}
BENCHMARK(BM_AcceptedPath)->Unit(benchmark::kMicrosecond)->Iterations(5000);

// The same with a signal as ema_cloud emits it: ~20 typed metadata fields and five cloud states,
// which every stage plugin call converts.
void BM_AcceptedPathEmaCloudSignal(benchmark::State& st) {
  run_accepted(st, "accepted-ema", [](sdk::Signal& s) {
    s.strategy = s.source = "ema_cloud";
    s.metadata.num("conviction_breakdown.cloud_alignment", 25).num("conviction_breakdown.mtf_confluence", 12.5)
        .num("conviction_breakdown.volume_confirmation", 7.5).num("conviction_breakdown.cloud_thickness", 3.5)
        .num("conviction_breakdown.cloud_slope", 4).num("conviction_breakdown.candle_quality", 7)
        .num("conviction_breakdown.factor_score", 4.5).text("conviction_level", "high")
        .integer("aligned_clouds", 4).integer("total_clouds", 5).num("volume_ratio", 1.7)
        .integer("slope_rising", 4).integer("slope_falling", 1).num("body_ratio", 0.62)
        .integer("confirming_timeframes", 2).text_item("confirmed_timeframes", "5m")
        .text_item("confirmed_timeframes", "1h").text("trigger_cloud", "pullback");
    for (const char* name : {"trend_line", "pullback", "momentum", "trend_confirmation", "long_term"}) {
      sdk::CloudState c;
      c.cloud_name = name;
      c.short_ema = 101.25;
      c.long_ema = 100.5;
      c.is_bullish = true;
      c.slope_direction = "rising";
      s.cloud_states.push_back(c);
    }
  });
}
BENCHMARK(BM_AcceptedPathEmaCloudSignal)->Unit(benchmark::kMicrosecond)->Iterations(5000);

// One rejected signal per iteration, counted from the steady state: a warm-up first fills the
// event replay buffer (10,000 events, two per rejection) and the result ring (10,000), whose
// entries then come back for reuse. `allocs` is per call in a back-to-back burst (the journal's
// writer a little behind holds some events and texts); `allocs_paced` is per call when the
// writer has caught up before each (2,000 more, untimed), as at a bar's pace.
template <class Make>
void run_rejections(benchmark::State& st, core::Engine& e, const char* stage, Make make) {
  auto reject = [&](bool count, std::size_t& allocs) {
    auto s = make();
    sdk::testing::AllocationCounter counter;
    auto r = e.process_signal(std::move(s));
    const bool at_stage = r && r->pipeline_stage() == stage;
    if (r) e.orchestrator().recycle(std::move(*r));  // as the engine's bar loop does
    const std::size_t n = counter.stop();
    if (count) allocs += n;
    return at_stage;
  };
  std::size_t ignored = 0;
  for (int i = 0; i < 12000; ++i) reject(false, ignored);
  e.journal().sync();
  std::vector<double> lat;
  std::size_t allocs = 0;
  for (auto _ : st) {
    auto a = std::chrono::steady_clock::now();
    const bool ok = reject(true, allocs);
    lat.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
    if (!ok) st.SkipWithError((std::string("expected a rejection at ") + stage).c_str());
  }
  report(st, lat);
  st.counters["allocs"] = static_cast<double>(allocs) / static_cast<double>(st.iterations());
  std::size_t paced = 0;
  for (int i = 0; i < 2000; ++i) {
    e.journal().sync();
    reject(true, paced);
  }
  st.counters["allocs_paced"] = static_cast<double>(paced) / 2000.0;
}

void BM_RejectedDuplicate(benchmark::State& st) {
  BenchEngine b("duplicate");
  b.engine->process_signal(signal_for(*b.engine, "DUP", 0));
  run_rejections(st, *b.engine, "signal_guard", [&] { return signal_for(*b.engine, "DUP", 0); });
}
BENCHMARK(BM_RejectedDuplicate)->Unit(benchmark::kMicrosecond)->Iterations(20000);

void BM_RejectedKillSwitch(benchmark::State& st) {
  BenchEngine b("kill");
  core::KillRecord k;
  k.level = core::KillLevel::BlockNew;
  k.reason = "bench";
  b.engine->orchestrator().activate_kill(k);
  int n = 0;
  run_rejections(st, *b.engine, "kill_switch", [&] {
    ++n;
    return signal_for(*b.engine, "K" + std::to_string(n % 1000), n);
  });
}
BENCHMARK(BM_RejectedKillSwitch)->Unit(benchmark::kMicrosecond)->Iterations(20000);

// What bounds the two paths above: the journal writer's rate of committed records. Each
// iteration hands over 1,000 result rows the size of a rejected signal's (about 600 bytes of
// JSON, one unit each, as the engine hands them) and waits until they are committed.
void BM_JournalWriterResults(benchmark::State& st) {
  const fs::path dir = fs::temp_directory_path() / "axion-bench-journal";
  fs::remove_all(dir);
  {
    core::Journal j(dir / "axion.db");
    auto text = std::make_shared<const std::string>(
        "{\"success\":false,\"pipeline_stage\":\"kill_switch\",\"rejection_reason\":\"Kill switch "
        "active: bench\",\"signal\":{" + std::string(520, 'x') + "}}");
    std::int64_t ts = 0;
    for (auto _ : st) {
      for (int i = 0; i < 1000; ++i) j.record_result(++ts, core::Stage::KillSwitch, false, text);
      j.sync();
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * 1000);
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_JournalWriterResults)->Unit(benchmark::kMillisecond)->Iterations(200)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
