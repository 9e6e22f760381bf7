// strategy/pullback_to_cloud — a pullback into the fast EMA cloud inside an established macro
// trend, then a bounce out of it (strategies.md §10.4).
//
// Per (symbol, timeframe) series: four first-value-seeded EMAs over the whole history (§2.1), the
// last 20 volumes, the previous bar, and one "closed above / below the macro cloud" flag per bar
// for the trend window. O(trend_lookback) per bar at most, no allocation unless a signal fires.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::pullback_to_cloud {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "pullback_to_cloud";
constexpr const char* kLabel = "5m";  // §10: the strategy's hard-coded timeframe label
constexpr double kMaxPeriod = 10000;
constexpr std::size_t kVolumeWindow = 20;  // §2.10: V[t] / max(mean(last ≤20 V), 1)

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"trend_lookback", KeyType::Int, "10",
     "T: the trend must hold on the T closes t-(2T-2) .. t-(T-1); also adds +5 (T >= 10) or +10 "
     "(T >= 15) conviction",
     1, 1000},
    {"pullback_threshold_pct", KeyType::Double, "0.3",
     "how far (percent of the fast cloud edge) the previous bar may stop short of the cloud", 0,
     100},
    {"min_volume_ratio", KeyType::Double, "1.0", "minimum V[t] / max(mean(last <=20 V), 1) to emit",
     0, 1000},
    {"risk_reward", KeyType::Double, "2.0", "target distance as a multiple of the risk", 0, 100, "",
     true},
    {"fast_short", KeyType::Int, "5", "fast cloud short EMA period", 1, kMaxPeriod},
    {"fast_long", KeyType::Int, "12", "fast cloud long EMA period", 1, kMaxPeriod},
    {"macro_short", KeyType::Int, "34", "macro cloud short EMA period", 1, kMaxPeriod},
    {"macro_long", KeyType::Int, "50", "macro cloud long EMA period", 1, kMaxPeriod},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

// The validated, immutable configuration.
struct Settings {
  int trend_lookback = 10;
  double pullback_threshold_pct = 0.3;
  double min_volume_ratio = 1.0;
  double risk_reward = 2.0;
  int fast_short = 5, fast_long = 12, macro_short = 34, macro_long = 50;
  std::size_t min_bars = 60;
  int trend_bonus = 5;

  static Settings from(const axion::sdk::Config& c) {
    axion::sdk::require_less(c, "fast_short", "fast_long");
    axion::sdk::require_less(c, "macro_short", "macro_long");
    Settings s;
    s.trend_lookback = static_cast<int>(c.get_int("trend_lookback"));
    s.pullback_threshold_pct = c.get_double("pullback_threshold_pct");
    s.min_volume_ratio = c.get_double("min_volume_ratio");
    s.risk_reward = c.get_double("risk_reward");
    s.fast_short = static_cast<int>(c.get_int("fast_short"));
    s.fast_long = static_cast<int>(c.get_int("fast_long"));
    s.macro_short = static_cast<int>(c.get_int("macro_short"));
    s.macro_long = static_cast<int>(c.get_int("macro_long"));
    // §10.4 step 1: max(macro_long + T, macro_long + 2) = 60 with the defaults; never fewer than
    // the 2T−1 bars the trend window reaches back.
    const std::size_t t = static_cast<std::size_t>(s.trend_lookback);
    const std::size_t ml = static_cast<std::size_t>(s.macro_long);
    s.min_bars = std::max({ml + t, ml + 2, 2 * t - 1});
    s.trend_bonus = s.trend_lookback >= 15 ? 10 : s.trend_lookback >= 10 ? 5 : 0;
    return s;
  }
};

// Whether a close was above the whole macro cloud (+1), below it (−1) or neither (0).
using TrendFlag = signed char;

struct SeriesState {
  explicit SeriesState(const Settings& s)
      : fast_s(s.fast_short),
        fast_l(s.fast_long),
        macro_s(s.macro_short),
        macro_l(s.macro_long),
        volumes(kVolumeWindow),
        flags(2 * static_cast<std::size_t>(s.trend_lookback) - 1) {}

  ind::Ema fast_s, fast_l, macro_s, macro_l;
  ind::Ring<double> volumes;
  ind::Ring<TrendFlag> flags;  // newest = bar t
  double prev_high = 0, prev_low = 0, prev_close = 0;
  std::size_t bars = 0;
  std::int64_t last_ts_us = 0;
};

