// strategy/qullamaggie_parabolic_short — Qullamaggie parabolic short (strategies.md §10.9).
//
// A short after a parabolic surge: within the last surge_max_bars bars the close ran up
// ≥ surge_min_pct (the low strictly before the high), with ≥ consecutive_up_days up closes ending
// at the previous bar, and the latest bar is a red candle or closes below the 20-bar VWAP.
//
// Per (symbol, timeframe) the state is a ring of the last max(surge_max_bars + 1, 20,
// target_sma_period) bars and the up-close streak; each bar costs O(window) and allocates nothing
// unless it fires.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "axion/sdk/format.hpp"
#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::qullamaggie_parabolic_short {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "qullamaggie_parabolic_short";
constexpr const char* kLabel = "1d";

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"surge_min_pct", KeyType::Double, "100.0",
     "minimum run-up (low before high) of the close within the surge window, %", 0, 1e9},
    {"surge_max_bars", KeyType::Int, "20",
     "surge window S: closes t-S … t; a series needs S+5 bars", 1, 5000},
    {"consecutive_up_days", KeyType::Int, "3",
     "minimum consecutive up closes counted back from the previous bar", 0, 5000},
    {"vwap_entry", KeyType::Bool, "true",
     "a close below the 20-bar VWAP also qualifies the latest bar (besides a red candle)"},
    {"stop_at_hod", KeyType::Bool, "true",
     "stop = the latest bar's high; false: the highest high of the last 3 bars"},
    {"target_sma_period", KeyType::Int, "20",
     "target = mean of the last target_sma_period closes (entry*0.85 with fewer bars)", 1, 5000},
    {"risk_per_trade", KeyType::Double, "0.005", "reserved, no effect (sizing is the pipeline's)",
     0, 1},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

constexpr std::size_t kVwapBars = 20;
constexpr std::size_t kHodBars = 3;

// The validated, immutable configuration.
struct Settings {
  double surge_min_pct = 100.0;
  std::size_t surge_max_bars = 20;
  std::size_t consecutive_up_days = 3;
  bool vwap_entry = true;
  bool stop_at_hod = true;
  std::size_t target_sma_period = 20;
  axion::sdk::TimeframeFilter timeframes;

  std::size_t min_bars() const { return surge_max_bars + 5; }

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    s.surge_min_pct = config.get_double("surge_min_pct");
    s.surge_max_bars = static_cast<std::size_t>(config.get_int("surge_max_bars"));
    s.consecutive_up_days = static_cast<std::size_t>(config.get_int("consecutive_up_days"));
    s.vwap_entry = config.get_bool("vwap_entry");
    s.stop_at_hod = config.get_bool("stop_at_hod");
    s.target_sma_period = static_cast<std::size_t>(config.get_int("target_sma_period"));
    s.timeframes = axion::sdk::TimeframeFilter(config);
    return s;
  }
};

struct Ohlcv {
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

struct Setup {
  double entry = 0, stop = 0, target = 0;
  int conviction = 0;
  double surge_pct = 0, vwap = 0;
  std::size_t up_days = 0;
  bool red = false, below_vwap = false;
};

// One (symbol, timeframe) series.
class Series {
 public:
  explicit Series(const Settings& s)
      : bars_(std::max({s.surge_max_bars + 1, kVwapBars, s.target_sma_period, kHodBars})) {}

  std::int64_t last_ts_us = 0;

  void update(const axion::sdk::BarView& b) {
    bars_.push({b.open, b.high, b.low, b.close, b.volume});
    up_.update(b.close);
    ++count_;
  }

