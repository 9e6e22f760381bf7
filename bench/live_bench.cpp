// Live-mode figures against the Alpaca stand-in on 127.0.0.1 (issue 11 #11), never timed tests:
//  1. signal to order sent: from handing a signal to the engine thread to the stand-in receiving
//     the POST /v2/orders (every stage, the journal, broker/alpaca's desk thread, libcurl);
//  2. bar lag: how long a bar waits for the engine thread while Alpaca holds every order's
//     answer back for 2 s and signals keep coming (the engine thread must never wait on HTTP),
//     against the same without slow answers.
//   build/bin/axion-bench-live [--signals 500] [--bars 2000]
#include <boost/program_options.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <unistd.h>
#include <vector>

#include "axion/sdk/testing/signals.hpp"
#include "bench_common.hpp"
#include "standin.hpp"

namespace fs = std::filesystem;
namespace po = boost::program_options;
using axion::testing::alpaca::StandIn;
using axion::testing::alpaca::steady_now_us;

namespace {

// Every stage kind that does not filter a steady stream of distinct tickers, and the Alpaca
// broker on the stand-in with a budget that does not throttle the measurement.
std::string manifest(const StandIn& s) {
  return "[engine]\nmode = \"live\"\nsymbols = [\"AAPL\"]\nauto_kill_on_daily_loss = false\n"
         "[executor]\ninstrument_mode = \"leveraged_etf\"\nmax_concurrent_positions = 10000\n"
         "[[guard]]\nplugin = \"guard/sanity\"\n"
         "[regime]\nplugin = \"regime/adaptive\"\nfixed_regime = \"bull\"\nfixed_confidence = 0.8\n"
         "[[risk]]\nplugin = \"risk/basic\"\nmax_daily_trades = 0\n"
         "[routing]\nplugin = \"routing/instrument\"\noption_fallback = \"stock\"\n"
         "[[sizing]]\nplugin = \"sizing/standard\"\n"
         "[live_broker]\nplugin = \"broker/alpaca\"\nbase_url = \"" +
         s.base_url() +
         "\"\npoll_interval_ms = 600000\nsnapshot_interval_ms = 600000\nrate_limit_per_minute = 100000\n";
}

axion::sdk::Signal signal_for(axion::core::Engine& e, int i) {
  char ticker[8];
  std::snprintf(ticker, sizeof ticker, "T%04d", i % 10000);
  auto sig = axion::sdk::testing::make_signal({.ticker = ticker, .entry_price = 100.0, .target_price = 110.0});
  sig.ts_us = e.now_us();
  return sig;
}

std::size_t posts(const StandIn& s) {
  std::size_t n = 0;
  for (const auto& r : s.requests()) n += r.method == "POST" && r.target == "/v2/orders";
  return n;
}

std::int64_t last_post_us(const StandIn& s) {
  const auto reqs = s.requests();
  for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) {
    if (it->method == "POST" && it->target == "/v2/orders") return it->received_steady_us;
  }
  return 0;
}

void report(const char* what, std::vector<double> us) {
  using axion::bench::percentile;
  std::printf("%s: n=%zu p50=%.1f us p99=%.1f us max=%.1f us\n", what, us.size(), percentile(us, 50),
              percentile(us, 99), percentile(us, 100));
}

// Bars through the engine thread, one every `gap`, each timed from posting to processed.
std::vector<double> bar_lags(axion::core::Engine& e, int n, std::chrono::microseconds gap) {
  std::vector<double> lags;
  lags.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    axion_bar bar{};
    bar.size = sizeof bar;
    bar.symbol = axion::sdk::make_str("AAPL");
    bar.timeframe = axion::sdk::make_str("1m");
    bar.ts_us = e.now_us();
    bar.open = bar.high = bar.low = bar.close = 100.0;
    bar.volume = 1000;
    const std::int64_t t0 = steady_now_us();
    e.call([&] { e.on_bar(bar); });
    lags.push_back(static_cast<double>(steady_now_us() - t0));
    std::this_thread::sleep_for(gap);
  }
  return lags;
}

}  // namespace

int main(int argc, char** argv) {
  int n_signals = 500, n_bars = 2000;
  po::options_description opts("axion-bench-live");
  opts.add_options()("help", "this text")("signals", po::value(&n_signals), "signals for the latency run (500)")(
      "bars", po::value(&n_bars), "bars per lag run (2000)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, opts), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  ::setenv("AXION_ALPACA_API_KEY", "PKTESTKEY", 1);
  ::setenv("AXION_ALPACA_SECRET_KEY", "test-secret-value", 1);
  axion::testing::alpaca::StandInOptions so;
  so.rate_limit = 1'000'000;
  StandIn s(so);
  s.hold_fills(true);  // orders stay working: no positions, every signal a fresh entry

  const fs::path dir = fs::temp_directory_path() / ("axion-bench-live-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "live.toml";
  std::ofstream(file) << manifest(s);
  auto engine = axion::bench::make_engine(file, dir / "state");
  auto& e = *engine;
  std::thread runner([&] { e.run(); });

  // 1. Signal to order sent, one at a time (no queueing behind the previous one).
  std::vector<double> sent;
  for (int i = 0; i < n_signals; ++i) {
    const std::size_t before = posts(s);
    auto sig = signal_for(e, i);
    const std::int64_t t0 = steady_now_us();
    e.call([&] { e.process_signal(sig); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (posts(s) == before && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    if (posts(s) == before) {
      std::fprintf(stderr, "signal %d: no order reached the stand-in within 5 s\n", i);
      continue;
    }
    sent.push_back(static_cast<double>(last_post_us(s) - t0));
  }
  report("signal to order sent (engine -> desk -> POST at the stand-in)", sent);

  // 2. Bar lag, answers prompt, then every answer held 2 s while signals keep coming.
  report("bar lag, Alpaca answering at once", bar_lags(e, n_bars, std::chrono::microseconds(500)));
  for (int i = 0; i < 200; ++i) s.delay_next_submit_after_accept(std::chrono::seconds(2));
  std::atomic<bool> done{false};
  std::thread signals([&] {
    for (int i = n_signals; !done.load(); ++i) {
      auto sig = signal_for(e, i);
      e.call([&] { e.process_signal(sig); });
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  report("bar lag, every order's answer held 2 s (50 signals/s)", bar_lags(e, n_bars, std::chrono::microseconds(500)));
  done = true;
  signals.join();
  std::printf("orders at the stand-in: %zu\n", s.orders().size());
  e.request_stop();
  runner.join();
  engine.reset();
  fs::remove_all(dir);
  return 0;
}