class PullbackToCloud final : public axion::sdk::Strategy {
 public:
  PullbackToCloud(const axion::sdk::Host& host, const axion::sdk::Config& config)
      : Strategy(host), settings_(Settings::from(config)), filter_(config) {}

  void on_bar(const axion::sdk::BarView& bar, axion::sdk::SignalSink& sink) override {
    if (!filter_.accepts(bar.timeframe)) return;
    axion::sdk::require_valid_bar(bar);
    SeriesState& st =
        series_.get(bar.symbol, bar.timeframe, [this] { return SeriesState(settings_); });
    if (bar.ts_us > 0 && st.bars > 0 && bar.ts_us < st.last_ts_us) {
      throw axion::sdk::Error("out-of-order bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }

    // Update the series (the previous bar's prices are read before they are replaced).
    const double prev_high = st.prev_high, prev_low = st.prev_low, prev_close = st.prev_close;
    const double e_fs = st.fast_s.update(bar.close), e_fl = st.fast_l.update(bar.close);
    const double e_ms = st.macro_s.update(bar.close), e_ml = st.macro_l.update(bar.close);
    const double mu = std::max(e_ms, e_ml), ml = std::min(e_ms, e_ml);
    st.flags.push(bar.close > mu ? TrendFlag{1} : bar.close < ml ? TrendFlag{-1} : TrendFlag{0});
    st.volumes.push(bar.volume);
    st.prev_high = bar.high, st.prev_low = bar.low, st.prev_close = bar.close;
    st.last_ts_us = bar.ts_us;
    ++st.bars;

    if (bar.warmup || st.bars < settings_.min_bars) return;

    // §10.4 step 2–3.
    const double fu = std::max(e_fs, e_fl), fl = std::min(e_fs, e_fl);
    const double vol_ratio = bar.volume / std::max(ind::mean_last(st.volumes, kVolumeWindow), 1.0);
    if (vol_ratio < settings_.min_volume_ratio) return;

    // Step 4–5: the trend over bars t−(T−1) … t−(2T−2), i.e. ring offsets T−1 … 2T−2.
    const std::size_t t_lb = static_cast<std::size_t>(settings_.trend_lookback);
    bool up = true, down = true;
    for (std::size_t k = t_lb - 1; k <= 2 * t_lb - 2; ++k) {
      const TrendFlag f = st.flags.back(k);
      up = up && f > 0;
      down = down && f < 0;
    }

    const double c = bar.close;
    const char* direction = nullptr;
    double stop = 0, target = 0;
    if (up) {
      const double thr = fu * settings_.pullback_threshold_pct / 100.0;
      const bool pullback = prev_low <= fu + thr && prev_close >= fl;
      if (pullback && c > fu) {
        direction = "long";
        stop = ml * 0.998;
        target = c + settings_.risk_reward * (c - stop);
      }
    } else if (down) {
      const double thr = fl * settings_.pullback_threshold_pct / 100.0;
      const bool pullback = prev_high >= fl - thr && prev_close <= fu;
      if (pullback && c < fl) {
        direction = "short";
        stop = mu * 1.002;
        target = c - settings_.risk_reward * (stop - c);
      }
    }
    if (!direction || !axion::sdk::protective_sides_ok(direction, c, stop, target)) return;

    // Step 6.
    int conviction = 55;
    if (vol_ratio >= 2.0) {
      conviction += 15;
    } else if (vol_ratio >= 1.5) {
      conviction += 10;
    } else if (vol_ratio >= 1.2) {
      conviction += 5;
    }
    conviction = std::min(90, conviction + settings_.trend_bonus);

    const bool is_long = direction[0] == 'l';
    axion::sdk::Signal s = axion::sdk::make_strategy_signal(
        kName, bar, is_long ? "cloud_bounce_long" : "cloud_bounce_short", direction, kLabel,
        conviction, c, stop, target, host().now_us());
    s.metadata.text("trend", is_long ? "uptrend" : "downtrend")
        .num("volume_ratio", std::round(vol_ratio * 100.0) / 100.0);
    sink.emit(s);
  }

 private:
  const Settings settings_;
  const axion::sdk::TimeframeFilter filter_;
  axion::sdk::SeriesMap<SeriesState> series_;
};

}  // namespace
}  // namespace axion::plugins::pullback_to_cloud

AXION_PLUGIN(axion::plugins::pullback_to_cloud::PullbackToCloud, AXION_KIND_STRATEGY,
             "pullback_to_cloud", "1.0.0", "Pullback to EMA cloud",
             axion::plugins::pullback_to_cloud::kKeys)
