// strategy/session_scalp — intraday scalps whose rule depends on the time of day
// (strategies.md §10.6): an opening-range break at the open bell, a pullback-cloud bounce at
// midday, a trend-aligned entry in the power hour.
//
// The session index k comes from the clock (bars of the current ET trading day from 09:30;
// compatibility mode without timestamps: the whole series is one session and k = n). Per
// (symbol, timeframe) series: six first-value-seeded EMAs over the whole history (§2.1), the last
// 20 volumes, the session's first three bars, the previous bar and one "closed above / below the
// macro cloud" flag per bar for the midday trend window. O(midday_min_trend_bars) per bar at most,
// no allocation unless a signal fires.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::session_scalp {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "session_scalp";
constexpr const char* kLabel = "5m";  // §10: the strategy's hard-coded timeframe label
constexpr double kMaxPeriod = 10000;

// Fixed parts of the rule (§10.6).
constexpr std::size_t kOpenBellMinBars = 4;   // open bell needs ≥ 4 session bars
constexpr std::size_t kOpeningRangeBars = 3;  // ORH/ORL over the first 3 session bars
constexpr std::size_t kOpenBellVolumeWindow = 10;
constexpr double kOpenBellMinVolumeRatio = 1.2;
constexpr std::size_t kPowerHourVolumeWindow = 20;
constexpr double kPowerHourMinVolumeRatio = 1.3;
constexpr double kOpenBellRiskReward = 2.0, kMiddayRiskReward = 1.5, kPowerHourRiskReward = 2.5;

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"open_bell_end_bar", KeyType::Int, "12",
     "session index k <= this is the open bell (09:30-10:30 with 5-minute bars)", 1, 100000},
    {"power_hour_start_bar", KeyType::Int, "54",
     "session index k >= this is the power hour (from 14:00 ET with 5-minute bars); between the "
     "two is midday",
     2, 100000},
    {"midday_min_trend_bars", KeyType::Int, "8",
     "M: at midday the trend must hold on the M closes t-(2M-2) .. t-(M-1)", 1, 1000},
    {"ema_fast", KeyType::Int, "5", "fast cloud short EMA period", 1, kMaxPeriod},
    {"ema_slow", KeyType::Int, "12", "fast cloud long EMA period", 1, kMaxPeriod},
    {"pullback_short", KeyType::Int, "8", "pullback cloud short EMA period (midday)", 1,
     kMaxPeriod},
    {"pullback_long", KeyType::Int, "9", "pullback cloud long EMA period (midday)", 1, kMaxPeriod},
    {"macro_short", KeyType::Int, "34", "macro cloud short EMA period", 1, kMaxPeriod},
    {"macro_long", KeyType::Int, "50", "macro cloud long EMA period", 1, kMaxPeriod},
    {"open_bell_conviction_boost", KeyType::Int, "10", "open bell conviction = min(90, 65 + this)",
     0, 100},
    {"midday_conviction_penalty", KeyType::Int, "10", "midday conviction = max(40, 55 - this)", 0,
     100},
    {"power_hour_conviction_boost", KeyType::Int, "5", "power hour conviction = min(85, 60 + this)",
     0, 100},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

// The validated, immutable configuration.
struct Settings {
  std::size_t open_bell_end = 12, power_hour_start = 54, trend_bars = 8;
  int ema_fast = 5, ema_slow = 12, pullback_short = 8, pullback_long = 9;
  int macro_short = 34, macro_long = 50;
  int open_bell_conviction = 75, midday_conviction = 45, power_hour_conviction = 65;
  std::size_t min_bars = 56;

