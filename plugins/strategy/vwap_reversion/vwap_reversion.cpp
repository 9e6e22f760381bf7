// strategy/vwap_reversion — VWAP mean-reversion (strategies.md §10.1).
//
// Fades a close stretched away from the session VWAP when the RSI agrees: below VWAP and
// oversold → long (cloud_bounce_long), above VWAP and overbought → short (cloud_bounce_short),
// target back at the VWAP. Per (symbol, timeframe) the state is a session clock with its VWAP
// (§2.7, reset at each session), a Cutler RSI over the whole series (§2.4, VWAP variant) and the
// last 20 volumes (§2.10). O(1) per bar; a Signal is built only on a firing bar.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::vwap_reversion {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "vwap_reversion";
constexpr const char* kTimeframeLabel = "5m";  // §10: hard-coded label
constexpr std::size_t kMinCloses = 15;         // §10.1 step 1
constexpr std::size_t kMinVolumes = 2;
constexpr std::size_t kVolumeWindow = 20;  // §2.10: mean of the last ≤20 volumes, bar t included
constexpr double kStopDistance = 2.0;      // stop = price ∓ 2·|price − VWAP|
constexpr double kBaseConviction = 50.0;
constexpr double kDeviationWeight = 5.0;
constexpr double kMaxConviction = 90.0;

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"rsi_period", KeyType::Int, "14",
     "RSI period: simple-average (Cutler) RSI of the last N changes", 1, 1000},
    {"rsi_oversold", KeyType::Double, "40.0",
     "a long needs RSI below this; conviction adds (rsi_oversold − RSI)", 0, 100},
    {"rsi_overbought", KeyType::Double, "60.0",
     "a short needs RSI above this; conviction adds (RSI − rsi_overbought)", 0, 100},
    {"vwap_deviation_pct", KeyType::Double, "0.5",
     "minimum |close − VWAP| / VWAP in percent (strictly exceeded)", 0, 100},
    {"min_volume_ratio", KeyType::Double, "1.0",
     "minimum V[t] / max(mean of the last ≤20 volumes, 1)", 0, 1000},
    {"risk_reward", KeyType::Double, "2.0", "reserved, no effect (the target is the VWAP)", 0, 100,
     "", true},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

// The validated, immutable configuration.
struct Settings {
  int rsi_period = 14;
  double rsi_oversold = 40.0;
  double rsi_overbought = 60.0;
  double vwap_deviation_pct = 0.5;
  double min_volume_ratio = 1.0;

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    s.rsi_period = static_cast<int>(config.get_int("rsi_period"));
    s.rsi_oversold = config.get_double("rsi_oversold");
    s.rsi_overbought = config.get_double("rsi_overbought");
    s.vwap_deviation_pct = config.get_double("vwap_deviation_pct");
    s.min_volume_ratio = config.get_double("min_volume_ratio");
    if (!(s.rsi_oversold < s.rsi_overbought)) {
      throw axion::sdk::Error("rsi_oversold (" + std::to_string(s.rsi_oversold) +
                                  ") must be less than rsi_overbought (" +
                                  std::to_string(s.rsi_overbought) + ")",
                              "rsi_oversold");
    }
    return s;
  }
};

// One (symbol, timeframe) series.
struct SeriesState {
  explicit SeriesState(const Settings& s) : rsi(s.rsi_period), volumes(kVolumeWindow) {}
  ind::SessionClock clock;
  ind::SessionVwap vwap;      // the current session's bars only
  ind::CutlerRsi rsi;         // the whole series
  ind::Ring<double> volumes;  // the whole series, last 20
  std::size_t bars = 0;
  std::int64_t last_ts_us = 0;
};

class VwapReversion final : public axion::sdk::Strategy {
 public:
  VwapReversion(const axion::sdk::Host& host, const axion::sdk::Config& config)
      : Strategy(host), settings_(Settings::from(config)), timeframes_(config) {}

  void on_bar(const axion::sdk::BarView& bar, axion::sdk::SignalSink& sink) override {
    if (!timeframes_.accepts(bar.timeframe)) return;
    axion::sdk::require_valid_bar(bar);
    SeriesState& st =
        series_.get(bar.symbol, bar.timeframe, [this] { return SeriesState(settings_); });
    if (bar.ts_us > 0 && bar.ts_us < st.last_ts_us) {
      throw axion::sdk::Error("out-of-order bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }
    update(st, bar);
    if (bar.warmup || !st.clock.in_session()) return;  // outside the session: nothing to trade
    evaluate(st, bar, sink);
  }

 private:
  static void update(SeriesState& st, const axion::sdk::BarView& bar) {
    if (bar.ts_us > 0) st.last_ts_us = bar.ts_us;
    if (st.clock.update(bar.ts_us)) st.vwap.reset();
    if (st.clock.in_session()) st.vwap.add(bar.high, bar.low, bar.close, bar.volume);
    st.rsi.update(bar.close);
    st.volumes.push(bar.volume);
    ++st.bars;
  }

  void evaluate(const SeriesState& st, const axion::sdk::BarView& bar,
                axion::sdk::SignalSink& sink) const {
    if (st.bars < kMinCloses || st.bars < kMinVolumes) return;
    const double price = bar.close;
    const double vwap = st.vwap.value();
    const double rsi = st.rsi.value();
    const double vol_ratio = bar.volume / std::max(ind::mean_last(st.volumes, kVolumeWindow), 1.0);
    if (vol_ratio < settings_.min_volume_ratio) return;
    const double dev = (price - vwap) / std::max(vwap, 0.01) * 100.0;
    const double distance = std::fabs(price - vwap);

    const char* type = nullptr;
    const char* direction = nullptr;
    double stop = 0, raw_conviction = 0;
    if (dev < -settings_.vwap_deviation_pct && rsi < settings_.rsi_oversold) {
      type = "cloud_bounce_long", direction = "long";
      stop = price - kStopDistance * distance;
      raw_conviction =
          kBaseConviction + kDeviationWeight * std::fabs(dev) + (settings_.rsi_oversold - rsi);
    } else if (dev > settings_.vwap_deviation_pct && rsi > settings_.rsi_overbought) {
      type = "cloud_bounce_short", direction = "short";
      stop = price + kStopDistance * distance;
      raw_conviction =
          kBaseConviction + kDeviationWeight * std::fabs(dev) + (rsi - settings_.rsi_overbought);
    } else {
      return;
    }
    const double target = vwap;
    if (!axion::sdk::protective_sides_ok(direction, price, stop, target)) return;  // §0
    const int conviction = static_cast<int>(std::min(kMaxConviction, raw_conviction));
    sink.emit(axion::sdk::make_strategy_signal(kName, bar, type, direction, kTimeframeLabel,
                                               conviction, price, stop, target, host().now_us()));
  }

  const Settings settings_;
  const axion::sdk::TimeframeFilter timeframes_;
  axion::sdk::SeriesMap<SeriesState> series_;
};

}  // namespace
}  // namespace axion::plugins::vwap_reversion

AXION_PLUGIN(axion::plugins::vwap_reversion::VwapReversion, AXION_KIND_STRATEGY, "vwap_reversion",
             "1.0.0", "VWAP mean-reversion", axion::plugins::vwap_reversion::kKeys)
