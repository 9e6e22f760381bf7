// strategy/trend_day — an opening-range breakout early in the session that turns into a trend
// day: strong breakout volume, an expanding session range and aligned EMA clouds
// (strategies.md §10.5).
//
// Per (symbol, timeframe) series: four first-value-seeded EMAs over the whole history (§2.1), the
// trend-day ATR (§2.5), the last 20 volumes, the session clock, the running session state
// (opening range, first breakout, session high/low) and, for compatibility mode, the last
// `breakout_deadline_bars` bars. O(breakout_deadline_bars) per bar at most, no allocation unless a
// signal fires.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::trend_day {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "trend_day";
constexpr const char* kLabel = "5m";  // §10: the strategy's hard-coded timeframe label
constexpr double kMaxPeriod = 10000;
constexpr std::size_t kVolumeWindow = 20;  // §2.10: V[breakout] / max(mean(last ≤20 V), 1)
constexpr std::size_t kMinBarsSlack = 5;   // §10.5 step 1: deadline + atr_period + 5

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"opening_range_bars", KeyType::Int, "6", "N: the opening range is the first N session bars", 1,
     1000},
    {"breakout_deadline_bars", KeyType::Int, "12",
     "D: a breakout counts only on session bars N+1 .. D; in compatibility mode (no timestamps) "
     "the session is the last D bars",
     2, 1000},
    {"volume_threshold", KeyType::Double, "1.5", "minimum V[breakout] / max(mean(last <=20 V), 1)",
     0, 1000},
    {"atr_expansion", KeyType::Double, "1.2",
     "minimum session range / ATR (checked only when ATR > 0)", 0, 1000},
    {"atr_period", KeyType::Int, "14",
     "trend-day ATR period (simple mean of the last p true ranges)", 1, kMaxPeriod},
    {"ema_short", KeyType::Int, "5", "fast cloud short EMA period", 1, kMaxPeriod},
    {"ema_long", KeyType::Int, "12", "fast cloud long EMA period", 1, kMaxPeriod},
    {"macro_short", KeyType::Int, "34", "macro cloud short EMA period", 1, kMaxPeriod},
    {"macro_long", KeyType::Int, "50", "macro cloud long EMA period", 1, kMaxPeriod},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

// The validated, immutable configuration.
struct Settings {
  std::size_t or_bars = 6, deadline = 12;
  double volume_threshold = 1.5, atr_expansion = 1.2;
  int atr_period = 14, ema_short = 5, ema_long = 12, macro_short = 34, macro_long = 50;
  std::size_t min_bars = 52;

  static Settings from(const axion::sdk::Config& c) {
    axion::sdk::require_less(c, "opening_range_bars", "breakout_deadline_bars");
    axion::sdk::require_less(c, "ema_short", "ema_long");
    axion::sdk::require_less(c, "macro_short", "macro_long");
    Settings s;
    s.or_bars = static_cast<std::size_t>(c.get_int("opening_range_bars"));
    s.deadline = static_cast<std::size_t>(c.get_int("breakout_deadline_bars"));
    s.volume_threshold = c.get_double("volume_threshold");
    s.atr_expansion = c.get_double("atr_expansion");
    s.atr_period = static_cast<int>(c.get_int("atr_period"));
    s.ema_short = static_cast<int>(c.get_int("ema_short"));
    s.ema_long = static_cast<int>(c.get_int("ema_long"));
    s.macro_short = static_cast<int>(c.get_int("macro_short"));
    s.macro_long = static_cast<int>(c.get_int("macro_long"));
    // §10.5 step 1: max(12 + 14 + 5, 50 + 2) = 52 with the defaults.
    s.min_bars = std::max(s.deadline + static_cast<std::size_t>(s.atr_period) + kMinBarsSlack,
                          static_cast<std::size_t>(s.macro_long) + 2);
    return s;
  }
};

struct Hlcv {
  double high = 0, low = 0, close = 0, volume = 0;
};

// The current session as far as the rule needs it.
struct Session {
  std::size_t k = 0;  // session bars so far
  double or_high = 0, or_low = 0;
  double high = 0, low = 0;
  int breakout = 0;  // +1 up, −1 down, 0 none (yet)
  double breakout_volume = 0;

  void reset() { *this = Session{}; }

  // Adds session bar number k+1 (§10.5 steps 2–3).
  void add(const Hlcv& b, const Settings& s) {
    ++k;
    if (k == 1) {
      or_high = high = b.high;
      or_low = low = b.low;
    } else {
      high = std::max(high, b.high);
      low = std::min(low, b.low);
    }
    if (k <= s.or_bars) {
      or_high = std::max(or_high, b.high);
      or_low = std::min(or_low, b.low);
    } else if (k <= s.deadline && breakout == 0) {
      if (b.close > or_high) {
        breakout = 1, breakout_volume = b.volume;
      } else if (b.close < or_low) {
        breakout = -1, breakout_volume = b.volume;
      }
    }
  }
};

