// strategy/mean_reversion — the selector's range strategy (strategies.md §11.2), emitted as a
// TradeSignal (§11.2 "As a TradeSignal"), one (symbol, timeframe) series at a time.
//
// Per bar: Cutler RSI over the last rsi_period changes (§2.4), z-score of the close over the last
// zscore_period closes and Bollinger position over the last bb_period closes (§2.9), and the
// close-change ATR estimate (§2.5, 14). O(1) state per series (rings sized at construction, the
// z/Bollinger sums are O(window) over a bounded ring); nothing is allocated unless a signal fires.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::mean_reversion {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr double kMaxPeriod = 10000;
constexpr int kAtrPeriod = 14;  // §2.5 `_estimate_atr(closes, 14)`: fixed, not configurable
constexpr int kExtraBars = 5;   // §11.2 step 1: max(periods) + 5 bars

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"rsi_period", KeyType::Int, "14", "RSI period: changes in the Cutler RSI (§2.4)", 1,
     kMaxPeriod},
    {"rsi_oversold", KeyType::Double, "30.0",
     "RSI below this scores 40·(oversold − RSI)/oversold oversold points", 0, 100, "", true},
    {"rsi_overbought", KeyType::Double, "70.0",
     "RSI above this scores 40·(RSI − overbought)/(100 − overbought) overbought points; must be "
     "greater than rsi_oversold and less than 100",
     0, 100},
    {"zscore_period", KeyType::Int, "50", "closes in the z-score window (§2.9)", 2, kMaxPeriod},
    {"zscore_entry", KeyType::Double, "2.0",
     "|z| beyond this scores min(30, 15·|z|) points on its side", 0, 100, "", true},
    {"zscore_exit", KeyType::Double, "0.5", "reserved, no effect (spec §10)", 0, 100},
    {"bb_period", KeyType::Int, "20", "closes in the Bollinger window (§2.9)", 2, kMaxPeriod},
    {"bb_std", KeyType::Double, "2.0", "Bollinger band half-width in population σ", 0, 100, "",
     true},
    {"min_atr_filter", KeyType::Double, "0.5", "reserved, no effect (spec §10)", 0, 1e9},
    {"max_hold_bars", KeyType::Int, "10", "reserved, no effect (spec §10)", 1, 1e6},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

// The validated, immutable configuration.
struct Settings {
  int rsi_period = 14;
  double rsi_oversold = 30.0;
  double rsi_overbought = 70.0;
  int zscore_period = 50;
  double zscore_entry = 2.0;
  int bb_period = 20;
  double bb_std = 2.0;
  std::size_t min_bars = 55;
  axion::sdk::TimeframeFilter timeframes;

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    s.rsi_period = static_cast<int>(config.get_int("rsi_period"));
    s.rsi_oversold = config.get_double("rsi_oversold");
    s.rsi_overbought = config.get_double("rsi_overbought");
    s.zscore_period = static_cast<int>(config.get_int("zscore_period"));
    s.zscore_entry = config.get_double("zscore_entry");
    s.bb_period = static_cast<int>(config.get_int("bb_period"));
    s.bb_std = config.get_double("bb_std");
    if (s.rsi_oversold >= s.rsi_overbought) {
      throw axion::sdk::Error("rsi_oversold (" + std::to_string(s.rsi_oversold) +
                                  ") must be less than rsi_overbought (" +
                                  std::to_string(s.rsi_overbought) + ")",
                              "rsi_oversold");
    }
    if (s.rsi_overbought >= 100.0) {
      throw axion::sdk::Error("rsi_overbought must be less than 100", "rsi_overbought");
    }
    s.min_bars = static_cast<std::size_t>(std::max({s.rsi_period, s.zscore_period, s.bb_period}) +
                                          kExtraBars);
    s.timeframes = axion::sdk::TimeframeFilter(config);
    return s;
  }
};

