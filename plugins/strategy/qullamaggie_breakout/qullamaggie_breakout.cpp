// strategy/qullamaggie_breakout — Qullamaggie flag breakout (strategies.md §10.7).
//
// A long when, after a run-up of ≥ prior_gain_pct (low before high), price has consolidated for
// consolidation_min_bars … consolidation_max_bars bars below the peak on contracting volume and
// the latest close breaks above that consolidation's high on expanded volume. The consolidation is
// detected on the bars BEFORE the latest one (§10.7 step 5).
//
// Per (symbol, timeframe) the state is a ring of the last consolidation_max_bars + 7 bars, the
// strict running peak of the highs up to bar t−m−1 (§2.11 step 2 over the whole history, kept in
// O(1)), the ADR(20) and ATR(14) windows. Each bar costs O(window) over those bounded rings and
// allocates nothing unless it fires.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "axion/sdk/format.hpp"
#include "axion/sdk/indicators.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/strategy_kit.hpp"

namespace axion::plugins::qullamaggie_breakout {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace ind = axion::sdk::ind;

constexpr const char* kName = "qullamaggie_breakout";
constexpr const char* kLabel = "1d";

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"prior_gain_pct", KeyType::Double, "30.0",
     "minimum prior run-up (low before high) over the last consolidation_max_bars+7 closes, %", 0,
     100000},
    {"consolidation_min_bars", KeyType::Int, "10", "shortest consolidation (bars after the peak)",
     1, 1000},
    {"consolidation_max_bars", KeyType::Int, "60",
     "longest consolidation; a series needs consolidation_max_bars+7 bars", 1, 1000},
    {"pullback_max_pct", KeyType::Double, "25.0",
     "deepest pullback from the peak high to the consolidation low, %", 0, 100},
    {"volume_contraction_ratio", KeyType::Double, "0.7",
     "mean consolidation volume / avg volume (last 20 bars) must not exceed this", 0, 1000},
    {"breakout_volume_mult", KeyType::Double, "1.5",
     "breakout bar volume / avg volume (last 20 bars) must be at least this", 0, 1000},
    {"adr_min_pct", KeyType::Double, "5.0", "minimum ADR(20), %", 0, 1000},
    {"stop_atr_mult", KeyType::Double, "1.0", "stop = max(low, close - stop_atr_mult * ATR(14))", 0,
     1000},
    {"risk_per_trade", KeyType::Double, "0.005", "reserved, no effect (sizing is the pipeline's)",
     0, 1},
    {"max_position_pct", KeyType::Double, "0.20", "reserved, no effect (sizing is the pipeline's)",
     0, 1},
    {"price_min", KeyType::Double, "5.0", "minimum close", 0, 1e12},
    {"avg_volume_min", KeyType::Double, "300000.0",
     "minimum mean volume of the last 20 bars (the latest included)", 0, 1e15},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

constexpr std::size_t kAvgVolumeBars = 20;
constexpr int kAtrPeriod = 14;
constexpr int kAdrPeriod = 20;

// The validated, immutable configuration.
struct Settings {
  double prior_gain_pct = 30.0;
  ind::ConsolidationParams cons;
  double volume_contraction_ratio = 0.7;
  double breakout_volume_mult = 1.5;
  double adr_min_pct = 5.0;
  double stop_atr_mult = 1.0;
  double price_min = 5.0;
  double avg_volume_min = 300'000.0;
  axion::sdk::TimeframeFilter timeframes;