struct SeriesState {
  explicit SeriesState(const Settings& s)
      : ema_s(s.ema_short),
        ema_l(s.ema_long),
        macro_s(s.macro_short),
        macro_l(s.macro_long),
        atr(s.atr_period),
        volumes(kVolumeWindow),
        recent(s.deadline) {}

  ind::Ema ema_s, ema_l, macro_s, macro_l;
  ind::MeanTrueRange atr;
  ind::Ring<double> volumes;
  ind::Ring<Hlcv> recent;  // compatibility mode: the session is these bars
  ind::SessionClock clock;
  Session session;  // timestamps mode
  std::size_t bars = 0;
  std::int64_t last_ts_us = 0;
};

class TrendDay final : public axion::sdk::Strategy {
 public:
  TrendDay(const axion::sdk::Host& host, const axion::sdk::Config& config)
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

    // Update the series.
    const Hlcv b{bar.high, bar.low, bar.close, bar.volume};
    const double e_s = st.ema_s.update(bar.close), e_l = st.ema_l.update(bar.close);
    const double m_s = st.macro_s.update(bar.close), m_l = st.macro_l.update(bar.close);
    st.atr.update(bar.high, bar.low, bar.close);
    st.volumes.push(bar.volume);
    st.recent.push(b);
    const bool new_session = st.clock.update(bar.ts_us);
    const bool compat = st.clock.compat();
    if (!compat) {
      if (new_session) st.session.reset();
      if (st.clock.in_session()) st.session.add(b, settings_);
    }
    st.last_ts_us = bar.ts_us;
    ++st.bars;

    if (bar.warmup || st.bars < settings_.min_bars) return;
    if (!st.clock.in_session()) return;  // before 09:30 ET: no session, no signal

    // Steps 2–3: the session's opening range and first breakout.
    const Session session = compat ? compat_session(st.recent) : st.session;
    if (session.breakout == 0) return;

    // Step 4.
    const double vol_ratio =
        session.breakout_volume / std::max(ind::mean_last(st.volumes, kVolumeWindow), 1.0);
    if (vol_ratio < settings_.volume_threshold) return;

    // Step 5.
    const double atr = st.atr.value();
    const double session_range = session.high - session.low;
    if (atr > 0 && session_range / atr < settings_.atr_expansion) return;

    // Steps 6–7.
    const double c = bar.close;
    const char* direction = nullptr;
    double stop = 0;
    if (session.breakout > 0 && e_s > e_l && m_s > m_l) {
      direction = "long";
      stop = std::min(m_s, m_l) * 0.995;
    } else if (session.breakout < 0 && e_s < e_l && m_s < m_l) {
      direction = "short";
      stop = std::max(m_s, m_l) * 1.005;
    }
    if (!direction || !axion::sdk::protective_sides_ok(direction, c, stop, 0.0)) return;

    // Step 8.
    const double expansion = session_range / std::max(atr, 0.01);
    int conviction = 80;
    if (vol_ratio >= 2.5) {
      conviction += 10;
    } else if (vol_ratio >= 2.0) {
      conviction += 5;
    }
    if (expansion >= 2.0) conviction += 5;
    conviction = std::min(95, conviction);

    const bool is_long = direction[0] == 'l';
    axion::sdk::Signal s = axion::sdk::make_strategy_signal(
        kName, bar, is_long ? "trend_aligned_long" : "trend_aligned_short", direction, kLabel,
        conviction, c, stop, 0.0, host().now_us());
    s.metadata.num("or_high", round2(session.or_high))
        .num("or_low", round2(session.or_low))
        .num("volume_ratio", round2(vol_ratio))
        .num("atr_expansion", round2(expansion));
    sink.emit(s);
  }

 private:
  static double round2(double x) { return std::round(x * 100.0) / 100.0; }

  // Compatibility mode: the session is the last `breakout_deadline_bars` bars (fewer if the
  // series is shorter), replayed in order.
  Session compat_session(const ind::Ring<Hlcv>& recent) const {
    Session s;
    for (std::size_t i = 0; i < recent.size(); ++i) s.add(recent.at(i), settings_);
    return s;
  }

  const Settings settings_;
  const axion::sdk::TimeframeFilter filter_;
  axion::sdk::SeriesMap<SeriesState> series_;
};

}  // namespace
}  // namespace axion::plugins::trend_day

AXION_PLUGIN(axion::plugins::trend_day::TrendDay, AXION_KIND_STRATEGY, "trend_day", "1.0.0",
             "Trend day momentum", axion::plugins::trend_day::kKeys)
