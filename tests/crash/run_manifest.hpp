// The paper manifest of one harness run: the synthetic feed unpaced from a later start date each
// run (the engine clock only moves forward across restarts), one strategy that trades often, and
// the paper broker with its faults and the submit log.
#pragma once

#include <cstdint>
#include <string>

namespace axion::crash {

struct BrokerFaults {
  double latency_ms = 0;
  double partial_fill_rate = 0;
  double reject_rate = 0;
  double timeout_rate = 0;
  double ghost_fill_rate = 0;
};

struct RunManifest {
  std::uint16_t port = 0;
  std::uint64_t feed_seed = 1;
  std::uint64_t broker_seed = 1;
  std::string start_date;  // YYYY-MM-DD
  int warmup_bars = 100;
  int bars = 300;  // after the warm-up
  bool close_on_shutdown = true;
  double pace_ms = 0;  // feed pace per bar; 0 = unpaced (the host runs with --no-pace)
  double reconcile_interval_seconds = 60;  // engine clock: every 5-minute bar
  BrokerFaults faults;
  std::string submit_log;  // absolute path

  std::string toml() const;
};

// Minutes of the feed's bars: the harness keeps the broker latency below one bar.
constexpr int kBarSeconds = 300;

// `days` calendar days after `date` (YYYY-MM-DD).
std::string add_days(const std::string& date, int days);

}  // namespace axion::crash