  // Minimum bars and the prior-gain window: consolidation_max_bars + 7 (67 by default).
  std::size_t min_bars() const { return cons.max_bars + 7; }

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    s.prior_gain_pct = config.get_double("prior_gain_pct");
    s.cons.min_bars = static_cast<std::size_t>(config.get_int("consolidation_min_bars"));
    s.cons.max_bars = static_cast<std::size_t>(config.get_int("consolidation_max_bars"));
    s.cons.pullback_max_pct = config.get_double("pullback_max_pct");
    if (s.cons.min_bars > s.cons.max_bars) {
      throw axion::sdk::Error("consolidation_min_bars (" + std::to_string(s.cons.min_bars) +
                                  ") must not exceed consolidation_max_bars (" +
                                  std::to_string(s.cons.max_bars) + ")",
                              "consolidation_min_bars");
    }
    s.volume_contraction_ratio = config.get_double("volume_contraction_ratio");
    s.breakout_volume_mult = config.get_double("breakout_volume_mult");
    s.adr_min_pct = config.get_double("adr_min_pct");
    s.stop_atr_mult = config.get_double("stop_atr_mult");
    s.price_min = config.get_double("price_min");
    s.avg_volume_min = config.get_double("avg_volume_min");
    s.timeframes = axion::sdk::TimeframeFilter(config);
    return s;
  }
};

struct Ohlcv {
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

// What a firing bar needs for its signal.
struct Setup {
  double entry = 0, stop = 0, target = 0;
  int conviction = 0;
  double prior_gain_pct = 0, range_pct = 0, volume_mult = 0, adr_pct = 0;
  double sma10 = 0, sma20 = 0;
  std::size_t consolidation_bars = 0;
  bool higher_lows = false;
};

// One (symbol, timeframe) series.
class Series {
 public:
  explicit Series(const Settings& s)
      : bars_(std::max<std::size_t>(s.min_bars(), kAvgVolumeBars)),
        atr_(kAtrPeriod),
        adr_(kAdrPeriod) {}

  std::int64_t last_ts_us = 0;

  void update(const Settings& s, const axion::sdk::BarView& b) {
    bars_.push({b.open, b.high, b.low, b.close, b.volume});
    atr_.update(b.high, b.low, b.close);
    adr_.update(b.high, b.low);
    ++count_;
    // The consolidation of bars 0 … t−1 looks for its peak in H[0 … t−m−1]: feed H[t−m−1].
    const std::size_t m = s.cons.min_bars;
    if (count_ >= m + 2) peak_.push(bars_.back(m + 1).high);
  }

  // §10.7 on the window 0 … t; nullopt = no signal.
  std::optional<Setup> evaluate(const Settings& s) const {
    const std::size_t n = count_;
    if (n < s.min_bars()) return std::nullopt;  // 1.
    const Ohlcv& bar = bars_.back();
    if (bar.close < s.price_min) return std::nullopt;  // 2.
    const double avg_vol = mean_last(kAvgVolumeBars, [](const Ohlcv& x) { return x.volume; });
    if (avg_vol < s.avg_volume_min) return std::nullopt;
    const double adr = adr_.value();  // 3.
    if (adr < s.adr_min_pct) return std::nullopt;

    // 4. Largest run-up over the last min(n, M+7) closes; fewer than 5 values → 0.
    const std::size_t k = std::min(n, s.min_bars());
    const double gain = k < 5 ? 0.0 : ind::largest_run_up_by(k, [&](std::size_t i) {
                                        return bars_.back(k - 1 - i).close;
                                      }).pct;
    if (gain < s.prior_gain_pct) return std::nullopt;

    // 5. detect_consolidation over bars 0 … t−1 (n − 1 bars); absolute index i is back(t − i).
    const std::size_t prior = n - 1, t = n - 1;
    if (prior < s.cons.min_bars + 5 || peak_.empty()) return std::nullopt;
    auto high = [&](std::size_t i) { return bars_.back(t - i).high; };
    auto low = [&](std::size_t i) { return bars_.back(t - i).low; };
    const auto cons =
        ind::consolidation_after_peak(prior, peak_.index(), peak_.value(), s.cons, high, low);
    if (!cons) return std::nullopt;

    // 6. Volume contraction over the consolidation span.
    double cons_vol = 0;
    for (std::size_t i = cons->first; i <= cons->last; ++i) cons_vol += bars_.back(t - i).volume;
    cons_vol /= static_cast<double>(cons->duration);
    const double vol_base = std::max(avg_vol, 1.0);
    if (cons_vol / vol_base > s.volume_contraction_ratio) return std::nullopt;

    // 7. Breakout above the consolidation high.
    if (!(bar.close > cons->high)) return std::nullopt;

    // 8. Volume expansion, stop and target.
    const double vol_mult = bar.volume / vol_base;
    if (vol_mult < s.breakout_volume_mult) return std::nullopt;
    Setup out;
    out.entry = bar.close;
    out.stop = std::max(bar.low, bar.close - s.stop_atr_mult * atr_.value());
    const double risk = out.entry - out.stop;
    out.target = risk > 0 ? out.entry + 2 * risk : out.entry * 1.05;

    // 9. Conviction.
    int conviction = 60;
    conviction += std::max(0, static_cast<int>(axion::sdk::format::trunc_int(
                                  std::min(10.0, 5 * (vol_mult - s.breakout_volume_mult)))));
    if (adr > 8) {
      conviction += 5;
    } else if (adr > 6) {
      conviction += 3;
    }
    if (cons->range_pct < 10) {
      conviction += 10;
    } else if (cons->range_pct < 15) {
      conviction += 5;
    }
    if (cons->has_higher_lows) conviction += 5;
    out.conviction = std::min(conviction, 90);

    out.prior_gain_pct = gain;
    out.range_pct = cons->range_pct;
    out.volume_mult = vol_mult;
    out.adr_pct = adr;
    out.consolidation_bars = cons->duration;
    out.higher_lows = cons->has_higher_lows;
    out.sma10 = mean_last(10, [](const Ohlcv& x) { return x.close; });
    out.sma20 = mean_last(20, [](const Ohlcv& x) { return x.close; });
    return out;
  }

