// strategy/qullamaggie_ep — Qullamaggie episodic pivot (strategies.md §10.8).
//
// A long on a completed gap day: the open gaps ≥ gap_min_pct above the previous close on
// ≥ volume_mult_min × the previous 20 bars' mean volume, after a flat base (close range over the
// prior prior_flat_bars bars ≤ prior_flat_max_range_pct) with ADR(20) ≥ adr_min_pct. Entry is the
// gap day's close (never its high: that price is only known once the day is over).
//
// Per (symbol, timeframe) the state is a ring of the last max(prior_flat_bars + 1, 21) bars and
// the ADR(20) window; each bar costs O(window) and allocates nothing unless it fires.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "axion/sdk/format.hpp"
#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::qullamaggie_ep {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "qullamaggie_ep";
constexpr const char* kLabel = "1d";

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"gap_min_pct", KeyType::Double, "10.0", "minimum gap (open vs the previous close), %", 0,
     100000},
    {"volume_mult_min", KeyType::Double, "2.0",
     "minimum gap-day volume / mean volume of the previous 20 bars", 0, 100000},
    {"prior_flat_bars", KeyType::Int, "60",
     "bars of the base before the gap day; a series needs prior_flat_bars+2 bars", 1, 5000},
    {"prior_flat_max_range_pct", KeyType::Double, "30.0",
     "maximum (max - min) / min of the base closes, %", 0, 100000},
    {"adr_min_pct", KeyType::Double, "3.5", "minimum ADR(20) including the gap day, %", 0, 1000},
    {"stop_at_lod", KeyType::Bool, "true",
     "reserved, no effect: the stop is always the gap day's low"},
    {"risk_per_trade", KeyType::Double, "0.005", "reserved, no effect (sizing is the pipeline's)",
     0, 1},
    {"earnings_only", KeyType::Bool, "false",
     "reserved, no effect (no earnings calendar is consulted)"},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

constexpr std::size_t kVolumeBars = 20;  // V[t−20 … t−1]
constexpr int kAdrPeriod = 20;

// The validated, immutable configuration.
struct Settings {
  double gap_min_pct = 10.0;
  double volume_mult_min = 2.0;
  std::size_t prior_flat_bars = 60;
  double prior_flat_max_range_pct = 30.0;
  double adr_min_pct = 3.5;
  axion::sdk::TimeframeFilter timeframes;

  std::size_t min_bars() const { return prior_flat_bars + 2; }

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    s.gap_min_pct = config.get_double("gap_min_pct");
    s.volume_mult_min = config.get_double("volume_mult_min");
    s.prior_flat_bars = static_cast<std::size_t>(config.get_int("prior_flat_bars"));
    s.prior_flat_max_range_pct = config.get_double("prior_flat_max_range_pct");
    s.adr_min_pct = config.get_double("adr_min_pct");
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
  double gap_pct = 0, volume_mult = 0, range_pct = 0, adr_pct = 0;
};

// One (symbol, timeframe) series.
class Series {
 public:
  explicit Series(const Settings& s)
      : bars_(std::max(s.prior_flat_bars + 1, kVolumeBars + 1)), adr_(kAdrPeriod) {}

  std::int64_t last_ts_us = 0;

  void update(const axion::sdk::BarView& b) {
    bars_.push({b.open, b.high, b.low, b.close, b.volume});
    adr_.update(b.high, b.low);
    ++count_;
  }

  // §10.8 on the window 0 … t; nullopt = no signal.
  std::optional<Setup> evaluate(const Settings& s) const {
    if (count_ < s.min_bars()) return std::nullopt;  // 1.
    const Ohlcv& bar = bars_.back();
    const double prev_close = bars_.back(1).close;  // 2.
    const double gap = prev_close <= 0 ? 0.0 : (bar.open - prev_close) / prev_close * 100.0;
    if (gap < s.gap_min_pct) return std::nullopt;

    // 3. V[t] against the mean of V[t−20 … t−1] (today excluded), oldest first.
    const std::size_t kv = std::min(kVolumeBars, count_ - 1);
    double prev_vol = 0;
    for (std::size_t i = kv; i >= 1; --i) prev_vol += bars_.back(i).volume;
    prev_vol /= static_cast<double>(kv);
    const double vol_mult = bar.volume / std::max(prev_vol, 1.0);
    if (vol_mult < s.volume_mult_min) return std::nullopt;

    // 4. The base: closes t−P … t−1.
    double hi = bars_.back(s.prior_flat_bars).close, lo = hi;
    for (std::size_t i = s.prior_flat_bars - 1; i >= 1; --i) {
      hi = std::max(hi, bars_.back(i).close);
      lo = std::min(lo, bars_.back(i).close);
    }
    if (lo <= 0) return std::nullopt;
    const double range = (hi - lo) / lo * 100.0;
    if (range > s.prior_flat_max_range_pct) return std::nullopt;

    const double adr = adr_.value();  // 5.
    if (adr < s.adr_min_pct) return std::nullopt;

    Setup out;  // 6.
    out.entry = bar.close;
    out.stop = bar.low;
    const double risk = out.entry - out.stop;
    out.target = risk > 0 ? out.entry + 2 * risk : out.entry * 1.10;

    // 7. Points for the excess over the configured gap and volume thresholds (10 % and 2× by
    // default, the spec's constants).
    using axion::sdk::format::trunc_int;
    int conviction = 55;
    conviction += static_cast<int>(std::max<std::int64_t>(
        0, std::min<std::int64_t>(15, 5 * trunc_int((gap - s.gap_min_pct) / 5))));
    conviction += static_cast<int>(std::max<std::int64_t>(
        0, std::min<std::int64_t>(10, 5 * trunc_int(vol_mult - s.volume_mult_min))));
    if (range < 15) {
      conviction += 5;
    } else if (range < 20) {
      conviction += 3;
    }
    if (adr > 6) conviction += 5;
    out.conviction = std::min(conviction, 90);
    out.gap_pct = gap, out.volume_mult = vol_mult, out.range_pct = range, out.adr_pct = adr;
    return out;
  }

 private:
  ind::Ring<Ohlcv> bars_;
  ind::AdrPercent adr_;
  std::size_t count_ = 0;
};

class QullamaggieEp final : public axion::sdk::Strategy {
 public:
  QullamaggieEp(const axion::sdk::Host& host, const axion::sdk::Config& config)
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
    if (!axion::sdk::protective_sides_ok("long", setup->entry, setup->stop, setup->target)) return;
    axion::sdk::Signal s = axion::sdk::make_strategy_signal(
        kName, bar, "cloud_cross_bullish", "long", kLabel, setup->conviction, setup->entry,
        setup->stop, setup->target, host().now_us());
    using axion::sdk::format::round_dp;
    auto& m = s.metadata;
    m.num("gap_pct", round_dp(setup->gap_pct, 1))
        .num("volume_mult", round_dp(setup->volume_mult, 1))
        .num("prior_range_pct", round_dp(setup->range_pct, 1))
        .num("adr_pct", round_dp(setup->adr_pct, 1));
    sink.emit(s);
  }

 private:
  const Settings settings_;
  axion::sdk::SeriesMap<Series> series_;
};

}  // namespace
}  // namespace axion::plugins::qullamaggie_ep

AXION_PLUGIN(axion::plugins::qullamaggie_ep::QullamaggieEp, AXION_KIND_STRATEGY, "qullamaggie_ep",
             "1.0.0", "Qullamaggie episodic pivot", axion::plugins::qullamaggie_ep::kKeys)