  static Settings from(const axion::sdk::Config& c) {
    axion::sdk::require_less(c, "open_bell_end_bar", "power_hour_start_bar");
    axion::sdk::require_less(c, "ema_fast", "ema_slow");
    axion::sdk::require_less(c, "pullback_short", "pullback_long");
    axion::sdk::require_less(c, "macro_short", "macro_long");
    Settings s;
    s.open_bell_end = static_cast<std::size_t>(c.get_int("open_bell_end_bar"));
    s.power_hour_start = static_cast<std::size_t>(c.get_int("power_hour_start_bar"));
    s.trend_bars = static_cast<std::size_t>(c.get_int("midday_min_trend_bars"));
    s.ema_fast = static_cast<int>(c.get_int("ema_fast"));
    s.ema_slow = static_cast<int>(c.get_int("ema_slow"));
    s.pullback_short = static_cast<int>(c.get_int("pullback_short"));
    s.pullback_long = static_cast<int>(c.get_int("pullback_long"));
    s.macro_short = static_cast<int>(c.get_int("macro_short"));
    s.macro_long = static_cast<int>(c.get_int("macro_long"));
    s.open_bell_conviction =
        std::min(90, 65 + static_cast<int>(c.get_int("open_bell_conviction_boost")));
    s.midday_conviction =
        std::max(40, 55 - static_cast<int>(c.get_int("midday_conviction_penalty")));
    s.power_hour_conviction =
        std::min(85, 60 + static_cast<int>(c.get_int("power_hour_conviction_boost")));
    // §10.6 step 1: max(50 + 2, 54 + 2) = 56 with the defaults; never fewer than the 2M−1 bars
    // the midday trend window reaches back.
    s.min_bars = std::max(
        {static_cast<std::size_t>(s.macro_long) + 2, s.power_hour_start + 2, 2 * s.trend_bars - 1});
    return s;
  }
};

// Whether a close was above the whole macro cloud (+1), below it (−1) or neither (0).
using TrendFlag = signed char;

struct SeriesState {
  explicit SeriesState(const Settings& s)
      : fast(s.ema_fast),
        slow(s.ema_slow),
        pb_s(s.pullback_short),
        pb_l(s.pullback_long),
        macro_s(s.macro_short),
        macro_l(s.macro_long),
        volumes(kPowerHourVolumeWindow),
        flags(2 * s.trend_bars - 1) {}

  ind::Ema fast, slow, pb_s, pb_l, macro_s, macro_l;
  ind::Ring<double> volumes;
  ind::Ring<TrendFlag> flags;  // newest = bar t
  ind::SessionClock clock;
  double or_high = 0, or_low = 0;  // over the session's first 3 bars
  double prev_high = 0, prev_low = 0;
  std::size_t bars = 0;
  std::int64_t last_ts_us = 0;
};

// What the rule decided for one bar.
struct Setup {
  const char* type = nullptr;
  const char* direction = nullptr;
  const char* session = nullptr;
  int conviction = 0;
  double stop = 0, target = 0;
  double volume_ratio = -1;  // < 0: not reported (midday)
};

class SessionScalp final : public axion::sdk::Strategy {
 public:
  SessionScalp(const axion::sdk::Host& host, const axion::sdk::Config& config)
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
    const double prev_high = st.prev_high, prev_low = st.prev_low;
    const Emas e{st.fast.update(bar.close),    st.slow.update(bar.close),
                 st.pb_s.update(bar.close),    st.pb_l.update(bar.close),
                 st.macro_s.update(bar.close), st.macro_l.update(bar.close)};
    const double mu = std::max(e.macro_s, e.macro_l), ml = std::min(e.macro_s, e.macro_l);
    st.flags.push(bar.close > mu ? TrendFlag{1} : bar.close < ml ? TrendFlag{-1} : TrendFlag{0});
    st.volumes.push(bar.volume);
    st.clock.update(bar.ts_us);
    const std::size_t k = st.clock.index();  // 0 before 09:30 ET
    if (k == 1) {
      st.or_high = bar.high, st.or_low = bar.low;
    } else if (k >= 2 && k <= kOpeningRangeBars) {
      st.or_high = std::max(st.or_high, bar.high), st.or_low = std::min(st.or_low, bar.low);
    }
    st.prev_high = bar.high, st.prev_low = bar.low;
    st.last_ts_us = bar.ts_us;
    ++st.bars;

    if (bar.warmup || st.bars < settings_.min_bars || k == 0) return;