// One series' incremental state.
struct State {
  explicit State(const Settings& s)
      : rsi(s.rsi_period),
        closes(static_cast<std::size_t>(std::max(s.zscore_period, s.bb_period))),
        atr(kAtrPeriod) {}
  ind::CutlerRsi rsi;
  ind::Ring<double> closes;
  ind::CloseChangeAtr atr;
  std::size_t bars = 0;
  std::int64_t last_ts_us = 0;
};

class MeanReversionStrategy final : public axion::sdk::Strategy {
 public:
  MeanReversionStrategy(const axion::sdk::Host& host, const axion::sdk::Config& config)
      : Strategy(host), settings_(Settings::from(config)) {}

  void on_bar(const axion::sdk::BarView& bar, axion::sdk::SignalSink& sink) override {
    if (!settings_.timeframes.accepts(bar.timeframe)) return;
    axion::sdk::require_valid_bar(bar);
    State& st = series_.get(bar.symbol, bar.timeframe, [this] { return State(settings_); });
    if (st.bars > 0 && bar.ts_us > 0 && bar.ts_us < st.last_ts_us) {
      throw axion::sdk::Error("out-of-order bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }
    if (bar.ts_us > 0) st.last_ts_us = bar.ts_us;

    const double c = bar.close;
    st.rsi.update(c);
    st.closes.push(c);
    st.atr.update(c);
    ++st.bars;
    if (bar.warmup || st.bars < settings_.min_bars) return;  // insufficient_data

    const double rsi = st.rsi.value();
    const double z = ind::zscore_last(st.closes, static_cast<std::size_t>(settings_.zscore_period));
    const ind::Bollinger bb =
        ind::bollinger_last(st.closes, static_cast<std::size_t>(settings_.bb_period),
                            settings_.bb_std);
    const double az = z < 0 ? -z : z;
    const double os_lo = settings_.rsi_oversold, ob_hi = settings_.rsi_overbought;

    double oversold = 0, overbought = 0;
    if (rsi < os_lo) oversold += 40.0 * (os_lo - rsi) / os_lo;
    if (z < -settings_.zscore_entry) oversold += std::min(30.0, 15.0 * az);
    if (bb.position < 0.05) oversold += 30.0;
    if (rsi > ob_hi) overbought += 40.0 * (rsi - ob_hi) / (100.0 - ob_hi);
    if (z > settings_.zscore_entry) overbought += std::min(30.0, 15.0 * az);
    if (bb.position > 0.95) overbought += 30.0;

    const bool bullish = oversold > overbought && oversold > 30.0;
    const bool bearish = overbought > oversold && overbought > 30.0;
    if (!bullish && !bearish) return;  // neutral: no signal

    const double atr = st.atr.value();
    const double entry = c;
    const double target = bb.mid;
    const double stop = bullish ? c - 2.0 * atr : c + 2.0 * atr;
    const char* direction = bullish ? "long" : "short";
    // §0: a wrong-side stop or target emits nothing.
    if (!axion::sdk::protective_sides_ok(direction, entry, stop, target)) return;

    const double raw = std::min(100.0, bullish ? oversold : overbought);
    axion::sdk::Signal s = axion::sdk::make_strategy_signal(
        "mean_reversion", bar, bullish ? "cloud_bounce_long" : "cloud_bounce_short", direction,
        bar.timeframe, static_cast<int>(raw), entry, stop, target, host().now_us());
    s.metadata.num("rsi", rsi)
        .num("zscore", z)
        .num("bb_position", bb.position)
        .text("signal_type_detail", bullish ? "oversold_bounce" : "overbought_fade");
    sink.emit(s);
  }

 private:
  const Settings settings_;
  axion::sdk::SeriesMap<State> series_;
};

}  // namespace
}  // namespace axion::plugins::mean_reversion

AXION_PLUGIN(axion::plugins::mean_reversion::MeanReversionStrategy, AXION_KIND_STRATEGY,
             "mean_reversion", "1.0.0", "Mean reversion (RSI, z-score, Bollinger)",
             axion::plugins::mean_reversion::kKeys)