 private:
  template <class Get>
  double mean_last(std::size_t m, Get get) const {
    return ind::mean_last(bars_, m, get);
  }

  ind::Ring<Ohlcv> bars_;
  ind::MeanTrueRange atr_;
  ind::AdrPercent adr_;
  ind::RunningPeak peak_;  // over H[0 … t−m−1]
  std::size_t count_ = 0;
};

class QullamaggieBreakout final : public axion::sdk::Strategy {
 public:
  QullamaggieBreakout(const axion::sdk::Host& host, const axion::sdk::Config& config)
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
    series.update(settings_, bar);
    if (bar.warmup) return;

    const auto setup = series.evaluate(settings_);
    if (!setup) return;
    if (!axion::sdk::protective_sides_ok("long", setup->entry, setup->stop, setup->target)) return;
    axion::sdk::Signal s = axion::sdk::make_strategy_signal(
        kName, bar, "trend_aligned_long", "long", kLabel, setup->conviction, setup->entry,
        setup->stop, setup->target, host().now_us());
    using axion::sdk::format::round_dp;
    auto& m = s.metadata;
    m.num("prior_gain_pct", round_dp(setup->prior_gain_pct, 1))
        .integer("consolidation_bars", static_cast<std::int64_t>(setup->consolidation_bars))
        .num("consolidation_range_pct", round_dp(setup->range_pct, 1))
        .num("breakout_volume_mult", round_dp(setup->volume_mult, 1))
        .num("adr_pct", round_dp(setup->adr_pct, 1))
        .num("trail_sma_10", round_dp(setup->sma10, 2))
        .num("trail_sma_20", round_dp(setup->sma20, 2))
        .boolean("higher_lows", setup->higher_lows);
    sink.emit(s);
  }

 private:
  const Settings settings_;
  axion::sdk::SeriesMap<Series> series_;
};

}  // namespace
}  // namespace axion::plugins::qullamaggie_breakout

AXION_PLUGIN(axion::plugins::qullamaggie_breakout::QullamaggieBreakout, AXION_KIND_STRATEGY,
             "qullamaggie_breakout", "1.0.0", "Qullamaggie flag breakout",
             axion::plugins::qullamaggie_breakout::kKeys)
