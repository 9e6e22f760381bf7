// strategy/orb_breakout — opening range breakout (strategies.md §10.2).
//
// The opening range is the first N bars of the session (by the ET clock; without timestamps the
// first N bars of the series). A later close beyond the range by more than a small margin, on a
// volume surge relative to the range bars, is a breakout: long above (cloud_cross_bullish),
// short below (cloud_cross_bearish), stop at the other side of the range, target
// risk_reward × range width away. It keeps firing while the conditions hold (§9). O(1) per bar.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::orb_breakout {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "orb_breakout";
constexpr const char* kTimeframeLabel = "5m";  // §10: hard-coded label
constexpr double kMinRangeWidth = 0.01;        // W < 0.01 → no signal
constexpr double kBaseConviction = 60.0;
constexpr double kVolumeWeight = 5.0;
constexpr double kPenetrationWeight = 20.0;
constexpr double kMaxConviction = 90.0;

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"opening_range_bars", KeyType::Int, "3",
     "N: the opening range is the first N session bars; a signal needs N+2 session bars", 1, 1000},
    {"breakout_threshold_pct", KeyType::Double, "0.1",
     "breakout margin as a percentage of the range width (margin = W·pct/100)", 0, 100},
    {"volume_multiplier", KeyType::Double, "1.5",
     "minimum V[t] / max(mean volume of the range bars, 1)", 0, 1000},
    {"time_stop_bars", KeyType::Int, "24", "reserved, no effect", 1, 100000},
    {"risk_reward", KeyType::Double, "2.0", "target = close ± risk_reward × range width", 0, 100,
     "", true},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

// The validated, immutable configuration.
struct Settings {
  std::size_t opening_range_bars = 3;
  double breakout_threshold_pct = 0.1;
  double volume_multiplier = 1.5;
  double risk_reward = 2.0;

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    s.opening_range_bars = static_cast<std::size_t>(config.get_int("opening_range_bars"));
    s.breakout_threshold_pct = config.get_double("breakout_threshold_pct");
    s.volume_multiplier = config.get_double("volume_multiplier");
    s.risk_reward = config.get_double("risk_reward");
    return s;
  }
};

// One (symbol, timeframe) series: the session clock and the current session's opening range.
struct SeriesState {
  ind::SessionClock clock;
  double range_high = 0, range_low = 0, range_volume = 0;
  std::int64_t last_ts_us = 0;

  void reset_range() {
    range_high = std::numeric_limits<double>::lowest();
    range_low = std::numeric_limits<double>::max();
    range_volume = 0;
  }
};

class OrbBreakout final : public axion::sdk::Strategy {
 public:
  OrbBreakout(const axion::sdk::Host& host, const axion::sdk::Config& config)
      : Strategy(host), settings_(Settings::from(config)), timeframes_(config) {}

  void on_bar(const axion::sdk::BarView& bar, axion::sdk::SignalSink& sink) override {
    if (!timeframes_.accepts(bar.timeframe)) return;
    axion::sdk::require_valid_bar(bar);
    SeriesState& st = series_.get(bar.symbol, bar.timeframe, [] { return SeriesState(); });
    if (bar.ts_us > 0 && bar.ts_us < st.last_ts_us) {
      throw axion::sdk::Error("out-of-order bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }
    update(st, bar);
    if (bar.warmup || !st.clock.in_session()) return;  // outside the session: nothing to trade
    evaluate(st, bar, sink);
  }

 private:
  void update(SeriesState& st, const axion::sdk::BarView& bar) const {
    if (bar.ts_us > 0) st.last_ts_us = bar.ts_us;
    if (st.clock.update(bar.ts_us)) st.reset_range();
    if (st.clock.in_session() && st.clock.index() <= settings_.opening_range_bars) {
      st.range_high = std::max(st.range_high, bar.high);
      st.range_low = std::min(st.range_low, bar.low);
      st.range_volume += bar.volume;
    }
  }

  void evaluate(const SeriesState& st, const axion::sdk::BarView& bar,
                axion::sdk::SignalSink& sink) const {
    const std::size_t n_range = settings_.opening_range_bars;
    if (st.clock.index() < n_range + 2) return;  // §10.2 step 1
    const double rh = st.range_high, rl = st.range_low;
    const double width = rh - rl;
    if (width < kMinRangeWidth) return;
    const double range_mean_volume = st.range_volume / static_cast<double>(n_range);
    const double vol_ratio = bar.volume / std::max(range_mean_volume, 1.0);
    if (vol_ratio < settings_.volume_multiplier) return;
    const double margin = width * settings_.breakout_threshold_pct / 100.0;
    const double c = bar.close;

    const char* type = nullptr;
    const char* direction = nullptr;
    double stop = 0, target = 0, raw_conviction = 0;
    if (c > rh + margin) {
      type = "cloud_cross_bullish", direction = "long";
      target = c + settings_.risk_reward * width;
      stop = rl;
      raw_conviction =
          kBaseConviction + kVolumeWeight * vol_ratio + kPenetrationWeight * (c - rh) / width;
    } else if (c < rl - margin) {
      type = "cloud_cross_bearish", direction = "short";
      target = c - settings_.risk_reward * width;
      stop = rh;
      raw_conviction =
          kBaseConviction + kVolumeWeight * vol_ratio + kPenetrationWeight * (rl - c) / width;
    } else {
      return;
    }
    if (!axion::sdk::protective_sides_ok(direction, c, stop, target)) return;  // §0
    const int conviction = static_cast<int>(std::min(kMaxConviction, raw_conviction));
    sink.emit(axion::sdk::make_strategy_signal(kName, bar, type, direction, kTimeframeLabel,
                                               conviction, c, stop, target, host().now_us()));
  }

  const Settings settings_;
  const axion::sdk::TimeframeFilter timeframes_;
  axion::sdk::SeriesMap<SeriesState> series_;
};

}  // namespace
}  // namespace axion::plugins::orb_breakout

AXION_PLUGIN(axion::plugins::orb_breakout::OrbBreakout, AXION_KIND_STRATEGY, "orb_breakout",
             "1.0.0", "Opening range breakout", axion::plugins::orb_breakout::kKeys)
