// strategy/rsi_divergence — RSI divergence detection (strategies.md §10.3).
//
// Compares the last `lookback_bars` bars (recent window) with the `lookback_bars` before them
// (prior window). Bullish divergence: a lower low in price with a higher low in RSI, the recent
// RSI low oversold → long. Bearish: a higher high in price with a lower high in RSI, the recent
// RSI high overbought → short. Both emit momentum_exhaustion. The RSI is the divergence-series
// variant of §2.4 (one value per bar from bar p on), kept for the last 2·lookback bars.
//
// Per (symbol, timeframe): a Cutler RSI, rings of the last 2·lookback lows, highs and RSI values
// and the last 20 volumes. Each bar costs O(lookback) over fixed rings and allocates nothing
// unless it fires.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::rsi_divergence {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "rsi_divergence";
constexpr const char* kTimeframeLabel = "1d";  // §10: hard-coded label
constexpr const char* kType = "momentum_exhaustion";
constexpr std::size_t kVolumeWindow = 20;  // §2.10: V[t] vs mean of the last 20 (needs 20 bars)
constexpr double kLongStopFactor = 0.98;   // stop = recent low · 0.98
constexpr double kShortStopFactor = 1.02;  // stop = recent high · 1.02
constexpr double kBaseConviction = 55.0;
constexpr double kPriceWeight = 3.0;
constexpr double kRsiWeight = 0.5;
constexpr double kMaxConviction = 85.0;

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"rsi_period", KeyType::Int, "14",
     "RSI period p: simple-average (Cutler) RSI of the last p changes", 1, 1000},
    {"lookback_bars", KeyType::Int, "10",
     "L: bars per comparison window (recent t−L+1..t, prior t−2L+1..t−L); needs p + 2L bars", 1,
     1000},
    {"rsi_oversold", KeyType::Double, "35.0", "a long needs the recent RSI low below this", 0, 100},
    {"rsi_overbought", KeyType::Double, "65.0", "a short needs the recent RSI high above this", 0,
     100},
    {"min_price_change_pct", KeyType::Double, "1.0",
     "minimum |recent extreme − prior extreme| / prior extreme in percent", 0, 1000},
    {"volume_confirmation", KeyType::Bool, "true",
     "with ≥ 20 bars, no signal when V[t] is below the mean of the last 20 volumes"},
    {"risk_reward", KeyType::Double, "2.0", "target = close ± risk_reward × |close − stop|", 0, 100,
     "", true},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

// The validated, immutable configuration.
struct Settings {
  int rsi_period = 14;
  std::size_t lookback = 10;
  double rsi_oversold = 35.0;
  double rsi_overbought = 65.0;
  double min_price_change_pct = 1.0;
  bool volume_confirmation = true;
  double risk_reward = 2.0;

  std::size_t min_bars() const { return static_cast<std::size_t>(rsi_period) + 2 * lookback; }

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    s.rsi_period = static_cast<int>(config.get_int("rsi_period"));
    s.lookback = static_cast<std::size_t>(config.get_int("lookback_bars"));
    s.rsi_oversold = config.get_double("rsi_oversold");
    s.rsi_overbought = config.get_double("rsi_overbought");
    s.min_price_change_pct = config.get_double("min_price_change_pct");
    s.volume_confirmation = config.get_bool("volume_confirmation");
    s.risk_reward = config.get_double("risk_reward");
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
  explicit SeriesState(const Settings& s)
      : rsi(s.rsi_period),
        rsi_values(2 * s.lookback),
        lows(2 * s.lookback),
        highs(2 * s.lookback),
        volumes(kVolumeWindow) {}
  ind::CutlerRsi rsi;
  ind::Ring<double> rsi_values;   // the RSI series (one per bar from bar p on), last 2L
  ind::Ring<double> lows, highs;  // last 2L bars
  ind::Ring<double> volumes;      // last 20 bars
  std::size_t bars = 0;
  std::int64_t last_ts_us = 0;
};

// Min and max of ring elements back(from) … back(from + count − 1).
struct Extremes {
  double min = std::numeric_limits<double>::max();
  double max = std::numeric_limits<double>::lowest();
};

Extremes extremes(const ind::Ring<double>& r, std::size_t from, std::size_t count) {
  Extremes e;
  for (std::size_t k = from; k < from + count; ++k) {
    e.min = std::min(e.min, r.back(k));
    e.max = std::max(e.max, r.back(k));
  }
  return e;
}