    Setup setup;
    if (k <= settings_.open_bell_end) {
      setup = open_bell(st, bar, e, k);
    } else if (k >= settings_.power_hour_start) {
      setup = power_hour(st, bar, e);
    } else {
      setup = midday(st, bar, e, prev_high, prev_low);
    }
    if (!setup.type ||
        !axion::sdk::protective_sides_ok(setup.direction, bar.close, setup.stop, setup.target)) {
      return;
    }
    axion::sdk::Signal s = axion::sdk::make_strategy_signal(
        kName, bar, setup.type, setup.direction, kLabel, setup.conviction, bar.close, setup.stop,
        setup.target, host().now_us());
    s.metadata.text("session", setup.session);
    if (setup.volume_ratio >= 0) {
      s.metadata.num("volume_ratio", std::round(setup.volume_ratio * 100.0) / 100.0);
    }
    sink.emit(s);
  }

 private:
  struct Emas {
    double fast, slow, pb_s, pb_l, macro_s, macro_l;
  };

  static double volume_ratio(const SeriesState& st, double volume, std::size_t window) {
    return volume / std::max(ind::mean_last(st.volumes, window), 1.0);
  }

  // §10.6 step 3.
  Setup open_bell(const SeriesState& st, const axion::sdk::BarView& bar, const Emas& e,
                  std::size_t k) const {
    Setup s;
    if (k < kOpenBellMinBars) return s;
    const double vr = volume_ratio(st, bar.volume, kOpenBellVolumeWindow);
    if (vr < kOpenBellMinVolumeRatio) return s;
    const double c = bar.close;
    if (c > st.or_high && e.fast > e.slow) {
      s.type = "cloud_cross_bullish", s.direction = "long";
      s.stop = st.or_low * 0.998;
      s.target = c + kOpenBellRiskReward * (c - s.stop);
    } else if (c < st.or_low && e.fast < e.slow) {
      s.type = "cloud_cross_bearish", s.direction = "short";
      s.stop = st.or_high * 1.002;
      s.target = c - kOpenBellRiskReward * (s.stop - c);
    } else {
      return Setup{};
    }
    s.session = "open_bell";
    s.conviction = settings_.open_bell_conviction;
    s.volume_ratio = vr;
    return s;
  }

  // §10.6 step 4: the trend over bars t−(M−1) … t−(2M−2), i.e. ring offsets M−1 … 2M−2.
  Setup midday(const SeriesState& st, const axion::sdk::BarView& bar, const Emas& e,
               double prev_high, double prev_low) const {
    bool up = true, down = true;
    for (std::size_t k = settings_.trend_bars - 1; k <= 2 * settings_.trend_bars - 2; ++k) {
      const TrendFlag f = st.flags.back(k);
      up = up && f > 0;
      down = down && f < 0;
    }
    const double pu = std::max(e.pb_s, e.pb_l), pl = std::min(e.pb_s, e.pb_l);
    const double c = bar.close;
    Setup s;
    if (up && prev_low <= pu * 1.002 && c > pu) {
      s.type = "cloud_bounce_long", s.direction = "long";
      s.stop = std::min(e.macro_s, e.macro_l) * 0.998;
      s.target = c + kMiddayRiskReward * (c - s.stop);
    } else if (down && prev_high >= pl * 0.998 && c < pl) {
      s.type = "cloud_bounce_short", s.direction = "short";
      s.stop = std::max(e.macro_s, e.macro_l) * 1.002;
      s.target = c - kMiddayRiskReward * (s.stop - c);
    } else {
      return Setup{};
    }
    s.session = "midday";
    s.conviction = settings_.midday_conviction;
    return s;
  }

  // §10.6 step 5.
  Setup power_hour(const SeriesState& st, const axion::sdk::BarView& bar, const Emas& e) const {
    Setup s;
    const double vr = volume_ratio(st, bar.volume, kPowerHourVolumeWindow);
    if (vr < kPowerHourMinVolumeRatio) return s;
    const double c = bar.close;
    if (e.fast > e.slow && e.macro_s > e.macro_l && c > e.fast) {
      s.type = "trend_aligned_long", s.direction = "long";
      s.stop = std::min(e.fast, e.slow) * 0.998;
      s.target = c + kPowerHourRiskReward * (c - s.stop);
    } else if (e.fast < e.slow && e.macro_s < e.macro_l && c < e.fast) {
      s.type = "trend_aligned_short", s.direction = "short";
      s.stop = std::max(e.fast, e.slow) * 1.002;
      s.target = c - kPowerHourRiskReward * (s.stop - c);
    } else {
      return Setup{};
    }
    s.session = "power_hour";
    s.conviction = settings_.power_hour_conviction;
    s.volume_ratio = vr;
    return s;
  }

  const Settings settings_;
  const axion::sdk::TimeframeFilter filter_;
  axion::sdk::SeriesMap<SeriesState> series_;
};

}  // namespace
}  // namespace axion::plugins::session_scalp

AXION_PLUGIN(axion::plugins::session_scalp::SessionScalp, AXION_KIND_STRATEGY, "session_scalp",
             "1.0.0", "Intraday session scalping", axion::plugins::session_scalp::kKeys)