  // §10.9 on the window 0 … t; nullopt = no signal.
  std::optional<Setup> evaluate(const Settings& s) const {
    if (count_ < s.min_bars()) return std::nullopt;  // 1.
    const Ohlcv& bar = bars_.back();

    // 2. Largest run-up within C[t−S … t], the low strictly before the high.
    const std::size_t w = s.surge_max_bars + 1;
    double low = bars_.back(w - 1).close, surge = -1e300;
    for (std::size_t j = 1; j < w; ++j) {
      const double c = bars_.back(w - 1 - j).close;
      surge = std::max(surge, (c - low) / low * 100.0);
      low = std::min(low, c);
      if (low <= 0) return std::nullopt;
    }
    if (surge < s.surge_min_pct) return std::nullopt;

    const std::size_t up_days = up_.before_latest();  // 3.
    if (up_days < s.consecutive_up_days) return std::nullopt;

    // 4. Red candle or a close below the VWAP of the last 20 bars.
    const bool red = bar.close < bar.open;
    const std::size_t kv = std::min(kVwapBars, count_);
    double pv = 0, vol = 0;
    for (std::size_t i = kv; i-- > 0;) {
      const Ohlcv& x = bars_.back(i);
      pv += (x.high + x.low + x.close) / 3.0 * x.volume;
      vol += x.volume;
    }
    const double vwap = vol > 0 ? pv / vol : 0.0;
    const bool below = s.vwap_entry && bar.close < vwap;
    if (!red && !below) return std::nullopt;

    Setup out;  // 5.
    out.entry = bar.close;
    if (s.stop_at_hod) {
      out.stop = bar.high;
    } else {
      out.stop = bar.high;
      for (std::size_t i = 1; i < std::min(kHodBars, count_); ++i) {
        out.stop = std::max(out.stop, bars_.back(i).high);
      }
    }
    if (count_ >= s.target_sma_period) {
      out.target =
          ind::mean_last(bars_, s.target_sma_period, [](const Ohlcv& x) { return x.close; });
    } else {
      out.target = out.entry * 0.85;
    }
    if (out.target >= out.entry) out.target = out.entry * 0.90;

    int conviction = 55;  // 6.
    if (surge > 200) {
      conviction += 10;
    } else if (surge > 150) {
      conviction += 5;
    }
    if (up_days >= 5) {
      conviction += 10;
    } else if (up_days >= 4) {
      conviction += 5;
    }
    if (red) conviction += 5;
    if (below) conviction += 5;
    out.conviction = std::min(conviction, 90);
    out.surge_pct = surge, out.vwap = vwap, out.up_days = up_days;
    out.red = red, out.below_vwap = below;
    return out;
  }

 private:
  ind::Ring<Ohlcv> bars_;
  ind::UpDayStreak up_;
  std::size_t count_ = 0;
};

class QullamaggieParabolicShort final : public axion::sdk::Strategy {
 public:
  QullamaggieParabolicShort(const axion::sdk::Host& host, const axion::sdk::Config& config)
      : Strategy(host), settings_(Settings::from(config)) {}

  void on_bar(const axion::sdk::BarView& bar, axion::sdk::SignalSink& sink) override {
    if (!settings_.timeframes.accepts(bar.timeframe)) return;
    axion::sdk::require_valid_bar(bar);
    Series& series = series_.get(bar.symbol, bar.timeframe, [this] { return Series(settings_); });
    if (bar.ts_us > 0 && bar.ts_us < series.last_ts_us) {
      throw axion::sdk::Error("out-of-order bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }
    if (bar.ts_us > 0) series.last_ts_us = bar.ts_us;
    series.update(bar);
    if (bar.warmup) return;

    const auto setup = series.evaluate(settings_);
    if (!setup) return;
    if (!axion::sdk::protective_sides_ok("short", setup->entry, setup->stop, setup->target)) {
      return;
    }
    axion::sdk::Signal s = axion::sdk::make_strategy_signal(
        kName, bar, "momentum_exhaustion", "short", kLabel, setup->conviction, setup->entry,
        setup->stop, setup->target, host().now_us());
    using axion::sdk::format::round_dp;
    auto& m = s.metadata;
    m.num("surge_pct", round_dp(setup->surge_pct, 1))
        .integer("consecutive_up_days", static_cast<std::int64_t>(setup->up_days))
        .boolean("is_red_candle", setup->red)
        .boolean("below_vwap", setup->below_vwap)
        .num("vwap", round_dp(setup->vwap, 2))
        .integer("target_sma", static_cast<std::int64_t>(settings_.target_sma_period));
    sink.emit(s);
  }

 private:
  const Settings settings_;
  axion::sdk::SeriesMap<Series> series_;
};

}  // namespace
}  // namespace axion::plugins::qullamaggie_parabolic_short

AXION_PLUGIN(axion::plugins::qullamaggie_parabolic_short::QullamaggieParabolicShort,
             AXION_KIND_STRATEGY, "qullamaggie_parabolic_short", "1.0.0",
             "Qullamaggie parabolic short", axion::plugins::qullamaggie_parabolic_short::kKeys)