class RsiDivergence final : public axion::sdk::Strategy {
 public:
  RsiDivergence(const axion::sdk::Host& host, const axion::sdk::Config& config)
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
    if (bar.warmup) return;
    evaluate(st, bar, sink);
  }

 private:
  static void update(SeriesState& st, const axion::sdk::BarView& bar) {
    if (bar.ts_us > 0) st.last_ts_us = bar.ts_us;
    st.rsi.update(bar.close);
    if (st.rsi.ready()) st.rsi_values.push(st.rsi.series_value());
    st.lows.push(bar.low);
    st.highs.push(bar.high);
    st.volumes.push(bar.volume);
    ++st.bars;
  }

  void evaluate(const SeriesState& st, const axion::sdk::BarView& bar,
                axion::sdk::SignalSink& sink) const {
    if (st.bars < settings_.min_bars()) return;  // §10.3 step 1
    if (settings_.volume_confirmation && st.bars >= kVolumeWindow &&
        bar.volume < ind::mean_last(st.volumes, kVolumeWindow)) {
      return;  // §2.10 volume gate
    }
    const std::size_t lb = settings_.lookback;
    const Extremes recent_price_low = extremes(st.lows, 0, lb);
    const Extremes prior_price_low = extremes(st.lows, lb, lb);
    const Extremes recent_price_high = extremes(st.highs, 0, lb);
    const Extremes prior_price_high = extremes(st.highs, lb, lb);
    const Extremes recent_rsi = extremes(st.rsi_values, 0, lb);
    const Extremes prior_rsi = extremes(st.rsi_values, lb, lb);
    const double c = bar.close;

    const char* direction = nullptr;
    double stop = 0, target = 0, raw_conviction = 0;
    bool found = false;
    // Bullish: lower low in price, higher low in RSI, recent RSI low oversold.
    const double cur_low = recent_price_low.min, prev_low = prior_price_low.min;
    const double cur_rsi_low = recent_rsi.min, prev_rsi_low = prior_rsi.min;
    if (cur_low < prev_low && cur_rsi_low > prev_rsi_low) {
      const double change = std::fabs(cur_low - prev_low) / std::max(prev_low, 0.01) * 100.0;
      if (change >= settings_.min_price_change_pct && cur_rsi_low < settings_.rsi_oversold) {
        direction = "long";
        stop = cur_low * kLongStopFactor;
        target = c + settings_.risk_reward * (c - stop);
        // Intended sign: a stronger divergence raises conviction (§10.3 original defect).
        raw_conviction =
            kBaseConviction + kPriceWeight * change + kRsiWeight * (cur_rsi_low - prev_rsi_low);
        found = true;
      }
    }
    // Else bearish: higher high in price, lower high in RSI, recent RSI high overbought.
    if (!found) {
      const double cur_high = recent_price_high.max, prev_high = prior_price_high.max;
      const double cur_rsi_high = recent_rsi.max, prev_rsi_high = prior_rsi.max;
      if (cur_high > prev_high && cur_rsi_high < prev_rsi_high) {
        const double change = std::fabs(cur_high - prev_high) / std::max(prev_high, 0.01) * 100.0;
        if (change >= settings_.min_price_change_pct && cur_rsi_high > settings_.rsi_overbought) {
          direction = "short";
          stop = cur_high * kShortStopFactor;
          target = c - settings_.risk_reward * (stop - c);
          raw_conviction =
              kBaseConviction + kPriceWeight * change + kRsiWeight * (prev_rsi_high - cur_rsi_high);
          found = true;
        }
      }
    }
    if (!found) return;
    if (!axion::sdk::protective_sides_ok(direction, c, stop, target)) return;  // §0
    const int conviction = static_cast<int>(std::min(kMaxConviction, raw_conviction));
    sink.emit(axion::sdk::make_strategy_signal(kName, bar, kType, direction, kTimeframeLabel,
                                               conviction, c, stop, target, host().now_us()));
  }

  const Settings settings_;
  const axion::sdk::TimeframeFilter timeframes_;
  axion::sdk::SeriesMap<SeriesState> series_;
};

}  // namespace
}  // namespace axion::plugins::rsi_divergence

AXION_PLUGIN(axion::plugins::rsi_divergence::RsiDivergence, AXION_KIND_STRATEGY, "rsi_divergence",
             "1.0.0", "RSI divergence detection", axion::plugins::rsi_divergence::kKeys)
